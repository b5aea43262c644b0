// SPDX-License-Identifier: GPL-2.0-or-later
// Typed records: create/replace rules, secondary indexes, token secrecy, and forward
// compatibility of the encoding (fields added by a newer ispbox survive an older one).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "store/codec.h"
#include "store/entities.h"
#include "store/env.h"
#include "store/logs.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::store {
namespace {

using testutil::TempDir;

class StoreEntities : public ::testing::Test {
protected:
  StoreEntities() {
    EnvOptions opts;
    opts.dir = dir_.path();
    env_ = Env::open(opts);
  }

  // Runs fn in a write transaction and commits it.
  template <class Fn> void inWrite(Fn&& fn) {
    auto txn = env_->write();
    fn(txn);
    txn.commit();
  }

  std::vector<std::string> onPlan(std::string_view plan, std::string_view after = "") {
    std::vector<std::string> out;
    auto txn = env_->read();
    forEachSubscriberOnPlan(txn, plan, after, [&](std::string_view u) {
      out.emplace_back(u);
      return true;
    });
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Env> env_;
};

template <class Fn> std::optional<StoreError::Code> storeErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const StoreError& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected a StoreError";
  return std::nullopt;
}

pb::Plan makePlan(const std::string& name, uint64_t down = 10'000'000) {
  pb::Plan p;
  p.set_name(name);
  p.set_download_bps(down);
  p.set_upload_bps(down / 4);
  return p;
}

pb::Subscriber makeSubscriber(const std::string& user, const std::string& plan) {
  pb::Subscriber s;
  s.set_username(user);
  s.set_password("secret-" + user);
  s.set_plan(plan);
  s.set_status(pb::ACTIVE);
  return s;
}

pb::Nas makeNas(const std::string& name, const std::string& ip) {
  pb::Nas n;
  n.set_name(name);
  n.set_ip(ip);
  n.set_secret("radius-" + name);
  n.set_vendor("mikrotik");
  return n;
}

// ---- plans ----

TEST_F(StoreEntities, PlanCreateReplaceRules) {
  inWrite([](WriteTxn& txn) { putPlan(txn, makePlan("basic"), WriteMode::Create); });
  {
    auto txn = env_->write();
    EXPECT_EQ(storeErrorOf([&] { putPlan(txn, makePlan("basic", 1), WriteMode::Create); }),
              StoreError::Code::Conflict);
    EXPECT_EQ(storeErrorOf([&] { putPlan(txn, makePlan("nope"), WriteMode::Replace); }),
              StoreError::Code::NotFound);
    putPlan(txn, makePlan("basic", 50'000'000), WriteMode::Replace);
    txn.commit();
  }
  auto txn = env_->read();
  auto p = getPlan(txn, "basic");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->download_bps(), 50'000'000u);
  EXPECT_FALSE(getPlan(txn, "nope"));
  EXPECT_EQ(txn.count(Table::Plans), 1u);
}

TEST_F(StoreEntities, DeletePlanRefusedWhileSubscribersOnIt) {
  inWrite([](WriteTxn& txn) {
    putPlan(txn, makePlan("basic"), WriteMode::Create);
    putSubscriber(txn, makeSubscriber("alice", "basic"), WriteMode::Create);
  });
  {
    auto txn = env_->write();
    EXPECT_FALSE(deletePlan(txn, "nope"));
    EXPECT_EQ(storeErrorOf([&] { deletePlan(txn, "basic"); }), StoreError::Code::Conflict);
    EXPECT_TRUE(getPlan(txn, "basic"));
    EXPECT_EQ(countSubscribersOnPlan(txn, "basic", 100), 1u);
    ASSERT_TRUE(deleteSubscriber(txn, "alice"));
    EXPECT_EQ(countSubscribersOnPlan(txn, "basic", 100), 0u);
    EXPECT_TRUE(deletePlan(txn, "basic"));
    EXPECT_FALSE(deletePlan(txn, "basic"));
    txn.commit();
  }
  auto txn = env_->read();
  EXPECT_FALSE(getPlan(txn, "basic"));
  EXPECT_EQ(txn.count(Table::Plans), 0u);
}

// ---- subscribers ----

