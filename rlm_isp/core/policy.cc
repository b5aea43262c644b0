// SPDX-License-Identifier: GPL-2.0-or-later
#include "rlm_isp/core/policy.h"

#include <algorithm>
#include <ctime>

#include "common/crypto.h"
#include "common/net.h"
#include "rlm_isp/core/vouchers.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/pools.h"
#include "store/sessions.h"

namespace ispbox::aaa {
namespace {

std::string pair(uint64_t rx, uint64_t tx) {
  return formatRate(rx) + "/" + formatRate(tx);
}

constexpr int64_t kMaxSessionTimeout = 0x7fffffff;

} // namespace

std::string formatRate(uint64_t bps) {
  if (bps != 0 && bps % 1000000 == 0) return std::to_string(bps / 1000000) + "M";
  if (bps != 0 && bps % 1000 == 0) return std::to_string(bps / 1000) + "k";
  return std::to_string(bps);
}

std::string mikrotikRateLimit(uint64_t download_bps, uint64_t upload_bps, const pb::Plan& p,
                              bool with_burst) {
  std::string out = pair(upload_bps, download_bps);
  const bool burst = with_burst && p.burst_download_bps() != 0;
  const bool min = with_burst && (p.min_download_bps() != 0 || p.min_upload_bps() != 0);
  const bool priority = with_burst && (p.priority() != 0 || min);
  if (!burst && !priority) return out;
  // The fields are positional: without a burst, "0/0" keeps the later fields in place.
  if (burst) {
    out += " " + pair(p.burst_upload_bps(), p.burst_download_bps());
    out += " " + pair(p.burst_threshold_upload_bps(), p.burst_threshold_download_bps());
    out += " " + std::to_string(p.burst_time_s()) + "/" + std::to_string(p.burst_time_s());
  } else {
    out += " 0/0 0/0 0/0";
  }
  out += " " + std::to_string(p.priority() ? p.priority() : 8);
  if (min) out += " " + pair(p.min_upload_bps(), p.min_download_bps());
  return out;
}

std::optional<std::string> isolationReason(const store::SubscriberView& s, const pb::Plan& plan,
                                           uint64_t month_usage_bytes, int64_t now) {
  if (s.status == pb::SUSPENDED) return "suspended";
  if (s.status == pb::ISOLATED) return "isolated";
  if (s.expires_at != 0 && now >= s.expires_at + static_cast<int64_t>(plan.grace_s()))
    return "expired";
  if (plan.data_cap_bytes() != 0 && month_usage_bytes >= plan.data_cap_bytes())
    return "data cap reached";
  return std::nullopt;
}

std::string_view profileName(Profile p) {
  switch (p) {
  case Profile::Normal:
    return "normal";
  case Profile::Throttled:
    return "throttled";
  case Profile::Isolated:
    return "isolated";
  case Profile::Blocked:
    return "blocked";
  }
  return "normal";
}

std::optional<Profile> parseProfile(std::string_view name) {
  for (Profile p : {Profile::Normal, Profile::Throttled, Profile::Isolated, Profile::Blocked})
    if (profileName(p) == name) return p;
  return std::nullopt;
}

UsageNow usageNow(const store::ReadTxn& txn, std::string_view username, int64_t now) {
  return usageNow(txn, username, "d" + store::dayPeriod(now), "m" + store::monthPeriod(now));
}

UsageNow usageNow(const store::ReadTxn& txn, std::string_view username, std::string_view day_key,
                  std::string_view month_key) {
  const auto d = store::getUsage(txn, username, day_key);
  const auto m = store::getUsage(txn, username, month_key);
  return {d.input_octets() + d.output_octets(), m.input_octets() + m.output_octets()};
}

UsageNow usageNow(const store::ReadTxn& txn, std::string_view username, int64_t now,
                  PolicyCache* cache) {
  if (!cache) return usageNow(txn, username, now);
  const PolicyCache::Periods periods = cache->periods(now);
  return usageNow(txn, username, periods.day, periods.month);
}

ProfileDecision decideProfile(const store::SubscriberView& s, const pb::Plan& plan,
                              const UsageNow& usage, int64_t now) {
  if (auto why = isolationReason(s, plan, usage.month_bytes, now))
    return {plan.isolation().reject() ? Profile::Blocked : Profile::Isolated, *why};
  const auto& q = plan.quota();
  std::string why;
  if (q.daily_bytes() != 0 && usage.day_bytes >= q.daily_bytes())
    why = "daily quota reached";
  else if (q.monthly_bytes() != 0 && usage.month_bytes >= q.monthly_bytes())
    why = "monthly quota reached";
  if (why.empty()) return {Profile::Normal, ""};
  if (q.action() == "isolate") return {Profile::Isolated, why};
  if (q.action() == "disconnect") return {Profile::Blocked, why};
  return {Profile::Throttled, why};
}

Attributes coaAttributes(const pb::Plan& plan, Profile profile) {
  Attributes a;
  const auto& iso = plan.isolation();
  const auto& q = plan.quota();
  switch (profile) {
  case Profile::Isolated: {
    const uint64_t down = iso.download_bps() ? iso.download_bps() : plan.download_bps();
    const uint64_t up = iso.upload_bps() ? iso.upload_bps() : plan.upload_bps();
    a.emplace_back("Mikrotik-Rate-Limit", mikrotikRateLimit(down, up, plan, false));
    const std::string& list = iso.address_list().empty() ? plan.address_list() : iso.address_list();
    if (!list.empty()) a.emplace_back("Mikrotik-Address-List", list);
    break;
  }
  case Profile::Throttled: {
    const uint64_t down = q.download_bps() ? q.download_bps() : plan.download_bps();
    const uint64_t up = q.upload_bps() ? q.upload_bps() : plan.upload_bps();
    a.emplace_back("Mikrotik-Rate-Limit", mikrotikRateLimit(down, up, plan, false));
    if (!plan.address_list().empty()) a.emplace_back("Mikrotik-Address-List", plan.address_list());
    break;
  }
  case Profile::Normal:
  case Profile::Blocked:
    a.emplace_back("Mikrotik-Rate-Limit",
                   mikrotikRateLimit(plan.download_bps(), plan.upload_bps(), plan, true));
    if (!plan.address_list().empty()) a.emplace_back("Mikrotik-Address-List", plan.address_list());
    break;
  }
  return a;
}

std::string profilePool(const pb::Plan& plan, Profile profile) {
  if (profile == Profile::Isolated && !plan.isolation().pool().empty())
    return plan.isolation().pool();
  return plan.pool();
}

std::string coaFingerprint(const Attributes& coa) {
  std::string text;
  for (const auto& [name, value] : coa)
    text.append(name).append("=").append(value).append("\n");
  return crypto::sha256Hex(text).substr(0, 8);
}

std::string formatClass(Profile profile, std::string_view plan, std::string_view fingerprint) {
  return "ispbox:" + std::string(profileName(profile)) + ":" + std::string(plan) + ":" +
         std::string(fingerprint);
}

std::optional<ClassTag> parseClass(std::string_view cls) {
  // Plan names cannot hold ':', so the fields split cleanly; the fingerprint is optional (Class
  // values of earlier releases had none).
  if (!cls.starts_with("ispbox:")) return std::nullopt;
  cls.remove_prefix(7);
  ClassTag t;
  const auto a = cls.find(':');
  if (a == std::string_view::npos) return std::nullopt;
  t.profile = cls.substr(0, a);
  cls.remove_prefix(a + 1);
  const auto b = cls.find(':');
  t.plan = cls.substr(0, b);
  if (b != std::string_view::npos) t.fingerprint = cls.substr(b + 1);
  if (!parseProfile(t.profile) || t.plan.empty()) return std::nullopt;
  return t;
}

Attributes sessionAttributes(const store::SubscriberView& s, const pb::Plan& plan, Profile profile,
                             uint64_t month_usage_bytes, int64_t now,
                             const PolicyOptions& options) {
  Attributes coa = coaAttributes(plan, profile);
  const std::string cls = formatClass(profile, plan.name(), coaFingerprint(coa));
  return sessionAttributes(s, plan, profile, std::move(coa), cls, month_usage_bytes, now, options);
}

Attributes sessionAttributes(const store::SubscriberView& s, const pb::Plan& plan, Profile profile,
                             Attributes coa, std::string_view class_value,
                             uint64_t month_usage_bytes, int64_t now,
                             const PolicyOptions& options) {
  Attributes a = std::move(coa);
  a.reserve(a.size() + 6);
  if (profile != Profile::Isolated) {
    // The session ends when isolation is due, so the next dial lands in isolation even when
    // ispboxd is not running to move it.
    if (s.expires_at != 0) {
      const int64_t until = s.expires_at + static_cast<int64_t>(plan.grace_s()) - now;
      a.emplace_back("Session-Timeout",
                     std::to_string(std::clamp<int64_t>(until, 1, kMaxSessionTimeout)));
    }
    if (plan.data_cap_bytes() != 0) {
      const uint64_t left =
          plan.data_cap_bytes() - std::min(plan.data_cap_bytes(), month_usage_bytes);
      a.emplace_back("Mikrotik-Total-Limit", std::to_string(left & 0xffffffffULL));
      if (left >> 32) a.emplace_back("Mikrotik-Total-Limit-Gigawords", std::to_string(left >> 32));
    }
  }
  const uint32_t interim =
      plan.acct_interim_interval_s() ? plan.acct_interim_interval_s() : options.default_interim_s;
  a.emplace_back("Acct-Interim-Interval", std::to_string(interim));
  // Echoed back in accounting: which profile the session was given, and what it carries.
  a.emplace_back("Class", class_value);
  return a;
}

std::shared_ptr<const PolicyCache::Plan> PolicyCache::plan(std::string_view name,
                                                           std::string_view stored) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = plans_.find(name); it != plans_.end() && it->second->stored == stored)
      return it->second;
  }
  auto entry = std::make_shared<Plan>();
  entry->stored = stored;
  if (!store::decodeInto(stored, &entry->plan))
    throw store::StoreError(store::StoreError::Code::Corrupt, "cannot decode plan");
  for (Profile p : {Profile::Normal, Profile::Throttled, Profile::Isolated, Profile::Blocked}) {
    const auto i = static_cast<size_t>(p);
    entry->coa[i] = coaAttributes(entry->plan, p);
    entry->fingerprint[i] = coaFingerprint(entry->coa[i]);
    entry->class_value[i] = formatClass(p, entry->plan.name(), entry->fingerprint[i]);
  }
  std::lock_guard lock(mutex_);
  if (plans_.size() >= kMaxPlans) plans_.clear();
  plans_.insert_or_assign(std::string(name), entry);
  return entry;
}

