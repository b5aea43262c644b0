// SPDX-License-Identifier: GPL-2.0-or-later
// The change log (what followers replay, trimmed, with gap detection) and the audit log.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/entities.h"
#include "store/env.h"
#include "store/logs.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::store {
namespace {

using testutil::TempDir;

std::unique_ptr<Env> openEnv(const std::filesystem::path& dir, uint64_t keep = 200000) {
  EnvOptions opts;
  opts.dir = dir;
  opts.change_log_keep = keep;
  return Env::open(opts);
}

pb::Plan makePlan(const std::string& name, uint64_t down = 1'000'000) {
  pb::Plan p;
  p.set_name(name);
  p.set_download_bps(down);
  return p;
}

std::vector<uint64_t> seqsOf(const ChangeBatch& b) {
  std::vector<uint64_t> out;
  for (const auto& c : b.changes)
    out.push_back(c.seq);
  return out;
}

struct Expected {
  pb::Entity entity;
  std::string key;
  pb::ChangeOp op;
};

TEST(StoreLogs, EveryWriteAddsOneChangeInOrder) {
  TempDir dir;
  auto env = openEnv(dir.path());
  EXPECT_EQ(latestChange(env->read()), 0u);
  EXPECT_TRUE(changesSince(env->read(), 0, 10).changes.empty());

  std::string token_id;
  auto step = [&](auto&& fn) {
    auto txn = env->write();
    const uint64_t before = latestChange(txn);
    fn(txn);
    EXPECT_EQ(latestChange(txn), before + 1);
    txn.commit();
  };
  step([](WriteTxn& t) { putPlan(t, makePlan("basic"), WriteMode::Create); });
  step([](WriteTxn& t) {
    pb::Subscriber s;
    s.set_username("alice");
    s.set_plan("basic");
    putSubscriber(t, s, WriteMode::Create);
  });
  step([](WriteTxn& t) { deleteSubscriber(t, "alice"); });
  step([](WriteTxn& t) {
    pb::Nas n;
    n.set_name("core");
    n.set_ip("192.0.2.1");
    putNas(t, n, WriteMode::Create);
  });
  step([](WriteTxn& t) { deleteNas(t, "core"); });
  step([&](WriteTxn& t) { token_id = createToken(t, pb::ApiToken()).token.id(); });
  step([&](WriteTxn& t) { revokeToken(t, token_id); });
  step([](WriteTxn& t) { deletePlan(t, "basic"); });
  // Operations that change nothing record nothing.
  {
    auto txn = env->write();
    EXPECT_FALSE(deleteSubscriber(txn, "alice"));
    EXPECT_FALSE(deleteNas(txn, "core"));
    EXPECT_FALSE(deletePlan(txn, "basic"));
    EXPECT_FALSE(revokeToken(txn, token_id));
    EXPECT_EQ(latestChange(txn), 8u);
  }

  const std::vector<Expected> want = {
      {pb::PLAN, "basic", pb::PUT},          {pb::SUBSCRIBER, "alice", pb::PUT},
      {pb::SUBSCRIBER, "alice", pb::DELETE}, {pb::NAS, "core", pb::PUT},
      {pb::NAS, "core", pb::DELETE},         {pb::TOKEN, token_id, pb::PUT},
      {pb::TOKEN, token_id, pb::DELETE},     {pb::PLAN, "basic", pb::DELETE},
  };
  auto txn = env->read();
  EXPECT_EQ(latestChange(txn), 8u);
  auto all = changesSince(txn, 0, 100);
  EXPECT_FALSE(all.gap);
  EXPECT_EQ(all.latest, 8u);
  ASSERT_EQ(all.changes.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& c = all.changes[i];
    EXPECT_EQ(c.seq, i + 1);
    EXPECT_EQ(c.change.entity(), want[i].entity) << i;
    EXPECT_EQ(c.change.key(), want[i].key) << i;
    EXPECT_EQ(c.change.op(), want[i].op) << i;
    EXPECT_GT(c.change.at_ms(), 1'600'000'000'000) << i;
  }
}

TEST(StoreLogs, ChangesSinceWindowsAndLimits) {
  TempDir dir;
  auto env = openEnv(dir.path());
  {
    auto txn = env->write();
    for (int i = 0; i < 10; ++i)
      putPlan(txn, makePlan("p" + std::to_string(i)), WriteMode::Create);
    txn.commit();
  }
  auto txn = env->read();
  auto b = changesSince(txn, 3, 4);
  EXPECT_EQ(seqsOf(b), (std::vector<uint64_t>{4, 5, 6, 7}));
  EXPECT_FALSE(b.gap);
  EXPECT_EQ(b.latest, 10u);
  EXPECT_EQ(b.changes[0].change.key(), "p3");
  EXPECT_EQ(seqsOf(changesSince(txn, 8, 100)), (std::vector<uint64_t>{9, 10}));
  EXPECT_EQ(seqsOf(changesSince(txn, 0, 1)), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(changesSince(txn, 0, 0).changes.empty()); // max 0 means none, not one
  for (uint64_t after : {uint64_t{10}, uint64_t{11}, uint64_t{1000}}) {
    auto none = changesSince(txn, after, 100);
    EXPECT_TRUE(none.changes.empty()) << after;
    EXPECT_FALSE(none.gap) << after;
    EXPECT_EQ(none.latest, 10u);
  }
}

TEST(StoreLogs, UncommittedChangesAreNotLogged) {
  TempDir dir;
  auto env = openEnv(dir.path());
  {
    auto txn = env->write();
    putPlan(txn, makePlan("a"), WriteMode::Create);
    txn.commit();
  }
  {
    auto txn = env->write();
    putPlan(txn, makePlan("b"), WriteMode::Create);
  }
  {
    auto txn = env->write();
    putPlan(txn, makePlan("c"), WriteMode::Create);
    txn.commit();
  }
  auto b = changesSince(env->read(), 0, 100);
  ASSERT_EQ(b.changes.size(), 2u);
  EXPECT_EQ(b.changes[1].seq, 2u); // the aborted transaction did not use up a number
  EXPECT_EQ(b.changes[1].change.key(), "c");
}

TEST(StoreLogs, TrimmingKeepsTheTailAndReportsGaps) {
  TempDir dir;
  constexpr uint64_t kKeep = 10;
  auto env = openEnv(dir.path(), kKeep);
  {
    auto txn = env->write();
    putPlan(txn, makePlan("p"), WriteMode::Create);
    txn.commit();
  }
  // Replacing one plan again and again: one change each, in batches of 100 per transaction.
  for (int batch = 0; batch < 22; ++batch) {
    auto txn = env->write();
    for (int i = 0; i < 100; ++i)
      putPlan(txn, makePlan("p", static_cast<uint64_t>(batch * 100 + i)), WriteMode::Replace);
    txn.commit();
  }
  auto txn = env->read();
  const uint64_t latest = latestChange(txn);
  ASSERT_EQ(latest, 2201u);
  // At least `keep` entries survive, and trimming did happen.
  const uint64_t kept = txn.count(Table::Changes);
  EXPECT_GE(kept, kKeep);
  EXPECT_LT(kept, 2048u);
  Cursor cur(txn, Table::Changes);
  ASSERT_TRUE(cur.first());
  const uint64_t oldest = decodeSeq(cur.key());
  EXPECT_EQ(oldest, latest - kept + 1); // no holes in what is kept
  EXPECT_GT(oldest, 2u);

  auto from_start = changesSince(txn, 0, 100);
  EXPECT_TRUE(from_start.gap);
  EXPECT_TRUE(changesSince(txn, 1, 100).gap);
  EXPECT_TRUE(changesSince(txn, oldest - 2, 100).gap);
  // A follower that saw everything up to just before the oldest kept entry missed nothing.
  auto edge = changesSince(txn, oldest - 1, 5);
  EXPECT_FALSE(edge.gap);
  ASSERT_FALSE(edge.changes.empty());
  EXPECT_EQ(edge.changes[0].seq, oldest);

  auto tail = changesSince(txn, latest - 5, 100);
  EXPECT_FALSE(tail.gap);
  EXPECT_EQ(seqsOf(tail),
            (std::vector<uint64_t>{latest - 4, latest - 3, latest - 2, latest - 1, latest}));
  EXPECT_EQ(tail.changes.back().change.key(), "p");
  auto none = changesSince(txn, latest, 100);
  EXPECT_TRUE(none.changes.empty());
  EXPECT_FALSE(none.gap);
}

TEST(StoreLogs, TrimmingIsAlsoCorrectWithinOneTransaction) {
  TempDir dir;
  auto env = openEnv(dir.path(), 5);
  {
    auto txn = env->write();
    putPlan(txn, makePlan("p"), WriteMode::Create);
    for (int i = 0; i < 1100; ++i)
      putPlan(txn, makePlan("p", static_cast<uint64_t>(i)), WriteMode::Replace);
    txn.commit();
  }
  auto txn = env->read();
  EXPECT_LT(txn.count(Table::Changes), 1100u);
  EXPECT_TRUE(changesSince(txn, 0, 10).gap);
  EXPECT_FALSE(changesSince(txn, latestChange(txn) - 5, 10).gap);
}

// A batch takes consecutive numbers after single appends, in order, and trims like them.
TEST(StoreLogs, BatchAppendsAreNumberedInOrderAndTrimmed) {
  TempDir dir;
  auto env = openEnv(dir.path());
  auto txn = env->write();
  EXPECT_EQ(appendToLog(txn, Table::PostAuthLog, "test", "first", 1000), 1u);
  std::vector<std::string> values;
  for (int i = 0; i < 2500; ++i)
    values.push_back("v" + std::to_string(i));
  const std::vector<std::string_view> batch(values.begin(), values.end());
  EXPECT_EQ(appendToLog(txn, Table::PostAuthLog, "test", batch, 1000), 2u);
  EXPECT_EQ(appendToLog(txn, Table::PostAuthLog, "test", std::vector<std::string_view>{}, 1000),
            0u);
  EXPECT_EQ(appendToLog(txn, Table::PostAuthLog, "test", "last", 1000), 2502u);
  txn.commit();
  auto r = env->read();
  // The batch passed 2048, so it was trimmed to its newest 1000 (1502..2501); 2502 came after.
  EXPECT_EQ(r.count(Table::PostAuthLog), 1001u);
  Cursor cur(r, Table::PostAuthLog);
  ASSERT_TRUE(cur.first());
  EXPECT_EQ(decodeSeq(cur.key()), 1502u);
  EXPECT_EQ(cur.value(), "v1500");
  ASSERT_TRUE(cur.last());
  EXPECT_EQ(decodeSeq(cur.key()), 2502u);
  EXPECT_EQ(cur.value(), "last");
  ASSERT_TRUE(cur.prev());
  EXPECT_EQ(cur.value(), "v2499");
}

pb::AuditEntry auditEntry(const std::string& action, const std::string& entity,
                          const std::string& key, int64_t at_ms = 0) {
  pb::AuditEntry e;
  e.set_actor("admin");
  e.set_action(action);
  e.set_entity(entity);
  e.set_key(key);
  e.set_at_ms(at_ms);
  return e;
}

std::vector<uint64_t> seqsOf(const std::vector<AuditRecord>& v) {
  std::vector<uint64_t> out;
  for (const auto& r : v)
    out.push_back(r.seq);
  return out;
}

TEST(StoreLogs, AuditNewestFirstWithPagingAndFilter) {
  TempDir dir;
  auto env = openEnv(dir.path());
  EXPECT_TRUE(listAudit(env->read(), 0, 10, nullptr).empty());
  {
    auto txn = env->write();
    EXPECT_EQ(appendAudit(txn, auditEntry("create", "plan", "basic")), 1u);
    EXPECT_EQ(appendAudit(txn, auditEntry("create", "subscriber", "alice")), 2u);
    EXPECT_EQ(appendAudit(txn, auditEntry("update", "subscriber", "alice", 42)), 3u);
    EXPECT_EQ(appendAudit(txn, auditEntry("create", "nas", "core")), 4u);
    EXPECT_EQ(appendAudit(txn, auditEntry("delete", "subscriber", "alice")), 5u);
    txn.commit();
  }
  auto txn = env->read();
  auto all = listAudit(txn, 0, 100, nullptr);
  EXPECT_EQ(seqsOf(all), (std::vector<uint64_t>{5, 4, 3, 2, 1}));
  EXPECT_EQ(all[0].entry.action(), "delete");
  EXPECT_EQ(all[4].entry.key(), "basic");
  EXPECT_EQ(all[2].entry.at_ms(), 42);                // a given time is kept
  EXPECT_GT(all[0].entry.at_ms(), 1'600'000'000'000); // a missing one is filled in

  EXPECT_EQ(seqsOf(listAudit(txn, 0, 2, nullptr)), (std::vector<uint64_t>{5, 4}));
  EXPECT_EQ(seqsOf(listAudit(txn, 4, 2, nullptr)), (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(seqsOf(listAudit(txn, 2, 10, nullptr)), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(listAudit(txn, 1, 10, nullptr).empty());
  EXPECT_EQ(seqsOf(listAudit(txn, 1000, 10, nullptr)), (std::vector<uint64_t>{5, 4, 3, 2, 1}));
  EXPECT_TRUE(listAudit(txn, 0, 0, nullptr).empty());

  auto subscribers = [](const pb::AuditEntry& e) { return e.entity() == "subscriber"; };
  EXPECT_EQ(seqsOf(listAudit(txn, 0, 10, subscribers)), (std::vector<uint64_t>{5, 3, 2}));
  // Paging through a filtered listing: the next page starts below the last seq seen.
  auto page1 = listAudit(txn, 0, 2, subscribers);
  EXPECT_EQ(seqsOf(page1), (std::vector<uint64_t>{5, 3}));
  EXPECT_EQ(seqsOf(listAudit(txn, page1.back().seq, 2, subscribers)), (std::vector<uint64_t>{2}));
  EXPECT_TRUE(
      listAudit(txn, 0, 10, [](const pb::AuditEntry& e) { return e.actor() == "nobody"; }).empty());
}

} // namespace
} // namespace ispbox::store
