// SPDX-License-Identifier: GPL-2.0-or-later
// Small helpers the table-walking drivers share: column OIDs of a table entry and the plain
// reading of SNMP values.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/snmp/snmp.h"

namespace ispbox::olt::table {

// base followed by tail: an object under a vendor's subtree.
inline snmp::Oid oid(const snmp::Oid& base, std::initializer_list<uint32_t> tail) {
  snmp::Oid o(base);
  o.insert(o.end(), tail);
  return o;
}

inline snmp::Oid col(const snmp::Oid& entry, uint32_t c) {
  snmp::Oid o(entry);
  o.push_back(c);
  return o;
}

inline std::vector<snmp::Oid> cols(const snmp::Oid& entry, std::initializer_list<uint32_t> cs) {
  std::vector<snmp::Oid> out;
  for (uint32_t c : cs)
    out.push_back(col(entry, c));
  return out;
}

// Printable ASCII of raw octets, trailing spaces dropped (agents pad names).
inline std::string printable(std::string_view raw) {
  std::string out;
  for (unsigned char c : raw)
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

// The same of an OCTET STRING value.
inline std::string text(const snmp::Value& v) {
  return printable(v.s);
}

// An SNMP string value for a SET.
inline snmp::VarBind stringBind(const snmp::Oid& oid, std::string s) {
  snmp::VarBind vb{oid, {}};
  vb.value.type = snmp::Value::Type::String;
  vb.value.s = std::move(s);
  return vb;
}

// An SNMP INTEGER value for a SET.
inline snmp::VarBind integerBind(const snmp::Oid& oid, int64_t i) {
  snmp::VarBind vb{oid, {}};
  vb.value.type = snmp::Value::Type::Integer;
  vb.value.i = i;
  return vb;
}

// The standard IF-MIB columns (ifEntry, ifXEntry) drivers read PON ports from.
inline const snmp::Oid kIfEntry = {1, 3, 6, 1, 2, 1, 2, 2, 1};
inline const snmp::Oid kIfXEntry = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1};

} // namespace ispbox::olt::table
