// SPDX-License-Identifier: GPL-2.0-or-later
// The BDCOM driver (enterprise 3320), olt-oids.md §6. Two families, told apart by the probe:
//   "gpon"  GP3600 and kin: NMS-GPON-MIB (3320.10.*).
//   "epon"  P33xx: NMS-EPON-ONU / NMS-EPON-OLT-PON (3320.101.*), MIB only (no recording).
// On both, ONUs are IF-MIB interfaces ("GPON0/2:1") whose ifIndex is assigned at registration and
// indexes the ONU tables, so every class that reads ONU rows also walks ifName to place them; ONU
// and PON counters are the interfaces' ifHCInOctets/ifHCOutOctets.
#include "drivers/olt/bdcom.h"

#include <regex>

#include "drivers/olt/parse_util.h"
#include "drivers/olt/vendors.h"

namespace ispbox::olt {
namespace bdcom {

std::optional<IfPos> parseIfName(std::string_view name) {
  static const std::regex re(R"(^([GgEe])[Pp][Oo][Nn](\d+)/(\d+)(?::(\d+))?$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(name.begin(), name.end(), m, re)) return std::nullopt;
  IfPos p;
  p.gpon = m[1].str() == "G" || m[1].str() == "g";
  p.slot = static_cast<uint32_t>(std::stoul(m[2].str()));
  p.port = static_cast<uint32_t>(std::stoul(m[3].str()));
  p.onu = m[4].matched ? static_cast<uint32_t>(std::stoul(m[4].str())) : 0;
  if (p.slot > 254 || p.port == 0 || p.port > 255 || p.onu > 255 || (m[4].matched && !p.onu))
    return std::nullopt;
  return p;
}

std::optional<double> tenthDbm(int64_t raw) {
  if (raw == -65535 || raw == 65535) return std::nullopt;
  return plausibleDbm(static_cast<double>(raw) / 10.0);
}

double eponTemperatureC(int64_t raw) {
  return static_cast<double>(raw) / 256.0;
}

double eponVoltageV(int64_t raw) {
  return static_cast<double>(raw) / 10000.0;
}

double eponBiasMa(int64_t raw) {
  return static_cast<double>(raw) * 0.002;
}

} // namespace bdcom

namespace {

using snmp::Oid;
using util::col;
using util::cols;
using util::num;
using util::text;

const Oid kB = {1, 3, 6, 1, 4, 1, 3320};
const Oid kIfEntry = {1, 3, 6, 1, 2, 1, 2, 2, 1};
const Oid kIfXEntry = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
const Oid kIfName = col(kIfXEntry, 1);
// NMS-GPON-MIB
const Oid kGPonCfg = util::oid(kB, {10, 2, 1, 1});   // gponOltPonPortConfigEntry {ponIfIndex}
const Oid kGPonOpt = util::oid(kB, {10, 2, 2, 1});   // gponOltPonPortOpticalParameterEntry
const Oid kGPonRx = util::oid(kB, {10, 2, 3, 1});    // gponOltPonPortOpticalRxPowerEntry
const Oid kGOnuInfo = util::oid(kB, {10, 3, 1, 1});  // gponOnuInfoEntry {onuIfIndex}
const Oid kGOnuStat = util::oid(kB, {10, 3, 3, 1});  // gponOnuStatusEntry
const Oid kGOnuOptic = util::oid(kB, {10, 3, 4, 1}); // gponOnuOpticalPowerEntry
// NMS-EPON-*
const Oid kEPon = util::oid(kB, {101, 6, 1, 1});       // nmsEponOltPonEntry {ponIfIndex}
const Oid kEOnu = util::oid(kB, {101, 10, 1, 1});      // nmsEponOnuEntry {llidIfIndex}
const Oid kEOnuOptic = util::oid(kB, {101, 10, 5, 1}); // nmsEponOnuOpticalPortEntry
// NMS-CHASSIS card table, NMS-FAN-TRAP fans
const Oid kCard = util::oid(kB, {3, 6, 10, 1});
const Oid kFan = util::oid(kB, {9, 187, 4, 1});

// ifIndex -> position, from a walk whose column `column` is ifName.
std::map<uint32_t, bdcom::IfPos> positions(const Collected& c, const std::string& walk,
                                           size_t column = 0) {
  std::map<uint32_t, bdcom::IfPos> out;
  for (const auto& [idx, v] : c.rows(walk, column))
    if (idx.size() == 1)
      if (auto p = bdcom::parseIfName(text(v))) out[idx[0]] = *p;
  return out;
}

// The ONU at a table row indexed by its ifIndex, or nullptr.
OnuData* onuAt(util::OnuMap& onus, const std::map<uint32_t, bdcom::IfPos>& where, const Oid& idx) {
  if (idx.size() != 1) return nullptr;
  auto it = where.find(idx[0]);
  if (it == where.end() || it->second.onu == 0) return nullptr;
  return &onus.at(it->second.apiSlot(), it->second.port, it->second.onu);
}

PonData* ponAt(util::PonMap& pons, const std::map<uint32_t, bdcom::IfPos>& where, const Oid& idx) {
  if (idx.size() != 1) return nullptr;
  auto it = where.find(idx[0]);
  if (it == where.end() || it->second.onu != 0) return nullptr;
  return &pons.at(it->second.apiSlot(), it->second.port);
}

// gponOnuStatusOnuStatus / onuStatus: authenticated(0) registered(1) deregistered(2)
// auto-config(3) lost(4) standby(5). The first two and auto-config are up [?].
OnuPhase statusPhase(int64_t s) {
  switch (s) {
  case 0:
  case 1:
  case 3:
    return OnuPhase::Working;
  case 4:
    return OnuPhase::Los;
  case 2:
  case 5:
    return OnuPhase::Offline;
  default:
    return OnuPhase::Unknown;
  }
}

class BdcomDriver final : public util::FamilyDriver {
public:
  BdcomDriver() : FamilyDriver(kEPon, kGPonCfg, "gpon") {}
  std::string vendor() const override { return "bdcom"; }

