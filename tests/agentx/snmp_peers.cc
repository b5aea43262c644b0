// SPDX-License-Identifier: GPL-2.0-or-later
#include "tests/agentx/snmp_peers.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <netinet/in.h>
#include <random>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ispbox::testutil {
namespace {

std::string randomSecret() {
  static const char kChars[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 20; ++i)
    s += kChars[rd() % (sizeof kChars - 1)];
  return s;
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

} // namespace

CommandResult runCommand(const std::string& command_line) {
  CommandResult r;
  FILE* p = popen((command_line + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string mibDirs() {
  const char* cache = std::getenv("ISPBOX_MIB_CACHE");
  const std::string base = cache ? cache : std::string(ISPBOX_SOURCE_DIR) + "/.cache/ietf-mibs";
  return base + ":/usr/share/snmp/mibs:" + ISPBOX_SOURCE_DIR + "/agentx/mib";
}

SnmpPeers::SnmpPeers(const std::filesystem::path& dir, bool with_trapd)
    : dir_(dir), auth_pass_(randomSecret()), priv_pass_(randomSecret()) {
  std::filesystem::create_directories(dir_ / "snmpd-persist");
  std::filesystem::create_directories(dir_ / "trapd-persist");
  std::filesystem::create_directories(dir_ / "tools-persist/cert_indexes");
  port_ = freeUdpPort();
  std::string conf = "master agentx\n"
                     "agentXSocket " +
                     agentxSocket() +
                     "\n"
                     "agentXPerms 0660 0770\n"
                     "agentXTimeout 5\n"
                     "createUser " +
                     user_ + " SHA \"" + auth_pass_ + "\" AES \"" + priv_pass_ +
                     "\"\n"
                     "rouser " +
                     user_ + " priv\n";
  if (with_trapd) {
    trap_port_ = freeUdpPort();
    conf += "trap2sink 127.0.0.1:" + std::to_string(trap_port_) + " ispbox-test-traps\n";
    writeFile(dir_ / "snmptrapd.conf", "authCommunity log ispbox-test-traps\n");
    trapd_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/sbin/snmptrapd", "-f", "-n", "-On", "-Lf",
                                 (dir_ / "snmptrapd.log").string(), "-C", "-c",
                                 (dir_ / "snmptrapd.conf").string(), "-F", "TRAP %v\n",
                                 "udp:127.0.0.1:" + std::to_string(trap_port_)},
        (dir_ / "snmptrapd.err").string(),
        std::vector<std::string>{"SNMP_PERSISTENT_DIR=" + (dir_ / "trapd-persist").string(),
                                 "MIBS="});
  }
  writeFile(dir_ / "snmpd.conf", conf);
  startSnmpd();
}

SnmpPeers::~SnmpPeers() {
  stopSnmpd();
  if (trapd_) {
    trapd_->kill(SIGTERM);
    trapd_->wait(std::chrono::seconds(5));
  }
}

void SnmpPeers::startSnmpd() {
  snmpd_ = std::make_unique<Process>(
      std::vector<std::string>{
          "/usr/sbin/snmpd", "-f", "-I", "-smux", "-Lf", (dir_ / "snmpd.log").string(), "-C", "-c",
          (dir_ / "snmpd.conf").string(), "-p", (dir_ / "snmpd.pid").string(), agent()},
      (dir_ / "snmpd.err").string(),
      std::vector<std::string>{"SNMP_PERSISTENT_DIR=" + (dir_ / "snmpd-persist").string(),
                               "MIBS="});
  // Ready when it answers (sysUpTime.0 is snmpd's own).
  for (int i = 0; i < 100; ++i) {
    if (tool("snmpget", "-On -r0 -t0.3", ".1.3.6.1.2.1.1.3.0").status == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("snmpd did not come up; see " + (dir_ / "snmpd.log").string());
}

void SnmpPeers::stopSnmpd(bool crash) {
  if (!snmpd_) return;
  snmpd_->kill(crash ? SIGKILL : SIGTERM);
  if (!snmpd_->wait(std::chrono::seconds(5))) snmpd_->kill(SIGKILL);
  snmpd_.reset();
}

std::optional<std::string> SnmpPeers::waitForTrap(const std::vector<std::string>& needles,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto log = dir_ / "snmptrapd.log";
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream f(log);
    std::string line;
    while (std::getline(f, line)) {
      bool all = line.starts_with("TRAP ");
      for (const auto& n : needles)
        all = all && line.find(n) != std::string::npos;
      if (all) return line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

std::string SnmpPeers::auth() const {
  return "-v3 -l authPriv -u " + user_ + " -a SHA -A " + auth_pass_ + " -x AES -X " + priv_pass_;
}

std::string SnmpPeers::mibOptions() const {
  return "-M " + mibDirs() + " -m ISPBOX-MIB";
}

CommandResult SnmpPeers::tool(const std::string& name, const std::string& options,
                              const std::string& args, bool with_mib) const {
  // Private persistent and configuration directories: nothing read from or written to the
  // machine's /var/lib/snmp or ~/.snmp.
  const std::string env = "SNMP_PERSISTENT_DIR=" + (dir_ / "tools-persist").string() +
                          " SNMPCONFPATH=" + (dir_ / "tools-persist").string() +
                          (with_mib ? "" : " MIBS=") + " ";
  return runCommand(env + name + " " + auth() + " " + (with_mib ? mibOptions() + " " : "") +
                    options + " " + agent() + " " + args);
}

} // namespace ispbox::testutil
