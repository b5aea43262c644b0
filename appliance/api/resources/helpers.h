// SPDX-License-Identifier: GPL-2.0-or-later
// What the resource handlers share: paging, audit entries, timestamps in JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "appliance/api/router.h"
#include "store/entities.h"
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

// One page of a keyed table in key order: the records `keep` accepts (all when null), each shown
// as `view` makes it.
template <class Msg>
Json listPage(const store::ReadTxn& txn, store::Table table, const Page& page,
              const std::function<bool(const Msg&)>& keep,
              const std::function<Json(const Msg&)>& view) {
  Json items = Json::array();
  bool more = false;
  std::string last;
  store::forEachRecord<Msg>(txn, table, page.after, [&](std::string_view key, Msg& m) {
    if (keep && !keep(m)) return true;
    if (items.size() == page.limit) return !(more = true);
    items.push_back(view(m));
    last = key;
    return true;
  });
  return pageReply(std::move(items), more, last);
}

// Records who did what in the write transaction that does it.
void audit(store::WriteTxn& txn, const ApiRequest& req, std::string_view action,
           std::string_view entity, std::string_view key, const Json& detail);
// Fields that differ between two JSON views of a record: {"field": {"from": a, "to": b}}.
Json diff(const Json& before, const Json& after);

Json timeJson(int64_t unix_seconds); // RFC 3339 string, or null for 0

// The API's view of a subscriber (resources/subscribers.cc); never includes the password.
Json subscriberJson(const store::pb::Subscriber& s);

} // namespace ispbox::api
