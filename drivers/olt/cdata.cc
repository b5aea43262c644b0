// SPDX-License-Identifier: GPL-2.0-or-later
// The C-Data driver, olt-oids.md §7. Two families, told apart by the probe (sysObjectID cannot be
// trusted: a GPON FD1608S answers the EPON enterprise 17409):
//   "epon"  OEM EPON (17409): ONU table 17409.2.3.4.1.1 and optics 17409.2.3.4.2.1, indexed by a
//           32-bit device index (S7, live); PON ports from IF-MIB ("epon 0/1/1" in ifDescr).
//   "gpon"  native GPON (34592): CDATA-GPON-MIB 34592.1.5.1.1.2.17/.18, indexed
//           {device}.{card}.{port}[.{onu}] [MIB]; FlashV3 firmware is said to expose ONU details
//           only through its CLI (S7), where these tables stay empty.
#include "drivers/olt/cdata.h"

#include <regex>

#include "drivers/olt/parse_util.h"
#include "drivers/olt/vendors.h"

namespace ispbox::olt {
namespace cdata {

std::optional<Position> decodeEponIndex(uint32_t index) {
  Position p;
  p.slot = (index >> 24) & 0xff;
  const uint32_t enc = (index >> 8) & 0xff;
  p.port = enc / 16 + 1;
  p.onu = index & 0xff;
  if (p.slot == 0) p.slot = 1;
  // An encoded port that is not a multiple of 16 would fold ports together: refuse it.
  if (p.onu == 0 || enc % 16 != 0) return std::nullopt;
  return p;
}

uint32_t eponIndex(uint32_t slot, uint32_t port, uint32_t onu) {
  return (slot & 0xff) << 24 | (((port - 1) * 16) & 0xff) << 8 | (onu & 0xff);
}

std::optional<double> centiDbm(int64_t raw) {
  if (raw == 0) return std::nullopt;
  return plausibleDbm(static_cast<double>(raw) / 100.0);
}

} // namespace cdata

namespace {

using snmp::Oid;
using util::col;
using util::cols;
using util::num;
using util::OnuKey;
using util::text;

const Oid kIfEntry = {1, 3, 6, 1, 2, 1, 2, 2, 1};
const Oid kIfXEntry = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
// EPON (NSCRTV-style, 17409)
const Oid kEOnu = {1, 3, 6, 1, 4, 1, 17409, 2, 3, 4, 1, 1};   // {deviceIndex}
const Oid kEOptic = {1, 3, 6, 1, 4, 1, 17409, 2, 3, 4, 2, 1}; // {deviceIndex}.{x}.{y}
// CDATA-GPON-MIB (34592)
const Oid kG = {1, 3, 6, 1, 4, 1, 34592, 1, 5, 1, 1, 2};
const Oid kGPonCtl = util::oid(kG, {17, 1, 1});   // gponOltControlEntry {dev}.{card}.{port}
const Oid kGPonDdm = util::oid(kG, {17, 2, 1});   // gponOltPortDdmInfoEntry
const Oid kGOnuCfg = util::oid(kG, {18, 1, 1});   // gponOnuConfigEntry {dev}.{card}.{port}.{onu}
const Oid kGOnuInfo = util::oid(kG, {18, 2, 1});  // gponOnuInfoEntry
const Oid kGAutofind = util::oid(kG, {18, 5, 1}); // gponOnuAutofindInfoEntry
const Oid kGOnuOptic = util::oid(kG, {18, 6, 1}); // gponOnuOpticalInfoEntry
const Oid kGOnuVer = util::oid(kG, {18, 7, 1});   // gponOnuVersionEntry

// "epon 0/1/2" (frame/slot/port) in ifDescr.
std::optional<std::pair<uint32_t, uint32_t>> eponIfPort(const std::string& descr) {
  static const std::regex re(R"(^[Ee][Pp][Oo][Nn] ?(\d+)/(\d+)/(\d+)$)");
  std::smatch m;
  if (!std::regex_match(descr, m, re)) return std::nullopt;
  const uint32_t slot = static_cast<uint32_t>(std::stoul(m[2].str()));
  const uint32_t port = static_cast<uint32_t>(std::stoul(m[3].str()));
  if (slot > 255 || port == 0 || port > 255) return std::nullopt;
  return std::pair{slot == 0 ? 1u : slot, port};
}

// GPON rows {device}.{card}.{port}[.{onu}]: card 0 is shown as slot 1.
bool gponPos(const Oid& idx, size_t parts, uint32_t* slot, uint32_t* port, uint32_t* onu) {
  if (idx.size() != parts || idx[1] > 255 || idx[2] == 0 || idx[2] > 255) return false;
  *slot = idx[1] == 0 ? 1 : idx[1];
  *port = idx[2];
  if (parts == 4) {
    if (idx[3] == 0 || idx[3] > 255) return false;
    *onu = idx[3];
  }
  return true;
}

class CdataDriver final : public util::FamilyDriver {
public:
  CdataDriver() : FamilyDriver(kEOnu, kGOnuCfg, "epon") {}
  std::string vendor() const override { return "cdata"; }

