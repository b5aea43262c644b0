// SPDX-License-Identifier: GPL-2.0-or-later
// What the resource handlers share: paging, audit entries, timestamps in JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/api/router.h"
#include "store/env.h"

namespace ispbox::api {

struct Page {
  size_t limit = 100;
  std::string after; // decoded cursor: the last key of the previous page
};
// ?limit=1..1000 (default 100) and ?cursor=<opaque>; bad values are ApiError 400.
Page pageParams(const ApiRequest& req);
std::string encodeCursor(std::string_view key);
// The key inside a cursor or id this API gave; ApiError 400 for anything else.
std::string decodeCursorOrThrow(std::string_view cursor);

// {"items": [...], "next_cursor": "..." | null}
Json pageReply(Json items, bool more, std::string_view last_key);

// Records who did what in the write transaction that does it.
void audit(store::WriteTxn& txn, const ApiRequest& req, std::string_view action,
           std::string_view entity, std::string_view key, const Json& detail);
// Fields that differ between two JSON views of a record: {"field": {"from": a, "to": b}}.
Json diff(const Json& before, const Json& after);

Json timeJson(int64_t unix_seconds); // RFC 3339 string, or null for 0

} // namespace ispbox::api
