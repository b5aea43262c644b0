// SPDX-License-Identifier: GPL-2.0-or-later
// Accounting into the store: usage is counted once however packets are repeated or reordered.
#include <gtest/gtest.h>

#include "rlm_isp/core/accounting.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::aaa {
namespace {

constexpr int64_t kNow = 1795000000;
constexpr uint64_t kGiB4 = 1ULL << 32;

// An Interim-Update of alice's on 192.0.2.1.
AcctRequest interim(std::string_view sid, uint64_t in, uint32_t time = 0) {
  AcctRequest r;
  r.status_type = kAcctInterim;
  r.user_name = "alice";
  r.acct_session_id = sid;
  r.nas_ip = "192.0.2.1";
  r.input_bytes = in;
  r.session_time = time;
  return r;
}

class Accounting : public ::testing::Test {
protected:
  void SetUp() override {
    store::EnvOptions o;
    o.dir = dir_.path();
    env_ = store::Env::open(o);
  }

  std::string apply(uint32_t status, std::string_view sid, uint64_t in, uint64_t out, uint32_t time,
                    int64_t now = kNow, std::string_view nas = "192.0.2.1") {
    AcctRequest r;
    r.status_type = status;
    r.user_name = "alice";
    r.acct_session_id = sid;
    r.nas_ip = nas;
    r.framed_ip = "100.64.1.1";
    r.input_bytes = in;
    r.output_bytes = out;
    r.session_time = time;
    r.terminate_cause = 1;
    auto txn = env_->write();
    auto what = applyAccounting(txn, r, now, options_);
    txn.commit();
    return what;
  }

  pb::Usage today() {
    auto txn = env_->read();
    return store::getUsage(txn, "alice", "d" + store::dayPeriod(kNow));
  }
  pb::Usage month() {
    auto txn = env_->read();
    return store::getUsage(txn, "alice", "m" + store::monthPeriod(kNow));
  }
  size_t live() {
    auto txn = env_->read();
    return store::countLiveSessionsOf(txn, "alice");
  }

