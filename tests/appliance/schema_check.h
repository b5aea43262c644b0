// SPDX-License-Identifier: GPL-2.0-or-later
// API replies checked against their schemas in the published OpenAPI document: types,
// nullability, enums, patterns, bounds, required fields and undocumented fields.
#pragma once

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "appliance/api/json_fields.h"
#include "appliance/api/openapi_document.h"
#include "store/pools.h"

namespace ispbox::testutil {

using api::Json;

// ---- replies against the published schemas ----

inline const Json& document() {
  static const Json doc = Json::parse(api::openApiDocument());
  return doc;
}

// Collects where v breaks schema: types, nullability, enums, patterns, bounds, required fields
// and fields the schema does not list (additionalProperties false).
inline void conform(const Json& schema, const Json& v, const std::string& at,
                    std::vector<std::string>& out) {
  const Json* s = &schema;
  while (s->contains("$ref"))
    s = &document().at(Json::json_pointer(s->at("$ref").get<std::string>().substr(1)));
  if (v.is_null()) {
    if (!s->value("nullable", false)) out.push_back(at + ": null where the schema has no null");
    return;
  }
  if (s->contains("allOf"))
    for (const auto& part : s->at("allOf"))
      conform(part, v, at, out);
  if (s->contains("anyOf")) {
    bool any = false;
    for (const auto& part : s->at("anyOf")) {
      std::vector<std::string> errors;
      conform(part, v, at, errors);
      any = any || errors.empty();
    }
    if (!any) out.push_back(at + ": matches no anyOf alternative");
  }
  if (s->contains("type")) {
    const std::string t = s->at("type").get<std::string>();
    const bool ok = t == "string"    ? v.is_string()
                    : t == "integer" ? v.is_number_integer()
                    : t == "number"  ? v.is_number()
                    : t == "boolean" ? v.is_boolean()
                    : t == "array"   ? v.is_array()
                    : t == "object"  ? v.is_object()
                                     : false;
    if (!ok) {
      out.push_back(at + ": " + v.dump() + " is not " + t);
      return;
    }
  }
  if (s->contains("enum")) {
    const Json& values = s->at("enum");
    if (std::find(values.begin(), values.end(), v) == values.end())
      out.push_back(at + ": " + v.dump() + " is not in " + values.dump());
  }
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    if (s->contains("pattern") &&
        !std::regex_search(text, std::regex(s->at("pattern").get<std::string>())))
      out.push_back(at + ": " + v.dump() + " does not match " + s->at("pattern").dump());
    const std::string format = s->value("format", "");
    if (format == "date-time" &&
        !std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      out.push_back(at + ": " + v.dump() + " is not an RFC 3339 UTC time");
    if (format == "ipv4" && !store::parseIpv4(text))
      out.push_back(at + ": " + v.dump() + " is not an IPv4 address");
  }
  if (v.is_number()) {
    if (s->contains("minimum") && v.get<double>() < s->at("minimum").get<double>())
      out.push_back(at + ": " + v.dump() + " is below " + s->at("minimum").dump());
    if (s->contains("maximum") && v.get<double>() > s->at("maximum").get<double>())
      out.push_back(at + ": " + v.dump() + " is above " + s->at("maximum").dump());
  }
  if (v.is_array() && s->contains("items"))
    for (size_t i = 0; i < v.size(); ++i)
      conform(s->at("items"), v[i], at + "[" + std::to_string(i) + "]", out);
  if (v.is_object() && s->contains("properties")) {
    const Json& props = s->at("properties");
    for (const auto& name : s->value("required", Json::array()))
      if (!v.contains(name.get<std::string>()))
        out.push_back(at + ": required field " + name.get<std::string>() + " is missing");
    for (const auto& [key, value] : v.items()) {
      if (props.contains(key))
        conform(props.at(key), value, at + "." + key, out);
      else if (s->value("additionalProperties", true) == false)
        out.push_back(at + ": field " + key + " is not documented");
    }
  }
}

// "" when the reply conforms to components/schemas/<name>, else every violation.
inline std::string violations(const std::string& name, const Json& v) {
  std::vector<std::string> out;
  conform(Json{{"$ref", "#/components/schemas/" + name}}, v, name, out);
  std::string all;
  for (const auto& line : out)
    all += "\n  " + line;
  return all;
}

} // namespace ispbox::testutil
