// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/sessions.h"

#include <ctime>

#include "common/crypto.h"
#include "store/logs.h"
#include "store/pools.h"

namespace ispbox::store {
namespace {

constexpr std::string_view kHistoryCounter = "session_history";
constexpr std::string_view kPostAuthCounter = "postauth";
constexpr uint64_t kHistoryKeep = 1000000;

tm localTime(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  tm local{};
  localtime_r(&tt, &local);
  return local;
}

} // namespace

std::string sessionKey(std::string_view nas_ip, std::string_view acct_session_id) {
  // LMDB keys hold at most 511 bytes, and this key is also part of an index key after a
  // username of up to 253: a (never seen in practice) longer session id is keyed by its hash.
  constexpr size_t kMaxIdInKey = 200;
  if (acct_session_id.size() <= kMaxIdInKey) return joinKey(nas_ip, acct_session_id);
  return joinKey(nas_ip, "#sha256:" + crypto::sha256Hex(acct_session_id));
}

std::optional<pb::Session> getSession(const ReadTxn& txn, std::string_view key) {
  auto v = txn.get(Table::Sessions, key);
  if (!v) return std::nullopt;
  return decode<pb::Session>(*v, "session");
}

namespace {
// A session not known to be indexed may be: a read is cheaper than rewriting its page.
void indexSession(WriteTxn& txn, std::string_view key, const pb::Session& s) {
  const std::string index = joinKey(s.username(), key);
  if (!txn.get(Table::SessionsByUser, index)) txn.put(Table::SessionsByUser, index, "");
}
} // namespace

void putSession(WriteTxn& txn, std::string_view key, const pb::Session& s) {
  txn.put(Table::Sessions, key, encode(s));
  indexSession(txn, key, s);
}

bool findSession(WriteCursor& cur, std::string_view key, pb::Session* out) {
  const auto v = cur.find(key);
  if (!v) return false;
  if (!decodeInto(*v, out)) throw StoreError(StoreError::Code::Corrupt, "cannot decode session");
  return true;
}

void putSession(WriteTxn& txn, WriteCursor& cur, const pb::Session& s, bool indexed) {
  thread_local std::string bytes; // its capacity is kept from packet to packet
  encodeInto(s, &bytes);
  cur.put(bytes);
  if (!indexed) indexSession(txn, cur.key(), s);
}

bool closeSession(WriteTxn& txn, std::string_view key, std::string_view cause, int64_t now) {
  auto s = getSession(txn, key);
  if (!s || s->state() == pb::SESSION_CLOSED) return false;
  txn.erase(Table::SessionsByUser, joinKey(s->username(), key));
  if (!s->pool().empty() && !s->framed_ip().empty())
    releaseLease(txn, s->pool(), s->framed_ip(), now);
  s->set_state(pb::SESSION_CLOSED);
  s->set_stopped_at(now);
  if (s->terminate_cause().empty()) s->set_terminate_cause(std::string(cause));
  // The closed record stays under its key for a while, so a duplicated Stop or a late
  // Interim-Update for it is recognised and counts nothing.
  txn.put(Table::Sessions, key, encode(*s));
  appendToLog(txn, Table::SessionHistory, kHistoryCounter, encode(*s), kHistoryKeep);
  return true;
}

size_t purgeClosedSessions(WriteTxn& txn, int64_t closed_before) {
  std::vector<std::string> keys;
  {
    Cursor cur(txn, Table::Sessions);
    pb::Session s;
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      if (!decodeInto(cur.value(), &s)) throw StoreError(StoreError::Code::Corrupt, "session");
      if (s.state() == pb::SESSION_CLOSED && s.stopped_at() < closed_before)
        keys.emplace_back(cur.key());
    }
  }
  for (const auto& k : keys)
    txn.erase(Table::Sessions, k);
  return keys.size();
}

std::vector<KeyedSession> liveSessionsOf(const ReadTxn& txn, std::string_view username) {
  std::vector<KeyedSession> out;
  const std::string prefix = joinKey(username, "");
  Cursor cur(txn, Table::SessionsByUser);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    const std::string_view key = cur.key().substr(prefix.size());
    if (auto s = getSession(txn, key)) out.push_back({std::string(key), std::move(*s)});
  }
  return out;
}

size_t countLiveSessionsOf(const ReadTxn& txn, std::string_view username) {
  size_t n = 0;
  const std::string prefix = joinKey(username, "");
  Cursor cur(txn, Table::SessionsByUser);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
    ++n;
  return n;
}

void forEachLiveSession(const ReadTxn& txn, std::string_view after,
                        const std::function<bool(std::string_view key, pb::Session&)>& fn) {
  Cursor cur(txn, Table::Sessions);
  pb::Session s;
  for (bool ok = cur.seekAfter(after); ok; ok = cur.next()) {
    if (!decodeInto(cur.value(), &s)) throw StoreError(StoreError::Code::Corrupt, "session");
    if (s.state() == pb::SESSION_CLOSED) continue;
    if (!fn(cur.key(), s)) break;
  }
}

