// SPDX-License-Identifier: GPL-2.0-or-later
// The environment itself: creation, the schema stamp and its compatibility rules, read-only
// opens, aborted transactions and a full map.
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "store/entities.h"
#include "store/env.h"
#include "store/logs.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::store {
namespace {

using testutil::TempDir;

constexpr std::string_view kSchemaKey = "schema_version";
constexpr std::string_view kMinReaderKey = "min_reader_version";

std::unique_ptr<Env> openWriter(const std::filesystem::path& dir) {
  EnvOptions opts;
  opts.dir = dir;
  return Env::open(opts);
}

std::unique_ptr<Env> openReader(const std::filesystem::path& dir) {
  EnvOptions opts;
  opts.dir = dir;
  opts.read_only = true;
  return Env::open(opts);
}

// Runs fn and returns the StoreError code it threw; fails the test when it threw nothing.
template <class Fn> std::optional<StoreError::Code> storeErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const StoreError& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected a StoreError";
  return std::nullopt;
}

std::optional<std::string> metaValue(const Env& env, std::string_view key) {
  auto txn = env.read();
  auto v = txn.get(Table::Meta, key);
  if (!v) return std::nullopt;
  return std::string(*v);
}

void setMeta(Env& env, std::string_view key, uint64_t value) {
  auto txn = env.write();
  txn.put(Table::Meta, key, encodeSeq(value));
  txn.commit();
}

// Reader slots of this process that hold a snapshot, from LMDB's own reader table.
int heldSnapshots(MDB_env* env) {
  int held = 0;
  mdb_reader_list(
      env,
      [](const char* line, void* ctx) -> int {
        int pid = 0;
        unsigned long thread = 0;
        char txnid[32] = "";
        if (std::sscanf(line, "%d %lx %31s", &pid, &thread, txnid) == 3 && pid == getpid() &&
            std::string_view(txnid) != "-")
          ++*static_cast<int*>(ctx);
        return 0;
      },
      &held);
  return held;
}

pb::Plan plan(const std::string& name) {
  pb::Plan p;
  p.set_name(name);
  p.set_download_bps(20'000'000);
  return p;
}

TEST(StoreEnv, FreshOpenStampsSchemaVersion) {
  TempDir dir;
  auto env = openWriter(dir.path() / "state");
  EXPECT_EQ(env->schemaVersion(), Env::kSchemaVersion);
  EXPECT_EQ(metaValue(*env, kSchemaKey), encodeSeq(Env::kSchemaVersion));
  EXPECT_EQ(metaValue(*env, kMinReaderKey), encodeSeq(Env::kMinReaderVersion));
  auto txn = env->read();
  for (unsigned t = 0; t < kTableCount; ++t) {
    if (static_cast<Table>(t) != Table::Meta) {
      EXPECT_EQ(txn.count(static_cast<Table>(t)), 0u) << tableName(static_cast<Table>(t));
    }
  }
}

TEST(StoreEnv, ReopenKeepsDataAndVersion) {
  TempDir dir;
  {
    auto env = openWriter(dir.path());
    auto txn = env->write();
    putPlan(txn, plan("basic"), WriteMode::Create);
    txn.commit();
  }
  auto env = openWriter(dir.path());
  EXPECT_EQ(env->schemaVersion(), Env::kSchemaVersion);
  auto txn = env->read();
  auto p = getPlan(txn, "basic");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->download_bps(), 20'000'000u);
}

