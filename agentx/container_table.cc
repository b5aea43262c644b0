// SPDX-License-Identifier: GPL-2.0-or-later
#include "agentx/container_table.h"

namespace ispbox::agentx {

void appendStringIndex(std::vector<oid>* out, std::string_view s) {
  out->push_back(s.size());
  for (unsigned char c : s)
    out->push_back(c);
}

void setInteger(netsnmp_variable_list* vb, int32_t v) {
  long l = v;
  snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof l);
}

void setGauge(netsnmp_variable_list* vb, uint32_t v) {
  u_long l = v;
  snmp_set_var_typed_value(vb, ASN_GAUGE, &l, sizeof l);
}

void setUnsigned(netsnmp_variable_list* vb, uint32_t v) {
  u_long l = v;
  snmp_set_var_typed_value(vb, ASN_UNSIGNED, &l, sizeof l);
}

void setCounter64(netsnmp_variable_list* vb, uint64_t v) {
  counter64 c;
  c.high = v >> 32;
  c.low = v & 0xffffffffu;
  snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof c);
}

void setString(netsnmp_variable_list* vb, std::string_view s) {
  snmp_set_var_typed_value(vb, ASN_OCTET_STR, s.data(), s.size());
}

} // namespace ispbox::agentx
