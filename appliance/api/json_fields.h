// SPDX-License-Identifier: GPL-2.0-or-later
// Strict reading of a JSON request object: unknown fields, wrong types and out-of-range values
// become ApiError 422 naming the field, before anything is written.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ispbox::api {

// Ordered, so responses list fields in the order the handlers write them.
using Json = nlohmann::ordered_json;

// Parses a request body; malformed JSON or a non-object is ApiError 400.
Json parseBody(std::string_view body);

enum class CharSet {
  Name,      // [A-Za-z0-9._-]: keys of plans and NAS
  Username,  // printable ASCII without space or '/'
  Printable, // any UTF-8 without control characters
};

class Fields {
public:
  // prefix names nested objects in error messages ("burst.").
  Fields(const Json& obj, std::initializer_list<std::string_view> allowed, std::string prefix = {});

  bool has(std::string_view name) const;
  bool isNull(std::string_view name) const;
  // Present and not null.
  bool given(std::string_view name) const { return has(name) && !isNull(name); }
  void require(std::string_view name) const;
  // Rejects null where a field cannot be cleared.
  void notNull(std::string_view name) const;

  // Each returns nullopt when the field is absent or null.
  std::optional<std::string> str(std::string_view name, size_t min_len, size_t max_len,
                                 CharSet chars = CharSet::Printable) const;
  std::optional<uint64_t> u64(std::string_view name, uint64_t min, uint64_t max) const;
  std::optional<bool> boolean(std::string_view name) const;
  std::optional<std::string> oneOf(std::string_view name,
                                   std::initializer_list<std::string_view> values) const;
  std::optional<std::string> ip(std::string_view name, bool v4_only) const;
  std::optional<std::string> mac(std::string_view name) const;
  // RFC 3339 timestamp, returned as Unix seconds.
  std::optional<int64_t> timestamp(std::string_view name) const;
  // A nested object (absent or null gives nullopt).
  std::optional<Fields> object(std::string_view name,
                               std::initializer_list<std::string_view> allowed) const;

  std::string fieldName(std::string_view name) const { return prefix_ + std::string(name); }

private:
  const Json* value(std::string_view name) const;
  const Json& obj_;
  std::string prefix_;
};

} // namespace ispbox::api
