// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/health and /api/v1/openapi.json: the two endpoints that need no token.
#include "appliance/api/openapi_document.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"

namespace ispbox::api {

void addSystemRoutes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/health", Role::None, [&ctx](const ApiRequest&) {
    // Opening a snapshot proves the store is usable; health says nothing about the data.
    auto txn = ctx.env.read();
    (void)txn.count(store::Table::Meta);
    return ApiReply{200,
                    {{"status", "ok"},
                     {"version", ctx.version},
                     {"uptime_s", timeutil::nowSeconds() - ctx.started_at},
                     {"schema_version", ctx.env.schemaVersion()}}};
  });

  router.add("GET", "/api/v1/openapi.json", Role::None, [](const ApiRequest&) {
    ApiReply reply;
    reply.body = nullptr;
    reply.raw = std::string(openApiDocument());
    return reply;
  });
}

} // namespace ispbox::api
