// SPDX-License-Identifier: GPL-2.0-or-later
// FiberHome AN5516 (and AN5116): the ONU and PON index layouts and the value conversions of
// GEPON-OLT-COMMON-MIB (olt-oids.md §4). Slots, PON ports and ONU ids are 1-based, as on the CLI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "drivers/olt/driver.h"

namespace ispbox::olt::fiberhome {

struct Position {
  uint32_t slot = 0, pon = 0, onu = 0;
};

// The two index layouts of the FiberHome specification (S13):
//   AN5516 "signed":   slot bits 30-25, PON 24-19, ONU 18-8, port 7-0
//   AN5116 "unsigned": slot bits 31-27, PON 26-22, ONU 21-13, port 12-4
// A PON port's index is its ONU index with ONU 0.
enum class Layout { An5516, An5116 };
uint32_t onuIndex(Layout l, uint32_t slot, uint32_t pon, uint32_t onu);
std::optional<Position> decode(Layout l, uint32_t index);

// authOnuList onuStatus: 1 online; 0 fibre cut (LOS), 2 power off (dying gasp), 3 offline.
OnuPhase phase(int64_t status);
// ONU and OLT optical power, 0.01 dBm; 0 and values outside an optical range are no reading.
std::optional<double> opticalDbm(int64_t raw);

} // namespace ispbox::olt::fiberhome