  Plan plan(DataClass cls) const override {
    Plan p;
    switch (cls) {
    case DataClass::Inventory:
      p.gets = systemOids();
      p.walks.push_back({"ifnames", {kIfName, col(kIfXEntry, 18)}});
      if (gpon())
        p.walks.push_back({"onu_info", cols(kGOnuInfo, {2, 4, 9, 20})});
      else
        p.walks.push_back({"onu_info", cols(kEOnu, {1, 2, 3, 5})});
      break;
    case DataClass::State:
      p.gets = systemOids();
      p.walks.push_back({"ifs", {kIfName, col(kIfEntry, 7), col(kIfEntry, 8)}});
      if (gpon()) {
        p.walks.push_back({"onu_status", cols(kGOnuStat, {4})});
        p.walks.push_back({"onu_state", cols(kGOnuInfo, {7, 33})});
      } else {
        p.walks.push_back({"onu_state", cols(kEOnu, {26, 27})});
      }
      p.walks.push_back({"cards", cols(kCard, {3, 4, 6, 9, 11, 12, 13, 14})});
      p.walks.push_back({"fans", cols(kFan, {2, 3})});
      break;
    case DataClass::Optics:
      p.walks.push_back({"ifnames", {kIfName}});
      if (gpon()) {
        p.walks.push_back({"onu_optics", cols(kGOnuOptic, {2, 3})});
        // Same {ponIfIndex} rows: walked side by side.
        p.walks.push_back({"pon_optics",
                           {col(kGPonOpt, 2), col(kGPonOpt, 3), col(kGPonOpt, 4), col(kGPonOpt, 5),
                            col(kGPonRx, 3)}});
      } else {
        p.walks.push_back({"onu_optics", cols(kEOnuOptic, {2, 3, 4, 5, 6})});
      }
      break;
    case DataClass::Traffic:
      // ONUs and PON ports alike: 64-bit octets, 32-bit errors, one walk.
      p.walks.push_back(
          {"if_traffic",
           {kIfName, col(kIfXEntry, 6), col(kIfXEntry, 10), col(kIfEntry, 14), col(kIfEntry, 20)}});
      break;
    }
    return p;
  }

