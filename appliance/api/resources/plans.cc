// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/plans: service plans (rates, burst, address list, pool, isolation profile).
#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "store/entities.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;
constexpr uint64_t kMaxRate = 100'000'000'000ULL; // 100 Gbit/s
// Larger integers lose precision in JavaScript clients.
constexpr uint64_t kMaxJsonInteger = (uint64_t{1} << 53) - 1;

Json optional(uint64_t v) {
  return v == 0 ? Json(nullptr) : Json(v);
}

Json quotaJson(const pb::Plan& p) {
  if (!p.has_quota()) return nullptr;
  const auto& q = p.quota();
  return {{"daily_bytes", optional(q.daily_bytes())},
          {"monthly_bytes", optional(q.monthly_bytes())},
          {"action", q.action().empty() ? "throttle" : q.action()},
          {"download_bps", optional(q.download_bps())},
          {"upload_bps", optional(q.upload_bps())}};
}

Json planJson(const pb::Plan& p) {
  Json burst = nullptr;
  if (p.burst_download_bps() || p.burst_upload_bps())
    burst = {{"download_bps", p.burst_download_bps()},
             {"upload_bps", p.burst_upload_bps()},
             {"threshold_download_bps", p.burst_threshold_download_bps()},
             {"threshold_upload_bps", p.burst_threshold_upload_bps()},
             {"time_s", p.burst_time_s()}};
  const auto& iso = p.isolation();
  return {{"name", p.name()},
          {"description", p.description()},
          {"download_bps", p.download_bps()},
          {"upload_bps", p.upload_bps()},
          {"burst", burst},
          {"priority", optional(p.priority())},
          {"min_download_bps", optional(p.min_download_bps())},
          {"min_upload_bps", optional(p.min_upload_bps())},
          {"address_list", p.address_list()},
          {"pool", p.pool()},
          {"acct_interim_interval_s", optional(p.acct_interim_interval_s())},
          {"data_cap_bytes", optional(p.data_cap_bytes())},
          {"grace_s", p.grace_s()},
          {"quota", quotaJson(p)},
          {"isolation",
           {{"reject", iso.reject()},
            {"address_list", iso.address_list()},
            {"pool", iso.pool()},
            {"download_bps", optional(iso.download_bps())},
            {"upload_bps", optional(iso.upload_bps())}}},
          {"created_at", timeJson(p.created_at())},
          {"updated_at", timeJson(p.updated_at())}};
}