  Plan plan(DataClass cls) const override {
    Plan p;
    switch (cls) {
    case DataClass::Inventory:
      p.gets = systemOids();
      if (gpon()) {
        p.walks.push_back({"onu_cfg", cols(kGOnuCfg, {4, 8})});
        p.walks.push_back({"onu_ver", cols(kGOnuVer, {1})});
        p.walks.push_back({"autofind", cols(kGAutofind, {3, 7})});
      } else {
        // name, MAC, vendor, model, serial, software version
        p.walks.push_back({"onu_info", cols(kEOnu, {2, 7, 25, 26, 28, 13})});
      }
      break;
    case DataClass::State:
      p.gets = systemOids();
      if (gpon()) {
        p.walks.push_back({"onu_state", cols(kGOnuInfo, {1, 4, 6, 7})});
        p.walks.push_back({"pons", cols(kGPonCtl, {5, 6})});
      } else {
        p.walks.push_back({"onu_state", cols(kEOnu, {8, 15})});
        p.walks.push_back({"ports", {col(kIfEntry, 2), col(kIfEntry, 7), col(kIfEntry, 8)}});
      }
      break;
    case DataClass::Optics:
      if (gpon()) {
        p.walks.push_back({"onu_optics", cols(kGOnuOptic, {1, 2, 4, 5, 6})});
        p.walks.push_back({"pon_optics", cols(kGPonDdm, {1, 2, 3, 4, 5})});
      } else {
        p.walks.push_back({"onu_optics", cols(kEOptic, {4, 5})});
      }
      break;
    case DataClass::Traffic:
      // No per-ONU counters are documented; EPON ports' counters from IF-MIB.
      if (!gpon())
        p.walks.push_back(
            {"port_traffic", {col(kIfEntry, 2), col(kIfXEntry, 6), col(kIfXEntry, 10)}});
      break;
    }
    return p;
  }

  void parse(DataClass cls, const Collected& c, Snapshot& out) const override {
    out.cls = cls;
    if (gpon())
      parseGpon(cls, c, out);
    else
      parseEpon(cls, c, out);
  }

private:
  bool gponBySystem(const SystemData& s) const override {
    return s.descr.find("GPON") != std::string::npos ||
           s.object_id.rfind("1.3.6.1.4.1.34592", 0) == 0;
  }

