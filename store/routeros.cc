// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/routeros.h"

#include "store/logs.h"

namespace ispbox::store {
namespace {

std::string sampleKey(std::string_view group, int64_t at_ms) {
  return joinKey(group, encodeSeq(static_cast<uint64_t>(at_ms)));
}
std::string samplePrefix(std::string_view group) {
  return std::string(group) + '\0';
}

} // namespace

std::optional<pb::InterfaceGroup> getInterfaceGroup(const ReadTxn& txn, std::string_view name) {
  auto v = txn.get(Table::RosInterfaceGroups, name);
  if (!v) return std::nullopt;
  return decode<pb::InterfaceGroup>(*v, "interface group");
}

void putInterfaceGroup(WriteTxn& txn, const pb::InterfaceGroup& group) {
  txn.put(Table::RosInterfaceGroups, group.name(), encode(group));
  recordChange(txn, pb::INTERFACE_GROUP, group.name(), pb::PUT);
}

bool deleteInterfaceGroup(WriteTxn& txn, std::string_view name) {
  if (!txn.erase(Table::RosInterfaceGroups, name)) return false;
  const std::string prefix = samplePrefix(name);
  std::vector<std::string> keys;
  {
    Cursor cur(txn, Table::RosInterfaceSamples);
    for (bool ok = cur.seek(prefix); ok && cur.key().substr(0, prefix.size()) == prefix;
         ok = cur.next())
      keys.emplace_back(cur.key());
  }
  for (const auto& k : keys)
    txn.erase(Table::RosInterfaceSamples, k);
  recordChange(txn, pb::INTERFACE_GROUP, name, pb::DELETE);
  return true;
}

std::vector<pb::InterfaceGroup> listInterfaceGroups(const ReadTxn& txn) {
  std::vector<pb::InterfaceGroup> out;
  Cursor cur(txn, Table::RosInterfaceGroups);
  for (bool ok = cur.first(); ok; ok = cur.next())
    out.push_back(decode<pb::InterfaceGroup>(cur.value(), "interface group"));
  return out;
}

void appendRateSample(WriteTxn& txn, std::string_view group, const pb::RateSample& sample,
                      size_t keep) {
  txn.put(Table::RosInterfaceSamples, sampleKey(group, sample.at_ms()), encode(sample));
  if (keep == 0) return;
  // Count from the newest back; everything past `keep` goes.
  const std::string prefix = samplePrefix(group);
  std::vector<std::string> old;
  {
    Cursor cur(txn, Table::RosInterfaceSamples);
    bool ok = cur.seek(prefix + std::string(8, '\xFF')) ? cur.prev() : cur.last();
    size_t seen = 0;
    for (; ok && cur.key().substr(0, prefix.size()) == prefix; ok = cur.prev())
      if (++seen > keep) old.emplace_back(cur.key());
  }
  for (const auto& k : old)
    txn.erase(Table::RosInterfaceSamples, k);
}

std::vector<pb::RateSample> listRateSamples(const ReadTxn& txn, std::string_view group,
                                            int64_t from_ms, int64_t to_ms, size_t limit,
                                            bool* more) {
  std::vector<pb::RateSample> out;
  *more = false;
  const std::string prefix = samplePrefix(group);
  Cursor cur(txn, Table::RosInterfaceSamples);
  for (bool ok = cur.seek(sampleKey(group, std::max<int64_t>(from_ms, 0)));
       ok && cur.key().substr(0, prefix.size()) == prefix; ok = cur.next()) {
    auto s = decode<pb::RateSample>(cur.value(), "rate sample");
    if (to_ms > 0 && s.at_ms() >= to_ms) break;
    if (out.size() == limit) {
      *more = true;
      break;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<pb::RateSample> latestRateSample(const ReadTxn& txn, std::string_view group) {
  const std::string prefix = samplePrefix(group);
  Cursor cur(txn, Table::RosInterfaceSamples);
  bool ok = cur.seek(prefix + std::string(8, '\xFF')) ? cur.prev() : cur.last();
  if (!ok || cur.key().substr(0, prefix.size()) != prefix) return std::nullopt;
  return decode<pb::RateSample>(cur.value(), "rate sample");
}

} // namespace ispbox::store