// Applies the fields present in body to p. On create every required field must be there; on
// update only what is present changes, null resets an optional field, nested objects are
// replaced whole.
void applyPlan(const Json& body, pb::Plan& p, bool create) {
  Fields f(body, {"name", "description", "download_bps", "upload_bps", "burst", "priority",
                  "min_download_bps", "min_upload_bps", "address_list", "pool",
                  "acct_interim_interval_s", "data_cap_bytes", "isolation", "grace_s", "quota"});
  if (create) {
    f.require("name");
    f.require("download_bps");
    f.require("upload_bps");
    p.set_name(*f.str("name", 1, 64, CharSet::Name));
  } else if (f.has("name")) {
    auto n = f.str("name", 1, 64, CharSet::Name);
    if (!n || *n != p.name())
      throw ApiError::invalid("name", "cannot be changed (create a new plan instead)",
                              "immutable_field");
  }
  for (auto field : {"download_bps", "upload_bps"})
    f.notNull(field);
  if (f.has("description")) p.set_description(f.str("description", 0, 256).value_or(""));
  if (auto v = f.u64("download_bps", 1, kMaxRate)) p.set_download_bps(*v);
  if (auto v = f.u64("upload_bps", 1, kMaxRate)) p.set_upload_bps(*v);
  if (f.has("priority")) p.set_priority(static_cast<uint32_t>(f.u64("priority", 1, 8).value_or(0)));
  if (f.has("min_download_bps"))
    p.set_min_download_bps(f.u64("min_download_bps", 0, kMaxRate).value_or(0));
  if (f.has("min_upload_bps"))
    p.set_min_upload_bps(f.u64("min_upload_bps", 0, kMaxRate).value_or(0));
  if (f.has("address_list")) p.set_address_list(f.str("address_list", 0, 64).value_or(""));
  if (f.has("pool")) p.set_pool(f.str("pool", 0, 64).value_or(""));
  if (f.has("acct_interim_interval_s"))
    p.set_acct_interim_interval_s(
        static_cast<uint32_t>(f.u64("acct_interim_interval_s", 60, 86400).value_or(0)));
  if (f.has("data_cap_bytes"))
    p.set_data_cap_bytes(f.u64("data_cap_bytes", 0, kMaxJsonInteger).value_or(0));

  if (f.has("burst")) {
    p.clear_burst_download_bps();
    p.clear_burst_upload_bps();
    p.clear_burst_threshold_download_bps();
    p.clear_burst_threshold_upload_bps();
    p.clear_burst_time_s();
    if (auto b = f.object("burst", {"download_bps", "upload_bps", "threshold_download_bps",
                                    "threshold_upload_bps", "time_s"})) {
      for (auto field : {"download_bps", "upload_bps", "threshold_download_bps",
                         "threshold_upload_bps", "time_s"})
        b->require(field);
      p.set_burst_download_bps(*b->u64("download_bps", 1, kMaxRate));
      p.set_burst_upload_bps(*b->u64("upload_bps", 1, kMaxRate));
      p.set_burst_threshold_download_bps(*b->u64("threshold_download_bps", 1, kMaxRate));
      p.set_burst_threshold_upload_bps(*b->u64("threshold_upload_bps", 1, kMaxRate));
      p.set_burst_time_s(static_cast<uint32_t>(*b->u64("time_s", 1, 3600)));
    }
  }
  if (f.has("grace_s"))
    p.set_grace_s(static_cast<uint32_t>(f.u64("grace_s", 0, 90 * 86400).value_or(0)));
  if (f.has("quota")) {
    p.clear_quota();
    if (auto q = f.object(
            "quota", {"daily_bytes", "monthly_bytes", "action", "download_bps", "upload_bps"})) {
      auto* out = p.mutable_quota();
      out->set_daily_bytes(q->u64("daily_bytes", 0, kMaxJsonInteger).value_or(0));
      out->set_monthly_bytes(q->u64("monthly_bytes", 0, kMaxJsonInteger).value_or(0));
      out->set_action(
          q->oneOf("action", {"throttle", "isolate", "disconnect"}).value_or("throttle"));
      out->set_download_bps(q->u64("download_bps", 0, kMaxRate).value_or(0));
      out->set_upload_bps(q->u64("upload_bps", 0, kMaxRate).value_or(0));
      if (out->daily_bytes() == 0 && out->monthly_bytes() == 0)
        throw ApiError::invalid("quota", "set daily_bytes, monthly_bytes or both (or quota: null)");
      if (out->action() == "throttle" && (out->download_bps() == 0 || out->upload_bps() == 0))
        throw ApiError::invalid("quota", "a throttle quota needs download_bps and upload_bps",
                                "missing_field");
    }
  }
  if (f.has("isolation")) {
    p.clear_isolation();
    if (auto iso = f.object("isolation",
                            {"reject", "address_list", "pool", "download_bps", "upload_bps"})) {
      auto* out = p.mutable_isolation();
      out->set_reject(iso->boolean("reject").value_or(false));
      out->set_address_list(iso->str("address_list", 0, 64).value_or(""));
      out->set_pool(iso->str("pool", 0, 64).value_or(""));
      out->set_download_bps(iso->u64("download_bps", 0, kMaxRate).value_or(0));
      out->set_upload_bps(iso->u64("upload_bps", 0, kMaxRate).value_or(0));
    }
  }

  // Rules RouterOS enforces on a queue, checked here so a bad plan never reaches a router.
  if (p.burst_download_bps()) {
    if (p.burst_download_bps() <= p.download_bps() || p.burst_upload_bps() <= p.upload_bps())
      throw ApiError::invalid("burst", "burst rates must be above the plan's rates");
    if (p.burst_threshold_download_bps() > p.download_bps() ||
        p.burst_threshold_upload_bps() > p.upload_bps())
      throw ApiError::invalid("burst", "burst thresholds must not exceed the plan's rates");
  }
  if (p.min_download_bps() > p.download_bps())
    throw ApiError::invalid("min_download_bps", "must not exceed download_bps");
  if (p.min_upload_bps() > p.upload_bps())
    throw ApiError::invalid("min_upload_bps", "must not exceed upload_bps");
}

std::string planName(const ApiRequest& req) {
  return req.param("name");
}

} // namespace

void addPlanRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  router.add("GET", "/api/v1/plans", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    return ApiReply{
        200, listPage<pb::Plan>(txn, store::Table::Plans, pageParams(req), nullptr, planJson)};
  });

  router.add("POST", "/api/v1/plans", Role::Operator, [&env](const ApiRequest& req) {
    pb::Plan p;
    applyPlan(req.body(), p, true);
    p.set_created_at(timeutil::nowSeconds());
    p.set_updated_at(p.created_at());
    auto txn = env.write();
    store::putPlan(txn, p, store::WriteMode::Create);
    Json out = planJson(p);
    audit(txn, req, "create", "plan", p.name(), out);
    txn.commit();
    return ApiReply{201, out};
  });

  router.add("GET", "/api/v1/plans/{name}", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    auto p = store::getPlan(txn, planName(req));
    if (!p) throw ApiError::notFound("no plan named " + planName(req));
    return ApiReply{200, planJson(*p)};
  });

  router.add("PATCH", "/api/v1/plans/{name}", Role::Operator, [&env](const ApiRequest& req) {
    const Json body = req.body();
    auto txn = env.write();
    auto p = store::getPlan(txn, planName(req));
    if (!p) throw ApiError::notFound("no plan named " + planName(req));
    const Json before = planJson(*p);
    applyPlan(body, *p, false);
    Json changes = diff(before, planJson(*p));
    // A billing sync re-sending unchanged records must not churn the change log and audit.
    if (changes.empty()) return ApiReply{200, before};
    p->set_updated_at(timeutil::nowSeconds());
    store::putPlan(txn, *p, store::WriteMode::Replace);
    Json out = planJson(*p);
    audit(txn, req, "update", "plan", p->name(), changes);
    txn.commit();
    return ApiReply{200, out};
  });

  router.add("DELETE", "/api/v1/plans/{name}", Role::Operator, [&env](const ApiRequest& req) {
    auto txn = env.write();
    if (!store::deletePlan(txn, planName(req)))
      throw ApiError::notFound("no plan named " + planName(req));
    audit(txn, req, "delete", "plan", planName(req), nullptr);
    txn.commit();
    return ApiReply{204, nullptr};
  });
}

} // namespace ispbox::api