TEST(StoreEnv, ReadOnlyOpenOfMissingStateIsNotFound) {
  TempDir dir;
  EXPECT_EQ(storeErrorOf([&] { openReader(dir.path() / "missing"); }), StoreError::Code::NotFound);
  // An existing but never initialised directory is just as missing.
  EXPECT_EQ(storeErrorOf([&] { openReader(dir.path()); }), StoreError::Code::NotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data.mdb"));
}

TEST(StoreEnv, ReadOnlyOpenReadsButCannotWrite) {
  TempDir dir;
  {
    auto env = openWriter(dir.path());
    auto txn = env->write();
    putPlan(txn, plan("basic"), WriteMode::Create);
    txn.commit();
  }
  auto env = openReader(dir.path());
  EXPECT_TRUE(env->options().read_only);
  EXPECT_EQ(env->schemaVersion(), Env::kSchemaVersion);
  {
    auto txn = env->read();
    EXPECT_TRUE(getPlan(txn, "basic"));
    EXPECT_EQ(txn.count(Table::Plans), 1u);
  }
  EXPECT_TRUE(storeErrorOf([&] { env->write(); }).has_value());
}

TEST(StoreEnv, MinReaderVersionAboveOursRefusesWriterAndReader) {
  TempDir dir;
  {
    auto env = openWriter(dir.path());
    setMeta(*env, kMinReaderKey, Env::kSchemaVersion + 1); // the schema stamp stays ours
  }
  EXPECT_EQ(storeErrorOf([&] { openWriter(dir.path()); }), StoreError::Code::SchemaTooNew);
  EXPECT_EQ(storeErrorOf([&] { openReader(dir.path()); }), StoreError::Code::SchemaTooNew);
}

TEST(StoreEnv, SchemaTooNewRefusesWriterAndReader) {
  TempDir dir;
  {
    auto env = openWriter(dir.path());
    setMeta(*env, kMinReaderKey, Env::kSchemaVersion + 1);
    setMeta(*env, kSchemaKey, Env::kSchemaVersion + 1);
  }
  EXPECT_EQ(storeErrorOf([&] { openWriter(dir.path()); }), StoreError::Code::SchemaTooNew);
  EXPECT_EQ(storeErrorOf([&] { openReader(dir.path()); }), StoreError::Code::SchemaTooNew);
  // Refusing must not have touched the stamp either. Only a build that is new enough may look,
  // so read the raw bytes from the file through a fresh LMDB handle.
  MDB_env* raw = nullptr;
  ASSERT_EQ(mdb_env_create(&raw), 0);
  ASSERT_EQ(mdb_env_set_maxdbs(raw, kTableCount + 4), 0);
  ASSERT_EQ(mdb_env_open(raw, dir.path().c_str(), MDB_RDONLY, 0660), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(raw, nullptr, MDB_RDONLY, &txn), 0);
  MDB_dbi meta;
  ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
  for (auto key : {kSchemaKey, kMinReaderKey}) {
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
    ASSERT_EQ(mdb_get(txn, meta, &k, &v), 0);
    EXPECT_EQ(decodeSeq({static_cast<const char*>(v.mv_data), v.mv_size}), Env::kSchemaVersion + 1)
        << key;
  }
  mdb_txn_abort(txn);
  mdb_env_close(raw);
}

TEST(StoreEnv, NewerSchemaThatWeMayReadOpensWithoutDowngrade) {
  TempDir dir;
  {
    auto env = openWriter(dir.path());
    setMeta(*env, kSchemaKey, Env::kSchemaVersion + 1); // min_reader_version stays ours
  }
  {
    auto env = openWriter(dir.path());
    EXPECT_EQ(env->schemaVersion(), Env::kSchemaVersion + 1);
    EXPECT_EQ(metaValue(*env, kSchemaKey), encodeSeq(Env::kSchemaVersion + 1));
    EXPECT_EQ(metaValue(*env, kMinReaderKey), encodeSeq(Env::kMinReaderVersion));
    // And it is usable for writing.
    auto txn = env->write();
    putPlan(txn, plan("basic"), WriteMode::Create);
    txn.commit();
  }
  {
    auto env = openReader(dir.path());
    EXPECT_EQ(env->schemaVersion(), Env::kSchemaVersion + 1);
    auto txn = env->read();
    EXPECT_TRUE(getPlan(txn, "basic"));
  }
  auto env = openWriter(dir.path());
  EXPECT_EQ(metaValue(*env, kSchemaKey), encodeSeq(Env::kSchemaVersion + 1));
}

TEST(StoreEnv, OlderStampIsMigratedUp) {
  TempDir dir;
  {
    auto env = openWriter(dir.path());
    auto txn = env->write();
    txn.erase(Table::Meta, kSchemaKey);
    txn.erase(Table::Meta, kMinReaderKey);
    txn.commit();
  }
  auto env = openWriter(dir.path());
  EXPECT_EQ(env->schemaVersion(), Env::kSchemaVersion);
  EXPECT_EQ(metaValue(*env, kSchemaKey), encodeSeq(Env::kSchemaVersion));
  EXPECT_EQ(metaValue(*env, kMinReaderKey), encodeSeq(Env::kMinReaderVersion));
}

TEST(StoreEnv, UncommittedWriteLeavesNothing) {
  TempDir dir;
  auto env = openWriter(dir.path());
  {
    auto txn = env->write();
    putPlan(txn, plan("basic"), WriteMode::Create);
    pb::Subscriber s;
    s.set_username("alice");
    s.set_plan("basic");
    putSubscriber(txn, s, WriteMode::Create);
    txn.put(Table::Meta, "scratch", "x");
    appendAudit(txn, pb::AuditEntry());
    // Visible inside the transaction...
    EXPECT_TRUE(getSubscriber(txn, "alice"));
    EXPECT_EQ(latestChange(txn), 2u);
  } // ...and gone when it is destroyed without commit().
  auto check = [](const Env& e) {
    auto txn = e.read();
    EXPECT_FALSE(getPlan(txn, "basic"));
    EXPECT_FALSE(getSubscriber(txn, "alice"));
    EXPECT_FALSE(txn.get(Table::Meta, "scratch"));
    EXPECT_EQ(latestChange(txn), 0u);
    for (Table t :
         {Table::Plans, Table::Subscribers, Table::SubscribersByPlan, Table::Audit, Table::Changes})
      EXPECT_EQ(txn.count(t), 0u) << tableName(t);
  };
  check(*env);
  env.reset();
  check(*openWriter(dir.path()));
}

// A WriteCursor's find() sees what is stored (or nothing), and put() stores there: in place over
// an existing record, as an insert otherwise; a change abandoned before put() writes nothing.
TEST(StoreEnv, AWriteCursorReadsThenWritesTheRecord) {
  TempDir dir;
  auto env = openWriter(dir.path());
  auto txn = env->write();
  txn.put(Table::Meta, "b", "1");
  txn.put(Table::Meta, "d", "9");
  std::vector<std::string> seen;
  auto append = [&](std::string_view key, std::string_view suffix) {
    WriteCursor cur(txn, Table::Meta);
    const auto v = cur.find(key);
    seen.push_back(v ? std::string(*v) : "(none)");
    cur.put(std::string(v.value_or("")) + std::string(suffix));
  };
  append("b", "23"); // grows in place
  append("c", "x");  // absent: inserted between b and d
  append("b", "4");  // its new value is what the next find sees
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "(none)", "123"}));
  EXPECT_EQ(txn.get(Table::Meta, "b"), "1234");
  EXPECT_EQ(txn.get(Table::Meta, "c"), "x");
  EXPECT_EQ(txn.get(Table::Meta, "d"), "9") << "the neighbour is untouched";
  EXPECT_THROW(
      {
        WriteCursor cur(txn, Table::Meta);
        ASSERT_TRUE(cur.find("b"));
        throw std::runtime_error("refused"); // before put()
      },
      std::runtime_error);
  EXPECT_EQ(txn.get(Table::Meta, "b"), "1234");
  txn.commit();
  auto r = env->read();
  EXPECT_EQ(r.get(Table::Meta, "b"), "1234");
  EXPECT_EQ(r.get(Table::Meta, "c"), "x");
}

