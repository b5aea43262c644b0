// SPDX-License-Identifier: GPL-2.0-or-later
// OLT monitoring state: OLTs (configuration and what the poller learnt), PON ports, ONUs (with a
// serial index), unconfigured ONUs, per-ONU optical history and phase events, and the links
// between subscribers and ONUs.
//
// Keys: an ONU is `olt \0 slot port onu` (one byte each, so an OLT's ONUs sort by position and
// one PON's ONUs are a prefix scan); history and events append an 8-byte big-endian time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::store {

std::string oltPrefix(std::string_view olt);
std::string ponKey(std::string_view olt, uint32_t slot, uint32_t port);
std::string onuKey(std::string_view olt, uint32_t slot, uint32_t port, uint32_t onu);
struct OnuPos {
  std::string olt;
  uint32_t slot = 0, port = 0, onu = 0;
};
std::optional<OnuPos> parseOnuKey(std::string_view key);

// ---- OLTs ----
std::optional<pb::Olt> getOlt(const ReadTxn& txn, std::string_view id);
// Gives the OLT its snmp_index when it has none (the stored record's on an update, else the next
// number of a counter that never goes back), so *olt is what was written.
void putOlt(WriteTxn& txn, pb::Olt& olt, bool create);
// Schema 4 migration: numbers the OLTs that have no snmp_index yet, in id order.
void numberOlts(WriteTxn& txn);
// Removes the OLT and everything polled from it (ports, ONUs, history, events, links).
bool deleteOlt(WriteTxn& txn, std::string_view id);
std::optional<pb::OltStatus> getOltStatus(const ReadTxn& txn, std::string_view id);
void putOltStatus(WriteTxn& txn, const pb::OltStatus& status);

// ---- PON ports and ONUs ----
std::optional<pb::PonPort> getPon(const ReadTxn& txn, std::string_view olt, uint32_t slot,
                                  uint32_t port);
void putPon(WriteTxn& txn, const pb::PonPort& pon);
void forEachPon(const ReadTxn& txn, std::string_view olt,
                const std::function<bool(const pb::PonPort&)>& fn);

std::optional<pb::Onu> getOnu(const ReadTxn& txn, std::string_view key);
std::optional<std::string> onuKeyBySerial(const ReadTxn& txn, std::string_view serial);
// Keeps the serial index; `before` is the stored record (nullptr when new).
void putOnu(WriteTxn& txn, const pb::Onu& onu, const pb::Onu* before);
bool deleteOnu(WriteTxn& txn, std::string_view key);
// ONUs of one OLT (optionally one PON: slot/port > 0) in position order after `after` (a key).
void forEachOnu(const ReadTxn& txn, std::string_view olt, uint32_t slot, uint32_t port,
                std::string_view after,
                const std::function<bool(std::string_view key, const pb::Onu&)>& fn);

void replaceUnconfigured(WriteTxn& txn, std::string_view olt,
                         const std::vector<pb::UnconfiguredOnu>& now_waiting, int64_t now);
std::vector<pb::UnconfiguredOnu> listUnconfigured(const ReadTxn& txn, std::string_view olt);

// ---- history ----
void appendOnuSample(WriteTxn& txn, std::string_view onu_key, const pb::OnuSample& s);
void appendOnuEvent(WriteTxn& txn, std::string_view onu_key, const pb::OnuEvent& e);
// Oldest first, at >= from and < to.
std::vector<pb::OnuSample> onuSamples(const ReadTxn& txn, std::string_view onu_key, int64_t from,
                                      int64_t to);
std::vector<pb::OnuEvent> onuEvents(const ReadTxn& txn, std::string_view onu_key, int64_t from,
                                    int64_t to);
// The newest event before `at` (the phase an ONU was in when a window starts).
std::optional<pb::OnuEvent> onuEventBefore(const ReadTxn& txn, std::string_view onu_key,
                                           int64_t at);
// Share of [from, to) the ONU was online, from its events (nullopt when nothing is known).
std::optional<double> onuAvailability(const ReadTxn& txn, const pb::Onu& onu,
                                      std::string_view onu_key, int64_t from, int64_t to);

struct HistoryCompaction {
  uint64_t aggregated = 0; // raw samples folded into hourly ones
  uint64_t dropped = 0;    // samples and events past retention
};
// Raw samples older than raw_keep_s become hourly averages; anything older than keep_s goes.
// Works in batches of at most `budget` records so one call never holds the writer long.
HistoryCompaction compactHistory(WriteTxn& txn, int64_t now, int64_t raw_keep_s, int64_t keep_s,
                                 uint64_t budget);

// ---- subscriber links ----
// Links a subscriber to an ONU (replacing either side's previous link).
void linkOnu(WriteTxn& txn, std::string_view username, std::string_view onu_key);
bool unlinkOnu(WriteTxn& txn, std::string_view username);
std::optional<std::string> linkedOnuKey(const ReadTxn& txn, std::string_view username);

} // namespace ispbox::store
