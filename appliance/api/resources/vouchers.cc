// SPDX-License-Identifier: GPL-2.0-or-later
// /api/v1/voucher-batches and /api/v1/vouchers: prepaid access codes for hotspot and PPPoE,
// generated in batches, exported as CSV for printing, revoked or deleted. RADIUS (rlm_isp)
// activates a voucher at its first login and refuses it once expired or used up.
//
// A voucher's code is a credential (with the "same_as_code" password mode, the only one), so
// what lists codes in bulk (the voucher list, the CSV export) needs the operator role; readonly
// tokens see batches and the one voucher whose code they already know.
#include "store/vouchers.h"
#include "appliance/api/api_error.h"
#include "appliance/api/resources/helpers.h"
#include "appliance/api/resources/resources.h"
#include "common/time_util.h"
#include "store/entities.h"
#include "store/sessions.h"

namespace ispbox::api {
namespace {

namespace pb = store::pb;

constexpr uint64_t kMaxDuration_s = uint64_t{10} * 366 * 86400; // ten years
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 50;           // 1 PiB
constexpr size_t kMaxPrefix = 16;

std::string_view modeName(pb::VoucherPasswordMode m) {
  return m == pb::VOUCHER_PASSWORD_RANDOM ? "random" : "same_as_code";
}

Json limitOrNull(uint64_t v) {
  return v == 0 ? Json(nullptr) : Json(v);
}

Json batchJson(const pb::VoucherBatch& b) {
  return {{"id", b.id()},
          {"prefix", b.prefix()},
          {"length", b.length()},
          {"count", b.count()},
          {"plan", b.plan()},
          {"password_mode", modeName(b.password_mode())},
          {"password_length", b.password_mode() == pb::VOUCHER_PASSWORD_RANDOM
                                  ? Json(b.password_length())
                                  : Json(nullptr)},
          {"validity_s", limitOrNull(b.validity_s())},
          {"time_limit_s", limitOrNull(b.time_limit_s())},
          {"data_limit_bytes", limitOrNull(b.data_limit_bytes())},
          {"comment", b.comment()},
          {"created_at", timeJson(b.created_at())},
          {"created_by", b.created_by()}};
}

// The batch with how many of its vouchers are in each state now.
Json batchDetailJson(const store::ReadTxn& txn, const pb::VoucherBatch& b, int64_t now) {
  Json out = batchJson(b);
  Json states = {{"unused", 0}, {"active", 0}, {"expired", 0}, {"exhausted", 0}, {"revoked", 0}};
  pb::Voucher v;
  store::forEachVoucherInBatch(txn, b.id(), "", [&](std::string_view code) {
    if (!store::getVoucher(txn, code, &v)) return true;
    auto& n = states[std::string(
        store::voucherStateName(store::voucherStatus(v, store::voucherUsage(txn, code), now)))];
    n = n.get<uint64_t>() + 1;
    return true;
  });
  out["states"] = states;
  return out;
}

Json voucherJson(const store::ReadTxn& txn, const pb::Voucher& v, int64_t now) {
  const store::VoucherUsage u = store::voucherUsage(txn, v.code());
  const store::VoucherStatus status = store::voucherStatus(v, u, now);
  auto left = [](uint64_t limit, uint64_t used) {
    return limit == 0 ? Json(nullptr) : Json(used >= limit ? 0 : limit - used);
  };
  Json validity_left = nullptr;
  if (v.validity_s() != 0)
    validity_left = v.first_used_at() == 0
                        ? v.validity_s()
                        : static_cast<uint64_t>(std::max<int64_t>(0, v.expires_at() - now));
  return {{"code", v.code()},
          {"batch", v.batch()},
          {"plan", v.plan()},
          {"password_mode", v.password().empty() ? "same_as_code" : "random"},
          {"state", store::voucherStateName(status)},
          {"validity_s", limitOrNull(v.validity_s())},
          {"time_limit_s", limitOrNull(v.time_limit_s())},
          {"data_limit_bytes", limitOrNull(v.data_limit_bytes())},
          {"created_at", timeJson(v.created_at())},
          {"first_used_at", timeJson(v.first_used_at())},
          {"expires_at", timeJson(v.expires_at())},
          {"revoked_at", timeJson(v.revoked_at())},
          {"usage",
           {{"input_octets", u.input_octets},
            {"output_octets", u.output_octets},
            {"total_octets", u.total()},
            {"session_time_s", u.session_time},
            {"validity_left_s", validity_left},
            {"time_left_s", left(v.time_limit_s(), u.session_time)},
            {"data_left_bytes", left(v.data_limit_bytes(), u.total())}}},
          {"live_sessions", store::countLiveSessionsOf(txn, v.code())}};
}

store::VoucherBatchSpec parseBatch(const Json& body) {
  Fields f(body, {"count", "prefix", "length", "plan", "validity_s", "time_limit_s",
                  "data_limit_bytes", "password_mode", "password_length", "comment"});
  f.require("count");
  f.require("plan");
  store::VoucherBatchSpec spec;
  spec.count = static_cast<uint32_t>(*f.u64("count", 1, store::kMaxVouchersPerBatch));
  spec.plan = *f.str("plan", 1, 64, CharSet::Name);
  if (auto p = f.str("prefix", 0, kMaxPrefix)) {
    for (char c : *p)
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
        throw ApiError::invalid("prefix", "may only hold upper-case letters, digits and '-'");
    // A leading '-' (or '=', '+', '@') makes spreadsheets read a CSV cell as a formula.
    if (!p->empty() && p->front() == '-')
      throw ApiError::invalid("prefix", "must not start with '-'");
    spec.prefix = *p;
  }
  // 6 characters are 2^30 codes: a guess with 10,000 unused vouchers out hits one in 100,000.
  spec.length = static_cast<uint32_t>(f.u64("length", 6, 32).value_or(10));
  spec.validity_s = f.u64("validity_s", 0, kMaxDuration_s).value_or(0);
  spec.time_limit_s = f.u64("time_limit_s", 0, kMaxDuration_s).value_or(0);
  spec.data_limit_bytes = f.u64("data_limit_bytes", 0, kMaxDataBytes).value_or(0);
  if (spec.validity_s == 0 && spec.time_limit_s == 0 && spec.data_limit_bytes == 0)
    throw ApiError::invalid("validity_s",
                            "a voucher needs a limit: validity_s, time_limit_s or data_limit_bytes",
                            "missing_field");
  const std::string mode = f.oneOf("password_mode", {"same_as_code", "random"}).value_or("");
  spec.password_mode =
      mode == "random" ? pb::VOUCHER_PASSWORD_RANDOM : pb::VOUCHER_PASSWORD_SAME_AS_CODE;
  if (f.given("password_length") && mode != "random")
    throw ApiError::invalid("password_length", "only for password_mode \"random\"");
  spec.password_length = static_cast<uint32_t>(f.u64("password_length", 4, 32).value_or(8));
  spec.comment = f.str("comment", 0, 256).value_or("");
  return spec;
}

uint64_t batchId(const ApiRequest& req) {
  const std::string& s = req.param("id");
  uint64_t id = 0;
  bool ok = !s.empty() && s.size() <= 19;
  for (char c : s)
    ok = ok && c >= '0' && c <= '9';
  if (ok) id = std::stoull(s);
  if (!ok || id == 0) throw ApiError::notFound("no voucher batch with id " + s);
  return id;
}

pb::VoucherBatch mustGetBatch(const store::ReadTxn& txn, uint64_t id) {
  auto b = store::getVoucherBatch(txn, id);
  if (!b) throw ApiError::notFound("no voucher batch with id " + std::to_string(id));
  return *b;
}

pb::Voucher mustGetVoucher(const store::ReadTxn& txn, const std::string& code) {
  auto v = store::getVoucher(txn, code);
  if (!v) throw ApiError::notFound("no voucher with code " + code);
  return *v;
}

// Actions with no input take no body, or an empty object.
void noBody(const ApiRequest& req) {
  if (req.http.body.empty()) return;
  Fields f(req.body(), {});
}

// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled.
std::string csvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csvRow(std::initializer_list<std::string_view> fields) {
  std::string row;
  for (auto f : fields) {
    if (!row.empty()) row += ',';
    row += csvField(f);
  }
  return row + "\r\n";
}

std::string limitText(uint64_t v) {
  return v == 0 ? std::string() : std::to_string(v);
}

std::string timeText(int64_t t) {
  return t == 0 ? std::string() : timeutil::formatRfc3339(t);
}

} // namespace

void addVoucherRoutes(Router& router, ApiContext& ctx) {
  store::Env& env = ctx.env;

  router.add("POST", "/api/v1/voucher-batches", Role::Operator, [&env](const ApiRequest& req) {
    store::VoucherBatchSpec spec = parseBatch(req.body());
    spec.created_by = req.who.name;
    const int64_t now = timeutil::nowSeconds();
    auto txn = env.write();
    if (!store::getPlan(txn, spec.plan))
      throw ApiError::invalid("plan", "no plan named '" + spec.plan + "'", "plan_not_found");
    const store::CreatedBatch created = store::createVoucherBatch(txn, spec, now);
    Json out = batchJson(created.batch);
    out["states"] = {{"unused", created.vouchers.size()},
                     {"active", 0},
                     {"expired", 0},
                     {"exhausted", 0},
                     {"revoked", 0}};
    // One entry for the batch (its terms), not one per voucher; never the passwords.
    audit(txn, req, "create", "voucher_batch", std::to_string(created.batch.id()),
          batchJson(created.batch));
    txn.commit();
    return ApiReply{201, out};
  });

  // Newest batch last (ordered by id). Filter: plan.
  router.add("GET", "/api/v1/voucher-batches", Role::ReadOnly, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    const auto plan = req.query("plan");
    auto txn = env.read();
    std::function<bool(const pb::VoucherBatch&)> keep;
    if (plan) keep = [&](const pb::VoucherBatch& b) { return b.plan() == *plan; };
    return ApiReply{
        200, listPage<pb::VoucherBatch>(txn, store::Table::VoucherBatches, page, keep, batchJson)};
  });