TEST_F(StoreEntities, SubscriberCreateReplaceRules) {
  inWrite([](WriteTxn& txn) { putPlan(txn, makePlan("basic"), WriteMode::Create); });
  auto txn = env_->write();
  EXPECT_EQ(
      storeErrorOf([&] { putSubscriber(txn, makeSubscriber("bob", "gold"), WriteMode::Create); }),
      StoreError::Code::NotFound);
  EXPECT_FALSE(getSubscriber(txn, "bob"));
  EXPECT_EQ(
      storeErrorOf([&] { putSubscriber(txn, makeSubscriber("bob", "basic"), WriteMode::Replace); }),
      StoreError::Code::NotFound);
  putSubscriber(txn, makeSubscriber("bob", "basic"), WriteMode::Create);
  EXPECT_EQ(
      storeErrorOf([&] { putSubscriber(txn, makeSubscriber("bob", "basic"), WriteMode::Create); }),
      StoreError::Code::Conflict);
  auto bob = makeSubscriber("bob", "basic");
  bob.set_static_ip("100.64.0.7");
  bob.set_status(pb::SUSPENDED);
  putSubscriber(txn, bob, WriteMode::Replace);
  txn.commit();

  auto r = env_->read();
  pb::Subscriber out;
  ASSERT_TRUE(getSubscriber(r, "bob", &out));
  EXPECT_EQ(out.static_ip(), "100.64.0.7");
  EXPECT_EQ(out.status(), pb::SUSPENDED);
  EXPECT_EQ(out.password(), "secret-bob");
  EXPECT_FALSE(getSubscriber(r, "nobody", &out));
  EXPECT_FALSE(getSubscriber(r, "nobody"));
}

TEST_F(StoreEntities, ReusedMessageIsFullyOverwritten) {
  inWrite([](WriteTxn& txn) {
    putPlan(txn, makePlan("basic"), WriteMode::Create);
    auto a = makeSubscriber("a", "basic");
    a.set_static_ip("10.0.0.1");
    a.set_mac("AA:BB:CC:DD:EE:FF");
    putSubscriber(txn, a, WriteMode::Create);
    putSubscriber(txn, makeSubscriber("b", "basic"), WriteMode::Create);
  });
  auto txn = env_->read();
  pb::Subscriber reused;
  ASSERT_TRUE(getSubscriber(txn, "a", &reused));
  ASSERT_TRUE(getSubscriber(txn, "b", &reused));
  // The hot path reuses one message: nothing of "a" may leak into "b".
  EXPECT_EQ(reused.username(), "b");
  EXPECT_EQ(reused.static_ip(), "");
  EXPECT_EQ(reused.mac(), "");
}

