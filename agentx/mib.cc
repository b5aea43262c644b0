// SPDX-License-Identifier: GPL-2.0-or-later
#include "agentx/mib.h"

#include <unordered_set>

#include "common/log.h"

namespace ispbox::agentx {
namespace {

// MAX_OID_LEN (128) minus the longest column prefix (root + objects + table + entry + column).
constexpr size_t kMaxIndexLen = MAX_OID_LEN - oids::kRootLen - 4;

std::vector<oid> tableOid(oid table) {
  return oids::under({oids::kObjects, table});
}

// ispboxXxxEntry.column.index
std::vector<oid> columnOid(oid table, unsigned column, const netsnmp_index& idx) {
  auto v = oids::under({oids::kObjects, table, 1, column});
  v.insert(v.end(), idx.oids, idx.oids + idx.len);
  return v;
}

bool rxInRange(int32_t rx, const MibOptions& o) {
  return rx == kNoReading || (rx >= o.rx_low_cdbm && rx <= o.rx_high_cdbm);
}

bool isIsolated(SubscriberState s) {
  return s == SubscriberState::Suspended || s == SubscriberState::Isolated;
}

bool onuDown(OnuState s) {
  return s == OnuState::Offline || s == OnuState::Los || s == OnuState::DyingGasp;
}

// ---- column getters (column numbers as in the MIB) ----

bool getNas(const NasRow& r, unsigned col, netsnmp_variable_list* vb) {
  switch (col) {
  case 2:
    setString(vb, r.info.ip);
    return true;
  case 3:
    setString(vb, r.info.vendor);
    return true;
  case 4:
    setString(vb, r.info.description);
    return true;
  case 5:
    setGauge(vb, r.sessions);
    return true;
  case 6:
    setInteger(vb, static_cast<int32_t>(r.state));
    return true;
  default:
    return false;
  }
}

bool getOlt(const OltRow& r, unsigned col, netsnmp_variable_list* vb) {
  switch (col) {
  case 2:
    setString(vb, r.info.name);
    return true;
  case 3:
    setString(vb, r.info.address);
    return true;
  case 4:
    setString(vb, r.info.vendor);
    return true;
  case 5:
    setString(vb, r.info.model);
    return true;
  case 6:
    setInteger(vb, static_cast<int32_t>(r.info.state));
    return true;
  case 7:
    setGauge(vb, r.pons);
    return true;
  case 8:
    setGauge(vb, r.onus);
    return true;
  case 9:
    setGauge(vb, r.online);
    return true;
  default:
    return false;
  }
}

bool getPon(const PonRow& r, unsigned col, netsnmp_variable_list* vb) {
  switch (col) {
  case 2:
    setString(vb, r.info.name);
    return true;
  case 3:
    setInteger(vb, static_cast<int32_t>(r.info.state));
    return true;
  case 4:
    setGauge(vb, r.onus);
    return true;
  case 5:
    setGauge(vb, r.online);
    return true;
  default:
    return false;
  }
}

bool getOnu(const OnuRow& r, unsigned col, netsnmp_variable_list* vb) {
  switch (col) {
  case 2:
    setString(vb, r.info.serial);
    return true;
  case 3:
    setInteger(vb, static_cast<int32_t>(r.info.state));
    return true;
  case 4:
    setInteger(vb, r.info.rx_cdbm);
    return true;
  case 5:
    setInteger(vb, r.info.tx_cdbm);
    return true;
  case 6:
    setInteger(vb, r.info.olt_rx_cdbm);
    return true;
  case 7:
    setUnsigned(vb, r.info.distance_m);
    return true;
  case 8:
    setString(vb, r.info.subscriber);
    return true;
  default:
    return false;
  }
}

bool getSubscriber(const SubscriberRow& r, unsigned col, netsnmp_variable_list* vb) {
  switch (col) {
  case 2:
    setInteger(vb, static_cast<int32_t>(r.info.state));
    return true;
  case 3:
    setString(vb, r.info.plan);
    return true;
  case 4:
    setGauge(vb, r.sessions);
    return true;
  case 5:
    setCounter64(vb, r.usage.today_down);
    return true;
  case 6:
    setCounter64(vb, r.usage.today_up);
    return true;
  case 7:
    setCounter64(vb, r.usage.month_down);
    return true;
  case 8:
    setCounter64(vb, r.usage.month_up);
    return true;
  case 9:
    setString(vb, r.info.external_id);
    return true;
  default:
    return false;
  }
}

bool getSession(const SessionRow& r, unsigned col, netsnmp_variable_list* vb) {
  switch (col) {
  case 3:
    setString(vb, r.info.username);
    return true;
  case 4:
    setString(vb, r.info.framed_ip);
    return true;
  case 5:
    setString(vb, r.info.calling_station);
    return true;
  case 6:
    setUnsigned(vb, r.info.uptime_s);
    return true;
  case 7:
    setCounter64(vb, r.info.input_octets);
    return true;
  case 8:
    setCounter64(vb, r.info.output_octets);
    return true;
  default:
    return false;
  }
}

void addVar(netsnmp_variable_list** list, const std::vector<oid>& name, u_char type,
            const void* value, size_t len) {
  snmp_varlist_add_variable(list, name.data(), name.size(), type, value, len);
}
void addString(netsnmp_variable_list** list, const std::vector<oid>& name, std::string_view s) {
  addVar(list, name, ASN_OCTET_STR, s.data(), s.size());
}
void addInteger(netsnmp_variable_list** list, const std::vector<oid>& name, int32_t v) {
  long l = v;
  addVar(list, name, ASN_INTEGER, &l, sizeof l);
}
void addCounter64(netsnmp_variable_list** list, const std::vector<oid>& name, uint64_t v) {
  counter64 c;
  c.high = v >> 32;
  c.low = v & 0xffffffffu;
  addVar(list, name, ASN_COUNTER64, &c, sizeof c);
}

void warnUnindexable(std::string_view what, std::string_view key) {
  ISPBOX_LOG(Warning, "AGENTX_KEY_UNSERVABLE")
      << what << " '" << key << "' is empty or too long for an SNMP index: not served";
}

} // namespace

std::vector<oid> nasIndex(std::string_view name) {
  if (name.empty() || name.size() > 64) return {};
  std::vector<oid> v;
  appendStringIndex(&v, name);
  return v;
}

std::vector<oid> subscriberIndex(std::string_view username) {
  if (username.empty() || username.size() > 100) return {};
  std::vector<oid> v;
  appendStringIndex(&v, username);
  return v;
}

std::vector<oid> sessionIndex(std::string_view nas_ip, std::string_view id) {
  if (nas_ip.empty() || nas_ip.size() > 45 || id.empty() || id.size() > 64) return {};
  std::vector<oid> v;
  appendStringIndex(&v, nas_ip);
  appendStringIndex(&v, id);
  return v;
}

Mib::Mib(MibOptions options, TrapSink sink) : options_(options), sink_(std::move(sink)) {
  static_assert(1 + 45 + 1 + 64 <= kMaxIndexLen);
  if (!sink_) sink_ = [](netsnmp_variable_list* vars) { send_v2trap(vars); };
  constexpr u_char S = ASN_OCTET_STR, U = ASN_UNSIGNED;
  nas_ = std::make_unique<ContainerTable<NasRow>>("ispboxNasTable", tableOid(oids::kNasTable),
                                                  std::vector<u_char>{S}, 2, 6, &getNas);
  olts_ = std::make_unique<ContainerTable<OltRow>>("ispboxOltTable", tableOid(oids::kOltTable),
                                                   std::vector<u_char>{U}, 2, 9, &getOlt);
  pons_ = std::make_unique<ContainerTable<PonRow>>("ispboxPonTable", tableOid(oids::kPonTable),
                                                   std::vector<u_char>{U, U}, 2, 5, &getPon);
  onus_ = std::make_unique<ContainerTable<OnuRow>>("ispboxOnuTable", tableOid(oids::kOnuTable),
                                                   std::vector<u_char>{U, U, U}, 2, 8, &getOnu);
  subscribers_ = std::make_unique<ContainerTable<SubscriberRow>>(
      "ispboxSubscriberTable", tableOid(oids::kSubscriberTable), std::vector<u_char>{S}, 2, 9,
      &getSubscriber);
  sessions_ = std::make_unique<ContainerTable<SessionRow>>(
      "ispboxSessionTable", tableOid(oids::kSessionTable), std::vector<u_char>{S, S}, 3, 8,
      &getSession);
}

Mib::~Mib() = default;

size_t Mib::onuCount() const {
  return onus_->size();
}
size_t Mib::subscriberCount() const {
  return subscribers_->size();
}

bool Mib::registerAll() {
  // A plain handler for the whole group: GET and GETNEXT over 16 scalars need no helper.
  auto group = oids::under({oids::kObjects, oids::kSummary});
  auto* reg = netsnmp_create_handler_registration("ispboxSummary", &Mib::handleSummary,
                                                  group.data(), group.size(), HANDLER_CAN_RONLY);
  if (!reg) return false;
  reg->handler->myvoid = this;
  if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK) return false;
  return nas_->registerTable() && olts_->registerTable() && pons_->registerTable() &&
         onus_->registerTable() && subscribers_->registerTable() && sessions_->registerTable();
}