  router.add("GET", "/api/v1/voucher-batches/{id}", Role::ReadOnly, [&env](const ApiRequest& req) {
    const uint64_t id = batchId(req);
    auto txn = env.read();
    return ApiReply{200, batchDetailJson(txn, mustGetBatch(txn, id), timeutil::nowSeconds())};
  });

  router.add("DELETE", "/api/v1/voucher-batches/{id}", Role::Operator,
             [&env](const ApiRequest& req) {
               const uint64_t id = batchId(req);
               auto txn = env.write();
               const pb::VoucherBatch b = mustGetBatch(txn, id);
               store::deleteVoucherBatch(txn, id, timeutil::nowSeconds());
               audit(txn, req, "delete", "voucher_batch", std::to_string(id), batchJson(b));
               txn.commit();
               return ApiReply{204, nullptr};
             });

  router.add("POST", "/api/v1/voucher-batches/{id}/revoke", Role::Operator,
             [&env](const ApiRequest& req) {
               const uint64_t id = batchId(req);
               noBody(req);
               const int64_t now = timeutil::nowSeconds();
               auto txn = env.write();
               const pb::VoucherBatch b = mustGetBatch(txn, id);
               const size_t n = store::revokeVoucherBatch(txn, id, now);
               Json out = batchDetailJson(txn, b, now);
               if (n == 0) return ApiReply{200, out}; // nothing to write
               audit(txn, req, "revoke", "voucher_batch", std::to_string(id), {{"revoked", n}});
               txn.commit();
               return ApiReply{200, out};
             });