TEST_F(StoreEntities, PlanIndexFollowsPlanChanges) {
  inWrite([](WriteTxn& txn) {
    putPlan(txn, makePlan("p"), WriteMode::Create);
    putPlan(txn, makePlan("p2"), WriteMode::Create);
    for (auto u : {"carol", "alice", "bob"})
      putSubscriber(txn, makeSubscriber(u, "p"), WriteMode::Create);
    putSubscriber(txn, makeSubscriber("dave", "p2"), WriteMode::Create);
  });
  // In username order, and "p" does not pick up "p2"'s subscribers although it is a prefix.
  EXPECT_EQ(onPlan("p"), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(onPlan("p2"), (std::vector<std::string>{"dave"}));
  EXPECT_EQ(onPlan("p", "alice"), (std::vector<std::string>{"bob", "carol"}));
  EXPECT_EQ(onPlan("p", "carol"), (std::vector<std::string>{}));
  EXPECT_EQ(onPlan("none"), (std::vector<std::string>{}));
  {
    auto txn = env_->read();
    EXPECT_EQ(countSubscribersOnPlan(txn, "p", 100), 3u);
    EXPECT_EQ(countSubscribersOnPlan(txn, "p", 2), 2u); // stops early
  }
  // Stopping the iteration early.
  {
    auto txn = env_->read();
    std::vector<std::string> seen;
    forEachSubscriberOnPlan(txn, "p", "", [&](std::string_view u) {
      seen.emplace_back(u);
      return false;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"alice"}));
  }

  inWrite([](WriteTxn& txn) {
    putSubscriber(txn, makeSubscriber("bob", "p2"), WriteMode::Replace);
    putSubscriber(txn, makeSubscriber("alice", "p"), WriteMode::Replace); // same plan
  });
  EXPECT_EQ(onPlan("p"), (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(onPlan("p2"), (std::vector<std::string>{"bob", "dave"}));

  inWrite([](WriteTxn& txn) {
    EXPECT_TRUE(deleteSubscriber(txn, "carol"));
    EXPECT_FALSE(deleteSubscriber(txn, "carol"));
  });
  EXPECT_EQ(onPlan("p"), (std::vector<std::string>{"alice"}));
  auto txn = env_->read();
  EXPECT_EQ(txn.count(Table::SubscribersByPlan), txn.count(Table::Subscribers));
}

TEST_F(StoreEntities, StaticIpIsUniqueAndIndexFollowsChanges) {
  auto withIp = [](const std::string& user, const std::string& ip) {
    auto s = makeSubscriber(user, "basic");
    s.set_static_ip(ip);
    return s;
  };
  auto owner = [this](const std::string& ip) -> std::optional<std::string> {
    auto txn = env_->read();
    auto v = txn.get(Table::SubscribersByIp, ip);
    if (!v) return std::nullopt;
    return std::string(*v);
  };
  inWrite([&](WriteTxn& txn) {
    putPlan(txn, makePlan("basic"), WriteMode::Create);
    putSubscriber(txn, withIp("alice", "100.64.0.1"), WriteMode::Create);
  });
  EXPECT_EQ(owner("100.64.0.1"), "alice");
  {
    auto txn = env_->write();
    EXPECT_EQ(
        storeErrorOf([&] { putSubscriber(txn, withIp("bob", "100.64.0.1"), WriteMode::Create); }),
        StoreError::Code::Conflict);
    EXPECT_FALSE(getSubscriber(txn, "bob"));
    putSubscriber(txn, makeSubscriber("bob", "basic"), WriteMode::Create);
    EXPECT_EQ(
        storeErrorOf([&] { putSubscriber(txn, withIp("bob", "100.64.0.1"), WriteMode::Replace); }),
        StoreError::Code::Conflict);
    // Rewriting alice with her own address is no conflict.
    putSubscriber(txn, withIp("alice", "100.64.0.1"), WriteMode::Replace);
    txn.commit();
  }
  // Moving alice frees her old address for bob.
  inWrite([&](WriteTxn& txn) {
    putSubscriber(txn, withIp("alice", "100.64.0.2"), WriteMode::Replace);
    putSubscriber(txn, withIp("bob", "100.64.0.1"), WriteMode::Replace);
  });
  EXPECT_EQ(owner("100.64.0.1"), "bob");
  EXPECT_EQ(owner("100.64.0.2"), "alice");
  // Dropping the static address, or the subscriber, drops the index entry.
  inWrite([&](WriteTxn& txn) {
    putSubscriber(txn, makeSubscriber("alice", "basic"), WriteMode::Replace);
    EXPECT_TRUE(deleteSubscriber(txn, "bob"));
  });
  EXPECT_FALSE(owner("100.64.0.1"));
  EXPECT_FALSE(owner("100.64.0.2"));
  auto txn = env_->read();
  EXPECT_EQ(txn.count(Table::SubscribersByIp), 0u);
}

// ---- NAS ----

TEST_F(StoreEntities, NasIpIsUniqueAndIndexFollowsChanges) {
  inWrite([](WriteTxn& txn) {
    putNas(txn, makeNas("core", "192.0.2.1"), WriteMode::Create);
    putNas(txn, makeNas("edge", "192.0.2.2"), WriteMode::Create);
  });
  {
    auto txn = env_->write();
    EXPECT_EQ(storeErrorOf([&] { putNas(txn, makeNas("third", "192.0.2.1"), WriteMode::Create); }),
              StoreError::Code::Conflict);
    EXPECT_EQ(storeErrorOf([&] { putNas(txn, makeNas("edge", "192.0.2.1"), WriteMode::Replace); }),
              StoreError::Code::Conflict);
    EXPECT_EQ(storeErrorOf([&] { putNas(txn, makeNas("core", "192.0.2.9"), WriteMode::Create); }),
              StoreError::Code::Conflict);
    EXPECT_EQ(storeErrorOf([&] { putNas(txn, makeNas("ghost", "192.0.2.9"), WriteMode::Replace); }),
              StoreError::Code::NotFound);
    // Same name, same IP: a plain update.
    auto core = makeNas("core", "192.0.2.1");
    core.set_description("updated");
    putNas(txn, core, WriteMode::Replace);
    txn.commit();
  }
  {
    auto txn = env_->read();
    auto byIp = getNasByIp(txn, "192.0.2.1");
    ASSERT_TRUE(byIp);
    EXPECT_EQ(byIp->name(), "core");
    EXPECT_EQ(byIp->description(), "updated");
    EXPECT_FALSE(getNas(txn, "third"));
    EXPECT_FALSE(getNasByIp(txn, "192.0.2.9"));
  }
  // Moving core to a new address frees the old one.
  inWrite([](WriteTxn& txn) { putNas(txn, makeNas("core", "192.0.2.10"), WriteMode::Replace); });
  {
    auto txn = env_->read();
    EXPECT_FALSE(getNasByIp(txn, "192.0.2.1"));
    ASSERT_TRUE(getNasByIp(txn, "192.0.2.10"));
    EXPECT_EQ(getNasByIp(txn, "192.0.2.10")->name(), "core");
    EXPECT_EQ(txn.count(Table::NasByIp), 2u);
  }
  inWrite([](WriteTxn& txn) { putNas(txn, makeNas("third", "192.0.2.1"), WriteMode::Create); });
  inWrite([](WriteTxn& txn) {
    EXPECT_TRUE(deleteNas(txn, "edge"));
    EXPECT_FALSE(deleteNas(txn, "edge"));
  });
  auto txn = env_->read();
  EXPECT_FALSE(getNasByIp(txn, "192.0.2.2"));
  EXPECT_EQ(getNasByIp(txn, "192.0.2.1")->name(), "third");
  EXPECT_EQ(txn.count(Table::Nas), 2u);
  EXPECT_EQ(txn.count(Table::NasByIp), 2u);
}

TEST_F(StoreEntities, NasStatusIsRecordedAndGoesWithItsNas) {
  inWrite([](WriteTxn& txn) { putNas(txn, makeNas("core", "192.0.2.1"), WriteMode::Create); });
  uint64_t before;
  {
    auto txn = env_->read();
    before = latestChange(txn);
    EXPECT_FALSE(getNasStatus(txn, "core"));
  }
  inWrite([](WriteTxn& txn) {
    pb::NasStatus s;
    s.set_name("core");
    s.set_state(pb::NAS_UNREACHABLE);
    s.set_failures(3);
    putNasStatus(txn, s);
  });
  {
    auto txn = env_->read();
    auto st = getNasStatus(txn, "core");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state(), pb::NAS_UNREACHABLE);
    EXPECT_EQ(st->failures(), 3u);
    // Followers of the change sequence (the subagent) learn about it.
    auto batch = changesSince(txn, before, 10);
    ASSERT_EQ(batch.changes.size(), 1u);
    EXPECT_EQ(batch.changes[0].change.entity(), pb::NAS_STATUS);
    EXPECT_EQ(batch.changes[0].change.key(), "core");
  }
  inWrite([](WriteTxn& txn) { EXPECT_TRUE(deleteNas(txn, "core")); });
  auto txn = env_->read();
  EXPECT_FALSE(getNasStatus(txn, "core"));
  EXPECT_EQ(txn.count(Table::NasStatus), 0u);
}

// ---- tokens ----

TEST_F(StoreEntities, TokensCreateFindListRevoke) {
  pb::ApiToken req;
  req.set_name("billing");
  req.set_role("operator");
  req.set_created_by("admin");
  NewToken a, b;
  inWrite([&](WriteTxn& txn) {
    a = createToken(txn, req);
    req.set_name("monitor");
    req.set_role("readonly");
    b = createToken(txn, req);
  });
  EXPECT_FALSE(a.secret.empty());
  EXPECT_NE(a.secret, b.secret);
  EXPECT_FALSE(a.token.id().empty());
  EXPECT_NE(a.token.id(), b.token.id());
  EXPECT_GT(a.token.created_at(), 0);
  {
    auto txn = env_->read();
    auto found = findTokenBySecret(txn, a.secret);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id(), a.token.id());
    EXPECT_EQ(found->name(), "billing");
    EXPECT_EQ(found->role(), "operator");
    EXPECT_EQ(found->created_by(), "admin");
    EXPECT_EQ(findTokenBySecret(txn, b.secret)->name(), "monitor");
    EXPECT_FALSE(findTokenBySecret(txn, a.secret + "x"));
    EXPECT_FALSE(findTokenBySecret(txn, ""));
    EXPECT_FALSE(findTokenBySecret(txn, a.token.id()));
    auto all = listTokens(txn);
    ASSERT_EQ(all.size(), 2u);
    std::set<std::string> names{all[0].name(), all[1].name()};
    EXPECT_EQ(names, (std::set<std::string>{"billing", "monitor"}));
  }
  inWrite([&](WriteTxn& txn) {
    EXPECT_FALSE(revokeToken(txn, "no-such-id"));
    EXPECT_TRUE(revokeToken(txn, a.token.id()));
    EXPECT_FALSE(revokeToken(txn, a.token.id()));
  });
  auto txn = env_->read();
  EXPECT_FALSE(findTokenBySecret(txn, a.secret));
  EXPECT_TRUE(findTokenBySecret(txn, b.secret));
  auto all = listTokens(txn);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id(), b.token.id());
}

