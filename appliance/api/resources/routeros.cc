// SPDX-License-Identifier: GPL-2.0-or-later
// The RouterOS features of the admin API: per-NAS router reads (resources, interfaces, PPP and
// hotspot sessions, simple queues), reconciliation with the RADIUS session table, removing a live
// session, live traffic monitors streamed as Server-Sent Events, static-IP subscribers without
// RADIUS, and interface groups with their rate history. The work is in appliance/routeros.
#include <cmath>

#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "appliance/routeros/service.h"
#include "common/time_util.h"
#include "store/entities.h"
#include "store/routeros.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;
using routeros::Row;
using routeros::Service;
using routeros::ServiceError;

Service& service(ApiContext& ctx) {
  if (!ctx.routeros)
    throw ApiError(503, "routeros_disabled", "the RouterOS integration is not running");
  return *ctx.routeros;
}

// Runs fn, turning the service's errors into the API's.
template <class Fn> auto guarded(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const ServiceError& e) {
    throw ApiError(e.status(), e.code(), e.what());
  }
}

// A router row as JSON: ".id" -> "id", "caller-id" -> "caller_id"; numeric and boolean columns
// typed (RouterOS sends every value as text).
Json rowJson(const Row& row, std::initializer_list<std::string_view> numbers = {},
             std::initializer_list<std::string_view> booleans = {}) {
  Json out = Json::object();
  for (const auto& [k, v] : row) {
    std::string key = k == ".id" ? "id" : k;
    for (char& c : key)
      if (c == '-') c = '_';
    bool done = false;
    for (auto n : numbers)
      if (k == n) {
        uint64_t x = 0;
        out[key] = routeros::parseRate(v, &x) ? Json(x) : Json(nullptr);
        done = true;
      }
    for (auto b : booleans)
      if (k == b) {
        out[key] = v == "true" || v == "yes";
        done = true;
      }
    if (!done) out[key] = v;
  }
  return out;
}

Json itemsJson(const std::vector<Row>& rows, std::initializer_list<std::string_view> numbers = {},
               std::initializer_list<std::string_view> booleans = {}) {
  Json items = Json::array();
  for (const auto& r : rows)
    items.push_back(rowJson(r, numbers, booleans));
  return Json{{"items", items}};
}

Json rateJson(uint64_t rx, uint64_t tx) {
  // rx/tx are the router's view of the interface: for a subscriber's PPP interface the router
  // receives what the subscriber uploads and transmits what it downloads.
  return {{"rx_bps", rx},
          {"tx_bps", tx},
          {"rx", routeros::humanRate(static_cast<double>(rx))},
          {"tx", routeros::humanRate(static_cast<double>(tx))}};
}

Json entryJson(const routeros::SessionEntry& e) {
  Json j = {{"kind", e.kind},
            {"username", e.username},
            {"address", e.address},
            {"caller_id", e.caller_id}};
  if (!e.router_id.empty()) j["router_id"] = e.router_id;
  if (!e.uptime.empty()) j["uptime"] = e.uptime;
  if (!e.session_key.empty()) j["session_id"] = encodeCursor(e.session_key);
  return j;
}

Json monitorJson(const routeros::Monitor& m) {
  std::string reason;
  const bool ended = m.ended(&reason);
  const auto last = m.last();
  Json j = {
      {"id", m.id},
      {"subscriber", {{"username", m.username}, {"full_name", m.full_name}, {"plan", m.plan}}},
      {"nas", m.nas},
      {"interface", m.interface},
      {"started_at", timeJson(m.started_at)},
      {"state", ended ? "ended" : "running"},
      {"end_reason", ended ? Json(reason) : Json(nullptr)},
      {"clients", m.clients()},
      {"events", "/api/v1/routeros/monitors/" + m.id + "/events"},
      {"last_sample", nullptr}};
  if (last.seq) {
    Json s = rateJson(last.rx_bps, last.tx_bps);
    s["at"] = timeJson(last.at_ms / 1000);
    j["last_sample"] = s;
  }
  return j;
}

