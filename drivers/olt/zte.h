// SPDX-License-Identifier: GPL-2.0-or-later
// ZTE ZXA10 C300/C320/C600: the PON index encodings and value conversions (olt-oids.md §2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ispbox::olt::zte {

struct SlotPort {
  uint32_t slot = 0, port = 0;
};

// (A) zxGponOltIndex, the .1012/.1015 trees: 0x10000000 | slot << 16 | port << 8.
constexpr uint32_t indexA(uint32_t slot, uint32_t port) {
  return 0x10000000u | (slot & 0xff) << 16 | (port & 0xff) << 8;
}
std::optional<SlotPort> decodeA(uint32_t v);
// (B) ZTE-AN ifIndex, the .1082.500 tree: 0x11010000 | slot << 8 | port.
constexpr uint32_t indexB(uint32_t slot, uint32_t port) {
  return 0x11010000u | (slot & 0xff) << 8 | (port & 0xff);
}
std::optional<SlotPort> decodeB(uint32_t v);
// (C) is the IF-MIB ifIndex on C320 V2.1; never computed, taken from ifName instead:
// "gpon_1/2/3", "gpon-olt_1/2/3", "gpon_olt-1/2/3" -> slot 2, port 3.
std::optional<SlotPort> parsePonIfName(std::string_view name);

// The model in a ZXA10 sysDescr ("C320 Version V2.1.0 Software, ..." -> "C320"); empty if none.
std::string modelFromDescr(std::string_view descr);

// ONU Rx/Tx (.1012.3.50.12, .1082.500.20.2.2.2): dBm = raw x 0.002 - 30; 65535 = no reading.
std::optional<double> onuOpticalDbm(int64_t raw);
// OLT Rx per ONU (.1082.500.1.2.4.2, .1015.1010.11.2): dBm = raw / 1000; -80000 (no signal) and
// 65535000 (ONU not in service) = no reading.
std::optional<double> oltRxDbm(int64_t raw);

} // namespace ispbox::olt::zte
