// SPDX-License-Identifier: GPL-2.0-or-later
// Actions on subscribers that reach their live sessions: suspend and unsuspend (one or many at
// once), disconnect, and the history of what was done (API changes and every CoA/Disconnect with
// its outcome, from the audit log). Suspending writes the state; the enforcer
// (appliance/enforcer/) sees the change and moves the live sessions, whoever made the change.
#include <set>

#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/sessions.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;

constexpr size_t kMaxBulk = 50000;

Json optionalBody(const ApiRequest& req) {
  if (req.http.body.empty()) return Json::object();
  return req.body();
}

std::string reasonOf(const Json& body, std::initializer_list<std::string_view> allowed) {
  Fields f(body, allowed);
  return f.str("reason", 0, 256).value_or("");
}

// Sets the status if it differs; returns whether it wrote. Terminated subscribers stay so: only
// an explicit PATCH of the status brings one back.
bool setStatus(store::WriteTxn& txn, const ApiRequest& req, pb::Subscriber& s,
               pb::SubscriberStatus to, const std::string& action, const std::string& reason) {
  if (s.status() == to) return false;
  if (s.status() == pb::TERMINATED)
    throw ApiError(409, "subscriber_terminated",
                   s.username() + " is terminated: PATCH its status to bring it back");
  if (to == pb::ACTIVE && s.status() != pb::SUSPENDED && s.status() != pb::ISOLATED) return false;
  const Json before = subscriberJson(s);
  s.set_status(to);
  s.set_updated_at(timeutil::nowSeconds());
  store::putSubscriber(txn, s, store::WriteMode::Replace);
  Json detail = diff(before, subscriberJson(s));
  if (!reason.empty()) detail["reason"] = reason;
  audit(txn, req, action, "subscriber", s.username(), detail);
  return true;
}

ApiReply single(store::Env& env, const ApiRequest& req, pb::SubscriberStatus to,
                const std::string& action) {
  const std::string reason = reasonOf(optionalBody(req), {"reason"});
  auto txn = env.write();
  auto s = store::getSubscriber(txn, req.param("username"));
  if (!s) throw ApiError::notFound("no subscriber named " + req.param("username"));
  const bool changed = setStatus(txn, req, *s, to, action, reason);
  const size_t live = store::countLiveSessionsOf(txn, s->username());
  Json out = {{"subscriber", subscriberJson(*s)}, {"changed", changed}, {"live_sessions", live}};
  if (changed) txn.commit();
  return ApiReply{200, out};
}

ApiReply bulk(store::Env& env, const ApiRequest& req, pb::SubscriberStatus to,
              const std::string& action) {
  const Json body = req.body();
  const std::string reason = reasonOf(body, {"usernames", "reason"});
  Fields(body, {"usernames", "reason"}).require("usernames");
  const Json& list = body["usernames"];
  if (!list.is_array()) throw ApiError::invalid("usernames", "must be an array of usernames");
  if (list.empty() || list.size() > kMaxBulk)
    throw ApiError::invalid("usernames",
                            "must hold 1 to " + std::to_string(kMaxBulk) + " usernames");
  std::set<std::string> names;
  for (const auto& v : list) {
    if (!v.is_string()) throw ApiError::invalid("usernames", "must hold strings only");
    names.insert(v.get<std::string>());
  }
  size_t changed = 0, unchanged = 0;
  Json not_found = Json::array(), terminated = Json::array();
  // One transaction: all of them or none, and one commit however many.
  auto txn = env.write();
  for (const auto& name : names) {
    auto s = store::getSubscriber(txn, name);
    if (!s) {
      not_found.push_back(name);
      continue;
    }
    if (s->status() == pb::TERMINATED && s->status() != to) {
      terminated.push_back(name);
      continue;
    }
    (setStatus(txn, req, *s, to, action, reason) ? changed : unchanged)++;
  }
  if (changed) txn.commit();
  return ApiReply{200,
                  {{"changed", changed},
                   {"unchanged", unchanged},
                   {"not_found", not_found},
                   {"terminated", terminated}}};
}

} // namespace

void addSubscriberActionRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  router.add("POST", "/api/v1/subscribers/{username}/suspend", Role::Operator,
             [&env](const ApiRequest& req) { return single(env, req, pb::SUSPENDED, "suspend"); });
  router.add("POST", "/api/v1/subscribers/{username}/unsuspend", Role::Operator,
             [&env](const ApiRequest& req) { return single(env, req, pb::ACTIVE, "unsuspend"); });
  router.add("POST", "/api/v1/subscribers/suspend", Role::Operator,
             [&env](const ApiRequest& req) { return bulk(env, req, pb::SUSPENDED, "suspend"); });
  router.add("POST", "/api/v1/subscribers/unsuspend", Role::Operator,
             [&env](const ApiRequest& req) { return bulk(env, req, pb::ACTIVE, "unsuspend"); });

  router.add("POST", "/api/v1/subscribers/{username}/disconnect", Role::Operator,
             [&ctx](const ApiRequest& req) {
               const std::string reason = reasonOf(optionalBody(req), {"reason"});
               {
                 auto txn = ctx.env.read();
                 if (!store::getSubscriber(txn, req.param("username")))
                   throw ApiError::notFound("no subscriber named " + req.param("username"));
               }
               if (!ctx.sessions)
                 throw ApiError(503, "coa_disabled",
                                "CoA/Disconnect is not running in this ispboxd ([coa] enabled)");
               const size_t n = ctx.sessions->disconnect(
                   req.param("username"), req.who.name,
                   reason.empty() ? "disconnect requested through the API" : reason);
               return ApiReply{202, {{"live_sessions", n}}};
             });

  // Newest first; paging by an older-than cursor, like /api/v1/audit.
  router.add(
      "GET", "/api/v1/subscribers/{username}/actions", Role::ReadOnly,
      [&env](const ApiRequest& req) {
        Page page = pageParams(req);
        uint64_t before = 0;
        if (!page.after.empty()) {
          if (page.after.size() != 8 || store::decodeSeq(page.after) == 0)
            throw ApiError(400, "invalid_query", "cursor is not one this API gave", "cursor");
          before = store::decodeSeq(page.after);
        }
        auto txn = env.read();
        auto records =
            store::listAuditFor(txn, "subscriber", req.param("username"), before, page.limit + 1);
        if (records.empty() && !store::getSubscriber(txn, req.param("username")))
          throw ApiError::notFound("no subscriber named " + req.param("username"));
        const bool more = records.size() > page.limit;
        if (more) records.pop_back();
        Json items = Json::array();
        for (const auto& r : records) {
          const auto& e = r.entry;
          Json detail =
              e.detail().empty() ? Json(nullptr) : Json::parse(e.detail(), nullptr, false);
          if (detail.is_discarded()) detail = e.detail();
          items.push_back({{"seq", r.seq},
                           {"at", timeutil::formatRfc3339(e.at_ms() / 1000)},
                           {"at_ms", e.at_ms()},
                           {"actor", e.actor()},
                           {"action", e.action()},
                           {"detail", detail}});
        }
        return ApiReply{200,
                        pageReply(std::move(items), more,
                                  records.empty() ? "" : store::encodeSeq(records.back().seq))};
      });
}

} // namespace ispbox::api
