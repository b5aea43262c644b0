// SPDX-License-Identifier: GPL-2.0-or-later
// The ZTE driver end to end over SNMP: snmpsimd serves recordings generated from the documented
// OIDs (gen_zte_snmprec.py, one community per firmware layout) and what the driver parses is
// compared with what the generator wrote. Also: sentinel values, partial tables, an agent that
// never answers max-repetitions 0 (we never send it), and LibreNMS's real C320 walk when
// ../shared/research is present.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "drivers/olt/driver.h"
#include "drivers/olt/runner.h"
#include "drivers/olt/zte.h"
#include "tests/olt/snmpsim.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::olt {
namespace {

using nlohmann::json;
using testutil::SnmpSim;
using testutil::TempDir;

bool runUntil(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!done() && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(50));
  return done();
}

TEST(ZteIndex, Encodings) {
  // Values from olt-oids.md §2.2, computed there from the bit layouts.
  EXPECT_EQ(zte::indexA(1, 1), 268501248u);
  EXPECT_EQ(zte::indexA(1, 8), 268503040u);
  EXPECT_EQ(zte::indexA(3, 1), 268632320u);
  EXPECT_EQ(zte::indexB(1, 1), 285278465u);
  EXPECT_EQ(zte::indexB(8, 2), 285280258u);
  EXPECT_EQ(zte::indexB(5, 16), 285279504u);
  EXPECT_EQ(zte::decodeA(268566784u)->slot, 2u);
  EXPECT_EQ(zte::decodeB(285279504u)->port, 16u);
  EXPECT_FALSE(zte::decodeA(285278465u)); // a form-B value is not form A
  EXPECT_FALSE(zte::decodeB(268501248u));
  EXPECT_EQ(zte::parsePonIfName("gpon_1/2/3")->port, 3u);
  EXPECT_EQ(zte::parsePonIfName("gpon-olt_1/14/8")->slot, 14u);
  EXPECT_EQ(zte::parsePonIfName("gpon_olt-1/5/16")->port, 16u);
  EXPECT_FALSE(zte::parsePonIfName("gei_1/4/1"));
  EXPECT_FALSE(zte::parsePonIfName("gpon_1/0/1"));
}

TEST(ZteConversions, SentinelsAndFormulas) {
  EXPECT_NEAR(*zte::onuOpticalDbm(5635), -18.73, 1e-9); // the CLI cross-check in S7
  EXPECT_FALSE(zte::onuOpticalDbm(65535));
  EXPECT_NEAR(*zte::oltRxDbm(-28544), -28.544, 1e-9);
  EXPECT_FALSE(zte::oltRxDbm(-80000));
  EXPECT_FALSE(zte::oltRxDbm(65535000));
  EXPECT_FALSE(zte::oltRxDbm(2147483647));
  EXPECT_EQ(renderSerial(std::string("ZTEG\xc0\xff\xee\x01", 8), true), "ZTEGC0FFEE01");
  EXPECT_EQ(renderSerial("1,ztegc0ffee01", false), "ZTEGC0FFEE01");
  EXPECT_EQ(*parseDateTime("2024-02-29 13:05:09"), 1709211909);
  EXPECT_EQ(*parseDateTime(std::string("\x07\xe8\x02\x1d\x0d\x05\x09\x00", 8)), 1709211909);
  EXPECT_FALSE(parseDateTime(""));
  EXPECT_FALSE(parseDateTime("0000-00-00 00:00:00"));
}

TEST(Detection, VendorFromSysObjectIdAndDescr) {
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.3902.1082.1001.320.2.1"), ""), "zte");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.2011.2.123"), ""), "huawei");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.5875.800.1001.11"), ""), "fiberhome");
  EXPECT_EQ(detectVendor(*snmp::parseOid("1.3.6.1.4.1.8072.3.2.10"), "Linux"), "");
  EXPECT_EQ(detectVendor({}, "ZXA10 C300"), "zte");
}

