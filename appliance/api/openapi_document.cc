// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/api/openapi_document.h"

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace ispbox::api {
namespace {

using Json = nlohmann::ordered_json;

void mergeObject(Json& into, const Json& from, const std::string& where,
                 std::string_view fragment) {
  if (!from.is_object())
    throw std::logic_error(std::string(fragment) + ": " + where + " is not an object");
  for (const auto& [key, value] : from.items()) {
    if (into.contains(key))
      throw std::logic_error(std::string(fragment) + ": " + where + " '" + key +
                             "' is already defined by another fragment");
    into[key] = value;
  }
}

Json parse(const OpenApiFragment& fragment) {
  Json part = Json::parse(fragment.text, nullptr, /*allow_exceptions=*/false);
  if (part.is_discarded() || !part.is_object())
    throw std::logic_error(std::string(fragment.name) + " is not a valid JSON object");
  return part;
}

std::string build() {
  Json doc;
  for (const auto& fragment : openApiFragments())
    if (fragment.name == "base.json") doc = parse(fragment);
  if (doc.is_null()) throw std::logic_error("the OpenAPI fragment base.json is missing");
  for (const auto& fragment : openApiFragments()) {
    if (fragment.name == "base.json") continue;
    const Json part = parse(fragment); // items() must not outlive what it iterates
    for (const auto& [key, value] : part.items()) {
      if (key == "tags") {
        for (const auto& tag : value) {
          for (const auto& existing : doc["tags"])
            if (existing.value("name", "") == tag.value("name", ""))
              throw std::logic_error(std::string(fragment.name) + ": tag '" +
                                     tag.value("name", "") + "' is already defined");
          doc["tags"].push_back(tag);
        }
      } else if (key == "paths") {
        mergeObject(doc["paths"], value, "path", fragment.name);
      } else if (key == "components") {
        for (const auto& [section, members] : value.items())
          mergeObject(doc["components"][section], members, "components." + section, fragment.name);
      } else {
        throw std::logic_error(std::string(fragment.name) + ": unexpected top-level key '" + key +
                               "' (a fragment has tags, paths and components only)");
      }
    }
  }
  return doc.dump(2);
}

} // namespace

std::string_view openApiDocument() {
  static const std::string kDocument = build();
  return kDocument;
}

} // namespace ispbox::api
