// SPDX-License-Identifier: GPL-2.0-or-later
// The V-SOL, BDCOM and C-Data drivers: their conversions and index encodings on their own, then
// end to end over SNMP: snmpsimd serves recordings generated from the documented OIDs
// (gen_vendor_snmprec.py, one community per vendor family), the vendor is detected from the
// system group, the probe picks the family, every class is polled and what the driver parsed is
// compared with what the generator wrote. LibreNMS's real V-SOL and BDCOM walks are compared with
// LibreNMS's decoded values when ../shared/research holds them (skipped otherwise).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "drivers/olt/bdcom.h"
#include "drivers/olt/cdata.h"
#include "drivers/olt/driver.h"
#include "drivers/olt/parse_util.h"
#include "drivers/olt/runner.h"
#include "tests/olt/snmpsim.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::olt {
namespace {

using nlohmann::json;
using testutil::runUntil;
using testutil::SnmpSim;
using testutil::TempDir;

TEST(VendorFormats, DisplayStringsAndSentinels) {
  // V-SOL's formats (olt-oids.md §5.1): the dBm figure in brackets, not the milliwatts.
  EXPECT_NEAR(*util::numberIn("0.03 mW (-14.61 dBm)"), -14.61, 1e-9);
  EXPECT_NEAR(*util::numberIn("2.38 mW (3.77 dBm)"), 3.77, 1e-9);
  EXPECT_NEAR(*util::numberIn("27.84 .C"), 27.84, 1e-9);
  EXPECT_NEAR(*util::numberIn("6.56 dbm"), 6.56, 1e-9);
  EXPECT_NEAR(*util::numberIn("-20.36"), -20.36, 1e-9);
  EXPECT_NEAR(*util::numberIn("11.65 mA"), 11.65, 1e-9);
  for (const char* none : {"na", "N/A", "--", "", " ", "-", "."})
    EXPECT_FALSE(util::numberIn(none)) << none;
  EXPECT_FALSE(util::dbmIn("0.00 mW (-inf dBm)"));
  EXPECT_FALSE(util::dbmIn("-65.00 dBm")); // outside any optical budget
  EXPECT_EQ(util::macText(std::string("\x24\xfd\x0d\x20\x30\xd9", 6)), "24:FD:0D:20:30:D9");
  EXPECT_EQ(util::macText("24fd.0d20.30d9"), "24:FD:0D:20:30:D9");
  EXPECT_EQ(util::macText("24-fd-0d-20-30-d9"), "24:FD:0D:20:30:D9");
  EXPECT_EQ(util::serialText(std::string("BDCM\x01\x02\xab\xcd", 8)), "BDCM0102ABCD");
  EXPECT_EQ(util::serialText("vsol00a1b2c3"), "VSOL00A1B2C3");
  EXPECT_EQ(util::serialText("ABCD1234"), "ABCD1234"); // 8 printable characters stay text
  EXPECT_EQ(*util::looseDateTime("2024/02/29 13:05:09"), 1709211909);
  EXPECT_EQ(*util::looseDateTime("2024 /2 /29  13:5:9"), 1709211909);
  EXPECT_EQ(*util::looseDateTime("2024-02-29 13:05:09"), 1709211909);
  EXPECT_FALSE(util::looseDateTime("9 Days 10 Hours 13 Minutes 51 Seconds"));
  EXPECT_FALSE(util::looseDateTime("0000-00-00 00:00:00"));
}

TEST(VendorFormats, BdcomInterfacesAndUnits) {
  auto p = bdcom::parseIfName("GPON0/2:17");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->gpon);
  EXPECT_EQ(p->slot, 0u);
  EXPECT_EQ(p->apiSlot(), 1u); // ispbox numbers slots from 1
  EXPECT_EQ(p->port, 2u);
  EXPECT_EQ(p->onu, 17u);
  p = bdcom::parseIfName("EPON0/4");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->gpon);
  EXPECT_EQ(p->onu, 0u); // a PON port
  for (const char* bad : {"GigaEthernet0/1", "GPON0/0:1", "GPON0/1:0", "GPON0/2:", "VLAN101"})
    EXPECT_FALSE(bdcom::parseIfName(bad)) << bad;
  EXPECT_NEAR(*bdcom::tenthDbm(-215), -21.5, 1e-9);
  EXPECT_FALSE(bdcom::tenthDbm(-65535));
  EXPECT_NEAR(bdcom::eponTemperatureC(40 * 256 + 128), 40.5, 1e-9);
  EXPECT_NEAR(bdcom::eponVoltageV(33000), 3.3, 1e-9);
  EXPECT_NEAR(bdcom::eponBiasMa(6000), 12.0, 1e-9);
}

