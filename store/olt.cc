// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/olt.h"

#include <algorithm>
#include <map>

#include "store/logs.h"

namespace ispbox::store {

namespace {

std::string withTime(std::string_view key, int64_t at) {
  std::string k(key);
  k += encodeSeq(static_cast<uint64_t>(at));
  return k;
}

// Deletes every key of `table` that starts with `prefix`.
uint64_t erasePrefix(WriteTxn& txn, Table table, std::string_view prefix) {
  std::vector<std::string> keys;
  {
    Cursor cur(txn, table);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
      keys.emplace_back(cur.key());
  }
  for (const auto& k : keys)
    txn.erase(table, k);
  return keys.size();
}

} // namespace

std::string oltPrefix(std::string_view olt) {
  std::string k(olt);
  k.push_back('\0');
  return k;
}

std::string ponKey(std::string_view olt, uint32_t slot, uint32_t port) {
  std::string k = oltPrefix(olt);
  k.push_back(static_cast<char>(slot & 0xff));
  k.push_back(static_cast<char>(port & 0xff));
  return k;
}

std::string onuKey(std::string_view olt, uint32_t slot, uint32_t port, uint32_t onu) {
  std::string k = ponKey(olt, slot, port);
  k.push_back(static_cast<char>(onu & 0xff));
  return k;
}

std::optional<OnuPos> parseOnuKey(std::string_view key) {
  auto nul = key.find('\0');
  if (nul == std::string_view::npos || key.size() < nul + 4) return std::nullopt;
  OnuPos p;
  p.olt = std::string(key.substr(0, nul));
  p.slot = static_cast<unsigned char>(key[nul + 1]);
  p.port = static_cast<unsigned char>(key[nul + 2]);
  p.onu = static_cast<unsigned char>(key[nul + 3]);
  return p;
}

// ---- OLTs ----

std::optional<pb::Olt> getOlt(const ReadTxn& txn, std::string_view id) {
  auto v = txn.get(Table::Olts, id);
  if (!v) return std::nullopt;
  return decode<pb::Olt>(*v, "olt");
}

namespace {
constexpr std::string_view kOltIndexCounter = "olt_snmp_index";

uint32_t nextOltIndex(WriteTxn& txn) {
  const uint64_t n = txn.nextSequence(kOltIndexCounter);
  if (n > UINT32_MAX) throw StoreError(StoreError::Code::Conflict, "OLT numbers exhausted");
  return static_cast<uint32_t>(n);
}
} // namespace

void putOlt(WriteTxn& txn, pb::Olt& olt, bool create) {
  if (olt.snmp_index() == 0) {
    auto old = create ? std::nullopt : getOlt(txn, olt.id());
    olt.set_snmp_index(old && old->snmp_index() ? old->snmp_index() : nextOltIndex(txn));
  }
  if (create)
    txn.insert(Table::Olts, olt.id(), encode(olt));
  else
    txn.put(Table::Olts, olt.id(), encode(olt));
  recordChange(txn, pb::OLT, olt.id(), pb::PUT);
}

void numberOlts(WriteTxn& txn) {
  std::vector<pb::Olt> unnumbered;
  {
    Cursor cur(txn, Table::Olts);
    for (bool ok = cur.first(); ok; ok = cur.next()) {
      auto o = decode<pb::Olt>(cur.value(), "olt");
      if (o.snmp_index() == 0) unnumbered.push_back(std::move(o));
    }
  }
  for (auto& o : unnumbered) {
    o.set_snmp_index(nextOltIndex(txn));
    putOlt(txn, o, false);
  }
}

bool deleteOlt(WriteTxn& txn, std::string_view id) {
  if (!txn.erase(Table::Olts, id)) return false;
  txn.erase(Table::OltStatus, id);
  const std::string prefix = oltPrefix(id);
  // Serial index and subscriber links point at ONU keys: drop those first.
  {
    std::vector<std::pair<std::string, std::string>> serials_links;
    Cursor cur(txn, Table::Onus);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto onu = decode<pb::Onu>(cur.value(), "onu");
      serials_links.emplace_back(onu.serial(), onu.subscriber());
    }
    for (const auto& [serial, user] : serials_links) {
      if (!serial.empty()) {
        auto owner = txn.get(Table::OnusBySerial, serial);
        if (owner && owner->starts_with(prefix)) txn.erase(Table::OnusBySerial, serial);
      }
      if (!user.empty()) txn.erase(Table::OnuLinks, user);
    }
  }
  for (Table t :
       {Table::PonPorts, Table::Onus, Table::UnconfiguredOnus, Table::OnuHistory, Table::OnuEvents})
    erasePrefix(txn, t, prefix);
  recordChange(txn, pb::OLT, id, pb::DELETE);
  return true;
}

