// SPDX-License-Identifier: GPL-2.0-or-later
// The number a PON port has outside ispbox (ISPBOX-MIB's ispboxPonIndex, the API's snmp_index):
// the vendor's own interface index of the port where there is one, so a manager can match our
// rows with the OLT's own MIBs. Header-only, so the subagent uses it without the drivers.
#pragma once

#include <cstdint>
#include <string_view>

#include "drivers/olt/zte.h"

namespace ispbox::olt {

// ZTE: the ZTE-AN ifIndex (form B, 0x11010000 | slot << 8 | port; 1/1/1 = 285278465), the index
// of the .1082.500 tables and, on a C600, the port's IF-MIB ifIndex. Vendors without a driver
// yet: slot << 8 | port. Never 0 for a real port (slot and port are 1-based).
constexpr uint32_t ponSnmpIndex(std::string_view vendor, uint32_t slot, uint32_t port) {
  if (vendor == "zte") return zte::indexB(slot, port);
  return (slot & 0xffffffu) << 8 | (port & 0xffu);
}

} // namespace ispbox::olt
