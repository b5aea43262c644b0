// SPDX-License-Identifier: GPL-2.0-or-later
// The number a PON port has outside ispbox (ISPBOX-MIB's ispboxPonIndex, the API's snmp_index):
// the vendor's own interface index of the port where there is one, so a manager can match our
// rows with the OLT's own MIBs. Header-only, so the subagent uses it without the drivers.
#pragma once

#include <cstdint>
#include <string_view>

#include "drivers/olt/zte.h"

namespace ispbox::olt {

namespace huawei {
// GPON port ifIndex, frame 0: 0xFA000000 + slot * 0x2000 + port * 0x100 ("GPON 0/1/0" =
// 4194312192). How other frames are encoded is not known, so they are not decoded.
constexpr uint32_t kGponIfIndexBase = 0xFA000000u;
constexpr uint32_t ponIfIndex(uint32_t slot, uint32_t port) {
  return kGponIfIndexBase + (slot & 0x1f) * 0x2000u + (port & 0x1f) * 0x100u;
}
} // namespace huawei

// ZTE: the ZTE-AN ifIndex (form B, 0x11010000 | slot << 8 | port; 1/1/1 = 285278465), the index
// of the .1082.500 tables and, on a C600, the port's IF-MIB ifIndex. Huawei: the GPON port's
// ifIndex (0-based positions, never 0). Other vendors: slot * 256 + port + 1, which is never 0
// whether the vendor counts from 0 or from 1.
constexpr uint32_t ponSnmpIndex(std::string_view vendor, uint32_t slot, uint32_t port) {
  if (vendor == "zte") return zte::indexB(slot, port);
  if (vendor == "huawei") return huawei::ponIfIndex(slot, port);
  return ((slot & 0xffffffu) << 8 | (port & 0xffu)) + 1;
}

} // namespace ispbox::olt
