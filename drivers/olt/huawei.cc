// SPDX-License-Identifier: GPL-2.0-or-later
// The Huawei SmartAX driver (olt-oids.md §3): ONTs from HUAWEI-XPON-MIB (.2011.6.128) indexed
// {GPON port ifIndex, ONT id}, boards from HUAWEI-DEVICE-MIB (.2011.6.3.3) and HWMUSA-DEV-MIB
// (.2011.2.6.7), PON ports from IF-MIB and the XPON port tables. One layout for every firmware
// seen, so there is no probe. GPON only: EPON boards (HUAWEI-EPON-MIB) are not read.
#include "drivers/olt/huawei.h"

#include <map>
#include <tuple>

#include "drivers/olt/table_util.h"
#include "drivers/olt/vendors.h"

namespace ispbox::olt {
namespace huawei {

std::optional<SlotPort> decodePonIfIndex(uint32_t v) {
  if (v < kGponIfIndexBase) return std::nullopt;
  const uint32_t d = v - kGponIfIndexBase;
  if ((d & 0xff) != 0 || (d >> 13) > 0x1f) return std::nullopt;
  return SlotPort{d >> 13, (d >> 8) & 0x1f};
}

bool noReading(int64_t raw) {
  return raw == 2147483647 || raw == -2147483648LL;
}

std::optional<double> opticalDbm(int64_t raw) {
  if (noReading(raw)) return std::nullopt;
  return plausibleDbm(static_cast<double>(raw) / 100.0);
}

std::optional<double> oltRxDbm(int64_t raw) {
  if (noReading(raw)) return std::nullopt;
  const double v = raw > 0 ? static_cast<double>(raw - 10000) : static_cast<double>(raw);
  return plausibleDbm(v / 100.0);
}

std::string downCause(int64_t code) {
  switch (code) {
  case 1:
    return "los";
  case 2:
    return "losi";
  case 3:
    return "lofi";
  case 4:
    return "sfi";
  case 5:
    return "loai";
  case 6:
    return "loami";
  case 7:
    return "deactivate_failed";
  case 8:
    return "deactivated";
  case 9:
    return "reboot";
  case 10:
    return "reregister";
  case 11:
    return "popup_failed";
  case 13:
    return "power_off"; // dying gasp
  case 15:
    return "loki";
  default:
    return "unknown";
  }
}

OnuPhase phase(int64_t run_status, std::optional<int64_t> down_cause) {
  if (run_status == 1) return OnuPhase::Working;
  if (run_status != 2) return OnuPhase::Unknown;
  if (down_cause && (*down_cause == 1 || *down_cause == 2)) return OnuPhase::Los;
  if (down_cause && *down_cause == 13) return OnuPhase::DyingGasp;
  return OnuPhase::Offline;
}

} // namespace huawei

namespace {

using snmp::Oid;
using snmp::Value;
using table::col;
using table::cols;
using table::kIfEntry;
using table::kIfXEntry;
using table::text;

Oid hw(std::initializer_list<uint32_t> tail) {
  Oid o{1, 3, 6, 1, 4, 1, 2011};
  o.insert(o.end(), tail);
  return o;
}

// Table entries (the column number follows).
const Oid kOntConfig = hw({6, 128, 1, 1, 2, 43, 1});   // SN, description, profiles, RowStatus
const Oid kOntVersion = hw({6, 128, 1, 1, 2, 45, 1});  // equipment id
const Oid kOntControl = hw({6, 128, 1, 1, 2, 46, 1});  // run status, ranging, up/down times
const Oid kOntAutofind = hw({6, 128, 1, 1, 2, 48, 1}); // ONTs waiting for "ont add"
const Oid kOntDdm = hw({6, 128, 1, 1, 2, 51, 1});      // ONT optics
const Oid kPonDdm = hw({6, 128, 1, 1, 2, 23, 1});      // PON port transceiver
const Oid kOntTraffic = hw({6, 128, 1, 1, 4, 23, 1});  // hwGponOntStatistic
const Oid kDbaProfile = hw({6, 128, 1, 1, 3, 21, 1});  // by profile name
const Oid kLineTcont = hw({6, 128, 1, 1, 3, 62, 1});   // line profile, T-CONT -> DBA profile
const Oid kSlot = hw({6, 3, 3, 2, 1});                 // hwSlotEntry {frame}.{slot}
const Oid kBoard = hw({2, 6, 7, 1, 1, 2, 1});          // hwMusaBoardEntry {frame}.{slot}

using OnuKey = std::tuple<uint32_t, uint32_t, uint32_t>;

// A string index: IMPLIED (the characters) or length-prefixed; both are seen for the same
// definition, so a leading sub-identifier equal to the count of the rest is taken as a length.
std::string indexName(const Oid& idx, size_t from, size_t to) {
  if (to > from + 1 && idx[from] == to - from - 1) ++from;
  std::string s;
  for (size_t i = from; i < to; ++i)
    if (idx[i] >= 0x20 && idx[i] < 0x7f) s += static_cast<char>(idx[i]);
  return s;
}

std::optional<double> boardTemperature(int64_t raw) {
  // 0x7FFFFFF (sic, in the MIB) and 0x7FFFFFFF both mean "invalid".
  if (raw == 0x7FFFFFF || raw == 0x7FFFFFFF || raw <= -100 || raw >= 200) return std::nullopt;
  return static_cast<double>(raw);
}

class HuaweiDriver final : public Driver {
public:
  std::string vendor() const override { return "huawei"; }
  std::string variant() const override { return "gpon"; }
  void setVariant(std::string_view) override {}
  uint32_t firstOnuId() const override { return 0; }
  Plan probePlan() const override { return {}; }
  void applyProbe(const Collected&) override {}

