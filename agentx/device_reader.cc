// SPDX-License-Identifier: GPL-2.0-or-later
#include "agentx/device_reader.h"

#include <climits>
#include <cmath>
#include <functional>

#include "common/log.h"
#include "drivers/olt/pon_index.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/olt.h"

namespace ispbox::agentx {
namespace {

namespace pb = store::pb;

// Change entries handled per poll; more wait for the next poll (the agent answers in between).
constexpr size_t kMaxChangesPerPoll = 50000;

size_t hashOf(std::string_view bytes) {
  return std::hash<std::string_view>{}(bytes);
}

Reachability nasReachability(pb::NasReachability s) {
  switch (s) {
  case pb::NAS_REACHABLE:
    return Reachability::Reachable;
  case pb::NAS_UNREACHABLE:
    return Reachability::Unreachable;
  default:
    return Reachability::Unknown;
  }
}

} // namespace

OnuState onuState(const pb::Onu& onu) {
  if (onu.online()) return OnuState::Online;
  const std::string& p = onu.phase();
  if (p == "los") return OnuState::Los;
  if (p == "dying_gasp") return OnuState::DyingGasp;
  if (p.empty() || p == "unknown") return OnuState::Unknown;
  return OnuState::Offline; // offline, auth_failed, and registering (logging, sync_mib)
}

int32_t hundredthsDbm(bool has, double dbm) {
  if (!has || !std::isfinite(dbm)) return kNoReading;
  const double v = std::round(dbm * 100.0);
  if (v <= static_cast<double>(INT32_MIN) || v > static_cast<double>(INT32_MAX)) return kNoReading;
  return static_cast<int32_t>(v);
}

void StoreDeviceSource::readOlt(const store::ReadTxn& txn, const pb::Olt& olt,
                                DeviceSnapshot* out) {
  const auto st = store::getOltStatus(txn, olt.id());
  OltInfo info;
  info.index = olt.snmp_index();
  info.name = olt.id();
  info.address = olt.address();
  // The detected vendor, else the configured one ("auto" until the OLT is identified).
  info.vendor = st && !st->vendor().empty() ? st->vendor()
                : olt.vendor() == "auto"    ? std::string()
                                            : olt.vendor();
  info.model = st ? st->model() : std::string();
  // A disabled OLT is not polled: its last status says nothing about now.
  info.state = olt.disabled() || !st ? Reachability::Unknown
               : st->reachable()     ? Reachability::Reachable
                                     : Reachability::Unreachable;
  const uint32_t index = info.index;
  const std::string vendor = info.vendor;
  out->olts.push_back(std::move(info));

  store::forEachPon(txn, olt.id(), [&](const pb::PonPort& p) {
    PonInfo pi;
    pi.olt = index;
    pi.pon = olt::ponSnmpIndex(vendor, p.slot(), p.port());
    pi.name =
        p.name().empty() ? std::to_string(p.slot()) + "/" + std::to_string(p.port()) : p.name();
    // A port with no name was never in a port walk (made for ONUs seen before it): unknown.
    pi.state = p.oper_up() ? PonState::Up : !p.name().empty() ? PonState::Down : PonState::Unknown;
    out->pons.push_back(std::move(pi));
    return true;
  });
  store::forEachOnu(txn, olt.id(), 0, 0, "", [&](std::string_view, const pb::Onu& o) {
    OnuInfo oi;
    oi.olt = index;
    oi.pon = olt::ponSnmpIndex(vendor, o.slot(), o.port());
    oi.onu = o.onu_id();
    oi.serial = o.serial();
    oi.state = onuState(o);
    oi.rx_cdbm = hundredthsDbm(o.has_rx_dbm(), o.rx_dbm());
    oi.tx_cdbm = hundredthsDbm(o.has_tx_dbm(), o.tx_dbm());
    oi.olt_rx_cdbm = hundredthsDbm(o.has_olt_rx_dbm(), o.olt_rx_dbm());
    oi.distance_m =
        o.has_distance_m() && o.distance_m() > 0
            ? static_cast<uint32_t>(std::min<int64_t>(o.distance_m(), int64_t{UINT32_MAX}))
            : 0;
    oi.subscriber = o.subscriber();
    out->onus.push_back(std::move(oi));
    return true;
  });
}

void StoreDeviceSource::readNas(const store::ReadTxn& txn) {
  nas_.clear();
  store::forEachRecord<pb::NasStatus>(
      txn, store::Table::NasStatus, "", [&](std::string_view name, pb::NasStatus& s) {
        nas_.emplace_back(std::string(name), nasReachability(s.state()));
        return true;
      });
}

bool StoreDeviceSource::poll(DeviceSnapshot* out) {
  auto txn = env_.read();
  const size_t txn_id = mdb_txn_id(txn.raw());
  if (loaded_ && txn_id == txn_id_) return false;

  bool full = !loaded_, nas_changed = !loaded_;
  std::set<std::string> named; // OLTs the change log names (the OLT or one of its ONUs)
  if (full) {
    seq_ = store::latestChange(txn);
  } else {
    const auto batch = store::changesSince(txn, seq_, kMaxChangesPerPoll);
    if (batch.gap) {
      full = nas_changed = true;
      seq_ = batch.latest;
    } else {
      for (const auto& c : batch.changes) {
        seq_ = c.seq;
        const std::string& key = c.change.key();
        if (c.change.entity() == pb::OLT)
          named.insert(key);
        else if (c.change.entity() == pb::ONU)
          named.insert(key.substr(0, key.find('\0')));
        else if (c.change.entity() == pb::NAS_STATUS)
          nas_changed = true;
      }
    }
  }

  DeviceSnapshot snap;
  snap.full = full;
  std::set<uint32_t> replaced;
  std::map<std::string, Seen> seen;
  std::map<uint32_t, std::string> owner; // index -> OLT id, to refuse a number used twice
  std::set<uint32_t> read;               // OLTs whose rows are in the snapshot
  store::Cursor cur(txn, store::Table::Olts);
  for (bool ok = cur.first(); ok; ok = cur.next()) {
    const std::string id(cur.key());
    const auto olt = store::decode<pb::Olt>(cur.value(), "olt");
    Seen s;
    s.index = olt.snmp_index();
    s.olt_hash = hashOf(cur.value());
    const auto status = txn.get(store::Table::OltStatus, id);
    s.status_hash = status ? hashOf(*status) : 0;
    const auto prev = olts_.find(id);
    if (s.index == 0 || owner.count(s.index)) {
      // Written by an older ispboxd (no number yet), or a number another OLT holds.
      if (warned_.insert(id).second)
        ISPBOX_LOG(Warning, "AGENTX_KEY_UNSERVABLE")
            << "OLT '" << id << "' has "
            << (s.index == 0 ? "no SNMP number yet (saved by an older ispboxd; any update gives "
                               "it one)"
                             : "the SNMP number " + std::to_string(s.index) + " of OLT '" +
                                   owner[s.index] + "'")
            << ": not served";
      if (prev != olts_.end()) replaced.insert(prev->second.index);
      continue;
    }
    warned_.erase(id);
    owner[s.index] = id;
    const bool changed = full || prev == olts_.end() || named.count(id) ||
                         prev->second.olt_hash != s.olt_hash ||
                         prev->second.status_hash != s.status_hash;
    seen[id] = s;
    if (!changed) continue;
    if (prev != olts_.end() && prev->second.index != s.index) replaced.insert(prev->second.index);
    replaced.insert(s.index);
    read.insert(s.index);
    readOlt(txn, olt, &snap);
  }
  for (const auto& [id, s] : olts_)
    if (!seen.count(id)) replaced.insert(s.index); // deleted
  // A number replaced above that an unchanged OLT holds (it lost a clash): serve that OLT again.
  for (uint32_t index : replaced)
    if (!read.count(index) && owner.count(index))
      if (auto olt = store::getOlt(txn, owner[index])) readOlt(txn, *olt, &snap);
  olts_ = std::move(seen);
  if (nas_changed) readNas(txn);

  loaded_ = true;
  // Changes left for the next poll: make it look again even if the store does not move.
  txn_id_ = seq_ < store::latestChange(txn) ? 0 : txn_id;
  if (!full && replaced.empty() && !nas_changed) return false;
  snap.olts_replaced.assign(replaced.begin(), replaced.end());
  snap.nas_states = nas_;
  *out = std::move(snap);
  return true;
}

} // namespace ispbox::agentx
