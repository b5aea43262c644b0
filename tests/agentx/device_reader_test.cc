// SPDX-License-Identifier: GPL-2.0-or-later
// StoreDeviceSource: OLTs, PON ports, ONUs and NAS reachability read from the store, only what
// changed after the first poll, and nothing when nothing device-related moved.
#include <gtest/gtest.h>

#include <algorithm>

#include "agentx/device_reader.h"
#include "agentx/mib.h"
#include "store/entities.h"
#include "store/olt.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::agentx {
namespace {

namespace pb = store::pb;

class DeviceReaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    store::EnvOptions o;
    o.dir = tmp_.path() / "state";
    env_ = store::Env::open(o);
  }
  template <class F> void write(F&& f) {
    auto txn = env_->write();
    f(txn);
    txn.commit();
  }
  // An OLT as the poller leaves it: record, status, two ports, ONUs on port 1/2.
  uint32_t addOlt(const std::string& id, int onus) {
    uint32_t index = 0;
    write([&](store::WriteTxn& txn) {
      pb::Olt o;
      o.set_id(id);
      o.set_address("192.0.2.10");
      o.set_vendor("auto");
      store::putOlt(txn, o, true);
      index = o.snmp_index();
      pb::OltStatus st;
      st.set_id(id);
      st.set_vendor("zte");
      st.set_model("C320");
      st.set_reachable(true);
      store::putOltStatus(txn, st);
      for (uint32_t port : {1u, 2u}) {
        pb::PonPort p;
        p.set_olt(id);
        p.set_slot(1);
        p.set_port(port);
        p.set_name("gpon-olt_1/1/" + std::to_string(port));
        p.set_oper_up(port == 1);
        store::putPon(txn, p);
      }
      for (int i = 1; i <= onus; ++i) {
        pb::Onu u;
        u.set_olt(id);
        u.set_slot(1);
        u.set_port(2);
        u.set_onu_id(i);
        u.set_serial("ZTEGC0FFEE" + std::to_string(10 + i));
        u.set_phase("working");
        u.set_online(true);
        u.set_rx_dbm(-21.456);
        u.set_tx_dbm(2.1);
        u.set_olt_rx_dbm(-24.006);
        u.set_distance_m(1234 + i);
        store::putOnu(txn, u, nullptr);
      }
    });
    return index;
  }
  // What the poller does on a state poll: ONU records rewritten and the status record with them.
  void pollerWrites(const std::string& id, uint32_t onu, const std::string& phase) {
    write([&](store::WriteTxn& txn) {
      const std::string key = store::onuKey(id, 1, 2, onu);
      auto before = store::getOnu(txn, key);
      auto u = *before;
      u.set_phase(phase);
      u.set_online(phase == "working");
      store::putOnu(txn, u, &*before);
      auto st = *store::getOltStatus(txn, id);
      st.set_updated_at(st.updated_at() + 1);
      store::putOltStatus(txn, st);
    });
  }
  testutil::TempDir tmp_;
  std::unique_ptr<store::Env> env_;
};