// One snmpsimd for the suite, one community per generated layout.
class ZteOverSnmp : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    sim_ = new SnmpSim(dir_->path() / "sim");
    auto gen = [](const std::string& community, std::vector<std::string> args) {
      args.insert(args.end(), {"--out", (sim_->dataDir() / (community + ".snmprec")).string(),
                               "--expected", (dir_->path() / (community + ".json")).string()});
      return testutil::generateZte(args);
    };
    ASSERT_TRUE(gen("both", {"--tree", "both", "--onus", "12", "--seed", "7"}));
    ASSERT_TRUE(gen("an", {"--tree", "1082", "--onus", "12", "--seed", "8", "--cards", "1"}));
    ASSERT_TRUE(gen("gp", {"--tree", "1012", "--onus", "12", "--seed", "9", "--cards", "1"}));
    ASSERT_TRUE(gen(
        "partial", {"--tree", "both", "--onus", "20", "--partial", "--cards", "1", "--pons", "4"}));
    ASSERT_TRUE(sim_->start("both"));
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete dir_;
  }

  static json expected(const std::string& community) {
    std::ifstream f(dir_->path() / (community + ".json"));
    return json::parse(f);
  }

  std::shared_ptr<snmp::Session> session(const std::string& community) {
    snmp::SessionOptions o;
    o.address = "127.0.0.1";
    o.port = static_cast<uint16_t>(sim_->port());
    o.credentials.community = community;
    o.timeout = std::chrono::milliseconds(2000);
    return snmp::Session::create(engine_, o);
  }

  snmp::Result<Collected> run(const std::shared_ptr<snmp::Session>& s, const Plan& p) {
    std::optional<snmp::Result<Collected>> got;
    runPlan(s, p, [&](snmp::Result<Collected> r) { got = std::move(r); });
    EXPECT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
    return got ? std::move(*got) : snmp::Result<Collected>{snmp::Error{}, {}};
  }

  // Detects the vendor, probes the variant, polls every class.
  std::map<DataClass, Snapshot> pollAll(const std::string& community, std::string* variant) {
    auto s = session(community);
    std::map<DataClass, Snapshot> out;
    Plan sys;
    sys.gets = systemOids();
    auto c = run(s, sys);
    EXPECT_TRUE(c.ok());
    SystemData sd = parseSystem(c.value);
    const std::string vendor = detectVendor(*snmp::parseOid(sd.object_id), sd.descr);
    EXPECT_EQ(vendor, "zte");
    auto d = makeDriver(vendor);
    auto probe = run(s, d->probePlan());
    EXPECT_TRUE(probe.ok());
    d->applyProbe(probe.value);
    *variant = d->variant();
    for (DataClass cls : kAllClasses) {
      auto r = run(s, d->plan(cls));
      EXPECT_TRUE(r.ok()) << className(cls) << ": " << (r.error ? r.error->message : "");
      d->parse(cls, r.value, out[cls]);
    }
    pdus_ = s->counters().pdus_sent;
    s->close();
    return out;
  }

  static const OnuData* find(const Snapshot& s, const json& e) {
    for (const auto& o : s.onus)
      if (o.slot == e["slot"] && o.port == e["port"] && o.onu == e["onu"]) return &o;
    return nullptr;
  }

  static void expectDbm(const std::optional<double>& got, const json& want, const char* what,
                        const json& onu) {
    if (want.is_null()) {
      EXPECT_FALSE(got) << what << " of " << onu.dump() << " should be no reading";
    } else {
      ASSERT_TRUE(got) << what << " of " << onu.dump();
      EXPECT_NEAR(*got, want.get<double>(), 1e-6) << what;
    }
  }

  void compare(const std::string& community) {
    std::string variant;
    auto snaps = pollAll(community, &variant);
    const json exp = expected(community);
    const std::string tree = exp["tree"];
    EXPECT_EQ(variant, tree == "both" ? "1082+1012" : tree);
    const bool gp = tree != "1082", an = tree != "1012";

    const Snapshot& inv = snaps[DataClass::Inventory];
    ASSERT_TRUE(inv.system);
    EXPECT_EQ(inv.system->name, exp["system"]["name"]);
    EXPECT_EQ(*inv.system->uptime_ticks, exp["system"]["uptime_ticks"]);
    ASSERT_EQ(inv.onus.size(), exp["onus"].size());
    for (const auto& e : exp["onus"]) {
      const OnuData* o = find(inv, e);
      ASSERT_TRUE(o) << e.dump();
      EXPECT_EQ(*o->name, e["name"]);
      EXPECT_EQ(*o->description, e["description"]);
      EXPECT_EQ(*o->serial, e["serial"]);
      EXPECT_EQ(*o->type, e["type"]);
      if (gp) {
        EXPECT_EQ(*o->model, e["model"]);
        EXPECT_EQ(*o->bandwidth_profile, e["bandwidth_profile"]);
        EXPECT_EQ(*o->bandwidth_max_kbps, e["bandwidth_max_kbps"]);
      }
    }
    std::set<std::string> unc_got, unc_exp;
    for (const auto& u : inv.unconfigured)
      unc_got.insert(u.serial + "@" + std::to_string(u.slot) + "/" + std::to_string(u.port));
    for (const auto& u : exp["unconfigured"])
      unc_exp.insert(u["serial"].get<std::string>() + "@" + std::to_string(u["slot"].get<int>()) +
                     "/" + std::to_string(u["port"].get<int>()));
    EXPECT_EQ(unc_got, unc_exp);

    const Snapshot& st = snaps[DataClass::State];
    for (const auto& e : exp["onus"]) {
      const OnuData* o = find(st, e);
      if (e.contains("state_missing")) {
        if (o) {
          EXPECT_FALSE(o->phase);
        }
        continue;
      }
      ASSERT_TRUE(o && o->phase) << e.dump();
      EXPECT_EQ(phaseName(*o->phase), e["phase"].get<std::string>());
      EXPECT_EQ(phaseOnline(*o->phase), e["online"].get<bool>());
      EXPECT_EQ(*o->last_online, e["last_online"]);
      EXPECT_EQ(*o->last_offline, e["last_offline"]);
      EXPECT_EQ(*o->distance_m, e["distance_m"]);
      if (!e["online"].get<bool>()) {
        const std::string want = e.contains("reason_from_phase")
                                     ? e["phase"].get<std::string>()
                                     : std::string(e["phase"] == "los"          ? "los"
                                                   : e["phase"] == "dying_gasp" ? "power_off"
                                                                                : "reboot");
        EXPECT_EQ(o->offline_reason.value_or(""), want) << e.dump();
      }
    }
    // PON ports by ifName, cards, fans, power.
    size_t pons_matched = 0;
    for (const auto& e : exp["pons"])
      for (const auto& p : st.pons)
        if (p.slot == e["slot"] && p.port == e["port"]) {
          ++pons_matched;
          EXPECT_EQ(*p.oper_up, e["oper_up"].get<bool>());
        }
    EXPECT_EQ(pons_matched, exp["pons"].size());
    EXPECT_EQ(st.pons.size(), exp["pons"].size()); // uplinks are not PON ports
    ASSERT_EQ(st.cards.size(), exp["cards"].size());
    for (size_t i = 0; i < st.cards.size(); ++i) {
      EXPECT_EQ(st.cards[i].type, exp["cards"][i]["type"]);
      EXPECT_EQ(*st.cards[i].cpu_pct, exp["cards"][i]["cpu_pct"].get<double>());
      EXPECT_EQ(*st.cards[i].temperature_c, exp["cards"][i]["temperature_c"].get<double>());
      EXPECT_EQ(st.cards[i].serial, exp["cards"][i]["serial"]);
    }
    ASSERT_EQ(st.fans.size(), exp["fans"].size());
    for (size_t i = 0; i < st.fans.size(); ++i) {
      EXPECT_EQ(st.fans[i].status, exp["fans"][i]["status"]);
      EXPECT_EQ(*st.fans[i].rpm, exp["fans"][i]["rpm"].get<uint32_t>());
    }
    ASSERT_EQ(st.power.size(), 1u);
    EXPECT_EQ(*st.power[0].voltage_v, 59.0);
    EXPECT_EQ(*st.system->temperature_c, 42.0);

    const Snapshot& op = snaps[DataClass::Optics];
    for (const auto& e : exp["onus"]) {
      const OnuData* o = find(op, e);
      if (e.contains("optics_missing")) {
        if (o) {
          EXPECT_FALSE(o->rx_dbm);
        }
        continue;
      }
      ASSERT_TRUE(o) << e.dump();
      expectDbm(o->rx_dbm, e["rx_dbm"], "rx", e);
      expectDbm(o->olt_rx_dbm, e["olt_rx_dbm"], "olt rx", e);
      if (gp) expectDbm(o->tx_dbm, e["tx_dbm"], "tx", e);
    }
    if (gp) {
      for (const auto& p : op.pons) {
        EXPECT_NEAR(*p.temperature_c, 40.0, 1e-9);
        EXPECT_FALSE(p.rx_dbm); // 0x7FFFFFFF: no reading
        EXPECT_TRUE(p.tx_dbm);
      }
    }
    const Snapshot& tr = snaps[DataClass::Traffic];
    if (an) {
      for (const auto& e : exp["onus"]) {
        const OnuData* o = find(tr, e);
        ASSERT_TRUE(o) << e.dump();
        EXPECT_EQ(*o->up_octets, e["up_octets"].get<uint64_t>());
        EXPECT_EQ(*o->down_octets, e["down_octets"].get<uint64_t>());
        EXPECT_EQ(*o->up_errors, e["up_errors"].get<uint64_t>());
      }
    }
    size_t traffic_pons = 0;
    for (const auto& e : exp["pons"])
      for (const auto& p : tr.pons)
        if (p.slot == e["slot"] && p.port == e["port"]) {
          ++traffic_pons;
          EXPECT_EQ(*p.up_octets, e["up_octets"].get<uint64_t>());
          EXPECT_EQ(*p.down_octets, e["down_octets"].get<uint64_t>());
        }
    EXPECT_EQ(traffic_pons, exp["pons"].size());
  }

  asio::io_context io_;
  snmp::Engine engine_{io_};
  uint64_t pdus_ = 0;
  static TempDir* dir_;
  static SnmpSim* sim_;
};
TempDir* ZteOverSnmp::dir_ = nullptr;
SnmpSim* ZteOverSnmp::sim_ = nullptr;

