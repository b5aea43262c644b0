// SPDX-License-Identifier: GPL-2.0-or-later
// Follows the store for the subagent: each poll() is one short read transaction that returns what
// changed since the previous poll.
//  * Subscribers, NAS clients and plans follow the change sequence (store/logs.h changesSince):
//    only the records named in new change entries are read again; a gap (the reader fell behind
//    the trimmed log) or the first poll reloads them all.
//  * Sessions and usage counters are written by rlm_isp without change entries (one per
//    accounting packet would flood the log), so when the store has moved at all (LMDB's
//    transaction id changed) the live sessions are read again, and usage is read again for the
//    subscribers that have a session record (live or recently closed) or just changed; at a new
//    day every subscriber's usage is read again.
// Nothing here touches Net-SNMP; the agent applies the result to its tables.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "agentx/sources.h"
#include "store/env.h"

namespace ispbox::agentx {

struct StoreDelta {
  bool changed = false; // false: nothing below is set, the store did not move
  // Subscribers and NAS clients: `full` means the lists hold every record and anything not in
  // them is gone; otherwise they hold upserts and the removed_* lists the deletions.
  bool full = false;
  std::vector<SubscriberInfo> subscribers;
  std::vector<std::string> removed_subscribers;
  std::vector<NasInfo> nas;
  std::vector<std::string> removed_nas;
  // Plan name -> data cap in octets (0 = none); set (complete) when any plan changed or full.
  bool plans_changed = false;
  std::map<std::string, uint64_t> plan_caps;
  // Every live session (always complete when changed).
  std::vector<SessionInfo> sessions;
  // Fresh usage of these subscribers (all of them when usage_full).
  bool usage_full = false;
  std::unordered_map<std::string, UsageInfo> usage;
  uint64_t change_seq = 0; // the change sequence this delta brings the reader to
};

class StoreReader {
public:
  explicit StoreReader(const store::Env& env) : env_(env) {}
  // now: Unix seconds, for today's and this month's usage periods.
  StoreDelta poll(int64_t now);
  // Forget everything: the next poll reloads all.
  void reset() { loaded_ = false; }

private:
  void loadAll(const store::ReadTxn& txn, StoreDelta* d);
  const store::Env& env_;
  bool loaded_ = false;
  uint64_t seq_ = 0;
  size_t txn_id_ = 0;
  std::string day_, month_;
};

SubscriberState subscriberState(int status); // pb::SubscriberStatus -> MIB value

} // namespace ispbox::agentx
