// SPDX-License-Identifier: GPL-2.0-or-later
// Vouchers: prepaid access codes for hotspot and PPPoE, generated in batches. A voucher is its
// code (the RADIUS User-Name), a plan and its limits: validity counted from the first use, online
// time and data. Codes come from the CSPRNG over an alphabet without look-alikes, and never equal
// another voucher's code or a subscriber's username (both are User-Names to rlm_isp).
//
// Usage is not kept here: accounting adds it to the Usage table under the code like any
// username (store/sessions.h), and what a voucher has used is the sum of its monthly rows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

// Upper-case letters and digits without 0/O, 1/I (and no lower case, so no l): 32 symbols, so
// each is exactly 5 random bits and the codes carry no modulo bias.
inline constexpr std::string_view kVoucherAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
// n characters of kVoucherAlphabet from the kernel's CSPRNG (OpenSSL RAND_bytes).
std::string randomVoucherCode(size_t n);

inline constexpr uint32_t kMaxVouchersPerBatch = 10000;

struct VoucherBatchSpec {
  std::string prefix;
  uint32_t length = 10; // random characters after the prefix
  uint32_t count = 0;
  std::string plan;
  pb::VoucherPasswordMode password_mode = pb::VOUCHER_PASSWORD_SAME_AS_CODE;
  uint32_t password_length = 8;
  uint64_t validity_s = 0;
  uint64_t time_limit_s = 0;
  uint64_t data_limit_bytes = 0;
  std::string comment;
  std::string created_by;
  // The source of random characters: the CSPRNG. A seam for tests that must force collisions.
  std::function<std::string(size_t)> random = randomVoucherCode;
};

struct CreatedBatch {
  pb::VoucherBatch batch;
  std::vector<pb::Voucher> vouchers; // in the order they were generated
};

// Generates a batch and all its vouchers in the caller's transaction (one commit for the lot).
// NotFound for an unknown plan; Conflict when unique codes cannot be found (the code space of
// this prefix and length is too crowded: use a longer length).
CreatedBatch createVoucherBatch(WriteTxn& txn, const VoucherBatchSpec& spec, int64_t now);

bool getVoucher(const ReadTxn& txn, std::string_view code, pb::Voucher* out);
std::optional<pb::Voucher> getVoucher(const ReadTxn& txn, std::string_view code);
std::optional<pb::VoucherBatch> getVoucherBatch(const ReadTxn& txn, uint64_t id);
// Codes of a batch in order, after `after`, until fn returns false.
void forEachVoucherInBatch(const ReadTxn& txn, uint64_t batch, std::string_view after,
                           const std::function<bool(std::string_view code)>& fn);
// True when a voucher batch sells this plan (the plan cannot be deleted then).
bool planHasVoucherBatches(const ReadTxn& txn, std::string_view plan);

// The first accepted login: sets first_used_at and expires_at once. False when the voucher was
// already active (another login won the race) or does not exist or is revoked.
bool activateVoucher(WriteTxn& txn, std::string_view code, int64_t now);
// False when there is no such voucher or it was already revoked.
bool revokeVoucher(WriteTxn& txn, std::string_view code, int64_t now);
// Removes the voucher, its index entry and its usage rows (so a later voucher that happened to
// draw the same code starts from nothing). False when there was none.
bool deleteVoucher(WriteTxn& txn, std::string_view code);
// Removes a batch with all its vouchers. Conflict while one of them is active (in use and neither
// expired, used up nor revoked). False when there is no such batch.
bool deleteVoucherBatch(WriteTxn& txn, uint64_t id, int64_t now);
// Revokes every voucher of the batch that is not revoked yet; returns how many.
size_t revokeVoucherBatch(WriteTxn& txn, uint64_t id, int64_t now);

struct VoucherUsage {
  uint64_t input_octets = 0;
  uint64_t output_octets = 0;
  uint64_t session_time = 0;
  uint64_t total() const { return input_octets + output_octets; }
};
// The sum of the code's monthly usage rows.
VoucherUsage voucherUsage(const ReadTxn& txn, std::string_view code);

enum class VoucherStatus { Unused, Active, Expired, TimeUsedUp, DataUsedUp, Revoked };
VoucherStatus voucherStatus(const pb::Voucher& v, const VoucherUsage& used, int64_t now);
// "unused", "active", "expired", "exhausted" (time or data used up), "revoked".
std::string_view voucherStateName(VoucherStatus s);

} // namespace ispbox::store
