// SPDX-License-Identifier: GPL-2.0-or-later
#include "agentx/store_reader.h"

#include <set>

#include "store/entities.h"
#include "store/logs.h"
#include "store/sessions.h"

namespace ispbox::agentx {
namespace {

// Change entries handled per poll; more wait for the next poll (the agent answers in between).
constexpr size_t kMaxChangesPerPoll = 50000;

SubscriberInfo toInfo(const store::pb::Subscriber& s) {
  return {s.username(), s.plan(), s.external_id(), subscriberState(s.status())};
}

NasInfo toInfo(const store::pb::Nas& n) {
  return {n.name(), n.ip(), n.vendor(), n.description()};
}

} // namespace

SubscriberState subscriberState(int status) {
  switch (status) {
  case store::pb::ACTIVE:
    return SubscriberState::Active;
  case store::pb::SUSPENDED:
    return SubscriberState::Suspended;
  case store::pb::ISOLATED:
    return SubscriberState::Isolated;
  case store::pb::TERMINATED:
    return SubscriberState::Terminated;
  default:
    return SubscriberState::Unknown;
  }
}

void StoreReader::loadAll(const store::ReadTxn& txn, StoreDelta* d) {
  d->full = true;
  d->plans_changed = true;
  d->usage_full = true;
  store::forEachRecord<store::pb::Subscriber>(txn, store::Table::Subscribers, "",
                                              [&](std::string_view, store::pb::Subscriber& s) {
                                                d->subscribers.push_back(toInfo(s));
                                                return true;
                                              });
  store::forEachRecord<store::pb::Nas>(txn, store::Table::Nas, "",
                                       [&](std::string_view, store::pb::Nas& n) {
                                         d->nas.push_back(toInfo(n));
                                         return true;
                                       });
}

StoreDelta StoreReader::poll(int64_t now) {
  StoreDelta d;
  auto txn = env_.read();
  const size_t txn_id = mdb_txn_id(txn.raw());
  const std::string day = "d" + store::dayPeriod(now), month = "m" + store::monthPeriod(now);
  const bool new_period = day != day_ || month != month_;
  if (loaded_ && txn_id == txn_id_ && !new_period) return d;
  d.changed = true;

  std::set<std::string> usage_of; // subscribers whose usage to read again
  if (!loaded_) {
    seq_ = store::latestChange(txn);
    loadAll(txn, &d);
  } else {
    auto batch = store::changesSince(txn, seq_, kMaxChangesPerPoll);
    if (batch.gap) {
      seq_ = batch.latest;
      loadAll(txn, &d);
    } else {
      std::set<std::string> subs, nas;
      for (const auto& c : batch.changes) {
        seq_ = c.seq;
        switch (c.change.entity()) {
        case store::pb::SUBSCRIBER:
          subs.insert(c.change.key());
          break;
        case store::pb::NAS:
          nas.insert(c.change.key());
          break;
        case store::pb::PLAN:
          d.plans_changed = true;
          break;
        default:
          break; // tokens and entities the subagent does not serve
        }
      }
      for (const auto& u : subs) {
        if (auto s = store::getSubscriber(txn, u)) {
          d.subscribers.push_back(toInfo(*s));
          usage_of.insert(u);
        } else {
          d.removed_subscribers.push_back(u);
        }
      }
      for (const auto& n : nas) {
        if (auto rec = store::getNas(txn, n))
          d.nas.push_back(toInfo(*rec));
        else
          d.removed_nas.push_back(n);
      }
    }
  }
  if (d.plans_changed) {
    store::forEachRecord<store::pb::Plan>(txn, store::Table::Plans, "",
                                          [&](std::string_view, store::pb::Plan& p) {
                                            d.plan_caps[p.name()] = p.data_cap_bytes();
                                            return true;
                                          });
  }

  // Sessions: the live ones are served; any record (closed ones too) means usage may have moved.
  store::forEachRecord<store::pb::Session>(txn, store::Table::Sessions, "",
                                           [&](std::string_view, store::pb::Session& s) {
                                             usage_of.insert(s.username());
                                             if (s.state() == store::pb::SESSION_CLOSED)
                                               return true;
                                             SessionInfo si;
                                             si.nas_ip = s.nas_ip();
                                             si.id = s.acct_session_id();
                                             si.username = s.username();
                                             si.framed_ip = s.framed_ip();
                                             si.calling_station = s.calling_station_id();
                                             si.uptime_s = s.session_time();
                                             si.input_octets = s.input_octets();
                                             si.output_octets = s.output_octets();
                                             d.sessions.push_back(std::move(si));
                                             return true;
                                           });

  if (d.full || new_period) {
    d.usage_full = true;
    usage_of.clear();
    if (d.full) {
      for (const auto& s : d.subscribers)
        usage_of.insert(s.username);
    } else {
      store::forEachRecord<store::pb::Subscriber>(txn, store::Table::Subscribers, "",
                                                  [&](std::string_view k, store::pb::Subscriber&) {
                                                    usage_of.emplace(k);
                                                    return true;
                                                  });
    }
  }
  for (const auto& u : usage_of) {
    const auto td = store::getUsage(txn, u, day), mo = store::getUsage(txn, u, month);
    d.usage[u] = {td.output_octets(), td.input_octets(), mo.output_octets(), mo.input_octets()};
  }

  loaded_ = true;
  // Changes left for the next poll: make it look again even if the store does not move.
  txn_id_ = seq_ < store::latestChange(txn) ? 0 : txn_id;
  day_ = day;
  month_ = month;
  d.change_seq = seq_;
  return d;
}

} // namespace ispbox::agentx
