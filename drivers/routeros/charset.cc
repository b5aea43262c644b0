// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/routeros/charset.h"

#include <cstdint>

namespace ispbox::routeros {
namespace {

// Windows-1252 0x80..0x9F; 0 marks the five undefined bytes, which map to U+0080+n.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void appendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or returns -1 (and
// advances past one byte) for an invalid sequence.
int32_t nextCodePoint(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t n;
  uint32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (s.size() - i <= n) {
    ++i;
    return -1;
  }
  for (size_t k = 1; k <= n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += n + 1;
  return static_cast<int32_t>(cp);
}

} // namespace

std::optional<Charset> parseCharset(std::string_view name) {
  if (name == "cp1252" || name == "windows-1252") return Charset::Cp1252;
  if (name == "utf-8" || name == "utf8") return Charset::Utf8;
  return std::nullopt;
}

bool isValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();)
    if (nextCodePoint(text, i) < 0) return false;
  return true;
}

std::string toUtf8(std::string_view bytes, Charset charset) {
  std::string out;
  out.reserve(bytes.size());
  if (charset == Charset::Utf8) {
    for (size_t i = 0; i < bytes.size();) {
      const size_t start = i;
      if (nextCodePoint(bytes, i) < 0)
        out.append("\xEF\xBF\xBD"); // U+FFFD
      else
        out.append(bytes.substr(start, i - start));
    }
    return out;
  }
  for (unsigned char b : bytes) {
    if (b < 0x80)
      out.push_back(static_cast<char>(b));
    else if (b < 0xA0)
      appendUtf8(kCp1252High[b - 0x80] ? kCp1252High[b - 0x80] : b, out);
    else
      appendUtf8(b, out); // 0xA0..0xFF are Latin-1
  }
  return out;
}

std::optional<std::string> fromUtf8(std::string_view text, Charset charset) {
  if (!isValidUtf8(text)) return std::nullopt;
  if (charset == Charset::Utf8) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto cp = static_cast<uint32_t>(nextCodePoint(text, i));
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) {
      out.push_back(static_cast<char>(cp));
      continue;
    }
    int found = -1;
    for (int k = 0; k < 32; ++k)
      if ((kCp1252High[k] ? kCp1252High[k] : 0x80u + k) == cp) found = k;
    if (found < 0) return std::nullopt;
    out.push_back(static_cast<char>(0x80 + found));
  }
  return out;
}

} // namespace ispbox::routeros
