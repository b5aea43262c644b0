// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/olt/olt_store.h"

#include <map>
#include <set>

#include "store/logs.h"
#include "store/olt.h"

namespace ispbox::appliance {

namespace pb = store::pb;

uint64_t counterRate(uint64_t prev, uint64_t cur, unsigned bits, int64_t seconds) {
  if (seconds <= 0) return 0;
  uint64_t delta;
  if (cur >= prev) {
    delta = cur - prev;
  } else if (bits == 32 && prev <= 0xffffffffu) {
    delta = (uint64_t{1} << 32) - prev + cur; // wrapped once
  } else {
    delta = cur; // a 64-bit counter does not wrap in practice: it was reset
  }
  return delta * 8 / static_cast<uint64_t>(seconds);
}

namespace {

template <class T> void setOpt(const std::optional<T>& v, auto&& set, auto&& clear) {
  if (v)
    set(*v);
  else
    clear();
}

void fillStatusSystem(pb::OltStatus& st, const olt::SystemData& s) {
  st.set_sys_descr(s.descr);
  st.set_sys_object_id(s.object_id);
  st.set_sys_name(s.name);
  if (!s.model.empty()) st.set_model(s.model);
  if (s.uptime_ticks) st.set_uptime_ticks(*s.uptime_ticks);
  if (s.temperature_c) st.set_temperature_c(*s.temperature_c);
}

void recountPons(store::WriteTxn& txn, const std::string& olt, int64_t now) {
  std::map<std::pair<uint32_t, uint32_t>, std::pair<uint32_t, uint32_t>> counts;
  store::forEachOnu(txn, olt, 0, 0, "", [&](std::string_view, const pb::Onu& o) {
    auto& c = counts[{o.slot(), o.port()}];
    ++c.first;
    c.second += o.online();
    return true;
  });
  std::vector<pb::PonPort> pons;
  store::forEachPon(txn, olt, [&](const pb::PonPort& p) {
    pons.push_back(p);
    return true;
  });
  std::set<std::pair<uint32_t, uint32_t>> known;
  for (auto& p : pons) {
    known.insert({p.slot(), p.port()});
    auto it = counts.find({p.slot(), p.port()});
    const uint32_t total = it == counts.end() ? 0 : it->second.first;
    const uint32_t online = it == counts.end() ? 0 : it->second.second;
    if (p.onus_total() != total || p.onus_online() != online) {
      p.set_onus_total(total);
      p.set_onus_online(online);
      store::putPon(txn, p);
    }
  }
  // ONUs on a port the port walk has not reported yet still get a port record.
  for (const auto& [sp, c] : counts) {
    if (known.count(sp)) continue;
    pb::PonPort p;
    p.set_olt(olt);
    p.set_slot(sp.first);
    p.set_port(sp.second);
    p.set_max_onus(128);
    p.set_onus_total(c.first);
    p.set_onus_online(c.second);
    p.set_updated_at(now);
    store::putPon(txn, p);
  }
}

} // namespace

MergeStats applySnapshot(store::WriteTxn& txn, const std::string& olt_id, const olt::Snapshot& snap,
                         int64_t now) {
  MergeStats stats;
  pb::OltStatus st = store::getOltStatus(txn, olt_id).value_or(pb::OltStatus{});
  st.set_id(olt_id);
  st.set_updated_at(now);
  if (snap.system) fillStatusSystem(st, *snap.system);
  if (snap.has_cards) {
    st.clear_cards();
    for (const auto& c : snap.cards) {
      auto* o = st.add_cards();
      o->set_slot(c.slot);
      o->set_type(c.type);
      o->set_status(c.status);
      o->set_serial(c.serial);
      o->set_firmware(c.firmware);
      o->set_ports(c.ports.value_or(0));
      if (c.cpu_pct) o->set_cpu_pct(*c.cpu_pct);
      if (c.mem_pct) o->set_mem_pct(*c.mem_pct);
      if (c.temperature_c) o->set_temperature_c(*c.temperature_c);
      if (c.voltage_v) o->set_voltage_v(*c.voltage_v);
    }
  }
  if (snap.has_fans) {
    st.clear_fans();
    for (const auto& f : snap.fans) {
      auto* o = st.add_fans();
      o->set_index(f.index);
      o->set_status(f.status);
      o->set_present(f.present.value_or(true));
      if (f.rpm) o->set_rpm(*f.rpm);
    }
  }
  if (snap.has_power) {
    st.clear_power();
    for (const auto& p : snap.power) {
      auto* o = st.add_power();
      o->set_slot(p.slot);
      o->set_status(p.status);
      if (p.voltage_v) o->set_voltage_v(*p.voltage_v);
      if (p.current_a) o->set_current_a(*p.current_a);
    }
  }
  store::putOltStatus(txn, st);

  if (snap.has_pons) {
    for (const auto& p : snap.pons) {
      pb::PonPort r = store::getPon(txn, olt_id, p.slot, p.port).value_or(pb::PonPort{});
      r.set_olt(olt_id);
      r.set_slot(p.slot);
      r.set_port(p.port);
      if (r.max_onus() == 0) r.set_max_onus(128);
      if (p.name) r.set_name(*p.name);
      if (p.admin_up) r.set_admin_up(*p.admin_up);
      if (p.oper_up) r.set_oper_up(*p.oper_up);
      if (p.max_onus) r.set_max_onus(*p.max_onus);
      if (snap.cls == olt::DataClass::Optics) {
        setOpt(
            p.tx_dbm, [&](double v) { r.set_tx_dbm(v); }, [&] { r.clear_tx_dbm(); });
        setOpt(
            p.rx_dbm, [&](double v) { r.set_rx_dbm(v); }, [&] { r.clear_rx_dbm(); });
        setOpt(
            p.temperature_c, [&](double v) { r.set_temperature_c(v); },
            [&] { r.clear_temperature_c(); });
        setOpt(
            p.voltage_v, [&](double v) { r.set_voltage_v(v); }, [&] { r.clear_voltage_v(); });
        setOpt(
            p.bias_ma, [&](double v) { r.set_bias_ma(v); }, [&] { r.clear_bias_ma(); });
      }
      if (p.up_octets && p.down_octets) {
        if (r.counters_at() > 0) {
          const int64_t dt = now - r.counters_at();
          r.set_up_bps(counterRate(r.up_octets(), *p.up_octets, p.counter_bits, dt));
          r.set_down_bps(counterRate(r.down_octets(), *p.down_octets, p.counter_bits, dt));
        }
        r.set_up_octets(*p.up_octets);
        r.set_down_octets(*p.down_octets);
        r.set_counter_bits(p.counter_bits);
        r.set_counters_at(now);
      }
      r.set_updated_at(now);
      store::putPon(txn, r);
    }
  }

  if (snap.has_onus) {
    std::set<std::string> seen;
    for (const auto& o : snap.onus) {
      const std::string key = store::onuKey(olt_id, o.slot, o.port, o.onu);
      seen.insert(key);
      auto before = store::getOnu(txn, key);
      if (!before && snap.cls != olt::DataClass::Inventory) continue; // not inventoried yet
      pb::Onu r = before.value_or(pb::Onu{});
      r.set_olt(olt_id);
      r.set_slot(o.slot);
      r.set_port(o.port);
      r.set_onu_id(o.onu);
      if (!before) {
        r.set_first_seen(now);
        r.set_phase("unknown");
        ++stats.onus_added;
      }
      switch (snap.cls) {
      case olt::DataClass::Inventory:
        if (o.name) r.set_name(*o.name);
        if (o.description) r.set_description(*o.description);
        if (o.serial) r.set_serial(*o.serial);
        if (o.type) r.set_type(*o.type);
        if (o.model) r.set_model(*o.model);
        if (o.bandwidth_profile) r.set_bandwidth_profile(*o.bandwidth_profile);
        if (o.bandwidth_max_kbps) r.set_bandwidth_max_kbps(*o.bandwidth_max_kbps);
        if (o.bandwidth_assured_kbps) r.set_bandwidth_assured_kbps(*o.bandwidth_assured_kbps);
        break;
      case olt::DataClass::State: {
        if (o.admin_enabled) r.set_admin_enabled(*o.admin_enabled);
        if (o.phase) {
          const bool online = olt::phaseOnline(*o.phase);
          const std::string phase(olt::phaseName(*o.phase));
          if (phase != r.phase() || online != r.online()) {
            pb::OnuEvent e;
            e.set_at(now);
            e.set_phase(phase);
            e.set_online(online);
            e.set_reason(o.offline_reason.value_or(""));
            store::appendOnuEvent(txn, key, e);
            ++stats.events;
            r.set_state_changed_at(now);
          }
          r.set_phase(phase);
          r.set_online(online);
          r.set_offline_reason(online ? "" : o.offline_reason.value_or(""));
        }
        if (o.last_online) r.set_last_online(*o.last_online);
        if (o.last_offline) r.set_last_offline(*o.last_offline);
        if (o.distance_m)
          r.set_distance_m(*o.distance_m);
        else
          r.clear_distance_m();
        break;
      }
      case olt::DataClass::Optics: {
        setOpt(
            o.rx_dbm, [&](double v) { r.set_rx_dbm(v); }, [&] { r.clear_rx_dbm(); });
        setOpt(
            o.tx_dbm, [&](double v) { r.set_tx_dbm(v); }, [&] { r.clear_tx_dbm(); });
        setOpt(
            o.olt_rx_dbm, [&](double v) { r.set_olt_rx_dbm(v); }, [&] { r.clear_olt_rx_dbm(); });
        setOpt(
            o.temperature_c, [&](double v) { r.set_temperature_c(v); },
            [&] { r.clear_temperature_c(); });
        setOpt(
            o.voltage_v, [&](double v) { r.set_voltage_v(v); }, [&] { r.clear_voltage_v(); });
        setOpt(
            o.bias_ma, [&](double v) { r.set_bias_ma(v); }, [&] { r.clear_bias_ma(); });
        r.set_optics_at(now);
        if (o.rx_dbm || o.tx_dbm || o.olt_rx_dbm) {
          pb::OnuSample s;
          s.set_at(now);
          s.set_samples(1);
          if (o.rx_dbm) s.set_rx_dbm(*o.rx_dbm);
          if (o.tx_dbm) s.set_tx_dbm(*o.tx_dbm);
          if (o.olt_rx_dbm) s.set_olt_rx_dbm(*o.olt_rx_dbm);
          store::appendOnuSample(txn, key, s);
          ++stats.samples;
        }
        break;
      }
      case olt::DataClass::Traffic:
        if (o.up_octets && o.down_octets) {
          if (r.counters_at() > 0) {
            const int64_t dt = now - r.counters_at();
            r.set_up_bps(counterRate(r.up_octets(), *o.up_octets, o.counter_bits, dt));
            r.set_down_bps(counterRate(r.down_octets(), *o.down_octets, o.counter_bits, dt));
          }
          r.set_up_octets(*o.up_octets);
          r.set_down_octets(*o.down_octets);
          r.set_counter_bits(o.counter_bits);
          r.set_counters_at(now);
        }
        if (o.up_errors) r.set_up_errors(*o.up_errors);
        if (o.down_errors) r.set_down_errors(*o.down_errors);
        break;
      }
      r.set_updated_at(now);
      store::putOnu(txn, r, before ? &*before : nullptr);
      if (!before) store::recordChange(txn, pb::ONU, key, pb::PUT);
      ++stats.onus_updated;
    }
    if (snap.cls == olt::DataClass::Inventory) {
      // ONUs the OLT no longer has configured are removed (with their history).
      std::vector<std::string> gone;
      store::forEachOnu(txn, olt_id, 0, 0, "", [&](std::string_view key, const pb::Onu&) {
        if (!seen.count(std::string(key))) gone.emplace_back(key);
        return true;
      });
      for (const auto& k : gone) {
        store::deleteOnu(txn, k);
        store::recordChange(txn, pb::ONU, k, pb::DELETE);
        ++stats.onus_removed;
      }
    }
  }
  if (snap.has_unconfigured) {
    std::vector<pb::UnconfiguredOnu> waiting;
    for (const auto& u : snap.unconfigured) {
      pb::UnconfiguredOnu x;
      x.set_slot(u.slot);
      x.set_port(u.port);
      x.set_serial(u.serial);
      x.set_type(u.type);
      waiting.push_back(std::move(x));
    }
    store::replaceUnconfigured(txn, olt_id, waiting, now);
  }
  if (snap.has_onus || snap.has_pons) recountPons(txn, olt_id, now);
  return stats;
}

} // namespace ispbox::appliance
