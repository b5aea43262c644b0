// SPDX-License-Identifier: GPL-2.0-or-later
// Hashing and randomness on OpenSSL, for API tokens and generated secrets.
#pragma once

#include <string>
#include <string_view>

namespace ispbox::crypto {

// Lower-case hex SHA-256 of data.
std::string sha256Hex(std::string_view data);
// Lower-case hex MD5 of data: only for identifiers RADIUS defines with it, never for security.
std::string md5Hex(std::string_view data);

// n bytes from the kernel's CSPRNG (via OpenSSL), hex-encoded (2n characters). Throws on failure.
std::string randomHex(size_t n);
// n raw bytes from the same CSPRNG. Throws on failure.
std::string randomBytes(size_t n);

// Compares in time independent of where the inputs differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

} // namespace ispbox::crypto
