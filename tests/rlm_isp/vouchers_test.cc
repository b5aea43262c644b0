// SPDX-License-Identifier: GPL-2.0-or-later
// Vouchers in the AAA policy, in-process against a real store with a fixed clock: the limits an
// Access-Accept carries, the reject reasons, the plan's cap, one session at a time, pool leases,
// and activation (once, with its audit entry) through the C ABI's post-auth.
#include <gtest/gtest.h>

#include "rlm_isp/core/policy.h"
#include "rlm_isp/core/vouchers.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "store/vouchers.h"
#include "tests/rlm_isp/store_fixture.h"

namespace ispbox::aaa {
namespace {

using testing_support::attr;
using testing_support::kNow;
constexpr uint64_t k4GiB = uint64_t{1} << 32;

class VoucherPolicy : public testing_support::StoreWithNas {
protected:
  void SetUp() override {
    StoreWithNas::SetUp();
    auto txn = env_->write();
    pb::Plan plan;
    plan.set_name("hs");
    plan.set_download_bps(4000000);
    plan.set_upload_bps(1000000);
    plan.set_address_list("hotspot-paid");
    plan.set_pool("hs-router-pool");
    plan.set_acct_interim_interval_s(60);
    store::putPlan(txn, plan, store::WriteMode::Create);
    txn.commit();
  }

  // One voucher with the given limits; returns its code.
  std::string voucher(uint64_t validity_s, uint64_t time_s, uint64_t data_bytes,
                      bool random_password = false) {
    store::VoucherBatchSpec s;
    s.count = 1;
    s.plan = "hs";
    s.prefix = "V";
    s.validity_s = validity_s;
    s.time_limit_s = time_s;
    s.data_limit_bytes = data_bytes;
    if (random_password) s.password_mode = pb::VOUCHER_PASSWORD_RANDOM;
    auto txn = env_->write();
    auto b = store::createVoucherBatch(txn, s, kNow - 1000);
    txn.commit();
    return b.vouchers.at(0).code();
  }

  AuthDecision auth(std::string_view user, int64_t now = kNow) {
    return authorize(*env_, {user, "192.0.2.1", ""}, now, options_);
  }

  PolicyOptions options_;
};

TEST_F(VoucherPolicy, UnusedVoucherGetsThePlanAndItsWholeLimits) {
  const std::string code = voucher(86400, 3600, 500000000);
  auto d = auth(code);
  ASSERT_EQ(d.verdict, Verdict::Accept) << d.reason;
  EXPECT_EQ(d.password, code); // same_as_code
  EXPECT_EQ(d.profile, "voucher");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Rate-Limit"), "1M/4M");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Address-List"), "hotspot-paid");
  EXPECT_EQ(attr(d.reply, "Framed-Pool"), "hs-router-pool");
  EXPECT_EQ(attr(d.reply, "Acct-Interim-Interval"), "60");
  EXPECT_EQ(attr(d.reply, "Class"), "ispbox:voucher:hs");
  EXPECT_EQ(attr(d.reply, "Session-Timeout"), "3600"); // time left < validity left
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit"), "500000000");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit-Gigawords"), "<absent>");
  // authorize decides; it does not activate (a wrong password must not start the clock).
  auto txn = env_->read();
  EXPECT_EQ(store::getVoucher(txn, code)->first_used_at(), 0);
}

TEST_F(VoucherPolicy, ActiveVoucherGetsWhatIsLeft) {
  const std::string code = voucher(7200, 3600, 5 * k4GiB + 10);
  inWrite([&](store::WriteTxn& t) {
    store::activateVoucher(t, code, kNow - 6000); // 1200 s of validity left
    store::addUsage(t, code, kNow - 5000, k4GiB, 0, 1000);
  });
  auto d = auth(code);
  ASSERT_EQ(d.verdict, Verdict::Accept) << d.reason;
  EXPECT_EQ(attr(d.reply, "Session-Timeout"), "1200"); // validity left < time left (2600)
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit"), "10");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit-Gigawords"), "4");

  // Only a data limit: no Session-Timeout at all.
  const std::string data_only = voucher(0, 0, 1000);
  d = auth(data_only);
  ASSERT_EQ(d.verdict, Verdict::Accept) << d.reason;
  EXPECT_EQ(attr(d.reply, "Session-Timeout"), "<absent>");
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit"), "1000");
}

