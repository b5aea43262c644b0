// SPDX-License-Identifier: GPL-2.0-or-later
// The FiberHome AN5516 driver end to end over SNMP: snmpsimd serves recordings generated from the
// documented OIDs (gen_fiberhome_snmprec.py, one community per index layout) and what the driver
// parses is compared with what the generator wrote; LibreNMS's AN5516 walks, when
// ../shared/research is present, are compared with LibreNMS's own decoded values.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "drivers/olt/fiberhome.h"
#include "tests/olt/driver_harness.h"
#include "tests/olt/snmpsim.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::olt {
namespace {

using fiberhome::Layout;
using harness::findCard;
using harness::findOnu;
using harness::findPon;
using nlohmann::json;
using testutil::SnmpSim;
using testutil::TempDir;

TEST(FiberhomeIndex, Layouts) {
  // The specification's example (olt-oids.md §4): slot 18, PON 4, ONU 50, port 5 = 606089733.
  EXPECT_EQ(fiberhome::onuIndex(Layout::An5516, 18, 4, 50) + 5, 606089733u);
  auto p = fiberhome::decode(Layout::An5516, 606089733u - 5);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->slot, 18u);
  EXPECT_EQ(p->pon, 4u);
  EXPECT_EQ(p->onu, 50u);
  EXPECT_FALSE(fiberhome::decode(Layout::An5516, 606089733u)); // an ONU port, not an ONU
  EXPECT_FALSE(fiberhome::decode(Layout::An5516, 0x80000000u));
  EXPECT_FALSE(fiberhome::decode(Layout::An5516, fiberhome::onuIndex(Layout::An5516, 0, 1, 1)));
  const uint32_t old = fiberhome::onuIndex(Layout::An5116, 3, 2, 17);
  EXPECT_EQ(old, 3u << 27 | 2u << 22 | 17u << 13);
  p = fiberhome::decode(Layout::An5116, old);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->slot, 3u);
  EXPECT_EQ(p->pon, 2u);
  EXPECT_EQ(p->onu, 17u);
  // A PON port's index is its ONU index with ONU 0.
  EXPECT_EQ(fiberhome::decode(Layout::An5516, fiberhome::onuIndex(Layout::An5516, 1, 8, 0))->onu,
            0u);
}

TEST(FiberhomeConversions, StatusAndOptics) {
  EXPECT_EQ(fiberhome::phase(1), OnuPhase::Working);
  EXPECT_EQ(fiberhome::phase(0), OnuPhase::Los);
  EXPECT_EQ(fiberhome::phase(2), OnuPhase::DyingGasp);
  EXPECT_EQ(fiberhome::phase(3), OnuPhase::Offline);
  EXPECT_EQ(fiberhome::phase(7), OnuPhase::Unknown);
  EXPECT_NEAR(*fiberhome::opticalDbm(-2150), -21.5, 1e-9);
  EXPECT_NEAR(*fiberhome::opticalDbm(230), 2.3, 1e-9);
  EXPECT_FALSE(fiberhome::opticalDbm(0));
  EXPECT_FALSE(fiberhome::opticalDbm(-8000)); // outside any optical range
  EXPECT_FALSE(fiberhome::opticalDbm(2147483647));
}

TEST(FiberhomeDetection, SysObjectIdAndDescr) {
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.5875.800.1001.11"), "AN5516-01"),
            "fiberhome");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.5875.800.1001.12"), "AN5516-04"),
            "fiberhome");
  EXPECT_EQ(detectVendor({}, "AN5516-06"), "fiberhome");
  auto d = makeDriver("fiberhome");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->firstOnuId(), 1u);
  std::string why;
  for (const char* op : {"rename", "create", "delete"}) {
    WriteRequest w{op, 1, 1, 1, "x", "FHTT00000001", "761"};
    EXPECT_FALSE(d->write(w, &why)) << op;
    EXPECT_NE(why.find("CLI"), std::string::npos) << why;
  }
}