  Plan plan(DataClass cls) const override {
    Plan p;
    switch (cls) {
    case DataClass::Inventory:
      p.gets = systemOids();
      p.walks.push_back({"ont_config", cols(kOntConfig, {3, 9, 7})});
      p.walks.push_back({"ont_version", cols(kOntVersion, {4})});
      p.walks.push_back({"autofind", cols(kOntAutofind, {2, 7})});
      p.walks.push_back({"dba", cols(kDbaProfile, {4, 5})});
      p.walks.push_back({"line_tcont", cols(kLineTcont, {3})});
      break;
    case DataClass::State:
      p.gets = systemOids();
      p.walks.push_back({"ont_control", cols(kOntControl, {1, 15, 20, 22, 23, 24})});
      p.walks.push_back({"ports", {col(kIfXEntry, 1), col(kIfEntry, 7), col(kIfEntry, 8)}});
      p.walks.push_back({"slots", cols(kSlot, {8, 21, 11})});
      p.walks.push_back({"boards", cols(kBoard, {5, 6, 7, 10})});
      break;
    case DataClass::Optics:
      p.walks.push_back({"ont_ddm", cols(kOntDdm, {4, 3, 6, 1, 5, 2})});
      p.walks.push_back({"pon_ddm", cols(kPonDdm, {1, 2, 3, 4, 5})});
      break;
    case DataClass::Traffic:
      p.walks.push_back({"ont_traffic", cols(kOntTraffic, {3, 4})});
      p.walks.push_back(
          {"port_traffic",
           {col(kIfXEntry, 6), col(kIfXEntry, 10), col(kIfEntry, 10), col(kIfEntry, 16)}});
      break;
    }
    return p;
  }