  static void parseEpon(DataClass cls, const Collected& c, Snapshot& out) {
    util::OnuMap onus;
    util::PonMap pons;
    auto onuAt = [&](const Oid& idx) -> OnuData* {
      if (idx.empty()) return nullptr;
      auto p = cdata::decodeEponIndex(idx[0]);
      return p ? &onus.at(p->slot, p->port, p->onu) : nullptr;
    };
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      out.has_onus = out.has_unconfigured = true;
      std::map<OnuKey, std::string> serials;
      for (size_t k = 0; k < 6; ++k)
        for (const auto& [idx, v] : c.rows("onu_info", k)) {
          if (idx.size() != 1) continue;
          OnuData* o = onuAt(idx);
          if (!o) continue;
          if (k == 0) o->name = text(v);
          if (k == 1) o->serial = util::macText(v.s); // EPON: the MAC, unless a serial follows
          if (k == 3) o->type = o->model = text(v);
          if (k == 4 && !text(v).empty()) serials[{o->slot, o->port, o->onu}] = text(v);
          if (k == 5) o->firmware = text(v);
        }
      onus.moveTo(out.onus);
      for (auto& o : out.onus)
        if (auto it = serials.find({o.slot, o.port, o.onu}); it != serials.end())
          o.serial = util::serialText(it->second);
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      out.has_onus = out.has_pons = true;
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("onu_state", k)) {
          if (idx.size() != 1) continue;
          OnuData* o = onuAt(idx);
          auto x = num(v);
          if (!o || !x) continue;
          if (k == 0) {
            // onuOperationStatus: 1 online, 2 offline; no reason over SNMP.
            o->phase = *x == 1   ? OnuPhase::Working
                       : *x == 2 ? OnuPhase::Offline
                                 : OnuPhase::Unknown;
            if (*x == 2) o->offline_reason = "offline";
          }
          if (k == 1 && *x > 0 && *x < 100000) o->distance_m = *x;
        }
      onus.moveTo(out.onus);
      std::map<uint32_t, std::pair<uint32_t, uint32_t>> where;
      for (const auto& [idx, v] : c.rows("ports", 0))
        if (idx.size() == 1)
          if (auto sp = eponIfPort(text(v))) {
            where[idx[0]] = *sp;
            PonData& p = pons.at(sp->first, sp->second);
            p.name = text(v);
            p.max_onus = 64;
          }
      for (size_t k = 1; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("ports", k)) {
          auto it = idx.size() == 1 ? where.find(idx[0]) : where.end();
          auto x = num(v);
          if (it == where.end() || !x) continue;
          PonData& p = pons.at(it->second.first, it->second.second);
          if (k == 1) p.admin_up = *x == 1;
          if (k == 2) p.oper_up = *x == 1;
        }
      pons.moveTo(out.pons);
      break;
    }
    case DataClass::Optics: {
      out.has_onus = true;
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("onu_optics", k)) {
          OnuData* o = onuAt(idx); // {deviceIndex}.{x}.{y}: the device index leads
          auto x = num(v);
          if (!o || !x) continue;
          o->has_optics = true;
          if (k == 0) o->rx_dbm = cdata::centiDbm(*x);
          if (k == 1) o->tx_dbm = cdata::centiDbm(*x);
        }
      onus.moveTo(out.onus);
      break;
    }
    case DataClass::Traffic: {
      out.has_pons = true;
      std::map<uint32_t, std::pair<uint32_t, uint32_t>> where;
      for (const auto& [idx, v] : c.rows("port_traffic", 0))
        if (idx.size() == 1)
          if (auto sp = eponIfPort(text(v))) where[idx[0]] = *sp;
      for (size_t k = 1; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("port_traffic", k)) {
          auto it = idx.size() == 1 ? where.find(idx[0]) : where.end();
          if (it == where.end()) continue;
          PonData& p = pons.at(it->second.first, it->second.second);
          if (v.counterBits()) p.counter_bits = v.counterBits();
          if (k == 1) p.up_octets = v.asU64();
          if (k == 2) p.down_octets = v.asU64();
        }
      pons.moveTo(out.pons);
      break;
    }
    }
  }

  static void parseGpon(DataClass cls, const Collected& c, Snapshot& out) {
    util::OnuMap onus;
    util::PonMap pons;
    uint32_t slot = 0, port = 0, n = 0;
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      out.has_onus = out.has_unconfigured = true;
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("onu_cfg", k)) {
          if (!gponPos(idx, 4, &slot, &port, &n)) continue;
          OnuData& o = onus.at(slot, port, n);
          if (k == 0) o.serial = util::serialText(v.s);
          if (k == 1) o.name = o.description = text(v);
        }
      for (const auto& [idx, v] : c.rows("onu_ver", 0))
        if (gponPos(idx, 4, &slot, &port, &n))
          if (OnuData* o = onus.find(slot, port, n)) o->firmware = text(v);
      onus.moveTo(out.onus);
      util::readUnconfigured(
          c, "autofind",
          [&](const Oid& idx) -> std::optional<std::pair<uint32_t, uint32_t>> {
            if (!gponPos(idx, 4, &slot, &port, &n)) return std::nullopt;
            return std::pair{slot, port};
          },
          out.unconfigured);
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      out.has_onus = out.has_pons = true;
      for (size_t k = 0; k < 4; ++k)
        for (const auto& [idx, v] : c.rows("onu_state", k)) {
          if (!gponPos(idx, 4, &slot, &port, &n)) continue;
          OnuData& o = onus.at(slot, port, n);
          auto x = num(v);
          if (k == 0 && x) {
            // gponOnuRunState: online(1), offline(2); no reason over SNMP.
            o.phase = *x == 1 ? OnuPhase::Working : *x == 2 ? OnuPhase::Offline : OnuPhase::Unknown;
            if (*x == 2) o.offline_reason = "offline";
          }
          if (k == 1 && x && *x > 0 && *x < 100000) o.distance_m = *x;
          if (k == 2) o.last_online = util::looseDateTime(text(v));
          if (k == 3) o.last_offline = util::looseDateTime(text(v));
        }
      onus.moveTo(out.onus);
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("pons", k)) {
          if (!gponPos(idx, 3, &slot, &port, &n)) continue;
          PonData& p = pons.at(slot, port);
          p.max_onus = 128;
          auto x = num(v);
          if (!x) continue;
          if (k == 0) p.admin_up = *x == 1; // GponSwitch enable(1) [?]
          if (k == 1) p.oper_up = *x == 1;  // up(1) down(2)
        }
      pons.moveTo(out.pons);
      break;
    }
    case DataClass::Optics: {
      out.has_onus = out.has_pons = true;
      // Display strings ("-20.35", "-20.35 dBm") [?].
      using util::Ddm;
      util::readDdm(c, "onu_optics", {Ddm::Voltage, Ddm::Tx, Ddm::Rx, Ddm::Bias, Ddm::Temperature},
                    [&](const Oid& idx) -> OnuData* {
                      if (!gponPos(idx, 4, &slot, &port, &n)) return nullptr;
                      OnuData& o = onus.at(slot, port, n);
                      o.has_optics = true;
                      return &o;
                    });
      onus.moveTo(out.onus);
      util::readDdm(c, "pon_optics", {Ddm::Temperature, Ddm::Voltage, Ddm::Bias, Ddm::Tx, Ddm::Rx},
                    [&](const Oid& idx) -> PonData* {
                      if (!gponPos(idx, 3, &slot, &port, &n)) return nullptr;
                      return &pons.at(slot, port);
                    });
      pons.moveTo(out.pons);
      break;
    }
    case DataClass::Traffic:
      break;
    }
  }
};

} // namespace

std::unique_ptr<Driver> makeCdataDriver() {
  return std::make_unique<CdataDriver>();
}

} // namespace ispbox::olt
