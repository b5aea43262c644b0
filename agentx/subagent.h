// SPDX-License-Identifier: GPL-2.0-or-later
// The AgentX subagent process: Net-SNMP's agent library in subagent role, ISPBOX-MIB registered
// from memory (mib.h), and a refresh timer that follows the store (store_reader.h) and the device
// source between requests. Net-SNMP is single-threaded: everything here runs on the thread that
// calls run().
#pragma once

#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "agentx/device_reader.h"
#include "agentx/mib.h"
#include "agentx/sources.h"
#include "agentx/store_reader.h"
#include "store/env.h"

namespace ispbox::agentx {

struct SubagentOptions {
  std::filesystem::path state_dir;
  // The master's AgentX socket ("/path", "unix:/path" or "tcp:host:port"); empty = Net-SNMP's
  // default (/var/agentx/master).
  std::string agentx_socket;
  // How often to ping the master; a failed ping makes the subagent reconnect (snmpd restarted).
  int ping_interval_s = 5;
  // How often to look at the store and the device source for changes.
  int refresh_ms = 1000;
  MibOptions mib;
  std::string name = "ispbox-agentx";
  // Net-SNMP debug tokens (comma-separated, as snmpd -D takes them); empty = none.
  std::string netsnmp_debug;
  // Called once the tables are loaded and the subagent has registered (benchmarks, tests).
  std::function<void()> on_ready;
};

class Subagent {
public:
  // devices: where OLTs, PON ports, ONUs and NAS reachability come from; nullptr = the store
  // (device_reader.h), opened with the rest of it.
  Subagent(SubagentOptions options, std::unique_ptr<DeviceSource> devices = nullptr);
  ~Subagent();
  Subagent(const Subagent&) = delete;
  Subagent& operator=(const Subagent&) = delete;

  // Serves until *stop becomes non-zero (set it from a signal handler). Returns an exit code.
  int run(const volatile std::sig_atomic_t* stop);
  // One refresh: the store (opened on first success) and the device source. Public for benches.
  void refresh();
  Mib& mib() { return *mib_; }

private:
  SubagentOptions options_;
  std::unique_ptr<DeviceSource> devices_;
  std::unique_ptr<store::Env> env_;
  std::unique_ptr<StoreReader> reader_;
  std::unique_ptr<Mib> mib_;
  bool store_warned_ = false;
};

} // namespace ispbox::agentx