TEST_F(ZteOverSnmp, C320WithBothTrees) {
  compare("both");
}

TEST_F(ZteOverSnmp, C600Style1082TreeOnly) {
  compare("an");
}

TEST_F(ZteOverSnmp, Older1012TreeOnly) {
  compare("gp");
}

TEST_F(ZteOverSnmp, PartialTablesLeaveGapsNotFailures) {
  compare("partial");
}

TEST_F(ZteOverSnmp, WritesAreExpressedOnTheRightTree) {
  auto d = makeDriver("zte");
  d->setVariant("1082+1012");
  std::string why;
  WriteRequest w{"rename", 1, 2, 5, "new-name", "", ""};
  auto binds = d->write(w, &why);
  ASSERT_TRUE(binds);
  EXPECT_EQ(snmp::oidText(binds->at(0).oid),
            "1.3.6.1.4.1.3902.1012.3.28.1.1.2." + std::to_string(zte::indexA(1, 2)) + ".5");
  w = {"create", 1, 2, 5, "n", "ZTEGC0FFEE01", "ZTE-F660"};
  binds = d->write(w, &why);
  ASSERT_TRUE(binds);
  EXPECT_EQ(binds->back().value.i, 4); // createAndGo
  EXPECT_EQ(binds->at(1).value.s, std::string("ZTEG\xc0\xff\xee\x01", 8));
  w.serial = "bad";
  EXPECT_FALSE(d->write(w, &why));
  d->setVariant("1082");
  w = {"delete", 1, 2, 5, "", "", ""};
  EXPECT_FALSE(d->write(w, &why));
  EXPECT_NE(why.find("CLI"), std::string::npos);
}

