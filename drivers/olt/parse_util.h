// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers shared by the V-SOL, BDCOM and C-Data drivers, beyond table_util.h's: the number
// formats these OLTs answer with ("0.03 mW (-14.61 dBm)", "27.84 .C", "na"), MAC addresses, and a
// map that gathers one ONU's columns from several walks.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "drivers/olt/driver.h"
#include "drivers/olt/table_util.h"

namespace ispbox::olt::util {

// OID building and plain text, as every driver has them (table_util.h).
using table::col;
using table::cols;
using table::oid;
using table::text;
// The number a display string carries: the one in "(... dBm)" when there is one, else the first
// number ("30.67 C", "6.56 dbm", "-20.36"). nullopt for "na", "N/A", "--", "" and the like.
std::optional<double> numberIn(std::string_view s);
// A dBm reading from a display string, kept only in the plausible optical range.
std::optional<double> dbmIn(std::string_view s);
// Six raw bytes -> "AA:BB:CC:DD:EE:FF"; a MAC already in text ("aa-bb-cc-dd-ee-ff",
// "aabb.ccdd.eeff") is normalised the same way; anything else is returned cleaned.
std::string macText(const std::string& raw);
// A serial that may come as 4 ASCII + 4 binary bytes or as text.
std::string serialText(const std::string& raw);
// Six numbers in order (year, month, day, hour, minute, second) in any separators:
// "2024-02-29 13:05:09", "2024/2/29 13:5:9", "2023 /2 /18  3:42:40" -> Unix seconds (as UTC).
std::optional<int64_t> looseDateTime(std::string_view s);

// Display-string optics ("30.67 C", "3.27 V", "11.65 mA", "2.38 mW (3.77 dBm)") into an ONU or
// PON record; columns come in a vendor's own order.
enum class Ddm { Temperature, Voltage, Bias, Tx, Rx };
template <class Record> void setDdm(Record& r, Ddm what, std::string_view s) {
  switch (what) {
  case Ddm::Temperature:
    r.temperature_c = numberIn(s);
    break;
  case Ddm::Voltage:
    r.voltage_v = numberIn(s);
    break;
  case Ddm::Bias:
    r.bias_ma = numberIn(s);
    break;
  case Ddm::Tx:
    r.tx_dbm = dbmIn(s);
    break;
  case Ddm::Rx:
    r.rx_dbm = dbmIn(s);
    break;
  }
}
// Every row of a walk's columns, taken in `order`, into the record `at(index)` gives (nullptr:
// skip the row).
template <class At>
void readDdm(const Collected& c, const std::string& walk, std::initializer_list<Ddm> order, At at) {
  size_t column = 0;
  for (Ddm what : order) {
    for (const auto& [idx, v] : c.rows(walk, column))
      if (auto* r = at(idx)) setDdm(*r, what, text(v));
    ++column;
  }
}

// Unconfigured ONUs from a walk of (serial, type) columns; `where(index)` gives a row's slot and
// port (nullopt: skip the row). Rows without a serial are dropped.
void readUnconfigured(
    const Collected& c, const std::string& walk,
    const std::function<std::optional<std::pair<uint32_t, uint32_t>>(const snmp::Oid&)>& where,
    std::vector<UnconfiguredOnuData>& out);

// Values in a column as signed integers, skipping exceptions and non-numbers.
inline std::optional<int64_t> num(const snmp::Value& v) {
  return v.asInt();
}

using OnuKey = std::tuple<uint32_t, uint32_t, uint32_t>;

// Gathers one snapshot's ONUs from several walks; moveTo() emits them in (slot, port, onu) order.
class OnuMap {
public:
  OnuData& at(uint32_t slot, uint32_t port, uint32_t onu);
  OnuData* find(uint32_t slot, uint32_t port, uint32_t onu);
  // keep: which ONUs to emit (all when empty).
  void moveTo(std::vector<OnuData>& out, const std::function<bool(const OnuData&)>& keep = {});
  size_t size() const { return onus_.size(); }

private:
  std::map<OnuKey, OnuData> onus_;
};

// The same for PON ports.
class PonMap {
public:
  PonData& at(uint32_t slot, uint32_t port);
  void moveTo(std::vector<PonData>& out);

private:
  std::map<std::pair<uint32_t, uint32_t>, PonData> pons_;
};

// A vendor with an EPON and a GPON family ("epon", "gpon"), told apart by which family's ONU
// table answers the probe (the first object after each table's entry); with neither (no ONU
// configured yet) or both, by the system group.
class FamilyDriver : public Driver {
public:
  std::string variant() const override { return variant_; }
  void setVariant(std::string_view v) override;
  Plan probePlan() const override;
  void applyProbe(const Collected& c) override;
  bool gpon() const { return variant_ == "gpon"; }

protected:
  FamilyDriver(snmp::Oid epon_table, snmp::Oid gpon_table, std::string initial);
  virtual bool gponBySystem(const SystemData& s) const = 0;

private:
  snmp::Oid epon_, gpon_;
  std::string variant_;
};

} // namespace ispbox::olt::util
