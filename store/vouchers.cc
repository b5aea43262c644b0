// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/vouchers.h"

#include "common/crypto.h"
#include "store/entities.h"
#include "store/logs.h"

namespace ispbox::store {
namespace {

// Draws per code before a batch gives up. With the API's shortest code (6 characters, 2^30
// codes) and a full batch, a draw collides with probability ~1e-5: 32 misses in a row mean the
// space of this prefix is genuinely crowded.
constexpr int kDrawsPerCode = 32;

std::string batchKey(uint64_t id) {
  return encodeSeq(id);
}

std::string batchChangeKey(uint64_t id) {
  return "batch/" + std::to_string(id);
}

void putVoucher(WriteTxn& txn, const pb::Voucher& v) {
  txn.put(Table::Vouchers, v.code(), encode(v));
  recordChange(txn, pb::VOUCHER, v.code(), pb::PUT);
}

} // namespace

std::string randomVoucherCode(size_t n) {
  // The low 5 bits of a uniform byte are uniform over the 32 symbols.
  std::string out = crypto::randomBytes(n);
  for (char& c : out)
    c = kVoucherAlphabet[static_cast<unsigned char>(c) & 31u];
  return out;
}

CreatedBatch createVoucherBatch(WriteTxn& txn, const VoucherBatchSpec& spec, int64_t now) {
  if (spec.count == 0 || spec.count > kMaxVouchersPerBatch)
    throw StoreError(StoreError::Code::Conflict,
                     "a batch holds 1.." + std::to_string(kMaxVouchersPerBatch) + " vouchers");
  if (spec.length == 0) throw StoreError(StoreError::Code::Conflict, "code length is 0");
  if (!txn.get(Table::Plans, spec.plan))
    throw StoreError(StoreError::Code::NotFound, "plan not found: " + spec.plan);
  const bool random_password = spec.password_mode == pb::VOUCHER_PASSWORD_RANDOM;

  CreatedBatch out;
  pb::VoucherBatch& b = out.batch;
  b.set_id(txn.nextSequence("voucher_batch"));
  b.set_prefix(spec.prefix);
  b.set_length(spec.length);
  b.set_count(spec.count);
  b.set_plan(spec.plan);
  b.set_password_mode(random_password ? pb::VOUCHER_PASSWORD_RANDOM
                                      : pb::VOUCHER_PASSWORD_SAME_AS_CODE);
  if (random_password) b.set_password_length(spec.password_length);
  b.set_validity_s(spec.validity_s);
  b.set_time_limit_s(spec.time_limit_s);
  b.set_data_limit_bytes(spec.data_limit_bytes);
  b.set_comment(spec.comment);
  b.set_created_at(now);
  b.set_created_by(spec.created_by);

  out.vouchers.reserve(spec.count);
  const std::string index_prefix = joinKey(batchKey(b.id()), "");
  pb::Voucher v;
  for (uint32_t i = 0; i < spec.count; ++i) {
    std::string code;
    for (int draw = 0;; ++draw) {
      if (draw == kDrawsPerCode)
        throw StoreError(StoreError::Code::Conflict,
                         "no unused code left after " + std::to_string(kDrawsPerCode) +
                             " draws: the codes of prefix '" + spec.prefix + "' and length " +
                             std::to_string(spec.length) + " are too crowded; use a longer length");
      code = spec.prefix + spec.random(spec.length);
      // A code is a User-Name: it may be neither another voucher nor a subscriber. Codes of this
      // batch are already in the table, so they are covered too.
      if (!txn.get(Table::Vouchers, code) && !txn.get(Table::Subscribers, code)) break;
    }
    v.Clear();
    v.set_code(code);
    v.set_batch(b.id());
    v.set_plan(spec.plan);
    if (random_password) v.set_password(spec.random(spec.password_length));
    v.set_validity_s(spec.validity_s);
    v.set_time_limit_s(spec.time_limit_s);
    v.set_data_limit_bytes(spec.data_limit_bytes);
    v.set_state(pb::VOUCHER_UNUSED);
    v.set_created_at(now);
    putVoucher(txn, v);
    txn.put(Table::VouchersByBatch, index_prefix + code, "");
    out.vouchers.push_back(v);
  }
  txn.put(Table::VoucherBatches, batchKey(b.id()), encode(b));
  recordChange(txn, pb::VOUCHER, batchChangeKey(b.id()), pb::PUT);
  return out;
}

bool getVoucher(const ReadTxn& txn, std::string_view code, pb::Voucher* out) {
  auto v = txn.get(Table::Vouchers, code);
  if (!v) return false;
  if (!decodeInto(*v, out))
    throw StoreError(StoreError::Code::Corrupt, "cannot decode voucher " + std::string(code));
  return true;
}

std::optional<pb::Voucher> getVoucher(const ReadTxn& txn, std::string_view code) {
  pb::Voucher v;
  if (!getVoucher(txn, code, &v)) return std::nullopt;
  return v;
}

std::optional<pb::VoucherBatch> getVoucherBatch(const ReadTxn& txn, uint64_t id) {
  auto v = txn.get(Table::VoucherBatches, batchKey(id));
  if (!v) return std::nullopt;
  return decode<pb::VoucherBatch>(*v, "voucher batch");
}

void forEachVoucherInBatch(const ReadTxn& txn, uint64_t batch, std::string_view after,
                           const std::function<bool(std::string_view code)>& fn) {
  const std::string prefix = joinKey(batchKey(batch), "");
  Cursor cur(txn, Table::VouchersByBatch);
  for (bool ok = cur.seekAfter(prefix + std::string(after)); ok; ok = cur.next()) {
    if (!cur.key().starts_with(prefix)) break;
    if (!fn(cur.key().substr(prefix.size()))) break;
  }
}

bool planHasVoucherBatches(const ReadTxn& txn, std::string_view plan) {
  // Batches are few (an ISP prints a handful a month): a scan is cheaper than another index.
  bool found = false;
  forEachRecord<pb::VoucherBatch>(txn, Table::VoucherBatches, "",
                                  [&](std::string_view, pb::VoucherBatch& b) {
                                    found = b.plan() == plan;
                                    return !found;
                                  });
  return found;
}

bool activateVoucher(WriteTxn& txn, std::string_view code, int64_t now) {
  pb::Voucher v;
  if (!getVoucher(txn, code, &v)) return false;
  // Inside the write transaction: of two first logins racing, the second sees the first's mark.
  if (v.state() != pb::VOUCHER_UNUSED || v.first_used_at() != 0) return false;
  v.set_state(pb::VOUCHER_ACTIVE);
  v.set_first_used_at(now);
  if (v.validity_s() != 0) v.set_expires_at(now + static_cast<int64_t>(v.validity_s()));
  putVoucher(txn, v);
  return true;
}

bool revokeVoucher(WriteTxn& txn, std::string_view code, int64_t now) {
  pb::Voucher v;
  if (!getVoucher(txn, code, &v) || v.state() == pb::VOUCHER_REVOKED) return false;
  v.set_state(pb::VOUCHER_REVOKED);
  v.set_revoked_at(now);
  putVoucher(txn, v);
  return true;
}

bool deleteVoucher(WriteTxn& txn, std::string_view code) {
  pb::Voucher v;
  if (!getVoucher(txn, code, &v)) return false;
  txn.erase(Table::VouchersByBatch, joinKey(batchKey(v.batch()), code));
  txn.erase(Table::Vouchers, code);
  std::vector<std::string> rows;
  {
    const std::string prefix = joinKey(code, "");
    Cursor cur(txn, Table::Usage);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
      rows.emplace_back(cur.key());
  }
  for (const auto& k : rows)
    txn.erase(Table::Usage, k);
  recordChange(txn, pb::VOUCHER, code, pb::DELETE);
  return true;
}

bool deleteVoucherBatch(WriteTxn& txn, uint64_t id, int64_t now) {
  if (!getVoucherBatch(txn, id)) return false;
  std::vector<std::string> codes;
  forEachVoucherInBatch(txn, id, "", [&](std::string_view code) {
    codes.emplace_back(code);
    return true;
  });
  pb::Voucher v;
  for (const auto& code : codes) {
    if (getVoucher(txn, code, &v) &&
        voucherStatus(v, voucherUsage(txn, code), now) == VoucherStatus::Active)
      throw StoreError(StoreError::Code::Conflict,
                       "voucher " + code + " of batch " + std::to_string(id) +
                           " is in use: revoke the batch, or wait until its vouchers run out");
  }
  for (const auto& code : codes)
    deleteVoucher(txn, code);
  txn.erase(Table::VoucherBatches, batchKey(id));
  recordChange(txn, pb::VOUCHER, batchChangeKey(id), pb::DELETE);
  return true;
}

size_t revokeVoucherBatch(WriteTxn& txn, uint64_t id, int64_t now) {
  std::vector<std::string> codes;
  forEachVoucherInBatch(txn, id, "", [&](std::string_view code) {
    codes.emplace_back(code);
    return true;
  });
  size_t n = 0;
  for (const auto& code : codes)
    n += revokeVoucher(txn, code, now) ? 1 : 0;
  return n;
}

VoucherUsage voucherUsage(const ReadTxn& txn, std::string_view code) {
  VoucherUsage u;
  const std::string prefix = joinKey(code, "m");
  Cursor cur(txn, Table::Usage);
  pb::Usage row;
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    if (!decodeInto(cur.value(), &row)) throw StoreError(StoreError::Code::Corrupt, "usage");
    u.input_octets += row.input_octets();
    u.output_octets += row.output_octets();
    u.session_time += row.session_time();
  }
  return u;
}

VoucherStatus voucherStatus(const pb::Voucher& v, const VoucherUsage& used, int64_t now) {
  if (v.state() == pb::VOUCHER_REVOKED) return VoucherStatus::Revoked;
  if (v.first_used_at() == 0) return VoucherStatus::Unused;
  if (v.expires_at() != 0 && now >= v.expires_at()) return VoucherStatus::Expired;
  if (v.time_limit_s() != 0 && used.session_time >= v.time_limit_s())
    return VoucherStatus::TimeUsedUp;
  if (v.data_limit_bytes() != 0 && used.total() >= v.data_limit_bytes())
    return VoucherStatus::DataUsedUp;
  return VoucherStatus::Active;
}

std::string_view voucherStateName(VoucherStatus s) {
  switch (s) {
  case VoucherStatus::Unused:
    return "unused";
  case VoucherStatus::Active:
    return "active";
  case VoucherStatus::Expired:
    return "expired";
  case VoucherStatus::TimeUsedUp:
  case VoucherStatus::DataUsedUp:
    return "exhausted";
  case VoucherStatus::Revoked:
    break;
  }
  return "revoked";
}

} // namespace ispbox::store
