// SPDX-License-Identifier: GPL-2.0-or-later
#include "rlm_isp/core/policy.h"

#include "common/net.h"
#include "rlm_isp/core/vouchers.h"
#include "store/entities.h"
#include "store/pools.h"
#include "store/sessions.h"

namespace ispbox::aaa {
namespace {

std::string pair(uint64_t rx, uint64_t tx) {
  return formatRate(rx) + "/" + formatRate(tx);
}

constexpr int64_t kMaxSessionTimeout = 0x7fffffff;

} // namespace

std::string formatRate(uint64_t bps) {
  if (bps != 0 && bps % 1000000 == 0) return std::to_string(bps / 1000000) + "M";
  if (bps != 0 && bps % 1000 == 0) return std::to_string(bps / 1000) + "k";
  return std::to_string(bps);
}

std::string mikrotikRateLimit(uint64_t download_bps, uint64_t upload_bps, const pb::Plan& p,
                              bool with_burst) {
  std::string out = pair(upload_bps, download_bps);
  const bool burst = with_burst && p.burst_download_bps() != 0;
  const bool min = with_burst && (p.min_download_bps() != 0 || p.min_upload_bps() != 0);
  const bool priority = with_burst && (p.priority() != 0 || min);
  if (!burst && !priority) return out;
  // The fields are positional: without a burst, "0/0" keeps the later fields in place.
  if (burst) {
    out += " " + pair(p.burst_upload_bps(), p.burst_download_bps());
    out += " " + pair(p.burst_threshold_upload_bps(), p.burst_threshold_download_bps());
    out += " " + std::to_string(p.burst_time_s()) + "/" + std::to_string(p.burst_time_s());
  } else {
    out += " 0/0 0/0 0/0";
  }
  out += " " + std::to_string(p.priority() ? p.priority() : 8);
  if (min) out += " " + pair(p.min_upload_bps(), p.min_download_bps());
  return out;
}

std::optional<std::string> isolationReason(const pb::Subscriber& s, const pb::Plan& plan,
                                           uint64_t month_usage_bytes, int64_t now) {
  if (s.status() == pb::SUSPENDED) return "suspended";
  if (s.status() == pb::ISOLATED) return "isolated";
  if (s.expires_at() != 0 && now >= s.expires_at()) return "expired";
  if (plan.data_cap_bytes() != 0 && month_usage_bytes >= plan.data_cap_bytes())
    return "data cap reached";
  return std::nullopt;
}

Attributes sessionAttributes(const pb::Subscriber& s, const pb::Plan& plan, bool isolated,
                             uint64_t month_usage_bytes, int64_t now,
                             const PolicyOptions& options) {
  Attributes a;
  const auto& iso = plan.isolation();
  if (isolated) {
    const uint64_t down = iso.download_bps() ? iso.download_bps() : plan.download_bps();
    const uint64_t up = iso.upload_bps() ? iso.upload_bps() : plan.upload_bps();
    a.emplace_back("Mikrotik-Rate-Limit", mikrotikRateLimit(down, up, plan, false));
    const std::string& list = iso.address_list().empty() ? plan.address_list() : iso.address_list();
    if (!list.empty()) a.emplace_back("Mikrotik-Address-List", list);
  } else {
    a.emplace_back("Mikrotik-Rate-Limit",
                   mikrotikRateLimit(plan.download_bps(), plan.upload_bps(), plan, true));
    if (!plan.address_list().empty()) a.emplace_back("Mikrotik-Address-List", plan.address_list());
    // The session ends at expiry, so the next dial lands in isolation.
    if (s.expires_at() != 0)
      a.emplace_back("Session-Timeout",
                     std::to_string(std::min(kMaxSessionTimeout, s.expires_at() - now)));
    if (plan.data_cap_bytes() != 0) {
      const uint64_t left =
          plan.data_cap_bytes() - std::min(plan.data_cap_bytes(), month_usage_bytes);
      a.emplace_back("Mikrotik-Total-Limit", std::to_string(left & 0xffffffffULL));
      if (left >> 32) a.emplace_back("Mikrotik-Total-Limit-Gigawords", std::to_string(left >> 32));
    }
  }
  const uint32_t interim =
      plan.acct_interim_interval_s() ? plan.acct_interim_interval_s() : options.default_interim_s;
  a.emplace_back("Acct-Interim-Interval", std::to_string(interim));
  // Echoed back in accounting: which profile the session was given.
  a.emplace_back("Class",
                 "ispbox:" + std::string(isolated ? "isolated" : "normal") + ":" + plan.name());
  return a;
}

AuthDecision authorize(store::Env& env, const AuthRequest& req, int64_t now,
                       const PolicyOptions& options) {
  AuthDecision d;
  auto reject = [&](std::string reason) {
    d.verdict = Verdict::Reject;
    d.reason = std::move(reason);
    return d;
  };
  std::string pool_to_lease;
  {
    auto txn = env.read();
    if (!store::getNasByIp(txn, req.nas_ip))
      return reject("NAS " + std::string(req.nas_ip) + " is not registered");
    pb::Subscriber s;
    if (req.user_name.empty() || !store::getSubscriber(txn, req.user_name, &s))
      return authorizeVoucher(env, std::move(txn), req, now, options); // or "Unknown user"
    if (s.status() == pb::TERMINATED) return reject("Account terminated");
    if (!s.mac().empty()) {
      auto mac = net::normalizeMac(req.calling_station_id);
      if (!mac || *mac != s.mac()) return reject("Device not allowed for this account");
    }
    auto plan = store::getPlan(txn, s.plan());
    if (!plan) return reject("Account has no valid plan");

    const uint64_t month = [&] {
      auto u = store::getUsage(txn, s.username(), "m" + store::monthPeriod(now));
      return u.input_octets() + u.output_octets();
    }();
    auto why = isolationReason(s, *plan, month, now);
    if (why && plan->isolation().reject()) {
      std::string msg = *why == "expired" ? "Account expired" : "Account " + *why;
      if (*why == "data cap reached") msg = "Data cap reached";
      return reject(msg);
    }

    // Sessions nobody has heard of for several interim intervals are dead: they do not count.
    const uint32_t limit = s.simultaneous_use() ? s.simultaneous_use() : 1;
    uint32_t live = 0;
    for (const auto& ks : store::liveSessionsOf(txn, s.username()))
      if (!store::isStale(ks.session, now, options.stale_misses, options.default_interim_s)) ++live;
    if (live >= limit)
      return reject("Already online (" + std::to_string(live) + " of " + std::to_string(limit) +
                    " sessions)");

    d.verdict = Verdict::Accept;
    d.password = s.password();
    d.profile = why ? "isolated" : "normal";
    d.reason = why ? *why : "";
    d.reply = sessionAttributes(s, *plan, why.has_value(), month, now, options);

    const std::string& pool =
        why && !plan->isolation().pool().empty() ? plan->isolation().pool() : plan->pool();
    if (!s.static_ip().empty()) {
      d.reply.emplace_back("Framed-IP-Address", s.static_ip());
    } else if (!pool.empty()) {
      // A pool ispbox manages gets an address from us; any other name is the router's pool.
      if (store::getPool(txn, pool))
        pool_to_lease = pool;
      else
        d.reply.emplace_back("Framed-Pool", pool);
    }
  }
  if (!pool_to_lease.empty()) {
    auto txn = env.write();
    auto ip =
        store::allocateLease(txn, pool_to_lease, req.user_name, now, options.lease_offer_ttl_s);
    if (!ip) return reject("No free address in pool " + pool_to_lease);
    txn.commit();
    d.lease_pool = pool_to_lease;
    d.lease_ip = *ip;
    d.reply.emplace_back("Framed-IP-Address", *ip);
  }
  return d;
}

} // namespace ispbox::aaa
