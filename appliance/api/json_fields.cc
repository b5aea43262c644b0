// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/api/json_fields.h"

#include <algorithm>
#include <cctype>

#include "appliance/api/api_error.h"
#include "common/net.h"
#include "common/time_util.h"

namespace ispbox::api {
namespace {

std::string_view typeName(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "boolean";
  if (j.is_number()) return "number";
  if (j.is_string()) return "string";
  if (j.is_array()) return "array";
  return "object";
}

bool charsOk(std::string_view s, CharSet set) {
  for (unsigned char c : s) {
    switch (set) {
    case CharSet::Name:
      if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-')) return false;
      break;
    case CharSet::Username:
      if (c <= 0x20 || c >= 0x7f || c == '/') return false;
      break;
    case CharSet::Printable:
      if (c < 0x20 || c == 0x7f) return false;
      break;
    }
  }
  return true;
}

} // namespace

Json parseBody(std::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    throw ApiError::badRequest("malformed_json", "request body is not valid JSON");
  if (!j.is_object())
    throw ApiError::badRequest("malformed_json", "request body must be a JSON object");
  return j;
}

Fields::Fields(const Json& obj, std::initializer_list<std::string_view> allowed, std::string prefix)
    : obj_(obj), prefix_(std::move(prefix)) {
  if (!obj_.is_object())
    throw ApiError::invalid(prefix_.empty() ? "body" : prefix_.substr(0, prefix_.size() - 1),
                            "must be an object", "wrong_type");
  for (const auto& [key, _] : obj_.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw ApiError::invalid(fieldName(key), "unknown field", "unknown_field");
  }
}

const Json* Fields::value(std::string_view name) const {
  auto it = obj_.find(name);
  return it == obj_.end() ? nullptr : &*it;
}

bool Fields::has(std::string_view name) const {
  return value(name) != nullptr;
}

bool Fields::isNull(std::string_view name) const {
  const Json* v = value(name);
  return v && v->is_null();
}

void Fields::require(std::string_view name) const {
  if (!given(name)) throw ApiError::invalid(fieldName(name), "is required", "missing_field");
}

void Fields::notNull(std::string_view name) const {
  if (isNull(name)) throw ApiError::invalid(fieldName(name), "cannot be null", "wrong_type");
}

std::optional<std::string> Fields::str(std::string_view name, size_t min_len, size_t max_len,
                                       CharSet chars) const {
  const Json* v = value(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string())
    throw ApiError::invalid(fieldName(name), "must be a string, not " + std::string(typeName(*v)),
                            "wrong_type");
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() < min_len || s.size() > max_len)
    throw ApiError::invalid(fieldName(name), "length must be " + std::to_string(min_len) + ".." +
                                                 std::to_string(max_len) + " bytes");
  // "." and ".." would be normalised away in a URL path: such a record could never be addressed.
  if (chars != CharSet::Printable && (s == "." || s == ".."))
    throw ApiError::invalid(fieldName(name), "cannot be '.' or '..'");
  if (!charsOk(s, chars))
    throw ApiError::invalid(fieldName(name), chars == CharSet::Name
                                                 ? "may only hold letters, digits, '.', '_', '-'"
                                             : chars == CharSet::Username
                                                 ? "must be printable ASCII without spaces or '/'"
                                                 : "must not hold control characters");
  return s;
}

std::optional<uint64_t> Fields::u64(std::string_view name, uint64_t min, uint64_t max) const {
  const Json* v = value(name);
  if (!v || v->is_null()) return std::nullopt;
  // Reject 1.5 and -1, and 1e3 (a float in JSON terms) as well: counts and rates are integers.
  if (!v->is_number_unsigned() && !v->is_number_integer())
    throw ApiError::invalid(fieldName(name), "must be an integer, not " + std::string(typeName(*v)),
                            "wrong_type");
  if (v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0)
    throw ApiError::invalid(fieldName(name), "must not be negative");
  const uint64_t n = v->get<uint64_t>();
  if (n < min || n > max)
    throw ApiError::invalid(fieldName(name),
                            "must be in " + std::to_string(min) + ".." + std::to_string(max));
  return n;
}

std::optional<bool> Fields::boolean(std::string_view name) const {
  const Json* v = value(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_boolean())
    throw ApiError::invalid(
        fieldName(name), "must be true or false, not " + std::string(typeName(*v)), "wrong_type");
  return v->get<bool>();
}

std::optional<std::string> Fields::oneOf(std::string_view name,
                                         std::initializer_list<std::string_view> values) const {
  auto s = str(name, 0, 1024);
  if (!s) return s;
  if (std::find(values.begin(), values.end(), *s) == values.end()) {
    std::string list;
    for (auto v : values)
      list += (list.empty() ? "" : ", ") + std::string(v);
    throw ApiError::invalid(fieldName(name), "must be one of: " + list);
  }
  return s;
}

std::optional<std::string> Fields::ip(std::string_view name, bool v4_only) const {
  auto s = str(name, 1, 64);
  if (!s) return s;
  auto n = v4_only ? net::normalizeIpv4(*s) : net::normalizeIp(*s);
  if (!n)
    throw ApiError::invalid(fieldName(name),
                            std::string("not a valid ") + (v4_only ? "IPv4" : "IP") + " address",
                            "invalid_ip");
  return n;
}

std::optional<std::string> Fields::mac(std::string_view name) const {
  auto s = str(name, 1, 32);
  if (!s) return s;
  auto n = net::normalizeMac(*s);
  if (!n) throw ApiError::invalid(fieldName(name), "not a valid MAC address", "invalid_mac");
  return n;
}

std::optional<int64_t> Fields::timestamp(std::string_view name) const {
  auto s = str(name, 1, 64);
  if (!s) return std::nullopt;
  auto t = timeutil::parseRfc3339(*s);
  if (!t)
    throw ApiError::invalid(
        fieldName(name), "must be an RFC 3339 time such as 2026-12-31T23:59:59Z", "invalid_time");
  return t;
}

std::optional<Fields> Fields::object(std::string_view name,
                                     std::initializer_list<std::string_view> allowed) const {
  const Json* v = value(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_object())
    throw ApiError::invalid(fieldName(name), "must be an object, not " + std::string(typeName(*v)),
                            "wrong_type");
  return Fields(*v, allowed, fieldName(name) + ".");
}

} // namespace ispbox::api
