// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/net.h"

#include <arpa/inet.h>
#include <cctype>

namespace ispbox::net {

std::optional<std::string> normalizeIpv4(std::string_view text) {
  // inet_pton(AF_INET) already rejects octal and short forms; it needs a NUL-terminated string.
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::string s(text);
  in_addr addr{};
  if (inet_pton(AF_INET, s.c_str(), &addr) != 1) return std::nullopt;
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr, buf, sizeof buf);
  return std::string(buf);
}

std::optional<std::string> normalizeIp(std::string_view text) {
  if (auto v4 = normalizeIpv4(text)) return v4;
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  in6_addr addr{};
  if (inet_pton(AF_INET6, s.c_str(), &addr) != 1) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &addr, buf, sizeof buf);
  return std::string(buf);
}

std::optional<std::string> normalizeMac(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (c != ':' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  if (hex.size() != 12) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < 12; i += 2) {
    if (i) out += ':';
    out.append(hex, i, 2);
  }
  return out;
}

} // namespace ispbox::net