int Mib::handleSummary(netsnmp_mib_handler* handler, netsnmp_handler_registration* reg,
                       netsnmp_agent_request_info* reqinfo, netsnmp_request_info* requests) {
  auto* self = static_cast<Mib*>(handler->myvoid);
  const oid* root = reg->rootoid;
  const size_t len = reg->rootoid_len;
  for (auto* r = requests; r; r = r->next) {
    if (r->processed) continue;
    netsnmp_variable_list* vb = r->requestvb;
    if (reqinfo->mode == MODE_GET) {
      // group.N.0
      const bool ok = vb->name_length == len + 2 && vb->name[len + 1] == 0 && vb->name[len] >= 1 &&
                      vb->name[len] <= kSummaryCount_;
      if (!ok) {
        netsnmp_set_request_error(reqinfo, r,
                                  vb->name_length > len && vb->name[len] >= 1 &&
                                          vb->name[len] <= kSummaryCount_
                                      ? SNMP_NOSUCHINSTANCE
                                      : SNMP_NOSUCHOBJECT);
        continue;
      }
      setGauge(vb, self->summary_[vb->name[len] - 1]);
    } else if (reqinfo->mode == MODE_GETNEXT) {
      // The first group.N.0 after the requested name, if any (else the agent moves on).
      oid candidate[MAX_OID_LEN];
      std::copy(root, root + len, candidate);
      for (oid n = 1; n <= kSummaryCount_; ++n) {
        candidate[len] = n;
        candidate[len + 1] = 0;
        if (snmp_oid_compare(candidate, len + 2, vb->name, vb->name_length) > 0) {
          snmp_set_var_objid(vb, candidate, len + 2);
          setGauge(vb, self->summary_[n - 1]);
          break;
        }
      }
    }
  }
  return SNMP_ERR_NOERROR;
}