// LibreNMS's real C320 V2.1.0 walk against LibreNMS's decoded values.
TEST(LibreNmsRecordings, ZteC320Environment) {
  const auto research = testutil::researchDir();
  const auto rec = research / "snmprec" / "zxa10_c320.snmprec";
  const auto exp_path = research / "snmprec" / "expected" / "zxa10_c320.json";
  if (research.empty() || !std::filesystem::exists(rec) || !std::filesystem::exists(exp_path))
    GTEST_SKIP() << "../shared/research/snmprec not present";
  TempDir dir;
  SnmpSim sim(dir.path() / "sim");
  // LibreNMS's files are not strictly in OID order; snmpsimd needs them sorted to answer GETNEXT.
  ASSERT_TRUE(testutil::sortSnmprec(rec, sim.dataDir() / "librenms.snmprec"));
  ASSERT_TRUE(sim.start("librenms"));
  asio::io_context io;
  snmp::Engine engine(io);
  snmp::SessionOptions o;
  o.address = "127.0.0.1";
  o.port = static_cast<uint16_t>(sim.port());
  o.credentials.community = "librenms";
  auto s = snmp::Session::create(engine, o);
  auto d = makeDriver("zte");
  Snapshot st, tr;
  for (auto [cls, snap] : {std::pair{DataClass::State, &st}, std::pair{DataClass::Traffic, &tr}}) {
    std::optional<snmp::Result<Collected>> got;
    runPlan(s, d->plan(cls), [&](auto r) { got = std::move(r); });
    ASSERT_TRUE(runUntil(io, [&] { return got.has_value(); }));
    ASSERT_TRUE(got->ok()) << got->error->message;
    d->parse(cls, got->value, *snap);
  }
  std::ifstream f(exp_path);
  const json exp = json::parse(f);
  ASSERT_TRUE(st.system);
  EXPECT_NE(st.system->descr.find("C320"), std::string::npos);
  // Processors and memory pools: card CPU / memory % by slot (index 1.1.slot).
  size_t checked = 0;
  for (const auto& p : exp["processors"]["discovery"]["processors"]) {
    const uint32_t slot = std::stoul(p["processor_index"].get<std::string>().substr(4));
    for (const auto& c : st.cards)
      if (c.slot == slot) {
        EXPECT_EQ(*c.cpu_pct, p["processor_usage"].get<double>()) << "slot " << slot;
        ++checked;
      }
  }
  for (const auto& m : exp["mempools"]["discovery"]["mempools"]) {
    const uint32_t slot = std::stoul(m["mempool_index"].get<std::string>().substr(4));
    for (const auto& c : st.cards)
      if (c.slot == slot) {
        EXPECT_EQ(*c.mem_pct, m["mempool_perc"].get<double>()) << "slot " << slot;
        ++checked;
      }
  }
  for (const auto& sn : exp["sensors"]["discovery"]["sensors"]) {
    const std::string cls = sn["sensor_class"], oidt = sn["sensor_oid"];
    const double want = sn["sensor_current"].get<double>();
    const uint32_t last = std::stoul(oidt.substr(oidt.rfind('.') + 1));
    if (cls == "temperature" && oidt.find(".10.10.2.1.6.1.2.") != std::string::npos) {
      for (const auto& c : st.cards)
        if (c.slot == last) {
          EXPECT_EQ(*c.temperature_c, want);
          ++checked;
        }
    } else if (cls == "fanspeed") {
      for (const auto& fan : st.fans)
        if (fan.index == last) {
          EXPECT_EQ(*fan.rpm, want);
          ++checked;
        }
    } else if (cls == "voltage" && oidt.find(".10.10.2.1.6.1.4.") != std::string::npos) {
      for (const auto& c : st.cards)
        if (c.slot == last) {
          EXPECT_NEAR(*c.voltage_v, want, 1e-9);
          ++checked;
        }
    } else if (cls == "voltage" && oidt.find(".10.10.2.3.11.1.2.") != std::string::npos) {
      for (const auto& p : st.power)
        if (p.slot == last) {
          EXPECT_EQ(*p.voltage_v, want);
          ++checked;
        }
    }
  }
  // PON ports: oper status and traffic from IF-MIB, matched by ifName.
  for (const auto& p : exp["ports"]["poller"]["ports"]) {
    auto sp = zte::parsePonIfName(p["ifName"].get<std::string>());
    if (!sp) continue;
    for (const auto& g : st.pons)
      if (g.slot == sp->slot && g.port == sp->port) {
        EXPECT_EQ(*g.oper_up, p["ifOperStatus"] == "up");
        ++checked;
      }
    for (const auto& g : tr.pons)
      if (g.slot == sp->slot && g.port == sp->port && !p["ifInOctets"].is_null()) {
        EXPECT_EQ(*g.up_octets, p["ifInOctets"].get<uint64_t>());
        EXPECT_EQ(*g.down_octets, p["ifOutOctets"].get<uint64_t>());
        ++checked;
      }
  }
  EXPECT_GE(checked, 20u);
  s->close();
}

} // namespace
} // namespace ispbox::olt

