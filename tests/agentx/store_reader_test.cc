// SPDX-License-Identifier: GPL-2.0-or-later
// StoreReader: what one poll of the store returns, following the change sequence.
#include <gtest/gtest.h>

#include <ctime>

#include "agentx/store_reader.h"
#include "store/entities.h"
#include "store/sessions.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::agentx {
namespace {

class StoreReaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    store::EnvOptions o;
    o.dir = tmp_.path() / "state";
    o.change_log_keep = 100; // small, so a test can fall behind the trimmed log
    env_ = store::Env::open(o);
    write([](store::WriteTxn& txn) {
      store::pb::Plan p;
      p.set_name("p");
      p.set_data_cap_bytes(1000);
      store::putPlan(txn, p, store::WriteMode::Create);
    });
    for (const char* u : {"a", "b", "c"})
      putSub(u, store::pb::ACTIVE);
  }
  template <class F> void write(F&& f) {
    auto txn = env_->write();
    f(txn);
    txn.commit();
  }
  void putSub(const std::string& name, store::pb::SubscriberStatus st) {
    write([&](store::WriteTxn& txn) {
      store::pb::Subscriber s;
      s.set_username(name);
      s.set_plan("p");
      s.set_status(st);
      const bool exists = store::getSubscriber(txn, name).has_value();
      store::putSubscriber(txn, s, exists ? store::WriteMode::Replace : store::WriteMode::Create);
    });
  }
  testutil::TempDir tmp_;
  std::unique_ptr<store::Env> env_;
};

TEST_F(StoreReaderTest, FirstPollIsFullThenOnlyChanges) {
  StoreReader r(*env_);
  const int64_t now = std::time(nullptr);
  auto d = r.poll(now);
  ASSERT_TRUE(d.changed);
  EXPECT_TRUE(d.full);
  EXPECT_EQ(d.subscribers.size(), 3u);
  EXPECT_EQ(d.plan_caps.at("p"), 1000u);
  EXPECT_EQ(d.usage.size(), 3u);

  EXPECT_FALSE(r.poll(now).changed) << "nothing written: nothing to do";

  putSub("b", store::pb::ISOLATED);
  write([](store::WriteTxn& txn) { store::deleteSubscriber(txn, "c"); });
  d = r.poll(now);
  ASSERT_TRUE(d.changed);
  EXPECT_FALSE(d.full);
  ASSERT_EQ(d.subscribers.size(), 1u);
  EXPECT_EQ(d.subscribers[0].username, "b");
  EXPECT_EQ(d.subscribers[0].state, SubscriberState::Isolated);
  ASSERT_EQ(d.removed_subscribers.size(), 1u);
  EXPECT_EQ(d.removed_subscribers[0], "c");
  EXPECT_FALSE(d.plans_changed);

  // Accounting writes no change entries: sessions and usage are found by the moved store.
  write([&](store::WriteTxn& txn) {
    store::pb::Session s;
    s.set_username("a");
    s.set_nas_ip("10.0.0.1");
    s.set_acct_session_id("s1");
    s.set_state(store::pb::SESSION_ACTIVE);
    store::putSession(txn, store::sessionKey("10.0.0.1", "s1"), s);
    store::addUsage(txn, "a", now, 10, 20, 1);
  });
  d = r.poll(now);
  ASSERT_TRUE(d.changed);
  EXPECT_TRUE(d.subscribers.empty());
  ASSERT_EQ(d.sessions.size(), 1u);
  EXPECT_EQ(d.sessions[0].id, "s1");
  ASSERT_TRUE(d.usage.count("a"));
  EXPECT_EQ(d.usage["a"].today_down, 20u); // output octets = download
  EXPECT_EQ(d.usage["a"].month_up, 10u);
  EXPECT_FALSE(d.usage.count("b")) << "usage is read again only where it can have moved";
}

TEST_F(StoreReaderTest, FallingBehindTheTrimmedLogReloadsEverything) {
  StoreReader r(*env_);
  const int64_t now = std::time(nullptr);
  ASSERT_TRUE(r.poll(now).full);
  // Far more changes than the log keeps (trimming happens in batches of 1024).
  write([](store::WriteTxn& txn) {
    auto s = *store::getSubscriber(txn, "a");
    for (int i = 0; i < 1100; ++i) {
      s.set_status(i % 2 ? store::pb::ACTIVE : store::pb::SUSPENDED);
      store::putSubscriber(txn, s, store::WriteMode::Replace);
    }
  });
  auto d = r.poll(now);
  ASSERT_TRUE(d.changed);
  EXPECT_TRUE(d.full);
  EXPECT_EQ(d.subscribers.size(), 3u);
  EXPECT_FALSE(r.poll(now).changed);
}

} // namespace
} // namespace ispbox::agentx
