// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/olts: OLTs (added here with their SNMP credentials; polled by ispboxd), and everything
// the poller stored about them: system, boards, fans, temperature, voltage, PON ports, ONUs with
// state, optics, traffic, history and availability, unconfigured ONUs, free ONU ids, alarms,
// capacity, top ONUs, a dashboard and bulk export. SNMP writes the OLT supports (ONU rename,
// create/delete by RowStatus) go through the poller; what only the OLT's CLI can do answers 501.
// Also /api/v1/subscribers/{username}/onu: the subscriber's ONU.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/olt_writes.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "drivers/olt/driver.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/olt.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;

Json optNum(bool has, double v) {
  if (!has) return nullptr;
  return std::round(v * 1000.0) / 1000.0;
}

Json oltJson(const pb::Olt& o) {
  const auto& s = o.snmp();
  Json snmp = {{"version", s.version() == 3 ? "3" : s.version() == 1 ? "1" : "2c"}};
  if (s.version() == 3) {
    snmp["user"] = s.user();
    snmp["auth_protocol"] = s.auth_protocol();
    snmp["auth_password_set"] = !s.auth_password().empty();
    snmp["priv_protocol"] = s.priv_protocol();
    snmp["priv_password_set"] = !s.priv_password().empty();
    snmp["context"] = s.context();
  } else {
    snmp["community_set"] = !s.community().empty();
  }
  const auto& p = o.poll();
  auto orNull = [](uint32_t v) { return v ? Json(v) : Json(nullptr); };
  return {{"id", o.id()},
          {"address", o.address()},
          {"port", o.port() ? o.port() : 161u},
          {"vendor", o.vendor().empty() ? "auto" : o.vendor()},
          {"snmp", snmp},
          {"description", o.description()},
          {"tenant", o.tenant()},
          {"disabled", o.disabled()},
          {"demo", o.demo()},
          {"snmp_index", o.snmp_index() ? Json(o.snmp_index()) : Json(nullptr)},
          {"poll",
           {{"inventory_s", orNull(p.inventory_s())},
            {"state_s", orNull(p.state_s())},
            {"optics_s", orNull(p.optics_s())},
            {"traffic_s", orNull(p.traffic_s())},
            {"max_inflight", orNull(p.max_inflight())},
            {"max_repetitions", orNull(p.max_repetitions())},
            {"timeout_ms", orNull(p.timeout_ms())},
            {"retries", orNull(p.retries())}}},
          {"created_at", timeJson(o.created_at())},
          {"updated_at", timeJson(o.updated_at())}};
}

Json healthJson(const pb::Olt& o, const std::optional<pb::OltStatus>& st) {
  Json polls = Json::object();
  if (st)
    for (const auto& p : st->polls())
      polls[p.data_class()] = {
          {"last_ok_at", timeJson(p.last_ok_at())},
          {"last_attempt_at", timeJson(p.last_attempt_at())},
          {"duration_ms", p.duration_ms()},
          {"requests", p.pdus()},
          {"failures_in_row", p.failures()},
          {"last_error", p.last_error().empty() ? Json(nullptr) : Json(p.last_error())}};
  const bool known = st && !st->vendor().empty();
  return {{"id", o.id()},
          {"polling", !o.disabled()},
          {"reachable", st ? st->reachable() : false},
          {"identified", known},
          {"vendor", known ? Json(st->vendor()) : Json(nullptr)},
          {"variant", known ? Json(st->variant()) : Json(nullptr)},
          {"last_error", st && !st->last_error().empty() ? Json(st->last_error()) : Json(nullptr)},
          {"last_error_at", st ? timeJson(st->last_error_at()) : Json(nullptr)},
          {"polls", polls}};
}

Json systemJson(const pb::Olt& o, const pb::OltStatus& st) {
  // sysUpTime wraps after 497 days (olt-oids.md §1): shown as reported, with a note.
  return {{"id", o.id()},
          {"vendor", st.vendor()},
          {"variant", st.variant()},
          {"model", st.model().empty() ? Json(nullptr) : Json(st.model())},
          {"sys_descr", st.sys_descr()},
          {"sys_object_id", st.sys_object_id()},
          {"sys_name", st.sys_name()},
          {"uptime_s", st.uptime_ticks() / 100},
          {"uptime_wraps_at_s", 42949672},
          {"temperature_c", optNum(st.has_temperature_c(), st.temperature_c())},
          {"updated_at", timeJson(st.updated_at())}};
}

Json cardJson(const pb::OltCard& c) {
  return {{"slot", c.slot()},
          {"type", c.type()},
          {"status", c.status()},
          {"serial", c.serial()},
          {"firmware", c.firmware()},
          {"ports", c.ports()},
          {"cpu_pct", optNum(c.has_cpu_pct(), c.cpu_pct())},
          {"mem_pct", optNum(c.has_mem_pct(), c.mem_pct())},
          {"temperature_c", optNum(c.has_temperature_c(), c.temperature_c())},
          {"voltage_v", optNum(c.has_voltage_v(), c.voltage_v())}};
}

Json ponJson(const pb::PonPort& p) {
  return {{"slot", p.slot()},
          {"port", p.port()},
          {"name", p.name()},
          {"admin_up", p.admin_up()},
          {"oper_up", p.oper_up()},
          {"max_onus", p.max_onus()},
          {"onus_total", p.onus_total()},
          {"onus_online", p.onus_online()},
          {"tx_dbm", optNum(p.has_tx_dbm(), p.tx_dbm())},
          {"rx_dbm", optNum(p.has_rx_dbm(), p.rx_dbm())},
          {"temperature_c", optNum(p.has_temperature_c(), p.temperature_c())},
          {"voltage_v", optNum(p.has_voltage_v(), p.voltage_v())},
          {"bias_ma", optNum(p.has_bias_ma(), p.bias_ma())},
          {"up_octets", p.up_octets()},
          {"down_octets", p.down_octets()},
          {"up_bps", p.up_bps()},
          {"down_bps", p.down_bps()},
          {"updated_at", timeJson(p.updated_at())}};
}

std::string onuPath(const pb::Onu& o) {
  return std::to_string(o.slot()) + "/" + std::to_string(o.port()) + "/" +
         std::to_string(o.onu_id());
}

