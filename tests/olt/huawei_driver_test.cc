// SPDX-License-Identifier: GPL-2.0-or-later
// The Huawei SmartAX driver end to end over SNMP: snmpsimd serves a recording generated from the
// documented OIDs (gen_huawei_snmprec.py) and what the driver parses is compared with what the
// generator wrote; LibreNMS's real MA5603T and MDU walks, when ../shared/research is present, are
// compared with LibreNMS's own decoded values.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "drivers/olt/huawei.h"
#include "tests/olt/driver_harness.h"
#include "tests/olt/snmpsim.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::olt {
namespace {

using harness::findCard;
using harness::findOnu;
using harness::findPon;
using nlohmann::json;
using testutil::SnmpSim;
using testutil::TempDir;

TEST(HuaweiIndex, GponPortIfIndex) {
  // olt-oids.md §3.2, and the ifName of each in LibreNMS's MA5603T walk.
  EXPECT_EQ(huawei::ponIfIndex(0, 0), 4194304000u);
  EXPECT_EQ(huawei::ponIfIndex(0, 1), 4194304256u);
  EXPECT_EQ(huawei::ponIfIndex(0, 15), 4194307840u);
  EXPECT_EQ(huawei::ponIfIndex(1, 0), 4194312192u);
  auto sp = huawei::decodePonIfIndex(4194316032u); // GPON 0/1/15
  ASSERT_TRUE(sp);
  EXPECT_EQ(sp->slot, 1u);
  EXPECT_EQ(sp->port, 15u);
  EXPECT_FALSE(huawei::decodePonIfIndex(234946560u)); // ethernet0/8/0
  EXPECT_FALSE(huawei::decodePonIfIndex(4194304001u));
  EXPECT_FALSE(huawei::decodePonIfIndex(0xFA000000u + (32u << 13))); // another frame: unknown
}

TEST(HuaweiConversions, OpticsPhasesAndSentinels) {
  EXPECT_NEAR(*huawei::opticalDbm(-2150), -21.5, 1e-9);
  EXPECT_NEAR(*huawei::opticalDbm(711), 7.11, 1e-9);
  EXPECT_FALSE(huawei::opticalDbm(2147483647));
  EXPECT_FALSE(huawei::opticalDbm(-2147483648LL));
  // OLT Rx of an ONT in both forms: 0.01 dBm, and offset by 10000.
  EXPECT_NEAR(*huawei::oltRxDbm(-2220), -22.2, 1e-9);
  EXPECT_NEAR(*huawei::oltRxDbm(7780), -22.2, 1e-9);
  EXPECT_FALSE(huawei::oltRxDbm(2147483647));
  EXPECT_EQ(huawei::phase(1, 13), OnuPhase::Working);
  EXPECT_EQ(huawei::phase(2, 1), OnuPhase::Los);
  EXPECT_EQ(huawei::phase(2, 2), OnuPhase::Los);
  EXPECT_EQ(huawei::phase(2, 13), OnuPhase::DyingGasp);
  EXPECT_EQ(huawei::phase(2, 9), OnuPhase::Offline);
  EXPECT_EQ(huawei::phase(2, std::nullopt), OnuPhase::Offline);
  EXPECT_EQ(huawei::phase(-1, 1), OnuPhase::Unknown);
  EXPECT_EQ(huawei::downCause(13), "power_off");
  EXPECT_EQ(huawei::downCause(9), "reboot");
  EXPECT_EQ(huawei::downCause(-1), "unknown");
}

TEST(HuaweiDetection, SysObjectIdAndDescr) {
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.2011.2.123"), ""), "huawei");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.2011.2.248"), ""), "huawei");
  EXPECT_EQ(
      detectVendor(*snmp::parseOid("1.3.6.1.4.1.8072.3.2.10"), "Huawei Integrated Access Software"),
      "huawei");
  auto d = makeDriver("huawei");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->firstOnuId(), 0u);
}

