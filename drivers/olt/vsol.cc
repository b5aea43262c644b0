// SPDX-License-Identifier: GPL-2.0-or-later
// The V-SOL driver (enterprise 37950), olt-oids.md §5. Two families, told apart by the probe:
//   "epon"  V1600D: the V1600D MIB (37950.1.1.5.*). ONU tables indexed {pon}.{onu}; the ONU label
//           is onuAuthInfoDescription2; optics are display strings ("0.03 mW (-14.61 dBm)").
//   "gpon"  V1600G: the V1600G MIB (37950.1.1.6.1.*), known from the MIB only (no recording):
//           index {pon}.{onu}, the phase enum 0-based like ZTE's .1012 tree; optics assumed to be
//           strings of the V1600D's format.
// Both are single-shelf boxes: every PON port is slot 1.
#include <cctype>

#include "drivers/olt/parse_util.h"
#include "drivers/olt/vendors.h"

namespace ispbox::olt {
namespace {

using snmp::Oid;
using util::col;
using util::cols;
using util::num;
using util::OnuKey;
using util::text;

const Oid kV = {1, 3, 6, 1, 4, 1, 37950, 1, 1};
constexpr uint32_t kSlot = 1;

// V1600D (EPON)
const Oid kDSys = util::oid(kV, {5, 10, 12});             // v1600dSysCfg (scalars .0)
const Oid kDAuth2 = util::oid(kV, {5, 12, 1, 25, 1});     // onuAuthInfo2Entry {pon}.{onu}
const Oid kDAutoFind = util::oid(kV, {5, 12, 1, 13, 1});  // onuAutoFindEntry {n}
const Oid kDStats = util::oid(kV, {5, 12, 1, 20, 1});     // onuStatisticsEntry {pon}.{onu}
const Oid kDSnInfo = util::oid(kV, {5, 12, 2, 1, 2, 1});  // onuSnInfoEntry {pon}.{onu}
const Oid kDDdm = util::oid(kV, {5, 12, 2, 1, 8, 1});     // opmDiagInfoEntry {pon}.{onu}
const Oid kDPonCfg = util::oid(kV, {5, 10, 1, 2, 1, 1});  // ponPortConfigEntry {pon}
const Oid kDPonPerf = util::oid(kV, {5, 10, 1, 2, 2, 1}); // ponPortPerformanceDataEntry
const Oid kDPonLink = util::oid(kV, {5, 10, 1, 2, 3, 1}); // ponPortLinkEntry
const Oid kDPonXcvr = util::oid(kV, {5, 10, 13, 1, 1});   // ponTransceiverEntry
const Oid kDPower = util::oid(kV, {5, 10, 12, 21, 4, 1}); // powerModuleStateEntry {id}
// V1600G (GPON)
const Oid kGSta = util::oid(kV, {6, 1, 1, 1, 1});      // gOnuStaInfoEntry {pon}.{onu}
const Oid kGAuth = util::oid(kV, {6, 1, 1, 2, 1});     // gOnuAuthInfoEntry
const Oid kGOptical = util::oid(kV, {6, 1, 1, 3, 1});  // gOnuOpticalInfoEntry
const Oid kGDetail = util::oid(kV, {6, 1, 1, 4, 1});   // gOnuDetailInfoEntry
const Oid kGRtt = util::oid(kV, {6, 1, 1, 12, 1});     // gOnuRttEntry
const Oid kGTraffic = util::oid(kV, {6, 1, 1, 17, 1}); // gOnuStaEntry
const Oid kGAutoFind = util::oid(kV, {6, 1, 2, 2, 1}); // gOnuAutoFindDetailEntry

Oid scalar(std::initializer_list<uint32_t> tail) {
  Oid o = util::oid(kDSys, tail);
  o.push_back(0);
  return o;
}
const Oid kCpu = scalar({3});
const Oid kMem = scalar({4});
const Oid kFirmware = scalar({5, 4});
const Oid kTemperature = scalar({5, 9});
const Oid kModel = scalar({5, 15});

bool ponOnu(const Oid& idx, uint32_t* pon, uint32_t* onu) {
  if (idx.size() != 2 || idx[0] == 0 || idx[0] > 255 || idx[1] == 0 || idx[1] > 255) return false;
  *pon = idx[0];
  *onu = idx[1];
  return true;
}

std::string powerStatus(const std::string& s) {
  std::string l;
  for (char c : s)
    l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l.find("normal") != std::string::npos || l == "ok" || l == "on" || l == "working")
    return "normal";
  if (l.find("off") != std::string::npos || l.find("fail") != std::string::npos ||
      l.find("abnormal") != std::string::npos || l.find("down") != std::string::npos)
    return "off";
  return "unknown";
}

class VsolDriver final : public util::FamilyDriver {
public:
  VsolDriver() : FamilyDriver(kDAuth2, kGSta, "epon") {}
  std::string vendor() const override { return "vsol"; }

