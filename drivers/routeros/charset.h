// SPDX-License-Identifier: GPL-2.0-or-later
// RouterOS passes values as raw bytes in the router's code page, in practice Windows-1252 (what
// WinBox on a western Windows writes). The rest of ispbox is UTF-8 (JSON, the store), so values are
// converted at the edge, deliberately and in both directions, never passed through as is.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ispbox::routeros {

enum class Charset {
  Cp1252, // the default: bytes 0x80-0xFF are Windows-1252
  Utf8,   // routers whose names and comments were written as UTF-8; invalid bytes become U+FFFD
};
std::optional<Charset> parseCharset(std::string_view name); // "cp1252", "utf-8"

// Router bytes to UTF-8. Cp1252: every byte maps (the five bytes Windows-1252 leaves undefined map
// to the C1 controls of the same value, as Python's and WHATWG's decoders do).
std::string toUtf8(std::string_view bytes, Charset charset);
// UTF-8 to router bytes; nullopt when the text has a character the code page cannot hold (the
// caller reports it: a silently replaced '?' in an address-list name would match nothing).
std::optional<std::string> fromUtf8(std::string_view text, Charset charset);
bool isValidUtf8(std::string_view text);

} // namespace ispbox::routeros
