// SPDX-License-Identifier: GPL-2.0-or-later
// Runs OLT drivers against a real agent (snmpsimd) the way the poller does, synchronously for
// tests: system group, vendor detection, the driver's probe, then one plan per data class.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "drivers/olt/driver.h"
#include "drivers/snmp/snmp.h"
#include "tests/olt/snmpsim.h"

namespace ispbox::olt::harness {

struct Polled {
  bool ok = false;     // every plan answered
  std::string vendor;  // detected from the system group
  std::string variant; // after the probe
  SystemData system;   // the system group
  std::map<DataClass, Snapshot> snaps;
  uint64_t pdus = 0;
};

class DriverHarness {
public:
  DriverHarness();
  ~DriverHarness();
  std::shared_ptr<snmp::Session> session(int port, const std::string& community);
  // Runs one plan to the end (or a minute), on this harness's loop.
  snmp::Result<Collected> run(const std::shared_ptr<snmp::Session>& s, const Plan& p);
  // Detection (or `vendor` when given), probe, and every data class.
  Polled pollAll(int port, const std::string& community, const std::string& vendor = "");

private:
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<snmp::Engine> engine_;
};

// ../shared/research/snmprec/<name>.snmprec served by `sim` under community `name`, and
// LibreNMS's expected/<name>.json into *expected. False when the research data is absent.
bool serveLibreNms(testutil::SnmpSim& sim, const std::string& name, nlohmann::json* expected);

// Runs tests/olt/<script> with args (a recording generator); true on success.
bool generate(const std::string& script, const std::vector<std::string>& args);

// Test expectations shared by the vendor tests, against a generator's expected JSON.
// `got` is no reading where `want` is null, else within 1e-6 of it.
void expectReading(const std::optional<double>& got, const nlohmann::json& want,
                   const std::string& what);
// Every ONU of exp["onus"] and port of exp["pons"] in an optics snapshot, for the reading keys
// the generator wrote (rx_dbm, tx_dbm, olt_rx_dbm, temperature_c, voltage_v, bias_ma).
void expectOptics(const Snapshot& optics, const nlohmann::json& exp);
// System name and every ONU of exp["onus"] (name, serial, type) in an inventory snapshot, and no
// others.
void expectInventory(const Snapshot& inventory, const nlohmann::json& exp);
// Phase, offline reason and distance of every ONU of exp["onus"] in a state snapshot.
void expectStates(const Snapshot& state, const nlohmann::json& exp);
// Name, admin and oper state of every port of exp["pons"] in a state snapshot, and no others.
void expectPonStates(const Snapshot& state, const nlohmann::json& exp);
// The unconfigured ONUs (serial, slot, port) against exp["unconfigured"].
void expectUnconfigured(const Snapshot& inventory, const nlohmann::json& exp);

// LibreNMS's processors (exp["processors"]) are exactly the cards with a CPU figure, with the
// same whole percent (LibreNMS rounds after dividing by its precision).
void expectLibreNmsProcessors(const Snapshot& state, const nlohmann::json& exp);

// The ONU at (slot, port, onu) in a snapshot, or nullptr.
const OnuData* findOnu(const Snapshot& s, uint32_t slot, uint32_t port, uint32_t onu);
const PonData* findPon(const Snapshot& s, uint32_t slot, uint32_t port);
const CardData* findCard(const Snapshot& s, uint32_t slot);

} // namespace ispbox::olt::harness