Json onuJson(const pb::Onu& o) {
  const int64_t now = timeutil::nowSeconds();
  // No uptime counter exists on ZTE: now - last online while working (olt-oids.md §2.5).
  Json uptime = o.online() && o.last_online() > 0 && o.last_online() <= now
                    ? Json(now - o.last_online())
                    : Json(nullptr);
  return {{"olt", o.olt()},
          {"slot", o.slot()},
          {"port", o.port()},
          {"onu", o.onu_id()},
          {"id", onuPath(o)},
          {"name", o.name()},
          {"description", o.description()},
          {"serial", o.serial()},
          {"type", o.type()},
          {"model", o.model()},
          {"admin_enabled", o.admin_enabled()},
          {"phase", o.phase().empty() ? "unknown" : o.phase()},
          {"online", o.online()},
          {"offline_reason", o.offline_reason().empty() ? Json(nullptr) : Json(o.offline_reason())},
          {"last_online", timeJson(o.last_online())},
          {"last_offline", timeJson(o.last_offline())},
          {"uptime_s", uptime},
          {"distance_m", o.has_distance_m() ? Json(o.distance_m()) : Json(nullptr)},
          {"rx_dbm", optNum(o.has_rx_dbm(), o.rx_dbm())},
          {"tx_dbm", optNum(o.has_tx_dbm(), o.tx_dbm())},
          {"olt_rx_dbm", optNum(o.has_olt_rx_dbm(), o.olt_rx_dbm())},
          {"temperature_c", optNum(o.has_temperature_c(), o.temperature_c())},
          {"voltage_v", optNum(o.has_voltage_v(), o.voltage_v())},
          {"bias_ma", optNum(o.has_bias_ma(), o.bias_ma())},
          {"up_octets", o.up_octets()},
          {"down_octets", o.down_octets()},
          {"up_bps", o.up_bps()},
          {"down_bps", o.down_bps()},
          {"up_errors", o.up_errors()},
          {"down_errors", o.down_errors()},
          {"bandwidth_profile",
           o.bandwidth_profile().empty() ? Json(nullptr) : Json(o.bandwidth_profile())},
          {"bandwidth_max_kbps", o.bandwidth_max_kbps() ? Json(o.bandwidth_max_kbps()) : nullptr},
          {"subscriber", o.subscriber().empty() ? Json(nullptr) : Json(o.subscriber())},
          {"first_seen", timeJson(o.first_seen())},
          {"state_changed_at", timeJson(o.state_changed_at())},
          {"optics_at", timeJson(o.optics_at())},
          {"updated_at", timeJson(o.updated_at())}};
}

pb::Olt mustOlt(const store::ReadTxn& txn, const std::string& id) {
  auto o = store::getOlt(txn, id);
  if (!o) throw ApiError::notFound("no OLT " + id);
  return *o;
}

pb::OltStatus statusOf(const store::ReadTxn& txn, const std::string& id) {
  return store::getOltStatus(txn, id).value_or(pb::OltStatus{});
}

// Positions are the OLT's own numbering: 1-based on ZTE and FiberHome, 0-based on Huawei.
uint32_t pathNum(const ApiRequest& req, const std::string& name, uint32_t max) {
  const std::string& v = req.param(name);
  uint32_t n = 0;
  if (v.empty() || v.size() > 3 || !std::all_of(v.begin(), v.end(), ::isdigit) ||
      (n = static_cast<uint32_t>(std::stoul(v))) > max)
    throw ApiError(400, "invalid_path", name + " must be a number from 0 to " + std::to_string(max),
                   name);
  return n;
}

struct OnuRef {
  std::string olt;
  uint32_t slot, port, onu;
  std::string key;
};

OnuRef onuRef(const ApiRequest& req) {
  OnuRef r{req.param("id"), pathNum(req, "slot", 255), pathNum(req, "port", 255),
           pathNum(req, "onu", 255), ""};
  r.key = store::onuKey(r.olt, r.slot, r.port, r.onu);
  return r;
}

pb::Onu mustOnu(const store::ReadTxn& txn, const OnuRef& r) {
  mustOlt(txn, r.olt);
  auto o = store::getOnu(txn, r.key);
  if (!o)
    throw ApiError::notFound("no ONU " + std::to_string(r.slot) + "/" + std::to_string(r.port) +
                             "/" + std::to_string(r.onu) + " on OLT " + r.olt);
  return *o;
}

std::optional<uint32_t> queryNum(const ApiRequest& req, const std::string& name, uint32_t min,
                                 uint32_t max) {
  auto v = req.query(name);
  if (!v) return std::nullopt;
  if (v->empty() || v->size() > 9 || !std::all_of(v->begin(), v->end(), ::isdigit))
    throw ApiError(400, "invalid_query", name + " must be a number", name);
  const auto n = static_cast<uint32_t>(std::stoul(*v));
  if (n < min || n > max)
    throw ApiError(400, "invalid_query",
                   name + " must be from " + std::to_string(min) + " to " + std::to_string(max),
                   name);
  return n;
}

