// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/nas: the RADIUS clients (routers) allowed to talk to us, with their secrets, CoA port and
// optional RouterOS API access. Secrets are write-only.
#include <algorithm>

#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "store/entities.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;

Json nasJson(const pb::Nas& n) {
  Json ros = nullptr;
  if (n.has_routeros()) {
    const auto& r = n.routeros();
    ros = {{"username", r.username()},
           {"password_set", !r.password().empty()},
           {"port", r.port() == 0 ? Json(nullptr) : Json(r.port())},
           {"tls", r.tls()},
           {"insecure_skip_verify", r.insecure_skip_verify()},
           {"transport", r.transport().empty() ? "api" : r.transport()},
           {"host", r.host().empty() ? Json(nullptr) : Json(r.host())},
           {"charset", r.charset().empty() ? "cp1252" : r.charset()}};
  }
  return {{"name", n.name()},
          {"ip", n.ip()},
          {"secret_set", !n.secret().empty()},
          {"coa_port", n.coa_port() == 0 ? 3799u : n.coa_port()},
          {"vendor", n.vendor()},
          {"require_message_authenticator", n.require_message_authenticator()},
          {"description", n.description()},
          {"tenant", n.tenant()},
          {"routeros", ros},
          {"created_at", timeJson(n.created_at())},
          {"updated_at", timeJson(n.updated_at())}};
}

// ispboxd's probe's view of the NAS (store NasStatus); null until the first probe round.
Json reachabilityJson(const store::ReadTxn& txn, const std::string& name) {
  auto st = store::getNasStatus(txn, name);
  if (!st) return nullptr;
  const char* state = st->state() == pb::NAS_REACHABLE     ? "reachable"
                      : st->state() == pb::NAS_UNREACHABLE ? "unreachable"
                                                           : "unknown";
  auto orNull = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  return {{"state", state},
          {"evidence", orNull(st->evidence())},
          {"last_alive_at", timeJson(st->last_alive_at())},
          {"last_probe_at", timeJson(st->last_probe_at())},
          {"changed_at", timeJson(st->changed_at())},
          {"failures_in_row", st->failures()},
          {"last_error", orNull(st->last_error())},
          {"rtt_ms", st->evidence() == "icmp" ? Json(st->rtt_ms()) : Json(nullptr)},
          {"last_accounting_at", timeJson(st->last_accounting_at())},
          {"probed_address", orNull(st->probed_address())}};
}

constexpr std::string_view kVendors[] = {"mikrotik", "cisco", "juniper", "huawei", "other"};

bool isVendor(std::string_view v) {
  return std::find(std::begin(kVendors), std::end(kVendors), v) != std::end(kVendors);
}

void applyNas(const Json& body, pb::Nas& n, bool create) {
  Fields f(body, {"name", "ip", "secret", "coa_port", "vendor", "require_message_authenticator",
                  "description", "tenant", "routeros"});
  if (create) {
    for (auto field : {"name", "ip", "secret"})
      f.require(field);
    n.set_name(*f.str("name", 1, 64, CharSet::Name));
    n.set_vendor("mikrotik");
    n.set_coa_port(3799);
    // On by default: the BlastRADIUS (CVE-2024-3596) mitigation.
    n.set_require_message_authenticator(true);
  } else if (f.has("name")) {
    auto name = f.str("name", 1, 64, CharSet::Name);
    if (!name || *name != n.name())
      throw ApiError::invalid("name", "cannot be changed", "immutable_field");
  }
  for (auto field : {"ip", "secret", "coa_port", "vendor", "require_message_authenticator"})
    f.notNull(field);
  if (auto v = f.ip("ip", false)) n.set_ip(*v);
  if (auto v = f.str("secret", 1, 128)) n.set_secret(*v);
  if (auto v = f.u64("coa_port", 1, 65535)) n.set_coa_port(static_cast<uint32_t>(*v));
  if (auto v = f.oneOf("vendor", {"mikrotik", "cisco", "juniper", "huawei", "other"}))
    n.set_vendor(*v);
  if (auto v = f.boolean("require_message_authenticator")) n.set_require_message_authenticator(*v);
  if (f.has("description")) n.set_description(f.str("description", 0, 256).value_or(""));
  if (f.has("tenant")) n.set_tenant(f.str("tenant", 0, 64, CharSet::Name).value_or(""));
  if (f.has("routeros")) {
    // Replaced whole, except that an omitted password keeps the stored one (it is never shown,
    // so a client echoing the object back must not erase it).
    const std::string old_password = n.routeros().password();
    n.clear_routeros();
    if (auto r = f.object("routeros", {"username", "password", "port", "tls",
                                       "insecure_skip_verify", "transport", "host", "charset"})) {
      r->require("username");
      auto* out = n.mutable_routeros();
      out->set_username(*r->str("username", 1, 64));
      out->set_password(r->has("password") ? r->str("password", 0, 128).value_or("")
                                           : old_password);
      out->set_port(static_cast<uint32_t>(r->u64("port", 1, 65535).value_or(0)));
      out->set_tls(r->boolean("tls").value_or(false));
      out->set_insecure_skip_verify(r->boolean("insecure_skip_verify").value_or(false));
      out->set_transport(r->oneOf("transport", {"api", "rest"}).value_or("api"));
      out->set_host(r->str("host", 1, 253).value_or(""));
      out->set_charset(r->oneOf("charset", {"cp1252", "utf-8"}).value_or("cp1252"));
    }
  }
}

