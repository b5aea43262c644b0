// SPDX-License-Identifier: GPL-2.0-or-later
// A private directory per test, removed afterwards (unless ISPBOX_KEEP_TEST_DIRS is set).
#pragma once

#include <filesystem>

namespace ispbox::testutil {

class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

} // namespace ispbox::testutil