TEST(VendorFormats, CdataEponDeviceIndex) {
  // slot = bits 31-24, encoded port = bits 15-8 (port = encoded / 16 + 1), onu = bits 7-0.
  EXPECT_EQ(cdata::eponIndex(1, 1, 1), 0x01000001u);
  EXPECT_EQ(cdata::eponIndex(1, 4, 12), 0x0100300cu);
  auto p = cdata::decodeEponIndex(0x0100300cu);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->slot, 1u);
  EXPECT_EQ(p->port, 4u);
  EXPECT_EQ(p->onu, 12u);
  EXPECT_EQ(cdata::decodeEponIndex(0x00001005u)->slot, 1u); // slot 0 is shown as 1
  EXPECT_FALSE(cdata::decodeEponIndex(0x01001000u));        // ONU 0
  EXPECT_FALSE(cdata::decodeEponIndex(0x01000301u));        // encoded port not a multiple of 16
  EXPECT_NEAR(*cdata::centiDbm(-1697), -16.97, 1e-9);
  EXPECT_FALSE(cdata::centiDbm(0)); // no signal
}

TEST(VendorFormats, Detection) {
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.37950.1.1.5.10.14.1"), "V1600D"), "vsol");
  EXPECT_EQ(detectVendor({}, "V1600G1"), "vsol");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.3320.1.390.0"), ""), "bdcom");
  EXPECT_EQ(detectVendor({}, "BDCOM(tm) P3310C Software"), "bdcom");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.17409.1.10"), ""), "cdata");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.34592.1.3.100"), ""), "cdata");
  const auto vendors = supportedVendors();
  for (const char* v : {"vsol", "bdcom", "cdata"}) {
    EXPECT_NE(std::find(vendors.begin(), vendors.end(), v), vendors.end()) << v;
    auto d = makeDriver(v);
    ASSERT_TRUE(d) << v;
    EXPECT_EQ(d->vendor(), v);
  }
}

// The probe without ONU tables (a new OLT) falls back on the model in sysDescr.
TEST(VendorFormats, ProbeFallsBackOnSysDescr) {
  auto probe = [](const std::string& vendor, const std::string& descr) {
    Collected c;
    c.gets.push_back({systemOids()[0], {}});
    c.gets.back().value.type = snmp::Value::Type::String;
    c.gets.back().value.s = descr;
    for (const auto& o : makeDriver(vendor)->probePlan().nexts) {
      snmp::VarBind vb{o, {}};
      vb.value.type = snmp::Value::Type::EndOfMib;
      c.nexts.push_back(vb);
    }
    auto d = makeDriver(vendor);
    d->applyProbe(c);
    return d->variant();
  };
  EXPECT_EQ(probe("vsol", "V1600G1"), "gpon");
  EXPECT_EQ(probe("vsol", "V1600D"), "epon");
  EXPECT_EQ(probe("bdcom", "BDCOM(tm) GP3600-08 Software"), "gpon");
  EXPECT_EQ(probe("bdcom", "BDCOM(tm) P3310C Software"), "epon");
  EXPECT_EQ(probe("cdata", "FD1616GS GPON OLT"), "gpon");
  EXPECT_EQ(probe("cdata", "FD1108SN"), "epon");
}

