// SPDX-License-Identifier: GPL-2.0-or-later
#include "rlm_isp/core/accounting.h"

#include <algorithm>
#include <stdexcept>

#include "common/crypto.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "store/vouchers.h"

namespace ispbox::aaa {
namespace {

// The interim interval the session was given: the plan's, or the default.
uint32_t interimFor(const store::ReadTxn& txn, std::string_view username,
                    const PolicyOptions& options) {
  std::string plan;
  if (auto s = store::getSubscriber(txn, username))
    plan = s->plan();
  else if (auto v = store::getVoucher(txn, username))
    plan = v->plan();
  if (auto p = store::getPlan(txn, plan))
    if (p->acct_interim_interval_s()) return p->acct_interim_interval_s();
  return options.default_interim_s;
}

// Finds which of the subscriber's pool leases holds this address, and confirms it.
std::string confirmPoolLease(store::WriteTxn& txn, std::string_view username, std::string_view ip,
                             std::string_view key, int64_t now) {
  if (ip.empty()) return {};
  const std::string prefix = store::joinKey(username, "");
  store::Cursor cur(txn, store::Table::LeasesByUser);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    if (cur.value() != ip) continue;
    std::string pool(cur.key().substr(prefix.size()));
    store::confirmLease(txn, pool, ip, key, now);
    return pool;
  }
  return {};
}

// When this packet's bytes carry the subscriber over a quota or data cap, the subscriber is marked
// changed in the change log, in this transaction: ispboxd follows the log and moves the live
// session into its new profile within a second, without polling usage.
void noteQuotaCrossing(store::WriteTxn& txn, std::string_view username, int64_t at, uint64_t added,
                       PolicyCache* cache) {
  // On every packet that carries bytes: skipped when no plan is metered, and otherwise the
  // subscriber is decoded onto a stack arena and the plan comes from the cache.
  if (cache && !cache->anyMeteredPlan(txn)) return;
  store::StackArena arena;
  auto& sub = arena.create<pb::Subscriber>();
  if (!store::getSubscriber(txn, username, &sub)) return;
  const PlanRef plan_ref(txn, sub.plan(), cache);
  const pb::Plan* plan = plan_ref.get();
  if (!plan) return;
  if (!isMetered(*plan)) return;
  const auto& q = plan->quota();
  const UsageNow after = usageNow(txn, username, at, cache);
  auto crossed = [added](uint64_t limit, uint64_t now_total) {
    return limit != 0 && now_total >= limit && now_total - added < limit;
  };
  if (crossed(q.daily_bytes(), after.day_bytes) || crossed(q.monthly_bytes(), after.month_bytes) ||
      crossed(plan->data_cap_bytes(), after.month_bytes))
    store::recordChange(txn, pb::SUBSCRIBER, username, pb::PUT);
}

} // namespace

std::string acctUniqueId(std::string_view user_name, std::string_view acct_session_id,
                         std::string_view nas_address, std::string_view nas_identifier,
                         std::string_view nas_port_id, std::string_view nas_port) {
  std::string text(user_name);
  for (const std::string_view part :
       {acct_session_id, nas_address, nas_identifier, nas_port_id, nas_port}) {
    text.push_back(',');
    text.append(part);
  }
  return crypto::md5Hex(text);
}

std::string terminateCauseName(uint32_t cause) {
  static constexpr const char* kNames[] = {"",
                                           "User-Request",
                                           "Lost-Carrier",
                                           "Lost-Service",
                                           "Idle-Timeout",
                                           "Session-Timeout",
                                           "Admin-Reset",
                                           "Admin-Reboot",
                                           "Port-Error",
                                           "NAS-Error",
                                           "NAS-Request",
                                           "NAS-Reboot",
                                           "Port-Unneeded",
                                           "Port-Preempted",
                                           "Port-Suspended",
                                           "Service-Unavailable",
                                           "Callback",
                                           "User-Error",
                                           "Host-Request"};
  if (cause > 0 && cause < std::size(kNames)) return kNames[cause];
  return cause ? std::to_string(cause) : "";
}

void checkAccounting(const AcctRequest& req) {
  const bool per_session = req.status_type == kAcctStart || req.status_type == kAcctStop ||
                           req.status_type == kAcctInterim;
  if (per_session && req.acct_session_id.empty()) throw std::invalid_argument("no Acct-Session-Id");
}

