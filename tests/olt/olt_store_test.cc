// SPDX-License-Identifier: GPL-2.0-or-later
// The OLT tables on their own: history downsampling and retention, availability from phase
// events, keys, the serial index and OLT deletion.
#include <gtest/gtest.h>

#include "store/olt.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::store {
namespace {

class OltStore : public ::testing::Test {
protected:
  void SetUp() override {
    EnvOptions o;
    o.dir = dir_.path() / "state";
    env_ = Env::open(o);
  }
  testutil::TempDir dir_;
  std::unique_ptr<Env> env_;
};

TEST_F(OltStore, KeysRoundTrip) {
  const std::string k = onuKey("pop1", 2, 16, 128);
  auto p = parseOnuKey(k);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->olt, "pop1");
  EXPECT_EQ(p->slot, 2u);
  EXPECT_EQ(p->port, 16u);
  EXPECT_EQ(p->onu, 128u);
  EXPECT_LT(onuKey("pop1", 1, 2, 200), onuKey("pop1", 1, 3, 1)); // position order
  EXPECT_FALSE(parseOnuKey("no-separator"));
}

TEST_F(OltStore, HistoryIsDownsampledThenDropped) {
  const int64_t now = 1767225600, hour = 3600;
  const std::string key = onuKey("pop1", 1, 1, 1);
  {
    auto txn = env_->write();
    // Three raw samples in one hour three days ago, one 100 days ago, one recent.
    for (int i = 0; i < 3; ++i) {
      pb::OnuSample s;
      s.set_at(now - 72 * hour + i * 600);
      s.set_samples(1);
      s.set_rx_dbm(-20.0 - i);
      appendOnuSample(txn, key, s);
    }
    pb::OnuSample old, recent;
    old.set_at(now - 100 * 86400);
    old.set_samples(1);
    old.set_rx_dbm(-19);
    appendOnuSample(txn, key, old);
    recent.set_at(now - 600);
    recent.set_samples(1);
    recent.set_rx_dbm(-18);
    appendOnuSample(txn, key, recent);
    txn.commit();
  }
  auto txn = env_->write();
  auto r = compactHistory(txn, now, 48 * hour, 90 * 86400, 1000000);
  EXPECT_EQ(r.aggregated, 3u);
  EXPECT_EQ(r.dropped, 1u);
  auto samples = onuSamples(txn, key, 0, now + 1);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].samples(), 3u);
  EXPECT_EQ(samples[0].at() % 3600, 0);
  EXPECT_NEAR(samples[0].rx_dbm(), -21.0, 1e-9);
  EXPECT_NEAR(samples[0].rx_min_dbm(), -22.0, 1e-9);
  EXPECT_EQ(samples[1].samples(), 1u);
  // Running again changes nothing.
  auto again = compactHistory(txn, now, 48 * hour, 90 * 86400, 1000000);
  EXPECT_EQ(again.aggregated + again.dropped, 0u);
}

TEST_F(OltStore, AvailabilityFromEvents) {
  const std::string key = onuKey("pop1", 1, 1, 1);
  pb::Onu onu;
  onu.set_olt("pop1");
  onu.set_first_seen(1000);
  onu.set_online(true);
  auto txn = env_->write();
  auto event = [&](int64_t at, bool online) {
    pb::OnuEvent e;
    e.set_at(at);
    e.set_online(online);
    e.set_phase(online ? "working" : "los");
    appendOnuEvent(txn, key, e);
  };
  event(1000, true);
  event(2000, false); // down 2000..2500
  event(2500, true);
  // Window 1500..3500: up 500 + 1000 of 2000.
  EXPECT_NEAR(*onuAvailability(txn, onu, key, 1500, 3500), 0.75, 1e-9);
  // Before it was first seen nothing counts.
  EXPECT_NEAR(*onuAvailability(txn, onu, key, 0, 2000), 1.0, 1e-9);
  EXPECT_FALSE(onuAvailability(txn, onu, key, 0, 500));
}

TEST_F(OltStore, DeletingAnOltRemovesItsOnusAndIndexes) {
  auto txn = env_->write();
  pb::Olt olt;
  olt.set_id("pop1");
  putOlt(txn, olt, true);
  pb::Olt other;
  other.set_id("pop10"); // shares a prefix with pop1, must survive
  putOlt(txn, other, true);
  for (const char* id : {"pop1", "pop10"}) {
    pb::Onu o;
    o.set_olt(id);
    o.set_slot(1);
    o.set_port(1);
    o.set_onu_id(1);
    o.set_serial(std::string("ZTEG0000000") + (id[4] ? "2" : "1"));
    putOnu(txn, o, nullptr);
  }
  EXPECT_TRUE(onuKeyBySerial(txn, "ZTEG00000001"));
  EXPECT_TRUE(deleteOlt(txn, "pop1"));
  EXPECT_FALSE(onuKeyBySerial(txn, "ZTEG00000001"));
  EXPECT_TRUE(onuKeyBySerial(txn, "ZTEG00000002"));
  EXPECT_EQ(txn.count(Table::Onus), 1u);
  EXPECT_FALSE(deleteOlt(txn, "pop1"));
}

TEST_F(OltStore, SnmpIndexIsGivenOnceKeptAndNeverReused) {
  auto txn = env_->write();
  pb::Olt a, b;
  a.set_id("pop1");
  b.set_id("pop2");
  putOlt(txn, a, true);
  putOlt(txn, b, true);
  EXPECT_EQ(a.snmp_index(), 1u); // the caller's record says what was stored
  EXPECT_EQ(b.snmp_index(), 2u);
  // An update built from scratch (as from a request body) keeps the stored number.
  pb::Olt edit;
  edit.set_id("pop1");
  edit.set_address("192.0.2.7");
  putOlt(txn, edit, false);
  EXPECT_EQ(getOlt(txn, "pop1")->snmp_index(), 1u);
  // A deleted OLT's number is not given to the next one, nor to one re-created under its name.
  EXPECT_TRUE(deleteOlt(txn, "pop1"));
  pb::Olt again;
  again.set_id("pop1");
  putOlt(txn, again, true);
  EXPECT_EQ(getOlt(txn, "pop1")->snmp_index(), 3u);
  txn.commit();
}

TEST_F(OltStore, MigrationNumbersOltsOfAnOlderState) {
  {
    // What a schema-3 ispboxd left: OLTs without numbers, the stamp at 3.
    auto txn = env_->write();
    for (const char* id : {"zeta", "alpha"}) {
      pb::Olt o;
      o.set_id(id);
      txn.put(Table::Olts, id, encode(o));
    }
    txn.put(Table::Meta, "schema_version", encodeSeq(3));
    txn.commit();
  }
  env_.reset();
  EnvOptions o;
  o.dir = dir_.path() / "state";
  env_ = Env::open(o);
  EXPECT_EQ(env_->schemaVersion(), 4u);
  auto txn = env_->write();
  EXPECT_EQ(getOlt(txn, "alpha")->snmp_index(), 1u); // in id order
  EXPECT_EQ(getOlt(txn, "zeta")->snmp_index(), 2u);
  pb::Olt next;
  next.set_id("new");
  putOlt(txn, next, true);
  EXPECT_EQ(next.snmp_index(), 3u);
}

} // namespace
} // namespace ispbox::store