TEST(VendorFormats, WritesNeedTheCli) {
  for (const char* v : {"vsol", "bdcom", "cdata"})
    for (const char* op : {"rename", "create", "delete"}) {
      std::string why;
      WriteRequest w{op, 1, 1, 1, "name", "ABCD00000001", "type"};
      EXPECT_FALSE(makeDriver(v)->write(w, &why)) << v << " " << op;
      EXPECT_NE(why.find("CLI"), std::string::npos) << why;
    }
}

// One snmpsimd for the suite, one community per vendor family.
class VendorOverSnmp : public ::testing::Test {
protected:
  static constexpr const char* kFamilies[] = {"vsol-epon",  "vsol-gpon",  "bdcom-gpon",
                                              "bdcom-epon", "cdata-epon", "cdata-gpon"};
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    sim_ = new SnmpSim(dir_->path() / "sim");
    int seed = 11;
    for (const char* f : kFamilies)
      ASSERT_TRUE(testutil::generateVendor(
          {"--vendor", f, "--pons", "4", "--onus", "12", "--seed", std::to_string(seed++), "--out",
           (sim_->dataDir() / (std::string(f) + ".snmprec")).string(), "--expected",
           (dir_->path() / (std::string(f) + ".json")).string()}))
          << f;
    ASSERT_TRUE(sim_->start("vsol-epon"));
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete dir_;
  }

  static json expected(const std::string& community) {
    std::ifstream f(dir_->path() / (community + ".json"));
    return json::parse(f);
  }

  snmp::Result<Collected> run(const std::shared_ptr<snmp::Session>& s, const Plan& p) {
    std::optional<snmp::Result<Collected>> got;
    runPlan(s, p, [&](snmp::Result<Collected> r) { got = std::move(r); });
    EXPECT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
    return got ? std::move(*got) : snmp::Result<Collected>{snmp::Error{}, {}};
  }

  // Detects the vendor, probes the family, polls every class.
  std::map<DataClass, Snapshot> pollAll(const std::string& community, std::string* vendor,
                                        std::string* variant) {
    snmp::SessionOptions o;
    o.address = "127.0.0.1";
    o.port = static_cast<uint16_t>(sim_->port());
    o.credentials.community = community;
    auto s = snmp::Session::create(engine_, o);
    Plan sys;
    sys.gets = systemOids();
    auto c = run(s, sys);
    EXPECT_TRUE(c.ok());
    const SystemData sd = parseSystem(c.value);
    *vendor = detectVendor(snmp::parseOid(sd.object_id).value_or(snmp::Oid{}), sd.descr);
    std::map<DataClass, Snapshot> out;
    auto d = makeDriver(*vendor);
    if (!d) {
      ADD_FAILURE() << "no driver for " << *vendor;
      return out;
    }
    auto probe = run(s, d->probePlan());
    EXPECT_TRUE(probe.ok());
    d->applyProbe(probe.value);
    *variant = d->variant();
    for (DataClass cls : kAllClasses) {
      auto r = run(s, d->plan(cls));
      EXPECT_TRUE(r.ok()) << className(cls) << ": " << (r.error ? r.error->message : "");
      d->parse(cls, r.value, out[cls]);
      EXPECT_EQ(out[cls].cls, cls);
    }
    s->close();
    return out;
  }

  static const OnuData* find(const Snapshot& s, const json& e) {
    for (const auto& o : s.onus)
      if (o.slot == e["slot"] && o.port == e["port"] && o.onu == e["onu"]) return &o;
    return nullptr;
  }
  static const PonData* findPon(const Snapshot& s, const json& e) {
    for (const auto& p : s.pons)
      if (p.slot == e["slot"] && p.port == e["port"]) return &p;
    return nullptr;
  }

  template <class T>
  static void expectOpt(const std::optional<T>& got, const json& want, const std::string& what) {
    if (want.is_null()) {
      EXPECT_FALSE(got) << what << " should be no reading";
      return;
    }
    ASSERT_TRUE(got) << what;
    if constexpr (std::is_same_v<T, double>)
      EXPECT_NEAR(*got, want.get<double>(), 1e-6) << what;
    else
      EXPECT_EQ(*got, want.get<T>()) << what;
  }

  void compare(const std::string& family) {
    std::string vendor, variant;
    auto snaps = pollAll(family, &vendor, &variant);
    const json exp = expected(family);
    ASSERT_EQ(vendor, exp["vendor"]);
    EXPECT_EQ(variant, exp["variant"]);

    const Snapshot& inv = snaps[DataClass::Inventory];
    ASSERT_TRUE(inv.system);
    EXPECT_EQ(inv.system->name, exp["system"]["name"]);
    EXPECT_EQ(inv.system->object_id, exp["system"]["object_id"]);
    EXPECT_EQ(*inv.system->uptime_ticks, exp["system"]["uptime_ticks"]);
    EXPECT_EQ(inv.system->model, exp["system"].value("model", std::string()));
    EXPECT_EQ(inv.system->firmware, exp["system"].value("firmware", std::string()));
    ASSERT_EQ(inv.onus.size(), exp["onus"].size());

    const Snapshot& st = snaps[DataClass::State];
    const Snapshot& op = snaps[DataClass::Optics];
    const Snapshot& tr = snaps[DataClass::Traffic];
    size_t offline = 0, with_optics = 0;
    for (const auto& e : exp["onus"]) {
      const std::string at = e.dump();
      const OnuData* i = find(inv, e);
      ASSERT_TRUE(i) << at;
      for (auto [key, field] : {std::pair{"name", &i->name},
                                {"description", &i->description},
                                {"serial", &i->serial},
                                {"type", &i->type},
                                {"model", &i->model},
                                {"firmware", &i->firmware}})
        if (e.contains(key)) expectOpt(*field, e[key], std::string(key) + " of " + at);

      const OnuData* s = find(st, e);
      ASSERT_TRUE(s && s->phase) << at;
      EXPECT_EQ(phaseName(*s->phase), e["phase"].get<std::string>()) << at;
      EXPECT_EQ(phaseOnline(*s->phase), e["online"].get<bool>()) << at;
      if (!e["online"].get<bool>()) {
        ++offline;
        EXPECT_EQ(s->offline_reason.value_or(""), e["offline_reason"].get<std::string>()) << at;
      }
      if (e.contains("distance_m")) expectOpt(s->distance_m, e["distance_m"], "distance " + at);
      if (e.contains("last_online")) expectOpt(s->last_online, e["last_online"], "up " + at);
      if (e.contains("last_offline")) expectOpt(s->last_offline, e["last_offline"], "down " + at);

      const OnuData* o = find(op, e);
      if (e.contains("rx_dbm") && !e["rx_dbm"].is_null()) ++with_optics;
      for (auto [key, field] : {std::pair{"rx_dbm", o ? &o->rx_dbm : nullptr},
                                {"tx_dbm", o ? &o->tx_dbm : nullptr},
                                {"temperature_c", o ? &o->temperature_c : nullptr},
                                {"voltage_v", o ? &o->voltage_v : nullptr},
                                {"bias_ma", o ? &o->bias_ma : nullptr}}) {
        if (!e.contains(key)) continue;
        if (!field) {
          // No optical row at all is the same as no reading.
          EXPECT_TRUE(e[key].is_null()) << key << " of " << at;
          continue;
        }
        expectOpt(*field, e[key], std::string(key) + " of " + at);
      }

      const OnuData* t = find(tr, e);
      for (auto [key, field] : {std::pair{"up_octets", t ? &t->up_octets : nullptr},
                                {"down_octets", t ? &t->down_octets : nullptr},
                                {"up_errors", t ? &t->up_errors : nullptr},
                                {"down_errors", t ? &t->down_errors : nullptr}}) {
        if (!e.contains(key)) continue;
        ASSERT_TRUE(field) << key << " of " << at;
        expectOpt(*field, e[key], std::string(key) + " of " + at);
      }
    }
    // The recordings must exercise both sides of every conversion.
    EXPECT_GT(offline, 0u);
    EXPECT_GT(with_optics, 0u);

    // PON ports: state, optics and traffic by slot/port.
    for (const auto& e : exp["pons"]) {
      const std::string at = e.dump();
      if (e.contains("oper_up")) {
        const PonData* p = findPon(st, e);
        ASSERT_TRUE(p && p->oper_up) << at;
        EXPECT_EQ(*p->oper_up, e["oper_up"].get<bool>()) << at;
        if (e.contains("admin_up")) expectOpt(p->admin_up, e["admin_up"], "admin " + at);
        if (e.contains("name")) expectOpt(p->name, e["name"], "name " + at);
      }
      if (const PonData* p = findPon(op, e))
        for (auto [key, field] : {std::pair{"rx_dbm", &p->rx_dbm},
                                  {"tx_dbm", &p->tx_dbm},
                                  {"temperature_c", &p->temperature_c},
                                  {"voltage_v", &p->voltage_v},
                                  {"bias_ma", &p->bias_ma}})
          if (e.contains(key)) expectOpt(*field, e[key], std::string(key) + " of " + at);
      if (e.contains("up_octets")) {
        const PonData* p = findPon(tr, e);
        ASSERT_TRUE(p) << at;
        expectOpt(p->up_octets, e["up_octets"], "up " + at);
        expectOpt(p->down_octets, e["down_octets"], "down " + at);
      }
    }
    size_t pon_optics = 0;
    for (const auto& e : exp["pons"])
      pon_optics += e.contains("tx_dbm") ? 1 : 0;
    EXPECT_EQ(op.pons.size(), pon_optics);

    // Boards, fans, power supplies, unconfigured ONUs.
    ASSERT_EQ(st.cards.size(), exp["cards"].size());
    for (size_t k = 0; k < st.cards.size(); ++k) {
      const json& e = exp["cards"][k];
      EXPECT_EQ(st.cards[k].slot, e["slot"]);
      EXPECT_EQ(st.cards[k].type, e["type"]);
      expectOpt(st.cards[k].cpu_pct, e["cpu_pct"], "cpu");
      expectOpt(st.cards[k].mem_pct, e["mem_pct"], "memory");
      expectOpt(st.cards[k].temperature_c, e["temperature_c"], "card temperature");
      if (e.contains("voltage_v")) expectOpt(st.cards[k].voltage_v, e["voltage_v"], "voltage");
      EXPECT_EQ(st.cards[k].serial, e.value("serial", std::string()));
    }
    if (exp["system"].contains("temperature_c"))
      expectOpt(st.system->temperature_c, exp["system"]["temperature_c"], "system temperature");
    ASSERT_EQ(st.fans.size(), exp["fans"].size());
    for (size_t k = 0; k < st.fans.size(); ++k) {
      EXPECT_EQ(st.fans[k].index, exp["fans"][k]["index"]);
      EXPECT_EQ(st.fans[k].status, exp["fans"][k]["status"]);
      expectOpt(st.fans[k].rpm, exp["fans"][k]["rpm"], "fan rpm");
    }
    ASSERT_EQ(st.power.size(), exp["power"].size());
    for (size_t k = 0; k < st.power.size(); ++k)
      EXPECT_EQ(st.power[k].status, exp["power"][k]["status"]);
    std::set<std::string> unc_got, unc_exp;
    for (const auto& u : inv.unconfigured)
      unc_got.insert(u.serial + "@" + std::to_string(u.slot) + "/" + std::to_string(u.port) + " " +
                     u.type);
    for (const auto& u : exp["unconfigured"])
      unc_exp.insert(u["serial"].get<std::string>() + "@" + std::to_string(u["slot"].get<int>()) +
                     "/" + std::to_string(u["port"].get<int>()) + " " +
                     u.value("type", std::string()));
    EXPECT_EQ(unc_got, unc_exp);
  }

  asio::io_context io_;
  snmp::Engine engine_{io_};
  static TempDir* dir_;
  static SnmpSim* sim_;
};
TempDir* VendorOverSnmp::dir_ = nullptr;
SnmpSim* VendorOverSnmp::sim_ = nullptr;

