// SPDX-License-Identifier: GPL-2.0-or-later
#include "rlm_isp/core/vouchers.h"

#include <algorithm>
#include <cctype>

#include "store/entities.h"
#include "store/logs.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "store/vouchers.h"

namespace ispbox::aaa {
namespace {

constexpr uint64_t kMaxSessionTimeout = 0x7fffffff;

// The smaller of two limits where 0 means none.
uint64_t tighter(uint64_t a, uint64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

} // namespace

AuthDecision authorizeVoucher(store::Env& env, store::ReadTxn snapshot, const AuthRequest& req,
                              int64_t now, const PolicyOptions& options) {
  AuthDecision d;
  auto reject = [&](std::string reason) {
    d.verdict = Verdict::Reject;
    d.reason = std::move(reason);
    return d;
  };
  std::string pool_to_lease;
  {
    const store::ReadTxn txn = std::move(snapshot);
    pb::Voucher v;
    if (req.user_name.empty() || !store::getVoucher(txn, req.user_name, &v))
      return reject("Unknown user");
    const store::VoucherUsage used = store::voucherUsage(txn, v.code());
    switch (store::voucherStatus(v, used, now)) {
    case store::VoucherStatus::Revoked:
      return reject("Voucher revoked");
    case store::VoucherStatus::Expired:
      return reject("Voucher expired");
    case store::VoucherStatus::TimeUsedUp:
      return reject("Voucher time used up");
    case store::VoucherStatus::DataUsedUp:
      return reject("Voucher data used up");
    case store::VoucherStatus::Unused:
    case store::VoucherStatus::Active:
      break;
    }
    auto plan = store::getPlan(txn, v.plan());
    if (!plan) return reject("Voucher has no valid plan");
    // The plan's monthly cap applies to a voucher too (a voucher is never isolated: refused).
    const pb::Usage month = store::getUsage(txn, v.code(), "m" + store::monthPeriod(now));
    const uint64_t month_bytes = month.input_octets() + month.output_octets();
    if (plan->data_cap_bytes() != 0 && month_bytes >= plan->data_cap_bytes())
      return reject("Data cap reached");
    // One session at a time; sessions nobody heard of for several interim intervals are dead.
    uint32_t live = 0;
    for (const auto& ks : store::liveSessionsOf(txn, v.code()))
      if (!store::isStale(ks.session, now, options.stale_misses, options.default_interim_s)) ++live;
    if (live >= 1) return reject("Already online (" + std::to_string(live) + " of 1 sessions)");

    // The plan's attributes as a subscriber without expiry would get them; then the voucher's
    // own limits replace the time and data ones.
    pb::Subscriber as_subscriber;
    as_subscriber.set_username(v.code());
    Attributes attrs =
        sessionAttributes(as_subscriber, *plan, Profile::Normal, month_bytes, now, options);
    std::erase_if(attrs, [](const auto& a) {
      return a.first == "Session-Timeout" || a.first == "Mikrotik-Total-Limit" ||
             a.first == "Mikrotik-Total-Limit-Gigawords";
    });
    for (auto& [name, value] : attrs)
      if (name == "Class") value = "ispbox:" + std::string(kVoucherProfile) + ":" + plan->name();

    // Not yet activated: this login starts the validity, so all of it is left.
    const uint64_t validity_left = v.validity_s() == 0 ? 0
                                   : v.first_used_at() == 0
                                       ? v.validity_s()
                                       : static_cast<uint64_t>(v.expires_at() - now);
    const uint64_t time_left = v.time_limit_s() ? v.time_limit_s() - used.session_time : 0;
    if (const uint64_t timeout = tighter(validity_left, time_left))
      attrs.emplace_back("Session-Timeout", std::to_string(std::min(kMaxSessionTimeout, timeout)));
    const uint64_t data_left =
        tighter(v.data_limit_bytes() ? v.data_limit_bytes() - used.total() : 0,
                plan->data_cap_bytes() ? plan->data_cap_bytes() - month_bytes : 0);
    if (data_left != 0) {
      attrs.emplace_back("Mikrotik-Total-Limit", std::to_string(data_left & 0xffffffffULL));
      if (data_left >> 32)
        attrs.emplace_back("Mikrotik-Total-Limit-Gigawords", std::to_string(data_left >> 32));
    }

    d.verdict = Verdict::Accept;
    d.password = v.password().empty() ? v.code() : v.password();
    d.profile = std::string(kVoucherProfile);
    d.reply = std::move(attrs);
    if (!plan->pool().empty()) {
      // A pool ispbox manages gets an address from us; any other name is the router's pool.
      if (store::getPool(txn, plan->pool()))
        pool_to_lease = plan->pool();
      else
        d.reply.emplace_back("Framed-Pool", plan->pool());
    }
  }
  if (!pool_to_lease.empty() && !leaseAddress(env, d, pool_to_lease, req.user_name, now, options))
    return reject("No free address in pool " + pool_to_lease);
  return d;
}

bool activateVoucherOnAccept(store::Env& env, std::string_view code, std::string_view nas_ip,
                             int64_t now) {
  {
    // Most accepts of a voucher are not its first: those need no write.
    auto txn = env.read();
    pb::Voucher v;
    if (!store::getVoucher(txn, code, &v) || v.first_used_at() != 0) return false;
  }
  auto txn = env.write();
  if (!store::activateVoucher(txn, code, now)) return false;
  pb::AuditEntry e;
  e.set_at_ms(now * 1000);
  e.set_actor("rlm_isp");
  e.set_action("activate");
  e.set_entity("voucher");
  e.set_key(std::string(code));
  // nas_ip is an address printed by FreeRADIUS; anything else is masked, so the JSON stays valid.
  std::string ip(nas_ip);
  for (char& c : ip)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':') c = '?';
  e.set_detail("{\"nas_ip\":\"" + ip + "\"}");
  store::appendAudit(txn, std::move(e));
  txn.commit();
  return true;
}

} // namespace ispbox::aaa