PolicyCache::Periods PolicyCache::periods(int64_t t) {
  std::lock_guard lock(mutex_);
  if (t < day_start_ || t >= day_end_) {
    // The local day's bounds from mktime, which knows the days DST makes 23 or 25 hours long.
    const time_t tt = static_cast<time_t>(t);
    tm day{};
    localtime_r(&tt, &day);
    day.tm_hour = day.tm_min = day.tm_sec = 0;
    day.tm_isdst = -1;
    tm next = day;
    next.tm_mday += 1;
    const time_t start = mktime(&day), end = mktime(&next);
    periods_ = {"d" + store::dayPeriod(t), "m" + store::monthPeriod(t)};
    if (start <= tt && tt < end) {
      day_start_ = start;
      day_end_ = end;
    } else { // a time zone without this midnight: do not cache
      day_start_ = day_end_ = 0;
    }
  }
  return periods_;
}

bool isMetered(const pb::Plan& plan) {
  return plan.data_cap_bytes() != 0 || plan.quota().daily_bytes() != 0 ||
         plan.quota().monthly_bytes() != 0;
}

bool PolicyCache::anyMeteredPlan(const store::ReadTxn& txn) {
  const uint64_t change = store::latestChange(txn);
  {
    std::lock_guard lock(mutex_);
    if (metered_known_ && metered_at_change_ == change) return metered_;
  }
  bool any = false;
  store::Cursor cur(txn, store::Table::Plans);
  pb::Plan plan;
  for (bool ok = cur.first(); ok && !any; ok = cur.next()) {
    if (!store::decodeInto(cur.value(), &plan))
      throw store::StoreError(store::StoreError::Code::Corrupt, "cannot decode plan");
    any = isMetered(plan);
  }
  std::lock_guard lock(mutex_);
  metered_known_ = true;
  metered_ = any;
  metered_at_change_ = change;
  return any;
}