TEST_F(VendorOverSnmp, VsolV1600dEpon) {
  compare("vsol-epon");
}

TEST_F(VendorOverSnmp, VsolV1600gGpon) {
  compare("vsol-gpon");
}

TEST_F(VendorOverSnmp, BdcomGp3600Gpon) {
  compare("bdcom-gpon");
}

TEST_F(VendorOverSnmp, BdcomP33xxEpon) {
  compare("bdcom-epon");
}

TEST_F(VendorOverSnmp, CdataEpon) {
  compare("cdata-epon");
}

TEST_F(VendorOverSnmp, CdataGpon) {
  compare("cdata-gpon");
}

// A family's driver on the other family's OLT finds nothing rather than misreading it.
TEST_F(VendorOverSnmp, WrongFamilyReadsNothing) {
  snmp::SessionOptions o;
  o.address = "127.0.0.1";
  o.port = static_cast<uint16_t>(sim_->port());
  o.credentials.community = "bdcom-gpon";
  auto s = snmp::Session::create(engine_, o);
  auto d = makeDriver("bdcom");
  d->setVariant("epon");
  Snapshot snap;
  auto r = run(s, d->plan(DataClass::Inventory));
  ASSERT_TRUE(r.ok());
  d->parse(DataClass::Inventory, r.value, snap);
  EXPECT_TRUE(snap.onus.empty());
  s->close();
}

