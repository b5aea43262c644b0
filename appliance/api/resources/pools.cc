// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/pools: IPv4 pools ispbox leases addresses from (a plan's `pool` naming one of these
// gets Framed-IP-Address from us; any other name is sent as Framed-Pool for the router's pool).
#include "store/pools.h"
#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "store/entities.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;
constexpr uint64_t kMaxPoolSize = 1 << 20; // a /12: more than any POP hands out

Json poolJson(const store::ReadTxn& txn, const pb::Pool& p, int64_t now) {
  Json ranges = Json::array();
  for (const auto& r : p.ranges())
    ranges.push_back({{"first", r.first()}, {"last", r.last()}});
  uint64_t live = 0;
  for (const auto& l : store::listLeases(txn, p.name(), now))
    live += l.live ? 1 : 0;
  return {{"name", p.name()},
          {"description", p.description()},
          {"ranges", ranges},
          {"size", store::poolSize(p)},
          {"leased", live},
          {"created_at", timeJson(p.created_at())},
          {"updated_at", timeJson(p.updated_at())}};
}

void applyPool(const Json& body, pb::Pool& p, bool create) {
  Fields f(body, {"name", "description", "ranges"});
  if (create) {
    f.require("name");
    f.require("ranges");
    p.set_name(*f.str("name", 1, 64, CharSet::Name));
  } else if (f.has("name")) {
    auto n = f.str("name", 1, 64, CharSet::Name);
    if (!n || *n != p.name())
      throw ApiError::invalid("name", "cannot be changed", "immutable_field");
  }
  f.notNull("ranges");
  if (f.has("description")) p.set_description(f.str("description", 0, 256).value_or(""));
  if (f.has("ranges")) {
    const Json& ranges = body.at("ranges");
    if (!ranges.is_array() || ranges.empty() || ranges.size() > 64)
      throw ApiError::invalid("ranges", "must be a list of 1..64 {first, last} ranges",
                              ranges.is_array() ? "invalid_value" : "wrong_type");
    p.clear_ranges();
    uint64_t total = 0;
    std::vector<std::pair<uint32_t, uint32_t>> seen;
    for (size_t i = 0; i < ranges.size(); ++i) {
      Fields r(ranges[i], {"first", "last"}, "ranges[" + std::to_string(i) + "].");
      r.require("first");
      r.require("last");
      const auto first = *r.ip("first", true), last = *r.ip("last", true);
      const uint32_t a = *store::parseIpv4(first), b = *store::parseIpv4(last);
      if (b < a) throw ApiError::invalid(r.fieldName("last"), "must not be below first");
      for (const auto& [x, y] : seen)
        if (x <= b && a <= y) throw ApiError::invalid(r.fieldName("first"), "ranges overlap");
      seen.emplace_back(a, b);
      total += uint64_t{b} - a + 1;
      auto* out = p.add_ranges();
      out->set_first(first);
      out->set_last(last);
    }
    if (total > kMaxPoolSize)
      throw ApiError::invalid("ranges", "a pool holds at most " + std::to_string(kMaxPoolSize) +
                                            " addresses");
  }
}

pb::Pool mustGet(const store::ReadTxn& txn, const std::string& name) {
  auto p = store::getPool(txn, name);
  if (!p) throw ApiError::notFound("no pool named " + name);
  return *p;
}

} // namespace

void addPoolRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  router.add("GET", "/api/v1/pools", Role::ReadOnly, [&env](const ApiRequest& req) {
    const int64_t now = timeutil::nowSeconds();
    auto txn = env.read();
    auto view = [&](const pb::Pool& p) { return poolJson(txn, p, now); };
    return ApiReply{200,
                    listPage<pb::Pool>(txn, store::Table::Pools, pageParams(req), nullptr, view)};
  });

  router.add("POST", "/api/v1/pools", Role::Operator, [&env](const ApiRequest& req) {
    pb::Pool p;
    applyPool(req.body(), p, true);
    p.set_created_at(timeutil::nowSeconds());
    p.set_updated_at(p.created_at());
    auto txn = env.write();
    if (store::getPool(txn, p.name()))
      throw ApiError(409, "conflict", "pool " + p.name() + " exists", "name");
    store::putPool(txn, p);
    Json out = poolJson(txn, p, timeutil::nowSeconds());
    audit(txn, req, "create", "pool", p.name(), out);
    txn.commit();
    return ApiReply{201, out};
  });

  router.add("GET", "/api/v1/pools/{name}", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    return ApiReply{200, poolJson(txn, mustGet(txn, req.param("name")), timeutil::nowSeconds())};
  });

  router.add("PATCH", "/api/v1/pools/{name}", Role::Operator, [&env](const ApiRequest& req) {
    const Json body = req.body();
    const int64_t now = timeutil::nowSeconds();
    auto txn = env.write();
    pb::Pool p = mustGet(txn, req.param("name"));
    const Json before = poolJson(txn, p, now);
    applyPool(body, p, false);
    Json changes = diff(before, poolJson(txn, p, now));
    if (changes.empty()) return ApiReply{200, before};
    // Shrinking a pool must not strand a live session's address.
    for (const auto& l : store::listLeases(txn, p.name(), now)) {
      if (!l.live) continue;
      const uint32_t ip = *store::parseIpv4(l.lease.ip());
      bool inside = false;
      for (const auto& r : p.ranges())
        inside =
            inside || (ip >= *store::parseIpv4(r.first()) && ip <= *store::parseIpv4(r.last()));
      if (!inside)
        throw ApiError(409, "conflict",
                       "address " + l.lease.ip() + " is leased to " + l.lease.username() +
                           " and would leave the pool",
                       "ranges");
    }
    p.set_updated_at(now);
    store::putPool(txn, p);
    Json out = poolJson(txn, p, now);
    audit(txn, req, "update", "pool", p.name(), changes);
    txn.commit();
    return ApiReply{200, out};
  });

  router.add("DELETE", "/api/v1/pools/{name}", Role::Operator, [&env](const ApiRequest& req) {
    auto txn = env.write();
    if (!store::deletePool(txn, req.param("name"), timeutil::nowSeconds()))
      throw ApiError::notFound("no pool named " + req.param("name"));
    audit(txn, req, "delete", "pool", req.param("name"), nullptr);
    txn.commit();
    return ApiReply{204, nullptr};
  });

  router.add("GET", "/api/v1/pools/{name}/leases", Role::ReadOnly, [&env](const ApiRequest& req) {
    const int64_t now = timeutil::nowSeconds();
    auto txn = env.read();
    mustGet(txn, req.param("name"));
    const std::string live = req.query("live").value_or("false");
    if (live != "true" && live != "false")
      throw ApiError(400, "invalid_query", "live must be true or false", "live");
    const bool live_only = live == "true";
    Json items = Json::array();
    static constexpr const char* kStates[] = {"unknown", "offered", "active", "released"};
    for (const auto& l : store::listLeases(txn, req.param("name"), now)) {
      if (live_only && !l.live) continue;
      const int st = l.lease.state();
      items.push_back({{"ip", l.lease.ip()},
                       {"username", l.lease.username()},
                       {"state", kStates[st >= 0 && st <= 3 ? st : 0]},
                       {"live", l.live},
                       {"updated_at", timeJson(l.lease.updated_at())}});
    }
    return ApiReply{200, {{"items", items}, {"next_cursor", nullptr}}};
  });
}

} // namespace ispbox::api
