// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/olt/parse_util.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace ispbox::olt::util {

namespace {

// The number starting at s[i] ("-14.61", "3.2", "+7"), with its length in *len.
std::optional<double> numberAt(std::string_view s, size_t i, size_t* len) {
  size_t j = i;
  if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
  const size_t digits_from = j;
  while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
    ++j;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
      ++j;
  }
  if (j == digits_from || (j == digits_from + 1 && s[digits_from] == '.')) return std::nullopt;
  *len = j - i;
  return std::strtod(std::string(s.substr(i, j - i)).c_str(), nullptr);
}

std::optional<double> firstNumber(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '+') continue;
    size_t len = 0;
    if (auto v = numberAt(s, i, &len)) return v;
  }
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

std::optional<double> numberIn(std::string_view s) {
  const std::string l = lower(s);
  // "0.03 mW (-14.61 dBm)": the bracketed dBm figure, not the milliwatts.
  // "0.00 mW (-inf dBm)" is no reading, not 0.
  if (auto open = l.find('(');
      open != std::string::npos && l.find("dbm", open) != std::string::npos)
    return firstNumber(std::string_view(l).substr(open + 1));
  return firstNumber(l);
}

std::optional<double> dbmIn(std::string_view s) {
  auto v = numberIn(s);
  if (!v) return std::nullopt;
  return plausibleDbm(*v);
}

std::string macText(const std::string& raw) {
  std::string hex;
  if (raw.size() == 6) {
    char b[3];
    for (unsigned char c : raw) {
      std::snprintf(b, sizeof b, "%02X", c);
      hex += b;
    }
  } else {
    for (char c : raw) {
      if (std::isxdigit(static_cast<unsigned char>(c)))
        hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      else if (c != ':' && c != '-' && c != '.' && c != ' ')
        return table::printable(raw);
    }
    if (hex.size() != 12) return table::printable(raw);
  }
  std::string out;
  for (size_t i = 0; i < 12; i += 2) {
    if (i) out += ':';
    out += hex.substr(i, 2);
  }
  return out;
}

std::string serialText(const std::string& raw) {
  bool binary = raw.size() == 8;
  if (binary)
    for (size_t i = 0; i < 4; ++i)
      binary = binary && std::isalnum(static_cast<unsigned char>(raw[i]));
  if (binary) {
    // 4 printable vendor letters and 4 bytes that are not all printable: the binary form.
    bool tail_printable = true;
    for (size_t i = 4; i < 8; ++i)
      tail_printable = tail_printable && std::isalnum(static_cast<unsigned char>(raw[i]));
    binary = !tail_printable;
  }
  return renderSerial(raw, binary);
}

std::optional<int64_t> looseDateTime(std::string_view s) {
  int v[6];
  size_t n = 0, i = 0;
  while (i < s.size() && n < 6) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    long x = 0;
    size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && digits < 9) {
      x = x * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    v[n++] = static_cast<int>(x);
  }
  if (n != 6 || v[0] < 1990 || v[0] > 2200 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
      v[3] > 23 || v[4] > 59 || v[5] > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = v[0] - 1900;
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  return static_cast<int64_t>(timegm(&tm));
}

void readUnconfigured(
    const Collected& c, const std::string& walk,
    const std::function<std::optional<std::pair<uint32_t, uint32_t>>(const snmp::Oid&)>& where,
    std::vector<UnconfiguredOnuData>& out) {
  std::map<snmp::Oid, UnconfiguredOnuData> found;
  for (size_t k = 0; k < 2; ++k)
    for (const auto& [idx, v] : c.rows(walk, k)) {
      auto at = where(idx);
      if (!at) continue;
      auto& u = found[idx];
      u.slot = at->first;
      u.port = at->second;
      if (k == 0) u.serial = serialText(v.s);
      if (k == 1) u.type = text(v);
    }
  for (auto& [k, u] : found)
    if (!u.serial.empty()) out.push_back(std::move(u));
}

OnuData& OnuMap::at(uint32_t slot, uint32_t port, uint32_t onu) {
  OnuData& o = onus_[{slot, port, onu}];
  o.slot = slot;
  o.port = port;
  o.onu = onu;
  return o;
}

OnuData* OnuMap::find(uint32_t slot, uint32_t port, uint32_t onu) {
  auto it = onus_.find({slot, port, onu});
  return it == onus_.end() ? nullptr : &it->second;
}

void OnuMap::moveTo(std::vector<OnuData>& out, const std::function<bool(const OnuData&)>& keep) {
  for (auto& [k, o] : onus_)
    if (!keep || keep(o)) out.push_back(std::move(o));
  onus_.clear();
}

PonData& PonMap::at(uint32_t slot, uint32_t port) {
  PonData& p = pons_[{slot, port}];
  p.slot = slot;
  p.port = port;
  return p;
}

void PonMap::moveTo(std::vector<PonData>& out) {
  for (auto& [k, p] : pons_)
    out.push_back(std::move(p));
  pons_.clear();
}

FamilyDriver::FamilyDriver(snmp::Oid epon_table, snmp::Oid gpon_table, std::string initial)
    : epon_(std::move(epon_table)), gpon_(std::move(gpon_table)), variant_(std::move(initial)) {}

void FamilyDriver::setVariant(std::string_view v) {
  if (v == "epon" || v == "gpon") variant_ = std::string(v);
}

Plan FamilyDriver::probePlan() const {
  Plan p;
  p.gets = systemOids();
  p.nexts = {epon_, gpon_};
  return p;
}

void FamilyDriver::applyProbe(const Collected& c) {
  bool epon = false, gpon = false;
  for (const auto& vb : c.nexts) {
    if (vb.value.exception()) continue;
    epon = epon || snmp::startsWith(vb.oid, epon_);
    gpon = gpon || snmp::startsWith(vb.oid, gpon_);
  }
  if (epon != gpon)
    variant_ = epon ? "epon" : "gpon";
  else
    variant_ = gponBySystem(parseSystem(c)) ? "gpon" : "epon";
}

} // namespace ispbox::olt::util