// One WriteCursor for several records, with writes to other tables between find() and put() (as
// accounting does: the session found, usage and leases written, the session put back).
TEST(StoreEnv, AWriteCursorPutsWhereItFoundAcrossOtherTablesWrites) {
  TempDir dir;
  auto env = openWriter(dir.path());
  auto txn = env->write();
  for (int i = 0; i < 500; ++i) // several pages, so that a later key is not on the first one
    txn.put(Table::Meta, "k" + std::to_string(1000 + i), std::string(40, 'v'));
  {
    WriteCursor cur(txn, Table::Meta);
    const std::string k1 = "k1003", k2 = "k1004", k3 = "k1499", absent = "k1003a";
    ASSERT_EQ(cur.find(k1), std::string(40, 'v'));
    for (int i = 0; i < 200; ++i) // another table, in between
      txn.put(Table::Audit, "a" + std::to_string(1000 + i), std::string(100, 'x'));
    cur.put("one");
    ASSERT_EQ(cur.find(k2), std::string(40, 'v'));
    cur.put("two-is-longer-than-before-" + std::string(60, 'y'));
    ASSERT_EQ(cur.find(k3), std::string(40, 'v'));
    cur.put("three");
    EXPECT_EQ(cur.find(absent), std::nullopt);
    cur.put("inserted");
    EXPECT_EQ(cur.key(), absent);
  }
  txn.commit();
  auto r = env->read();
  EXPECT_EQ(r.get(Table::Meta, "k1003"), "one");
  EXPECT_EQ(r.get(Table::Meta, "k1004"), "two-is-longer-than-before-" + std::string(60, 'y'));
  EXPECT_EQ(r.get(Table::Meta, "k1499"), "three");
  EXPECT_EQ(r.get(Table::Meta, "k1003a"), "inserted");
  EXPECT_EQ(r.get(Table::Meta, "k1005"), std::string(40, 'v')) << "the neighbours are untouched";
  EXPECT_EQ(r.count(Table::Audit), 200u);
}

