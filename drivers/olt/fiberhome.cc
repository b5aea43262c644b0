// SPDX-License-Identifier: GPL-2.0-or-later
// The FiberHome AN5516 driver (olt-oids.md §4): ONUs from GEPON-OLT-COMMON-MIB
// (.5875.800.3), indexed by an ONU index whose bit layout differs between AN5516 and AN5116. The
// probe reads the first authorised ONU's explicit slot/PON/ONU columns and keeps the layout that
// decodes its index to them. Fans and power supplies from the .5875.800.3.60 alarm tables
// LibreNMS reads. No per-ONU or per-PON traffic: the MIB has no such counters.
#include "drivers/olt/fiberhome.h"

#include <map>
#include <tuple>

#include "drivers/olt/table_util.h"
#include "drivers/olt/vendors.h"

namespace ispbox::olt {
namespace fiberhome {

uint32_t onuIndex(Layout l, uint32_t slot, uint32_t pon, uint32_t onu) {
  if (l == Layout::An5516) return (slot & 0x3f) << 25 | (pon & 0x3f) << 19 | (onu & 0x7ff) << 8;
  return (slot & 0x1f) << 27 | (pon & 0x1f) << 22 | (onu & 0x1ff) << 13;
}

std::optional<Position> decode(Layout l, uint32_t v) {
  Position p;
  if (l == Layout::An5516) {
    if (v >> 31 || (v & 0xff) != 0) return std::nullopt;
    p = {(v >> 25) & 0x3f, (v >> 19) & 0x3f, (v >> 8) & 0x7ff};
  } else {
    if ((v & 0x1fff) != 0) return std::nullopt;
    p = {(v >> 27) & 0x1f, (v >> 22) & 0x1f, (v >> 13) & 0x1ff};
  }
  if (p.slot == 0 || p.pon == 0 || p.onu > 255) return std::nullopt;
  return p;
}

OnuPhase phase(int64_t status) {
  switch (status) {
  case 1:
    return OnuPhase::Working;
  case 0:
    return OnuPhase::Los;
  case 2:
    return OnuPhase::DyingGasp;
  case 3:
    return OnuPhase::Offline;
  default:
    return OnuPhase::Unknown;
  }
}

std::optional<double> opticalDbm(int64_t raw) {
  if (raw == 0 || raw == 2147483647 || raw == -2147483648LL) return std::nullopt;
  return plausibleDbm(static_cast<double>(raw) / 100.0);
}

} // namespace fiberhome

namespace {

using fiberhome::Layout;
using snmp::Oid;
using snmp::Value;
using table::col;
using table::cols;
using table::text;

Oid fh(std::initializer_list<uint32_t> tail) {
  Oid o{1, 3, 6, 1, 4, 1, 5875, 800, 3};
  o.insert(o.end(), tail);
  return o;
}

const Oid kAuthOnu = fh({10, 1, 1});     // authOnuListEntry {onuIndex}
const Oid kUnauthOnu = fh({11, 1, 1});   // unauthOnuListEntry
const Oid kOnuOptics = fh({9, 3, 3, 1}); // onuPonInfoEntry {onuIndex}
const Oid kOnuLength = fh({9, 6, 1, 1}); // onu2PonLengthEntry {onuIndex}
const Oid kOltPon = fh({9, 3, 4, 1});    // oltPonInfoEntry {ponIndex}
const Oid kOltRx = fh({9, 3, 7, 1});     // oltPonRxOpticalPowerEntry {ponIndex, onu}
const Oid kCard = fh({9, 2, 1, 1});      // cardInfoEntry {slot}
const Oid kMgrCard = fh({9, 8, 1, 1});   // mgrCardInfoEntry {slot}
const Oid kSysTemperature = fh({9, 4, 5, 0});
const Oid kFanAlarm = fh({60, 2, 1, 1});   // {slot}: 1 normal, 2 failed
const Oid kPowerAlarm = fh({60, 1, 1, 2}); // {slot}: 1 normal, 2 low voltage, 3 fault

using OnuKey = std::tuple<uint32_t, uint32_t, uint32_t>;

class FiberhomeDriver final : public Driver {
public:
  std::string vendor() const override { return "fiberhome"; }
  std::string variant() const override { return layout_ == Layout::An5516 ? "an5516" : "an5116"; }
  void setVariant(std::string_view v) override {
    if (v == "an5516") layout_ = Layout::An5516;
    if (v == "an5116") layout_ = Layout::An5116;
  }

  Plan probePlan() const override {
    Plan p;
    p.nexts = cols(kAuthOnu, {2, 3, 4});
    return p;
  }

