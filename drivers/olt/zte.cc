// SPDX-License-Identifier: GPL-2.0-or-later
// The ZTE ZXA10 driver. Two table families exist (olt-oids.md §2.3): the .1012/.1015 trees
// (ZXGPON-SERVICE/ONTMGMT, index form A) on C300/C320, and the .1082.500 ZTE-AN tree (index form
// B) on C300/C320 V2.1 and C600. The probe finds which are present; a C320 V2.1 has both, and then
// each datum is read from one tree only, so no column is walked twice:
//   "1082+1012"  names, state, distance, OLT Rx, traffic from .1082; type, optics, bandwidth from
//   .1012 "1082"       C600: everything from .1082 (no ONU Tx or ONU bandwidth over SNMP) "1012"
//   older firmware: everything from .1012/.1015 (no per-ONU traffic)
#include "drivers/olt/zte.h"

#include <cmath>
#include <map>
#include <regex>
#include <tuple>

#include "drivers/olt/table_util.h"
#include "drivers/olt/vendors.h"

namespace ispbox::olt {
namespace zte {

std::optional<SlotPort> decodeA(uint32_t v) {
  if ((v >> 28) != 1 || (v & 0xff) != 0) return std::nullopt;
  SlotPort sp{(v >> 16) & 0xff, (v >> 8) & 0xff};
  if (sp.slot == 0 || sp.port == 0) return std::nullopt;
  return sp;
}

std::optional<SlotPort> decodeB(uint32_t v) {
  if ((v & 0xffff0000u) != 0x11010000u) return std::nullopt;
  SlotPort sp{(v >> 8) & 0xff, v & 0xff};
  if (sp.slot == 0 || sp.port == 0) return std::nullopt;
  return sp;
}

std::optional<SlotPort> parsePonIfName(std::string_view name) {
  static const std::regex re(R"(^(x?gpon|epon)[-_a-z]*?[-_](\d+)/(\d+)/(\d+)$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(name.begin(), name.end(), m, re)) return std::nullopt;
  SlotPort sp{static_cast<uint32_t>(std::stoul(m[3].str())),
              static_cast<uint32_t>(std::stoul(m[4].str()))};
  if (sp.slot == 0 || sp.port == 0 || sp.slot > 255 || sp.port > 255) return std::nullopt;
  return sp;
}

std::string modelFromDescr(std::string_view descr) {
  // C300, C320, C600, C610, C650, C680: the first word that looks like one.
  static const std::regex re(R"((^|[\s,])(C[0-9]{3}[A-Z]?)([\s,]|$))");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(descr.begin(), descr.end(), m, re)) return {};
  return m[2].str();
}

std::optional<double> onuOpticalDbm(int64_t raw) {
  if (raw >= 65535 || raw < 0) return std::nullopt;
  return plausibleDbm(static_cast<double>(raw) * 0.002 - 30.0);
}

std::optional<double> oltRxDbm(int64_t raw) {
  if (raw == -80000 || raw == 65535000 || raw == 0x7fffffff) return std::nullopt;
  return plausibleDbm(static_cast<double>(raw) / 1000.0);
}

} // namespace zte

namespace {

using snmp::Oid;
using snmp::Value;
using table::col;
using table::cols;
using table::kIfEntry;
using table::kIfXEntry;
using table::text;

Oid z(std::initializer_list<uint32_t> tail) {
  Oid o{1, 3, 6, 1, 4, 1, 3902};
  o.insert(o.end(), tail);
  return o;
}

// Table entries (…Entry OIDs; the column number follows).
const Oid kAnOnuInfo = z({1082, 500, 10, 2, 3, 3, 1});
const Oid kAnOnuState = z({1082, 500, 10, 2, 3, 8, 1});
const Oid kAnOnuDistance = z({1082, 500, 10, 2, 3, 10, 1});
const Oid kAnOnuRx = z({1082, 500, 20, 2, 2, 2, 1});
const Oid kAnOltRx = z({1082, 500, 1, 2, 4, 2, 1});
const Oid kAnOnuPerf = z({1082, 500, 4, 2, 2, 2, 1});
const Oid kAnUnconfigured = z({1082, 500, 2, 2, 11, 2, 1});
const Oid kGpOnuInfo = z({1012, 3, 28, 1, 1});
const Oid kGpOnuState = z({1012, 3, 28, 2, 1});
const Oid kGpDistance = z({1012, 3, 11, 4, 1});
const Oid kGpOnuAni = z({1012, 3, 50, 12, 1, 1});
const Oid kGpOnuEquip = z({1012, 3, 50, 11, 2, 1});
const Oid kGpUnconfigured = z({1012, 3, 13, 3, 1});
const Oid kGpTcont = z({1012, 3, 30, 1, 1});
const Oid kGpDba = z({1012, 3, 26, 1, 1});
const Oid kXpOltRx = z({1015, 1010, 11, 2, 1});
const Oid kXpPonOptics = z({1015, 1010, 11, 1, 1});
const Oid kCard = z({1082, 10, 1, 2, 4, 1});
const Oid kCardEnv = z({1082, 10, 10, 2, 1, 6, 1});
const Oid kShelfEnv = z({1082, 10, 10, 2, 1, 5, 1});
const Oid kFan = z({1082, 10, 10, 2, 4, 11, 1});
const Oid kPower = z({1082, 10, 10, 2, 3, 11, 1});

std::optional<int64_t> num(const Value& v) {
  return v.asInt();
}

using OnuKey = std::tuple<uint32_t, uint32_t, uint32_t>;

class ZteDriver final : public Driver {
public:
  std::string vendor() const override { return "zte"; }
  std::string variant() const override { return variant_; }
  void setVariant(std::string_view v) override {
    if (v == "1082+1012" || v == "1082" || v == "1012") variant_ = std::string(v);
  }

