// SPDX-License-Identifier: GPL-2.0-or-later
// Huawei SmartAX MA5600T/MA5608T/MA5603T/MA5800: the GPON port index encoding and the value
// conversions of HUAWEI-XPON-MIB (olt-oids.md §3). Slots, ports and ONT ids are 0-based, as on
// the OLT's CLI ("GPON 0/1/3", "ont 0").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "drivers/olt/driver.h"
#include "drivers/olt/pon_index.h"

namespace ispbox::olt::huawei {

struct SlotPort {
  uint32_t slot = 0, port = 0;
};

// ponIfIndex (the GPON port's ifIndex) is in pon_index.h, which the subagent uses too.
std::optional<SlotPort> decodePonIfIndex(uint32_t if_index);

// Every optical column reports 2147483647 (and some firmware -2147483648) for "no reading".
bool noReading(int64_t raw);
// ONT Rx/Tx (hwGponOntOpticalDdm{Rx,Tx}Power) and the PON port's Tx/Rx: 0.01 dBm.
std::optional<double> opticalDbm(int64_t raw);
// OLT Rx of an ONT (hwGponOntOpticalDdmOltRxOntPower). The MIB says 0.01 dBm, which a received
// power always makes negative; firmware that reports it offset by 10000 (a positive raw value,
// read by field scripts as (raw - 10000) / 100) is read that way.
std::optional<double> oltRxDbm(int64_t raw);

// hwGponDeviceOntControlRunStatus (up 1, down 2) with the last down cause (olt-oids.md §3.3):
// the phase, and for an ONT that is down the reason ("los", "power_off", ...).
OnuPhase phase(int64_t run_status, std::optional<int64_t> down_cause);
std::string downCause(int64_t code);

} // namespace ispbox::olt::huawei