TEST(StoreEnv, SequenceCountersStartAtOneAndPersist) {
  TempDir dir;
  {
    auto env = openWriter(dir.path());
    auto txn = env->write();
    EXPECT_EQ(txn.nextSequence("a"), 1u);
    EXPECT_EQ(txn.nextSequence("a"), 2u);
    EXPECT_EQ(txn.nextSequence("b"), 1u);
    txn.commit();
  }
  auto env = openWriter(dir.path());
  auto txn = env->write();
  EXPECT_EQ(txn.nextSequence("a"), 3u);
}

TEST(StoreEnv, SeqEncodingSortsNumerically) {
  EXPECT_LT(encodeSeq(255), encodeSeq(256));
  EXPECT_LT(encodeSeq(1), encodeSeq(uint64_t{1} << 40));
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x0102030405060708}, ~uint64_t{0}})
    EXPECT_EQ(decodeSeq(encodeSeq(v)), v);
  EXPECT_EQ(encodeSeq(0x0102).size(), 8u);
  EXPECT_EQ(encodeSeq(0x0102).substr(6), std::string("\x01\x02"));
}

TEST(StoreEnv, MapFullIsReportedAndCommittedDataSurvives) {
  TempDir dir;
  constexpr size_t kMap = size_t{1} << 20; // 256 pages of 4 KiB
  EnvOptions opts;
  opts.dir = dir.path();
  opts.map_size_bytes = kMap;
  const std::string big(32 * 1024, 'x');
  uint64_t committed = 0;
  {
    auto env = Env::open(opts);
    {
      auto txn = env->write();
      putPlan(txn, plan("keep"), WriteMode::Create);
      txn.commit();
    }
    std::optional<StoreError::Code> code;
    for (int i = 0; i < 200 && !code; ++i) {
      try {
        auto txn = env->write();
        txn.put(Table::Meta, "blob/" + std::to_string(i), big);
        txn.commit();
        ++committed;
      } catch (const StoreError& e) {
        code = e.code();
      }
    }
    ASSERT_EQ(code, StoreError::Code::MapFull);
    EXPECT_GT(committed, 0u);
    EXPECT_LT(committed * big.size(), kMap);
    // The environment is still usable for reads after the failed transaction.
    auto txn = env->read();
    EXPECT_TRUE(getPlan(txn, "keep"));
  }
  {
    auto env = Env::open(opts);
    auto txn = env->read();
    EXPECT_TRUE(getPlan(txn, "keep"));
    for (uint64_t i = 0; i < committed; ++i)
      EXPECT_EQ(txn.get(Table::Meta, "blob/" + std::to_string(i)), big) << i;
    EXPECT_FALSE(txn.get(Table::Meta, "blob/" + std::to_string(committed)));
  }
  // The documented remedy: a bigger map makes room again.
  opts.map_size_bytes = kMap * 4;
  auto env = Env::open(opts);
  auto txn = env->write();
  txn.put(Table::Meta, "blob/more", big);
  txn.commit();
  EXPECT_EQ(env->read().get(Table::Meta, "blob/more"), big);
}