  void applyProbe(const Collected& c) override {
    // The first authorised ONU: the same index under each column, with its slot, PON and id.
    std::optional<uint32_t> index;
    int64_t want[3] = {-1, -1, -1};
    for (size_t k = 0; k < c.nexts.size() && k < 3; ++k) {
      const auto& vb = c.nexts[k];
      const Oid column = col(kAuthOnu, static_cast<uint32_t>(k + 2));
      if (vb.value.exception() || !snmp::startsWith(vb.oid, column) ||
          vb.oid.size() != column.size() + 1)
        return; // no ONU yet: keep the AN5516 layout
      if (index && *index != vb.oid.back()) return;
      index = vb.oid.back();
      want[k] = vb.value.asInt().value_or(-1);
    }
    if (!index) return;
    for (Layout l : {Layout::An5516, Layout::An5116}) {
      auto p = fiberhome::decode(l, *index);
      if (p && p->slot == want[0] && p->pon == want[1] && p->onu == want[2]) {
        layout_ = l;
        return;
      }
    }
  }

  Plan plan(DataClass cls) const override {
    Plan p;
    switch (cls) {
    case DataClass::Inventory:
      p.gets = systemOids();
      p.walks.push_back({"onus", cols(kAuthOnu, {5, 7, 8, 10})});
      p.walks.push_back({"unauth", cols(kUnauthOnu, {2, 3, 4, 5, 7})});
      break;
    case DataClass::State:
      p.gets = systemOids();
      p.gets.push_back(kSysTemperature);
      // Same index (the ONU index) in both tables: one walk side by side.
      p.walks.push_back({"onu_state", {col(kAuthOnu, 11), col(kOnuLength, 1)}});
      p.walks.push_back({"pons", cols(kOltPon, {2, 4, 5})});
      p.walks.push_back({"cards", cols(kCard, {2, 4, 5, 6})});
      p.walks.push_back({"mgr_cards", cols(kMgrCard, {1, 3, 4, 5, 6})});
      p.walks.push_back({"fans", {kFanAlarm}});
      p.walks.push_back({"power", {kPowerAlarm}});
      break;
    case DataClass::Optics:
      p.walks.push_back({"onu_optics", cols(kOnuOptics, {6, 7, 8, 9, 10, 11})});
      p.walks.push_back({"olt_rx", cols(kOltRx, {2})});
      p.walks.push_back({"pon_optics", cols(kOltPon, {8, 9, 10, 11})});
      break;
    case DataClass::Traffic:
      break; // GEPON-OLT-COMMON-MIB has no ONU or PON octet counters
    }
    return p;
  }

