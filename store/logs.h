// SPDX-License-Identifier: GPL-2.0-or-later
// The two sequence-numbered logs in the store:
//  * the change log: one entry per record written, in the writer's transaction, so a reader that
//    remembers the last sequence it saw can ask what changed since (the subagent and caches do);
//    old entries are trimmed, and a reader that fell behind the trim is told to reload;
//  * the audit log: who changed what, when, written in the same transaction as the change.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

// A sequence-numbered table: appends under the next value of `counter`, and when keep > 0 trims
// entries older than the newest `keep` (in batches, so few appends pay for it).
uint64_t appendToLog(WriteTxn& txn, Table table, std::string_view counter, std::string_view value,
                     uint64_t keep);
// The same for several entries, in order: one counter update for all. Returns the first's
// sequence number (0 when values is empty).
uint64_t appendToLog(WriteTxn& txn, Table table, std::string_view counter,
                     const std::vector<std::string_view>& values, uint64_t keep);

// Newest first: entries with seq < before (0 = from the newest), up to limit, that match.
template <class Msg>
std::vector<std::pair<uint64_t, Msg>> listLog(const ReadTxn& txn, Table table, uint64_t before,
                                              size_t limit,
                                              const std::function<bool(const Msg&)>& match) {
  std::vector<std::pair<uint64_t, Msg>> out;
  if (limit == 0) return out;
  Cursor cur(txn, table);
  bool ok = before == 0 ? cur.last() : (cur.seek(encodeSeq(before)) ? cur.prev() : cur.last());
  for (; ok && out.size() < limit; ok = cur.prev()) {
    auto e = decode<Msg>(cur.value(), tableName(table));
    if (!match || match(e)) out.emplace_back(decodeSeq(cur.key()), std::move(e));
  }
  return out;
}

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

// Appends to the audit log and to its index by (entity, key).
uint64_t appendAudit(WriteTxn& txn, pb::AuditEntry entry);
void indexAuditEntry(WriteTxn& txn, uint64_t seq, const pb::AuditEntry& entry);
// One record's history, newest first: entries about (entity, key) with seq < before (0 = from the
// newest), up to limit. Uses the index, so it costs the same however long the log is.
std::vector<AuditRecord> listAuditFor(const ReadTxn& txn, std::string_view entity,
                                      std::string_view key, uint64_t before, size_t limit);
// Newest first, entries with seq < before (0 = from the newest), up to limit, that match.
std::vector<AuditRecord> listAudit(const ReadTxn& txn, uint64_t before, size_t limit,
                                   const std::function<bool(const pb::AuditEntry&)>& match);

} // namespace ispbox::store
