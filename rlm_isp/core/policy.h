// SPDX-License-Identifier: GPL-2.0-or-later
// What an Access-Request gets: the decision (accept, isolate, reject and why) and the
// Access-Accept attributes MikroTik understands, from the subscriber, its plan and its sessions.
// Pure functions of store state, so ispboxd (CoA) computes exactly what RADIUS would send.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/codec.h"
#include "store/env.h"
#include "store/wire.h"

namespace ispbox::aaa {

namespace pb = store::pb;

struct PolicyOptions {
  uint32_t default_interim_s = 300; // Acct-Interim-Interval when the plan sets none
  unsigned stale_misses = 3;        // interim intervals without news before a session is stale
  int64_t lease_offer_ttl_s = 60;   // an address offered but never confirmed is free again after
  uint64_t postauth_keep = 100000;  // post-auth log entries kept
};

struct AuthRequest {
  std::string_view user_name;
  std::string_view nas_ip; // packet source
  std::string_view calling_station_id;
};

enum class Verdict { Accept, Reject, NotFound };

// A reply or CoA attribute by its dictionary name and value as text. Names are always string
// literals (static storage), so building a reply copies and allocates only values.
using Attributes = std::vector<std::pair<std::string_view, std::string>>;

struct AuthDecision {
  Verdict verdict = Verdict::Reject;
  std::string password; // for control:Cleartext-Password
  std::string reason;   // Reply-Message on reject; the post-auth log's reason on accept
  std::string profile;  // "normal" or "isolated"
  Attributes reply;
  std::string lease_pool; // set when an address was leased from an ispbox pool
  std::string lease_ip;
};

// Mikrotik-Rate-Limit from the router's point of view: rx is the subscriber's upload.
// "rx/tx [rx-burst/tx-burst rx-threshold/tx-threshold rx-time/tx-time [priority [rx-min/tx-min]]]"
std::string mikrotikRateLimit(uint64_t download_bps, uint64_t upload_bps,
                              const pb::Plan& burst_from, bool with_burst);
// 20000000 -> "20M", 512000 -> "512k", 1500 -> "1500".
std::string formatRate(uint64_t bps);

// Why a subscriber is isolated right now, or nullopt when it is not: suspended, isolated, past
// expiry plus the plan's grace, or over the plan's monthly data cap.
// The subscriber as a store::SubscriberView: read straight from its record on the request path,
// or viewOf() a pb::Subscriber (the overloads below).
std::optional<std::string> isolationReason(const store::SubscriberView& s, const pb::Plan& plan,
                                           uint64_t month_usage_bytes, int64_t now);

// The service profile a subscriber gets right now. RADIUS puts a new session into it; ispboxd
// moves live sessions into it with CoA or Disconnect when it changes.
enum class Profile {
  Normal,    // the plan
  Throttled, // over a quota whose action is "throttle": the quota's rate
  Isolated,  // the plan's isolation profile ("isolir")
  Blocked,   // rejected at login; live sessions are disconnected
};
std::string_view profileName(Profile p); // "normal", "throttled", "isolated", "blocked"
std::optional<Profile> parseProfile(std::string_view name);

struct UsageNow {
  uint64_t day_bytes = 0;   // today, local time, both directions
  uint64_t month_bytes = 0; // this month
};
UsageNow usageNow(const store::ReadTxn& txn, std::string_view username, int64_t now);
// The same with the Usage period keys ("d" YYYYMMDD, "m" YYYYMM) already known.
UsageNow usageNow(const store::ReadTxn& txn, std::string_view username, std::string_view day_key,
                  std::string_view month_key);
class PolicyCache;
// The same with the period keys from the cache, when there is one.
UsageNow usageNow(const store::ReadTxn& txn, std::string_view username, int64_t now,
                  PolicyCache* cache);

struct ProfileDecision {
  Profile profile = Profile::Normal;
  std::string reason; // why it is not Normal ("suspended", "daily quota reached", ...)
};
ProfileDecision decideProfile(const store::SubscriberView& s, const pb::Plan& plan,
                              const UsageNow& usage, int64_t now);
inline ProfileDecision decideProfile(const pb::Subscriber& s, const pb::Plan& plan,
                                     const UsageNow& usage, int64_t now) {
  return decideProfile(store::viewOf(s), plan, usage, now);
}

// The attributes an accepted session of `s` gets in `profile` now.
Attributes sessionAttributes(const store::SubscriberView& s, const pb::Plan& plan, Profile profile,
                             uint64_t month_usage_bytes, int64_t now, const PolicyOptions& options);
inline Attributes sessionAttributes(const pb::Subscriber& s, const pb::Plan& plan, Profile profile,
                                    uint64_t month_usage_bytes, int64_t now,
                                    const PolicyOptions& options) {
  return sessionAttributes(store::viewOf(s), plan, profile, month_usage_bytes, now, options);
}
// The same, given coaAttributes(plan, profile) and the Class that goes with it (formatClass with
// its coaFingerprint).
Attributes sessionAttributes(const store::SubscriberView& s, const pb::Plan& plan, Profile profile,
                             Attributes coa, std::string_view class_value,
                             uint64_t month_usage_bytes, int64_t now, const PolicyOptions& options);

// What a CoA carries to move a live session into `profile`: Mikrotik-Rate-Limit and, when the
// profile has one, Mikrotik-Address-List.
Attributes coaAttributes(const pb::Plan& plan, Profile profile);
// The pool a session in `profile` takes its address from ("" = none, or a static address).
std::string profilePool(const pb::Plan& plan, Profile profile);
// A short digest of what coaAttributes gives: sent in Class and compared by ispboxd, so it knows
// whether a live session already has what its profile says.
std::string coaFingerprint(const Attributes& coa);

// Our Class: "ispbox:<profile>:<plan>:<fingerprint>".
struct ClassTag {
  std::string profile, plan, fingerprint;
};
std::string formatClass(Profile profile, std::string_view plan, std::string_view fingerprint);
std::optional<ClassTag> parseClass(std::string_view cls);

// What the requests of one process can share: each plan decoded, with its CoA attributes, their
// fingerprint (a SHA-256) and the Class that carries it for every profile, once per version of the
// plan instead of once per request; and the usage period keys of the current local day. Plans are
// keyed by their stored bytes, so a changed plan is a miss, never a stale hit. Thread-safe.
class PolicyCache {
public:
  struct Plan {
    std::string stored; // the record's bytes this entry was decoded from
    pb::Plan plan;
    Attributes coa[4]; // coaAttributes(plan, profile), indexed by Profile
    std::string fingerprint[4];
    std::string class_value[4]; // formatClass(profile, plan name, fingerprint)
  };
  // The entry for `stored`, the bytes of plan `name` in the caller's snapshot; throws
  // StoreError::Corrupt when they do not decode.
  std::shared_ptr<const Plan> plan(std::string_view name, std::string_view stored);

