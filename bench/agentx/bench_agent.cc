// SPDX-License-Identifier: GPL-2.0-or-later
// The agent side of bench/agentx/run.sh: ISPBOX-MIB's tables (agentx/mib.h) filled with N
// generated ONUs, served either as an AgentX subagent of snmpd (what ispbox-agentx does) or as a
// Net-SNMP master agent on its own UDP port (the floor: no snmpd, no AgentX). The ONUs come from a
// generator through the DeviceSource interface (the same rows onu_pass_persist.py serves, so all
// three sides serve identical data); subscribers come from a real store when --state-dir is given.
//
//   bench_agent subagent --socket unix:PATH --onus N [--state-dir DIR]
//   bench_agent master --listen udp:127.0.0.1:PORT --community C --onus N
//   bench_agent fill-store --state-dir DIR --subscribers N
//
// Prints "READY <rss kB>" on stdout once the rows are loaded and the agent is serving.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "agentx/mib.h"
#include "agentx/subagent.h"
#include "common/log.h"
#include "store/entities.h"
#include "store/env.h"

// libnetsnmpagent's mibII/vacm_conf.c (its header is not installed): registers rocommunity and
// the access checks.
extern "C" void init_vacm_conf(void);

namespace {

using namespace ispbox;

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) {
  g_stop = 1;
}

// Row i of the generated ONU table; bench/agentx/onu_pass_persist.py computes the same.
agentx::OnuInfo onu(uint32_t i) {
  agentx::OnuInfo o;
  o.olt = 1 + i / 2048;
  o.pon = 1 + (i / 128) % 16;
  o.onu = 1 + i % 128;
  char serial[16];
  std::snprintf(serial, sizeof serial, "ZTEG%08X", i);
  o.serial = serial;
  o.state = i % 50 == 0 ? agentx::OnuState::Los : agentx::OnuState::Online;
  o.rx_cdbm = -1800 - static_cast<int32_t>(i % 900);
  o.tx_cdbm = 200 + static_cast<int32_t>(i % 50);
  o.olt_rx_cdbm = -2000 - static_cast<int32_t>(i % 700);
  o.distance_m = 500 + i % 20000;
  char user[16];
  std::snprintf(user, sizeof user, "user%06u", i);
  o.subscriber = user;
  return o;
}

class GeneratedOnus : public agentx::DeviceSource {
public:
  explicit GeneratedOnus(uint32_t n) : n_(n) {}
  bool poll(agentx::DeviceSnapshot* out) override {
    if (done_) return false;
    done_ = true;
    for (uint32_t i = 0; i < n_; ++i)
      out->onus.push_back(onu(i));
    return true;
  }

private:
  uint32_t n_;
  bool done_ = false;
};

long rssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

int fillStore(const std::string& dir, uint32_t n) {
  store::EnvOptions o;
  o.dir = dir;
  auto env = store::Env::open(o);
  auto txn = env->write();
  store::pb::Plan p;
  p.set_name("home-20m");
  p.set_download_bps(20000000);
  p.set_upload_bps(5000000);
  store::putPlan(txn, p, store::WriteMode::Create);
  for (uint32_t i = 0; i < n; ++i) {
    char user[16];
    std::snprintf(user, sizeof user, "user%06u", i);
    store::pb::Subscriber s;
    s.set_username(user);
    s.set_password("pw");
    s.set_plan("home-20m");
    s.set_status(i % 20 == 0 ? store::pb::SUSPENDED : store::pb::ACTIVE);
    s.set_external_id(std::to_string(100000 + i));
    store::putSubscriber(txn, s, store::WriteMode::Create);
  }
  txn.commit();
  return 0;
}

// The master-agent floor: the same Mib, but snmpd's role played by this process.
int runMaster(const std::string& listen, const std::string& community, uint32_t n) {
  setenv("MIBS", "", 1);
  // No configuration files: only the lines remembered below (read_configs() applies them).
  netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR,
                        "/nonexistent-ispbox-bench");
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS, listen.c_str());
  init_agent("ispbox-bench");
  init_vacm_conf(); // the rocommunity directive and the access checks, as in snmpd
  std::string line = "rocommunity " + community + " 127.0.0.1";
  netsnmp_config_remember(line.data()); // copied
  line = "dontLogTCPWrappersConnects yes";
  netsnmp_config_remember(line.data()); // copied
  agentx::Mib mib;
  if (!mib.registerAll()) return 1;
  GeneratedOnus gen(n);
  agentx::DeviceSnapshot snap;
  gen.poll(&snap);
  mib.apply(snap);
  snap = {};
  init_snmp("ispbox-bench");
  if (init_master_agent() != 0) return 1;
  std::printf("READY %ld\n", rssKb());
  std::fflush(stdout);
  while (!g_stop)
    agent_check_and_process(1);
  snmp_shutdown("ispbox-bench");
  return 0;
}

int runSubagent(const std::string& socket, const std::string& state_dir, uint32_t n) {
  agentx::SubagentOptions o;
  o.agentx_socket = socket;
  o.state_dir = state_dir.empty() ? "/nonexistent-ispbox-bench-state" : state_dir;
  o.refresh_ms = 1000;
  o.ping_interval_s = 5;
  o.on_ready = [] {
    std::printf("READY %ld\n", rssKb());
    std::fflush(stdout);
  };
  return agentx::Subagent(o, std::make_unique<GeneratedOnus>(n)).run(&g_stop);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: bench_agent subagent|master|fill-store [options] (see the source)\n",
               stderr);
    return 64;
  }
  const std::string mode = argv[1];
  std::string socket, listen, community = "bench", state_dir;
  uint32_t onus = 100000, subscribers = 100000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--socket")
      socket = v;
    else if (k == "--listen")
      listen = v;
    else if (k == "--community")
      community = v;
    else if (k == "--state-dir")
      state_dir = v;
    else if (k == "--onus")
      onus = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--subscribers")
      subscribers = static_cast<uint32_t>(std::stoul(v));
    else {
      std::fprintf(stderr, "bench_agent: unknown option %s\n", k.c_str());
      return 64;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  ispbox::log::setIdent("bench_agent");
  if (mode == "fill-store") return fillStore(state_dir, subscribers);
  if (mode == "master") return runMaster(listen, community, onus);
  if (mode == "subagent") return runSubagent(socket, state_dir, onus);
  std::fprintf(stderr, "bench_agent: unknown mode %s\n", mode.c_str());
  return 64;
}
