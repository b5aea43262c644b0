// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/entities.h"

#include "common/crypto.h"
#include "common/time_util.h"
#include "store/logs.h"
#include "store/vouchers.h"

namespace ispbox::store {
namespace {

// Shared create/replace rule for keyed records.
void checkMode(const ReadTxn& txn, Table table, std::string_view key, WriteMode mode,
               std::string_view what) {
  const bool exists = txn.get(table, key).has_value();
  if (mode == WriteMode::Create && exists)
    throw StoreError(StoreError::Code::Conflict,
                     std::string(what) + " exists: " + std::string(key));
  if (mode == WriteMode::Replace && !exists)
    throw StoreError(StoreError::Code::NotFound,
                     std::string(what) + " not found: " + std::string(key));
}

} // namespace

// ---- plans ----

std::optional<pb::Plan> getPlan(const ReadTxn& txn, std::string_view name) {
  auto v = txn.get(Table::Plans, name);
  if (!v) return std::nullopt;
  return decode<pb::Plan>(*v, "plan");
}

void putPlan(WriteTxn& txn, const pb::Plan& plan, WriteMode mode) {
  checkMode(txn, Table::Plans, plan.name(), mode, "plan");
  txn.put(Table::Plans, plan.name(), encode(plan));
  recordChange(txn, pb::PLAN, plan.name(), pb::PUT);
}

uint64_t countSubscribersOnPlan(const ReadTxn& txn, std::string_view plan, uint64_t stop_at) {
  uint64_t n = 0;
  forEachSubscriberOnPlan(txn, plan, "", [&](std::string_view) { return ++n < stop_at; });
  return n;
}

bool deletePlan(WriteTxn& txn, std::string_view name) {
  if (!txn.get(Table::Plans, name)) return false;
  if (countSubscribersOnPlan(txn, name, 1) > 0)
    throw StoreError(StoreError::Code::Conflict,
                     "plan " + std::string(name) + " still has subscribers");
  if (planHasVoucherBatches(txn, name))
    throw StoreError(StoreError::Code::Conflict,
                     "plan " + std::string(name) + " still has voucher batches");
  txn.erase(Table::Plans, name);
  recordChange(txn, pb::PLAN, name, pb::DELETE);
  return true;
}

// ---- subscribers ----

bool getSubscriber(const ReadTxn& txn, std::string_view username, pb::Subscriber* out) {
  auto v = txn.get(Table::Subscribers, username);
  if (!v) return false;
  if (!decodeInto(*v, out))
    throw StoreError(StoreError::Code::Corrupt,
                     "cannot decode subscriber " + std::string(username));
  return true;
}

std::optional<pb::Subscriber> getSubscriber(const ReadTxn& txn, std::string_view username) {
  pb::Subscriber s;
  if (!getSubscriber(txn, username, &s)) return std::nullopt;
  return s;
}

void putSubscriber(WriteTxn& txn, const pb::Subscriber& sub, WriteMode mode) {
  auto old = getSubscriber(txn, sub.username());
  if (mode == WriteMode::Create && old)
    throw StoreError(StoreError::Code::Conflict, "subscriber exists: " + sub.username());
  if (mode == WriteMode::Replace && !old)
    throw StoreError(StoreError::Code::NotFound, "subscriber not found: " + sub.username());
  // Both are RADIUS User-Names: a subscriber must not shadow a voucher's code.
  if (!old && txn.get(Table::Vouchers, sub.username()))
    throw StoreError(StoreError::Code::Conflict,
                     "username " + sub.username() + " is a voucher code");
  if (!sub.plan().empty() && !txn.get(Table::Plans, sub.plan()))
    throw StoreError(StoreError::Code::NotFound, "plan not found: " + sub.plan());
  if (!sub.static_ip().empty()) {
    if (auto owner = txn.get(Table::SubscribersByIp, sub.static_ip());
        owner && *owner != sub.username())
      throw StoreError(StoreError::Code::Conflict, "static IP " + sub.static_ip() +
                                                       " already belongs to " +
                                                       std::string(*owner));
  }
  if (old && old->plan() != sub.plan())
    txn.erase(Table::SubscribersByPlan, joinKey(old->plan(), sub.username()));
  if (old && !old->static_ip().empty() && old->static_ip() != sub.static_ip())
    txn.erase(Table::SubscribersByIp, old->static_ip());
  if (!sub.static_ip().empty()) txn.put(Table::SubscribersByIp, sub.static_ip(), sub.username());
  txn.put(Table::SubscribersByPlan, joinKey(sub.plan(), sub.username()), "");
  txn.put(Table::Subscribers, sub.username(), encode(sub));
  recordChange(txn, pb::SUBSCRIBER, sub.username(), pb::PUT);
}

bool deleteSubscriber(WriteTxn& txn, std::string_view username) {
  auto old = getSubscriber(txn, username);
  if (!old) return false;
  txn.erase(Table::SubscribersByPlan, joinKey(old->plan(), username));
  if (!old->static_ip().empty()) txn.erase(Table::SubscribersByIp, old->static_ip());
  txn.erase(Table::Subscribers, username);
  recordChange(txn, pb::SUBSCRIBER, username, pb::DELETE);
  return true;
}

void forEachSubscriberOnPlan(const ReadTxn& txn, std::string_view plan, std::string_view after,
                             const std::function<bool(std::string_view username)>& fn) {
  const std::string prefix = joinKey(plan, "");
  Cursor cur(txn, Table::SubscribersByPlan);
  for (bool ok = cur.seekAfter(joinKey(plan, after)); ok; ok = cur.next()) {
    if (!cur.key().starts_with(prefix)) break;
    if (!fn(cur.key().substr(prefix.size()))) break;
  }
}

// ---- NAS clients ----

std::optional<pb::Nas> getNas(const ReadTxn& txn, std::string_view name) {
  auto v = txn.get(Table::Nas, name);
  if (!v) return std::nullopt;
  return decode<pb::Nas>(*v, "nas");
}

std::optional<pb::Nas> getNasByIp(const ReadTxn& txn, std::string_view ip) {
  auto name = txn.get(Table::NasByIp, ip);
  if (!name) return std::nullopt;
  return getNas(txn, *name);
}

void putNas(WriteTxn& txn, const pb::Nas& nas, WriteMode mode) {
  checkMode(txn, Table::Nas, nas.name(), mode, "nas");
  if (auto owner = txn.get(Table::NasByIp, nas.ip()); owner && *owner != nas.name())
    throw StoreError(StoreError::Code::Conflict,
                     "IP " + nas.ip() + " already belongs to NAS " + std::string(*owner));
  if (auto old = getNas(txn, nas.name()); old && old->ip() != nas.ip())
    txn.erase(Table::NasByIp, old->ip());
  txn.put(Table::NasByIp, nas.ip(), nas.name());
  txn.put(Table::Nas, nas.name(), encode(nas));
  recordChange(txn, pb::NAS, nas.name(), pb::PUT);
}

bool deleteNas(WriteTxn& txn, std::string_view name) {
  auto old = getNas(txn, name);
  if (!old) return false;
  txn.erase(Table::NasByIp, old->ip());
  txn.erase(Table::Nas, name);
  recordChange(txn, pb::NAS, name, pb::DELETE);
  deleteNasStatus(txn, name);
  return true;
}

std::optional<pb::NasStatus> getNasStatus(const ReadTxn& txn, std::string_view name) {
  auto v = txn.get(Table::NasStatus, name);
  if (!v) return std::nullopt;
  return decode<pb::NasStatus>(*v, "nas status");
}

void putNasStatus(WriteTxn& txn, const pb::NasStatus& status) {
  txn.put(Table::NasStatus, status.name(), encode(status));
  recordChange(txn, pb::NAS_STATUS, status.name(), pb::PUT);
}

bool deleteNasStatus(WriteTxn& txn, std::string_view name) {
  if (!txn.erase(Table::NasStatus, name)) return false;
  recordChange(txn, pb::NAS_STATUS, name, pb::DELETE);
  return true;
}

// ---- API tokens ----

NewToken createToken(WriteTxn& txn, pb::ApiToken token) {
  NewToken out;
  out.secret = "ispbox_" + crypto::randomHex(24);
  token.set_id(crypto::randomHex(6));
  token.set_created_at(timeutil::nowSeconds());
  txn.insert(Table::Tokens, crypto::sha256Hex(out.secret), encode(token));
  recordChange(txn, pb::TOKEN, token.id(), pb::PUT);
  out.token = std::move(token);
  return out;
}

std::optional<pb::ApiToken> findTokenBySecret(const ReadTxn& txn, std::string_view secret) {
  // Only the hash is a key, so a lookup reveals nothing about other tokens' secrets.
  auto v = txn.get(Table::Tokens, crypto::sha256Hex(secret));
  if (!v) return std::nullopt;
  return decode<pb::ApiToken>(*v, "token");
}

std::vector<pb::ApiToken> listTokens(const ReadTxn& txn) {
  std::vector<pb::ApiToken> out;
  forEachRecord<pb::ApiToken>(txn, Table::Tokens, "", [&](std::string_view, pb::ApiToken& t) {
    out.push_back(t);
    return true;
  });
  return out;
}

bool revokeToken(WriteTxn& txn, std::string_view id) {
  std::string hash;
  forEachRecord<pb::ApiToken>(txn, Table::Tokens, "", [&](std::string_view key, pb::ApiToken& t) {
    if (t.id() != id) return true;
    hash = key;
    return false;
  });
  if (hash.empty()) return false;
  txn.erase(Table::Tokens, hash);
  recordChange(txn, pb::TOKEN, id, pb::DELETE);
  return true;
}

} // namespace ispbox::store