Json sampleJson(const pb::RateSample& s) {
  Json ifs = Json::array();
  for (const auto& i : s.interfaces()) {
    Json r = rateJson(i.rx_bps(), i.tx_bps());
    r["name"] = i.name();
    ifs.push_back(r);
  }
  Json j = rateJson(s.rx_bps(), s.tx_bps());
  j["at"] = timeJson(s.at_ms() / 1000);
  j["at_ms"] = s.at_ms();
  j["interfaces"] = ifs;
  j["error"] = s.error().empty() ? Json(nullptr) : Json(s.error());
  return j;
}

Json groupJson(const store::ReadTxn& txn, const pb::InterfaceGroup& g) {
  Json ifs = Json::array();
  for (const auto& i : g.interfaces())
    ifs.push_back(i);
  auto last = store::latestRateSample(txn, g.name());
  return {{"name", g.name()},
          {"nas", g.nas()},
          {"interfaces", ifs},
          {"description", g.description()},
          {"alert_bps", g.alert_bps() ? Json(g.alert_bps()) : Json(nullptr)},
          {"last_sample", last ? sampleJson(*last) : Json(nullptr)},
          {"created_at", timeJson(g.created_at())},
          {"updated_at", timeJson(g.updated_at())}};
}

Json staticJson(const pb::Subscriber& s, const std::optional<routeros::StaticStatus>& st) {
  const auto& r = s.routeros_static();
  Json status = nullptr;
  if (st)
    status = {{"at", timeJson(st->at)},
              {"in_line", st->error.empty()},
              {"error", st->error.empty() ? Json(nullptr) : Json(st->error)},
              {"queue", st->queue},
              {"max_limit", st->max_limit},
              {"address_list", st->address_list},
              {"isolated", st->isolated}};
  return {{"username", s.username()},
          {"static_ip", s.static_ip().empty() ? Json(nullptr) : Json(s.static_ip())},
          {"plan", s.plan()},
          {"nas", r.nas()},
          {"queue", r.queue().empty() ? Json(nullptr) : Json(r.queue())},
          {"address_list", r.address_list().empty() ? Json(nullptr) : Json(r.address_list())},
          {"last_sync", status}};
}

std::vector<std::string> interfaceList(const Json& body) {
  if (!body.contains("interfaces") || !body["interfaces"].is_array())
    throw ApiError::invalid("interfaces", "must be an array of interface names", "wrong_type");
  const Json& a = body["interfaces"];
  if (a.empty() || a.size() > 64) throw ApiError::invalid("interfaces", "must hold 1 to 64 names");
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (!v.is_string())
      throw ApiError::invalid("interfaces", "every item must be a string", "wrong_type");
    const std::string name = v.get<std::string>();
    if (name.empty() || name.size() > 64 || name.find(',') != std::string::npos ||
        name.find_first_of(std::string("\0\r\n", 3)) != std::string::npos)
      throw ApiError::invalid("interfaces",
                              "names are 1 to 64 characters without commas or line breaks");
    out.push_back(name);
  }
  return out;
}

void mustHaveNas(const store::ReadTxn& txn, const std::string& name, const char* field) {
  auto nas = store::getNas(txn, name);
  if (!nas) throw ApiError::invalid(field, "no NAS named " + name, "not_found");
  if (!nas->has_routeros())
    throw ApiError::invalid(field, "NAS " + name + " has no RouterOS access configured",
                            "no_routeros_access");
}

int64_t queryMs(const ApiRequest& req, const char* name) {
  auto v = req.query(name);
  if (!v) return 0;
  auto t = timeutil::parseRfc3339(*v);
  if (!t)
    throw ApiError(400, "invalid_query", std::string(name) + " must be an RFC 3339 time", name);
  return *t * 1000;
}

} // namespace

void addRouterOsRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;
  ApiContext* c = &ctx;
  const std::string nas = "/api/v1/nas/{name}/routeros";

  // ---- router reads ----
  router.add("GET", nas + "/resource", Role::ReadOnly, [c](const ApiRequest& req) {
    return guarded([&] {
      auto r = service(*c).run(req.param("name"), routeros::resourcePrint());
      if (r.rows.empty()) throw ApiError(502, "router_refused", "the router sent no resource row");
      return ApiReply{
          200, rowJson(r.rows.front(), {"cpu-load", "free-memory", "total-memory", "cpu-count"})};
    });
  });

  router.add("GET", nas + "/interfaces", Role::ReadOnly, [c](const ApiRequest& req) {
    const auto rates = req.query("rates");
    if (rates && *rates != "true" && *rates != "false")
      throw ApiError(400, "invalid_query", "rates must be true or false", "rates");
    return guarded([&] {
      Service& svc = service(*c);
      auto cmd = routeros::interfacePrint();
      if (auto type = req.query("type")) cmd.query("type", *type);
      auto r = svc.run(req.param("name"), cmd);
      Json out = itemsJson(r.rows, {"rx-byte", "tx-byte", "rx-packet", "tx-packet", "mtu"},
                           {"running", "disabled"});
      if (rates && *rates == "true" && !r.rows.empty()) {
        // One monitor-traffic =once= for all listed interfaces: the current rates.
        std::string list;
        for (const auto& row : r.rows)
          if (row.count("name")) list += (list.empty() ? "" : ",") + row.at("name");
        auto m = svc.run(
            req.param("name"),
            routeros::Command("/interface/monitor-traffic").arg("interface", list).arg("once", ""));
        std::map<std::string, Json> by_name;
        for (const auto& row : m.rows) {
          uint64_t rx = 0, tx = 0;
          routeros::parseRate(row.count("rx-bits-per-second") ? row.at("rx-bits-per-second") : "",
                              &rx);
          routeros::parseRate(row.count("tx-bits-per-second") ? row.at("tx-bits-per-second") : "",
                              &tx);
          if (row.count("name")) by_name[row.at("name")] = rateJson(rx, tx);
        }
        for (auto& item : out["items"]) {
          auto it = by_name.find(item.value("name", ""));
          item["rate"] = it == by_name.end() ? Json(nullptr) : it->second;
        }
      }
      return ApiReply{200, out};
    });
  });

  router.add("GET", nas + "/ppp-active", Role::ReadOnly, [c](const ApiRequest& req) {
    return guarded([&] {
      auto cmd = routeros::pppActivePrint();
      if (auto u = req.query("username")) cmd.query("name", *u);
      return ApiReply{200, itemsJson(service(*c).run(req.param("name"), cmd).rows)};
    });
  });

  router.add("GET", nas + "/hotspot-active", Role::ReadOnly, [c](const ApiRequest& req) {
    return guarded([&] {
      auto cmd = routeros::hotspotActivePrint();
      if (auto u = req.query("username")) cmd.query("user", *u);
      return ApiReply{
          200, itemsJson(service(*c).run(req.param("name"), cmd).rows, {"bytes-in", "bytes-out"})};
    });
  });

  router.add("GET", nas + "/queues", Role::ReadOnly, [c](const ApiRequest& req) {
    return guarded([&] {
      auto r = service(*c).run(req.param("name"), routeros::simpleQueuePrint());
      Json out = itemsJson(r.rows, {}, {"disabled", "dynamic"});
      // max-limit is "upload/download" (the target's upload first).
      for (auto& item : out["items"]) {
        const std::string ml = item.value("max_limit", "");
        const size_t slash = ml.find('/');
        uint64_t up = 0, down = 0;
        if (slash != std::string::npos && routeros::parseRate(ml.substr(0, slash), &up) &&
            routeros::parseRate(ml.substr(slash + 1), &down)) {
          item["upload_max_bps"] = up;
          item["download_max_bps"] = down;
        }
      }
      return ApiReply{200, out};
    });
  });

  router.add("GET", nas + "/status", Role::ReadOnly, [c](const ApiRequest& req) {
    return guarded([&] {
      auto cl = service(*c).client(req.param("name"));
      const auto s = cl->stats();
      return ApiReply{
          200, Json{{"transport", cl->transportName()},
                    {"connected", s.connected},
                    {"requests", s.requests},
                    {"cache_hits", s.cache_hits},
                    {"joined", s.joined},
                    {"bytes_sent", s.bytes_sent},
                    {"bytes_received", s.bytes_received},
                    {"connects", s.connects},
                    {"connect_failures", s.connect_failures},
                    {"last_error", s.last_error.empty() ? Json(nullptr) : Json(s.last_error)}}};
    });
  });

  // ---- reconciliation with the RADIUS session table ----
  router.add("GET", nas + "/reconciliation", Role::ReadOnly, [c](const ApiRequest& req) {
    return guarded([&] {
      auto rec = service(*c).reconcile(req.param("name"));
      Json ro = Json::array(), rad = Json::array();
      for (const auto& e : rec.router_only)
        ro.push_back(entryJson(e));
      for (const auto& e : rec.radius_only)
        rad.push_back(entryJson(e));
      return ApiReply{200,
                      Json{{"matched", rec.matched}, {"router_only", ro}, {"radius_only", rad}}};
    });
  });

  router.add("POST", nas + "/reconciliation/close", Role::Operator, [c](const ApiRequest& req) {
    const Json body = req.body();
    Fields f(body, {"router_only", "radius_only"});
    const bool router_only = f.boolean("router_only").value_or(false);
    const bool radius_only = f.boolean("radius_only").value_or(false);
    if (!router_only && !radius_only)
      throw ApiError::invalid("router_only", "set router_only and/or radius_only to true",
                              "nothing_to_do");
    return guarded([&] {
      auto [removed, closed] =
          service(*c).closeUnmatched(req.param("name"), router_only, radius_only, req.who.name);
      return ApiReply{200, Json{{"removed_from_router", removed}, {"closed_in_radius", closed}}};
    });
  });

  router.add(
      "DELETE", nas + "/sessions/{username}", Role::Operator, [c, &env](const ApiRequest& req) {
        const auto kind = req.query("kind").value_or("any");
        routeros::SessionKind k = routeros::SessionKind::Any;
        if (kind == "ppp")
          k = routeros::SessionKind::Ppp;
        else if (kind == "hotspot")
          k = routeros::SessionKind::Hotspot;
        else if (kind != "any")
          throw ApiError(400, "invalid_query", "kind must be ppp, hotspot or any", "kind");
        return guarded([&] {
          const size_t n = service(*c).removeSession(req.param("name"), req.param("username"), k);
          if (n == 0)
            throw ApiError::notFound("subscriber " + req.param("username") +
                                     " has no live session on NAS " + req.param("name"));
          auto txn = env.write();
          audit(txn, req, "disconnect", "session", req.param("username"),
                Json{{"nas", req.param("name")}, {"removed", n}, {"via", "routeros"}});
          txn.commit();
          return ApiReply{200, Json{{"removed", n}}};
        });
      });

  // ---- live traffic monitors ----
  router.add("GET", "/api/v1/routeros/monitors", Role::ReadOnly, [c](const ApiRequest&) {
    Json items = Json::array();
    for (const auto& m : service(*c).monitors())
      items.push_back(monitorJson(*m));
    return ApiReply{200,
                    Json{{"items", items}, {"max_monitors", service(*c).options().max_monitors}}};
  });

  router.add("POST", "/api/v1/routeros/monitors", Role::Operator, [c](const ApiRequest& req) {
    const Json body = req.body();
    Fields f(body, {"username"});
    f.require("username");
    const std::string username = *f.str("username", 1, 128, CharSet::Username);
    return guarded([&] {
      bool created = false;
      auto m = service(*c).startMonitor(username, &created);
      return ApiReply{created ? 201 : 200, monitorJson(*m)};
    });
  });

  router.add("GET", "/api/v1/routeros/monitors/{id}", Role::ReadOnly, [c](const ApiRequest& req) {
    auto m = service(*c).findMonitor(req.param("id"));
    if (!m) throw ApiError::notFound("no running monitor " + req.param("id"));
    return ApiReply{200, monitorJson(*m)};
  });

  router.add("DELETE", "/api/v1/routeros/monitors/{id}", Role::Operator,
             [c](const ApiRequest& req) {
               if (!service(*c).stopMonitor(req.param("id")))
                 throw ApiError::notFound("no running monitor " + req.param("id"));
               return ApiReply{204, nullptr};
             });

  router.add(
      "GET", "/api/v1/routeros/monitors/{id}/events", Role::ReadOnly, [c](const ApiRequest& req) {
        auto m = service(*c).findMonitor(req.param("id"));
        if (!m) throw ApiError::notFound("no running monitor " + req.param("id"));
        m->addClient();
        ApiReply reply;
        reply.content_type = "text/event-stream";
        auto seq = std::make_shared<uint64_t>(0);
        reply.stream = [m, seq](httplib::DataSink& sink) {
          routeros::MonitorSample s;
          bool ended = false;
          std::string reason;
          m->waitNext(*seq, std::chrono::seconds(15), &s, &ended, &reason);
          if (!sink.is_writable()) return false;
          std::string event;
          if (s.seq > *seq) {
            *seq = s.seq;
            Json data = {
                {"monitor_id", m->id},
                {"subscriber",
                 {{"username", m->username}, {"full_name", m->full_name}, {"plan", m->plan}}},
                {"nas", m->nas},
                {"interface", m->interface},
                {"at", timeutil::formatRfc3339(s.at_ms / 1000)},
                {"at_ms", s.at_ms}};
            data.update(rateJson(s.rx_bps, s.tx_bps));
            // The subscriber's view of the same numbers.
            data["download_bps"] = s.tx_bps;
            data["upload_bps"] = s.rx_bps;
            data["download"] = routeros::humanRate(static_cast<double>(s.tx_bps));
            data["upload"] = routeros::humanRate(static_cast<double>(s.rx_bps));
            event = "event: sample\nid: " + std::to_string(s.seq) +
                    "\ndata: " + data.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
          } else if (ended) {
            event = "event: end\ndata: " + Json{{"reason", reason}}.dump() + "\n\n";
            sink.write(event.data(), event.size());
            return false;
          } else {
            event = ": keep-alive\n\n"; // proxies close idle connections
          }
          return sink.write(event.data(), event.size());
        };
        reply.stream_done = [m] { m->removeClient(); };
        return reply;
      });

  // ---- static-IP subscribers without RADIUS ----
  router.add("GET", "/api/v1/routeros/static-subscribers", Role::ReadOnly,
             [c, &env](const ApiRequest& req) {
               Service& svc = service(*c);
               const Page page = pageParams(req);
               auto txn = env.read();
               return ApiReply{200,
                               listPage<pb::Subscriber>(
                                   txn, store::Table::Subscribers, page,
                                   [](const pb::Subscriber& s) { return s.has_routeros_static(); },
                                   [&svc](const pb::Subscriber& s) {
                                     return staticJson(s, svc.staticStatus(s.username()));
                                   })};
             });

  router.add("GET", "/api/v1/routeros/static-subscribers/{username}", Role::ReadOnly,
             [c, &env](const ApiRequest& req) {
               Service& svc = service(*c);
               auto txn = env.read();
               auto s = store::getSubscriber(txn, req.param("username"));
               if (!s || !s->has_routeros_static())
                 throw ApiError::notFound("no static subscriber " + req.param("username"));
               return ApiReply{200, staticJson(*s, svc.staticStatus(s->username()))};
             });

  router.add(
      "PUT", "/api/v1/routeros/static-subscribers/{username}", Role::Operator,
      [c, &env](const ApiRequest& req) {
        const Json body = req.body();
        Fields f(body, {"nas", "queue", "address_list"});
        f.require("nas");
        pb::StaticRouting rs;
        rs.set_nas(*f.str("nas", 1, 64, CharSet::Name));
        if (auto q = f.str("queue", 1, 128)) rs.set_queue(*q);
        if (auto l = f.str("address_list", 1, 64)) rs.set_address_list(*l);
        Service& svc = service(*c);
        {
          auto txn = env.write();
          auto s = store::getSubscriber(txn, req.param("username"));
          if (!s) throw ApiError::notFound("no subscriber named " + req.param("username"));
          if (s->static_ip().empty())
            throw ApiError(409, "no_static_ip",
                           "subscriber " + s->username() +
                               " has no static_ip: set it first (PATCH the subscriber)");
          mustHaveNas(txn, rs.nas(), "nas");
          const bool existed = s->has_routeros_static();
          *s->mutable_routeros_static() = rs;
          s->set_updated_at(timeutil::nowSeconds());
          store::putSubscriber(txn, *s, store::WriteMode::Replace);
          audit(
              txn, req, existed ? "update" : "create", "static_subscriber", s->username(),
              Json{{"nas", rs.nas()}, {"queue", rs.queue()}, {"address_list", rs.address_list()}});
          txn.commit();
        }
        // Applied right away so the answer says whether the router took it.
        auto st = guarded([&] { return svc.syncStatic(req.param("username")); });
        auto txn = env.read();
        return ApiReply{200, staticJson(*store::getSubscriber(txn, req.param("username")), st)};
      });

  router.add("DELETE", "/api/v1/routeros/static-subscribers/{username}", Role::Operator,
             [c, &env](const ApiRequest& req) {
               service(*c);
               auto txn = env.write();
               auto s = store::getSubscriber(txn, req.param("username"));
               if (!s || !s->has_routeros_static())
                 throw ApiError::notFound("no static subscriber " + req.param("username"));
               // The router keeps its queue and list entry: ispbox just stops managing them.
               s->clear_routeros_static();
               s->set_updated_at(timeutil::nowSeconds());
               store::putSubscriber(txn, *s, store::WriteMode::Replace);
               audit(txn, req, "delete", "static_subscriber", s->username(), nullptr);
               txn.commit();
               return ApiReply{204, nullptr};
             });

  router.add("POST", "/api/v1/routeros/static-subscribers/{username}/sync", Role::Operator,
             [c, &env](const ApiRequest& req) {
               return guarded([&] {
                 auto st = service(*c).syncStatic(req.param("username"));
                 auto txn = env.read();
                 return ApiReply{st.error.empty() ? 200 : 502,
                                 staticJson(*store::getSubscriber(txn, req.param("username")), st)};
               });
             });

  // ---- interface groups ----
  const std::string groups = "/api/v1/routeros/interface-groups";
  router.add("GET", groups, Role::ReadOnly, [c, &env](const ApiRequest&) {
    service(*c);
    auto txn = env.read();
    Json items = Json::array();
    for (const auto& g : store::listInterfaceGroups(txn))
      items.push_back(groupJson(txn, g));
    return ApiReply{200, Json{{"items", items}}};
  });

  router.add("POST", groups, Role::Operator, [c, &env](const ApiRequest& req) {
    const Json body = req.body();
    Fields f(body, {"name", "nas", "interfaces", "description", "alert_bps"});
    for (auto field : {"name", "nas", "interfaces"})
      f.require(field);
    pb::InterfaceGroup g;
    g.set_name(*f.str("name", 1, 64, CharSet::Name));
    g.set_nas(*f.str("nas", 1, 64, CharSet::Name));
    for (auto& i : interfaceList(body))
      g.add_interfaces(i);
    g.set_description(f.str("description", 0, 256).value_or(""));
    g.set_alert_bps(f.u64("alert_bps", 0, uint64_t{1} << 50).value_or(0));
    service(*c);
    g.set_created_at(timeutil::nowSeconds());
    g.set_updated_at(g.created_at());
    auto txn = env.write();
    if (store::getInterfaceGroup(txn, g.name()))
      throw ApiError(409, "conflict", "interface group " + g.name() + " exists", "name");
    mustHaveNas(txn, g.nas(), "nas");
    store::putInterfaceGroup(txn, g);
    Json out = groupJson(txn, g);
    audit(txn, req, "create", "interface_group", g.name(), out);
    txn.commit();
    return ApiReply{201, out};
  });

  router.add("GET", groups + "/{name}", Role::ReadOnly, [c, &env](const ApiRequest& req) {
    service(*c);
    auto txn = env.read();
    auto g = store::getInterfaceGroup(txn, req.param("name"));
    if (!g) throw ApiError::notFound("no interface group named " + req.param("name"));
    return ApiReply{200, groupJson(txn, *g)};
  });

  router.add("PATCH", groups + "/{name}", Role::Operator, [c, &env](const ApiRequest& req) {
    const Json body = req.body();
    Fields f(body, {"name", "nas", "interfaces", "description", "alert_bps"});
    service(*c);
    auto txn = env.write();
    auto g = store::getInterfaceGroup(txn, req.param("name"));
    if (!g) throw ApiError::notFound("no interface group named " + req.param("name"));
    const Json before = groupJson(txn, *g);
    if (f.has("name") && f.str("name", 1, 64, CharSet::Name) != g->name())
      throw ApiError::invalid("name", "cannot be changed", "immutable_field");
    for (auto field : {"nas", "interfaces"})
      f.notNull(field);
    if (auto n = f.str("nas", 1, 64, CharSet::Name)) {
      mustHaveNas(txn, *n, "nas");
      g->set_nas(*n);
    }
    if (f.has("interfaces")) {
      g->clear_interfaces();
      for (auto& i : interfaceList(body))
        g->add_interfaces(i);
    }
    if (f.has("description")) g->set_description(f.str("description", 0, 256).value_or(""));
    if (f.has("alert_bps")) g->set_alert_bps(f.u64("alert_bps", 0, uint64_t{1} << 50).value_or(0));
    g->set_updated_at(timeutil::nowSeconds());
    store::putInterfaceGroup(txn, *g);
    Json out = groupJson(txn, *g);
    audit(txn, req, "update", "interface_group", g->name(), diff(before, out));
    txn.commit();
    return ApiReply{200, out};
  });

  router.add("DELETE", groups + "/{name}", Role::Operator, [c, &env](const ApiRequest& req) {
    service(*c);
    auto txn = env.write();
    if (!store::deleteInterfaceGroup(txn, req.param("name")))
      throw ApiError::notFound("no interface group named " + req.param("name"));
    audit(txn, req, "delete", "interface_group", req.param("name"), nullptr);
    txn.commit();
    return ApiReply{204, nullptr};
  });

  router.add("GET", groups + "/{name}/history", Role::ReadOnly, [c, &env](const ApiRequest& req) {
    service(*c);
    const int64_t from = queryMs(req, "from"), to = queryMs(req, "to");
    size_t limit = 1000;
    if (auto l = req.query("limit")) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(l->c_str(), &end, 10);
      if (l->empty() || *end || v < 1 || v > 10000)
        throw ApiError(400, "invalid_query", "limit must be 1..10000", "limit");
      limit = v;
    }
    auto txn = env.read();
    if (!store::getInterfaceGroup(txn, req.param("name")))
      throw ApiError::notFound("no interface group named " + req.param("name"));
    bool more = false;
    Json items = Json::array();
    for (const auto& s : store::listRateSamples(txn, req.param("name"), from, to, limit, &more))
      items.push_back(sampleJson(s));
    return ApiReply{200, Json{{"items", items}, {"more", more}}};
  });

  router.add("POST", groups + "/{name}/sample", Role::Operator, [c](const ApiRequest& req) {
    return guarded([&] {
      return ApiReply{200, sampleJson(service(*c).sampleGroup(req.param("name")))};
    });
  });
}

} // namespace ispbox::api
