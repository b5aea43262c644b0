// SPDX-License-Identifier: GPL-2.0-or-later
// ISPBOX-MIB in memory: the summary scalars and the six tables, kept up to date from StoreDelta
// (store_reader.h) and DeviceSnapshot (sources.h), and the notifications that follow from
// comparing each row's old and new values. Everything runs on the agent thread, between requests.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agentx/container_table.h"
#include "agentx/oids.h"
#include "agentx/sources.h"
#include "agentx/store_reader.h"

namespace ispbox::agentx {

struct NasRow : RowBase {
  NasInfo info;
  uint32_t sessions = 0;
  Reachability state = Reachability::Unknown;
};
struct OltRow : RowBase {
  OltInfo info;
  uint32_t pons = 0, onus = 0, online = 0;
};
struct PonRow : RowBase {
  PonInfo info;
  uint32_t onus = 0, online = 0;
};
struct OnuRow : RowBase {
  OnuInfo info;
};
struct SubscriberRow : RowBase {
  SubscriberInfo info;
  uint32_t sessions = 0;
  UsageInfo usage;
};
struct SessionRow : RowBase {
  SessionInfo info;
};

// ispboxSummary.N, 1-based.
enum Summary : unsigned {
  kSubscribersTotal = 1,
  kSubscribersActive,
  kSubscribersSuspended,
  kSubscribersIsolated,
  kSubscribersTerminated,
  kSessionsOnline,
  kNasCount,
  kOltsTotal,
  kOltsReachable,
  kOltsUnreachable,
  kOnusTotal,
  kOnusOnline,
  kOnusOffline,
  kOnusLos,
  kOnusDyingGasp,
  kAlarmsActive,
  kSummaryCount_ = kAlarmsActive
};

struct MibOptions {
  // ONU Rx power outside [low, high] (hundredths of dBm) raises ispboxOnuRxOutOfRange.
  int32_t rx_low_cdbm = -2800;
  int32_t rx_high_cdbm = -800;
};

class Mib {
public:
  // sends a notification (snmpTrapOID.0 first); the default is Net-SNMP's send_v2trap.
  using TrapSink = std::function<void(netsnmp_variable_list*)>;

  explicit Mib(MibOptions options = {}, TrapSink sink = {});
  ~Mib();
  Mib(const Mib&) = delete;
  Mib& operator=(const Mib&) = delete;

  // Registers the scalars and tables with the agent (after init_agent()).
  bool registerAll();

  // The first delta (full, on start) raises no notifications: there is no "before" to compare.
  void apply(const StoreDelta& delta);
  void apply(const DeviceSnapshot& snapshot);

  uint32_t summary(Summary s) const { return summary_[s - 1]; }
  size_t onuCount() const;
  size_t subscriberCount() const;
  uint64_t notificationsSent() const { return notifications_sent_; }

private:
  void recount();
  void notify(oids::Notification n, netsnmp_variable_list* objects);
  void sendSubscriberIsolated(const SubscriberRow& row);
  void sendThreshold(const std::string& name, const std::string& subject, uint64_t value,
                     uint64_t limit);
  void sendOnu(oids::Notification n, const OnuRow& row);
  static int handleSummary(netsnmp_mib_handler* handler, netsnmp_handler_registration* reg,
                           netsnmp_agent_request_info* reqinfo, netsnmp_request_info* requests);

  MibOptions options_;
  TrapSink sink_;
  std::unique_ptr<ContainerTable<NasRow>> nas_;
  std::unique_ptr<ContainerTable<OltRow>> olts_;
  std::unique_ptr<ContainerTable<PonRow>> pons_;
  std::unique_ptr<ContainerTable<OnuRow>> onus_;
  std::unique_ptr<ContainerTable<SubscriberRow>> subscribers_;
  std::unique_ptr<ContainerTable<SessionRow>> sessions_;
  std::map<std::string, uint64_t> plan_caps_;
  std::unordered_map<std::string, Reachability> nas_states_;
  std::array<uint32_t, kSummaryCount_> summary_{};
  uint32_t live_sessions_ = 0;
  bool store_loaded_ = false, devices_loaded_ = false;
  uint64_t notifications_sent_ = 0;
};

// Index OIDs of each table, as the MIB defines them; empty when the key does not fit in an OID.
std::vector<oid> nasIndex(std::string_view name);
std::vector<oid> subscriberIndex(std::string_view username);
std::vector<oid> sessionIndex(std::string_view nas_ip, std::string_view id);

} // namespace ispbox::agentx