  Plan probePlan() const override {
    Plan p;
    p.nexts = {col(kAnOnuInfo, 2), col(kGpOnuInfo, 2)};
    return p;
  }

  void applyProbe(const Collected& c) override {
    bool an = false, gp = false;
    for (const auto& vb : c.nexts) {
      if (vb.value.exception()) continue;
      an = an || snmp::startsWith(vb.oid, col(kAnOnuInfo, 2));
      gp = gp || snmp::startsWith(vb.oid, col(kGpOnuInfo, 2));
    }
    // An OLT with no ONU configured yet answers neither: assume the common C320 V2.1 layout.
    variant_ = an && gp ? "1082+1012" : an ? "1082" : gp ? "1012" : "1082+1012";
  }

  bool an() const { return variant_ != "1012"; }
  bool gp() const { return variant_ != "1082"; }

  Plan plan(DataClass cls) const override {
    Plan p;
    switch (cls) {
    case DataClass::Inventory:
      p.gets = systemOids();
      if (an()) {
        p.walks.push_back({"onu_info", cols(kAnOnuInfo, {1, 2, 3, gp() ? 18u : 6u})});
        p.walks.push_back({"unconfigured", cols(kAnUnconfigured, {2, 8})});
      } else {
        p.walks.push_back({"onu_info", cols(kGpOnuInfo, {1, 2, 3, 5})});
        p.walks.push_back({"unconfigured", cols(kGpUnconfigured, {2})});
      }
      if (gp()) {
        // Model and first T-CONT: one row each per ONU, walked together.
        p.walks.push_back({"onu_equip", {col(kGpOnuEquip, 17), col(kGpTcont, 3)}});
        p.walks.push_back({"dba", cols(kGpDba, {2, 4, 5})});
      }
      break;
    case DataClass::State:
      p.gets = systemOids();
      if (an()) {
        // Same rows (one per ONU): one walk, fuller answers than two.
        auto c = cols(kAnOnuState, {1, 4, 5, 6, 7});
        c.push_back(col(kAnOnuDistance, 2));
        p.walks.push_back({"onu_state", c});
      } else {
        auto c = cols(kGpOnuState, {1, 4, 5, 6});
        c.push_back(col(kGpDistance, 2));
        p.walks.push_back({"onu_state", c});
      }
      p.walks.push_back({"ports", {col(kIfXEntry, 1), col(kIfEntry, 7), col(kIfEntry, 8)}});
      p.walks.push_back({"cards", cols(kCard, {4, 5, 7, 9, 11, 14, 27})});
      p.walks.push_back({"card_env", cols(kCardEnv, {2, 4})});
      p.walks.push_back({"shelf_env", cols(kShelfEnv, {3})});
      p.walks.push_back({"fans", cols(kFan, {5, 6, 7})});
      p.walks.push_back({"power", cols(kPower, {1, 2, 3, 6})});
      break;
    case DataClass::Optics:
      if (gp()) {
        p.walks.push_back({"onu_ani", cols(kGpOnuAni, {10, 14, 17, 18, 19})});
        p.walks.push_back({"pon_optics", cols(kXpPonOptics, {2, 3, 4, 5, 6})});
      } else {
        p.walks.push_back({"onu_rx", cols(kAnOnuRx, {10})});
      }
      if (an())
        p.walks.push_back({"olt_rx", cols(kAnOltRx, {2})});
      else
        p.walks.push_back({"olt_rx", cols(kXpOltRx, {2})});
      break;
    case DataClass::Traffic:
      if (an()) p.walks.push_back({"onu_perf", cols(kAnOnuPerf, {1, 44, 12, 55})});
      // 64-bit counters, and the 32-bit ones for firmware without ifXTable counters.
      p.walks.push_back({"port_traffic",
                         {col(kIfXEntry, 1), col(kIfXEntry, 6), col(kIfXEntry, 10),
                          col(kIfEntry, 10), col(kIfEntry, 16)}});
      break;
    }
    return p;
  }

