// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/audit: who changed what and when, newest first.
#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "store/logs.h"

namespace ispbox::api {

void addAuditRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  // Filters: entity, key, actor, action. Paging: limit and cursor (an older-than sequence).
  router.add("GET", "/api/v1/audit", Role::Operator, [&env](const ApiRequest& req) {
    Page page = pageParams(req);
    uint64_t before = 0;
    if (!page.after.empty()) {
      if (page.after.size() != 8 || store::decodeSeq(page.after) == 0)
        throw ApiError(400, "invalid_query", "cursor is not one this API gave", "cursor");
      before = store::decodeSeq(page.after);
    }
    const auto entity = req.query("entity");
    const auto key = req.query("key");
    const auto actor = req.query("actor");
    const auto action = req.query("action");
    auto txn = env.read();
    auto records =
        store::listAudit(txn, before, page.limit + 1, [&](const store::pb::AuditEntry& e) {
          return (!entity || e.entity() == *entity) && (!key || e.key() == *key) &&
                 (!actor || e.actor() == *actor) && (!action || e.action() == *action);
        });
    const bool more = records.size() > page.limit;
    if (more) records.pop_back();
    Json items = Json::array();
    for (const auto& r : records) {
      const auto& e = r.entry;
      Json detail = e.detail().empty() ? Json(nullptr) : Json::parse(e.detail(), nullptr, false);
      if (detail.is_discarded()) detail = e.detail();
      items.push_back({{"seq", r.seq},
                       {"at", timeutil::formatRfc3339(e.at_ms() / 1000)},
                       {"at_ms", e.at_ms()},
                       {"actor", e.actor()},
                       {"actor_token_id", e.actor_token_id()},
                       {"action", e.action()},
                       {"entity", e.entity()},
                       {"key", e.key()},
                       {"detail", detail},
                       {"remote_addr", e.remote_addr()}});
    }
    return ApiReply{200, pageReply(std::move(items), more,
                                   records.empty() ? "" : store::encodeSeq(records.back().seq))};
  });
}

} // namespace ispbox::api
