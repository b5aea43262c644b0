// SPDX-License-Identifier: GPL-2.0-or-later
// ispboxd: wires the configuration to the daemon. All logic lives in the libraries.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sysexits.h>

#include "appliance/config.h"
#include "appliance/daemon.h"
#include "common/log.h"

namespace {

void usage(FILE* out) {
  std::fputs("usage: ispboxd [-c FILE] [--check-config] [--version]\n"
             "  -c, --config FILE   configuration (TOML); default /etc/ispbox/ispboxd.toml\n"
             "      --check-config  validate the configuration and exit (no side effects)\n"
             "      --version       print the version and exit\n",
             out);
}

} // namespace

int main(int argc, char** argv) {
  using namespace ispbox;
  log::setIdent("ispboxd");
  // A closed log pipe or a client gone mid-response must be an error return, not death.
  std::signal(SIGPIPE, SIG_IGN);
  std::string config_path = "/etc/ispbox/ispboxd.toml";
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--version") {
      std::printf("ispboxd %s\n", ISPBOX_VERSION);
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "ispboxd: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return EX_USAGE;
    }
  }

  appliance::Config config;
  try {
    config = appliance::loadConfig(config_path);
  } catch (const appliance::ConfigError& e) {
    ISPBOX_LOG(Error, "CONFIG_INVALID") << e.what();
    return EX_CONFIG;
  }
  if (check_only) {
    std::printf("%s: configuration OK\n", config_path.c_str());
    return 0;
  }
  return appliance::Daemon(std::move(config)).run();
}