  void parse(DataClass cls, const Collected& c, Snapshot& out) const override {
    out.cls = cls;
    std::map<OnuKey, OnuData> onus;
    // ONT rows are indexed {GPON port ifIndex}.{ONT id}.
    auto ont = [&](const Oid& idx) -> OnuData* {
      if (idx.size() != 2 || idx[1] > 255) return nullptr;
      auto sp = huawei::decodePonIfIndex(idx[0]);
      if (!sp) return nullptr;
      auto& o = onus[{sp->slot, sp->port, idx[1]}];
      o.slot = sp->slot;
      o.port = sp->port;
      o.onu = idx[1];
      return &o;
    };
    auto flush = [&] {
      for (auto& [k, o] : onus)
        out.onus.push_back(std::move(o));
    };
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      out.has_onus = out.has_unconfigured = true;
      std::map<OnuKey, std::string> line_profile;
      for (size_t k = 0; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("ont_config", k)) {
          OnuData* o = ont(idx);
          if (!o) continue;
          if (k == 0) o->serial = renderSerial(v.s, v.s.size() == 8);
          if (k == 1) o->name = text(v);
          if (k == 2) line_profile[{o->slot, o->port, o->onu}] = text(v);
        }
      for (const auto& [idx, v] : c.rows("ont_version", 0))
        if (OnuData* o = ont(idx)) o->type = o->model = text(v);
      applyBandwidth(c, line_profile, onus);
      // Only ONTs added on the OLT (a configuration row with a serial) are inventory.
      for (auto& [k, o] : onus)
        if (o.serial) out.onus.push_back(std::move(o));
      std::map<Oid, UnconfiguredOnuData> waiting;
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("autofind", k)) {
          auto sp = idx.size() == 2 ? huawei::decodePonIfIndex(idx[0]) : std::nullopt;
          if (!sp) continue;
          auto& u = waiting[idx];
          u.slot = sp->slot;
          u.port = sp->port;
          if (k == 0) u.serial = renderSerial(v.s, v.s.size() == 8);
          if (k == 1) u.type = text(v);
        }
      for (auto& [k, u] : waiting)
        if (!u.serial.empty()) out.unconfigured.push_back(std::move(u));
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      out.has_onus = out.has_pons = out.has_cards = true;
      std::map<OnuKey, std::pair<int64_t, std::optional<int64_t>>> status; // run, down cause
      constexpr size_t kAdmin = 0, kRun = 1, kRanging = 2, kUp = 3, kDown = 4, kCause = 5;
      for (size_t k = 0; k < 6; ++k)
        for (const auto& [idx, v] : c.rows("ont_control", k)) {
          OnuData* o = ont(idx);
          if (!o) continue;
          auto n = v.asInt();
          const OnuKey key{o->slot, o->port, o->onu};
          if (k == kAdmin && n && (*n == 1 || *n == 2)) o->admin_enabled = *n == 1;
          if (k == kRun && n) status[key].first = *n;
          if (k == kCause && n) status[key].second = *n;
          if (k == kRanging && n && *n > 0 && *n < 100000) o->distance_m = *n;
          if (k == kUp) o->last_online = parseDateTime(v.s);
          if (k == kDown) o->last_offline = parseDateTime(v.s);
        }
      for (const auto& [key, s] : status) {
        OnuData& o = onus[key];
        o.phase = huawei::phase(s.first, s.second);
        if (!phaseOnline(*o.phase))
          o.offline_reason = s.second ? huawei::downCause(*s.second) : "unknown";
      }
      flush();
      parsePorts(c, out);
      parseBoards(c, out);
      break;
    }
    case DataClass::Optics: {
      out.has_onus = out.has_pons = true;
      for (size_t k = 0; k < 6; ++k)
        for (const auto& [idx, v] : c.rows("ont_ddm", k)) {
          OnuData* o = ont(idx);
          auto n = v.asInt();
          if (!o || !n) continue;
          o->has_optics = true;
          if (k == 0) o->rx_dbm = huawei::opticalDbm(*n);
          if (k == 1) o->tx_dbm = huawei::opticalDbm(*n);
          if (k == 2) o->olt_rx_dbm = huawei::oltRxDbm(*n);
          if (huawei::noReading(*n)) continue;
          if (k == 3 && *n > -100 && *n < 200) o->temperature_c = static_cast<double>(*n);
          if (k == 4 && *n > 0) o->voltage_v = static_cast<double>(*n) / 1000.0;
          if (k == 5 && *n >= 0) o->bias_ma = static_cast<double>(*n);
        }
      flush();
      std::map<uint32_t, PonData> pons;
      for (size_t k = 0; k < 5; ++k)
        for (const auto& [idx, v] : c.rows("pon_ddm", k)) {
          PonData* p = pon(pons, idx);
          auto n = v.asInt();
          if (!p || !n || huawei::noReading(*n)) continue;
          const double x = static_cast<double>(*n);
          if (k == 0 && *n > -100 && *n < 200) p->temperature_c = x;
          if (k == 1 && *n > 0) p->voltage_v = x / 100.0;
          if (k == 2 && *n >= 0) p->bias_ma = x;
          if (k == 3) p->tx_dbm = huawei::opticalDbm(*n);
          if (k == 4) p->rx_dbm = huawei::opticalDbm(*n);
        }
      for (auto& [k, p] : pons)
        out.pons.push_back(std::move(p));
      break;
    }
    case DataClass::Traffic: {
      out.has_onus = out.has_pons = true;
      for (size_t k = 0; k < 2; ++k)
        for (const auto& [idx, v] : c.rows("ont_traffic", k)) {
          OnuData* o = ont(idx);
          if (!o) continue;
          o->counter_bits = v.counterBits() ? v.counterBits() : 64;
          if (k == 0) o->up_octets = v.asU64();
          if (k == 1) o->down_octets = v.asU64();
        }
      flush();
      std::map<uint32_t, PonData> pons;
      // 32-bit columns first, so the 64-bit ones win where both exist.
      for (size_t k : {2u, 3u, 0u, 1u})
        for (const auto& [idx, v] : c.rows("port_traffic", k)) {
          PonData* p = pon(pons, idx);
          if (!p) continue;
          p->counter_bits = v.counterBits() ? v.counterBits() : 64;
          // The OLT port receives upstream traffic.
          if (k == 0 || k == 2) p->up_octets = v.asU64();
          if (k == 1 || k == 3) p->down_octets = v.asU64();
        }
      for (auto& [k, p] : pons)
        out.pons.push_back(std::move(p));
      break;
    }
    }
  }

  std::optional<std::vector<snmp::VarBind>> write(const WriteRequest& w,
                                                  std::string* why) const override {
    if (w.slot > 0x1f || w.port > 0x1f || w.onu > 127) {
      *why = "Huawei GPON positions are slot 0-31, port 0-31, ONT 0-127";
      return std::nullopt;
    }
    const Oid idx = {huawei::ponIfIndex(w.slot, w.port), w.onu};
    if (w.op == "rename") // the ONT description is its name on Huawei
      return std::vector<snmp::VarBind>{
          table::stringBind(snmp::concat(col(kOntConfig, 9), idx), w.name)};
    if (w.op == "delete") // hwGponDeviceOntEntryStatus destroy(6) is "ont delete"
      return std::vector<snmp::VarBind>{
          table::integerBind(snmp::concat(col(kOntConfig, 10), idx), 6)};
    if (w.op == "create") {
      *why = "adding an ONT on Huawei needs its line and service profiles (ont add ... "
             "ont-lineprofile-id ... ont-srvprofile-id ...), which this API does not take: use "
             "the OLT's CLI";
      return std::nullopt;
    }
    *why = "unknown operation " + w.op;
    return std::nullopt;
  }