void Mib::notify(oids::Notification n, netsnmp_variable_list* objects) {
  static const oid kSnmpTrapOid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
  netsnmp_variable_list* vars = nullptr;
  const auto trap = oids::under({oids::kNotifications, n});
  snmp_varlist_add_variable(&vars, kSnmpTrapOid, std::size(kSnmpTrapOid), ASN_OBJECT_ID,
                            trap.data(), trap.size() * sizeof(oid));
  vars->next_variable = objects;
  sink_(vars);
  snmp_free_varbind(vars);
  ++notifications_sent_;
}

void Mib::sendSubscriberIsolated(const SubscriberRow& row) {
  netsnmp_variable_list* v = nullptr;
  addInteger(&v, columnOid(oids::kSubscriberTable, 2, row.index),
             static_cast<int32_t>(row.info.state));
  addString(&v, columnOid(oids::kSubscriberTable, 3, row.index), row.info.plan);
  addString(&v, columnOid(oids::kSubscriberTable, 9, row.index), row.info.external_id);
  ISPBOX_LOG(Info, "AGENTX_NOTIFY") << "ispboxSubscriberIsolated " << row.info.username;
  notify(oids::kSubscriberIsolated, v);
}

void Mib::sendThreshold(const std::string& name, const std::string& subject, uint64_t value,
                        uint64_t limit) {
  netsnmp_variable_list* v = nullptr;
  addString(&v, oids::under({oids::kObjects, oids::kEventObjects, oids::kEventThreshold, 0}), name);
  addString(&v, oids::under({oids::kObjects, oids::kEventObjects, oids::kEventSubject, 0}),
            subject);
  addCounter64(&v, oids::under({oids::kObjects, oids::kEventObjects, oids::kEventValue, 0}), value);
  addCounter64(&v, oids::under({oids::kObjects, oids::kEventObjects, oids::kEventLimit, 0}), limit);
  ISPBOX_LOG(Info, "AGENTX_NOTIFY") << "ispboxThresholdExceeded " << name << " " << subject;
  notify(oids::kThresholdExceeded, v);
}

