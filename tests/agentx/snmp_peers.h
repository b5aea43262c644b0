// SPDX-License-Identifier: GPL-2.0-or-later
// Real SNMP peers for the subagent's tests and benchmark: a private snmpd (AgentX master on a
// private socket, one SNMPv3 authPriv user, no communities), a private snmptrapd, and the
// Net-SNMP command-line tools, all on free loopback ports in one temporary directory.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/testutil/process.h"

namespace ispbox::testutil {

struct CommandResult {
  int status = -1; // exit status, -1 when it could not run
  std::string out; // stdout and stderr together
};
// Runs a shell command line; stderr is merged into the output.
CommandResult runCommand(const std::string& command_line);

class SnmpPeers {
public:
  // dir: a private directory (a TempDir's path).
  explicit SnmpPeers(const std::filesystem::path& dir, bool with_trapd = true);
  ~SnmpPeers();

  void startSnmpd();
  // SIGTERM (a clean stop: snmpd closes the AgentX sessions), or SIGKILL when `crash`.
  void stopSnmpd(bool crash = false);
  // Lines snmptrapd printed ("TRAP <varbinds>"), waiting up to timeout for one that contains
  // every needle.
  std::optional<std::string> waitForTrap(const std::vector<std::string>& needles,
                                         std::chrono::milliseconds timeout);

  // "unix:<dir>/agentx.sock"
  std::string agentxSocket() const { return "unix:" + (dir_ / "agentx.sock").string(); }
  int port() const { return port_; }
  // The options every tool needs: SNMPv3 authPriv user, numeric OIDs, the agent's address last
  // is the caller's job: tool("snmpget", "-On", oid) builds "snmpget <auth> -On <agent> oid".
  std::string auth() const;
  std::string agent() const { return "127.0.0.1:" + std::to_string(port_); }
  // MIB search options for tools that need ISPBOX-MIB (snmptable, names): -M ... -m ISPBOX-MIB.
  std::string mibOptions() const;
  // tool <auth> [mib options] <options> <agent> <args>
  CommandResult tool(const std::string& name, const std::string& options, const std::string& args,
                     bool with_mib = false) const;

private:
  std::filesystem::path dir_;
  int port_ = 0, trap_port_ = 0;
  std::string user_ = "ispbox-test", auth_pass_, priv_pass_;
  std::unique_ptr<Process> snmpd_, trapd_;
};

// Where ISPBOX-MIB and the IETF base modules are (source tree and scripts/ietf-mibs.sh cache).
std::string mibDirs();

} // namespace ispbox::testutil