namespace {
// What the last read-only snapshot this thread read said about a NAS and a plan. Two snapshots of
// one Env with the same transaction id hold the same data, so the next request in the same
// snapshot gets the same answers without the lookups (and without the cache's lock); a commit,
// which gives later snapshots a new id, starts over. Only what was found is remembered, and
// nothing a write transaction read (see ReadTxn::snapshotId).
struct SnapshotMemo {
  uint64_t nas_env = 0, nas_snapshot = 0;
  std::string nas_ip;
  uint64_t plan_env = 0, plan_snapshot = 0;
  std::string plan_name;
  std::shared_ptr<const PolicyCache::Plan> plan;
  int plan_borrowers = 0; // PlanRefs using `plan` without a reference of their own: keep it
};
thread_local SnapshotMemo memo;
} // namespace

bool nasRegistered(const store::ReadTxn& txn, std::string_view nas_ip, PolicyCache* cache) {
  if (!cache || !txn.readOnly()) return txn.get(store::Table::NasByIp, nas_ip).has_value();
  SnapshotMemo& m = memo;
  const uint64_t env = txn.env().instanceId(), snapshot = txn.snapshotId();
  if (m.nas_env == env && m.nas_snapshot == snapshot && m.nas_ip == nas_ip) return true;
  if (!txn.get(store::Table::NasByIp, nas_ip)) return false;
  m.nas_env = env;
  m.nas_snapshot = snapshot;
  m.nas_ip = nas_ip;
  return true;
}

