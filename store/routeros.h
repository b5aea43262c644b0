// SPDX-License-Identifier: GPL-2.0-or-later
// What the RouterOS integration keeps (schema 3): interface groups and the bounded history of
// their sampled rates. Static-IP subscribers keep their router settings in the subscriber record
// (pb::Subscriber.routeros_static).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

std::optional<pb::InterfaceGroup> getInterfaceGroup(const ReadTxn& txn, std::string_view name);
void putInterfaceGroup(WriteTxn& txn, const pb::InterfaceGroup& group);
// Deletes the group and its history.
bool deleteInterfaceGroup(WriteTxn& txn, std::string_view name);
std::vector<pb::InterfaceGroup> listInterfaceGroups(const ReadTxn& txn);

// Appends a sample and keeps only the newest `keep` of the group.
void appendRateSample(WriteTxn& txn, std::string_view group, const pb::RateSample& sample,
                      size_t keep);
// Samples of a group with from_ms <= at_ms < to_ms (to_ms 0 = no end), oldest first, at most
// limit; when there are more, *more is set.
std::vector<pb::RateSample> listRateSamples(const ReadTxn& txn, std::string_view group,
                                            int64_t from_ms, int64_t to_ms, size_t limit,
                                            bool* more);
std::optional<pb::RateSample> latestRateSample(const ReadTxn& txn, std::string_view group);

} // namespace ispbox::store