  void parse(DataClass cls, const Collected& c, Snapshot& out) const override {
    out.cls = cls;
    util::OnuMap onus;
    util::PonMap pons;
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      out.has_onus = out.has_unconfigured = true; // NMS-*-MIB list no ONUs awaiting registration
      const auto where = positions(c, "ifnames");
      for (size_t k = 0; k < 4; ++k)
        for (const auto& [idx, v] : c.rows("onu_info", k)) {
          OnuData* o = onuAt(onus, where, idx);
          if (!o) continue;
          if (gpon()) {
            // onuVendorID, onuSerialNum, onuEquipmentID, onuImageInstance0Version
            if (k == 1) o->serial = util::serialText(v.s);
            if (k == 2) o->type = o->model = text(v);
            if (k == 3) o->firmware = text(v);
          } else {
            // onuVendorID, onuModuleID, onuID (the MAC), onuSoftwareVersion
            if (k == 1) o->type = o->model = text(v);
            if (k == 2) o->serial = util::macText(v.s);
            if (k == 3) o->firmware = text(v);
          }
        }
      // The operator's label is the ONU interface's description.
      for (const auto& [idx, v] : c.rows("ifnames", 1))
        if (idx.size() == 1)
          if (auto it = where.find(idx[0]); it != where.end() && it->second.onu)
            if (OnuData* o = onus.find(it->second.apiSlot(), it->second.port, it->second.onu);
                o && !text(v).empty())
              o->name = o->description = text(v);
      onus.moveTo(out.onus);
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      out.has_onus = out.has_pons = out.has_cards = out.has_fans = true;
      const auto where = positions(c, "ifs");
      for (size_t k = 1; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("ifs", k)) {
          PonData* p = ponAt(pons, where, idx);
          auto x = num(v);
          if (!p || !x) continue;
          if (k == 1) p->admin_up = *x == 1;
          if (k == 2) p->oper_up = *x == 1;
        }
      for (const auto& [ifindex, pos] : where)
        if (pos.onu == 0) {
          PonData& p = pons.at(pos.apiSlot(), pos.port);
          p.name = std::string(pos.gpon ? "GPON" : "EPON") + std::to_string(pos.slot) + "/" +
                   std::to_string(pos.port);
          p.max_onus = pos.gpon ? 128 : 64;
        }
      pons.moveTo(out.pons);
      const std::string status_walk = gpon() ? "onu_status" : "onu_state";
      for (const auto& [idx, v] : c.rows(status_walk, 0)) {
        OnuData* o = onuAt(onus, where, idx);
        auto x = num(v);
        if (!o || !x) continue;
        o->phase = statusPhase(*x);
        if (!phaseOnline(*o->phase)) o->offline_reason = std::string(phaseName(*o->phase));
      }
      // GPON: onuAdminState (1 no-shutdown), onuDistance; EPON: onuDistance.
      for (size_t k = gpon() ? 0 : 1; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("onu_state", k)) {
          OnuData* o = onuAt(onus, where, idx);
          auto x = num(v);
          if (!o || !x) continue;
          if (k == 0 && gpon()) o->admin_enabled = *x == 1;
          if (k == 1 && *x > 0 && *x < 100000) o->distance_m = *x;
        }
      onus.moveTo(out.onus);
      parseChassis(c, out);
      break;
    }
    case DataClass::Optics: {
      out.has_onus = true;
      const auto where = positions(c, "ifnames");
      const size_t ncols = gpon() ? 2 : 5;
      for (size_t k = 0; k < ncols; ++k)
        for (const auto& [idx, v] : c.rows("onu_optics", k)) {
          OnuData* o = onuAt(onus, where, idx);
          auto x = num(v);
          if (!o || !x) continue;
          o->has_optics = true;
          if (gpon()) {
            if (k == 0) o->rx_dbm = bdcom::tenthDbm(*x);
            if (k == 1) o->tx_dbm = bdcom::tenthDbm(*x);
            continue;
          }
          if (k == 0) o->temperature_c = bdcom::eponTemperatureC(*x);
          if (k == 1) o->voltage_v = bdcom::eponVoltageV(*x);
          if (k == 2) o->bias_ma = bdcom::eponBiasMa(*x);
          if (k == 3) o->rx_dbm = bdcom::tenthDbm(*x);
          if (k == 4) o->tx_dbm = bdcom::tenthDbm(*x);
        }
      onus.moveTo(out.onus);
      if (gpon()) {
        out.has_pons = true;
        // Temperature, voltage, bias and Tx in the alarm thresholds' units (0.1 °C, 0.1 V,
        // 0.1 mA, 0.1 dBm) [?]; Rx 0.1 dBm [MIB].
        for (size_t k = 0; k < 5; ++k)
          for (const auto& [idx, v] : c.rows("pon_optics", k)) {
            PonData* p = ponAt(pons, where, idx);
            auto x = num(v);
            if (!p || !x || *x == -65535) continue;
            const double d = static_cast<double>(*x) / 10.0;
            if (k == 0) p->temperature_c = d;
            if (k == 1) p->voltage_v = d;
            if (k == 2) p->bias_ma = d;
            if (k == 3) p->tx_dbm = bdcom::tenthDbm(*x);
            if (k == 4) p->rx_dbm = bdcom::tenthDbm(*x);
          }
        pons.moveTo(out.pons);
      }
      break;
    }
    case DataClass::Traffic: {
      out.has_onus = out.has_pons = true;
      const auto where = positions(c, "if_traffic");
      // The OLT's interfaces: In is what the OLT received, i.e. upstream.
      for (size_t k = 1; k < 5; ++k)
        for (const auto& [idx, v] : c.rows("if_traffic", k)) {
          if (OnuData* o = onuAt(onus, where, idx)) {
            if (k <= 2 && v.counterBits()) o->counter_bits = v.counterBits();
            if (k == 1) o->up_octets = v.asU64();
            if (k == 2) o->down_octets = v.asU64();
            if (k == 3) o->up_errors = v.asU64();
            if (k == 4) o->down_errors = v.asU64();
          } else if (PonData* p = ponAt(pons, where, idx)) {
            if (k <= 2 && v.counterBits()) p->counter_bits = v.counterBits();
            if (k == 1) p->up_octets = v.asU64();
            if (k == 2) p->down_octets = v.asU64();
          }
        }
      onus.moveTo(out.onus);
      pons.moveTo(out.pons);
      break;
    }
    }
  }

private:
  bool gponBySystem(const SystemData& s) const override {
    return s.descr.find("GP") != std::string::npos;
  }