void Mib::sendOnu(oids::Notification n, const OnuRow& row) {
  netsnmp_variable_list* v = nullptr;
  if (n == oids::kOnuRxOutOfRange) {
    addInteger(&v, columnOid(oids::kOnuTable, 4, row.index), row.info.rx_cdbm);
    addInteger(&v, oids::under({oids::kObjects, oids::kEventObjects, oids::kEventRxLow, 0}),
               options_.rx_low_cdbm);
    addInteger(&v, oids::under({oids::kObjects, oids::kEventObjects, oids::kEventRxHigh, 0}),
               options_.rx_high_cdbm);
  } else {
    addInteger(&v, columnOid(oids::kOnuTable, 3, row.index), static_cast<int32_t>(row.info.state));
  }
  addString(&v, columnOid(oids::kOnuTable, 2, row.index), row.info.serial);
  addString(&v, columnOid(oids::kOnuTable, 8, row.index), row.info.subscriber);
  const char* name = n == oids::kOnuLos            ? "ispboxOnuLos"
                     : n == oids::kOnuDyingGasp    ? "ispboxOnuDyingGasp"
                     : n == oids::kOnuRxOutOfRange ? "ispboxOnuRxOutOfRange"
                                                   : "ispboxOnuOffline";
  ISPBOX_LOG(Info, "AGENTX_NOTIFY") << name << " " << row.info.serial << " at OLT " << row.info.olt
                                    << " PON " << row.info.pon << " ONU " << row.info.onu;
  notify(n, v);
}

void Mib::apply(const StoreDelta& d) {
  if (!d.changed) return;
  const bool notify_ok = store_loaded_;
  if (d.plans_changed) plan_caps_ = d.plan_caps;

  // NAS clients.
  if (d.full) nas_->beginGeneration();
  std::vector<std::unique_ptr<NasRow>> new_nas;
  for (const auto& n : d.nas) {
    auto idx = nasIndex(n.name);
    if (idx.empty()) {
      warnUnindexable("NAS", n.name);
      continue;
    }
    if (auto* row = nas_->find(idx)) {
      row->info = n;
      nas_->touch(row);
    } else {
      auto r = std::make_unique<NasRow>();
      r->setIndex(idx.data(), idx.size());
      r->info = n;
      auto st = nas_states_.find(n.name);
      r->state = st == nas_states_.end() ? Reachability::Unknown : st->second;
      new_nas.push_back(std::move(r));
    }
  }
  nas_->insert(std::move(new_nas));
  if (d.full) nas_->sweep([](NasRow&) {});
  for (const auto& name : d.removed_nas)
    if (auto* row = nas_->find(nasIndex(name))) nas_->erase(row);

  // Subscribers.
  if (d.full) subscribers_->beginGeneration();
  std::vector<std::unique_ptr<SubscriberRow>> new_subs;
  for (const auto& s : d.subscribers) {
    auto idx = subscriberIndex(s.username);
    if (idx.empty()) {
      warnUnindexable("subscriber", s.username);
      continue;
    }
    if (auto* row = subscribers_->find(idx)) {
      const SubscriberState before = row->info.state;
      row->info = s;
      subscribers_->touch(row);
      if (notify_ok && !isIsolated(before) && isIsolated(s.state)) sendSubscriberIsolated(*row);
    } else {
      auto r = std::make_unique<SubscriberRow>();
      r->setIndex(idx.data(), idx.size());
      r->info = s;
      new_subs.push_back(std::move(r));
    }
  }
  subscribers_->insert(std::move(new_subs));
  if (d.full) subscribers_->sweep([](SubscriberRow&) {});
  for (const auto& name : d.removed_subscribers)
    if (auto* row = subscribers_->find(subscriberIndex(name))) subscribers_->erase(row);

  // Usage, and the data-cap threshold it may cross.
  for (const auto& [username, usage] : d.usage) {
    auto* row = subscribers_->find(subscriberIndex(username));
    if (!row) continue;
    const uint64_t before = row->usage.month_down + row->usage.month_up;
    row->usage = usage;
    const uint64_t after = usage.month_down + usage.month_up;
    auto cap = plan_caps_.find(row->info.plan);
    if (notify_ok && cap != plan_caps_.end() && cap->second > 0 && before < cap->second &&
        after >= cap->second)
      sendThreshold("subscriber-data-cap", username, after, cap->second);
  }

  // Sessions: the delta holds all live ones.
  sessions_->beginGeneration();
  std::vector<std::unique_ptr<SessionRow>> new_sessions;
  std::unordered_map<std::string, uint32_t> per_user, per_nas;
  for (const auto& s : d.sessions) {
    ++per_user[s.username];
    ++per_nas[s.nas_ip];
    auto idx = sessionIndex(s.nas_ip, s.id);
    if (idx.empty()) continue; // counted above, not served as a row
    if (auto* row = sessions_->find(idx)) {
      row->info = s;
      sessions_->touch(row);
    } else {
      auto r = std::make_unique<SessionRow>();
      r->setIndex(idx.data(), idx.size());
      r->info = s;
      new_sessions.push_back(std::move(r));
    }
  }
  sessions_->insert(std::move(new_sessions));
  sessions_->sweep([](SessionRow&) {});
  live_sessions_ = d.sessions.size(); // rows that cannot be indexed still count as online
  subscribers_->forEach([&](SubscriberRow& r) {
    auto it = per_user.find(r.info.username);
    r.sessions = it == per_user.end() ? 0 : it->second;
  });
  nas_->forEach([&](NasRow& r) {
    auto it = per_nas.find(r.info.ip);
    r.sessions = it == per_nas.end() ? 0 : it->second;
  });

  store_loaded_ = true;
  recount();
}

