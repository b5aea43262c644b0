// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/logs.h"

#include "common/time_util.h"

namespace ispbox::store {
namespace {
constexpr std::string_view kChangeCounter = "changes";
constexpr std::string_view kAuditCounter = "audit";
constexpr uint64_t kTrimBatch = 1024;

uint64_t counterValue(const ReadTxn& txn, std::string_view counter) {
  auto v = txn.get(Table::Meta, "seq/" + std::string(counter));
  return v ? decodeSeq(*v) : 0;
}
} // namespace

uint64_t appendToLog(WriteTxn& txn, Table table, std::string_view counter, std::string_view value,
                     uint64_t keep) {
  const uint64_t seq = txn.nextSequence(counter);
  txn.put(table, encodeSeq(seq), value);
  if (keep > 0 && seq % kTrimBatch == 0 && seq > keep) {
    std::vector<std::string> doomed;
    {
      Cursor cur(txn, table);
      for (bool ok = cur.first(); ok && decodeSeq(cur.key()) <= seq - keep; ok = cur.next())
        doomed.emplace_back(cur.key());
    }
    for (const auto& k : doomed)
      txn.erase(table, k);
  }
  return seq;
}

void recordChange(WriteTxn& txn, pb::Entity entity, std::string_view key, pb::ChangeOp op) {
  pb::Change c;
  c.set_entity(entity);
  c.set_key(std::string(key));
  c.set_op(op);
  c.set_at_ms(timeutil::nowMillis());
  appendToLog(txn, Table::Changes, kChangeCounter, encode(c), txn.env().options().change_log_keep);
}

uint64_t latestChange(const ReadTxn& txn) {
  return counterValue(txn, kChangeCounter);
}

ChangeBatch changesSince(const ReadTxn& txn, uint64_t after, size_t max) {
  ChangeBatch batch;
  batch.latest = latestChange(txn);
  if (after >= batch.latest) return batch;
  Cursor cur(txn, Table::Changes);
  if (!cur.seekAfter(encodeSeq(after))) {
    batch.gap = true; // newer changes exist but none are kept
    return batch;
  }
  if (decodeSeq(cur.key()) != after + 1) batch.gap = true;
  if (max == 0) return batch;
  do {
    batch.changes.push_back({decodeSeq(cur.key()), decode<pb::Change>(cur.value(), "change")});
  } while (batch.changes.size() < max && cur.next());
  return batch;
}

uint64_t appendAudit(WriteTxn& txn, pb::AuditEntry entry) {
  if (entry.at_ms() == 0) entry.set_at_ms(timeutil::nowMillis());
  return appendToLog(txn, Table::Audit, kAuditCounter, encode(entry), 0);
}

std::vector<AuditRecord> listAudit(const ReadTxn& txn, uint64_t before, size_t limit,
                                   const std::function<bool(const pb::AuditEntry&)>& match) {
  std::vector<AuditRecord> out;
  for (auto& [seq, e] : listLog<pb::AuditEntry>(txn, Table::Audit, before, limit, match))
    out.push_back({seq, std::move(e)});
  return out;
}

} // namespace ispbox::store
