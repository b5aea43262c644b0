// SPDX-License-Identifier: GPL-2.0-or-later
// The AAA policy against a real store: what each kind of subscriber gets, and why a request is
// rejected.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "rlm_isp/core/policy.h"
#include "store/entities.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "tests/rlm_isp/store_fixture.h"

namespace ispbox::aaa {
namespace {

using testing_support::attr;
using testing_support::kNow;

class Policy : public testing_support::StoreWithNas {
protected:
  void SetUp() override {
    StoreWithNas::SetUp();
    auto txn = env_->write();
    plan_.set_name("home");
    plan_.set_download_bps(20000000);
    plan_.set_upload_bps(10000000);
    plan_.set_address_list("pppoe-active");
    plan_.set_pool("router-pool");
    plan_.mutable_isolation()->set_address_list("isolir");
    plan_.mutable_isolation()->set_download_bps(512000);
    plan_.mutable_isolation()->set_upload_bps(256000);
    store::putPlan(txn, plan_, store::WriteMode::Create);
    txn.commit();
  }

  void addSubscriber(const std::string& name, void (*tweak)(pb::Subscriber&) = nullptr) {
    pb::Subscriber s;
    s.set_username(name);
    s.set_password("pw-" + name);
    s.set_plan("home");
    s.set_status(pb::ACTIVE);
    if (tweak) tweak(s);
    auto txn = env_->write();
    store::putSubscriber(txn, s, store::WriteMode::Create);
    txn.commit();
  }

  void updatePlan(void (*tweak)(pb::Plan&)) {
    tweak(plan_);
    auto txn = env_->write();
    store::putPlan(txn, plan_, store::WriteMode::Replace);
    txn.commit();
  }

  // Every decision is made twice, without and with the cache rlm_isp keeps (across the calls of
  // a test, so a plan changed in between must not be answered from it): they must agree.
  AuthDecision auth(std::string_view user, std::string_view mac = "",
                    std::string_view nas = "192.0.2.1", int64_t now = kNow) {
    AuthDecision plain = authorize(*env_, {user, nas, mac}, now, options_);
    if (!plain.lease_ip.empty()) return plain; // a second call would lease again
    const AuthDecision cached = authorize(*env_, {user, nas, mac}, now, options_, &cache_);
    EXPECT_EQ(cached.verdict, plain.verdict);
    EXPECT_EQ(cached.reason, plain.reason);
    EXPECT_EQ(cached.profile, plain.profile);
    EXPECT_EQ(cached.password, plain.password);
    EXPECT_EQ(cached.reply, plain.reply);
    return plain;
  }

  pb::Plan plan_;
  PolicyOptions options_;
  PolicyCache cache_;
};

// rlm_isp's cache remembers a snapshot's NAS and plan per thread (policy.cc's SnapshotMemo): what
// a later snapshot holds is never answered from an earlier one, even one under the same
// transaction id, which an abandoned write transaction leaves to the next writer.
TEST_F(Policy, RememberedAnswersNeverOutliveTheirSnapshot) {
  addSubscriber("memo");
  EXPECT_EQ(attr(auth("memo").reply, "Mikrotik-Rate-Limit"), "10M/20M");
  {
    auto txn = env_->write();
    pb::Plan changed = plan_;
    changed.set_download_bps(1000000);
    store::putPlan(txn, changed, store::WriteMode::Replace);
    const PlanRef ref(txn, "home", &cache_); // reads its own change
    ASSERT_NE(ref.get(), nullptr);
    EXPECT_EQ(ref.get()->download_bps(), 1000000u);
  } // abandoned
  updatePlan([](pb::Plan& p) { p.set_download_bps(50000000); });
  EXPECT_EQ(attr(auth("memo").reply, "Mikrotik-Rate-Limit"), "10M/50M");
  {
    auto txn = env_->write();
    ASSERT_TRUE(store::deleteNas(txn, "r1"));
    txn.commit();
  }
  const AuthDecision d = auth("memo");
  EXPECT_EQ(d.verdict, Verdict::Reject);
  EXPECT_EQ(d.reason, "NAS 192.0.2.1 is not registered");
}

TEST(RateLimit, FormatsInMikrotikOrderRxIsUpload) {
  pb::Plan p;
  EXPECT_EQ(formatRate(20000000), "20M");
  EXPECT_EQ(formatRate(512000), "512k");
  EXPECT_EQ(formatRate(1500), "1500");
  EXPECT_EQ(mikrotikRateLimit(20000000, 10000000, p, true), "10M/20M");
  p.set_burst_download_bps(30000000);
  p.set_burst_upload_bps(15000000);
  p.set_burst_threshold_download_bps(15000000);
  p.set_burst_threshold_upload_bps(7500000);
  p.set_burst_time_s(8);
  EXPECT_EQ(mikrotikRateLimit(20000000, 10000000, p, true), "10M/20M 15M/30M 7500k/15M 8/8 8");
  p.set_priority(3);
  p.set_min_download_bps(2000000);
  p.set_min_upload_bps(1000000);
  EXPECT_EQ(mikrotikRateLimit(20000000, 10000000, p, true),
            "10M/20M 15M/30M 7500k/15M 8/8 3 1M/2M");
  EXPECT_EQ(mikrotikRateLimit(20000000, 10000000, p, false), "10M/20M");
  pb::Plan q;
  q.set_priority(5);
  EXPECT_EQ(mikrotikRateLimit(4000000, 1000000, q, true), "1M/4M 0/0 0/0 0/0 5");
}

TEST_F(Policy, ActiveSubscriberGetsPlanAttributes) {
  addSubscriber("alice");
  auto d = auth("alice");
  ASSERT_EQ(d.verdict, Verdict::Accept) << d.reason;
  EXPECT_EQ(d.password, "pw-alice");
  EXPECT_EQ(d.profile, "normal");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Rate-Limit"), "10M/20M");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Address-List"), "pppoe-active");
  EXPECT_EQ(attr(d.reply, "Framed-Pool"), "router-pool");
  EXPECT_EQ(attr(d.reply, "Acct-Interim-Interval"), "300");
  EXPECT_TRUE(attr(d.reply, "Class").starts_with("ispbox:normal:home:")) << attr(d.reply, "Class");
  EXPECT_EQ(attr(d.reply, "Session-Timeout"), "<absent>");
}