size_t closeNasSessions(WriteTxn& txn, std::string_view nas_ip, std::string_view cause,
                        int64_t now) {
  std::vector<std::string> keys;
  const std::string prefix = joinKey(nas_ip, "");
  {
    Cursor cur(txn, Table::Sessions);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
      keys.emplace_back(cur.key());
  }
  size_t closed = 0;
  for (const auto& k : keys)
    closed += closeSession(txn, k, cause, now) ? 1 : 0;
  return closed;
}

bool isStale(const pb::Session& s, int64_t now, unsigned misses, uint32_t fallback_s) {
  const int64_t interval = s.interim_interval_s() ? s.interim_interval_s() : fallback_s;
  return now - s.updated_at() > interval * static_cast<int64_t>(misses);
}

size_t closeStaleSessions(WriteTxn& txn, int64_t now, unsigned misses, uint32_t fallback_s) {
  std::vector<std::string> keys;
  forEachLiveSession(txn, "", [&](std::string_view key, pb::Session& s) {
    if (isStale(s, now, misses, fallback_s)) keys.emplace_back(key);
    return true;
  });
  for (const auto& k : keys)
    closeSession(txn, k, "stale", now);
  return keys.size();
}

SessionSweep sweepSessions(WriteTxn& txn, int64_t now, unsigned misses, uint32_t fallback_s,
                           int64_t keep_closed_s) {
  SessionSweep sweep;
  sweep.stale_closed = closeStaleSessions(txn, now, misses, fallback_s);
  sweep.purged = purgeClosedSessions(txn, now - keep_closed_s);
  return sweep;
}

std::vector<std::pair<uint64_t, pb::Session>>
listSessionHistory(const ReadTxn& txn, uint64_t before, size_t limit,
                   const std::function<bool(const pb::Session&)>& match) {
  return listLog<pb::Session>(txn, Table::SessionHistory, before, limit, match);
}

std::string dayPeriod(int64_t t) {
  const tm local = localTime(t);
  char buf[16];
  strftime(buf, sizeof buf, "%Y%m%d", &local);
  return buf;
}

std::string monthPeriod(int64_t t) {
  const tm local = localTime(t);
  char buf[16];
  strftime(buf, sizeof buf, "%Y%m", &local);
  return buf;
}

void addUsage(WriteTxn& txn, std::string_view username, int64_t at, uint64_t input, uint64_t output,
              uint64_t seconds) {
  addUsage(txn, username, "d" + dayPeriod(at), "m" + monthPeriod(at), input, output, seconds);
}

void addUsage(WriteTxn& txn, std::string_view username, std::string_view day_key,
              std::string_view month_key, uint64_t input, uint64_t output, uint64_t seconds) {
  // One cursor for both: a subscriber's month record is usually on the page of its day record,
  // which the first update has already copied.
  WriteCursor cur(txn, Table::Usage);
  pb::Usage u;
  std::string key, value;
  for (const std::string_view p : {day_key, month_key}) {
    key = joinKey(username, p);
    u.Clear();
    const auto v = cur.find(key);
    if (v && !decodeInto(*v, &u))
      throw StoreError(StoreError::Code::Corrupt, "cannot decode usage");
    u.set_input_octets(u.input_octets() + input);
    u.set_output_octets(u.output_octets() + output);
    u.set_session_time(u.session_time() + seconds);
    encodeInto(u, &value);
    cur.put(value);
  }
}

pb::Usage getUsage(const ReadTxn& txn, std::string_view username, std::string_view period_key) {
  auto v = txn.get(Table::Usage, joinKey(username, period_key));
  return v ? decode<pb::Usage>(*v, "usage") : pb::Usage{};
}

std::vector<std::pair<std::string, pb::Usage>> listUsage(const ReadTxn& txn,
                                                         std::string_view username, char kind) {
  std::vector<std::pair<std::string, pb::Usage>> out;
  const std::string prefix = joinKey(username, std::string(1, kind));
  Cursor cur(txn, Table::Usage);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
    out.emplace_back(std::string(cur.key().substr(prefix.size())),
                     decode<pb::Usage>(cur.value(), "usage"));
  return out;
}

void appendPostAuth(WriteTxn& txn, const pb::PostAuth& entry, uint64_t keep) {
  appendToLog(txn, Table::PostAuthLog, kPostAuthCounter, encode(entry), keep);
}

void appendPostAuthRecords(WriteTxn& txn, const std::vector<std::string_view>& records,
                           uint64_t keep) {
  appendToLog(txn, Table::PostAuthLog, kPostAuthCounter, records, keep);
}

std::vector<std::pair<uint64_t, pb::PostAuth>>
listPostAuth(const ReadTxn& txn, uint64_t before, size_t limit,
             const std::function<bool(const pb::PostAuth&)>& match) {
  return listLog<pb::PostAuth>(txn, Table::PostAuthLog, before, limit, match);
}

} // namespace ispbox::store
