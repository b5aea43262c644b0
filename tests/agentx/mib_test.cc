// SPDX-License-Identifier: GPL-2.0-or-later
// The in-memory MIB on its own (no snmpd): which device changes raise which notification, with
// which objects, and the summary counts. The OLT store does not exist yet, so these are the only
// tests of the OLT, PON, ONU and NAS-reachability notifications until it does; the subscriber
// ones are tested end to end in agentx_test.cc.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "agentx/mib.h"

namespace ispbox::agentx {
namespace {

struct Trap {
  oid notification = 0;
  std::map<std::string, std::string> objects; // OID after the root -> value
};

std::string tail(const oid* name, size_t len) {
  std::string s;
  for (size_t i = oids::kRootLen; i < len; ++i)
    s += "." + std::to_string(name[i]);
  return s;
}

class MibTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() { netsnmp_container_init_list(); }

  MibTest()
      : mib_({-2800, -800}, [this](netsnmp_variable_list* v) {
          Trap t;
          // snmpTrapOID.0 first, its value root.0.N
          EXPECT_EQ(v->type, ASN_OBJECT_ID);
          t.notification = v->val.objid[v->val_len / sizeof(oid) - 1];
          for (auto* o = v->next_variable; o; o = o->next_variable) {
            std::string val;
            if (o->type == ASN_OCTET_STR)
              val.assign(reinterpret_cast<const char*>(o->val.string), o->val_len);
            else if (o->type == ASN_INTEGER)
              val = std::to_string(*o->val.integer);
            else if (o->type == ASN_COUNTER64)
              val =
                  std::to_string((uint64_t{o->val.counter64->high} << 32) | o->val.counter64->low);
            t.objects[tail(o->name, o->name_length)] = val;
          }
          traps_.push_back(std::move(t));
        }) {}

  static OnuInfo onu(uint32_t id, OnuState st, int32_t rx) {
    OnuInfo o;
    o.olt = 7;
    o.pon = 3;
    o.onu = id;
    o.serial = "ZTEG0000000" + std::to_string(id);
    o.state = st;
    o.rx_cdbm = rx;
    o.subscriber = "user" + std::to_string(id);
    return o;
  }

  DeviceSnapshot base() {
    DeviceSnapshot s;
    s.olts.push_back({7, "olt-a", "10.9.0.7", "zte", "C320", Reachability::Reachable});
    s.pons.push_back({7, 3, "gpon-olt_1/1/3", PonState::Up});
    for (uint32_t i = 1; i <= 5; ++i)
      s.onus.push_back(onu(i, OnuState::Online, -2000));
    s.nas_states.push_back({"pop1", Reachability::Reachable});
    return s;
  }

