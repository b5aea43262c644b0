// SPDX-License-Identifier: GPL-2.0-or-later
// IPv4 address pools managed by ispbox and their leases. A lease is taken at Access-Accept
// (sticky: a subscriber gets its previous address when it is free), confirmed by
// Accounting-Start and released at Stop. One address is never leased to two live sessions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

std::optional<pb::Pool> getPool(const ReadTxn& txn, std::string_view name);
// Conflict when a range overlaps another pool's.
void putPool(WriteTxn& txn, const pb::Pool& pool);
// Conflict while any address of the pool is live: leased to a session, or offered in an
// Access-Accept whose Accounting-Start has not come yet.
bool deletePool(WriteTxn& txn, std::string_view name, int64_t now);
uint64_t poolSize(const pb::Pool& pool);

// Takes an address for username from pool: the subscriber's sticky address if it is free, else
// the lowest free one. An OFFERED lease not confirmed within offer_ttl_s is free again.
// Returns nullopt when the pool is exhausted.
std::optional<std::string> allocateLease(WriteTxn& txn, std::string_view pool,
                                         std::string_view username, int64_t now,
                                         int64_t offer_ttl_s);
// Accounting-Start: the lease of (pool, ip) becomes ACTIVE for session_key.
void confirmLease(WriteTxn& txn, std::string_view pool, std::string_view ip,
                  std::string_view session_key, int64_t now);
void releaseLease(WriteTxn& txn, std::string_view pool, std::string_view ip, int64_t now);
// True when username holds an address that was offered and not yet confirmed.
bool hasOfferedLease(const ReadTxn& txn, std::string_view username);
// Access-Reject after the address was offered (a wrong password: pap runs after authorize):
// frees the offers, so failed logins cannot drain a pool. Returns how many were freed.
size_t releaseOfferedLeases(WriteTxn& txn, std::string_view username, int64_t now);

struct LeaseView {
  pb::Lease lease;
  bool live; // ACTIVE, or OFFERED and not expired
};
std::vector<LeaseView> listLeases(const ReadTxn& txn, std::string_view pool, int64_t now);

// IPv4 text <-> host-order integer.
std::optional<uint32_t> parseIpv4(std::string_view text);
std::string formatIpv4(uint32_t addr);

} // namespace ispbox::store