std::string applyAccounting(store::WriteTxn& txn, const AcctRequest& req, int64_t now,
                            const PolicyOptions& options, PolicyCache* cache) {
  checkAccounting(req);
  // The time the event happened at the NAS, as well as it can be known.
  const int64_t at = req.event_timestamp ? req.event_timestamp : now - req.delay_time;

  if (req.status_type == kAcctOn || req.status_type == kAcctOff) {
    const size_t n = store::closeNasSessions(txn, req.nas_ip, "NAS-Reboot", at);
    return std::string(req.status_type == kAcctOn ? "accounting-on" : "accounting-off") +
           ": closed " + std::to_string(n) + " session(s)";
  }
  if (req.status_type != kAcctStart && req.status_type != kAcctStop &&
      req.status_type != kAcctInterim)
    return "status " + std::to_string(req.status_type) + " ignored";

  const std::string key = store::sessionKey(req.nas_ip, req.acct_session_id);
  // This thread's message: decoding into it reuses its strings' buffers from packet to packet.
  thread_local pb::Session s;
  // Read and written back through one cursor: one search for both.
  store::WriteCursor sessions(txn, store::Table::Sessions);
  const bool fresh = !store::findSession(sessions, key, &s);
  if (!fresh && s.state() == pb::SESSION_CLOSED)
    return "session already closed: duplicate or late packet ignored";

  if (fresh) {
    // First packet of the session we see (a lost Start is not a lost session).
    s.Clear();
    s.set_username(std::string(req.user_name));
    s.set_nas_ip(std::string(req.nas_ip));
    s.set_acct_session_id(std::string(req.acct_session_id));
    s.set_started_at(at - req.session_time);
    s.set_state(pb::SESSION_ACTIVE);
    s.set_interim_interval_s(interimFor(txn, req.user_name, options));
  }
  // A field the packet carries replaces the recorded one; most packets repeat them unchanged.
  auto keep = [](std::string_view from_packet, const std::string& recorded, std::string* field) {
    if (!from_packet.empty() && from_packet != recorded) field->assign(from_packet);
  };
  keep(req.acct_unique_id, s.acct_unique_id(), s.mutable_acct_unique_id());
  if (s.acct_unique_id().empty()) // an MD5: once per session, not per packet
    s.set_acct_unique_id(acctUniqueId(req.user_name, req.acct_session_id, req.nas_address,
                                      req.nas_identifier, req.nas_port_id, req.nas_port));
  keep(req.framed_ip, s.framed_ip(), s.mutable_framed_ip());
  keep(req.calling_station_id, s.calling_station_id(), s.mutable_calling_station_id());
  keep(req.nas_port_id, s.nas_port_id(), s.mutable_nas_port_id());
  keep(req.nas_identifier, s.nas_identifier(), s.mutable_nas_identifier());
  keep(req.class_attr, s.class_tag(), s.mutable_class_tag());
  s.set_updated_at(std::max(s.updated_at(), now));
  if (s.pool().empty()) s.set_pool(confirmPoolLease(txn, s.username(), s.framed_ip(), key, now));

  // Usage is what the counters grew by. A reordered older packet carries smaller counters and
  // adds nothing; a retransmission carries the same counters and adds nothing either.
  const uint64_t din = req.input_bytes > s.input_octets() ? req.input_bytes - s.input_octets() : 0;
  const uint64_t dout =
      req.output_bytes > s.output_octets() ? req.output_bytes - s.output_octets() : 0;
  const uint64_t dtime =
      req.session_time > s.session_time() ? req.session_time - s.session_time() : 0;
  s.set_input_octets(std::max(s.input_octets(), req.input_bytes));
  s.set_output_octets(std::max(s.output_octets(), req.output_bytes));
  s.set_input_packets(std::max(s.input_packets(), req.input_packets));
  s.set_output_packets(std::max(s.output_packets(), req.output_packets));
  s.set_session_time(std::max(s.session_time(), req.session_time));
  if ((din || dout || dtime) && cache) {
    const PolicyCache::Periods periods = cache->periods(at);
    store::addUsage(txn, s.username(), periods.day, periods.month, din, dout, dtime);
  } else if (din || dout || dtime) {
    store::addUsage(txn, s.username(), at, din, dout, dtime);
  }
  if (din || dout) noteQuotaCrossing(txn, s.username(), at, din + dout, cache);

  if (req.status_type == kAcctStop) s.set_terminate_cause(terminateCauseName(req.terminate_cause));
  // A session read back under its key is indexed already (the index is written with it).
  store::putSession(txn, sessions, s, /*indexed=*/!fresh);
  std::string what = req.status_type == kAcctStart  ? "start"
                     : req.status_type == kAcctStop ? "stop"
                                                    : "interim";
  if (fresh && req.status_type != kAcctStart) what += " (no start seen)";
  if (req.status_type == kAcctStop) store::closeSession(txn, key, "Stop", at);
  return what + " +" + std::to_string(din) + "/" + std::to_string(dout) + " bytes";
}

} // namespace ispbox::aaa
