// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/logs.h"

#include <memory>

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

namespace {
using RawCursor = std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)>;

// A cursor for writing through: it stays where the last write left it, so the next write next to
// it needs no search from the root.
RawCursor writeCursor(WriteTxn& txn, Table table) {
  MDB_cursor* raw = nullptr;
  check(mdb_cursor_open(txn.raw(), txn.env().dbi(table), &raw), "cursor");
  return RawCursor(raw, mdb_cursor_close);
}

// Entries [first, last] were just appended: past each multiple of kTrimBatch, the entries older
// than the newest `keep` go, deleted through one cursor at the table's start.
void trimLog(WriteTxn& txn, Table table, uint64_t first, uint64_t last, uint64_t keep) {
  if (keep == 0 || last <= keep || (last / kTrimBatch) * kTrimBatch < first) return;
  const RawCursor cursor = writeCursor(txn, table);
  MDB_cursor* raw = cursor.get();
  MDB_val k, v;
  // After mdb_cursor_del the cursor is on the entry that followed, which MDB_NEXT returns.
  int rc = mdb_cursor_get(raw, &k, &v, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT)) {
    if (decodeSeq(std::string_view(static_cast<const char*>(k.mv_data), k.mv_size)) > last - keep)
      return;
    check(mdb_cursor_del(raw, 0), "trim");
  }
  if (rc != MDB_NOTFOUND) check(rc, "trim");
}
} // namespace

uint64_t appendToLog(WriteTxn& txn, Table table, std::string_view counter, std::string_view value,
                     uint64_t keep) {
  const uint64_t seq = txn.nextSequence(counter);
  txn.append(table, encodeSeq(seq), value);
  trimLog(txn, table, seq, seq, keep);
  return seq;
}

uint64_t appendToLog(WriteTxn& txn, Table table, std::string_view counter,
                     const std::vector<std::string_view>& values, uint64_t keep) {
  if (values.empty()) return 0;
  const uint64_t first = txn.nextSequence(counter, values.size());
  // One cursor for the whole batch: it stays at the end of the table, so no append searches.
  const RawCursor cursor = writeCursor(txn, table);
  MDB_cursor* raw = cursor.get();
  for (size_t i = 0; i < values.size(); ++i) {
    std::string key = encodeSeq(first + i);
    MDB_val k{key.size(), key.data()};
    MDB_val v{values[i].size(), const_cast<char*>(values[i].data())};
    int rc = mdb_cursor_put(raw, &k, &v, MDB_APPEND);
    if (rc == MDB_KEYEXIST) rc = mdb_cursor_put(raw, &k, &v, 0); // not the last key: insert
    check(rc, "write");
  }
  trimLog(txn, table, first, first + values.size() - 1, keep);
  return first;
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
  const uint64_t seq = appendToLog(txn, Table::Audit, kAuditCounter, encode(entry), 0);
  indexAuditEntry(txn, seq, entry);
  return seq;
}

void indexAuditEntry(WriteTxn& txn, uint64_t seq, const pb::AuditEntry& entry) {
  txn.put(Table::AuditByKey, joinKey(joinKey(entry.entity(), entry.key()), encodeSeq(seq)), "");
}

std::vector<AuditRecord> listAuditFor(const ReadTxn& txn, std::string_view entity,
                                      std::string_view key, uint64_t before, size_t limit) {
  std::vector<AuditRecord> out;
  const std::string prefix = joinKey(joinKey(entity, key), "");
  Cursor cur(txn, Table::AuditByKey);
  // Newest first: start after the last key of this prefix (or at `before`) and walk back.
  const std::string start = before ? prefix + encodeSeq(before) : prefix + std::string(9, '\xff');
  bool ok = cur.seek(start) ? cur.prev() : cur.last();
  for (; ok && out.size() < limit && cur.key().starts_with(prefix); ok = cur.prev()) {
    const std::string_view seq_bytes = cur.key().substr(prefix.size());
    if (seq_bytes.size() != 8) continue; // a key whose own text holds \0: not this record's
    const uint64_t seq = decodeSeq(seq_bytes);
    if (auto v = txn.get(Table::Audit, encodeSeq(seq)))
      out.push_back({seq, decode<pb::AuditEntry>(*v, "audit")});
  }
  return out;
}

std::vector<AuditRecord> listAudit(const ReadTxn& txn, uint64_t before, size_t limit,
                                   const std::function<bool(const pb::AuditEntry&)>& match) {
  std::vector<AuditRecord> out;
  for (auto& [seq, e] : listLog<pb::AuditEntry>(txn, Table::Audit, before, limit, match))
    out.push_back({seq, std::move(e)});
  return out;
}

} // namespace ispbox::store