TEST(HuaweiWrites, RenameAndDeleteBySnmpCreateNeedsTheCli) {
  auto d = makeDriver("huawei");
  std::string why;
  WriteRequest w{"rename", 1, 0, 0, "new-name", "", ""};
  auto binds = d->write(w, &why);
  ASSERT_TRUE(binds);
  ASSERT_EQ(binds->size(), 1u);
  EXPECT_EQ(snmp::oidText(binds->at(0).oid),
            "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.9.4194312192.0"); // GPON 0/1/0, ONT 0
  EXPECT_EQ(binds->at(0).value.s, "new-name");
  w = {"delete", 0, 0, 15, "", "", ""};
  binds = d->write(w, &why);
  ASSERT_TRUE(binds);
  EXPECT_EQ(snmp::oidText(binds->at(0).oid), "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.10.4194304000.15");
  EXPECT_EQ(binds->at(0).value.i, 6); // destroy
  w = {"create", 0, 0, 3, "n", "HWTC89E64CA6", "HG8245H"};
  EXPECT_FALSE(d->write(w, &why));
  EXPECT_NE(why.find("profile"), std::string::npos) << why;
  w = {"rename", 0, 0, 128, "x", "", ""};
  EXPECT_FALSE(d->write(w, &why));
}

// One snmpsimd for the suite serving the generated recording.
class HuaweiOverSnmp : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    sim_ = new SnmpSim(dir_->path() / "sim");
    ASSERT_TRUE(harness::generate("gen_huawei_snmprec.py",
                                  {"--out", (sim_->dataDir() / "huawei.snmprec").string(),
                                   "--expected", (dir_->path() / "huawei.json").string(),
                                   "--boards", "2", "--pons", "4", "--onus", "12", "--seed", "5"}));
    ASSERT_TRUE(sim_->start("huawei"));
    std::ifstream f(dir_->path() / "huawei.json");
    expected_ = new json(json::parse(f));
  }
  static void TearDownTestSuite() {
    delete expected_;
    delete sim_;
    delete dir_;
  }

  harness::DriverHarness h_;
  static TempDir* dir_;
  static SnmpSim* sim_;
  static json* expected_;
};
TempDir* HuaweiOverSnmp::dir_ = nullptr;
SnmpSim* HuaweiOverSnmp::sim_ = nullptr;
json* HuaweiOverSnmp::expected_ = nullptr;

TEST_F(HuaweiOverSnmp, EveryClassMatchesTheGenerator) {
  auto polled = h_.pollAll(sim_->port(), "huawei");
  ASSERT_TRUE(polled.ok);
  EXPECT_EQ(polled.vendor, "huawei");
  EXPECT_EQ(polled.variant, "gpon");
  const json& exp = *expected_;

  const Snapshot& inv = polled.snaps[DataClass::Inventory];
  harness::expectInventory(inv, exp);
  ASSERT_TRUE(inv.system && inv.system->uptime_ticks);
  EXPECT_EQ(*inv.system->uptime_ticks, exp["system"]["uptime_ticks"]);
  for (const auto& e : exp["onus"]) {
    const OnuData* o = findOnu(inv, e["slot"], e["port"], e["onu"]);
    ASSERT_TRUE(o && o->model) << e.dump();
    EXPECT_EQ(*o->model, e["type"]);
    EXPECT_EQ(o->bandwidth_profile.value_or(""), e["bandwidth_profile"]) << e.dump();
    EXPECT_EQ(o->bandwidth_max_kbps.value_or(0), e["bandwidth_max_kbps"]) << e.dump();
  }
  harness::expectUnconfigured(inv, exp);

  const Snapshot& st = polled.snaps[DataClass::State];
  harness::expectStates(st, exp);
  for (const auto& e : exp["onus"]) {
    const OnuData* o = findOnu(st, e["slot"], e["port"], e["onu"]);
    ASSERT_TRUE(o) << e.dump();
    EXPECT_EQ(*o->last_online, e["last_online"]);
    EXPECT_EQ(*o->last_offline, e["last_offline"]);
    EXPECT_EQ(*o->admin_enabled, true);
  }
  // PON ports from IF-MIB, 0-based as on the CLI; the uplink is not one.
  harness::expectPonStates(st, exp);
  // Boards: frame 0 only, the empty slot left out; -1 CPU/RAM and 0x7FFFFFF are no reading.
  ASSERT_EQ(st.cards.size(), exp["cards"].size());
  for (const auto& e : exp["cards"]) {
    const CardData* c = findCard(st, e["slot"]);
    ASSERT_TRUE(c) << e.dump();
    EXPECT_EQ(c->type, e["type"]);
    EXPECT_EQ(c->status, e["status"]);
    EXPECT_EQ(c->in_service, e["status"] == "in_service");
    EXPECT_EQ(c->serial, e["serial"]);
    harness::expectReading(c->cpu_pct, e["cpu_pct"], "cpu of " + e.dump());
    harness::expectReading(c->mem_pct, e["mem_pct"], "mem of " + e.dump());
    harness::expectReading(c->temperature_c, e["temperature_c"], "temperature of " + e.dump());
  }
  EXPECT_FALSE(st.has_fans); // no fan table on the main frame: the store keeps nothing stale

  harness::expectOptics(polled.snaps[DataClass::Optics], exp);

  const Snapshot& tr = polled.snaps[DataClass::Traffic];
  for (const auto& e : exp["onus"]) {
    const OnuData* o = findOnu(tr, e["slot"], e["port"], e["onu"]);
    ASSERT_TRUE(o) << e.dump();
    EXPECT_EQ(*o->up_octets, e["up_octets"].get<uint64_t>());
    EXPECT_EQ(*o->down_octets, e["down_octets"].get<uint64_t>());
    EXPECT_EQ(o->counter_bits, 64u);
  }
  ASSERT_EQ(tr.pons.size(), exp["pons"].size());
  for (const auto& e : exp["pons"]) {
    const PonData* p = findPon(tr, e["slot"], e["port"]);
    ASSERT_TRUE(p) << e.dump();
    EXPECT_EQ(*p->up_octets, e["up_octets"].get<uint64_t>());
    EXPECT_EQ(*p->down_octets, e["down_octets"].get<uint64_t>());
  }
}