  Plan plan(DataClass cls) const override { return gpon() ? planG(cls) : planD(cls); }

  void parse(DataClass cls, const Collected& c, Snapshot& out) const override {
    out.cls = cls;
    if (gpon())
      parseG(cls, c, out);
    else
      parseD(cls, c, out);
  }

private:
  bool gponBySystem(const SystemData& s) const override {
    return s.descr.find("V1600G") != std::string::npos || s.descr.find("GPON") != std::string::npos;
  }

  // ONU DDM strings, in the same column order on both families.
  static void readOnuDdm(const Collected& c, const std::string& walk, util::OnuMap& onus) {
    using util::Ddm;
    util::readDdm(c, walk, {Ddm::Temperature, Ddm::Voltage, Ddm::Bias, Ddm::Tx, Ddm::Rx},
                  [&](const Oid& idx) -> OnuData* {
                    uint32_t pon = 0, n = 0;
                    if (!ponOnu(idx, &pon, &n)) return nullptr;
                    OnuData& o = onus.at(kSlot, pon, n);
                    o.has_optics = true;
                    return &o;
                  });
  }

  // Octets up, down (and upstream errors when walked), both families taken from the OLT's
  // side: what the OLT received is upstream.
  static void readOnuTraffic(const Collected& c, const std::string& walk, util::OnuMap& onus) {
    uint32_t pon = 0, n = 0;
    for (size_t k = 0; k < 3; ++k)
      for (const auto& [idx, v] : c.rows(walk, k)) {
        if (!ponOnu(idx, &pon, &n)) continue;
        OnuData& o = onus.at(kSlot, pon, n);
        if (v.counterBits()) o.counter_bits = v.counterBits();
        if (k == 0) o.up_octets = v.asU64();
        if (k == 1) o.down_octets = v.asU64();
        if (k == 2) o.up_errors = v.asU64();
      }
  }

  // ---- V1600D (EPON) ----
  static Plan planD(DataClass cls) {
    Plan p;
    switch (cls) {
    case DataClass::Inventory:
      p.gets = systemOids();
      p.gets.insert(p.gets.end(), {kModel, kFirmware});
      p.walks.push_back({"onu_auth", cols(kDAuth2, {5, 6, 9})});
      p.walks.push_back({"onu_sn", cols(kDSnInfo, {3, 4, 7})});
      p.walks.push_back({"autofind", cols(kDAutoFind, {2, 3})});
      break;
    case DataClass::State:
      p.gets = systemOids();
      p.gets.insert(p.gets.end(), {kCpu, kMem, kTemperature});
      p.walks.push_back({"onu_state", cols(kDAuth2, {4, 15, 17, 18, 19})});
      p.walks.push_back({"pons", {col(kDPonCfg, 2), col(kDPonCfg, 3), col(kDPonLink, 2)}});
      p.walks.push_back({"power", cols(kDPower, {2})});
      break;
    case DataClass::Optics:
      p.walks.push_back({"onu_ddm", cols(kDDdm, {3, 4, 5, 6, 7})});
      p.walks.push_back({"pon_ddm", cols(kDPonXcvr, {2, 3, 4, 5})});
      break;
    case DataClass::Traffic:
      p.walks.push_back({"onu_traffic", cols(kDStats, {3, 10, 18})});
      p.walks.push_back({"pon_traffic", cols(kDPonPerf, {2, 23})});
      break;
    }
    return p;
  }