std::optional<pb::OltStatus> getOltStatus(const ReadTxn& txn, std::string_view id) {
  auto v = txn.get(Table::OltStatus, id);
  if (!v) return std::nullopt;
  return decode<pb::OltStatus>(*v, "olt status");
}

void putOltStatus(WriteTxn& txn, const pb::OltStatus& status) {
  txn.put(Table::OltStatus, status.id(), encode(status));
}

// ---- PON ports and ONUs ----

std::optional<pb::PonPort> getPon(const ReadTxn& txn, std::string_view olt, uint32_t slot,
                                  uint32_t port) {
  auto v = txn.get(Table::PonPorts, ponKey(olt, slot, port));
  if (!v) return std::nullopt;
  return decode<pb::PonPort>(*v, "pon port");
}

void putPon(WriteTxn& txn, const pb::PonPort& pon) {
  txn.put(Table::PonPorts, ponKey(pon.olt(), pon.slot(), pon.port()), encode(pon));
}

void forEachPon(const ReadTxn& txn, std::string_view olt,
                const std::function<bool(const pb::PonPort&)>& fn) {
  const std::string prefix = oltPrefix(olt);
  Cursor cur(txn, Table::PonPorts);
  pb::PonPort p;
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    if (!decodeInto(cur.value(), &p)) throw StoreError(StoreError::Code::Corrupt, "pon port");
    if (!fn(p)) break;
  }
}

std::optional<pb::Onu> getOnu(const ReadTxn& txn, std::string_view key) {
  auto v = txn.get(Table::Onus, key);
  if (!v) return std::nullopt;
  return decode<pb::Onu>(*v, "onu");
}

std::optional<std::string> onuKeyBySerial(const ReadTxn& txn, std::string_view serial) {
  auto v = txn.get(Table::OnusBySerial, serial);
  if (!v) return std::nullopt;
  return std::string(*v);
}

void putOnu(WriteTxn& txn, const pb::Onu& onu, const pb::Onu* before) {
  const std::string key = onuKey(onu.olt(), onu.slot(), onu.port(), onu.onu_id());
  if (before && before->serial() != onu.serial() && !before->serial().empty()) {
    auto owner = txn.get(Table::OnusBySerial, before->serial());
    if (owner && *owner == key) txn.erase(Table::OnusBySerial, before->serial());
  }
  if (!onu.serial().empty()) txn.put(Table::OnusBySerial, onu.serial(), key);
  txn.put(Table::Onus, key, encode(onu));
}

bool deleteOnu(WriteTxn& txn, std::string_view key) {
  auto onu = getOnu(txn, key);
  if (!onu) return false;
  if (!onu->serial().empty()) {
    auto owner = txn.get(Table::OnusBySerial, onu->serial());
    if (owner && *owner == key) txn.erase(Table::OnusBySerial, onu->serial());
  }
  if (!onu->subscriber().empty()) txn.erase(Table::OnuLinks, onu->subscriber());
  txn.erase(Table::Onus, key);
  erasePrefix(txn, Table::OnuHistory, key);
  erasePrefix(txn, Table::OnuEvents, key);
  return true;
}

void forEachOnu(const ReadTxn& txn, std::string_view olt, uint32_t slot, uint32_t port,
                std::string_view after,
                const std::function<bool(std::string_view key, const pb::Onu&)>& fn) {
  const std::string prefix = slot && port ? ponKey(olt, slot, port) : oltPrefix(olt);
  Cursor cur(txn, Table::Onus);
  pb::Onu o;
  bool ok =
      after.empty() || after < std::string_view(prefix) ? cur.seek(prefix) : cur.seekAfter(after);
  for (; ok && cur.key().starts_with(prefix); ok = cur.next()) {
    if (!decodeInto(cur.value(), &o)) throw StoreError(StoreError::Code::Corrupt, "onu");
    if (!fn(cur.key(), o)) break;
  }
}

void replaceUnconfigured(WriteTxn& txn, std::string_view olt,
                         const std::vector<pb::UnconfiguredOnu>& now_waiting, int64_t now) {
  const std::string prefix = oltPrefix(olt);
  std::map<std::string, pb::UnconfiguredOnu> old;
  {
    Cursor cur(txn, Table::UnconfiguredOnus);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
      old.emplace(std::string(cur.key()), decode<pb::UnconfiguredOnu>(cur.value(), "unconf"));
  }
  std::map<std::string, pb::UnconfiguredOnu> next;
  for (auto u : now_waiting) {
    std::string key = ponKey(olt, u.slot(), u.port());
    key.push_back('\0');
    key += u.serial();
    auto it = old.find(key);
    u.set_olt(std::string(olt));
    u.set_first_seen(it != old.end() ? it->second.first_seen() : now);
    u.set_last_seen(now);
    next[key] = u;
  }
  for (const auto& [k, v] : old)
    if (!next.count(k)) txn.erase(Table::UnconfiguredOnus, k);
  for (const auto& [k, v] : next)
    txn.put(Table::UnconfiguredOnus, k, encode(v));
}

