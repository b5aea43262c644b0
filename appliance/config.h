// SPDX-License-Identifier: GPL-2.0-or-later
// ispboxd's configuration: a TOML file in which every setting has a default (docs/config.md).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "appliance/api/server.h"
#include "appliance/enforcer/enforcer.h"
#include "appliance/nas/probe.h"
#include "appliance/olt/poller.h"
#include "appliance/routeros/service.h"
#include "common/log.h"
#include "store/env.h"

namespace ispbox::appliance {

struct Config {
  store::EnvOptions state;                 // [state]
  api::ServerOptions api;                  // [api]
  log::Level log_level = log::Level::Info; // [log]
  // Stale-reader sweep and other housekeeping, seconds.
  unsigned housekeeping_interval_s = 60;
  // A session not heard of for this many interim intervals is closed as stale.
  unsigned stale_session_misses = 3;
  // The interim interval assumed for sessions whose plan sets none (matches rlm_isp's default).
  uint32_t default_interim_s = 300;
  // Closed sessions stay this long under their key, so late duplicates are recognised.
  int64_t closed_session_keep_s = 86400;
  enforcer::EnforcerOptions coa;     // [coa]
  bool routeros_enabled = true;      // [routeros] enabled
  routeros::ServiceOptions routeros; // [routeros]
  OltPollerOptions olt;              // [olt]
  NasProbeOptions nas_probe;         // [nas_probe]
};

class ConfigError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

Config defaultConfig();
// Parses and validates; throws ConfigError naming the file, position and key. Reads the file
// (and checks TLS files are readable) but changes nothing.
Config loadConfig(const std::filesystem::path& path);
Config parseConfig(std::string_view toml_text, const std::string& source_name);

} // namespace ispbox::appliance