  struct Periods {
    std::string day, month; // Usage keys: "d" YYYYMMDD, "m" YYYYMM (local time)
  };
  // The keys of the local day holding `t` (store::dayPeriod, monthPeriod).
  Periods periods(int64_t t);

  // Whether any plan in the snapshot has a data cap or a quota (else no packet can cross one).
  // Known until the change log moves on: every plan write is in it.
  bool anyMeteredPlan(const store::ReadTxn& txn);

private:
  static constexpr size_t kMaxPlans = 1024; // more plans than this: the cache starts over
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Plan>, std::less<>> plans_;
  int64_t day_start_ = 0, day_end_ = 0; // [start, end): the local day periods_ is for
  Periods periods_;
  bool metered_known_ = false, metered_ = false;
  uint64_t metered_at_change_ = 0;
};

// A data cap or a quota: the plan's subscribers' usage matters.
bool isMetered(const pb::Plan& plan);

// Plan `name` as read in a snapshot: from the cache when there is one, else decoded here. With a
// cache, the plan this thread last used in the same snapshot is taken without reading the store
// or locking the cache (see policy.cc's SnapshotMemo).
class PlanRef {
public:
  PlanRef(const store::ReadTxn& txn, std::string_view name, PolicyCache* cache);
  ~PlanRef();
  PlanRef(const PlanRef&) = delete;
  PlanRef& operator=(const PlanRef&) = delete;
  const pb::Plan* get() const { return plan_; }              // null: no such plan
  const PolicyCache::Plan* cached() const { return entry_; } // null without a cache

private:
  std::shared_ptr<const PolicyCache::Plan> cached_; // empty when borrowed from the memo
  const PolicyCache::Plan* entry_ = nullptr;
  int* borrowers_ = nullptr; // the memo's count, when borrowed (no thread_local lookup to undo)
  std::optional<pb::Plan> decoded_;
  const pb::Plan* plan_ = nullptr;
};

// Whether a NAS with this address is registered in the snapshot; with a cache, remembered for the
// rest of the snapshot by this thread.
bool nasRegistered(const store::ReadTxn& txn, std::string_view nas_ip, PolicyCache* cache);

// Takes an address from an ispbox pool for an accepted request (its own write transaction) and
// adds it to the reply; false when the pool has none free.
bool leaseAddress(store::Env& env, AuthDecision& d, const std::string& pool,
                  std::string_view user_name, int64_t now, const PolicyOptions& options);

// Decides an Access-Request. Reads in one snapshot; takes a pool lease in a write transaction
// when the plan's pool is one ispbox manages. A cache (rlm_isp keeps one) saves recomputing what
// depends on the plan alone; the decision is the same with or without.
AuthDecision authorize(store::Env& env, const AuthRequest& req, int64_t now,
                       const PolicyOptions& options, PolicyCache* cache = nullptr);

} // namespace ispbox::aaa