TEST_F(HuaweiOverSnmp, ManualVendorOverride) {
  // A manual override: the same agent polled with vendor "huawei" given, not detected.
  auto polled = h_.pollAll(sim_->port(), "huawei", "huawei");
  ASSERT_TRUE(polled.ok);
  EXPECT_EQ(polled.snaps[DataClass::Inventory].onus.size(), (*expected_)["onus"].size());
}

// LibreNMS's MA5603T V800R018 walk (two H805GPFD boards, no ONT rows) against its decoded values.
TEST(LibreNmsRecordings, HuaweiMa5603t) {
  TempDir dir;
  SnmpSim sim(dir.path() / "sim");
  json exp;
  if (!harness::serveLibreNms(sim, "smartax", &exp))
    GTEST_SKIP() << "../shared/research/snmprec not present";
  ASSERT_TRUE(sim.start("smartax"));
  harness::DriverHarness h;
  auto polled = h.pollAll(sim.port(), "smartax");
  ASSERT_TRUE(polled.ok);
  const auto& dev = exp["os"]["discovery"]["devices"][0];
  EXPECT_EQ(polled.vendor, "huawei");
  EXPECT_EQ("." + polled.system.object_id, dev["sysObjectID"].get<std::string>());
  EXPECT_EQ(polled.system.descr, dev["sysDescr"]);
  const Snapshot& st = polled.snaps[DataClass::State];
  const Snapshot& op = polled.snaps[DataClass::Optics];
  const Snapshot& tr = polled.snaps[DataClass::Traffic];
  size_t checked = 0;

  // Processors and memory pools: board CPU / RAM % by slot. Boards without (-1) have none.
  harness::expectLibreNmsProcessors(st, exp);
  for (const auto& p : exp["processors"]["discovery"]["processors"]) {
    const CardData* c = findCard(st, std::stoul(p["processor_index"].get<std::string>()));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->type + " processor", p["processor_descr"]);
    ++checked;
  }
  for (const auto& m : exp["mempools"]["discovery"]["mempools"]) {
    const std::string idx = m["mempool_index"]; // frame.slot
    const uint32_t slot = std::stoul(idx.substr(idx.find('.') + 1));
    const CardData* c = findCard(st, slot);
    ASSERT_TRUE(c && c->mem_pct) << "slot " << slot;
    EXPECT_EQ(*c->mem_pct, m["mempool_perc"].get<double>());
    ++checked;
  }
  for (const auto& s : exp["sensors"]["discovery"]["sensors"]) {
    const std::string cls = s["sensor_class"], oid = s["sensor_oid"];
    const double want = s["sensor_current"].get<double>();
    const uint32_t last = std::stoul(oid.substr(oid.rfind('.') + 1));
    const bool board = oid.find(".2011.2.6.7.1.1.2.1.") != std::string::npos;
    const bool sfp = oid.find(".2011.6.128.1.1.2.23.1.") != std::string::npos;
    if (cls == "temperature" && board) {
      const CardData* c = findCard(st, last);
      ASSERT_TRUE(c && c->temperature_c) << oid;
      EXPECT_EQ(*c->temperature_c, want) << oid;
      ++checked;
    } else if (cls == "state" && oid.find(".2011.6.3.3.2.1.8.") != std::string::npos) {
      const CardData* c = findCard(st, last);
      ASSERT_TRUE(c) << oid;
      EXPECT_EQ(c->in_service, want == 2) << oid; // hwSlotOperStatus normal(2)
      ++checked;
    } else if (sfp) {
      auto sp = huawei::decodePonIfIndex(last);
      ASSERT_TRUE(sp) << oid;
      const PonData* p = findPon(op, sp->slot, sp->port);
      ASSERT_TRUE(p) << oid;
      // LibreNMS shows the bias current in A (divisor 1000); the MIB unit is mA.
      std::optional<double> got = cls == "temperature" ? p->temperature_c
                                  : cls == "voltage"   ? p->voltage_v
                                  : cls == "dbm"       ? p->tx_dbm
                                                       : std::nullopt;
      if (cls == "current" && p->bias_ma) got = *p->bias_ma / 1000.0;
      ASSERT_TRUE(got) << cls << " " << oid;
      EXPECT_NEAR(*got, want, 1e-9) << cls << " " << oid;
      ++checked;
    }
  }
  // Every GPON port's Rx is 2147483647 in this walk (LibreNMS has no Rx sensor): no reading.
  for (const auto& p : op.pons)
    EXPECT_FALSE(p.rx_dbm) << p.slot << "/" << p.port;
  // GPON ports: oper status and octets from IF-MIB, matched by ifName "GPON 0/S/P".
  size_t gpon_ports = 0;
  for (const auto& p : exp["ports"]["poller"]["ports"]) {
    const std::string name = p["ifName"];
    if (name.rfind("GPON ", 0) != 0) continue;
    ++gpon_ports;
    auto sp = huawei::decodePonIfIndex(p["ifIndex"].get<uint32_t>());
    ASSERT_TRUE(sp) << name;
    EXPECT_EQ(name, "GPON 0/" + std::to_string(sp->slot) + "/" + std::to_string(sp->port));
    const PonData* s = findPon(st, sp->slot, sp->port);
    ASSERT_TRUE(s && s->oper_up && s->name) << name;
    EXPECT_EQ(*s->name, name);
    EXPECT_EQ(*s->oper_up, p["ifOperStatus"] == "up") << name;
    const PonData* t = findPon(tr, sp->slot, sp->port);
    ASSERT_TRUE(t && t->up_octets) << name;
    EXPECT_EQ(*t->up_octets, p["ifInOctets"].get<uint64_t>()) << name;
    EXPECT_EQ(*t->down_octets, p["ifOutOctets"].get<uint64_t>()) << name;
    checked += 2;
  }
  EXPECT_EQ(st.pons.size(), gpon_ports); // uplinks, VLAN and loopback interfaces are not PONs
  EXPECT_TRUE(polled.snaps[DataClass::Inventory].onus.empty());
  EXPECT_GE(checked, 200u);
}

