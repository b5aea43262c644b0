// SPDX-License-Identifier: GPL-2.0-or-later
// OLT vendor drivers behind one interface.
//
// A driver does no I/O. For each data class it returns a plan (GETs and multi-column table walks)
// and later parses what the plan collected into vendor-neutral records. The poller executes plans
// through an snmp::Session, so the transport (in-flight limit, retries, GETBULK sizing) is the same
// for every vendor, and a driver can be tested on recorded walks without a network.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/snmp/snmp.h"

namespace ispbox::olt {

// What is polled on which schedule (docs/olt.md).
enum class DataClass { Inventory, State, Optics, Traffic };
constexpr DataClass kAllClasses[] = {DataClass::Inventory, DataClass::State, DataClass::Optics,
                                     DataClass::Traffic};
std::string_view className(DataClass c);

struct WalkSpec {
  std::string name;               // the driver's key for the result
  std::vector<snmp::Oid> columns; // walked side by side
};

struct Plan {
  std::vector<snmp::Oid> gets;  // scalars, one GET
  std::vector<snmp::Oid> nexts; // the first object after each (GETBULK, max-repetitions 1)
  std::vector<WalkSpec> walks;
};

struct Collected {
  uint32_t requests = 0; // PDUs the plan took
  std::vector<snmp::VarBind> gets;
  std::vector<snmp::VarBind> nexts;
  std::map<std::string, std::vector<snmp::Column>> walks;
  // The rows of one column of a named walk (empty when absent).
  const std::vector<std::pair<snmp::Oid, snmp::Value>>& rows(const std::string& walk,
                                                             size_t column) const;
  const snmp::Value* get(const snmp::Oid& oid) const;
};

// ONU phase, one enum for every vendor (values are ZTE's 1-based .1082 codes).
enum class OnuPhase {
  Unknown = 0,
  Logging = 1,
  Los = 2,
  SyncMib = 3,
  Working = 4,
  DyingGasp = 5,
  AuthFailed = 6,
  Offline = 7,
};
std::string_view phaseName(OnuPhase p);
bool phaseOnline(OnuPhase p);

struct SystemData {
  std::string descr, object_id, name, model, firmware;
  std::optional<uint64_t> uptime_ticks; // sysUpTime, 1/100 s (wraps at 2^32)
  std::optional<double> temperature_c;  // shelf / system
};

struct CardData {
  uint32_t slot = 0;
  std::string type, status, serial, firmware;
  bool in_service = false;
  std::optional<uint32_t> ports;
  std::optional<double> cpu_pct, mem_pct, temperature_c, voltage_v;
};

struct FanData {
  uint32_t index = 0;
  std::string status; // "ok", "failed", "unknown"
  std::optional<bool> present;
  std::optional<uint32_t> rpm;
};

struct PowerData {
  uint32_t slot = 0;
  std::string status; // "normal", "over", "under", "off", "unknown"
  std::optional<double> voltage_v, current_a;
};

struct PonData {
  uint32_t slot = 0, port = 0;
  std::optional<std::string> name;
  std::optional<bool> admin_up, oper_up;
  std::optional<uint32_t> max_onus;
  std::optional<double> tx_dbm, rx_dbm, temperature_c, voltage_v, bias_ma;
  std::optional<uint64_t> up_octets, down_octets; // upstream = received by the OLT port
  unsigned counter_bits = 64;
};

struct OnuData {
  uint32_t slot = 0, port = 0, onu = 0;
  // Inventory
  std::optional<std::string> name, description, serial, type, model, firmware;
  std::optional<bool> admin_enabled;
  std::optional<std::string> bandwidth_profile;
  std::optional<uint64_t> bandwidth_max_kbps, bandwidth_assured_kbps;
  // State
  std::optional<OnuPhase> phase;
  std::optional<std::string> offline_reason;
  std::optional<int64_t> last_online, last_offline; // Unix seconds (OLT clock, taken as UTC)
  std::optional<int64_t> distance_m;
  // Optics: nullopt = no reading (sentinels are filtered by the driver)
  bool has_optics = false;
  std::optional<double> rx_dbm, tx_dbm, olt_rx_dbm, temperature_c, voltage_v, bias_ma;
  // Traffic: upstream = from the subscriber towards the OLT
  std::optional<uint64_t> up_octets, down_octets, up_errors, down_errors;
  unsigned counter_bits = 64;
};

struct UnconfiguredOnuData {
  uint32_t slot = 0, port = 0;
  std::string serial, type;
};

// What one poll of one data class produced. `has_*` says which parts the class covers, so the
// store replaces exactly those (a state poll does not erase names).
struct Snapshot {
  DataClass cls = DataClass::Inventory;
  std::optional<SystemData> system;
  bool has_cards = false, has_fans = false, has_power = false, has_pons = false, has_onus = false,
       has_unconfigured = false;
  std::vector<CardData> cards;
  std::vector<FanData> fans;
  std::vector<PowerData> power;
  std::vector<PonData> pons;
  std::vector<OnuData> onus;
  std::vector<UnconfiguredOnuData> unconfigured;
};

// An SNMP write a driver can express (ONU rename, create/delete by RowStatus).
struct WriteRequest {
  std::string op; // "rename", "create", "delete"
  uint32_t slot = 0, port = 0, onu = 0;
  std::string name, serial, type;
};

class Driver {
public:
  virtual ~Driver() = default;
  virtual std::string vendor() const = 0; // "zte", "huawei", ...
  // Firmware variant chosen by the probe ("" before), stored with the OLT so restarts skip it.
  virtual std::string variant() const = 0;
  virtual void setVariant(std::string_view v) = 0;
  // Requests that tell firmware variants apart (empty when the driver needs none).
  virtual Plan probePlan() const = 0;
  virtual void applyProbe(const Collected& c) = 0;
  virtual Plan plan(DataClass cls) const = 0;
  // The lowest ONU id on a PON, as on the OLT's CLI (Huawei numbers ONTs from 0).
  virtual uint32_t firstOnuId() const { return 1; }
  virtual void parse(DataClass cls, const Collected& c, Snapshot& out) const = 0;
  // The SETs for a write, or nullopt with *why when the OLT cannot do it over SNMP.
  virtual std::optional<std::vector<snmp::VarBind>> write(const WriteRequest& w,
                                                          std::string* why) const;
};

// "zte", "huawei", "fiberhome", "vsol", "bdcom", "cdata", or "" when unknown.
std::string detectVendor(const snmp::Oid& sys_object_id, std::string_view sys_descr);
std::vector<std::string> supportedVendors();
// nullptr for a vendor without a driver.
std::unique_ptr<Driver> makeDriver(std::string_view vendor);

// The system group every poll starts with (sysDescr, sysObjectID, sysUpTime, sysName).
std::vector<snmp::Oid> systemOids();
SystemData parseSystem(const Collected& c);

// Conversions shared by drivers.
// "YYYY-MM-DD HH:MM:SS" text or an SNMP DateAndTime (8 or 11 bytes) -> Unix seconds (as UTC).
std::optional<int64_t> parseDateTime(const std::string& raw);
// binary: 4 ASCII vendor bytes + 4 binary bytes -> "ZTEGC0FFEE01"; text serials are cleaned
// (upper case, a "1," prefix dropped).
std::string renderSerial(const std::string& raw, bool binary);
// A reading is kept only inside a plausible optical range.
std::optional<double> plausibleDbm(double dbm);

} // namespace ispbox::olt
