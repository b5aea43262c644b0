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

void recordChange(WriteTxn& txn, pb::Entity entity, std::string_view key, pb::ChangeOp op) {
  const uint64_t seq = txn.nextSequence(kChangeCounter);
  pb::Change c;
  c.set_entity(entity);
  c.set_key(std::string(key));
  c.set_op(op);
  c.set_at_ms(timeutil::nowMillis());
  txn.put(Table::Changes, encodeSeq(seq), encode(c));
  // Trim in batches so a write pays for trimming only once in kTrimBatch changes.
  const uint64_t keep = txn.env().options().change_log_keep;
  if (seq % kTrimBatch == 0 && seq > keep) {
    std::vector<std::string> doomed;
    {
      Cursor cur(txn, Table::Changes);
      for (bool ok = cur.first(); ok && decodeSeq(cur.key()) <= seq - keep; ok = cur.next())
        doomed.emplace_back(cur.key());
    }
    for (const auto& k : doomed)
      txn.erase(Table::Changes, k);
  }
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
  do {
    batch.changes.push_back({decodeSeq(cur.key()), decode<pb::Change>(cur.value(), "change")});
  } while (batch.changes.size() < max && cur.next());
  return batch;
}

uint64_t appendAudit(WriteTxn& txn, pb::AuditEntry entry) {
  const uint64_t seq = txn.nextSequence(kAuditCounter);
  if (entry.at_ms() == 0) entry.set_at_ms(timeutil::nowMillis());
  txn.put(Table::Audit, encodeSeq(seq), encode(entry));
  return seq;
}

std::vector<AuditRecord> listAudit(const ReadTxn& txn, uint64_t before, size_t limit,
                                   const std::function<bool(const pb::AuditEntry&)>& match) {
  std::vector<AuditRecord> out;
  if (limit == 0) return out;
  Cursor cur(txn, Table::Audit);
  // Newest first: start at the last key below `before`.
  bool ok = before == 0 ? cur.last() : (cur.seek(encodeSeq(before)) ? cur.prev() : cur.last());
  for (; ok && out.size() < limit; ok = cur.prev()) {
    auto e = decode<pb::AuditEntry>(cur.value(), "audit entry");
    if (!match || match(e)) out.push_back({decodeSeq(cur.key()), std::move(e)});
  }
  return out;
}

} // namespace ispbox::store
