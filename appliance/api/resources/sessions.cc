// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/sessions, subscribers' sessions and usage, and /api/v1/postauth: what RADIUS recorded.
// Read-only: rlm_isp writes all of it.
#include "store/sessions.h"
#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/net.h"
#include "common/time_util.h"
#include "store/entities.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;

Json sessionJson(std::string_view key, const pb::Session& s) {
  return {
      {"id", encodeCursor(key)},
      {"username", s.username()},
      {"nas_ip", s.nas_ip()},
      {"acct_session_id", s.acct_session_id()},
      {"framed_ip", s.framed_ip().empty() ? Json(nullptr) : Json(s.framed_ip())},
      {"calling_station_id", s.calling_station_id()},
      {"nas_port_id", s.nas_port_id()},
      {"state", s.state() == pb::SESSION_CLOSED ? "closed" : "active"},
      {"started_at", timeJson(s.started_at())},
      {"updated_at", timeJson(s.updated_at())},
      {"stopped_at", timeJson(s.stopped_at())},
      {"session_time_s", s.session_time()},
      {"input_octets", s.input_octets()},
      {"output_octets", s.output_octets()},
      {"input_packets", s.input_packets()},
      {"output_packets", s.output_packets()},
      {"terminate_cause", s.terminate_cause().empty() ? Json(nullptr) : Json(s.terminate_cause())},
      {"pool", s.pool().empty() ? Json(nullptr) : Json(s.pool())},
      {"class", s.class_tag()}};
}

std::optional<std::string> nasFilter(const ApiRequest& req) {
  auto nas = req.query("nas_ip");
  if (!nas) return std::nullopt;
  auto ip = net::normalizeIp(*nas);
  if (!ip) throw ApiError(400, "invalid_query", "nas_ip is not an IP address", "nas_ip");
  return ip;
}

uint64_t historyCursor(const Page& page) {
  if (page.after.empty()) return 0;
  if (page.after.size() != 8 || store::decodeSeq(page.after) == 0)
    throw ApiError(400, "invalid_query", "cursor is not one this API gave", "cursor");
  return store::decodeSeq(page.after);
}

void mustExist(const store::ReadTxn& txn, const std::string& username) {
  if (!store::getSubscriber(txn, username))
    throw ApiError::notFound("no subscriber named " + username);
}

} // namespace

void addSessionRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  // Live sessions, ordered by NAS and session id. Filters: username, nas_ip.
  router.add("GET", "/api/v1/sessions", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    const auto username = req.query("username");
    const auto nas = nasFilter(req);
    Json items = Json::array();
    bool more = false;
    std::string last;
    auto txn = env.read();
    if (username) {
      // The by-user index: at most a handful, no paging needed.
      for (const auto& ks : store::liveSessionsOf(txn, *username))
        if (!nas || ks.session.nas_ip() == *nas) items.push_back(sessionJson(ks.key, ks.session));
    } else {
      const std::string start = std::max(page.after, nas ? *nas + '\0' : std::string());
      store::Cursor cur(txn, store::Table::Sessions);
      pb::Session s;
      for (bool ok = start == page.after ? cur.seekAfter(start) : cur.seek(start); ok;
           ok = cur.next()) {
        if (nas && !cur.key().starts_with(*nas + '\0')) break;
        if (!store::decodeInto(cur.value(), &s))
          throw store::StoreError(store::StoreError::Code::Corrupt, "session");
        if (s.state() == pb::SESSION_CLOSED) continue;
        if (items.size() == page.limit) {
          more = true;
          break;
        }
        items.push_back(sessionJson(cur.key(), s));
        last = cur.key();
      }
    }
    return ApiReply{200, pageReply(std::move(items), more, last)};
  });

  // Closed sessions, newest first. Filters: username, nas_ip.
  router.add("GET", "/api/v1/sessions/history", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    const uint64_t before = historyCursor(page);
    const auto username = req.query("username");
    const auto nas = nasFilter(req);
    auto txn = env.read();
    auto rows = store::listSessionHistory(txn, before, page.limit + 1, [&](const pb::Session& s) {
      return (!username || s.username() == *username) && (!nas || s.nas_ip() == *nas);
    });
    const bool more = rows.size() > page.limit;
    if (more) rows.pop_back();
    Json items = Json::array();
    for (const auto& [seq, s] : rows)
      items.push_back(sessionJson(store::sessionKey(s.nas_ip(), s.acct_session_id()), s));
    return ApiReply{200, pageReply(std::move(items), more,
                                   rows.empty() ? "" : store::encodeSeq(rows.back().first))};
  });

  router.add("GET", "/api/v1/sessions/{id}", Role::ReadOnly, [&env](const ApiRequest& req) {
    std::string key;
    try {
      key = decodeCursorOrThrow(req.param("id"));
    } catch (const ApiError&) {
      throw ApiError::notFound("no session with id " + req.param("id"));
    }
    auto txn = env.read();
    auto s = store::getSession(txn, key);
    if (!s) throw ApiError::notFound("no session with id " + req.param("id"));
    return ApiReply{200, sessionJson(key, *s)};
  });

  router.add("GET", "/api/v1/subscribers/{username}/sessions", Role::ReadOnly,
             [&env](const ApiRequest& req) {
               auto txn = env.read();
               mustExist(txn, req.param("username"));
               Json items = Json::array();
               for (const auto& ks : store::liveSessionsOf(txn, req.param("username")))
                 items.push_back(sessionJson(ks.key, ks.session));
               return ApiReply{200, {{"items", items}, {"next_cursor", nullptr}}};
             });

  // Usage per day (?period=day, the default) or per month, oldest first.
  router.add(
      "GET", "/api/v1/subscribers/{username}/usage", Role::ReadOnly, [&env](const ApiRequest& req) {
        const std::string period = req.query("period").value_or("day");
        if (period != "day" && period != "month")
          throw ApiError(400, "invalid_query", "period must be day or month", "period");
        auto txn = env.read();
        mustExist(txn, req.param("username"));
        Json items = Json::array();
        for (const auto& [p, u] :
             store::listUsage(txn, req.param("username"), period == "day" ? 'd' : 'm')) {
          // "20261121" -> "2026-11-21", "202611" -> "2026-11"
          std::string label = p.substr(0, 4) + "-" + p.substr(4, 2);
          if (p.size() == 8) label += "-" + p.substr(6, 2);
          items.push_back({{"period", label},
                           {"input_octets", u.input_octets()},
                           {"output_octets", u.output_octets()},
                           {"total_octets", u.input_octets() + u.output_octets()},
                           {"session_time_s", u.session_time()}});
        }
        return ApiReply{
            200, {{"username", req.param("username")}, {"period", period}, {"items", items}}};
      });

  // Every Access-Accept and Access-Reject with its reason, newest first.
  router.add("GET", "/api/v1/postauth", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    const uint64_t before = historyCursor(page);
    const auto username = req.query("username");
    const auto result = req.query("result");
    if (result && *result != "accept" && *result != "reject")
      throw ApiError(400, "invalid_query", "result must be accept or reject", "result");
    auto txn = env.read();
    auto rows = store::listPostAuth(txn, before, page.limit + 1, [&](const pb::PostAuth& e) {
      return (!username || e.username() == *username) &&
             (!result || e.accepted() == (*result == "accept"));
    });
    const bool more = rows.size() > page.limit;
    if (more) rows.pop_back();
    Json items = Json::array();
    for (const auto& [seq, e] : rows)
      items.push_back({{"seq", seq},
                       {"at", timeutil::formatRfc3339(e.at_ms() / 1000)},
                       {"username", e.username()},
                       {"nas_ip", e.nas_ip()},
                       {"result", e.accepted() ? "accept" : "reject"},
                       {"reason", e.reason()},
                       {"profile", e.profile()},
                       {"calling_station_id", e.calling_station_id()}});
    return ApiReply{200, pageReply(std::move(items), more,
                                   rows.empty() ? "" : store::encodeSeq(rows.back().first))};
  });
}

} // namespace ispbox::api
