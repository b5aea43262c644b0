// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/olt/driver.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "drivers/olt/vendors.h"

namespace ispbox::olt {

std::string_view className(DataClass c) {
  switch (c) {
  case DataClass::Inventory:
    return "inventory";
  case DataClass::State:
    return "state";
  case DataClass::Optics:
    return "optics";
  case DataClass::Traffic:
    return "traffic";
  }
  return "?";
}

std::string_view phaseName(OnuPhase p) {
  switch (p) {
  case OnuPhase::Unknown:
    return "unknown";
  case OnuPhase::Logging:
    return "logging";
  case OnuPhase::Los:
    return "los";
  case OnuPhase::SyncMib:
    return "sync_mib";
  case OnuPhase::Working:
    return "working";
  case OnuPhase::DyingGasp:
    return "dying_gasp";
  case OnuPhase::AuthFailed:
    return "auth_failed";
  case OnuPhase::Offline:
    return "offline";
  }
  return "unknown";
}

bool phaseOnline(OnuPhase p) {
  return p == OnuPhase::Working;
}

const std::vector<std::pair<snmp::Oid, snmp::Value>>& Collected::rows(const std::string& walk,
                                                                      size_t column) const {
  static const std::vector<std::pair<snmp::Oid, snmp::Value>> kEmpty;
  auto it = walks.find(walk);
  if (it == walks.end() || column >= it->second.size()) return kEmpty;
  return it->second[column].rows;
}

const snmp::Value* Collected::get(const snmp::Oid& oid) const {
  for (const auto& vb : gets)
    if (vb.oid == oid && !vb.value.exception()) return &vb.value;
  return nullptr;
}

std::optional<std::vector<snmp::VarBind>> Driver::write(const WriteRequest& w,
                                                        std::string* why) const {
  *why = "the " + vendor() + " driver cannot " + w.op + " ONUs over SNMP: use the OLT's CLI";
  return std::nullopt;
}

std::vector<snmp::Oid> systemOids() {
  return {{1, 3, 6, 1, 2, 1, 1, 1, 0},
          {1, 3, 6, 1, 2, 1, 1, 2, 0},
          {1, 3, 6, 1, 2, 1, 1, 3, 0},
          {1, 3, 6, 1, 2, 1, 1, 5, 0}};
}

namespace {
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
  // Trim trailing spaces and NULs some agents pad with.
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}
} // namespace

SystemData parseSystem(const Collected& c) {
  SystemData s;
  const auto oids = systemOids();
  if (auto* v = c.get(oids[0])) s.descr = printable(v->s);
  if (auto* v = c.get(oids[1]); v && v->type == snmp::Value::Type::ObjectId)
    s.object_id = snmp::oidText(v->o);
  if (auto* v = c.get(oids[2])) s.uptime_ticks = v->asU64();
  if (auto* v = c.get(oids[3])) s.name = printable(v->s);
  return s;
}

std::string detectVendor(const snmp::Oid& oid, std::string_view descr) {
  auto under = [&](std::initializer_list<uint32_t> p) {
    return snmp::startsWith(oid, snmp::Oid(p));
  };
  auto has = [&](std::string_view needle) { return descr.find(needle) != std::string_view::npos; };
  if (under({1, 3, 6, 1, 4, 1, 3902})) return "zte";
  if (under({1, 3, 6, 1, 4, 1, 2011}) || has("Huawei Integrated Access")) return "huawei";
  if (under({1, 3, 6, 1, 4, 1, 5875}) || has("AN5516") || has("AN5116")) return "fiberhome";
  if (under({1, 3, 6, 1, 4, 1, 37950}) || has("V1600")) return "vsol";
  if (under({1, 3, 6, 1, 4, 1, 3320}) || has("BDCOM")) return "bdcom";
  // C-Data's sysObjectID is unreliable (olt-oids.md §1): both of its enterprise numbers.
  if (under({1, 3, 6, 1, 4, 1, 17409}) || under({1, 3, 6, 1, 4, 1, 34592})) return "cdata";
  if (has("ZXA10") || has("ZTE Corporation")) return "zte";
  return "";
}

std::vector<std::string> supportedVendors() {
  return {"zte", "huawei", "fiberhome", "vsol", "bdcom", "cdata"};
}

std::unique_ptr<Driver> makeDriver(std::string_view vendor) {
  if (vendor == "zte") return makeZteDriver();
  if (vendor == "huawei") return makeHuaweiDriver();
  if (vendor == "fiberhome") return makeFiberhomeDriver();
  if (vendor == "vsol") return makeVsolDriver();
  if (vendor == "bdcom") return makeBdcomDriver();
  if (vendor == "cdata") return makeCdataDriver();
  return nullptr;
}

std::optional<int64_t> parseDateTime(const std::string& raw) {
  std::tm tm{};
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (raw.size() == 8 || raw.size() == 11) {
    auto b = [&](size_t i) { return static_cast<unsigned char>(raw[i]); };
    year = b(0) << 8 | b(1);
    mon = b(2);
    day = b(3);
    hour = b(4);
    min = b(5);
    sec = b(6);
    // A printable 8-byte value is more likely text ("20240101"); treat only plausible binaries.
    if (year < 1990 || year > 2200) return std::nullopt;
  } else if (std::sscanf(raw.c_str(), "%d-%d-%d %d:%d:%d", &year, &mon, &day, &hour, &min, &sec) !=
             6) {
    return std::nullopt;
  }
  if (year < 1990 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
      sec > 60)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm));
}

std::string renderSerial(const std::string& raw, bool binary) {
  if (binary && raw.size() == 8) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%02X%02X%02X%02X", static_cast<unsigned char>(raw[4]),
                  static_cast<unsigned char>(raw[5]), static_cast<unsigned char>(raw[6]),
                  static_cast<unsigned char>(raw[7]));
    return printable(raw.substr(0, 4)) + hex;
  }
  std::string s = printable(raw);
  // ZTE's text column is sometimes "1,ZTEGC0FFEE01".
  if (auto comma = s.find(','); comma != std::string::npos) s = s.substr(comma + 1);
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::optional<double> plausibleDbm(double dbm) {
  if (dbm < -50.0 || dbm > 10.0) return std::nullopt;
  return dbm;
}

} // namespace ispbox::olt