PlanRef::PlanRef(const store::ReadTxn& txn, std::string_view name, PolicyCache* cache) {
  if (!cache) {
    if ((decoded_ = store::getPlan(txn, name))) plan_ = &*decoded_;
    return;
  }
  SnapshotMemo& m = memo;
  const bool snapshot_known = txn.readOnly(); // a write transaction's id names no snapshot
  const uint64_t env = txn.env().instanceId(), snapshot = txn.snapshotId();
  if (snapshot_known && m.plan && m.plan_env == env && m.plan_snapshot == snapshot &&
      m.plan_name == name) {
    entry_ = m.plan.get();
    borrowers_ = &m.plan_borrowers;
    ++*borrowers_;
  } else if (auto stored = txn.get(store::Table::Plans, name)) {
    cached_ = cache->plan(name, *stored);
    entry_ = cached_.get();
    if (snapshot_known && m.plan_borrowers == 0) {
      m.plan_env = env;
      m.plan_snapshot = snapshot;
      m.plan_name = name;
      m.plan = cached_;
    }
  }
  if (entry_) plan_ = &entry_->plan;
}

PlanRef::~PlanRef() {
  if (borrowers_) --*borrowers_;
}

bool leaseAddress(store::Env& env, AuthDecision& d, const std::string& pool,
                  std::string_view user_name, int64_t now, const PolicyOptions& options) {
  auto txn = env.write();
  auto ip = store::allocateLease(txn, pool, user_name, now, options.lease_offer_ttl_s);
  if (!ip) return false;
  txn.commit();
  d.lease_pool = pool;
  d.lease_ip = *ip;
  d.reply.emplace_back("Framed-IP-Address", *ip);
  return true;
}