// LibreNMS's real walks against LibreNMS's decoded values, where they are shipped.
class LibreNmsVendorRecordings : public ::testing::Test {
protected:
  // Polls the classes of `vendor` on the recording; false (and a skip) when it is absent.
  bool load(const std::string& name, const std::string& vendor) {
    const auto research = testutil::researchDir();
    const auto rec = research / "snmprec" / (name + ".snmprec");
    const auto exp = research / "snmprec" / "expected" / (name + ".json");
    if (research.empty() || !std::filesystem::exists(rec) || !std::filesystem::exists(exp))
      return false;
    sim_ = std::make_unique<SnmpSim>(dir_.path() / "sim");
    EXPECT_TRUE(testutil::sortSnmprec(rec, sim_->dataDir() / "librenms.snmprec"));
    EXPECT_TRUE(sim_->start("librenms"));
    std::ifstream f(exp);
    exp_ = json::parse(f);
    snmp::SessionOptions o;
    o.address = "127.0.0.1";
    o.port = static_cast<uint16_t>(sim_->port());
    o.credentials.community = "librenms";
    auto s = snmp::Session::create(engine_, o);
    auto d = makeDriver(vendor);
    auto run = [&](const Plan& p) {
      std::optional<snmp::Result<Collected>> got;
      runPlan(s, p, [&](auto r) { got = std::move(r); });
      EXPECT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
      return got ? std::move(*got) : snmp::Result<Collected>{snmp::Error{}, {}};
    };
    auto probe = run(d->probePlan());
    EXPECT_TRUE(probe.ok());
    d->applyProbe(probe.value);
    for (DataClass cls : kAllClasses) {
      auto r = run(d->plan(cls));
      EXPECT_TRUE(r.ok()) << className(cls);
      d->parse(cls, r.value, snaps_[cls]);
    }
    s->close();
    return true;
  }