// Finished read transactions are kept and renewed (or, keeping snapshots, taken as they are while
// nothing was committed): a reused one must see what was committed since, and an open one must
// keep its snapshot.
void checkReusedReadTransactions(bool keep_idle_snapshots) {
  TempDir dir;
  EnvOptions opts;
  opts.dir = dir.path();
  opts.keep_idle_snapshots = keep_idle_snapshots;
  auto env = Env::open(opts);
  for (int i = 0; i < 3; ++i) {
    const std::string key = "k" + std::to_string(i);
    {
      // Takes the reader `before` finished with last round, after the commit it predates.
      auto txn = env->read();
      EXPECT_FALSE(txn.get(Table::Meta, key));
      if (i > 0) {
        EXPECT_EQ(txn.get(Table::Meta, "k" + std::to_string(i - 1)), "v");
      }
    }
    auto before = env->read();
    {
      auto txn = env->write();
      txn.put(Table::Meta, key, "v");
      txn.commit();
    }
    EXPECT_FALSE(before.get(Table::Meta, key)) << "an open snapshot saw a later commit";
    auto after = env->read();
    EXPECT_EQ(after.get(Table::Meta, key), "v");
  }
  // More readers at once than are kept idle: all work, and all are handed back.
  std::vector<ReadTxn> many;
  for (int i = 0; i < 100; ++i)
    many.push_back(env->read());
  for (auto& r : many)
    EXPECT_EQ(r.get(Table::Meta, "k2"), "v");
  many.clear();
  EXPECT_EQ(env->read().get(Table::Meta, "k0"), "v");
}

TEST(StoreEnv, ReusedReadTransactionsSeeNewCommitsAndOpenOnesKeepTheirSnapshot) {
  checkReusedReadTransactions(false);
}

TEST(StoreEnv, KeptSnapshotsSeeNewCommitsAndOpenOnesKeepTheirSnapshot) {
  checkReusedReadTransactions(true);
}

// What keeping snapshots is for: a read after a read, with nothing committed in between, is the
// same transaction, not a renewed one; a commit, or releaseIdleSnapshots(), ends that.
TEST(StoreEnv, AKeptSnapshotIsTakenAgainUntilACommitOrARelease) {
  TempDir dir;
  EnvOptions opts;
  opts.dir = dir.path();
  opts.keep_idle_snapshots = true;
  auto env = Env::open(opts);
  MDB_txn* first = nullptr;
  uint64_t id = 0;
  {
    auto txn = env->read();
    first = txn.raw();
    id = mdb_txn_id(first);
    EXPECT_EQ(id, env->lastCommitted());
  }
  {
    auto txn = env->read();
    EXPECT_EQ(txn.raw(), first);
    EXPECT_EQ(mdb_txn_id(txn.raw()), id);
  }
  {
    auto txn = env->write();
    txn.put(Table::Meta, "k", "v");
    txn.commit();
  }
  EXPECT_EQ(env->lastCommitted(), id + 1);
  {
    auto txn = env->read();
    EXPECT_EQ(mdb_txn_id(txn.raw()), id + 1) << "a kept snapshot outlived a commit";
    EXPECT_EQ(txn.get(Table::Meta, "k"), "v");
  }
  EXPECT_EQ(heldSnapshots(mdb_txn_env(first)), 1);
  env->releaseIdleSnapshots();
  EXPECT_EQ(heldSnapshots(mdb_txn_env(first)), 0);
  EXPECT_EQ(env->read().get(Table::Meta, "k"), "v"); // a released one is renewed
}

// Without the option a finished read transaction holds no snapshot at all.
TEST(StoreEnv, WithoutKeepingSnapshotsAFinishedReadHoldsNone) {
  TempDir dir;
  EnvOptions opts;
  opts.dir = dir.path();
  auto env = Env::open(opts);
  MDB_env* raw = nullptr;
  {
    auto txn = env->read();
    raw = mdb_txn_env(txn.raw());
    EXPECT_EQ(heldSnapshots(raw), 1);
  }
  EXPECT_EQ(heldSnapshots(raw), 0);
}

TEST(StoreEnv, EmptyKeyIsAMissNotAnError) {
  // An empty User-Name from a NAS must read as "no such subscriber", not as a store failure.
  TempDir dir;
  auto env = openWriter(dir.path());
  auto wtxn = env->write();
  EXPECT_FALSE(wtxn.erase(Table::Subscribers, ""));
  wtxn.commit();
  auto txn = env->read();
  EXPECT_FALSE(txn.get(Table::Subscribers, ""));
  EXPECT_FALSE(getSubscriber(txn, ""));
  EXPECT_FALSE(getNasByIp(txn, ""));
}

} // namespace
} // namespace ispbox::store