TEST_F(DeviceReaderTest, ReadsTheOltStoreThenOnlyWhatChanged) {
  const uint32_t a = addOlt("olt-a", 3), b = addOlt("olt-b", 2);
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  write([&](store::WriteTxn& txn) {
    pb::Plan p;
    p.set_name("p");
    store::putPlan(txn, p, store::WriteMode::Create);
    pb::Subscriber s;
    s.set_username("alice");
    s.set_plan("p");
    store::putSubscriber(txn, s, store::WriteMode::Create);
    store::linkOnu(txn, "alice", store::onuKey("olt-a", 1, 2, 1));
  });

  StoreDeviceSource src(*env_);
  DeviceSnapshot snap;
  ASSERT_TRUE(src.poll(&snap));
  EXPECT_TRUE(snap.full);
  ASSERT_EQ(snap.olts.size(), 2u);
  EXPECT_EQ(snap.olts[0].index, a);
  EXPECT_EQ(snap.olts[0].name, "olt-a");
  EXPECT_EQ(snap.olts[0].vendor, "zte"); // detected, although configured "auto"
  EXPECT_EQ(snap.olts[0].model, "C320");
  EXPECT_EQ(snap.olts[0].state, Reachability::Reachable);
  ASSERT_EQ(snap.pons.size(), 4u);
  EXPECT_EQ(snap.pons[0].pon, 0x11010101u); // ZTE-AN ifIndex of 1/1/1
  EXPECT_EQ(snap.pons[0].state, PonState::Up);
  EXPECT_EQ(snap.pons[1].state, PonState::Down);
  ASSERT_EQ(snap.onus.size(), 5u);
  const OnuInfo& first = snap.onus[0];
  EXPECT_EQ(first.olt, a);
  EXPECT_EQ(first.pon, 0x11010102u);
  EXPECT_EQ(first.onu, 1u);
  EXPECT_EQ(first.serial, "ZTEGC0FFEE11");
  EXPECT_EQ(first.state, OnuState::Online);
  EXPECT_EQ(first.rx_cdbm, -2146);
  EXPECT_EQ(first.tx_cdbm, 210);
  EXPECT_EQ(first.olt_rx_cdbm, -2401);
  EXPECT_EQ(first.distance_m, 1235u);
  EXPECT_EQ(first.subscriber, "alice");
  EXPECT_EQ(snap.onus[1].subscriber, "");

  // The store moved, but nothing a device table shows.
  EXPECT_FALSE(src.poll(&snap));
  write([&](store::WriteTxn& txn) {
    auto s = *store::getSubscriber(txn, "alice");
    s.set_comment("moved the store");
    store::putSubscriber(txn, s, store::WriteMode::Replace);
  });
  EXPECT_FALSE(src.poll(&snap));

  // A state poll of olt-b: only olt-b comes back.
  pollerWrites("olt-b", 2, "los");
  DeviceSnapshot part;
  ASSERT_TRUE(src.poll(&part));
  EXPECT_FALSE(part.full);
  EXPECT_EQ(part.olts_replaced, std::vector<uint32_t>{b});
  ASSERT_EQ(part.onus.size(), 2u);
  EXPECT_EQ(part.onus[1].state, OnuState::Los);
  EXPECT_TRUE(std::all_of(part.onus.begin(), part.onus.end(),
                          [&](const OnuInfo& o) { return o.olt == b; }));

  // An unlink (a change entry, no status write) brings olt-a back.
  write([&](store::WriteTxn& txn) { store::unlinkOnu(txn, "alice"); });
  ASSERT_TRUE(src.poll(&part));
  EXPECT_EQ(part.olts_replaced, std::vector<uint32_t>{a});
  EXPECT_EQ(part.onus[0].subscriber, "");

  // NAS reachability.
  write([&](store::WriteTxn& txn) {
    pb::Nas n;
    n.set_name("pop1");
    n.set_ip("192.0.2.1");
    store::putNas(txn, n, store::WriteMode::Create);
  });
  EXPECT_FALSE(src.poll(&part)) << "a NAS record is the store reader's, not a device change";
  write([&](store::WriteTxn& txn) {
    pb::NasStatus s;
    s.set_name("pop1");
    s.set_state(pb::NAS_UNREACHABLE);
    store::putNasStatus(txn, s);
  });
  ASSERT_TRUE(src.poll(&part));
  EXPECT_TRUE(part.olts_replaced.empty());
  ASSERT_EQ(part.nas_states.size(), 1u);
  EXPECT_EQ(part.nas_states[0].second, Reachability::Unreachable);

  // Unreachable, disabled, deleted.
  write([&](store::WriteTxn& txn) {
    auto st = *store::getOltStatus(txn, "olt-a");
    st.set_reachable(false);
    store::putOltStatus(txn, st);
  });
  ASSERT_TRUE(src.poll(&part));
  ASSERT_EQ(part.olts.size(), 1u);
  EXPECT_EQ(part.olts[0].state, Reachability::Unreachable);
  write([&](store::WriteTxn& txn) {
    auto o = *store::getOlt(txn, "olt-a");
    o.set_disabled(true);
    store::putOlt(txn, o, false);
  });
  ASSERT_TRUE(src.poll(&part));
  EXPECT_EQ(part.olts[0].state, Reachability::Unknown);
  write([&](store::WriteTxn& txn) { store::deleteOlt(txn, "olt-b"); });
  ASSERT_TRUE(src.poll(&part));
  EXPECT_EQ(part.olts_replaced, std::vector<uint32_t>{b});
  EXPECT_TRUE(part.olts.empty() && part.onus.empty());
  EXPECT_EQ(part.nas_states.size(), 1u) << "NAS states are always complete";
}

TEST_F(DeviceReaderTest, PartialSnapshotsLeaveOtherOltsAlone) {
  netsnmp_container_init_list();
  addOlt("olt-a", 3);
  addOlt("olt-b", 2);
  std::vector<oid> traps;
  Mib mib({-2800, -800}, [&](netsnmp_variable_list* v) {
    traps.push_back(v->val.objid[v->val_len / sizeof(oid) - 1]);
  });
  StoreDeviceSource src(*env_);
  DeviceSnapshot snap;
  ASSERT_TRUE(src.poll(&snap));
  mib.apply(snap);
  EXPECT_EQ(mib.summary(kOnusTotal), 5u);
  EXPECT_EQ(mib.summary(kOnusOnline), 5u);
  EXPECT_TRUE(traps.empty());

  pollerWrites("olt-b", 1, "dying_gasp");
  ASSERT_TRUE(src.poll(&snap));
  mib.apply(snap);
  EXPECT_EQ(mib.onuCount(), 5u) << "olt-a's rows must survive olt-b's partial snapshot";
  EXPECT_EQ(mib.summary(kOnusOnline), 4u);
  EXPECT_EQ(mib.summary(kOnusDyingGasp), 1u);
  EXPECT_EQ(traps, std::vector<oid>{oids::kOnuDyingGasp});

  write([&](store::WriteTxn& txn) { store::deleteOlt(txn, "olt-a"); });
  ASSERT_TRUE(src.poll(&snap));
  mib.apply(snap);
  EXPECT_EQ(mib.onuCount(), 2u);
  EXPECT_EQ(mib.summary(kOltsTotal), 1u);
}

TEST(DeviceReaderValues, StatesAndPowers) {
  pb::Onu o;
  EXPECT_EQ(onuState(o), OnuState::Unknown);
  o.set_phase("offline");
  EXPECT_EQ(onuState(o), OnuState::Offline);
  o.set_phase("sync_mib"); // registering: not serving yet
  EXPECT_EQ(onuState(o), OnuState::Offline);
  o.set_phase("dying_gasp");
  EXPECT_EQ(onuState(o), OnuState::DyingGasp);
  o.set_phase("working");
  o.set_online(true);
  EXPECT_EQ(onuState(o), OnuState::Online);
  EXPECT_EQ(hundredthsDbm(false, -20), kNoReading);
  EXPECT_EQ(hundredthsDbm(true, -27.994), -2799);
  EXPECT_EQ(hundredthsDbm(true, 0.0), 0);
  EXPECT_EQ(hundredthsDbm(true, 1e12), kNoReading);
}

} // namespace
} // namespace ispbox::agentx