void applyOlt(const Json& body, pb::Olt& o, bool create) {
  Fields f(body, {"id", "address", "port", "vendor", "snmp", "description", "tenant", "disabled",
                  "poll", "demo"});
  if (create) {
    for (auto field : {"id", "address", "snmp"})
      f.require(field);
    o.set_id(*f.str("id", 1, 64, CharSet::Name));
    o.set_vendor("auto");
  } else if (f.has("id")) {
    auto id = f.str("id", 1, 64, CharSet::Name);
    if (!id || *id != o.id()) throw ApiError::invalid("id", "cannot be changed", "immutable_field");
  }
  for (auto field : {"address", "port", "vendor", "snmp", "disabled"})
    f.notNull(field);
  if (auto v = f.ip("address", false)) o.set_address(*v);
  if (auto v = f.u64("port", 1, 65535)) o.set_port(static_cast<uint32_t>(*v));
  if (auto v =
          f.oneOf("vendor", {"auto", "zte", "huawei", "fiberhome", "vsol", "bdcom", "cdata"})) {
    if (*v != "auto" && !olt::makeDriver(*v)) {
      std::string supported = "auto";
      for (const auto& name : olt::supportedVendors())
        supported += ", " + name;
      throw ApiError::invalid("vendor",
                              "no driver for " + *v + " yet (supported: " + supported + ")",
                              "unsupported_vendor");
    }
    o.set_vendor(*v);
  }
  if (f.has("description")) o.set_description(f.str("description", 0, 256).value_or(""));
  if (f.has("tenant")) o.set_tenant(f.str("tenant", 0, 64, CharSet::Name).value_or(""));
  if (auto v = f.boolean("disabled")) o.set_disabled(*v);
  if (auto v = f.boolean("demo")) o.set_demo(*v);
  if (f.has("snmp")) {
    auto s = f.object("snmp", {"version", "community", "user", "auth_protocol", "auth_password",
                               "priv_protocol", "priv_password", "context"});
    s->require("version");
    const std::string version = *s->oneOf("version", {"1", "2c", "3"});
    pb::SnmpCredentials old = o.snmp();
    pb::SnmpCredentials c;
    c.set_version(version == "3" ? 3 : version == "1" ? 1 : 2);
    if (c.version() != 3) {
      // An omitted secret keeps the stored one: it is never shown, so a client echoing the
      // object back must not erase it.
      if (s->has("community"))
        c.set_community(*s->str("community", 1, 64));
      else if (old.version() == c.version() && !old.community().empty())
        c.set_community(old.community());
      else
        s->require("community");
    } else {
      s->require("user");
      c.set_user(*s->str("user", 1, 32));
      c.set_auth_protocol(
          s->oneOf("auth_protocol", {"MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"})
              .value_or("SHA"));
      c.set_priv_protocol(s->oneOf("priv_protocol", {"AES", "DES"}).value_or("AES"));
      c.set_auth_password(s->has("auth_password") ? s->str("auth_password", 8, 64).value_or("")
                                                  : old.auth_password());
      c.set_priv_password(s->has("priv_password") ? s->str("priv_password", 8, 64).value_or("")
                                                  : old.priv_password());
      if (c.auth_password().empty())
        throw ApiError::invalid("snmp.auth_password", "required for SNMPv3 (authPriv)");
      if (c.priv_password().empty())
        throw ApiError::invalid("snmp.priv_password", "required for SNMPv3 (authPriv)");
      c.set_context(s->str("context", 0, 64).value_or(""));
    }
    *o.mutable_snmp() = c;
  }
  if (f.has("poll")) {
    auto p = f.object("poll", {"inventory_s", "state_s", "optics_s", "traffic_s", "max_inflight",
                               "max_repetitions", "timeout_ms", "retries"});
    pb::OltPollSettings ps;
    if (p) {
      auto u = [&](const char* k, uint64_t lo, uint64_t hi) {
        return static_cast<uint32_t>(p->u64(k, lo, hi).value_or(0));
      };
      ps.set_inventory_s(u("inventory_s", 60, 86400));
      ps.set_state_s(u("state_s", 10, 3600));
      ps.set_optics_s(u("optics_s", 60, 86400));
      ps.set_traffic_s(u("traffic_s", 30, 86400));
      ps.set_max_inflight(u("max_inflight", 1, 64));
      ps.set_max_repetitions(u("max_repetitions", 1, 200));
      ps.set_timeout_ms(u("timeout_ms", 100, 60000));
      ps.set_retries(u("retries", 0, 10));
    }
    *o.mutable_poll() = ps;
  }
}

bool secretsChanged(const pb::SnmpCredentials& a, const pb::SnmpCredentials& b) {
  return a.community() != b.community() || a.auth_password() != b.auth_password() ||
         a.priv_password() != b.priv_password();
}

OltWrites& writer(ApiContext& ctx) {
  if (!ctx.olt_writes)
    throw ApiError(503, "poller_unavailable", "the OLT poller is not running in this process");
  return *ctx.olt_writes;
}

void checkOutcome(const OltWriteOutcome& r) {
  using S = OltWriteOutcome::Status;
  switch (r.status) {
  case S::Ok:
    return;
  case S::NotSupported:
    throw ApiError(501, "not_supported_over_snmp", r.message);
  case S::NoSuchOlt:
  case S::NotReady:
    throw ApiError(409, "olt_not_ready", r.message);
  case S::Timeout:
    throw ApiError(504, "olt_timeout", r.message);
  case S::Failed:
    throw ApiError(502, "olt_refused", "the OLT refused the write: " + r.message);
  }
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string jsonScalarToCsv(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return csvField(v.get<std::string>());
  return v.dump();
}

int64_t parseHours(const ApiRequest& req, const char* name, uint32_t def, uint32_t max) {
  return int64_t{queryNum(req, name, 1, max).value_or(def)} * 3600;
}

} // namespace

void addOltRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  // ---- OLTs ----
  router.add("GET", "/api/v1/olts", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    auto txn = env.read();
    return ApiReply{
        200, listPage<pb::Olt>(txn, store::Table::Olts, page, nullptr, [&](const pb::Olt& o) {
          Json j = oltJson(o);
          j["health"] = healthJson(o, store::getOltStatus(txn, o.id()));
          return j;
        })};
  });

  router.add("POST", "/api/v1/olts", Role::Admin, [&env, &ctx](const ApiRequest& req) {
    pb::Olt o;
    applyOlt(req.body(), o, true);
    o.set_created_at(timeutil::nowSeconds());
    o.set_updated_at(o.created_at());
    auto txn = env.write();
    if (store::getOlt(txn, o.id()))
      throw ApiError(409, "conflict", "OLT " + o.id() + " exists", "id");
    store::putOlt(txn, o, true);
    Json out = oltJson(o);
    audit(txn, req, "create", "olt", o.id(), out);
    txn.commit();
    if (ctx.olt_writes) ctx.olt_writes->pollSoon(o.id());
    return ApiReply{201, out};
  });

  router.add("GET", "/api/v1/olts/dashboard", Role::ReadOnly, [&env](const ApiRequest&) {
    auto txn = env.read();
    uint64_t olts = 0, reachable = 0, onus = 0, online = 0, los = 0, dying = 0, offline = 0,
             pons = 0, pons_down = 0, unconfigured = 0, low_rx = 0;
    Json per_olt = Json::array();
    store::forEachRecord<pb::Olt>(txn, store::Table::Olts, "", [&](std::string_view, pb::Olt& o) {
      ++olts;
      auto st = store::getOltStatus(txn, o.id());
      if (st && st->reachable()) ++reachable;
      uint64_t n = 0, on = 0;
      store::forEachOnu(txn, o.id(), 0, 0, "", [&](std::string_view, const pb::Onu& u) {
        ++n;
        on += u.online();
        los += u.phase() == "los";
        dying += u.phase() == "dying_gasp";
        offline += !u.online();
        low_rx += u.has_rx_dbm() && u.rx_dbm() < -27.0;
        return true;
      });
      store::forEachPon(txn, o.id(), [&](const pb::PonPort& p) {
        ++pons;
        pons_down += !p.oper_up();
        return true;
      });
      unconfigured += store::listUnconfigured(txn, o.id()).size();
      onus += n;
      online += on;
      per_olt.push_back({{"id", o.id()},
                         {"reachable", st && st->reachable()},
                         {"onus", n},
                         {"onus_online", on},
                         {"demo", o.demo()}});
      return true;
    });
    return ApiReply{200,
                    {{"olts", olts},
                     {"olts_reachable", reachable},
                     {"onus", onus},
                     {"onus_online", online},
                     {"onus_offline", offline},
                     {"onus_los", los},
                     {"onus_dying_gasp", dying},
                     {"onus_low_rx", low_rx},
                     {"pon_ports", pons},
                     {"pon_ports_down", pons_down},
                     {"unconfigured_onus", unconfigured},
                     {"per_olt", per_olt}}};
  });

  router.add("GET", "/api/v1/olts/{id}", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json j = oltJson(o);
    j["health"] = healthJson(o, store::getOltStatus(txn, o.id()));
    return ApiReply{200, j};
  });

  router.add("PATCH", "/api/v1/olts/{id}", Role::Admin, [&env, &ctx](const ApiRequest& req) {
    const Json body = req.body();
    auto txn = env.write();
    pb::Olt o = mustOlt(txn, req.param("id"));
    const Json before = oltJson(o);
    const pb::SnmpCredentials old = o.snmp();
    applyOlt(body, o, false);
    Json changes = diff(before, oltJson(o));
    if (secretsChanged(old, o.snmp())) changes["snmp.secrets"] = "changed";
    if (changes.empty()) return ApiReply{200, before};
    o.set_updated_at(timeutil::nowSeconds());
    store::putOlt(txn, o, false);
    audit(txn, req, "update", "olt", o.id(), changes);
    txn.commit();
    if (ctx.olt_writes) ctx.olt_writes->pollSoon(o.id());
    return ApiReply{200, oltJson(o)};
  });

  router.add("DELETE", "/api/v1/olts/{id}", Role::Admin, [&env](const ApiRequest& req) {
    auto txn = env.write();
    if (!store::deleteOlt(txn, req.param("id")))
      throw ApiError::notFound("no OLT " + req.param("id"));
    audit(txn, req, "delete", "olt", req.param("id"), nullptr);
    txn.commit();
    return ApiReply{204, nullptr};
  });

  // ---- what the poller learnt ----
  router.add("GET", "/api/v1/olts/{id}/health", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    return ApiReply{200, healthJson(o, store::getOltStatus(txn, o.id()))};
  });

  router.add("GET", "/api/v1/olts/{id}/system", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    return ApiReply{200, systemJson(o, statusOf(txn, o.id()))};
  });

  router.add("GET", "/api/v1/olts/{id}/boards", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json items = Json::array();
    const auto status = statusOf(txn, o.id());
    for (const auto& c : status.cards())
      items.push_back(cardJson(c));
    return ApiReply{200, {{"items", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/boards/{slot}", Role::ReadOnly,
             [&env](const ApiRequest& req) {
               const uint32_t slot = pathNum(req, "slot", 255);
               auto txn = env.read();
               auto o = mustOlt(txn, req.param("id"));
               const auto status = statusOf(txn, o.id());
               for (const auto& c : status.cards())
                 if (c.slot() == slot) return ApiReply{200, cardJson(c)};
               throw ApiError::notFound("no board in slot " + std::to_string(slot));
             });

  router.add("GET", "/api/v1/olts/{id}/fans", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json items = Json::array();
    const auto status = statusOf(txn, o.id());
    for (const auto& f : status.fans())
      items.push_back({{"index", f.index()},
                       {"status", f.status()},
                       {"present", f.present()},
                       {"rpm", f.has_rpm() ? Json(f.rpm()) : Json(nullptr)}});
    return ApiReply{200, {{"items", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/temperature", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    const auto st = statusOf(txn, o.id());
    Json boards = Json::array();
    for (const auto& c : st.cards())
      if (c.has_temperature_c())
        boards.push_back(
            {{"slot", c.slot()}, {"type", c.type()}, {"temperature_c", c.temperature_c()}});
    return ApiReply{
        200,
        {{"system_c", optNum(st.has_temperature_c(), st.temperature_c())}, {"boards", boards}}};
  });

  router.add("GET", "/api/v1/olts/{id}/voltage", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    const auto st = statusOf(txn, o.id());
    Json supplies = Json::array(), boards = Json::array();
    for (const auto& p : st.power())
      supplies.push_back({{"slot", p.slot()},
                          {"status", p.status()},
                          {"voltage_v", optNum(p.has_voltage_v(), p.voltage_v())},
                          {"current_a", optNum(p.has_current_a(), p.current_a())}});
    for (const auto& c : st.cards())
      if (c.has_voltage_v())
        boards.push_back({{"slot", c.slot()}, {"type", c.type()}, {"voltage_v", c.voltage_v()}});
    return ApiReply{200, {{"power_supplies", supplies}, {"boards", boards}}};
  });

  router.add("GET", "/api/v1/olts/{id}/pons", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json items = Json::array();
    store::forEachPon(txn, o.id(), [&](const pb::PonPort& p) {
      items.push_back(ponJson(p));
      return true;
    });
    return ApiReply{200, {{"items", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/pons/{slot}/{port}", Role::ReadOnly,
             [&env](const ApiRequest& req) {
               const uint32_t slot = pathNum(req, "slot", 255), port = pathNum(req, "port", 255);
               auto txn = env.read();
               auto o = mustOlt(txn, req.param("id"));
               auto p = store::getPon(txn, o.id(), slot, port);
               if (!p)
                 throw ApiError::notFound("no PON port " + std::to_string(slot) + "/" +
                                          std::to_string(port));
               return ApiReply{200, ponJson(*p)};
             });

  router.add("GET", "/api/v1/olts/{id}/interfaces", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json items = Json::array();
    store::forEachPon(txn, o.id(), [&](const pb::PonPort& p) {
      items.push_back({{"name", p.name()},
                       {"slot", p.slot()},
                       {"port", p.port()},
                       {"oper_up", p.oper_up()},
                       {"in_octets", p.up_octets()},
                       {"out_octets", p.down_octets()},
                       {"in_bps", p.up_bps()},
                       {"out_bps", p.down_bps()},
                       {"counter_bits", p.counter_bits()},
                       {"counters_at", timeJson(p.counters_at())}});
      return true;
    });
    return ApiReply{200, {{"items", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/pon-stats", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    struct Agg {
      uint32_t total = 0, online = 0, los = 0, dying = 0, offline = 0, rx_n = 0;
      double rx_sum = 0, rx_min = 0;
    };
    std::map<std::pair<uint32_t, uint32_t>, Agg> agg;
    store::forEachOnu(txn, o.id(), 0, 0, "", [&](std::string_view, const pb::Onu& u) {
      Agg& a = agg[{u.slot(), u.port()}];
      ++a.total;
      a.online += u.online();
      a.los += u.phase() == "los";
      a.dying += u.phase() == "dying_gasp";
      a.offline += !u.online();
      if (u.has_rx_dbm()) {
        a.rx_min = a.rx_n == 0 ? u.rx_dbm() : std::min(a.rx_min, u.rx_dbm());
        a.rx_sum += u.rx_dbm();
        ++a.rx_n;
      }
      return true;
    });
    Json items = Json::array();
    store::forEachPon(txn, o.id(), [&](const pb::PonPort& p) {
      const Agg a = agg[{p.slot(), p.port()}];
      items.push_back({{"slot", p.slot()},
                       {"port", p.port()},
                       {"oper_up", p.oper_up()},
                       {"onus_total", a.total},
                       {"onus_online", a.online},
                       {"onus_offline", a.offline},
                       {"onus_los", a.los},
                       {"onus_dying_gasp", a.dying},
                       {"rx_avg_dbm", optNum(a.rx_n > 0, a.rx_n ? a.rx_sum / a.rx_n : 0)},
                       {"rx_min_dbm", optNum(a.rx_n > 0, a.rx_min)},
                       {"up_bps", p.up_bps()},
                       {"down_bps", p.down_bps()}});
      return true;
    });
    return ApiReply{200, {{"items", items}}};
  });

  // Free ONU ids per PON ("empty slots"): max_onus ids from the first one, minus those in use.
  router.add("GET", "/api/v1/olts/{id}/empty-slots", Role::ReadOnly, [&env](const ApiRequest& req) {
    const auto qslot = queryNum(req, "slot", 0, 255);
    const auto qport = queryNum(req, "port", 0, 255);
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    // ONU ids start at 1, or at 0 where the OLT's CLI numbers them so (Huawei).
    const auto st = store::getOltStatus(txn, o.id());
    const auto driver = st ? olt::makeDriver(st->vendor()) : nullptr;
    const uint32_t first = driver ? driver->firstOnuId() : 1;
    std::map<std::pair<uint32_t, uint32_t>, std::set<uint32_t>> in_use;
    store::forEachOnu(txn, o.id(), 0, 0, "", [&](std::string_view, const pb::Onu& u) {
      in_use[{u.slot(), u.port()}].insert(u.onu_id());
      return true;
    });
    Json items = Json::array();
    store::forEachPon(txn, o.id(), [&](const pb::PonPort& p) {
      if ((qslot && p.slot() != *qslot) || (qport && p.port() != *qport)) return true;
      const auto& used = in_use[{p.slot(), p.port()}];
      Json free_ids = Json::array();
      for (uint32_t i = first; i < first + p.max_onus(); ++i)
        if (!used.count(i)) free_ids.push_back(i);
      items.push_back({{"slot", p.slot()},
                       {"port", p.port()},
                       {"max_onus", p.max_onus()},
                       {"free_count", free_ids.size()},
                       {"free_ids", free_ids}});
      return true;
    });
    return ApiReply{200, {{"items", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/onus", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    const auto slot = queryNum(req, "slot", 0, 255);
    const auto port = queryNum(req, "port", 0, 255);
    if (port && !slot) throw ApiError(400, "invalid_query", "port needs slot", "port");
    const auto state = req.query("state");
    if (state && *state != "online" && *state != "offline" && *state != "los" &&
        *state != "dying_gasp")
      throw ApiError(400, "invalid_query", "state must be online, offline, los or dying_gasp",
                     "state");
    const auto q = req.query("q");
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json items = Json::array();
    bool more = false;
    std::string last;
    store::forEachOnu(txn, o.id(), slot.value_or(0), port.value_or(0), page.after,
                      [&](std::string_view key, const pb::Onu& u) {
                        // Slot or port 0 (Huawei) scans the whole OLT: filter here.
                        if ((slot && u.slot() != *slot) || (port && u.port() != *port)) return true;
                        if (state && !(*state == "online"    ? u.online()
                                       : *state == "offline" ? !u.online()
                                                             : u.phase() == *state))
                          return true;
                        if (q && u.name().find(*q) == std::string::npos &&
                            u.serial().find(*q) == std::string::npos &&
                            u.description().find(*q) == std::string::npos)
                          return true;
                        if (items.size() == page.limit) return !(more = true);
                        items.push_back(onuJson(u));
                        last = key;
                        return true;
                      });
    return ApiReply{200, pageReply(std::move(items), more, last)};
  });

  const std::string onu_path = "/api/v1/olts/{id}/onus/{slot}/{port}/{onu}";
  router.add("GET", onu_path, Role::ReadOnly, [&env](const ApiRequest& req) {
    auto r = onuRef(req);
    auto txn = env.read();
    return ApiReply{200, onuJson(mustOnu(txn, r))};
  });

  router.add("GET", onu_path + "/traffic", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto r = onuRef(req);
    auto txn = env.read();
    auto u = mustOnu(txn, r);
    return ApiReply{200,
                    {{"id", onuPath(u)},
                     {"up_octets", u.up_octets()},
                     {"down_octets", u.down_octets()},
                     {"up_bps", u.up_bps()},
                     {"down_bps", u.down_bps()},
                     {"counter_bits", u.counter_bits()},
                     {"counters_at", timeJson(u.counters_at())}}};
  });

  router.add("GET", onu_path + "/bandwidth", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto r = onuRef(req);
    auto txn = env.read();
    auto u = mustOnu(txn, r);
    return ApiReply{
        200,
        {{"id", onuPath(u)},
         {"profile", u.bandwidth_profile().empty() ? Json(nullptr) : Json(u.bandwidth_profile())},
         {"assured_kbps", u.bandwidth_assured_kbps() ? Json(u.bandwidth_assured_kbps()) : nullptr},
         {"max_kbps", u.bandwidth_max_kbps() ? Json(u.bandwidth_max_kbps()) : nullptr},
         {"current_up_bps", u.up_bps()},
         {"current_down_bps", u.down_bps()}}};
  });

  router.add("GET", onu_path + "/errors", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto r = onuRef(req);
    auto txn = env.read();
    auto u = mustOnu(txn, r);
    return ApiReply{200,
                    {{"id", onuPath(u)},
                     {"up_errors", u.up_errors()},
                     {"down_errors", u.down_errors()},
                     {"counters_at", timeJson(u.counters_at())}}};
  });

  router.add("GET", onu_path + "/history", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto r = onuRef(req);
    const int64_t span = parseHours(req, "hours", 24, 24 * 366);
    auto txn = env.read();
    auto u = mustOnu(txn, r);
    const int64_t now = timeutil::nowSeconds();
    Json samples = Json::array(), events = Json::array();
    for (const auto& s : store::onuSamples(txn, r.key, now - span, now + 1))
      samples.push_back({{"at", timeJson(s.at())},
                         {"rx_dbm", optNum(s.has_rx_dbm(), s.rx_dbm())},
                         {"tx_dbm", optNum(s.has_tx_dbm(), s.tx_dbm())},
                         {"olt_rx_dbm", optNum(s.has_olt_rx_dbm(), s.olt_rx_dbm())},
                         {"rx_min_dbm", optNum(s.has_rx_min_dbm(), s.rx_min_dbm())},
                         {"samples", s.samples()}});
    for (const auto& e : store::onuEvents(txn, r.key, now - span, now + 1))
      events.push_back({{"at", timeJson(e.at())},
                        {"phase", e.phase()},
                        {"online", e.online()},
                        {"reason", e.reason().empty() ? Json(nullptr) : Json(e.reason())}});
    return ApiReply{200, {{"id", onuPath(u)}, {"samples", samples}, {"events", events}}};
  });

  router.add("GET", onu_path + "/availability", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto r = onuRef(req);
    const uint32_t days = queryNum(req, "days", 1, 366).value_or(30);
    auto txn = env.read();
    auto u = mustOnu(txn, r);
    const int64_t now = timeutil::nowSeconds();
    auto a = store::onuAvailability(txn, u, r.key, now - int64_t{days} * 86400, now);
    return ApiReply{200,
                    {{"id", onuPath(u)},
                     {"days", days},
                     {"availability_pct", a ? Json(std::round(*a * 10000.0) / 100.0) : nullptr},
                     {"since", timeJson(std::max(now - int64_t{days} * 86400, u.first_seen()))}}};
  });

  router.add("GET", "/api/v1/olts/{id}/unconfigured", Role::ReadOnly,
             [&env](const ApiRequest& req) {
               auto txn = env.read();
               auto o = mustOlt(txn, req.param("id"));
               Json items = Json::array();
               for (const auto& u : store::listUnconfigured(txn, o.id()))
                 items.push_back({{"slot", u.slot()},
                                  {"port", u.port()},
                                  {"serial", u.serial()},
                                  {"type", u.type()},
                                  {"first_seen", timeJson(u.first_seen())},
                                  {"last_seen", timeJson(u.last_seen())}});
               return ApiReply{200, {{"items", items}}};
             });

  // Alarms as SNMP shows them: derived from the polled state (OLT traps are not received).
  router.add("GET", "/api/v1/olts/{id}/alarms", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    const auto st = store::getOltStatus(txn, o.id());
    Json items = Json::array();
    auto add = [&](const char* severity, const char* kind, std::string where, std::string msg,
                   int64_t since) {
      items.push_back({{"severity", severity},
                       {"kind", kind},
                       {"where", where},
                       {"message", msg},
                       {"since", timeJson(since)}});
    };
    if (st && !st->reachable() && !st->last_error().empty())
      add("critical", "olt_unreachable", o.id(), st->last_error(), st->last_error_at());
    if (st) {
      for (const auto& f : st->fans())
        if (f.status() == "failed")
          add("major", "fan_failed", "fan " + std::to_string(f.index()), "fan reports failure", 0);
      for (const auto& p : st->power())
        if (p.status() != "normal" && p.status() != "unknown")
          add("major", "power_abnormal", "slot " + std::to_string(p.slot()),
              "input voltage " + p.status(), 0);
      for (const auto& c : st->cards())
        if (!c.status().empty() && c.status() != "in_service")
          add("major", "board_not_in_service", "slot " + std::to_string(c.slot()),
              c.type() + " is " + c.status(), 0);
    }
    store::forEachPon(txn, o.id(), [&](const pb::PonPort& p) {
      if (p.admin_up() && !p.oper_up() && !p.name().empty())
        add("major", "pon_down", p.name(), "PON port is down", p.updated_at());
      return true;
    });
    store::forEachOnu(txn, o.id(), 0, 0, "", [&](std::string_view, const pb::Onu& u) {
      if (u.phase() == "los")
        add("major", "onu_los", onuPath(u), u.name() + ": loss of signal", u.state_changed_at());
      else if (u.phase() == "dying_gasp")
        add("minor", "onu_dying_gasp", onuPath(u), u.name() + ": dying gasp (power off)",
            u.state_changed_at());
      else if (u.online() && u.has_rx_dbm() && u.rx_dbm() < -27.0)
        add("warning", "onu_low_rx", onuPath(u),
            u.name() + ": Rx " + std::to_string(u.rx_dbm()) + " dBm", u.optics_at());
      return true;
    });
    return ApiReply{200, {{"items", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/capacity", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json items = Json::array();
    uint64_t used = 0, max = 0;
    store::forEachPon(txn, o.id(), [&](const pb::PonPort& p) {
      used += p.onus_total();
      max += p.max_onus();
      items.push_back(
          {{"slot", p.slot()},
           {"port", p.port()},
           {"onus", p.onus_total()},
           {"max_onus", p.max_onus()},
           {"used_pct",
            p.max_onus() ? std::round(1000.0 * p.onus_total() / p.max_onus()) / 10.0 : 0.0},
           {"down_bps", p.down_bps()},
           {"up_bps", p.up_bps()},
           // GPON: 2.488 Gbit/s down, 1.244 Gbit/s up.
           {"down_utilisation_pct", std::round(p.down_bps() / 2.488e7) / 1.0},
           {"up_utilisation_pct", std::round(p.up_bps() / 1.244e7) / 1.0}});
      return true;
    });
    return ApiReply{200,
                    {{"onus", used},
                     {"max_onus", max},
                     {"used_pct", max ? std::round(1000.0 * used / max) / 10.0 : 0.0},
                     {"pons", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/top-onus", Role::ReadOnly, [&env](const ApiRequest& req) {
    const std::string by = req.query("by").value_or("traffic");
    if (by != "traffic" && by != "up" && by != "down" && by != "weak_rx")
      throw ApiError(400, "invalid_query", "by must be traffic, up, down or weak_rx", "by");
    const uint32_t limit = queryNum(req, "limit", 1, 1000).value_or(10);
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    std::vector<std::pair<double, pb::Onu>> all;
    store::forEachOnu(txn, o.id(), 0, 0, "", [&](std::string_view, const pb::Onu& u) {
      double score;
      if (by == "weak_rx") {
        if (!u.has_rx_dbm()) return true;
        score = -u.rx_dbm();
      } else {
        score = static_cast<double>(by == "up"     ? u.up_bps()
                                    : by == "down" ? u.down_bps()
                                                   : u.up_bps() + u.down_bps());
      }
      all.emplace_back(score, u);
      return true;
    });
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    Json items = Json::array();
    for (size_t i = 0; i < all.size() && i < limit; ++i)
      items.push_back(onuJson(all[i].second));
    return ApiReply{200, {{"by", by}, {"items", items}}};
  });

  router.add("GET", "/api/v1/olts/{id}/export", Role::ReadOnly, [&env](const ApiRequest& req) {
    const std::string format = req.query("format").value_or("json");
    if (format != "json" && format != "csv")
      throw ApiError(400, "invalid_query", "format must be json or csv", "format");
    auto txn = env.read();
    auto o = mustOlt(txn, req.param("id"));
    Json items = Json::array();
    store::forEachOnu(txn, o.id(), 0, 0, "", [&](std::string_view, const pb::Onu& u) {
      items.push_back(onuJson(u));
      return true;
    });
    if (format == "json") return ApiReply{200, {{"olt", o.id()}, {"onus", items}}};
    static const char* kColumns[] = {
        "olt",    "slot",     "port",        "onu",          "name",      "description",
        "serial", "type",     "model",       "phase",        "online",    "offline_reason",
        "rx_dbm", "tx_dbm",   "olt_rx_dbm",  "distance_m",   "up_octets", "down_octets",
        "up_bps", "down_bps", "last_online", "last_offline", "subscriber"};
    std::ostringstream csv;
    for (size_t i = 0; i < std::size(kColumns); ++i)
      csv << (i ? "," : "") << kColumns[i];
    csv << "\r\n";
    for (const auto& it : items) {
      for (size_t i = 0; i < std::size(kColumns); ++i)
        csv << (i ? "," : "") << jsonScalarToCsv(it[kColumns[i]]);
      csv << "\r\n";
    }
    ApiReply reply;
    reply.status = 200;
    reply.body = nullptr;
    reply.content_type = "text/csv; charset=utf-8";
    reply.raw = csv.str();
    return reply;
  });

  // ---- SNMP writes (operator) ----
  router.add("PATCH", onu_path, Role::Operator, [&env, &ctx](const ApiRequest& req) {
    auto r = onuRef(req);
    const Json body = req.body();
    Fields f(body, {"name"});
    f.require("name");
    const std::string name = *f.str("name", 1, 64, CharSet::Printable);
    {
      auto txn = env.read();
      mustOnu(txn, r);
    }
    olt::WriteRequest w{"rename", r.slot, r.port, r.onu, name, "", ""};
    checkOutcome(writer(ctx).writeOnu(r.olt, w));
    auto txn = env.write();
    auto u = store::getOnu(txn, r.key);
    if (!u) throw ApiError::notFound("the ONU disappeared meanwhile");
    const std::string old = u->name();
    const pb::Onu before = *u;
    u->set_name(name);
    store::putOnu(txn, *u, &before);
    store::recordChange(txn, pb::ONU, r.key, pb::PUT);
    audit(txn, req, "rename", "onu", r.olt + "/" + onuPath(*u),
          {{"name", {{"from", old}, {"to", name}}}});
    txn.commit();
    return ApiReply{200, onuJson(*u)};
  });

  router.add("POST", "/api/v1/olts/{id}/onus", Role::Operator, [&env, &ctx](const ApiRequest& req) {
    const Json body = req.body();
    Fields f(body, {"slot", "port", "onu", "serial", "type", "name"});
    for (auto field : {"slot", "port", "onu", "serial", "type"})
      f.require(field);
    const auto slot = static_cast<uint32_t>(*f.u64("slot", 1, 255));
    const auto port = static_cast<uint32_t>(*f.u64("port", 1, 255));
    const auto onu = static_cast<uint32_t>(*f.u64("onu", 1, 128));
    const std::string serial = *f.str("serial", 12, 12, CharSet::Name);
    const std::string type = *f.str("type", 1, 32, CharSet::Printable);
    const std::string name = f.str("name", 0, 64, CharSet::Printable).value_or("");
    const std::string id = req.param("id");
    {
      auto txn = env.read();
      mustOlt(txn, id);
      if (store::getOnu(txn, store::onuKey(id, slot, port, onu)))
        throw ApiError(409, "conflict", "ONU id " + std::to_string(onu) + " is in use", "onu");
    }
    olt::WriteRequest w{"create", slot, port, onu, name, serial, type};
    checkOutcome(writer(ctx).writeOnu(id, w));
    auto txn = env.write();
    audit(txn, req, "create", "onu",
          id + "/" + std::to_string(slot) + "/" + std::to_string(port) + "/" + std::to_string(onu),
          {{"serial", serial}, {"type", type}, {"name", name}});
    txn.commit();
    writer(ctx).pollSoon(id);
    return ApiReply{202,
                    {{"olt", id},
                     {"slot", slot},
                     {"port", port},
                     {"onu", onu},
                     {"status", "created on the OLT; it appears here after the next inventory"}}};
  });

  router.add("DELETE", onu_path, Role::Operator, [&env, &ctx](const ApiRequest& req) {
    auto r = onuRef(req);
    {
      auto txn = env.read();
      mustOnu(txn, r);
    }
    olt::WriteRequest w{"delete", r.slot, r.port, r.onu, "", "", ""};
    checkOutcome(writer(ctx).writeOnu(r.olt, w));
    auto txn = env.write();
    store::deleteOnu(txn, r.key);
    store::recordChange(txn, pb::ONU, r.key, pb::DELETE);
    audit(txn, req, "delete", "onu",
          r.olt + "/" + std::to_string(r.slot) + "/" + std::to_string(r.port) + "/" +
              std::to_string(r.onu),
          nullptr);
    txn.commit();
    return ApiReply{204, nullptr};
  });

  // What only the OLT's CLI can do: said plainly instead of pretending.
  router.add(
      "POST", onu_path + "/reboot", Role::Operator, [&env](const ApiRequest& req) -> ApiReply {
        auto r = onuRef(req);
        auto txn = env.read();
        mustOnu(txn, r);
        throw ApiError(501, "needs_cli",
                       "rebooting an ONU is not available over SNMP on this OLT: use the OLT's CLI "
                       "(ZTE: pon-onu-mng gpon-onu_1/S/P:N, reboot)");
      });

  router.add("PUT", onu_path + "/service-ports", Role::Operator,
             [&env](const ApiRequest& req) -> ApiReply {
               auto r = onuRef(req);
               auto txn = env.read();
               mustOnu(txn, r);
               throw ApiError(
                   501, "needs_cli",
                   "service ports and VLANs are provisioned on the OLT's CLI (ZTE: interface "
                   "gpon-onu_1/S/P:N, service-port ...); SNMP has no objects for them");
             });

  // ---- subscriber <-> ONU ----
  router.add("GET", "/api/v1/subscribers/{username}/onu", Role::ReadOnly,
             [&env](const ApiRequest& req) {
               auto txn = env.read();
               if (!store::getSubscriber(txn, req.param("username")))
                 throw ApiError::notFound("no subscriber " + req.param("username"));
               auto key = store::linkedOnuKey(txn, req.param("username"));
               if (!key) throw ApiError::notFound("no ONU is linked to this subscriber");
               auto u = store::getOnu(txn, *key);
               if (!u) throw ApiError::notFound("the linked ONU is gone");
               return ApiReply{200, onuJson(*u)};
             });

  router.add(
      "PUT", "/api/v1/subscribers/{username}/onu", Role::Operator, [&env](const ApiRequest& req) {
        const Json body = req.body();
        Fields f(body, {"serial", "olt", "name"});
        const bool by_serial = f.given("serial");
        if (!by_serial && !(f.given("olt") && f.given("name")))
          throw ApiError::invalid("serial", "give serial, or olt and name");
        auto txn = env.write();
        const std::string user = req.param("username");
        if (!store::getSubscriber(txn, user)) throw ApiError::notFound("no subscriber " + user);
        std::optional<std::string> key;
        if (by_serial) {
          const std::string serial = *f.str("serial", 1, 32, CharSet::Name);
          key = store::onuKeyBySerial(txn, olt::renderSerial(serial, false));
          if (!key)
            throw ApiError::invalid("serial", "no ONU with serial " + serial, "unknown_onu");
        } else {
          const std::string olt_id = *f.str("olt", 1, 64, CharSet::Name);
          const std::string name = *f.str("name", 1, 64);
          mustOlt(txn, olt_id);
          int matches = 0;
          store::forEachOnu(txn, olt_id, 0, 0, "", [&](std::string_view k, const pb::Onu& u) {
            if (u.name() == name) {
              key = std::string(k);
              ++matches;
            }
            return true;
          });
          if (matches == 0) throw ApiError::invalid("name", "no ONU named " + name, "unknown_onu");
          if (matches > 1)
            throw ApiError(409, "ambiguous", "several ONUs are named " + name, "name");
        }
        store::linkOnu(txn, user, *key);
        auto u = store::getOnu(txn, *key);
        audit(txn, req, "link", "onu", user,
              {{"olt", u->olt()}, {"onu", onuPath(*u)}, {"serial", u->serial()}});
        txn.commit();
        return ApiReply{200, onuJson(*u)};
      });

  router.add("DELETE", "/api/v1/subscribers/{username}/onu", Role::Operator,
             [&env](const ApiRequest& req) {
               auto txn = env.write();
               if (!store::unlinkOnu(txn, req.param("username")))
                 throw ApiError::notFound("no ONU is linked to this subscriber");
               audit(txn, req, "unlink", "onu", req.param("username"), nullptr);
               txn.commit();
               return ApiReply{204, nullptr};
             });
}

} // namespace ispbox::api