TEST_F(Policy, RejectsWithAReason) {
  addSubscriber("gone", [](pb::Subscriber& s) { s.set_status(pb::TERMINATED); });
  addSubscriber("bound", [](pb::Subscriber& s) { s.set_mac("AA:BB:CC:DD:EE:FF"); });
  EXPECT_EQ(auth("nobody").reason, "Unknown user");
  EXPECT_EQ(auth("").reason, "Unknown user");
  EXPECT_EQ(auth("gone").reason, "Account terminated");
  EXPECT_EQ(auth("bound", "11:22:33:44:55:66").reason, "Device not allowed for this account");
  EXPECT_EQ(auth("bound", "").verdict, Verdict::Reject);
  EXPECT_EQ(auth("bound", "aa-bb-cc-dd-ee-ff").verdict, Verdict::Accept); // any notation
  auto d = auth("bound", "AA:BB:CC:DD:EE:FF", "198.51.100.7");
  EXPECT_EQ(d.verdict, Verdict::Reject);
  EXPECT_NE(d.reason.find("not registered"), std::string::npos);
}

TEST_F(Policy, SuspendedAndExpiredAreIsolatedNotRejected) {
  addSubscriber("late", [](pb::Subscriber& s) { s.set_status(pb::SUSPENDED); });
  addSubscriber("expired", [](pb::Subscriber& s) { s.set_expires_at(kNow - 1); });
  for (const char* user : {"late", "expired"}) {
    auto d = auth(user);
    ASSERT_EQ(d.verdict, Verdict::Accept) << user;
    EXPECT_EQ(d.profile, "isolated");
    EXPECT_EQ(attr(d.reply, "Mikrotik-Rate-Limit"), "256k/512k");
    EXPECT_EQ(attr(d.reply, "Mikrotik-Address-List"), "isolir");
    EXPECT_TRUE(attr(d.reply, "Class").starts_with("ispbox:isolated:home:"))
        << attr(d.reply, "Class");
  }
  EXPECT_EQ(auth("expired").reason, "expired");
  updatePlan([](pb::Plan& p) { p.mutable_isolation()->set_reject(true); });
  EXPECT_EQ(auth("late").verdict, Verdict::Reject);
  EXPECT_EQ(auth("late").reason, "Account suspended");
  EXPECT_EQ(auth("expired").reason, "Account expired");
}

TEST_F(Policy, SessionEndsAtExpiry) {
  addSubscriber("paid", [](pb::Subscriber& s) { s.set_expires_at(kNow + 3600); });
  EXPECT_EQ(attr(auth("paid").reply, "Session-Timeout"), "3600");
}

TEST_F(Policy, DataCapAboveFourGigabytesUsesGigawords) {
  updatePlan([](pb::Plan& p) { p.set_data_cap_bytes(10ULL << 30); }); // 10 GiB
  addSubscriber("capped");
  auto d = auth("capped");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit-Gigawords"), "2");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit"), std::to_string((10ULL << 30) & 0xffffffff));
  {
    auto txn = env_->write();
    store::addUsage(txn, "capped", kNow, 9ULL << 30, 1ULL << 30, 60); // the whole cap
    txn.commit();
  }
  d = auth("capped");
  EXPECT_EQ(d.profile, "isolated");
  EXPECT_EQ(d.reason, "data cap reached");
}