  static void parseChassis(const Collected& c, Snapshot& out) {
    // nmscardTable, index from 0: descr, serial, software, oper status, CPU %, memory %,
    // temperature °C, voltage V.
    std::map<uint32_t, CardData> cards;
    for (size_t k = 0; k < 8; ++k)
      for (const auto& [idx, v] : c.rows("cards", k)) {
        if (idx.size() != 1 || idx[0] > 254) continue;
        CardData& cd = cards[idx[0]];
        cd.slot = idx[0] + 1;
        auto x = num(v);
        if (k == 0) cd.type = text(v);
        if (k == 1) cd.serial = text(v);
        if (k == 2) cd.firmware = text(v);
        if (k == 3 && x) {
          // not-specified(1) up(2) down(3) standby(4)
          cd.status = *x == 2 ? "in_service" : *x == 3 ? "down" : *x == 4 ? "standby" : "";
          cd.in_service = *x == 2;
        }
        if (k == 4 && x && *x >= 0 && *x <= 100) cd.cpu_pct = static_cast<double>(*x);
        if (k == 5 && x && *x >= 0 && *x <= 100) cd.mem_pct = static_cast<double>(*x);
        if (k == 6 && x && *x > -100 && *x < 200) cd.temperature_c = static_cast<double>(*x);
        if (k == 7 && x && *x > 0) cd.voltage_v = static_cast<double>(*x);
      }
    for (auto& [k, cd] : cards) {
      if (!out.system->temperature_c && cd.temperature_c)
        out.system->temperature_c = cd.temperature_c;
      out.cards.push_back(std::move(cd));
    }
    // NMS-FAN-TRAP: FanStatus (1 = normal; other codes are not documented), FanSpeed (rpm).
    std::map<uint32_t, FanData> fans;
    for (size_t k = 0; k < 2; ++k)
      for (const auto& [idx, v] : c.rows("fans", k)) {
        auto x = num(v);
        if (idx.size() != 1 || idx[0] > 254 || !x) continue;
        FanData& f = fans[idx[0]];
        f.index = idx[0] + 1;
        if (k == 0) f.status = *x == 1 ? "ok" : "unknown";
        if (k == 1 && *x >= 0) f.rpm = static_cast<uint32_t>(*x);
      }
    for (auto& [k, f] : fans) {
      if (f.status.empty()) f.status = "unknown";
      out.fans.push_back(std::move(f));
    }
  }
};

} // namespace

std::unique_ptr<Driver> makeBdcomDriver() {
  return std::make_unique<BdcomDriver>();
}

} // namespace ispbox::olt
