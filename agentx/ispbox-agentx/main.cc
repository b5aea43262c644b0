// SPDX-License-Identifier: GPL-2.0-or-later
// ispbox-agentx: wires the command line to the subagent. All logic lives in the agentx library.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sysexits.h>

#include "agentx/subagent.h"
#include "common/log.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) {
  g_stop = 1;
}

void usage(FILE* out) {
  std::fputs(
      "usage: ispbox-agentx --state-dir DIR [options]\n"
      "  --state-dir DIR         the ispbox store (ispboxd's state.dir)\n"
      "  --agentx-socket ADDR    snmpd's AgentX socket: /path, unix:/path or tcp:host:port\n"
      "                          (default: Net-SNMP's, /var/agentx/master)\n"
      "  --ping-interval S       seconds between pings of snmpd; reconnects when one fails (5)\n"
      "  --refresh-ms MS         how often to pick up store changes (1000)\n"
      "  --onu-rx-low CDBM       ONU Rx below this (0.01 dBm) is out of range (-2800)\n"
      "  --onu-rx-high CDBM      ONU Rx above this is out of range (-800)\n"
      "  --log-level LEVEL       error, warning, notice, info or debug (info)\n"
      "  --netsnmp-debug TOKENS  Net-SNMP debug tokens, as snmpd -D takes them (with debug)\n",
      out);
}

bool parseInt(const char* text, long min, long max, long* out) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!end || *end || end == text || v < min || v > max) return false;
  *out = v;
  return true;
}

} // namespace

int main(int argc, char** argv) {
  using namespace ispbox;
  log::setIdent("ispbox-agentx");
  agentx::SubagentOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    long n = 0;
    auto intArg = [&](long min, long max) {
      if (!has_value || !parseInt(argv[++i], min, max, &n)) {
        std::fprintf(stderr, "ispbox-agentx: %s needs a number in %ld..%ld\n", arg.c_str(), min,
                     max);
        std::exit(EX_USAGE);
      }
      return n;
    };
    if (arg == "--state-dir" && has_value) {
      options.state_dir = argv[++i];
    } else if (arg == "--agentx-socket" && has_value) {
      options.agentx_socket = argv[++i];
    } else if (arg == "--ping-interval") {
      options.ping_interval_s = static_cast<int>(intArg(1, 3600));
    } else if (arg == "--refresh-ms") {
      options.refresh_ms = static_cast<int>(intArg(50, 3600000));
    } else if (arg == "--onu-rx-low") {
      options.mib.rx_low_cdbm = static_cast<int32_t>(intArg(-10000, 10000));
    } else if (arg == "--onu-rx-high") {
      options.mib.rx_high_cdbm = static_cast<int32_t>(intArg(-10000, 10000));
    } else if (arg == "--netsnmp-debug" && has_value) {
      options.netsnmp_debug = argv[++i];
    } else if (arg == "--log-level" && has_value) {
      log::Level level;
      if (!log::parseLevel(argv[++i], &level)) {
        std::fprintf(stderr, "ispbox-agentx: unknown log level '%s'\n", argv[i]);
        return EX_USAGE;
      }
      log::setLevel(level);
    } else if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "ispbox-agentx: unknown or incomplete argument '%s'\n", arg.c_str());
      usage(stderr);
      return EX_USAGE;
    }
  }
  if (options.state_dir.empty()) {
    std::fprintf(stderr, "ispbox-agentx: --state-dir is required\n");
    usage(stderr);
    return EX_USAGE;
  }
  if (options.mib.rx_low_cdbm > options.mib.rx_high_cdbm) {
    std::fprintf(stderr, "ispbox-agentx: --onu-rx-low is above --onu-rx-high\n");
    return EX_USAGE;
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal; // no SA_RESTART: select() must return so the loop sees the flag
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return agentx::Subagent(std::move(options)).run(&g_stop);
}
