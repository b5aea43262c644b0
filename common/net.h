// SPDX-License-Identifier: GPL-2.0-or-later
// Parsing and normalising the addresses subscribers and NAS clients are configured with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ispbox::net {

// Dotted-quad IPv4 in canonical form ("010.1.1.1" and "1.2.3" are rejected).
std::optional<std::string> normalizeIpv4(std::string_view text);
// IPv4 or IPv6, returned in canonical text form (inet_ntop).
std::optional<std::string> normalizeIp(std::string_view text);
// A MAC in any common notation (aa:bb:.., aa-bb-.., aabb.ccdd.eeff, aabbccddeeff), returned as
// upper-case colon form, which is what MikroTik sends in Calling-Station-Id.
std::optional<std::string> normalizeMac(std::string_view text);

} // namespace ispbox::net