  void parse(DataClass cls, const Collected& c, Snapshot& out) const override {
    out.cls = cls;
    std::map<OnuKey, OnuData> onus;
    auto onu = [&](uint32_t index, uint32_t onu_id) -> OnuData* {
      auto p = fiberhome::decode(layout_, index);
      if (!p) return nullptr;
      const uint32_t id = onu_id ? onu_id : p->onu;
      if (id == 0 || id > 255) return nullptr;
      auto& o = onus[{p->slot, p->pon, id}];
      o.slot = p->slot;
      o.port = p->pon;
      o.onu = id;
      return &o;
    };
    // Rows indexed by the ONU index alone.
    auto byIndex = [&](const Oid& idx) { return idx.size() == 1 ? onu(idx[0], 0) : nullptr; };
    auto flush = [&] {
      for (auto& [k, o] : onus)
        out.onus.push_back(std::move(o));
    };
    switch (cls) {
    case DataClass::Inventory: {
      out.system = parseSystem(c);
      out.has_onus = out.has_unconfigured = true;
      for (size_t k = 0; k < 4; ++k)
        for (const auto& [idx, v] : c.rows("onus", k)) {
          OnuData* o = byIndex(idx);
          if (!o) continue;
          if (k == 0)
            if (auto n = v.asInt()) o->type = std::to_string(*n);
          if (k == 1) o->name = text(v);
          if (k == 2 && !text(v).empty()) o->serial = renderSerial(v.s, false);
          // MAC-authenticated ONUs have no SN/LOID: their MAC stands in.
          if (k == 3 && !o->serial && !text(v).empty()) o->serial = renderSerial(v.s, false);
        }
      for (auto& [k, o] : onus)
        if (o.name || o.serial || o.type) out.onus.push_back(std::move(o));
      std::map<uint32_t, UnconfiguredOnuData> waiting;
      for (size_t k = 0; k < 5; ++k)
        for (const auto& [idx, v] : c.rows("unauth", k)) {
          if (idx.size() != 1) continue;
          auto& u = waiting[idx[0]];
          auto n = v.asInt();
          if (k == 0 && n && *n > 0) u.slot = static_cast<uint32_t>(*n);
          if (k == 1 && n && *n > 0) u.port = static_cast<uint32_t>(*n);
          if (k == 2 && n) u.type = std::to_string(*n);
          if (k == 3 && !text(v).empty()) u.serial = renderSerial(v.s, false);
          if (k == 4 && u.serial.empty() && !text(v).empty()) u.serial = renderSerial(v.s, false);
        }
      for (auto& [k, u] : waiting)
        if (!u.serial.empty() && u.slot && u.port) out.unconfigured.push_back(std::move(u));
      break;
    }
    case DataClass::State: {
      out.system = parseSystem(c);
      if (auto* t = c.get(kSysTemperature))
        if (auto n = t->asInt(); n && *n > -100 && *n < 200)
          out.system->temperature_c = static_cast<double>(*n);
      out.has_onus = out.has_pons = out.has_cards = out.has_fans = out.has_power = true;
      for (const auto& [idx, v] : c.rows("onu_state", 0)) {
        OnuData* o = byIndex(idx);
        auto n = v.asInt();
        if (!o || !n) continue;
        o->phase = fiberhome::phase(*n);
        if (!phaseOnline(*o->phase))
          o->offline_reason = *o->phase == OnuPhase::Los         ? "los"
                              : *o->phase == OnuPhase::DyingGasp ? "power_off"
                              : *o->phase == OnuPhase::Offline   ? "offline"
                                                                 : "unknown";
      }
      // "Zero if the ONU is offline": zero is no reading.
      for (const auto& [idx, v] : c.rows("onu_state", 1))
        if (OnuData* o = byIndex(idx))
          if (auto n = v.asInt(); n && *n > 0 && *n < 100000) o->distance_m = *n;
      flush();
      std::map<uint32_t, PonData> pons;
      for (size_t k = 0; k < 3; ++k)
        for (const auto& [idx, v] : c.rows("pons", k)) {
          PonData* p = pon(pons, idx);
          auto n = v.asInt();
          if (!p) continue;
          if (k == 0) p->name = text(v);
          if (k == 1 && n) p->admin_up = *n == 1;
          if (k == 2 && n) p->oper_up = *n == 1;
        }
      for (auto& [k, p] : pons)
        out.pons.push_back(std::move(p));
      parseChassis(c, out);
      break;
    }
    case DataClass::Optics: {
      out.has_onus = out.has_pons = true;
      std::map<OnuKey, bool> valid;
      for (const auto& [idx, v] : c.rows("onu_optics", 5))
        if (OnuData* o = byIndex(idx)) valid[{o->slot, o->port, o->onu}] = v.asInt() != 2;
      for (size_t k = 0; k < 5; ++k)
        for (const auto& [idx, v] : c.rows("onu_optics", k)) {
          OnuData* o = byIndex(idx);
          auto n = v.asInt();
          if (!o || !n) continue;
          o->has_optics = true;
          auto it = valid.find({o->slot, o->port, o->onu});
          if (it != valid.end() && !it->second) continue; // onuPonIsOpticalPowerValid: no
          const double x = static_cast<double>(*n);
          if (k == 0) o->rx_dbm = fiberhome::opticalDbm(*n);
          if (k == 1) o->tx_dbm = fiberhome::opticalDbm(*n);
          if (*n <= 0) continue;
          if (k == 2) o->voltage_v = x / 100.0;
          if (k == 3) o->bias_ma = x / 100.0;
          if (k == 4 && x / 100.0 < 200.0) o->temperature_c = x / 100.0;
        }
      for (const auto& [idx, v] : c.rows("olt_rx", 0)) {
        if (idx.size() != 2) continue;
        OnuData* o = onu(idx[0], idx[1]);
        auto n = v.asInt();
        if (!o || !n) continue;
        o->has_optics = true;
        o->olt_rx_dbm = fiberhome::opticalDbm(*n);
      }
      flush();
      std::map<uint32_t, PonData> pons;
      for (size_t k = 0; k < 4; ++k)
        for (const auto& [idx, v] : c.rows("pon_optics", k)) {
          PonData* p = pon(pons, idx);
          auto n = v.asInt();
          if (!p || !n) continue;
          const double x = static_cast<double>(*n);
          if (k == 0) p->tx_dbm = fiberhome::opticalDbm(*n);
          if (*n <= 0) continue;
          if (k == 1) p->voltage_v = x / 100.0;
          if (k == 2) p->bias_ma = x / 100.0;
          if (k == 3 && x / 100.0 < 200.0) p->temperature_c = x / 100.0;
        }
      for (auto& [k, p] : pons)
        out.pons.push_back(std::move(p));
      break;
    }
    case DataClass::Traffic:
      break;
    }
  }