void Mib::apply(const DeviceSnapshot& snap) {
  const bool notify_ok = devices_loaded_;
  // Which OLTs' rows this snapshot speaks for (all of them when full).
  const std::unordered_set<uint32_t> scope(snap.olts_replaced.begin(), snap.olts_replaced.end());
  auto inScope = [&](uint32_t olt) { return snap.full || scope.count(olt) > 0; };

  olts_->beginGeneration();
  std::vector<std::unique_ptr<OltRow>> new_olts;
  for (const auto& o : snap.olts) {
    if (o.index == 0 || !inScope(o.index)) continue;
    const std::vector<oid> idx{o.index};
    if (auto* row = olts_->find(idx)) {
      const Reachability before = row->info.state;
      row->info = o;
      olts_->touch(row);
      if (notify_ok && before != Reachability::Unreachable &&
          o.state == Reachability::Unreachable) {
        netsnmp_variable_list* v = nullptr;
        addInteger(&v, columnOid(oids::kOltTable, 6, row->index), static_cast<int32_t>(o.state));
        addString(&v, columnOid(oids::kOltTable, 2, row->index), o.name);
        addString(&v, columnOid(oids::kOltTable, 3, row->index), o.address);
        ISPBOX_LOG(Info, "AGENTX_NOTIFY") << "ispboxOltUnreachable " << o.name;
        notify(oids::kOltUnreachable, v);
      }
    } else {
      auto r = std::make_unique<OltRow>();
      r->setIndex(idx.data(), idx.size());
      r->info = o;
      new_olts.push_back(std::move(r));
    }
  }
  olts_->insert(std::move(new_olts));
  olts_->sweepIf([&](const OltRow& r) { return inScope(r.info.index); }, [](OltRow&) {});

  pons_->beginGeneration();
  std::vector<std::unique_ptr<PonRow>> new_pons;
  for (const auto& p : snap.pons) {
    if (p.olt == 0 || p.pon == 0 || !inScope(p.olt)) continue;
    const std::vector<oid> idx{p.olt, p.pon};
    if (auto* row = pons_->find(idx)) {
      row->info = p;
      pons_->touch(row);
    } else {
      auto r = std::make_unique<PonRow>();
      r->setIndex(idx.data(), idx.size());
      r->info = p;
      new_pons.push_back(std::move(r));
    }
  }
  pons_->insert(std::move(new_pons));
  pons_->sweepIf([&](const PonRow& r) { return inScope(r.info.olt); }, [](PonRow&) {});

  onus_->beginGeneration();
  std::vector<std::unique_ptr<OnuRow>> new_onus;
  for (const auto& o : snap.onus) {
    if (o.olt == 0 || o.pon == 0 || o.onu > 65535 || !inScope(o.olt)) continue;
    const std::vector<oid> idx{o.olt, o.pon, o.onu};
    if (auto* row = onus_->find(idx)) {
      const OnuState before = row->info.state;
      const bool rx_ok_before = rxInRange(row->info.rx_cdbm, options_);
      row->info = o;
      onus_->touch(row);
      if (!notify_ok) continue;
      if (!onuDown(before) && onuDown(o.state))
        sendOnu(o.state == OnuState::Los         ? oids::kOnuLos
                : o.state == OnuState::DyingGasp ? oids::kOnuDyingGasp
                                                 : oids::kOnuOffline,
                *row);
      if (rx_ok_before && !rxInRange(o.rx_cdbm, options_)) sendOnu(oids::kOnuRxOutOfRange, *row);
    } else {
      auto r = std::make_unique<OnuRow>();
      r->setIndex(idx.data(), idx.size());
      r->info = o;
      new_onus.push_back(std::move(r));
    }
  }
  onus_->insert(std::move(new_onus));
  onus_->sweepIf([&](const OnuRow& r) { return inScope(r.info.olt); }, [](OnuRow&) {});

  // Per-OLT and per-port counts.
  struct Counts {
    uint32_t onus = 0, online = 0;
  };
  std::unordered_map<uint64_t, Counts> per_pon;
  std::unordered_map<uint32_t, Counts> per_olt;
  onus_->forEach([&](OnuRow& r) {
    const bool on = r.info.state == OnuState::Online;
    auto& p = per_pon[(uint64_t{r.info.olt} << 32) | r.info.pon];
    auto& o = per_olt[r.info.olt];
    ++p.onus;
    ++o.onus;
    p.online += on;
    o.online += on;
  });
  std::unordered_map<uint32_t, uint32_t> pons_of;
  pons_->forEach([&](PonRow& r) {
    const auto& c = per_pon[(uint64_t{r.info.olt} << 32) | r.info.pon];
    r.onus = c.onus;
    r.online = c.online;
    ++pons_of[r.info.olt];
  });
  olts_->forEach([&](OltRow& r) {
    const auto& c = per_olt[r.info.index];
    r.onus = c.onus;
    r.online = c.online;
    r.pons = pons_of[r.info.index];
  });

  nas_states_.clear();
  for (const auto& [name, state] : snap.nas_states)
    nas_states_[name] = state;
  nas_->forEach([&](NasRow& r) {
    auto it = nas_states_.find(r.info.name);
    const Reachability now = it == nas_states_.end() ? Reachability::Unknown : it->second;
    if (notify_ok && r.state != Reachability::Unreachable && now == Reachability::Unreachable) {
      r.state = now;
      netsnmp_variable_list* v = nullptr;
      addInteger(&v, columnOid(oids::kNasTable, 6, r.index), static_cast<int32_t>(now));
      addString(&v, columnOid(oids::kNasTable, 2, r.index), r.info.ip);
      ISPBOX_LOG(Info, "AGENTX_NOTIFY") << "ispboxNasUnreachable " << r.info.name;
      notify(oids::kNasUnreachable, v);
    }
    r.state = now;
  });

  devices_loaded_ = true;
  recount();
}