  // The batch for printing: one row per voucher, with its password. An export hands out
  // credentials, so it is recorded in the audit log like a change.
  router.add(
      "GET", "/api/v1/voucher-batches/{id}/export", Role::Operator, [&env](const ApiRequest& req) {
        const uint64_t id = batchId(req);
        const int64_t now = timeutil::nowSeconds();
        auto txn = env.write();
        const pb::VoucherBatch b = mustGetBatch(txn, id);
        std::string csv =
            csvRow({"code", "password", "plan", "validity_s", "time_limit_s", "data_limit_bytes",
                    "state", "first_used_at", "expires_at", "batch", "comment"});
        size_t rows = 0;
        const std::string batch = std::to_string(id);
        pb::Voucher v;
        store::forEachVoucherInBatch(txn, id, "", [&](std::string_view code) {
          if (!store::getVoucher(txn, code, &v)) return true;
          const auto state =
              store::voucherStateName(store::voucherStatus(v, store::voucherUsage(txn, code), now));
          csv += csvRow({v.code(), v.password().empty() ? v.code() : v.password(), v.plan(),
                         limitText(v.validity_s()), limitText(v.time_limit_s()),
                         limitText(v.data_limit_bytes()), state, timeText(v.first_used_at()),
                         timeText(v.expires_at()), batch, b.comment()});
          ++rows;
          return true;
        });
        audit(txn, req, "export", "voucher_batch", batch, {{"rows", rows}});
        txn.commit();
        ApiReply reply;
        reply.body = nullptr;
        reply.raw = std::move(csv);
        reply.content_type = "text/csv; charset=utf-8";
        reply.headers.emplace_back("Content-Disposition",
                                   "attachment; filename=\"vouchers-" + batch + ".csv\"");
        return reply;
      });