  static void parseD(DataClass cls, const Collected& c, Snapshot& out) {
    util::OnuMap onus;
    util::PonMap pons;
    uint32_t pon = 0, n = 0;
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      if (auto* v = c.get(kModel)) out.system->model = text(*v);
      if (auto* v = c.get(kFirmware)) out.system->firmware = text(*v);
      out.has_onus = out.has_unconfigured = true;
      for (size_t k = 0; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("onu_auth", k)) {
          if (!ponOnu(idx, &pon, &n)) continue;
          OnuData& o = onus.at(kSlot, pon, n);
          if (k == 0) o.serial = util::macText(v.s); // EPON: the ONU is known by its MAC
          if (k == 1) o.type = text(v);
          if (k == 2) o.name = text(v); // onuAuthInfoDescription2, the operator's label
        }
      for (size_t k = 0; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("onu_sn", k)) {
          if (!ponOnu(idx, &pon, &n)) continue;
          OnuData* o = onus.find(kSlot, pon, n);
          if (!o) continue;
          if (k == 1) o->model = text(v);
          if (k == 2) o->firmware = text(v);
        }
      onus.moveTo(out.onus);
      std::map<Oid, UnconfiguredOnuData> found;
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("autofind", k)) {
          auto& u = found[idx];
          u.slot = kSlot;
          if (k == 0) u.port = static_cast<uint32_t>(num(v).value_or(0));
          if (k == 1) u.serial = util::macText(v.s);
        }
      for (auto& [k, u] : found)
        if (u.port > 0 && !u.serial.empty()) out.unconfigured.push_back(std::move(u));
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      out.has_onus = out.has_pons = out.has_cards = out.has_power = true;
      // onuAuthInfo2: lineStatus2 offline(0)/online(1), dereg reason wire-down(0)/power-off(1).
      std::map<OnuKey, int64_t> reason;
      for (const auto& [idx, v] : c.rows("onu_state", 1))
        if (ponOnu(idx, &pon, &n))
          if (auto x = num(v)) reason[{kSlot, pon, n}] = *x;
      for (size_t k : {0u, 2u, 3u, 4u})
        for (const auto& [idx, v] : c.rows("onu_state", k)) {
          if (!ponOnu(idx, &pon, &n)) continue;
          OnuData& o = onus.at(kSlot, pon, n);
          if (k == 0) {
            auto x = num(v);
            if (!x) continue;
            if (*x == 1) {
              o.phase = OnuPhase::Working;
              continue;
            }
            auto r = reason.find({kSlot, pon, n});
            const bool power_off = r != reason.end() && r->second == 1;
            o.phase = power_off ? OnuPhase::DyingGasp : OnuPhase::Los;
            o.offline_reason = power_off ? "power_off" : "los";
          }
          if (k == 2)
            if (auto x = num(v); x && *x > 0 && *x < 100000) o.distance_m = *x;
          if (k == 3) o.last_online = util::looseDateTime(text(v));
          if (k == 4) o.last_offline = util::looseDateTime(text(v));
        }
      onus.moveTo(out.onus);
      for (size_t k = 0; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("pons", k)) {
          if (idx.size() != 1 || idx[0] == 0 || idx[0] > 255) continue;
          PonData& p = pons.at(kSlot, idx[0]);
          p.max_onus = 64; // V1600D: 64 ONUs per EPON port
          auto x = num(v);
          if (k == 0) p.name = text(v);
          if (k == 1 && x) p.admin_up = *x == 1;
          if (k == 2 && x) p.oper_up = *x == 1;
        }
      pons.moveTo(out.pons);
      // A pizza box: one "card" carrying the system's CPU, memory and temperature.
      CardData card;
      card.slot = kSlot;
      card.type = out.system->descr;
      card.status = "in_service";
      card.in_service = true;
      auto scalarIn = [&](const Oid& o, int64_t lo, int64_t hi) -> std::optional<double> {
        const snmp::Value* v = c.get(o);
        auto x = v ? num(*v) : std::nullopt;
        if (!x || *x < lo || *x > hi) return std::nullopt;
        return static_cast<double>(*x);
      };
      card.cpu_pct = scalarIn(kCpu, 0, 100);
      card.mem_pct = scalarIn(kMem, 0, 100);
      card.temperature_c = scalarIn(kTemperature, -99, 199);
      out.system->temperature_c = card.temperature_c;
      out.cards.push_back(std::move(card));
      for (const auto& [idx, v] : c.rows("power", 0)) {
        if (idx.size() != 1) continue;
        PowerData pw;
        pw.slot = idx[0];
        pw.status = powerStatus(text(v));
        out.power.push_back(std::move(pw));
      }
      break;
    }
    case DataClass::Optics: {
      out.has_onus = out.has_pons = true;
      readOnuDdm(c, "onu_ddm", onus);
      onus.moveTo(out.onus);
      using util::Ddm;
      util::readDdm(c, "pon_ddm", {Ddm::Temperature, Ddm::Voltage, Ddm::Bias, Ddm::Tx},
                    [&](const Oid& idx) -> PonData* {
                      if (idx.size() != 1 || idx[0] == 0 || idx[0] > 255) return nullptr;
                      return &pons.at(kSlot, idx[0]);
                    });
      pons.moveTo(out.pons);
      break;
    }
    case DataClass::Traffic: {
      out.has_onus = out.has_pons = true;
      // The OLT's per-LLID MAC counters: "Rx" is what the OLT received (REGISTER_REQ and REPORT
      // frames are counted there).
      readOnuTraffic(c, "onu_traffic", onus);
      onus.moveTo(out.onus);
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("pon_traffic", k)) {
          if (idx.size() != 1 || idx[0] == 0 || idx[0] > 255) continue;
          PonData& p = pons.at(kSlot, idx[0]);
          p.counter_bits = v.counterBits() ? v.counterBits() : 32;
          if (k == 0) p.up_octets = v.asU64();
          if (k == 1) p.down_octets = v.asU64();
        }
      pons.moveTo(out.pons);
      break;
    }
    }
  }

  // ---- V1600G (GPON) ----
  static Plan planG(DataClass cls) {
    Plan p;
    switch (cls) {
    case DataClass::Inventory:
      p.gets = systemOids();
      p.walks.push_back({"onu_auth", cols(kGAuth, {3, 4, 5, 6})});
      p.walks.push_back({"onu_detail", cols(kGDetail, {5, 17, 24, 25})});
      p.walks.push_back({"autofind", cols(kGAutoFind, {3, 7})});
      break;
    case DataClass::State:
      p.gets = systemOids();
      // Same {pon}.{onu} rows: walked side by side.
      p.walks.push_back({"onu_state", {col(kGSta, 3), col(kGSta, 5), col(kGRtt, 3)}});
      break;
    case DataClass::Optics:
      p.walks.push_back({"onu_optics", cols(kGOptical, {3, 4, 5, 6, 7})});
      break;
    case DataClass::Traffic:
      p.walks.push_back({"onu_traffic", cols(kGTraffic, {13, 15})});
      break;
    }
    return p;
  }

  static void parseG(DataClass cls, const Collected& c, Snapshot& out) {
    util::OnuMap onus;
    uint32_t pon = 0, n = 0;
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      out.has_onus = out.has_unconfigured = true;
      // gOnuAuthInfoAuthInfo holds the serial when the ONU is authorised by sn(1).
      std::map<OnuKey, int64_t> auth_mode;
      std::map<OnuKey, std::string> auth_info;
      for (size_t k = 0; k < 4; ++k)
        for (const auto& [idx, v] : c.rows("onu_auth", k)) {
          if (!ponOnu(idx, &pon, &n)) continue;
          OnuData& o = onus.at(kSlot, pon, n);
          if (k == 0) o.name = text(v);
          if (k == 1) auth_mode[{kSlot, pon, n}] = num(v).value_or(0);
          if (k == 2) auth_info[{kSlot, pon, n}] = v.s;
          if (k == 3) o.type = text(v);
        }
      for (size_t k = 0; k < 4; ++k)
        for (const auto& [idx, v] : c.rows("onu_detail", k)) {
          if (!ponOnu(idx, &pon, &n)) continue;
          OnuData* o = onus.find(kSlot, pon, n);
          if (!o) continue;
          if (k == 0 && !text(v).empty()) o->serial = util::serialText(v.s);
          if (k == 1) o->model = text(v);
          if (k == 2) o->description = text(v);
          if (k == 3) o->firmware = text(v);
        }
      onus.moveTo(out.onus, [&](const OnuData& o) { return o.name.has_value(); });
      for (auto& o : out.onus) {
        const OnuKey key{o.slot, o.port, o.onu};
        if (!o.serial && auth_mode[key] == 1 && !auth_info[key].empty())
          o.serial = util::serialText(auth_info[key]);
      }
      util::readUnconfigured(
          c, "autofind",
          [](const Oid& idx) -> std::optional<std::pair<uint32_t, uint32_t>> {
            uint32_t at_pon = 0, at_onu = 0;
            if (!ponOnu(idx, &at_pon, &at_onu)) return std::nullopt;
            return std::pair{kSlot, at_pon};
          },
          out.unconfigured);
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      out.has_onus = true;
      for (size_t k = 0; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("onu_state", k)) {
          if (!ponOnu(idx, &pon, &n)) continue;
          OnuData& o = onus.at(kSlot, pon, n);
          auto x = num(v);
          if (!x) continue;
          if (k == 0) o.admin_enabled = *x == 1;
          if (k == 1) {
            // logging(0) los(1) syncMib(2) working(3) dyingGasp(4) authFail(5) offLine(6).
            o.phase = *x >= 0 && *x <= 6 ? static_cast<OnuPhase>(*x + 1) : OnuPhase::Unknown;
            if (!phaseOnline(*o.phase)) o.offline_reason = std::string(phaseName(*o.phase));
          }
          if (k == 2 && *x > 0 && *x < 100000) o.distance_m = *x;
        }
      onus.moveTo(out.onus);
      break;
    }
    case DataClass::Optics: {
      out.has_onus = true;
      readOnuDdm(c, "onu_optics", onus);
      onus.moveTo(out.onus);
      break;
    }
    case DataClass::Traffic: {
      out.has_onus = true;
      // gOnuStaInputOctets / OutputOctets: input taken as upstream like the V1600D's Rx [?].
      readOnuTraffic(c, "onu_traffic", onus);
      onus.moveTo(out.onus);
      break;
    }
    }
  }
};

} // namespace

std::unique_ptr<Driver> makeVsolDriver() {
  return std::make_unique<VsolDriver>();
}

} // namespace ispbox::olt
