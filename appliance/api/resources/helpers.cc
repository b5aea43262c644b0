// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/api/resources/helpers.h"

#include "appliance/api/api_error.h"
#include "common/time_util.h"
#include "store/logs.h"

namespace ispbox::api {

std::string encodeCursor(std::string_view key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

namespace {
std::optional<std::string> decodeCursor(std::string_view hex) {
  if (hex.size() % 2 != 0 || hex.size() > 1024) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}
} // namespace

Page pageParams(const ApiRequest& req) {
  Page page;
  if (auto limit = req.query("limit")) {
    size_t pos = 0;
    unsigned long n = 0;
    try {
      n = std::stoul(*limit, &pos);
    } catch (...) {
      pos = 0;
    }
    if (pos == 0 || pos != limit->size() || n < 1 || n > 1000)
      throw ApiError(400, "invalid_query", "limit must be an integer in 1..1000", "limit");
    page.limit = n;
  }
  if (auto cursor = req.query("cursor")) page.after = decodeCursorOrThrow(*cursor);
  return page;
}

std::string decodeCursorOrThrow(std::string_view cursor) {
  auto key = decodeCursor(cursor);
  if (!key) throw ApiError(400, "invalid_query", "cursor is not one this API gave", "cursor");
  return *key;
}

Json pageReply(Json items, bool more, std::string_view last_key) {
  return {{"items", std::move(items)},
          {"next_cursor", more ? Json(encodeCursor(last_key)) : Json(nullptr)}};
}

void audit(store::WriteTxn& txn, const ApiRequest& req, std::string_view action,
           std::string_view entity, std::string_view key, const Json& detail) {
  store::pb::AuditEntry e;
  e.set_actor(req.who.name);
  e.set_actor_token_id(req.who.token_id);
  e.set_action(std::string(action));
  e.set_entity(std::string(entity));
  e.set_key(std::string(key));
  if (!detail.is_null()) e.set_detail(detail.dump(-1, ' ', false, Json::error_handler_t::replace));
  e.set_remote_addr(req.http.remote_addr);
  store::appendAudit(txn, std::move(e));
}

Json diff(const Json& before, const Json& after) {
  Json out = Json::object();
  for (const auto& [k, v] : after.items()) {
    if (k == "updated_at") continue;
    auto it = before.find(k);
    if (it == before.end() || *it != v)
      out[k] = {{"from", it == before.end() ? Json(nullptr) : *it}, {"to", v}};
  }
  return out;
}

Json timeJson(int64_t unix_seconds) {
  return unix_seconds == 0 ? Json(nullptr) : Json(timeutil::formatRfc3339(unix_seconds));
}

} // namespace ispbox::api