  std::vector<Trap> traps_;
  Mib mib_;
};

TEST_F(MibTest, DeviceTransitionsRaiseTheirNotificationsOnce) {
  StoreDelta d;
  d.changed = d.full = true;
  d.nas.push_back({"pop1", "10.0.0.1", "mikrotik", ""});
  mib_.apply(d);
  mib_.apply(base());
  EXPECT_TRUE(traps_.empty()) << "the first snapshot has no 'before' and raises nothing";
  EXPECT_EQ(mib_.summary(kOnusOnline), 5u);
  EXPECT_EQ(mib_.summary(kOltsReachable), 1u);

  auto s = base();
  s.olts[0].state = Reachability::Unreachable;
  s.onus[0].state = OnuState::Los;
  s.onus[1].state = OnuState::DyingGasp;
  s.onus[2].state = OnuState::Offline;
  s.onus[3].rx_cdbm = -2950; // below -28.00 dBm
  s.nas_states[0].second = Reachability::Unreachable;
  mib_.apply(s);

  std::map<oid, const Trap*> by;
  for (const auto& t : traps_)
    by[t.notification] = &t;
  ASSERT_EQ(traps_.size(), 6u);
  ASSERT_TRUE(by.count(oids::kOnuLos) && by.count(oids::kOnuDyingGasp) &&
              by.count(oids::kOnuOffline) && by.count(oids::kOnuRxOutOfRange) &&
              by.count(oids::kOltUnreachable) && by.count(oids::kNasUnreachable));
  // Objects are instances of the row: OLT 7, PON 3, ONU id.
  EXPECT_EQ(by[oids::kOnuLos]->objects.at(".1.5.1.3.7.3.1"), "4");
  EXPECT_EQ(by[oids::kOnuLos]->objects.at(".1.5.1.2.7.3.1"), "ZTEG00000001");
  EXPECT_EQ(by[oids::kOnuLos]->objects.at(".1.5.1.8.7.3.1"), "user1");
  EXPECT_EQ(by[oids::kOnuDyingGasp]->objects.at(".1.5.1.3.7.3.2"), "5");
  EXPECT_EQ(by[oids::kOnuOffline]->objects.at(".1.5.1.3.7.3.3"), "3");
  EXPECT_EQ(by[oids::kOnuRxOutOfRange]->objects.at(".1.5.1.4.7.3.4"), "-2950");
  EXPECT_EQ(by[oids::kOnuRxOutOfRange]->objects.at(".1.8.5.0"), "-2800");
  EXPECT_EQ(by[oids::kOnuRxOutOfRange]->objects.at(".1.8.6.0"), "-800");
  EXPECT_EQ(by[oids::kOltUnreachable]->objects.at(".1.3.1.2.7"), "olt-a");
  EXPECT_EQ(by[oids::kOltUnreachable]->objects.at(".1.3.1.6.7"), "3");
  const std::string pop1 = ".4.112.111.112.49"; // "pop1"
  EXPECT_EQ(by[oids::kNasUnreachable]->objects.at(".1.2.1.2" + pop1), "10.0.0.1");
  EXPECT_EQ(by[oids::kNasUnreachable]->objects.at(".1.2.1.6" + pop1), "3");

  EXPECT_EQ(mib_.summary(kOnusLos), 1u);
  EXPECT_EQ(mib_.summary(kOnusDyingGasp), 1u);
  EXPECT_EQ(mib_.summary(kOnusOffline), 1u);
  EXPECT_EQ(mib_.summary(kOnusOnline), 2u);
  EXPECT_EQ(mib_.summary(kOltsUnreachable), 1u);
  // OLT, NAS, three ONUs down, one ONU out of range.
  EXPECT_EQ(mib_.summary(kAlarmsActive), 6u);

  // The same state again raises nothing; recovering and failing again raises again.
  mib_.apply(s);
  EXPECT_EQ(traps_.size(), 6u);
  s.onus[0].state = OnuState::Online;
  mib_.apply(s);
  EXPECT_EQ(traps_.size(), 6u);
  s.onus[0].state = OnuState::Los;
  mib_.apply(s);
  ASSERT_EQ(traps_.size(), 7u);
  EXPECT_EQ(traps_.back().notification, oids::kOnuLos);

  // A row that disappears is gone from the counts.
  s.onus.pop_back();
  mib_.apply(s);
  EXPECT_EQ(mib_.summary(kOnusTotal), 4u);
  EXPECT_EQ(mib_.onuCount(), 4u);
}

TEST_F(MibTest, UnindexableKeysAreSkippedNotFatal) {
  StoreDelta d;
  d.changed = d.full = true;
  d.subscribers.push_back({"ok", "p", "", SubscriberState::Active});
  d.subscribers.push_back({std::string(101, 'a'), "p", "", SubscriberState::Active});
  d.subscribers.push_back({"", "p", "", SubscriberState::Active});
  d.sessions.push_back({"10.0.0.1", std::string(65, 's'), "ok", "", "", 1, 2, 3});
  mib_.apply(d);
  EXPECT_EQ(mib_.subscriberCount(), 1u);
  EXPECT_EQ(mib_.summary(kSubscribersTotal), 1u);
  // The session that cannot be a row still counts as online.
  EXPECT_EQ(mib_.summary(kSessionsOnline), 1u);
}

} // namespace
} // namespace ispbox::agentx
