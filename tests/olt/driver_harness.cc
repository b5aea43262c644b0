// SPDX-License-Identifier: GPL-2.0-or-later
#include "tests/olt/driver_harness.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <set>

#include "drivers/olt/runner.h"

namespace ispbox::olt::harness {

namespace fs = std::filesystem;

DriverHarness::DriverHarness()
    : io_(std::make_unique<asio::io_context>()), engine_(std::make_unique<snmp::Engine>(*io_)) {}

DriverHarness::~DriverHarness() = default;

std::shared_ptr<snmp::Session> DriverHarness::session(int port, const std::string& community) {
  snmp::SessionOptions o;
  o.address = "127.0.0.1";
  o.port = static_cast<uint16_t>(port);
  o.credentials.community = community;
  o.timeout = std::chrono::milliseconds(2000);
  return snmp::Session::create(*engine_, o);
}

snmp::Result<Collected> DriverHarness::run(const std::shared_ptr<snmp::Session>& s, const Plan& p) {
  std::optional<snmp::Result<Collected>> got;
  runPlan(s, p, [&](snmp::Result<Collected> r) { got = std::move(r); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!got && std::chrono::steady_clock::now() < deadline)
    io_->run_one_for(std::chrono::milliseconds(50));
  if (!got) return {snmp::Error{snmp::Error::Code::Timeout, "the plan did not finish"}, {}};
  return std::move(*got);
}

Polled DriverHarness::pollAll(int port, const std::string& community, const std::string& vendor) {
  Polled out;
  auto s = session(port, community);
  Plan sys;
  sys.gets = systemOids();
  auto c = run(s, sys);
  if (!c.ok()) return out;
  out.system = parseSystem(c.value);
  out.vendor = vendor.empty()
                   ? detectVendor(snmp::parseOid(out.system.object_id).value_or(snmp::Oid{}),
                                  out.system.descr)
                   : vendor;
  auto d = makeDriver(out.vendor);
  if (!d) return out;
  auto probe = run(s, d->probePlan());
  if (!probe.ok()) return out;
  d->applyProbe(probe.value);
  out.variant = d->variant();
  out.ok = true;
  for (DataClass cls : kAllClasses) {
    auto r = run(s, d->plan(cls));
    out.ok = out.ok && r.ok();
    if (r.ok()) d->parse(cls, r.value, out.snaps[cls]);
  }
  out.pdus = s->counters().pdus_sent;
  s->close();
  return out;
}

bool serveLibreNms(testutil::SnmpSim& sim, const std::string& name, nlohmann::json* expected) {
  const fs::path research = testutil::researchDir();
  if (research.empty()) return false;
  const fs::path rec = research / "snmprec" / (name + ".snmprec");
  const fs::path exp = research / "snmprec" / "expected" / (name + ".json");
  if (!fs::exists(rec) || (expected && !fs::exists(exp))) return false;
  // LibreNMS's files are not strictly in OID order; snmpsimd needs them sorted for GETNEXT.
  if (!testutil::sortSnmprec(rec, sim.dataDir() / (name + ".snmprec"))) return false;
  if (expected) {
    std::ifstream f(exp);
    *expected = nlohmann::json::parse(f);
  }
  return true;
}

bool generate(const std::string& script, const std::vector<std::string>& args) {
  std::string cmd = "python3 '" + (testutil::sourceDir() / "tests/olt" / script).string() + "'";
  for (const auto& a : args)
    cmd += " '" + a + "'";
  cmd += " 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

const OnuData* findOnu(const Snapshot& s, uint32_t slot, uint32_t port, uint32_t onu) {
  for (const auto& o : s.onus)
    if (o.slot == slot && o.port == port && o.onu == onu) return &o;
  return nullptr;
}

const PonData* findPon(const Snapshot& s, uint32_t slot, uint32_t port) {
  for (const auto& p : s.pons)
    if (p.slot == slot && p.port == port) return &p;
  return nullptr;
}

const CardData* findCard(const Snapshot& s, uint32_t slot) {
  for (const auto& c : s.cards)
    if (c.slot == slot) return &c;
  return nullptr;
}

void expectReading(const std::optional<double>& got, const nlohmann::json& want,
                   const std::string& what) {
  if (want.is_null()) {
    EXPECT_FALSE(got) << what << " should be no reading";
  } else {
    ASSERT_TRUE(got) << what;
    EXPECT_NEAR(*got, want.get<double>(), 1e-6) << what;
  }
}

void expectOptics(const Snapshot& optics, const nlohmann::json& exp) {
  for (const auto& e : exp["onus"]) {
    const OnuData* o = findOnu(optics, e["slot"], e["port"], e["onu"]);
    ASSERT_TRUE(o) << e.dump();
    const std::pair<const char*, const std::optional<double>*> readings[] = {
        {"rx_dbm", &o->rx_dbm},         {"tx_dbm", &o->tx_dbm},
        {"olt_rx_dbm", &o->olt_rx_dbm}, {"temperature_c", &o->temperature_c},
        {"voltage_v", &o->voltage_v},   {"bias_ma", &o->bias_ma}};
    for (const auto& [key, got] : readings)
      if (e.contains(key)) expectReading(*got, e[key], std::string(key) + " of " + e.dump());
  }
  for (const auto& e : exp["pons"]) {
    const PonData* p = findPon(optics, e["slot"], e["port"]);
    ASSERT_TRUE(p) << e.dump();
    const std::pair<const char*, const std::optional<double>*> readings[] = {
        {"tx_dbm", &p->tx_dbm},
        {"rx_dbm", &p->rx_dbm},
        {"temperature_c", &p->temperature_c},
        {"voltage_v", &p->voltage_v},
        {"bias_ma", &p->bias_ma}};
    for (const auto& [key, got] : readings)
      if (e.contains(key)) expectReading(*got, e[key], std::string(key) + " of " + e.dump());
  }
}

void expectInventory(const Snapshot& inventory, const nlohmann::json& exp) {
  ASSERT_TRUE(inventory.system);
  EXPECT_EQ(inventory.system->name, exp["system"]["name"]);
  EXPECT_EQ(inventory.onus.size(), exp["onus"].size());
  for (const auto& e : exp["onus"]) {
    const OnuData* o = findOnu(inventory, e["slot"], e["port"], e["onu"]);
    ASSERT_TRUE(o && o->name && o->serial && o->type) << e.dump();
    EXPECT_EQ(*o->name, e["name"]);
    EXPECT_EQ(*o->serial, e["serial"]);
    EXPECT_EQ(*o->type, e["type"]);
  }
}

void expectStates(const Snapshot& state, const nlohmann::json& exp) {
  for (const auto& e : exp["onus"]) {
    const OnuData* o = findOnu(state, e["slot"], e["port"], e["onu"]);
    ASSERT_TRUE(o && o->phase) << e.dump();
    EXPECT_EQ(phaseName(*o->phase), e["phase"].get<std::string>()) << e.dump();
    EXPECT_EQ(phaseOnline(*o->phase), e["online"].get<bool>()) << e.dump();
    if (e["reason"].is_null())
      EXPECT_FALSE(o->offline_reason) << e.dump();
    else
      EXPECT_EQ(o->offline_reason.value_or(""), e["reason"]) << e.dump();
    if (e["distance_m"].is_null())
      EXPECT_FALSE(o->distance_m) << e.dump();
    else
      EXPECT_EQ(o->distance_m.value_or(-1), e["distance_m"]) << e.dump();
  }
}

void expectPonStates(const Snapshot& state, const nlohmann::json& exp) {
  EXPECT_EQ(state.pons.size(), exp["pons"].size());
  for (const auto& e : exp["pons"]) {
    const PonData* p = findPon(state, e["slot"], e["port"]);
    ASSERT_TRUE(p && p->name && p->oper_up && p->admin_up) << e.dump();
    EXPECT_EQ(*p->name, e["name"]);
    EXPECT_EQ(*p->oper_up, e["oper_up"].get<bool>()) << e.dump();
    EXPECT_TRUE(*p->admin_up) << e.dump();
  }
}

void expectLibreNmsProcessors(const Snapshot& state, const nlohmann::json& exp) {
  std::set<uint32_t> got, want;
  for (const auto& c : state.cards)
    if (c.cpu_pct) got.insert(c.slot);
  for (const auto& p : exp["processors"]["discovery"]["processors"]) {
    const uint32_t slot = std::stoul(p["processor_index"].get<std::string>());
    want.insert(slot);
    const CardData* c = findCard(state, slot);
    ASSERT_TRUE(c && c->cpu_pct) << "slot " << slot;
    EXPECT_EQ(std::lround(*c->cpu_pct), p["processor_usage"].get<long>()) << "slot " << slot;
  }
  EXPECT_EQ(got, want);
}

void expectUnconfigured(const Snapshot& inventory, const nlohmann::json& exp) {
  std::set<std::string> got, want;
  for (const auto& u : inventory.unconfigured)
    got.insert(u.serial + "@" + std::to_string(u.slot) + "/" + std::to_string(u.port) + " " +
               u.type);
  for (const auto& u : exp["unconfigured"])
    want.insert(u["serial"].get<std::string>() + "@" + std::to_string(u["slot"].get<int>()) + "/" +
                std::to_string(u["port"].get<int>()) + " " + u["type"].get<std::string>());
  EXPECT_EQ(got, want);
}

} // namespace ispbox::olt::harness