// One snmpsimd for the suite, one community per index layout.
class FiberhomeOverSnmp : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    sim_ = new SnmpSim(dir_->path() / "sim");
    for (const char* layout : {"an5516", "an5116"}) {
      const std::string c = layout;
      ASSERT_TRUE(
          harness::generate("gen_fiberhome_snmprec.py",
                            {"--out", (sim_->dataDir() / (c + ".snmprec")).string(), "--expected",
                             (dir_->path() / (c + ".json")).string(), "--layout", c, "--cards", "2",
                             "--pons", "4", "--onus", "10", "--seed", c == "an5516" ? "3" : "4"}));
    }
    ASSERT_TRUE(sim_->start("an5516"));
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete dir_;
  }

  void compare(const std::string& layout) {
    std::ifstream f(dir_->path() / (layout + ".json"));
    const json exp = json::parse(f);
    auto polled = h_.pollAll(sim_->port(), layout);
    ASSERT_TRUE(polled.ok);
    EXPECT_EQ(polled.vendor, "fiberhome");
    EXPECT_EQ(polled.variant, layout); // the probe found the layout

    const Snapshot& inv = polled.snaps[DataClass::Inventory];
    harness::expectInventory(inv, exp);
    harness::expectUnconfigured(inv, exp);

    const Snapshot& st = polled.snaps[DataClass::State];
    ASSERT_TRUE(st.system && st.system->temperature_c);
    EXPECT_EQ(*st.system->temperature_c, exp["system"]["temperature_c"].get<double>());
    harness::expectStates(st, exp);
    harness::expectPonStates(st, exp);
    ASSERT_EQ(st.cards.size(), exp["cards"].size());
    for (const auto& e : exp["cards"]) {
      const CardData* c = findCard(st, e["slot"]);
      ASSERT_TRUE(c) << e.dump();
      EXPECT_EQ(c->type, e["type"]);
      EXPECT_EQ(c->status, e["status"]) << e.dump();
      harness::expectReading(c->cpu_pct, e["cpu_pct"], "cpu of " + e.dump());
      harness::expectReading(c->mem_pct, e["mem_pct"], "mem of " + e.dump());
    }
    ASSERT_EQ(st.fans.size(), exp["fans"].size());
    for (size_t i = 0; i < st.fans.size(); ++i) {
      EXPECT_EQ(st.fans[i].index, exp["fans"][i]["index"]);
      EXPECT_EQ(st.fans[i].status, exp["fans"][i]["status"]);
    }
    ASSERT_EQ(st.power.size(), exp["power"].size());
    for (size_t i = 0; i < st.power.size(); ++i)
      EXPECT_EQ(st.power[i].status, exp["power"][i]["status"]);

    harness::expectOptics(polled.snaps[DataClass::Optics], exp);
    // No traffic counters in this MIB: the class asks for nothing and reports nothing.
    const Snapshot& tr = polled.snaps[DataClass::Traffic];
    EXPECT_TRUE(tr.onus.empty());
    EXPECT_FALSE(tr.has_onus || tr.has_pons);
  }

  harness::DriverHarness h_;
  static TempDir* dir_;
  static SnmpSim* sim_;
};
TempDir* FiberhomeOverSnmp::dir_ = nullptr;
SnmpSim* FiberhomeOverSnmp::sim_ = nullptr;

TEST_F(FiberhomeOverSnmp, An5516Layout) {
  compare("an5516");
}

TEST_F(FiberhomeOverSnmp, An5116LayoutFoundByTheProbe) {
  compare("an5116");
}

