// SPDX-License-Identifier: GPL-2.0-or-later
// Merges what one poll of one data class produced (olt::Snapshot) into the store, in the caller's
// write transaction: ONU records (only the fields the class covers), PON ports with ONU counts and
// traffic rates, the OLT's status (system, cards, fans, power), unconfigured ONUs, phase events and
// optical samples for the history.
#pragma once

#include <cstdint>
#include <string>

#include "drivers/olt/driver.h"
#include "store/env.h"

namespace ispbox::appliance {

struct MergeStats {
  uint32_t onus_added = 0, onus_removed = 0, onus_updated = 0, events = 0, samples = 0;
};

MergeStats applySnapshot(store::WriteTxn& txn, const std::string& olt_id, const olt::Snapshot& snap,
                         int64_t now);

// Octets per second between two readings of a counter of `bits` bits. A smaller reading is a wrap
// for 32-bit counters and a reset (reboot, counter cleared) for 64-bit ones.
uint64_t counterRate(uint64_t prev, uint64_t cur, unsigned bits, int64_t seconds);

} // namespace ispbox::appliance
