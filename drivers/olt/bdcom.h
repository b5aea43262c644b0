// SPDX-License-Identifier: GPL-2.0-or-later
// BDCOM GPON (GP3600, NMS-GPON-MIB) and EPON (P33xx, NMS-EPON-*): interface names and value
// conversions (olt-oids.md §6).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ispbox::olt::bdcom {

// BDCOM's ONUs are IF-MIB interfaces: "GPON0/2:1" is ONU 1 on PON port 2 of slot 0, "EPON0/1" a
// PON port (onu 0). Slots are numbered from 0 on the OLT and from 1 in ispbox: apiSlot() adds one.
struct IfPos {
  bool gpon = false;
  uint32_t slot = 0, port = 0, onu = 0;
  uint32_t apiSlot() const { return slot + 1; }
};
std::optional<IfPos> parseIfName(std::string_view name);

// GPON ONU Rx/Tx and PON Rx: 0.1 dBm (NMS-GPON-MIB states it for the PON Rx; the ONU columns are
// taken to match [?]). -65535 and out-of-range values are no reading.
std::optional<double> tenthDbm(int64_t raw);
// EPON ONU optical module (NMS-EPON-ONU): temperature 1/256 °C, voltage 100 µV, bias 2 µA.
double eponTemperatureC(int64_t raw);
double eponVoltageV(int64_t raw);
double eponBiasMa(int64_t raw);

} // namespace ispbox::olt::bdcom
