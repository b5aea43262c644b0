// SPDX-License-Identifier: GPL-2.0-or-later
// ispboxd as a whole: opens the state, makes sure an admin token exists, serves the admin API and
// runs housekeeping on one Asio event loop until SIGTERM or SIGINT.
#pragma once

#include <filesystem>
#include <string>

#include "appliance/config.h"
#include "store/env.h"

namespace ispbox::appliance {

// On a state with no API tokens at all, creates an admin token and writes its secret to
// <dir>/admin.token (mode 0600). Returns true when it created one.
bool bootstrapAdminToken(store::Env& env, const std::filesystem::path& dir);

// Writes a file atomically (temporary file, fsync, rename) with the given mode.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content, unsigned mode);

class Daemon {
public:
  explicit Daemon(Config config) : config_(std::move(config)) {}
  // Returns the process exit code.
  int run();

private:
  Config config_;
};

} // namespace ispbox::appliance