TEST_F(Policy, StaticAddressAndManagedPool) {
  addSubscriber("fixed", [](pb::Subscriber& s) { s.set_static_ip("100.64.0.9"); });
  EXPECT_EQ(attr(auth("fixed").reply, "Framed-IP-Address"), "100.64.0.9");
  EXPECT_EQ(attr(auth("fixed").reply, "Framed-Pool"), "<absent>");

  // A pool that exists in the store is ours: we lease addresses from it.
  {
    auto txn = env_->write();
    pb::Pool pool;
    pool.set_name("router-pool");
    auto* r = pool.add_ranges();
    r->set_first("100.64.1.1");
    r->set_last("100.64.1.2");
    store::putPool(txn, pool);
    txn.commit();
  }
  addSubscriber("a");
  addSubscriber("b");
  addSubscriber("c");
  auto da = auth("a"), db = auth("b");
  EXPECT_EQ(attr(da.reply, "Framed-IP-Address"), "100.64.1.1");
  EXPECT_EQ(attr(db.reply, "Framed-IP-Address"), "100.64.1.2");
  EXPECT_EQ(attr(da.reply, "Framed-Pool"), "<absent>");
  // Exhausted while both offers are fresh.
  EXPECT_EQ(auth("c").reason, "No free address in pool router-pool");
  // A retried Access-Request gets the same address back (sticky).
  EXPECT_EQ(attr(auth("a").reply, "Framed-IP-Address"), "100.64.1.1");
  // Offers never confirmed expire.
  auto later = auth("c", "", "192.0.2.1", kNow + options_.lease_offer_ttl_s + 1);
  ASSERT_EQ(later.verdict, Verdict::Accept) << later.reason;
}

TEST_F(Policy, SimultaneousUseCountsLiveSessionsButNotStaleOnes) {
  addSubscriber("solo");
  {
    auto txn = env_->write();
    pb::Session s;
    s.set_username("solo");
    s.set_state(pb::SESSION_ACTIVE);
    s.set_updated_at(kNow - 100);
    s.set_interim_interval_s(300);
    store::putSession(txn, store::sessionKey("192.0.2.1", "sess-1"), s);
    txn.commit();
  }
  auto d = auth("solo");
  EXPECT_EQ(d.verdict, Verdict::Reject);
  EXPECT_EQ(d.reason, "Already online (1 of 1 sessions)");
  // Three interim intervals without news: that session is dead and does not count.
  EXPECT_EQ(auth("solo", "", "192.0.2.1", kNow + 1000).verdict, Verdict::Accept);
}

TEST_F(Policy, CacheNoticesAChangedPlan) {
  addSubscriber("ann");
  EXPECT_EQ(attr(authorize(*env_, {"ann", "192.0.2.1", ""}, kNow, options_, &cache_).reply,
                 "Mikrotik-Rate-Limit"),
            "10M/20M");
  updatePlan([](pb::Plan& p) { p.set_download_bps(50000000); });
  const auto d = authorize(*env_, {"ann", "192.0.2.1", ""}, kNow, options_, &cache_);
  EXPECT_EQ(attr(d.reply, "Mikrotik-Rate-Limit"), "10M/50M");
  // The Class fingerprint is the one ispboxd computes for the new plan.
  const auto coa = coaAttributes(plan_, Profile::Normal);
  EXPECT_EQ(attr(d.reply, "Class"), formatClass(Profile::Normal, "home", coaFingerprint(coa)));
}

TEST(PolicyCachePeriods, AreTheStoreDaysAcrossMidnightMonthsAndDst) {
  // A POSIX rule, so no tzdata is needed: Central Europe, DST from the last Sunday of March.
  // The previous zone comes back at the end, for the tests run after this in the same process.
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  struct Restore {
    bool had;
    std::string tz;
    ~Restore() {
      if (had)
        setenv("TZ", tz.c_str(), 1);
      else
        unsetenv("TZ");
      tzset();
    }
  } restore{old != nullptr, saved};
  ASSERT_EQ(setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1), 0);
  tzset();
  PolicyCache cache;
  // 2026-03-27 .. 2026-04-02 (the DST change is on 2026-03-29), in steps that are no divisor of
  // an hour, forwards and then back in time.
  constexpr int64_t kStart = 1774569600, kEnd = kStart + 6 * 86400;
  for (int64_t t = kStart; t < kEnd; t += 1777) {
    const auto p = cache.periods(t);
    ASSERT_EQ(p.day, "d" + store::dayPeriod(t)) << t;
    ASSERT_EQ(p.month, "m" + store::monthPeriod(t)) << t;
  }
  for (int64_t t = kEnd; t > kStart; t -= 3593) {
    const auto p = cache.periods(t);
    ASSERT_EQ(p.day, "d" + store::dayPeriod(t)) << t;
    ASSERT_EQ(p.month, "m" + store::monthPeriod(t)) << t;
  }
}

} // namespace
} // namespace ispbox::aaa
