// SPDX-License-Identifier: GPL-2.0-or-later
// Live and closed sessions, per-subscriber usage counters and the post-auth log: the state
// RADIUS accounting writes. Live sessions are keyed by NAS and Acct-Session-Id (unique per NAS);
// closing one moves it to the bounded history.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

std::string sessionKey(std::string_view nas_ip, std::string_view acct_session_id);

std::optional<pb::Session> getSession(const ReadTxn& txn, std::string_view key);
// Writes a live session and its index entry.
void putSession(WriteTxn& txn, std::string_view key, const pb::Session& session);
// The same through a cursor (accounting's read-modify-write): findSession decodes the session at
// key into *out and leaves cur there; putSession replaces it without searching again (or inserts
// it at that key when findSession found none). indexed: findSession found this live session, so
// its index entry exists and is not looked up.
bool findSession(WriteCursor& cur, std::string_view key, pb::Session* out);
void putSession(WriteTxn& txn, WriteCursor& cur, const pb::Session& session, bool indexed);
// Ends a live session: stamps it, copies it to the history, frees its lease. The closed record
// stays (state CLOSED) until purged, so duplicates of its last packets are recognised.
// False when there was no live session under key.
bool closeSession(WriteTxn& txn, std::string_view key, std::string_view cause, int64_t now);
// Forgets closed sessions stopped before the given time.
size_t purgeClosedSessions(WriteTxn& txn, int64_t closed_before);

struct KeyedSession {
  std::string key;
  pb::Session session;
};
std::vector<KeyedSession> liveSessionsOf(const ReadTxn& txn, std::string_view username);
size_t countLiveSessionsOf(const ReadTxn& txn, std::string_view username);
// Every live (not closed) session in key order (by NAS), after `after`, until fn returns false.
void forEachLiveSession(const ReadTxn& txn, std::string_view after,
                        const std::function<bool(std::string_view key, pb::Session&)>& fn);
// Closes every live session of a NAS (Accounting-On/Off). Returns how many.
size_t closeNasSessions(WriteTxn& txn, std::string_view nas_ip, std::string_view cause,
                        int64_t now);
// A session is stale when nothing was heard for `misses` interim intervals (or `fallback_s`
// when the session has none). Returns how many were closed.
bool isStale(const pb::Session& s, int64_t now, unsigned misses, uint32_t fallback_s);
size_t closeStaleSessions(WriteTxn& txn, int64_t now, unsigned misses, uint32_t fallback_s);

struct SessionSweep {
  size_t stale_closed = 0;
  size_t purged = 0;
};
// Periodic upkeep (ispboxd and rlm_isp both run it; it is idempotent): closes stale sessions and
// forgets closed ones older than keep_closed_s.
SessionSweep sweepSessions(WriteTxn& txn, int64_t now, unsigned misses, uint32_t fallback_s,
                           int64_t keep_closed_s);

// Closed sessions, newest first, with seq < before (0 = newest).
std::vector<std::pair<uint64_t, pb::Session>>
listSessionHistory(const ReadTxn& txn, uint64_t before, size_t limit,
                   const std::function<bool(const pb::Session&)>& match);

// ---- usage ----
// Local calendar day and month of a Unix time ("20261121", "202611"): quotas reset at the ISP's
// midnight, so the process time zone (TZ) decides.
std::string dayPeriod(int64_t unix_seconds);
std::string monthPeriod(int64_t unix_seconds);
void addUsage(WriteTxn& txn, std::string_view username, int64_t at, uint64_t input, uint64_t output,
              uint64_t seconds);
// The same with the period keys ("d" + dayPeriod(at), "m" + monthPeriod(at)) already known.
void addUsage(WriteTxn& txn, std::string_view username, std::string_view day_key,
              std::string_view month_key, uint64_t input, uint64_t output, uint64_t seconds);
pb::Usage getUsage(const ReadTxn& txn, std::string_view username, std::string_view period);
// period -> usage for one subscriber; kind 'd' or 'm'.
std::vector<std::pair<std::string, pb::Usage>> listUsage(const ReadTxn& txn,
                                                         std::string_view username, char kind);

// ---- post-auth log ----
void appendPostAuth(WriteTxn& txn, const pb::PostAuth& entry, uint64_t keep);
// Several entries, already encoded, in order, with one counter update.
void appendPostAuthRecords(WriteTxn& txn, const std::vector<std::string_view>& records,
                           uint64_t keep);
std::vector<std::pair<uint64_t, pb::PostAuth>>
listPostAuth(const ReadTxn& txn, uint64_t before, size_t limit,
             const std::function<bool(const pb::PostAuth&)>& match);

} // namespace ispbox::store