TEST_F(VoucherPolicy, RejectReasons) {
  EXPECT_EQ(auth("VNOSUCHCODE").reason, "Unknown user");

  const std::string expired = voucher(600, 0, 0);
  inWrite([&](store::WriteTxn& t) { store::activateVoucher(t, expired, kNow - 600); });
  EXPECT_EQ(auth(expired).verdict, Verdict::Reject);
  EXPECT_EQ(auth(expired).reason, "Voucher expired");
  EXPECT_EQ(auth(expired, kNow - 1).verdict, Verdict::Accept);

  const std::string timed = voucher(0, 600, 0);
  inWrite([&](store::WriteTxn& t) {
    store::activateVoucher(t, timed, kNow - 2000);
    store::addUsage(t, timed, kNow - 100, 1, 1, 600);
  });
  EXPECT_EQ(auth(timed).reason, "Voucher time used up");

  const std::string data = voucher(0, 0, 1000);
  inWrite([&](store::WriteTxn& t) {
    store::activateVoucher(t, data, kNow - 2000);
    store::addUsage(t, data, kNow - 100, 600, 400, 5);
  });
  EXPECT_EQ(auth(data).reason, "Voucher data used up");

  const std::string revoked = voucher(600, 0, 0);
  inWrite([&](store::WriteTxn& t) { store::revokeVoucher(t, revoked, kNow); });
  EXPECT_EQ(auth(revoked).reason, "Voucher revoked");

  // One session at a time: a live session blocks the next login, a stale one does not.
  const std::string busy = voucher(3600, 0, 0);
  pb::Session s;
  s.set_username(busy);
  s.set_nas_ip("192.0.2.1");
  s.set_acct_session_id("s1");
  s.set_state(pb::SESSION_ACTIVE);
  s.set_updated_at(kNow - 30);
  s.set_interim_interval_s(60);
  inWrite(
      [&](store::WriteTxn& t) { store::putSession(t, store::sessionKey("192.0.2.1", "s1"), s); });
  EXPECT_EQ(auth(busy).reason, "Already online (1 of 1 sessions)");
  EXPECT_EQ(auth(busy, kNow + 1000).verdict, Verdict::Accept);

  // The plan's monthly cap holds for vouchers too.
  inWrite([](store::WriteTxn& t) {
    auto p = store::getPlan(t, "hs");
    p->set_data_cap_bytes(100);
    store::putPlan(t, *p, store::WriteMode::Replace);
  });
  const std::string capped = voucher(3600, 0, 0);
  auto d = auth(capped);
  ASSERT_EQ(d.verdict, Verdict::Accept);
  EXPECT_EQ(attr(d.reply, "Mikrotik-Total-Limit"), "100");
  inWrite([&](store::WriteTxn& t) { store::addUsage(t, capped, kNow, 50, 50, 1); });
  EXPECT_EQ(auth(capped).reason, "Data cap reached");
}

TEST_F(VoucherPolicy, RandomPasswordAndPoolLease) {
  inWrite([](store::WriteTxn& t) {
    pb::Pool pool;
    pool.set_name("hs-router-pool"); // now a pool ispbox manages
    auto* r = pool.add_ranges();
    r->set_first("10.9.0.1");
    r->set_last("10.9.0.2");
    store::putPool(t, pool);
  });
  const std::string code = voucher(3600, 0, 0, /*random_password=*/true);
  auto d = auth(code);
  ASSERT_EQ(d.verdict, Verdict::Accept) << d.reason;
  EXPECT_NE(d.password, code);
  EXPECT_EQ(d.password.size(), 8u);
  EXPECT_EQ(attr(d.reply, "Framed-IP-Address"), "10.9.0.1");
  EXPECT_EQ(attr(d.reply, "Framed-Pool"), "<absent>");
  EXPECT_EQ(d.lease_pool, "hs-router-pool");
}

TEST_F(VoucherPolicy, ActivationOnAcceptHappensOnceWithAnAuditEntry) {
  const std::string code = voucher(3600, 0, 0);
  EXPECT_TRUE(activateVoucherOnAccept(*env_, code, "192.0.2.1", kNow));
  EXPECT_FALSE(activateVoucherOnAccept(*env_, code, "192.0.2.1", kNow + 5));
  EXPECT_FALSE(activateVoucherOnAccept(*env_, "VNOSUCHCODE", "192.0.2.1", kNow));
  auto txn = env_->read();
  auto v = store::getVoucher(txn, code);
  EXPECT_EQ(v->first_used_at(), kNow);
  EXPECT_EQ(v->expires_at(), kNow + 3600);
  auto entries = store::listAudit(txn, 0, 10, [&](const pb::AuditEntry& e) {
    return e.entity() == "voucher" && e.key() == code;
  });
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].entry.action(), "activate");
  EXPECT_EQ(entries[0].entry.actor(), "rlm_isp");
  EXPECT_EQ(entries[0].entry.detail(), "{\"nas_ip\":\"192.0.2.1\"}");
}

} // namespace
} // namespace ispbox::aaa