  // Ordered by code. Filters: batch, state, plan.
  router.add("GET", "/api/v1/vouchers", Role::Operator, [&env](const ApiRequest& req) {
    const Page page = pageParams(req);
    std::optional<uint64_t> batch;
    if (auto b = req.query("batch")) {
      bool ok = !b->empty() && b->size() <= 19;
      for (char c : *b)
        ok = ok && c >= '0' && c <= '9';
      if (!ok) throw ApiError(400, "invalid_query", "batch must be a batch id", "batch");
      batch = std::stoull(*b);
    }
    const auto state = req.query("state");
    if (state && *state != "unused" && *state != "active" && *state != "expired" &&
        *state != "exhausted" && *state != "revoked")
      throw ApiError(400, "invalid_query",
                     "state must be unused, active, expired, exhausted or revoked", "state");
    const auto plan = req.query("plan");
    const int64_t now = timeutil::nowSeconds();

    Json items = Json::array();
    bool more = false;
    std::string last;
    auto txn = env.read();
    auto visit = [&](const pb::Voucher& v) {
      if (plan && v.plan() != *plan) return true;
      if (state && store::voucherStateName(
                       store::voucherStatus(v, store::voucherUsage(txn, v.code()), now)) != *state)
        return true;
      if (items.size() == page.limit) return !(more = true);
      items.push_back(voucherJson(txn, v, now));
      last = v.code();
      return true;
    };
    if (batch) {
      pb::Voucher v;
      store::forEachVoucherInBatch(txn, *batch, page.after, [&](std::string_view code) {
        return !store::getVoucher(txn, code, &v) || visit(v);
      });
    } else {
      store::forEachRecord<pb::Voucher>(txn, store::Table::Vouchers, page.after,
                                        [&](std::string_view, pb::Voucher& v) { return visit(v); });
    }
    return ApiReply{200, pageReply(std::move(items), more, last)};
  });

  router.add("GET", "/api/v1/vouchers/{code}", Role::ReadOnly, [&env](const ApiRequest& req) {
    auto txn = env.read();
    return ApiReply{
        200, voucherJson(txn, mustGetVoucher(txn, req.param("code")), timeutil::nowSeconds())};
  });

  router.add(
      "POST", "/api/v1/vouchers/{code}/revoke", Role::Operator, [&env](const ApiRequest& req) {
        noBody(req);
        const int64_t now = timeutil::nowSeconds();
        auto txn = env.write();
        mustGetVoucher(txn, req.param("code"));
        if (!store::revokeVoucher(txn, req.param("code"), now)) // already revoked
          return ApiReply{200, voucherJson(txn, mustGetVoucher(txn, req.param("code")), now)};
        audit(txn, req, "revoke", "voucher", req.param("code"), nullptr);
        Json out = voucherJson(txn, mustGetVoucher(txn, req.param("code")), now);
        txn.commit();
        return ApiReply{200, out};
      });

  router.add("DELETE", "/api/v1/vouchers/{code}", Role::Operator, [&env](const ApiRequest& req) {
    auto txn = env.write();
    if (!store::deleteVoucher(txn, req.param("code")))
      throw ApiError::notFound("no voucher with code " + req.param("code"));
    audit(txn, req, "delete", "voucher", req.param("code"), nullptr);
    txn.commit();
    return ApiReply{204, nullptr};
  });
}

} // namespace ispbox::api
