// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/tokens: API tokens and their roles (admin only). The secret is shown once, at creation.
#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "store/entities.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;

Json tokenJson(const pb::ApiToken& t) {
  return {{"id", t.id()},
          {"name", t.name()},
          {"role", t.role()},
          {"tenant", t.tenant()},
          {"created_by", t.created_by()},
          {"created_at", timeJson(t.created_at())}};
}

} // namespace

void addTokenRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  router.add("GET", "/api/v1/tokens", Role::Admin, [&env](const ApiRequest&) {
    auto txn = env.read();
    Json items = Json::array();
    for (const auto& t : store::listTokens(txn))
      items.push_back(tokenJson(t));
    return ApiReply{200, {{"items", items}, {"next_cursor", nullptr}}};
  });

  router.add("POST", "/api/v1/tokens", Role::Admin, [&env](const ApiRequest& req) {
    const Json body = req.body();
    Fields f(body, {"name", "role", "tenant"});
    f.require("name");
    f.require("role");
    pb::ApiToken t;
    t.set_name(*f.str("name", 1, 64, CharSet::Name));
    t.set_role(*f.oneOf("role", {"admin", "operator", "readonly"}));
    t.set_tenant(f.str("tenant", 0, 64, CharSet::Name).value_or(""));
    t.set_created_by(req.who.name);
    auto txn = env.write();
    auto created = store::createToken(txn, t);
    Json out = tokenJson(created.token);
    audit(txn, req, "create", "token", created.token.id(), out);
    txn.commit();
    out["token"] = created.secret; // the only time it is ever shown
    return ApiReply{201, out};
  });

  router.add("DELETE", "/api/v1/tokens/{id}", Role::Admin, [&env](const ApiRequest& req) {
    const std::string id = req.param("id");
    auto txn = env.write();
    const auto tokens = store::listTokens(txn);
    const pb::ApiToken* victim = nullptr;
    int admins = 0;
    for (const auto& t : tokens) {
      if (t.id() == id) victim = &t;
      if (t.role() == "admin") ++admins;
    }
    if (!victim) throw ApiError::notFound("no token with id " + id);
    // Locking every administrator out would need a trip to the console to undo.
    if (victim->role() == "admin" && admins == 1)
      throw ApiError::conflict("this is the last admin token; create another admin token first");
    store::revokeToken(txn, id);
    audit(txn, req, "delete", "token", id, tokenJson(*victim));
    txn.commit();
    return ApiReply{204, nullptr};
  });
}

} // namespace ispbox::api