// LibreNMS's Huawei MDU walk (MA562x, not an OLT): detected as Huawei, polled without error,
// and none of its Ethernet ports is taken for a PON port.
TEST(LibreNmsRecordings, HuaweiMduHasNoPonPorts) {
  TempDir dir;
  SnmpSim sim(dir.path() / "sim");
  json exp;
  if (!harness::serveLibreNms(sim, "smartax-mdu", &exp))
    GTEST_SKIP() << "../shared/research/snmprec not present";
  ASSERT_TRUE(sim.start("smartax-mdu"));
  harness::DriverHarness h;
  auto polled = h.pollAll(sim.port(), "smartax-mdu");
  ASSERT_TRUE(polled.ok);
  EXPECT_EQ(polled.vendor, "huawei");
  EXPECT_EQ("." + polled.system.object_id,
            exp["os"]["discovery"]["devices"][0]["sysObjectID"].get<std::string>());
  EXPECT_GT(exp["ports"]["poller"]["ports"].size(), 20u);
  for (DataClass cls : kAllClasses) {
    EXPECT_TRUE(polled.snaps[cls].pons.empty()) << className(cls);
    EXPECT_TRUE(polled.snaps[cls].onus.empty()) << className(cls);
  }
}

} // namespace
} // namespace ispbox::olt