  testutil::TempDir dir_;
  std::unique_ptr<store::Env> env_;
  PolicyOptions options_;
};

TEST_F(Accounting, StartInterimStopCountOnce) {
  apply(kAcctStart, "s1", 0, 0, 0);
  EXPECT_EQ(live(), 1u);
  apply(kAcctInterim, "s1", 1000, 5000, 300);
  apply(kAcctInterim, "s1", 1000, 5000, 300); // retransmitted
  apply(kAcctInterim, "s1", 3000, 9000, 600);
  apply(kAcctInterim, "s1", 2000, 7000, 450); // reordered, older: adds nothing
  EXPECT_EQ(today().input_octets(), 3000u);
  EXPECT_EQ(today().output_octets(), 9000u);
  EXPECT_EQ(today().session_time(), 600u);
  apply(kAcctStop, "s1", 4000, 10000, 700);
  EXPECT_EQ(apply(kAcctStop, "s1", 4000, 10000, 700),
            "session already closed: duplicate or late packet ignored");
  EXPECT_EQ(apply(kAcctInterim, "s1", 9000, 90000, 900).find("ignored") != std::string::npos, true);
  EXPECT_EQ(today().input_octets(), 4000u);
  EXPECT_EQ(month().output_octets(), 10000u);
  EXPECT_EQ(live(), 0u);
  auto txn = env_->read();
  auto hist = store::listSessionHistory(txn, 0, 10, nullptr);
  ASSERT_EQ(hist.size(), 1u);
  EXPECT_EQ(hist[0].second.terminate_cause(), "User-Request");
  EXPECT_EQ(hist[0].second.input_octets(), 4000u);
}

TEST_F(Accounting, GigawordsWrapIsContinuous) {
  apply(kAcctStart, "s2", 0, 0, 0);
  apply(kAcctInterim, "s2", kGiB4 - 100, 10, 300);
  apply(kAcctInterim, "s2", kGiB4 + 900, 20, 600); // the 32-bit counter wrapped: gigawords = 1
  EXPECT_EQ(today().input_octets(), kGiB4 + 900);
  EXPECT_EQ(today().output_octets(), 20u);
}

TEST_F(Accounting, InterimWithoutStartOpensTheSession) {
  EXPECT_EQ(apply(kAcctInterim, "s3", 500, 600, 120), "interim (no start seen) +500/600 bytes");
  EXPECT_EQ(live(), 1u);
  EXPECT_EQ(today().input_octets(), 500u);
}

TEST_F(Accounting, AccountingOnClosesOnlyThatNasSessions) {
  apply(kAcctStart, "a", 0, 0, 0, kNow, "192.0.2.1");
  apply(kAcctStart, "b", 0, 0, 0, kNow, "192.0.2.1");
  apply(kAcctStart, "c", 0, 0, 0, kNow, "192.0.2.2");
  EXPECT_EQ(live(), 3u);
  EXPECT_EQ(apply(kAcctOn, "", 0, 0, 0, kNow, "192.0.2.1"), "accounting-on: closed 2 session(s)");
  EXPECT_EQ(live(), 1u);
}

TEST_F(Accounting, StaleSessionsAreClosed) {
  apply(kAcctStart, "old", 0, 0, 0, kNow);
  apply(kAcctStart, "new", 0, 0, 0, kNow + 2000);
  auto txn = env_->write();
  EXPECT_EQ(store::closeStaleSessions(txn, kNow + 2100, 3, 300), 1u);
  txn.commit();
  EXPECT_EQ(live(), 1u);
}

TEST_F(Accounting, SweepForgetsClosedSessionsAfterTheirKeep) {
  apply(kAcctStart, "s5", 0, 0, 0, kNow);
  apply(kAcctStop, "s5", 10, 10, 10, kNow + 60);
  {
    auto txn = env_->write();
    auto sweep = store::sweepSessions(txn, kNow + 120, 3, 300, 3600);
    EXPECT_EQ(sweep.purged, 0u); // still kept: a duplicate Stop now is recognised
    txn.commit();
  }
  EXPECT_NE(apply(kAcctStop, "s5", 10, 10, 10, kNow + 130).find("ignored"), std::string::npos);
  auto txn = env_->write();
  EXPECT_EQ(store::sweepSessions(txn, kNow + 60 + 3601, 3, 300, 3600).purged, 1u);
  txn.commit();
  auto r = env_->read();
  EXPECT_FALSE(store::getSession(r, store::sessionKey("192.0.2.1", "s5")));
}

TEST_F(Accounting, StartConfirmsTheLeaseAndStopReleasesIt) {
  {
    auto txn = env_->write();
    pb::Pool pool;
    pool.set_name("p");
    auto* r = pool.add_ranges();
    r->set_first("100.64.1.1");
    r->set_last("100.64.1.1");
    store::putPool(txn, pool);
    ASSERT_EQ(store::allocateLease(txn, "p", "alice", kNow, 60), "100.64.1.1");
    txn.commit();
  }
  apply(kAcctStart, "s4", 0, 0, 0);
  {
    auto txn = env_->read();
    auto leases = store::listLeases(txn, "p", kNow + 3600); // long after the offer would expire
    ASSERT_EQ(leases.size(), 1u);
    EXPECT_EQ(leases[0].lease.state(), pb::LEASE_ACTIVE);
    EXPECT_TRUE(leases[0].live);
  }
  {
    // Nobody else can have it while the session lives.
    auto txn = env_->write();
    EXPECT_FALSE(store::allocateLease(txn, "p", "bob", kNow + 3600, 60));
  }
  apply(kAcctStop, "s4", 10, 10, 10);
  auto txn = env_->write();
  EXPECT_EQ(store::allocateLease(txn, "p", "bob", kNow + 10, 60), "100.64.1.1");
}

// A packet that carries a subscriber over a quota marks the subscriber changed, so ispboxd moves
// the session; with the cache rlm_isp keeps too, including when no plan was metered before.
TEST_F(Accounting, CrossingAQuotaIsNotedWithAndWithoutTheCache) {
  pb::Plan plan;
  plan.set_name("home");
  plan.set_download_bps(1000000);
  pb::Subscriber sub;
  sub.set_username("alice");
  sub.set_plan("home");
  {
    auto txn = env_->write();
    store::putPlan(txn, plan, store::WriteMode::Create);
    store::putSubscriber(txn, sub, store::WriteMode::Create);
    txn.commit();
  }
  PolicyCache cache;
  auto send = [&](std::string_view sid, uint64_t bytes, PolicyCache* c) {
    auto txn = env_->write();
    const uint64_t before = store::latestChange(txn);
    applyAccounting(txn, interim(sid, bytes), kNow, options_, c);
    const uint64_t noted = store::latestChange(txn) - before;
    txn.commit();
    return noted;
  };
  auto setDailyQuota = [&](uint64_t bytes) {
    plan.mutable_quota()->set_daily_bytes(bytes);
    auto txn = env_->write();
    store::putPlan(txn, plan, store::WriteMode::Replace);
    txn.commit();
  };
  EXPECT_EQ(send("s1", 5000, &cache), 0u); // no plan is metered (and the cache learns so)
  setDailyQuota(10000);
  EXPECT_EQ(send("s1", 8000, &cache), 0u);  // 8000 of 10000 today
  EXPECT_EQ(send("s1", 12000, &cache), 1u); // crosses
  EXPECT_EQ(send("s1", 13000, &cache), 0u); // already over: no news
  EXPECT_EQ(send("s2", 5000, nullptr), 0u); // the day's total is already past it
  setDailyQuota(20000);
  EXPECT_EQ(send("s2", 7500, nullptr), 1u); // 18000 + 2500 crosses 20000, no cache
}

// Duplicated and reordered packets count once also when several are applied in one transaction
// (rlm_isp's group commit).
TEST_F(Accounting, OneTransactionForManyPacketsCountsEachOnce) {
  PolicyCache cache;
  auto txn = env_->write();
  auto packet = [&](std::string_view sid, uint64_t in, uint32_t time) {
    applyAccounting(txn, interim(sid, in, time), kNow, options_, &cache);
  };
  packet("a", 100, 60);
  packet("b", 1000, 60);
  packet("a", 100, 60); // duplicate
  packet("a", 300, 120);
  packet("a", 200, 90); // reordered, older
  packet("b", 1500, 120);
  txn.commit();
  EXPECT_EQ(today().input_octets(), 300u + 1500u);
  EXPECT_EQ(today().session_time(), 240u);
}

TEST(AcctUniqueId, IsTheStockPolicysMd5) {
  // md5("alice,81a00001,192.0.2.1,pop1,ether1,7"), as FreeRADIUS's acct_unique computes it.
  EXPECT_EQ(acctUniqueId("alice", "81a00001", "192.0.2.1", "pop1", "ether1", "7"),
            "4f0ae270b39173731187af66e5e4d65a");
  EXPECT_EQ(acctUniqueId("alice", "81a00002", "", "", "", ""), "a3d3e48a32e97f54c8e28ff987681015");
}

TEST_F(Accounting, NoSessionIdIsRefused) {
  auto txn = env_->write();
  AcctRequest r;
  r.status_type = kAcctStart;
  r.user_name = "alice";
  r.nas_ip = "192.0.2.1";
  EXPECT_THROW(applyAccounting(txn, r, kNow, options_), std::invalid_argument);
}

} // namespace
} // namespace ispbox::aaa