TEST_F(StoreEntities, TokenSecretIsStoredNowhere) {
  pb::ApiToken req;
  req.set_name("billing");
  req.set_role("admin");
  NewToken t;
  inWrite([&](WriteTxn& txn) { t = createToken(txn, req); });
  ASSERT_GE(t.secret.size(), 32u);
  // The random part alone, in case a prefix is shared with something stored.
  const std::string random_part = t.secret.substr(t.secret.size() - 32);
  auto txn = env_->read();
  size_t scanned = 0;
  for (unsigned i = 0; i < kTableCount; ++i) {
    const Table table = static_cast<Table>(i);
    Cursor cur(txn, table);
    for (bool ok = cur.first(); ok; ok = cur.next(), ++scanned) {
      EXPECT_EQ(cur.key().find(random_part), std::string_view::npos) << tableName(table);
      EXPECT_EQ(cur.value().find(random_part), std::string_view::npos) << tableName(table);
    }
  }
  EXPECT_GT(scanned, 0u);
  // Nor anywhere in the file, free pages included.
  std::ifstream in(dir_.path() / "data.mdb", std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(file.find(random_part), std::string::npos);
  EXPECT_NE(file.find(t.token.id()), std::string::npos); // sanity: the scan sees stored data
}

// ---- forward compatibility ----

void appendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Fields a newer ispbox might add: 1000 (varint) and 1001 (length-delimited).
std::string futureFields() {
  std::string out;
  appendVarint(out, (1000u << 3) | 0u);
  appendVarint(out, 123456789);
  appendVarint(out, (1001u << 3) | 2u);
  const std::string text = "from-the-future";
  appendVarint(out, text.size());
  out += text;
  return out;
}

TEST(StoreCodec, UnknownFieldsSurviveDecodeAndReencode) {
  auto sub = makeSubscriber("alice", "basic");
  sub.set_static_ip("100.64.1.2");
  sub.set_expires_at(1'900'000'000);
  const std::string future = futureFields();
  ASSERT_EQ(static_cast<unsigned char>(future[0]), 0xc0); // tag 8000 as a varint: c0 3e
  ASSERT_EQ(static_cast<unsigned char>(future[1]), 0x3e);
  const std::string bytes = encode(sub) + future;

  auto decoded = decode<pb::Subscriber>(bytes, "subscriber");
  EXPECT_EQ(decoded.username(), "alice");
  EXPECT_EQ(decoded.plan(), "basic");
  EXPECT_EQ(decoded.static_ip(), "100.64.1.2");
  EXPECT_EQ(decoded.expires_at(), 1'900'000'000);
  EXPECT_EQ(decoded.status(), pb::ACTIVE);
  // An older build changes a field it knows and writes the record back.
  decoded.set_comment("touched");
  const std::string rewritten = encode(decoded);
  EXPECT_NE(rewritten.find(future), std::string::npos);
  EXPECT_EQ(decode<pb::Subscriber>(rewritten, "subscriber").comment(), "touched");
}

TEST_F(StoreEntities, UnknownFieldsSurviveTheStore) {
  inWrite([](WriteTxn& txn) { putPlan(txn, makePlan("basic"), WriteMode::Create); });
  const std::string future = futureFields();
  auto sub = makeSubscriber("alice", "basic");
  // As a newer build would have written it (its index entry comes with the rewrite below).
  inWrite([&](WriteTxn& txn) { txn.put(Table::Subscribers, "alice", encode(sub) + future); });
  pb::Subscriber got;
  {
    auto txn = env_->read();
    ASSERT_TRUE(getSubscriber(txn, "alice", &got));
    EXPECT_EQ(got.username(), "alice");
    EXPECT_EQ(got.password(), "secret-alice");
    EXPECT_EQ(got.plan(), "basic");
  }
  got.set_status(pb::SUSPENDED);
  inWrite([&](WriteTxn& txn) { putSubscriber(txn, got, WriteMode::Replace); });
  auto txn = env_->read();
  auto raw = txn.get(Table::Subscribers, "alice");
  ASSERT_TRUE(raw);
  EXPECT_NE(raw->find(future), std::string_view::npos);
  EXPECT_EQ(getSubscriber(txn, "alice")->status(), pb::SUSPENDED);
  EXPECT_EQ(onPlan("basic"), (std::vector<std::string>{"alice"}));
}

TEST_F(StoreEntities, UndecodableRecordIsCorrupt) {
  inWrite([](WriteTxn& txn) { txn.put(Table::Subscribers, "broken", std::string("\xff\xff", 2)); });
  auto txn = env_->read();
  pb::Subscriber s;
  EXPECT_EQ(storeErrorOf([&] { getSubscriber(txn, "broken", &s); }), StoreError::Code::Corrupt);
}

} // namespace
} // namespace ispbox::store