std::vector<pb::UnconfiguredOnu> listUnconfigured(const ReadTxn& txn, std::string_view olt) {
  std::vector<pb::UnconfiguredOnu> out;
  const std::string prefix = oltPrefix(olt);
  Cursor cur(txn, Table::UnconfiguredOnus);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
    out.push_back(decode<pb::UnconfiguredOnu>(cur.value(), "unconfigured onu"));
  return out;
}

// ---- history ----

void appendOnuSample(WriteTxn& txn, std::string_view onu_key, const pb::OnuSample& s) {
  txn.put(Table::OnuHistory, withTime(onu_key, s.at()), encode(s));
}

void appendOnuEvent(WriteTxn& txn, std::string_view onu_key, const pb::OnuEvent& e) {
  txn.put(Table::OnuEvents, withTime(onu_key, e.at()), encode(e));
}

namespace {
template <class Msg>
std::vector<Msg> range(const ReadTxn& txn, Table t, std::string_view key, int64_t from,
                       int64_t to) {
  std::vector<Msg> out;
  Cursor cur(txn, t);
  const std::string end = withTime(key, to);
  for (bool ok = cur.seek(withTime(key, std::max<int64_t>(from, 0)));
       ok && cur.key().size() == key.size() + 8 && cur.key().starts_with(key) && cur.key() < end;
       ok = cur.next())
    out.push_back(decode<Msg>(cur.value(), tableName(t)));
  return out;
}
} // namespace

std::vector<pb::OnuSample> onuSamples(const ReadTxn& txn, std::string_view onu_key, int64_t from,
                                      int64_t to) {
  return range<pb::OnuSample>(txn, Table::OnuHistory, onu_key, from, to);
}

std::vector<pb::OnuEvent> onuEvents(const ReadTxn& txn, std::string_view onu_key, int64_t from,
                                    int64_t to) {
  return range<pb::OnuEvent>(txn, Table::OnuEvents, onu_key, from, to);
}

std::optional<pb::OnuEvent> onuEventBefore(const ReadTxn& txn, std::string_view onu_key,
                                           int64_t at) {
  Cursor cur(txn, Table::OnuEvents);
  bool ok = cur.seek(withTime(onu_key, std::max<int64_t>(at, 0))) ? cur.prev() : cur.last();
  if (!ok || cur.key().size() != onu_key.size() + 8 || !cur.key().starts_with(onu_key))
    return std::nullopt;
  return decode<pb::OnuEvent>(cur.value(), "onu event");
}

std::optional<double> onuAvailability(const ReadTxn& txn, const pb::Onu& onu,
                                      std::string_view onu_key, int64_t from, int64_t to) {
  // Nothing is known before the ONU was first seen.
  from = std::max(from, onu.first_seen());
  if (to <= from) return std::nullopt;
  auto before = onuEventBefore(txn, onu_key, from);
  auto events = onuEvents(txn, onu_key, from, to);
  bool online;
  if (before) {
    online = before->online();
  } else if (!events.empty()) {
    online = !events.front().online(); // the first change tells what it was before
  } else {
    online = onu.online();
  }
  int64_t up = 0, t = from;
  for (const auto& e : events) {
    if (online) up += e.at() - t;
    t = e.at();
    online = e.online();
  }
  if (online) up += to - t;
  return static_cast<double>(up) / static_cast<double>(to - from);
}