  TempDir dir_;
  asio::io_context io_;
  snmp::Engine engine_{io_};
  std::unique_ptr<SnmpSim> sim_;
  json exp_;
  std::map<DataClass, Snapshot> snaps_;
};

TEST_F(LibreNmsVendorRecordings, VsolV1600d) {
  if (!load("vsolution_v1600d", "vsol")) GTEST_SKIP() << "../shared/research: no V1600D walk";
  // Sensors by OID: ONU DDM {pon}.{onu} and PON transceivers {pon}.
  const std::string ddm = ".1.3.6.1.4.1.37950.1.1.5.12.2.1.8.1.";
  const std::string xcvr = ".1.3.6.1.4.1.37950.1.1.5.10.13.1.1.";
  size_t checked = 0;
  for (const auto& sn : exp_["sensors"]["discovery"]["sensors"]) {
    const std::string oid = sn["sensor_oid"];
    const double want = sn["sensor_current"].get<double>();
    if (oid.rfind(ddm, 0) == 0) {
      auto parts = *snmp::parseOid(oid.substr(ddm.size()));
      if (parts.size() != 3) continue;
      for (const auto& o : snaps_[DataClass::Optics].onus)
        if (o.port == parts[1] && o.onu == parts[2]) {
          const std::optional<double>* got = parts[0] == 3   ? &o.temperature_c
                                             : parts[0] == 4 ? &o.voltage_v
                                             : parts[0] == 6 ? &o.tx_dbm
                                             : parts[0] == 7 ? &o.rx_dbm
                                                             : nullptr;
          if (!got || !*got) continue;
          EXPECT_NEAR(**got, want, 0.011) << oid;
          ++checked;
        }
    } else if (oid.rfind(xcvr, 0) == 0) {
      auto parts = *snmp::parseOid(oid.substr(xcvr.size()));
      if (parts.size() != 2 || parts[0] != 5) continue;
      for (const auto& p : snaps_[DataClass::Optics].pons)
        if (p.port == parts[1] && p.tx_dbm) {
          EXPECT_NEAR(*p.tx_dbm, want, 0.011) << oid;
          ++checked;
        }
    }
  }
  EXPECT_GT(checked, 0u);
  EXPECT_FALSE(snaps_[DataClass::Inventory].onus.empty()); // ONU labels (onuAuthInfo2 .9)
}

