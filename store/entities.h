// SPDX-License-Identifier: GPL-2.0-or-later
// Typed access to the records the network needs: plans, subscribers, NAS clients and API tokens.
// Every write records a change-log entry in the same transaction and keeps the secondary indexes
// (subscribers by plan, NAS by IP) consistent. Callers own the transaction and the audit entry.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

enum class WriteMode { Create, Replace };

// ---- plans ----
std::optional<pb::Plan> getPlan(const ReadTxn& txn, std::string_view name);
// Create fails with Conflict when the name exists; Replace requires that it exists (NotFound).
void putPlan(WriteTxn& txn, const pb::Plan& plan, WriteMode mode);
// Fails with Conflict while subscribers are on the plan. False when there was no such plan.
bool deletePlan(WriteTxn& txn, std::string_view name);
uint64_t countSubscribersOnPlan(const ReadTxn& txn, std::string_view plan, uint64_t stop_at);

// ---- subscribers ----
// The hot path (RADIUS authorize): decodes into *out, reusing its storage.
bool getSubscriber(const ReadTxn& txn, std::string_view username, pb::Subscriber* out);
std::optional<pb::Subscriber> getSubscriber(const ReadTxn& txn, std::string_view username);
// Conflict when the static IP belongs to another subscriber; NotFound for an unknown plan.
void putSubscriber(WriteTxn& txn, const pb::Subscriber& sub, WriteMode mode);
bool deleteSubscriber(WriteTxn& txn, std::string_view username);
// Usernames on a plan, in order, after `after`; calls fn until it returns false.
void forEachSubscriberOnPlan(const ReadTxn& txn, std::string_view plan, std::string_view after,
                             const std::function<bool(std::string_view username)>& fn);

// ---- NAS clients ----
std::optional<pb::Nas> getNas(const ReadTxn& txn, std::string_view name);
std::optional<pb::Nas> getNasByIp(const ReadTxn& txn, std::string_view ip);
// Conflict when another NAS has the same IP.
void putNas(WriteTxn& txn, const pb::Nas& nas, WriteMode mode);
// Also forgets the NAS's reachability status.
bool deleteNas(WriteTxn& txn, std::string_view name);
// Reachability as ispboxd's NAS probe last wrote it (schema 4); records a NAS_STATUS change.
std::optional<pb::NasStatus> getNasStatus(const ReadTxn& txn, std::string_view name);
void putNasStatus(WriteTxn& txn, const pb::NasStatus& status);
bool deleteNasStatus(WriteTxn& txn, std::string_view name);

// ---- API tokens (only a SHA-256 of the secret is stored) ----
struct NewToken {
  std::string secret; // shown once, never stored
  pb::ApiToken token;
};
// Fills id and created_at; returns the secret.
NewToken createToken(WriteTxn& txn, pb::ApiToken token);
std::optional<pb::ApiToken> findTokenBySecret(const ReadTxn& txn, std::string_view secret);
std::vector<pb::ApiToken> listTokens(const ReadTxn& txn);
bool revokeToken(WriteTxn& txn, std::string_view id);

// ---- generic ordered listing ----
// Decodes records of `table` in key order after `after`, calling fn(key, record) until it returns
// false. Used for paging through the API.
template <class Msg>
void forEachRecord(const ReadTxn& txn, Table table, std::string_view after,
                   const std::function<bool(std::string_view, Msg&)>& fn) {
  Cursor cur(txn, table);
  Msg msg;
  for (bool ok = cur.seekAfter(after); ok; ok = cur.next()) {
    if (!decodeInto(cur.value(), &msg))
      throw StoreError(StoreError::Code::Corrupt,
                       std::string(tableName(table)) + ": cannot decode " + std::string(cur.key()));
    if (!fn(cur.key(), msg)) break;
  }
}

} // namespace ispbox::store
