// SPDX-License-Identifier: GPL-2.0-or-later
// C-Data (olt-oids.md §7): the EPON device index and value conversions.
#pragma once

#include <cstdint>
#include <optional>

namespace ispbox::olt::cdata {

struct Position {
  uint32_t slot = 0, port = 0, onu = 0;
};
// EPON (17409) ONU device index: slot = bits 31-24, encoded port = bits 15-8 (port =
// encoded / 16 + 1, as S7 decodes it), onu = bits 7-0. Slot 0 is shown as slot 1 (ispbox numbers
// slots from 1). nullopt for ONU 0 or an encoded port that is not a multiple of 16.
std::optional<Position> decodeEponIndex(uint32_t index);
uint32_t eponIndex(uint32_t slot, uint32_t port, uint32_t onu); // the inverse, for tests
// EPON ONU Rx/Tx: centi-dBm; 0 is "no signal" (S7).
std::optional<double> centiDbm(int64_t raw);

} // namespace ispbox::olt::cdata