void Mib::recount() {
  std::array<uint32_t, kSummaryCount_> s{};
  auto at = [&](Summary k) -> uint32_t& { return s[k - 1]; };
  uint32_t alarms = 0;
  subscribers_->forEach([&](SubscriberRow& r) {
    ++at(kSubscribersTotal);
    switch (r.info.state) {
    case SubscriberState::Active:
      ++at(kSubscribersActive);
      break;
    case SubscriberState::Suspended:
      ++at(kSubscribersSuspended);
      break;
    case SubscriberState::Isolated:
      ++at(kSubscribersIsolated);
      break;
    case SubscriberState::Terminated:
      ++at(kSubscribersTerminated);
      break;
    default:
      break;
    }
    auto cap = plan_caps_.find(r.info.plan);
    if (cap != plan_caps_.end() && cap->second > 0 &&
        r.usage.month_down + r.usage.month_up >= cap->second)
      ++alarms;
  });
  at(kSessionsOnline) = live_sessions_;
  at(kNasCount) = nas_->size();
  nas_->forEach([&](NasRow& r) { alarms += r.state == Reachability::Unreachable; });
  olts_->forEach([&](OltRow& r) {
    ++at(kOltsTotal);
    if (r.info.state == Reachability::Reachable) ++at(kOltsReachable);
    if (r.info.state == Reachability::Unreachable) {
      ++at(kOltsUnreachable);
      ++alarms;
    }
  });
  onus_->forEach([&](OnuRow& r) {
    ++at(kOnusTotal);
    switch (r.info.state) {
    case OnuState::Online:
      ++at(kOnusOnline);
      break;
    case OnuState::Offline:
      ++at(kOnusOffline);
      break;
    case OnuState::Los:
      ++at(kOnusLos);
      break;
    case OnuState::DyingGasp:
      ++at(kOnusDyingGasp);
      break;
    default:
      break;
    }
    alarms += onuDown(r.info.state);
    alarms += !rxInRange(r.info.rx_cdbm, options_);
  });
  at(kAlarmsActive) = alarms;
  summary_ = s;
}

} // namespace ispbox::agentx