TEST_F(LibreNmsVendorRecordings, BdcomGp3600) {
  if (!load("bdcom", "bdcom")) GTEST_SKIP() << "../shared/research: no BDCOM walk";
  size_t checked = 0;
  const auto& cards = snaps_[DataClass::State].cards;
  for (const auto& p : exp_["processors"]["discovery"]["processors"]) {
    const std::string oid = p["processor_oid"];
    const uint32_t idx = std::stoul(oid.substr(oid.rfind('.') + 1));
    for (const auto& c : cards)
      if (c.slot == idx + 1 && c.cpu_pct) {
        EXPECT_EQ(*c.cpu_pct, p["processor_usage"].get<double>());
        ++checked;
      }
  }
  for (const auto& sn : exp_["sensors"]["discovery"]["sensors"]) {
    const std::string oid = sn["sensor_oid"];
    const std::string card = ".1.3.6.1.4.1.3320.3.6.10.1.";
    if (oid.rfind(card, 0) != 0) continue;
    auto parts = *snmp::parseOid(oid.substr(card.size()));
    for (const auto& c : cards)
      if (parts.size() == 2 && c.slot == parts[1] + 1) {
        const std::optional<double>& got = parts[0] == 13 ? c.temperature_c : c.voltage_v;
        if (!got) continue;
        EXPECT_EQ(*got, sn["sensor_current"].get<double>()) << oid;
        ++checked;
      }
  }
  // ONU interfaces' counters, matched by ifName.
  for (const auto& p : exp_["ports"]["poller"]["ports"]) {
    auto pos = bdcom::parseIfName(p["ifName"].get<std::string>());
    if (!pos || !pos->onu || p["ifInOctets"].is_null()) continue;
    for (const auto& o : snaps_[DataClass::Traffic].onus)
      if (o.slot == pos->apiSlot() && o.port == pos->port && o.onu == pos->onu) {
        EXPECT_EQ(*o.up_octets, p["ifInOctets"].get<uint64_t>());
        ++checked;
      }
  }
  EXPECT_GT(checked, 0u);
}

} // namespace
} // namespace ispbox::olt