  void parse(DataClass cls, const Collected& c, Snapshot& out) const override {
    out.cls = cls;
    std::map<OnuKey, OnuData> onus;
    auto onu = [&](const Oid& index, bool form_b) -> OnuData* {
      if (index.size() < 2) return nullptr;
      auto sp = form_b ? zte::decodeB(index[0]) : zte::decodeA(index[0]);
      if (!sp || index[1] == 0 || index[1] > 255) return nullptr;
      OnuKey k{sp->slot, sp->port, index[1]};
      auto& o = onus[k];
      o.slot = sp->slot;
      o.port = sp->port;
      o.onu = index[1];
      return &o;
    };
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      out.system->model = zte::modelFromDescr(out.system->descr);
      out.has_onus = out.has_unconfigured = true;
      const bool b = an();
      for (size_t k = 0; k < 4; ++k) {
        for (const auto& [idx, v] : c.rows("onu_info", k)) {
          OnuData* o = onu(idx, b);
          if (!o) continue;
          if (k == 0) o->type = text(v);
          if (k == 1) o->name = text(v);
          if (k == 2) o->description = text(v);
          if (k == 3) o->serial = renderSerial(v.s, !(b && gp()));
        }
      }
      for (const auto& [idx, v] : c.rows("onu_equip", 0))
        if (OnuData* o = onu(idx, false)) o->model = text(v);
      // Bandwidth: the ONU's first T-CONT points at a DBA profile.
      std::map<uint32_t, std::tuple<std::string, uint64_t, uint64_t>> dba;
      for (size_t k = 0; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("dba", k)) {
          if (idx.empty()) continue;
          auto& d = dba[idx[0]];
          if (k == 0) std::get<0>(d) = text(v);
          if (k == 1) std::get<1>(d) = v.asU64().value_or(0);
          if (k == 2) std::get<2>(d) = v.asU64().value_or(0);
        }
      for (const auto& [idx, v] : c.rows("onu_equip", 1)) {
        if (idx.size() < 3 || idx[2] != 1) continue;
        OnuData* o = onu(idx, false);
        auto p = num(v);
        if (!o || !p) continue;
        if (auto it = dba.find(static_cast<uint32_t>(*p)); it != dba.end()) {
          o->bandwidth_profile = std::get<0>(it->second);
          o->bandwidth_assured_kbps = std::get<1>(it->second);
          o->bandwidth_max_kbps = std::get<2>(it->second);
        }
      }
      // Only ONUs the OLT has configured (a row in the info table) are inventory.
      for (auto& [k, o] : onus)
        if (o.name || o.serial || o.type) out.onus.push_back(std::move(o));
      std::map<std::pair<Oid, uint32_t>, UnconfiguredOnuData> unc;
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("unconfigured", k)) {
          if (idx.size() < 2) continue;
          auto sp = b ? zte::decodeB(idx[0]) : zte::decodeA(idx[0]);
          if (!sp) continue;
          auto& u = unc[{idx, 0}];
          u.slot = sp->slot;
          u.port = sp->port;
          if (k == 0) u.serial = renderSerial(v.s, true);
          if (k == 1) u.type = text(v);
        }
      for (auto& [k, u] : unc)
        if (!u.serial.empty()) out.unconfigured.push_back(std::move(u));
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      out.system->model = zte::modelFromDescr(out.system->descr);
      out.has_onus = out.has_pons = out.has_cards = out.has_fans = out.has_power = true;
      const bool b = an();
      const size_t ncols = b ? 5 : 4;
      for (size_t k = 0; k < ncols; ++k)
        for (const auto& [idx, v] : c.rows("onu_state", k)) {
          OnuData* o = onu(idx, b);
          if (!o) continue;
          auto n = num(v);
          if (k == 0 && n) o->admin_enabled = *n == 1;
          if (k == 1 && n) {
            // .1082 is 1-based; .1012 is 0-based (olt-oids.md §2.3: "offset by one").
            const int64_t p = b ? *n : *n + 1;
            o->phase = p >= 1 && p <= 7 ? static_cast<OnuPhase>(p) : OnuPhase::Unknown;
          }
          if (k == 2) o->last_online = parseDateTime(v.s);
          if (k == 3) o->last_offline = parseDateTime(v.s);
          if (k == 4 && n) o->offline_reason = offlineReason(*n);
        }
      for (const auto& [idx, v] : c.rows("onu_state", ncols))
        if (OnuData* o = onu(idx, b)) {
          auto n = num(v);
          if (n && *n > 0 && *n < 100000) o->distance_m = *n;
        }
      for (auto& [k, o] : onus) {
        if (!b && o.phase && !o.offline_reason && !phaseOnline(*o.phase))
          o.offline_reason = std::string(phaseName(*o.phase));
        out.onus.push_back(std::move(o));
      }
      parsePorts(c, out);
      parseEnvironment(c, out);
      break;
    }
    case DataClass::Optics: {
      out.has_onus = true;
      const bool b = an();
      if (gp()) {
        for (size_t k = 0; k < 5; ++k)
          for (const auto& [idx, v] : c.rows("onu_ani", k)) {
            OnuData* o = onu(idx, false);
            auto n = num(v);
            if (!o || !n) continue;
            o->has_optics = true;
            if (k == 0) o->rx_dbm = zte::onuOpticalDbm(*n);
            if (k == 1) o->tx_dbm = zte::onuOpticalDbm(*n);
            if (*n >= 65535) continue;
            if (k == 2) o->voltage_v = static_cast<double>(*n) * 0.02;
            if (k == 3) o->bias_ma = static_cast<double>(*n) * 0.002;
            if (k == 4) o->temperature_c = static_cast<double>(static_cast<int16_t>(*n)) / 256.0;
          }
        out.has_pons = true;
        std::map<std::pair<uint32_t, uint32_t>, PonData> pons;
        for (size_t k = 0; k < 5; ++k)
          for (const auto& [idx, v] : c.rows("pon_optics", k)) {
            if (idx.empty()) continue;
            auto sp = zte::decodeA(idx[0]);
            auto n = num(v);
            if (!sp || !n) continue;
            auto& p = pons[{sp->slot, sp->port}];
            p.slot = sp->slot;
            p.port = sp->port;
            if (*n == 0x7fffffff) continue;
            const double x = static_cast<double>(*n);
            if (k == 0) p.temperature_c = x / 256.0;
            if (k == 1) p.voltage_v = x / 1000.0;
            if (k == 2) p.bias_ma = x / 1000.0;
            if (k == 3) p.tx_dbm = plausibleDbm(x / 1000.0);
            if (k == 4) p.rx_dbm = plausibleDbm(x / 1000.0);
          }
        for (auto& [k, p] : pons)
          out.pons.push_back(std::move(p));
      } else {
        for (const auto& [idx, v] : c.rows("onu_rx", 0)) {
          OnuData* o = onu(idx, true);
          auto n = num(v);
          if (!o || !n) continue;
          o->has_optics = true;
          o->rx_dbm = zte::onuOpticalDbm(*n);
        }
      }
      for (const auto& [idx, v] : c.rows("olt_rx", 0)) {
        OnuData* o = onu(idx, b);
        auto n = num(v);
        if (!o || !n) continue;
        o->has_optics = true;
        o->olt_rx_dbm = zte::oltRxDbm(*n);
      }
      for (auto& [k, o] : onus)
        out.onus.push_back(std::move(o));
      break;
    }
    case DataClass::Traffic: {
      out.has_onus = true;
      for (size_t k = 0; k < 4; ++k)
        for (const auto& [idx, v] : c.rows("onu_perf", k)) {
          OnuData* o = onu(idx, true);
          if (!o) continue;
          auto n = v.asU64();
          o->counter_bits = v.counterBits() ? v.counterBits() : 64;
          // ZTE counts from the OLT's side: Rx is what the OLT received (upstream).
          if (k == 0) o->up_octets = n;
          if (k == 1) o->down_octets = n;
          if (k == 2) o->up_errors = n;
          if (k == 3) o->down_errors = n;
        }
      for (auto& [k, o] : onus)
        out.onus.push_back(std::move(o));
      out.has_pons = true;
      std::map<uint32_t, PonData> ports;
      std::map<uint32_t, zte::SlotPort> names;
      for (const auto& [idx, v] : c.rows("port_traffic", 0))
        if (idx.size() == 1)
          if (auto sp = zte::parsePonIfName(text(v))) names[idx[0]] = *sp;
      // Columns 3/4 (32-bit) first, so 1/2 (64-bit) win where both exist.
      for (size_t k : {3u, 4u, 1u, 2u})
        for (const auto& [idx, v] : c.rows("port_traffic", k)) {
          if (idx.size() != 1) continue;
          auto it = names.find(idx[0]);
          if (it == names.end()) continue;
          auto& p = ports[idx[0]];
          p.slot = it->second.slot;
          p.port = it->second.port;
          p.counter_bits = v.counterBits() ? v.counterBits() : 64;
          if (k == 1 || k == 3) p.up_octets = v.asU64();
          if (k == 2 || k == 4) p.down_octets = v.asU64();
        }
      for (auto& [k, p] : ports)
        out.pons.push_back(std::move(p));
      break;
    }
    }
  }

  std::optional<std::vector<snmp::VarBind>> write(const WriteRequest& w,
                                                  std::string* why) const override {
    const auto str = table::stringBind;
    const auto integer = table::integerBind;
    const Oid a_idx = {zte::indexA(w.slot, w.port), w.onu};
    const Oid b_idx = {zte::indexB(w.slot, w.port), w.onu};
    if (w.op == "rename") {
      if (gp())
        return std::vector<snmp::VarBind>{str(snmp::concat(col(kGpOnuInfo, 2), a_idx), w.name)};
      return std::vector<snmp::VarBind>{str(snmp::concat(col(kAnOnuInfo, 2), b_idx), w.name)};
    }
    if (!gp()) {
      *why = "this ZTE firmware (C600 / .1082 tree only) has no SNMP RowStatus for ONUs: use the "
             "OLT's CLI";
      return std::nullopt;
    }
    const Oid status = snmp::concat(col(kGpOnuInfo, 9), a_idx);
    if (w.op == "delete") return std::vector<snmp::VarBind>{integer(status, 6)}; // destroy
    if (w.op == "create") {
      // The provisioned serial is 4 ASCII vendor bytes + 4 binary bytes.
      if (w.serial.size() != 12) {
        *why = "serial must be 4 letters and 8 hex digits (e.g. ZTEGC0FFEE01)";
        return std::nullopt;
      }
      std::string sn = w.serial.substr(0, 4);
      for (size_t i = 4; i < 12; i += 2)
        sn += static_cast<char>(std::stoi(w.serial.substr(i, 2), nullptr, 16));
      std::vector<snmp::VarBind> out;
      out.push_back(str(snmp::concat(col(kGpOnuInfo, 1), a_idx), w.type));
      out.push_back(str(snmp::concat(col(kGpOnuInfo, 5), a_idx), sn));
      if (!w.name.empty()) out.push_back(str(snmp::concat(col(kGpOnuInfo, 2), a_idx), w.name));
      out.push_back(integer(status, 4)); // createAndGo
      return out;
    }
    *why = "unknown operation " + w.op;
    return std::nullopt;
  }

