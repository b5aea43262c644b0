// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/subscribers: PPPoE and hotspot accounts, keyed by username.
#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "store/entities.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;

constexpr std::pair<std::string_view, pb::SubscriberStatus> kStatuses[] = {
    {"active", pb::ACTIVE},
    {"suspended", pb::SUSPENDED},
    {"isolated", pb::ISOLATED},
    {"terminated", pb::TERMINATED},
};

std::string_view statusName(pb::SubscriberStatus s) {
  for (const auto& [name, value] : kStatuses)
    if (value == s) return name;
  return "active";
}

std::optional<pb::SubscriberStatus> parseStatus(std::string_view name) {
  for (const auto& [n, value] : kStatuses)
    if (n == name) return value;
  return std::nullopt;
}

} // namespace

// The password is never part of the view: it is write-only through the API.
Json subscriberJson(const pb::Subscriber& s) {
  return {{"username", s.username()},
          {"plan", s.plan()},
          {"status", statusName(s.status())},
          {"expires_at", timeJson(s.expires_at())},
          {"static_ip", s.static_ip().empty() ? Json(nullptr) : Json(s.static_ip())},
          {"mac", s.mac().empty() ? Json(nullptr) : Json(s.mac())},
          {"simultaneous_use", s.simultaneous_use() == 0 ? 1u : s.simultaneous_use()},
          {"tenant", s.tenant()},
          {"full_name", s.full_name()},
          {"comment", s.comment()},
          {"external_id", s.external_id()},
          {"created_at", timeJson(s.created_at())},
          {"updated_at", timeJson(s.updated_at())}};
}

namespace {

void applySubscriber(const Json& body, pb::Subscriber& s, bool create) {
  Fields f(body, {"username", "password", "plan", "status", "expires_at", "static_ip", "mac",
                  "simultaneous_use", "tenant", "full_name", "comment", "external_id"});
  if (create) {
    for (auto field : {"username", "password", "plan"})
      f.require(field);
    // RADIUS carries at most 253 bytes in User-Name.
    s.set_username(*f.str("username", 1, 253, CharSet::Username));
    s.set_status(pb::ACTIVE);
  } else if (f.has("username")) {
    auto u = f.str("username", 1, 253, CharSet::Username);
    if (!u || *u != s.username())
      throw ApiError::invalid("username", "cannot be changed", "immutable_field");
  }
  for (auto field : {"password", "plan", "status"})
    f.notNull(field);
  // User-Password holds at most 128 bytes (RFC 2865 5.2).
  if (auto v = f.str("password", 1, 128)) s.set_password(*v);
  if (auto v = f.str("plan", 1, 64, CharSet::Name)) s.set_plan(*v);
  if (auto v = f.oneOf("status", {"active", "suspended", "isolated", "terminated"}))
    s.set_status(*parseStatus(*v));
  if (f.has("expires_at")) s.set_expires_at(f.timestamp("expires_at").value_or(0));
  if (f.has("static_ip")) s.set_static_ip(f.ip("static_ip", true).value_or(""));
  if (f.has("mac")) s.set_mac(f.mac("mac").value_or(""));
  if (f.has("simultaneous_use"))
    s.set_simultaneous_use(static_cast<uint32_t>(f.u64("simultaneous_use", 1, 100).value_or(0)));
  if (f.has("tenant")) s.set_tenant(f.str("tenant", 0, 64, CharSet::Name).value_or(""));
  if (f.has("full_name")) s.set_full_name(f.str("full_name", 0, 256).value_or(""));
  if (f.has("comment")) s.set_comment(f.str("comment", 0, 1024).value_or(""));
  if (f.has("external_id")) s.set_external_id(f.str("external_id", 0, 128).value_or(""));
}

// Checks what the store would otherwise report as a bare NotFound/Conflict, with the field named.
void checkReferences(const store::ReadTxn& txn, const pb::Subscriber& s) {
  if (!store::getPlan(txn, s.plan()))
    throw ApiError::invalid("plan", "no plan named '" + s.plan() + "'", "plan_not_found");
  if (!s.static_ip().empty()) {
    auto owner = txn.get(store::Table::SubscribersByIp, s.static_ip());
    if (owner && *owner != s.username())
      throw ApiError(409, "conflict",
                     "static_ip " + s.static_ip() + " already belongs to " + std::string(*owner),
                     "static_ip");
  }
}

pb::Subscriber mustGet(const store::ReadTxn& txn, const std::string& username) {
  auto s = store::getSubscriber(txn, username);
  if (!s) throw ApiError::notFound("no subscriber named " + username);
  return *s;
}

} // namespace

void addSubscriberRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  // Filters: status, plan, tenant, external_id, q (username prefix). Ordered by username.
  router.add("GET", "/api/v1/subscribers", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    std::optional<pb::SubscriberStatus> status;
    if (auto st = req.query("status")) {
      status = parseStatus(*st);
      if (!status)
        throw ApiError(400, "invalid_query",
                       "status must be active, suspended, isolated or terminated", "status");
    }
    const auto plan = req.query("plan");
    const auto tenant = req.query("tenant");
    const auto external_id = req.query("external_id");
    const std::string prefix = req.query("q").value_or("");

    Json items = Json::array();
    bool more = false;
    std::string last;
    auto txn = env.read();
    auto visit = [&](const pb::Subscriber& s) {
      if (!s.username().starts_with(prefix)) return true;
      if (status && s.status() != *status) return true;
      if (tenant && s.tenant() != *tenant) return true;
      if (external_id && s.external_id() != *external_id) return true;
      if (items.size() == page.limit) return !(more = true);
      items.push_back(subscriberJson(s));
      last = s.username();
      return true;
    };
    if (plan) {
      // The plan index avoids reading every subscriber.
      pb::Subscriber s;
      store::forEachSubscriberOnPlan(txn, *plan, page.after, [&](std::string_view username) {
        return !store::getSubscriber(txn, username, &s) || visit(s);
      });
    } else {
      const std::string start = std::max(page.after, prefix);
      const bool inclusive = start != page.after; // the prefix itself may be a username
      store::Cursor cur(txn, store::Table::Subscribers);
      pb::Subscriber s;
      for (bool ok = inclusive ? cur.seek(start) : cur.seekAfter(start); ok; ok = cur.next()) {
        if (!cur.key().starts_with(prefix)) break;
        if (!store::decodeInto(cur.value(), &s))
          throw store::StoreError(store::StoreError::Code::Corrupt, "subscriber record");
        if (!visit(s)) break;
      }
    }
    return ApiReply{200, pageReply(std::move(items), more, last)};
  });

  router.add("POST", "/api/v1/subscribers", Role::Operator, [&env](const ApiRequest& req) {
    pb::Subscriber s;
    applySubscriber(req.body(), s, true);
    s.set_created_at(timeutil::nowSeconds());
    s.set_updated_at(s.created_at());
    auto txn = env.write();
    if (store::getSubscriber(txn, s.username()))
      throw ApiError(409, "conflict", "subscriber " + s.username() + " exists", "username");
    checkReferences(txn, s);
    store::putSubscriber(txn, s, store::WriteMode::Create);
    Json out = subscriberJson(s);
    audit(txn, req, "create", "subscriber", s.username(), out);
    txn.commit();
    return ApiReply{201, out};
  });

  router.add("GET", "/api/v1/subscribers/{username}", Role::ReadOnly,
             [&env](const ApiRequest& req) {
               auto txn = env.read();
               return ApiReply{200, subscriberJson(mustGet(txn, req.param("username")))};
             });

  router.add("PATCH", "/api/v1/subscribers/{username}", Role::Operator,
             [&env](const ApiRequest& req) {
               const Json body = req.body();
               auto txn = env.write();
               pb::Subscriber s = mustGet(txn, req.param("username"));
               const Json before = subscriberJson(s);
               const std::string old_password = s.password();
               applySubscriber(body, s, false);
               checkReferences(txn, s);
               Json changes = diff(before, subscriberJson(s));
               if (s.password() != old_password) changes["password"] = "changed";
               if (changes.empty()) return ApiReply{200, before}; // nothing to write
               s.set_updated_at(timeutil::nowSeconds());
               store::putSubscriber(txn, s, store::WriteMode::Replace);
               Json out = subscriberJson(s);
               audit(txn, req, "update", "subscriber", s.username(), changes);
               txn.commit();
               return ApiReply{200, out};
             });

  router.add("DELETE", "/api/v1/subscribers/{username}", Role::Operator,
             [&env](const ApiRequest& req) {
               auto txn = env.write();
               if (!store::deleteSubscriber(txn, req.param("username")))
                 throw ApiError::notFound("no subscriber named " + req.param("username"));
               audit(txn, req, "delete", "subscriber", req.param("username"), nullptr);
               txn.commit();
               return ApiReply{204, nullptr};
             });
}

} // namespace ispbox::api
