// SPDX-License-Identifier: GPL-2.0-or-later
#include "agentx/subagent.h"

#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <syslog.h>

// Net-SNMP needs its configuration header first.
#include <net-snmp/net-snmp-config.h>

#include <net-snmp/net-snmp-includes.h>
// and the library's headers before the agent's.
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "common/log.h"
#include "common/time_util.h"

namespace ispbox::agentx {
namespace {

// Net-SNMP's own messages (connection to the master, errors) go to our log with one identifier.
// It may log a line in several pieces: keep them until the newline.
std::string g_netsnmp_line;

int forwardNetSnmpLog(int, int, void* server_arg, void*) {
  const auto* m = static_cast<snmp_log_message*>(server_arg);
  if (!m || !m->msg) return 0;
  g_netsnmp_line += m->msg;
  size_t nl;
  while ((nl = g_netsnmp_line.find('\n')) != std::string::npos) {
    const std::string line = g_netsnmp_line.substr(0, nl);
    g_netsnmp_line.erase(0, nl + 1);
    if (line.empty()) continue;
    if (m->priority <= LOG_ERR)
      ISPBOX_LOG(Error, "AGENTX_NETSNMP") << line;
    else if (m->priority == LOG_WARNING)
      ISPBOX_LOG(Warning, "AGENTX_NETSNMP") << line;
    else if (m->priority <= LOG_INFO)
      ISPBOX_LOG(Info, "AGENTX_NETSNMP") << line;
    else
      ISPBOX_LOG(Debug, "AGENTX_NETSNMP") << line;
  }
  return 0;
}

void onRefreshAlarm(unsigned int, void* arg) {
  static_cast<Subagent*>(arg)->refresh();
}

} // namespace

Subagent::Subagent(SubagentOptions options, std::unique_ptr<DeviceSource> devices)
    : options_(std::move(options)), devices_(std::move(devices)) {}

Subagent::~Subagent() = default;

void Subagent::refresh() {
  if (!env_) {
    try {
      store::EnvOptions eo;
      eo.dir = options_.state_dir;
      eo.read_only = true;
      env_ = store::Env::open(eo);
      reader_ = std::make_unique<StoreReader>(*env_);
      if (!devices_) devices_ = std::make_unique<StoreDeviceSource>(*env_);
      ISPBOX_LOG(Info, "AGENTX_STORE_OPEN") << "serving the store in " << options_.state_dir;
    } catch (const std::exception& e) {
      if (!store_warned_)
        ISPBOX_LOG(Warning, "AGENTX_STORE_UNAVAILABLE")
            << "cannot open the store in " << options_.state_dir << " (" << e.what()
            << "); retrying every refresh, serving empty tables meanwhile";
      store_warned_ = true;
    }
  }
  if (reader_) {
    try {
      StoreDelta delta = reader_->poll(timeutil::nowSeconds());
      mib_->apply(delta);
      if (delta.full) {
        // A full load builds every record twice (delta, then rows): give the delta's memory
        // back to the system instead of keeping it as the process's high-water mark.
        delta = {};
        malloc_trim(0);
      }
    } catch (const std::exception& e) {
      // Keep serving what we have; the next poll starts over from a full reload.
      ISPBOX_LOG(Error, "AGENTX_REFRESH_FAILED") << "store refresh failed: " << e.what();
      reader_->reset();
    }
  }
  if (!devices_) return; // the store is not open yet
  try {
    DeviceSnapshot snap;
    if (devices_->poll(&snap)) {
      mib_->apply(snap);
      snap = {};
      malloc_trim(0); // as after a full store load: a snapshot holds every row once more
    }
  } catch (const std::exception& e) {
    ISPBOX_LOG(Error, "AGENTX_REFRESH_FAILED") << "device refresh failed: " << e.what();
    devices_->reset();
  }
}

int Subagent::run(const volatile std::sig_atomic_t* stop) {
  // No MIB files: the subagent needs none, and Debian lacks the IETF ones (each missing module
  // would be a warning at start). No configuration or persistent files either: everything comes
  // from our options, and nothing is written under /var/lib/snmp.
  setenv("MIBS", "", 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, forwardNetSnmpLog, nullptr);
  netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);

  if (!options_.netsnmp_debug.empty()) {
    debug_register_tokens(options_.netsnmp_debug.c_str());
    snmp_set_do_debugging(1);
  }
  netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1); // subagent
  if (!options_.agentx_socket.empty())
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
                          options_.agentx_socket.c_str());
  netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
                     options_.ping_interval_s);
  if (init_agent(options_.name.c_str()) != 0) {
    ISPBOX_LOG(Error, "AGENTX_INIT_FAILED") << "Net-SNMP's agent library did not initialise";
    return 1;
  }
  // init_agent() resets the ping interval to its default (15 s): set it again before init_snmp()
  // starts the AgentX session.
  netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
                     options_.ping_interval_s);
  mib_ = std::make_unique<Mib>(options_.mib);
  if (!mib_->registerAll()) {
    ISPBOX_LOG(Error, "AGENTX_INIT_FAILED") << "could not register ISPBOX-MIB";
    return 1;
  }
  // Load before connecting, so the first request already sees the data.
  refresh();
  init_snmp(options_.name.c_str());

  timeval every{options_.refresh_ms / 1000, (options_.refresh_ms % 1000) * 1000};
  snmp_alarm_register_hr(every, SA_REPEAT, onRefreshAlarm, this);
  ISPBOX_LOG(Info, "AGENTX_STARTED")
      << "serving ISPBOX-MIB through "
      << (options_.agentx_socket.empty() ? "the default AgentX socket" : options_.agentx_socket)
      << ", refresh every " << options_.refresh_ms << " ms";
  if (options_.on_ready) options_.on_ready();

  // The loop of agent_check_and_process(): blocks in select() until a packet or the next alarm
  // (refresh, AgentX ping). A signal interrupts select(), so *stop is seen at once.
  while (!*stop)
    agent_check_and_process(1);

  ISPBOX_LOG(Info, "AGENTX_STOPPING") << "stopping";
  mib_.reset(); // rows first; the containers stay with their registrations
  snmp_shutdown(options_.name.c_str());
  return 0;
}

} // namespace ispbox::agentx