private:
  // A GPON port row (IF-MIB or XPON port table), keyed by its ifIndex.
  static PonData* pon(std::map<uint32_t, PonData>& pons, const Oid& idx) {
    if (idx.size() != 1) return nullptr;
    auto sp = huawei::decodePonIfIndex(idx[0]);
    if (!sp) return nullptr;
    auto& p = pons[idx[0]];
    p.slot = sp->slot;
    p.port = sp->port;
    return &p;
  }

  // DBA profile of each ONT: its line profile's first service T-CONT (T-CONT 0 carries OMCI).
  static void applyBandwidth(const Collected& c, const std::map<OnuKey, std::string>& line_profile,
                             std::map<OnuKey, OnuData>& onus) {
    std::map<std::string, std::pair<uint64_t, uint64_t>> dba; // assured, max kbit/s
    for (size_t k = 0; k < 2; ++k)
      for (const auto& [idx, v] : c.rows("dba", k)) {
        auto n = v.asInt();
        if (idx.empty() || !n || *n < 0) continue;
        auto& d = dba[indexName(idx, 0, idx.size())];
        (k == 0 ? d.first : d.second) = static_cast<uint64_t>(*n);
      }
    std::map<std::string, std::pair<uint32_t, std::string>> first_tcont; // line profile -> dba
    for (const auto& [idx, v] : c.rows("line_tcont", 0)) {
      if (idx.size() < 2) continue;
      const std::string line = indexName(idx, 0, idx.size() - 1);
      const uint32_t tcont = idx.back();
      auto it = first_tcont.find(line);
      const bool better = it == first_tcont.end() || (it->second.first == 0 && tcont > 0) ||
                          (tcont > 0 && tcont < it->second.first);
      if (better) first_tcont[line] = {tcont, text(v)};
    }
    for (const auto& [key, line] : line_profile) {
      auto t = first_tcont.find(line);
      if (t == first_tcont.end()) continue;
      auto d = dba.find(t->second.second);
      OnuData& o = onus[key];
      o.bandwidth_profile = t->second.second;
      if (d != dba.end()) {
        o.bandwidth_assured_kbps = d->second.first;
        o.bandwidth_max_kbps = d->second.second;
      }
    }
  }

  static void parsePorts(const Collected& c, Snapshot& out) {
    std::map<uint32_t, PonData> pons;
    for (size_t k = 0; k < 3; ++k)
      for (const auto& [idx, v] : c.rows("ports", k)) {
        PonData* p = pon(pons, idx);
        auto n = v.asInt();
        if (!p) continue;
        if (k == 0) p->name = text(v);
        if (k == 1 && n) p->admin_up = *n == 1;
        if (k == 2 && n) p->oper_up = *n == 1;
        p->max_onus = 128;
      }
    for (auto& [k, p] : pons)
      out.pons.push_back(std::move(p));
  }

  static void parseBoards(const Collected& c, Snapshot& out) {
    // hwSlotOperStatus; normal(2) is in service, null(1) an empty slot.
    static const char* kStatus[] = {"",
                                    "null",
                                    "in_service",
                                    "fault",
                                    "forbidden",
                                    "autofind",
                                    "config",
                                    "offline",
                                    "abnormal",
                                    "version_error",
                                    "autoload",
                                    "out_of_service",
                                    "graceful",
                                    "shutdown",
                                    "energy_saving_shutdown",
                                    "high_temperature_shutdown",
                                    "manual_shutdown",
                                    "mismatch",
                                    "ac_off_shutdown",
                                    "high_power_shutdown",
                                    "isolated"};
    std::map<uint32_t, CardData> cards;
    // Frame 0 only: slots of other frames would collide in the one slot number the store keeps.
    auto card = [&](const Oid& idx) -> CardData* {
      if (idx.size() != 2 || idx[0] != 0) return nullptr;
      auto& cd = cards[idx[1]];
      cd.slot = idx[1];
      return &cd;
    };
    for (size_t k = 0; k < 3; ++k)
      for (const auto& [idx, v] : c.rows("slots", k)) {
        CardData* cd = card(idx);
        auto n = v.asInt();
        if (!cd) continue;
        if (k == 0 && n) {
          cd->status = *n >= 1 && *n <= 20 ? kStatus[*n] : "unknown";
          cd->in_service = *n == 2;
        }
        if (k == 1) cd->type = text(v);
        if (k == 2) cd->serial = text(v);
      }
    for (size_t k = 0; k < 4; ++k)
      for (const auto& [idx, v] : c.rows("boards", k)) {
        CardData* cd = card(idx);
        auto n = v.asInt();
        if (!cd) continue;
        // -1: the board does not report it.
        if (k == 0 && n && *n >= 0 && *n <= 100) cd->cpu_pct = static_cast<double>(*n);
        if (k == 1 && n && *n >= 0 && *n <= 100) cd->mem_pct = static_cast<double>(*n);
        if (k == 2 && cd->type.empty()) cd->type = text(v);
        if (k == 3 && n) cd->temperature_c = boardTemperature(*n);
      }
    for (auto& [k, cd] : cards)
      if (cd.status != "null") out.cards.push_back(std::move(cd));
  }
};

} // namespace

std::unique_ptr<Driver> makeHuaweiDriver() {
  return std::make_unique<HuaweiDriver>();
}

} // namespace ispbox::olt