  std::optional<std::vector<snmp::VarBind>> write(const WriteRequest& w,
                                                  std::string* why) const override {
    *why = "FiberHome's GEPON-OLT-COMMON-MIB has the ONU name read-only (authOnuListName) and "
           "authorises ONUs through white-list rows whose ids it does not let a client "
           "allocate safely: " +
           w.op + " the ONU on the OLT's CLI or in ANM2000/UNM2000";
    return std::nullopt;
  }

private:
  // A PON port row: the ONU-index layout with ONU 0.
  PonData* pon(std::map<uint32_t, PonData>& pons, const Oid& idx) const {
    if (idx.size() != 1) return nullptr;
    auto p = fiberhome::decode(layout_, idx[0]);
    if (!p || p->onu != 0) return nullptr;
    auto& d = pons[idx[0]];
    d.slot = p->slot;
    d.port = p->pon;
    return &d;
  }

  static void parseChassis(const Collected& c, Snapshot& out) {
    std::map<uint32_t, CardData> cards;
    auto card = [&](const Oid& idx) -> CardData* {
      if (idx.size() != 1 || idx[0] == 0 || idx[0] > 255) return nullptr;
      auto& cd = cards[idx[0]];
      cd.slot = idx[0];
      return &cd;
    };
    // cardInfoTable: every card. cardStatus 1 normal, 0 communication interrupted.
    for (size_t k = 0; k < 4; ++k)
      for (const auto& [idx, v] : c.rows("cards", k)) {
        CardData* cd = card(idx);
        auto n = v.asInt();
        if (!cd) continue;
        if (k == 0 && n) cd->type = std::to_string(*n);
        if (k == 1) cd->firmware = text(v);
        if (k == 2 && n) {
          cd->in_service = *n == 1;
          cd->status = *n == 1 ? "in_service" : "communication_interrupted";
        }
        if (k == 3 && n && *n >= 0) cd->ports = static_cast<uint32_t>(*n);
      }
    // mgrCardInfoTable: the control cards, with CPU and memory in 0.01 %. A card that is not
    // working (status other than 1: the standby one) reports stale figures: none are kept (as
    // LibreNMS does). Its state is cardInfoTable's where that has the card.
    std::map<uint32_t, bool> working;
    for (const auto& [idx, v] : c.rows("mgr_cards", 2))
      if (CardData* cd = card(idx)) {
        working[cd->slot] = v.asInt() == 1;
        if (!cd->status.empty()) continue;
        cd->in_service = working[cd->slot];
        cd->status = cd->in_service ? "in_service" : "not_working";
      }
    for (size_t k : {0u, 1u, 3u, 4u})
      for (const auto& [idx, v] : c.rows("mgr_cards", k)) {
        CardData* cd = card(idx);
        auto n = v.asInt();
        if (!cd) continue;
        if (k == 0 && n && cd->type.empty()) cd->type = std::to_string(*n);
        if (k == 1 && cd->firmware.empty()) cd->firmware = text(v);
        if (!working[cd->slot] || !n || *n < 0 || *n > 10000) continue;
        if (k == 3) cd->cpu_pct = static_cast<double>(*n) / 100.0;
        if (k == 4) cd->mem_pct = static_cast<double>(*n) / 100.0;
      }
    for (auto& [k, cd] : cards) {
      if (cd.status.empty()) cd.status = "unknown";
      out.cards.push_back(std::move(cd));
    }
    for (const auto& [idx, v] : c.rows("fans", 0)) {
      if (idx.size() != 1) continue;
      FanData f;
      f.index = idx[0];
      auto n = v.asInt();
      f.status = n == 1 ? "ok" : n == 2 ? "failed" : "unknown";
      out.fans.push_back(std::move(f));
    }
    for (const auto& [idx, v] : c.rows("power", 0)) {
      if (idx.size() != 1) continue;
      PowerData p;
      p.slot = idx[0];
      auto n = v.asInt();
      p.status = n == 1 ? "normal" : n == 2 ? "under" : n == 3 ? "fault" : "unknown";
      out.power.push_back(std::move(p));
    }
  }

  Layout layout_ = Layout::An5516;
};

} // namespace

std::unique_ptr<Driver> makeFiberhomeDriver() {
  return std::make_unique<FiberhomeDriver>();
}

} // namespace ispbox::olt