// LibreNMS's AN5516 walks against its decoded values: management-card CPU (0.01 %) and memory,
// the system temperature, fan and power alarms; the smaller walks for detection and CPU only.
TEST(LibreNmsRecordings, FiberhomeAn5516) {
  size_t served = 0;
  for (const char* name : {"fiberhome", "fiberhome_an5516-01", "fiberhome_an5516-04"}) {
    SCOPED_TRACE(name);
    TempDir dir;
    SnmpSim sim(dir.path() / "sim");
    json exp;
    if (!harness::serveLibreNms(sim, name, &exp)) continue;
    ++served;
    ASSERT_TRUE(sim.start(name));
    harness::DriverHarness h;
    auto polled = h.pollAll(sim.port(), name);
    ASSERT_TRUE(polled.ok);
    const auto& dev = exp["os"]["discovery"]["devices"][0];
    EXPECT_EQ(polled.vendor, "fiberhome");
    EXPECT_EQ(polled.system.descr, dev["hardware"]);
    const Snapshot& st = polled.snaps[DataClass::State];
    // Cards with a CPU figure are exactly LibreNMS's processors (working cards only).
    harness::expectLibreNmsProcessors(st, exp);
    if (exp["mempools"]["discovery"].is_object())
      for (const auto& m : exp["mempools"]["discovery"]["mempools"]) {
        const CardData* c = findCard(st, std::stoul(m["mempool_index"].get<std::string>()));
        ASSERT_TRUE(c && c->mem_pct);
        const double pct =
            100.0 * m["mempool_used"].get<double>() / m["mempool_total"].get<double>();
        EXPECT_NEAR(*c->mem_pct, pct, 0.01);
      }
    if (!exp.contains("sensors")) continue;
    size_t sensors = 0;
    for (const auto& s : exp["sensors"]["discovery"]["sensors"]) {
      const std::string oid = s["sensor_oid"];
      const auto value = s["sensor_current"].get<int>();
      const uint32_t slot = std::stoul(s["sensor_index"].get<std::string>());
      if (oid.find(".5875.800.3.60.2.1.1.") != std::string::npos) {
        bool found = false;
        for (const auto& fan : st.fans)
          if (fan.index == slot) {
            found = true;
            EXPECT_EQ(fan.status, value == 1 ? "ok" : "failed") << slot;
          }
        EXPECT_TRUE(found) << "fan " << slot;
        ++sensors;
      } else if (oid.find(".5875.800.3.60.1.1.2.") != std::string::npos) {
        bool found = false;
        for (const auto& p : st.power)
          if (p.slot == slot) {
            found = true;
            EXPECT_EQ(p.status, value == 1 ? "normal" : value == 2 ? "under" : "fault") << slot;
          }
        EXPECT_TRUE(found) << "power " << slot;
        ++sensors;
      } else if (s["sensor_class"] == "temperature") {
        ASSERT_TRUE(st.system && st.system->temperature_c);
        EXPECT_EQ(*st.system->temperature_c, value);
        ++sensors;
      }
    }
    EXPECT_EQ(sensors, exp["sensors"]["discovery"]["sensors"].size());
  }
  if (served == 0) GTEST_SKIP() << "../shared/research/snmprec not present";
}

// The walks LibreNMS keeps for detection only (sysDescr and sysObjectID, no expected values).
TEST(LibreNmsRecordings, FiberhomeDetectionOnly) {
  size_t served = 0;
  for (const char* name : {"fiberhome_an5516-04B", "fiberhome_an5516-06"}) {
    SCOPED_TRACE(name);
    TempDir dir;
    SnmpSim sim(dir.path() / "sim");
    if (!harness::serveLibreNms(sim, name, nullptr)) continue;
    ++served;
    ASSERT_TRUE(sim.start(name));
    harness::DriverHarness h;
    auto polled = h.pollAll(sim.port(), name);
    EXPECT_TRUE(polled.ok);
    EXPECT_EQ(polled.vendor, "fiberhome");
    EXPECT_EQ(polled.system.descr.rfind("AN5516-", 0), 0u) << polled.system.descr;
  }
  if (served == 0) GTEST_SKIP() << "../shared/research/snmprec not present";
}

} // namespace
} // namespace ispbox::olt