AuthDecision authorize(store::Env& env, const AuthRequest& req, int64_t now,
                       const PolicyOptions& options, PolicyCache* cache) {
  AuthDecision d;
  auto reject = [&](std::string reason) {
    d.verdict = Verdict::Reject;
    d.reason = std::move(reason);
    return d;
  };
  std::string pool_to_lease;
  {
    auto txn = env.read();
    // Only whether the NAS exists matters here: its index entry, written and removed with the
    // record in one transaction, says so without reading the record.
    if (!nasRegistered(txn, req.nas_ip, cache))
      return reject("NAS " + std::string(req.nas_ip) + " is not registered");
    // Read in place (store/wire.h): views into the snapshot's page, nothing copied.
    const auto stored =
        req.user_name.empty() ? std::nullopt : txn.get(store::Table::Subscribers, req.user_name);
    if (!stored) return authorizeVoucher(env, std::move(txn), req, now, options); // or unknown
    store::SubscriberView s;
    if (!store::viewSubscriber(*stored, &s))
      throw store::StoreError(store::StoreError::Code::Corrupt,
                              "cannot decode subscriber " + std::string(req.user_name));
    if (s.status == pb::TERMINATED) return reject("Account terminated");
    if (!s.mac.empty()) {
      auto mac = net::normalizeMac(req.calling_station_id);
      if (!mac || *mac != s.mac) return reject("Device not allowed for this account");
    }
    const PlanRef plan_ref(txn, s.plan, cache);
    const pb::Plan* plan = plan_ref.get();
    if (!plan) return reject("Account has no valid plan");

    // Usage only matters to a plan with a data cap or a quota: the others skip two reads.
    UsageNow usage;
    if (isMetered(*plan)) usage = usageNow(txn, s.username, now, cache);
    const ProfileDecision decision = decideProfile(s, *plan, usage, now);
    if (decision.profile == Profile::Blocked) {
      const std::string& why = decision.reason;
      std::string msg = why == "expired" ? "Account expired" : "Account " + why;
      if (why == "data cap reached") msg = "Data cap reached";
      if (why.ends_with("quota reached")) msg = "Quota reached: " + why;
      return reject(msg);
    }

    // Sessions nobody has heard of for several interim intervals are dead: they do not count.
    const uint32_t limit = s.simultaneous_use ? s.simultaneous_use : 1;
    uint32_t live = 0;
    for (const auto& ks : store::liveSessionsOf(txn, s.username))
      if (!store::isStale(ks.session, now, options.stale_misses, options.default_interim_s)) ++live;
    if (live >= limit)
      return reject("Already online (" + std::to_string(live) + " of " + std::to_string(limit) +
                    " sessions)");

    d.verdict = Verdict::Accept;
    d.password = s.password;
    d.profile = profileName(decision.profile);
    d.reason = decision.reason;
    if (const PolicyCache::Plan* cached = plan_ref.cached()) {
      const auto i = static_cast<size_t>(decision.profile);
      d.reply = sessionAttributes(s, *plan, decision.profile, cached->coa[i],
                                  cached->class_value[i], usage.month_bytes, now, options);
    } else {
      d.reply = sessionAttributes(s, *plan, decision.profile, usage.month_bytes, now, options);
    }

    const std::string pool = profilePool(*plan, decision.profile);
    if (!s.static_ip.empty()) {
      d.reply.emplace_back("Framed-IP-Address", s.static_ip);
    } else if (!pool.empty()) {
      // A pool ispbox manages gets an address from us; any other name is the router's pool.
      if (txn.get(store::Table::Pools, pool))
        pool_to_lease = pool;
      else
        d.reply.emplace_back("Framed-Pool", pool);
    }
  }
  if (!pool_to_lease.empty() && !leaseAddress(env, d, pool_to_lease, req.user_name, now, options))
    return reject("No free address in pool " + pool_to_lease);
  return d;
}

} // namespace ispbox::aaa