private:
  static std::string offlineReason(int64_t code) {
    static const char* kReasons[] = {"",          "unknown",   "los",         "losi",
                                     "lofi",      "sfi",       "loai",        "loami",
                                     "auth_fail", "power_off", "deactivated", "deactivate_failed",
                                     "reboot",    "shutdown"};
    if (code >= 1 && code <= 13) return kReasons[code];
    return "unknown";
  }

  static void parsePorts(const Collected& c, Snapshot& out) {
    std::map<uint32_t, PonData> ports;
    for (const auto& [idx, v] : c.rows("ports", 0)) {
      if (idx.size() != 1) continue;
      auto sp = zte::parsePonIfName(text(v));
      if (!sp) continue;
      auto& p = ports[idx[0]];
      p.slot = sp->slot;
      p.port = sp->port;
      p.name = text(v);
      p.max_onus = 128;
    }
    for (size_t k = 1; k < 3; ++k)
      for (const auto& [idx, v] : c.rows("ports", k)) {
        if (idx.size() != 1) continue;
        auto it = ports.find(idx[0]);
        auto n = num(v);
        if (it == ports.end() || !n) continue;
        if (k == 1) it->second.admin_up = *n == 1;
        if (k == 2) it->second.oper_up = *n == 1;
      }
    for (auto& [k, p] : ports)
      out.pons.push_back(std::move(p));
  }

  static void parseEnvironment(const Collected& c, Snapshot& out) {
    // Index {rack}.{shelf}.{slot}.
    std::map<uint32_t, CardData> cards;
    static const char* kCardStatus[] = {"",
                                        "in_service",
                                        "not_in_service",
                                        "hw_online",
                                        "hw_offline",
                                        "configuring",
                                        "config_failed",
                                        "type_mismatch",
                                        "deactivated",
                                        "faulty",
                                        "invalid",
                                        "no_power"};
    for (size_t k = 0; k < 7; ++k)
      for (const auto& [idx, v] : c.rows("cards", k)) {
        if (idx.size() != 3) continue;
        auto& cd = cards[idx[2]];
        cd.slot = idx[2];
        auto n = num(v);
        if (k == 0) cd.type = text(v);
        if (k == 1 && n) {
          cd.status = *n >= 1 && *n <= 11 ? kCardStatus[*n] : "unknown";
          cd.in_service = *n == 1;
        }
        if (k == 2 && n) cd.ports = static_cast<uint32_t>(*n);
        if (k == 3 && n && *n >= 0 && *n <= 100) cd.cpu_pct = static_cast<double>(*n);
        if (k == 4 && n && *n >= 0 && *n <= 100) cd.mem_pct = static_cast<double>(*n);
        if (k == 5) cd.serial = text(v);
        if (k == 6) cd.firmware = text(v);
      }
    for (size_t k = 0; k < 2; ++k)
      for (const auto& [idx, v] : c.rows("card_env", k)) {
        if (idx.size() != 3) continue;
        auto it = cards.find(idx[2]);
        auto n = num(v);
        if (it == cards.end() || !n) continue;
        if (k == 0 && *n > -100 && *n < 200) it->second.temperature_c = static_cast<double>(*n);
        if (k == 1 && *n > 0) it->second.voltage_v = static_cast<double>(*n) / 1000.0;
      }
    for (auto& [k, cd] : cards)
      out.cards.push_back(std::move(cd));
    for (const auto& [idx, v] : c.rows("shelf_env", 0)) {
      auto n = num(v);
      if (n && out.system && *n > -100 && *n < 200)
        out.system->temperature_c = static_cast<double>(*n);
      break; // the first shelf
    }
    std::map<uint32_t, FanData> fans;
    for (size_t k = 0; k < 3; ++k)
      for (const auto& [idx, v] : c.rows("fans", k)) {
        if (idx.size() != 3) continue;
        auto& f = fans[idx[2]];
        f.index = idx[2];
        auto n = num(v);
        if (!n) continue;
        if (k == 0) f.status = *n == 1 ? "ok" : *n == 2 ? "failed" : "unknown";
        if (k == 1) f.present = *n == 1;
        if (k == 2 && *n >= 0) f.rpm = static_cast<uint32_t>(*n);
      }
    for (auto& [k, f] : fans)
      out.fans.push_back(std::move(f));
    std::map<uint32_t, PowerData> power;
    for (size_t k = 0; k < 4; ++k)
      for (const auto& [idx, v] : c.rows("power", k)) {
        if (idx.size() != 3) continue;
        auto& p = power[idx[2]];
        p.slot = idx[2];
        auto n = num(v);
        if (!n) continue;
        if (k == 2)
          p.status = *n == 1   ? "normal"
                     : *n == 2 ? "over"
                     : *n == 3 ? "under"
                     : *n == 4 ? "off"
                               : "unknown";
        if (k == 1 && *n > 0) p.voltage_v = static_cast<double>(*n);
        if (k == 3 && *n >= 0) p.current_a = static_cast<double>(*n);
      }
    for (auto& [k, p] : power) {
      if (p.status.empty()) p.status = "unknown";
      out.power.push_back(std::move(p));
    }
  }

  std::string variant_ = "1082+1012";
};

} // namespace

std::unique_ptr<Driver> makeZteDriver() {
  return std::make_unique<ZteDriver>();
}

} // namespace ispbox::olt