namespace ispbox::olt {
namespace {

// The fault proxy (snmp_fault_proxy.py) in front of the suite's agent.
class FaultProxy {
public:
  FaultProxy(const std::filesystem::path& dir, int agent_port, std::vector<std::string> flags) {
    port_ = testutil::freeUdpPort();
    stats_ = dir / ("proxy-" + std::to_string(port_) + ".stats");
    std::vector<std::string> argv = {
        "/usr/bin/python3", (testutil::sourceDir() / "tests/olt/snmp_fault_proxy.py").string(),
        "--listen",         std::to_string(port_),
        "--agent",          std::to_string(agent_port),
        "--stats",          stats_.string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    proc_ = std::make_unique<testutil::Process>(argv);
    for (int i = 0; i < 100 && !std::filesystem::exists(stats_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~FaultProxy() {
    proc_->kill(SIGTERM);
    proc_->wait(std::chrono::seconds(5));
  }
  int port() const { return port_; }
  // "requests", "maxrep0", "dropped"
  long stat(const std::string& name) const {
    std::ifstream f(stats_);
    std::string word;
    while (f >> word)
      if (word.rfind(name + "=", 0) == 0) return std::stol(word.substr(name.size() + 1));
    return -1;
  }

private:
  int port_ = 0;
  std::filesystem::path stats_;
  std::unique_ptr<testutil::Process> proc_;
};

TEST_F(ZteOverSnmp, NeverSendsMaxRepetitionsZero) {
  FaultProxy proxy(dir_->path(), sim_->port(), {"--hang-on-maxrep0"});
  ASSERT_GE(proxy.stat("requests"), 0);
  // The proxy really hangs on max-repetitions 0: Net-SNMP's own tool with -Cr0 gets no answer.
  const std::string cmd =
      "snmpbulkget -v2c -c both -Cr0 -t 0.3 -r 0 127.0.0.1:" + std::to_string(proxy.port()) +
      " 1.3.6.1.2.1.1 >/dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_EQ(proxy.stat("maxrep0"), 1);
  // A full poll through it succeeds, and even a caller asking for 0 sends at least 1.
  auto s = session("both");
  snmp::SessionOptions o = s->options();
  o.port = static_cast<uint16_t>(proxy.port());
  s = snmp::Session::create(engine_, o);
  auto d = makeDriver("zte");
  for (DataClass cls : {DataClass::Inventory, DataClass::State}) {
    auto r = run(s, d->plan(cls));
    ASSERT_TRUE(r.ok()) << className(cls) << ": " << r.error->message;
  }
  std::optional<snmp::Result<std::vector<snmp::VarBind>>> got;
  s->getBulk({*snmp::parseOid("1.3.6.1.2.1.1")}, 0, 0, [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  EXPECT_TRUE(got->ok());
  EXPECT_EQ(proxy.stat("maxrep0"), 1); // still only the one from snmpbulkget
  EXPECT_GT(proxy.stat("requests"), 10);
  s->close();
}

TEST_F(ZteOverSnmp, OltGoneMidPollFailsTheClassCleanly) {
  FaultProxy proxy(dir_->path(), sim_->port(), {"--vanish-after", "15"});
  snmp::SessionOptions o;
  o.address = "127.0.0.1";
  o.port = static_cast<uint16_t>(proxy.port());
  o.credentials.community = "both";
  o.timeout = std::chrono::milliseconds(200);
  o.retries = 1;
  auto s = snmp::Session::create(engine_, o);
  auto d = makeDriver("zte");
  auto r = run(s, d->plan(DataClass::Inventory));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, snmp::Error::Code::Timeout);
  EXPECT_EQ(proxy.stat("requests") - proxy.stat("dropped"), 15);
  // Nothing is left in flight: a new request still fails cleanly and promptly.
  std::optional<snmp::Result<std::vector<snmp::VarBind>>> got;
  s->get(systemOids(), [&](auto x) { got = std::move(x); });
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  EXPECT_FALSE(got->ok());
  s->close();
}

} // namespace
} // namespace ispbox::olt
