// SPDX-License-Identifier: GPL-2.0-or-later
// The two sequence-numbered logs in the store:
//  * the change log: one entry per record written, in the writer's transaction, so a reader that
//    remembers the last sequence it saw can ask what changed since (the subagent and caches do);
//    old entries are trimmed, and a reader that fell behind the trim is told to reload;
//  * the audit log: who changed what, when, written in the same transaction as the change.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

struct ChangeRecord {
  uint64_t seq;
  pb::Change change;
};

void recordChange(WriteTxn& txn, pb::Entity entity, std::string_view key, pb::ChangeOp op);
// The newest sequence number written (0 when nothing was ever written).
uint64_t latestChange(const ReadTxn& txn);

struct ChangeBatch {
  std::vector<ChangeRecord> changes;
  // Entries after `after` were trimmed: the reader missed changes and must reload everything.
  bool gap = false;
  uint64_t latest = 0;
};
ChangeBatch changesSince(const ReadTxn& txn, uint64_t after, size_t max);

struct AuditRecord {
  uint64_t seq;
  pb::AuditEntry entry;
};

uint64_t appendAudit(WriteTxn& txn, pb::AuditEntry entry);
// Newest first, entries with seq < before (0 = from the newest), up to limit, that match.
std::vector<AuditRecord> listAudit(const ReadTxn& txn, uint64_t before, size_t limit,
                                   const std::function<bool(const pb::AuditEntry&)>& match);

} // namespace ispbox::store