void checkIpFree(const store::ReadTxn& txn, const pb::Nas& n) {
  auto owner = txn.get(store::Table::NasByIp, n.ip());
  if (owner && *owner != n.name())
    throw ApiError(409, "conflict",
                   "ip " + n.ip() + " already belongs to NAS " + std::string(*owner), "ip");
}

pb::Nas mustGet(const store::ReadTxn& txn, const std::string& name) {
  auto n = store::getNas(txn, name);
  if (!n) throw ApiError::notFound("no NAS named " + name);
  return *n;
}

} // namespace

void addNasRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  router.add("GET", "/api/v1/nas", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    const auto vendor = req.query("vendor");
    if (vendor && !isVendor(*vendor))
      throw ApiError(400, "invalid_query",
                     "vendor must be one of: mikrotik, cisco, juniper, huawei, other", "vendor");
    const auto tenant = req.query("tenant");
    auto txn = env.read();
    auto keep = [&](const pb::Nas& n) {
      return (!vendor || n.vendor() == *vendor) && (!tenant || n.tenant() == *tenant);
    };
    return ApiReply{200,
                    listPage<pb::Nas>(txn, store::Table::Nas, page, keep, [&](const pb::Nas& n) {
                      Json j = nasJson(n);
                      j["reachability"] = reachabilityJson(txn, n.name());
                      return j;
                    })};
  });

  // NAS secrets and router credentials: admin only.
  router.add("POST", "/api/v1/nas", Role::Admin, [&env](const ApiRequest& req) {
    pb::Nas n;
    applyNas(req.body(), n, true);
    n.set_created_at(timeutil::nowSeconds());
    n.set_updated_at(n.created_at());
    auto txn = env.write();
    if (store::getNas(txn, n.name()))
      throw ApiError(409, "conflict", "NAS " + n.name() + " exists", "name");
    checkIpFree(txn, n);
    store::putNas(txn, n, store::WriteMode::Create);
    Json out = nasJson(n);
    audit(txn, req, "create", "nas", n.name(), out);
    txn.commit();
    return ApiReply{201, out};
  });

  router.add("GET", "/api/v1/nas/{name}", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    Json j = nasJson(mustGet(txn, req.param("name")));
    j["reachability"] = reachabilityJson(txn, req.param("name"));
    return ApiReply{200, j};
  });

  router.add("PATCH", "/api/v1/nas/{name}", Role::Admin, [&env](const ApiRequest& req) {
    const Json body = req.body();
    auto txn = env.write();
    pb::Nas n = mustGet(txn, req.param("name"));
    const Json before = nasJson(n);
    const std::string old_secret = n.secret();
    const std::string old_ros_password = n.routeros().password();
    applyNas(body, n, false);
    checkIpFree(txn, n);
    Json changes = diff(before, nasJson(n));
    if (n.secret() != old_secret) changes["secret"] = "changed";
    if (n.routeros().password() != old_ros_password) changes["routeros.password"] = "changed";
    if (changes.empty()) return ApiReply{200, before}; // nothing to write
    n.set_updated_at(timeutil::nowSeconds());
    store::putNas(txn, n, store::WriteMode::Replace);
    Json out = nasJson(n);
    audit(txn, req, "update", "nas", n.name(), changes);
    txn.commit();
    return ApiReply{200, out};
  });

  router.add("DELETE", "/api/v1/nas/{name}", Role::Admin, [&env](const ApiRequest& req) {
    auto txn = env.write();
    if (!store::deleteNas(txn, req.param("name")))
      throw ApiError::notFound("no NAS named " + req.param("name"));
    audit(txn, req, "delete", "nas", req.param("name"), nullptr);
    txn.commit();
    return ApiReply{204, nullptr};
  });
}

} // namespace ispbox::api
