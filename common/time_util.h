// SPDX-License-Identifier: GPL-2.0-or-later
// Wall-clock time as the store keeps it (Unix seconds) and as the API shows it (RFC 3339, UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ispbox::timeutil {

int64_t nowSeconds();
int64_t nowMillis();
// "2026-11-21T19:52:43Z"
std::string formatRfc3339(int64_t unix_seconds);
// Accepts "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM"/"-HH:MM", optional fractional seconds
// (dropped). Returns Unix seconds.
std::optional<int64_t> parseRfc3339(std::string_view text);

} // namespace ispbox::timeutil