HistoryCompaction compactHistory(WriteTxn& txn, int64_t now, int64_t raw_keep_s, int64_t keep_s,
                                 uint64_t budget) {
  HistoryCompaction out;
  const int64_t drop_before = now - keep_s, raw_before = now - raw_keep_s;
  struct Bucket {
    std::string onu;
    int64_t hour;
    std::vector<std::string> keys;
    double rx = 0, tx = 0, olt = 0, rx_min = 1e9;
    uint32_t nrx = 0, ntx = 0, nolt = 0, samples = 0;
  };
  std::vector<std::string> drop;
  std::vector<Bucket> buckets;
  uint64_t seen = 0;
  {
    Cursor cur(txn, Table::OnuHistory);
    for (bool ok = cur.first(); ok && seen < budget; ok = cur.next()) {
      ++seen;
      if (cur.key().size() < 9) continue;
      const std::string_view onu = cur.key().substr(0, cur.key().size() - 8);
      const auto at = static_cast<int64_t>(decodeSeq(cur.key().substr(cur.key().size() - 8)));
      if (at < drop_before) {
        drop.emplace_back(cur.key());
        continue;
      }
      if (at >= raw_before) continue;
      pb::OnuSample s;
      if (!decodeInto(cur.value(), &s) || s.samples() > 1) continue; // already hourly
      const int64_t hour = at - at % 3600;
      if (buckets.empty() || buckets.back().onu != onu || buckets.back().hour != hour)
        buckets.push_back(Bucket{std::string(onu), hour, {}});
      Bucket& b = buckets.back();
      b.keys.emplace_back(cur.key());
      ++b.samples;
      if (s.has_rx_dbm()) b.rx += s.rx_dbm(), ++b.nrx, b.rx_min = std::min(b.rx_min, s.rx_dbm());
      if (s.has_tx_dbm()) b.tx += s.tx_dbm(), ++b.ntx;
      if (s.has_olt_rx_dbm()) b.olt += s.olt_rx_dbm(), ++b.nolt;
    }
  }
  for (const auto& k : drop)
    txn.erase(Table::OnuHistory, k);
  out.dropped += drop.size();
  for (const auto& b : buckets) {
    if (b.samples < 2) continue;
    pb::OnuSample agg;
    agg.set_at(b.hour);
    agg.set_samples(b.samples);
    if (b.nrx) agg.set_rx_dbm(b.rx / b.nrx), agg.set_rx_min_dbm(b.rx_min);
    if (b.ntx) agg.set_tx_dbm(b.tx / b.ntx);
    if (b.nolt) agg.set_olt_rx_dbm(b.olt / b.nolt);
    for (const auto& k : b.keys)
      txn.erase(Table::OnuHistory, k);
    txn.put(Table::OnuHistory, withTime(b.onu, b.hour), encode(agg));
    out.aggregated += b.samples;
  }
  // Events past retention (the newest before the cut stays: it gives the state at the cut).
  std::vector<std::string> old_events;
  {
    Cursor cur(txn, Table::OnuEvents);
    std::string prev_onu;
    std::string prev_key;
    seen = 0;
    for (bool ok = cur.first(); ok && seen < budget; ok = cur.next()) {
      ++seen;
      if (cur.key().size() < 9) continue;
      const std::string onu(cur.key().substr(0, cur.key().size() - 8));
      const auto at = static_cast<int64_t>(decodeSeq(cur.key().substr(cur.key().size() - 8)));
      if (at >= drop_before) continue;
      if (onu == prev_onu && !prev_key.empty()) old_events.push_back(prev_key);
      prev_onu = onu;
      prev_key = std::string(cur.key());
    }
  }
  for (const auto& k : old_events)
    txn.erase(Table::OnuEvents, k);
  out.dropped += old_events.size();
  return out;
}

// ---- subscriber links ----

void linkOnu(WriteTxn& txn, std::string_view username, std::string_view key) {
  auto onu = getOnu(txn, key);
  if (!onu) throw StoreError(StoreError::Code::NotFound, "no such ONU");
  // The subscriber's previous ONU and the ONU's previous subscriber lose their links.
  if (auto prev = linkedOnuKey(txn, username); prev && *prev != key) {
    if (auto p = getOnu(txn, *prev)) {
      p->clear_subscriber();
      txn.put(Table::Onus, *prev, encode(*p));
    }
  }
  if (!onu->subscriber().empty() && onu->subscriber() != username)
    txn.erase(Table::OnuLinks, onu->subscriber());
  onu->set_subscriber(std::string(username));
  txn.put(Table::Onus, key, encode(*onu));
  txn.put(Table::OnuLinks, username, key);
  recordChange(txn, pb::ONU, key, pb::PUT);
}

bool unlinkOnu(WriteTxn& txn, std::string_view username) {
  auto key = linkedOnuKey(txn, username);
  if (!key) return false;
  if (auto onu = getOnu(txn, *key)) {
    onu->clear_subscriber();
    txn.put(Table::Onus, *key, encode(*onu));
  }
  txn.erase(Table::OnuLinks, username);
  recordChange(txn, pb::ONU, *key, pb::PUT);
  return true;
}

std::optional<std::string> linkedOnuKey(const ReadTxn& txn, std::string_view username) {
  auto v = txn.get(Table::OnuLinks, username);
  if (!v) return std::nullopt;
  return std::string(*v);
}

} // namespace ispbox::store
