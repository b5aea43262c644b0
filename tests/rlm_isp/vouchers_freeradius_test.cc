// SPDX-License-Identifier: GPL-2.0-or-later
// Vouchers end to end through a real peer: a private FreeRADIUS 3.2 with our rlm_isp.so on free
// loopback ports, radtest and radclient as the hotspot / PPPoE router, and the store read and
// written directly by the test. The first accepted login activates a voucher (once, even when
// two race), the Access-Accept carries its limits, and accounting sent with radclient uses them
// up until the voucher is refused with its Reply-Message.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/time_util.h"
#include "store/entities.h"
#include "store/env.h"
#include "store/logs.h"
#include "store/sessions.h"
#include "store/vouchers.h"
#include "tests/testutil/freeradius.h"
#include "tests/testutil/temp_dir.h"

#ifndef ISPBOX_RLM_ISP_DIR
#error "ISPBOX_RLM_ISP_DIR (the directory of rlm_isp.so) must be defined by CMake"
#endif

namespace ispbox {
namespace {

namespace pb = store::pb;
using namespace std::chrono_literals;
using testutil::FreeRadius;
using testutil::RadiusReply;
using testutil::TempDir;

constexpr const char* kSecret = "voucher-nas-secret";
constexpr const char* kNasIp = "127.0.0.1";
constexpr uint64_t k4GiB = uint64_t{1} << 32;

int64_t now() {
  return timeutil::nowSeconds();
}

class VoucherFreeRadius : public ::testing::Test {
public:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    try {
      store::EnvOptions opts;
      opts.dir = dir_->path() / "state";
      env_ = store::Env::open(opts);
      auto txn = env_->write();
      pb::Nas nas;
      nas.set_name("hotspot-router");
      nas.set_ip(kNasIp);
      nas.set_secret(kSecret);
      nas.set_vendor("mikrotik");
      store::putNas(txn, nas, store::WriteMode::Create);
      pb::Plan plan;
      plan.set_name("hs");
      plan.set_download_bps(4000000);
      plan.set_upload_bps(1000000);
      plan.set_address_list("hotspot-paid");
      plan.set_acct_interim_interval_s(60);
      store::putPlan(txn, plan, store::WriteMode::Create);
      txn.commit();
      server_ = std::make_unique<FreeRadius>(dir_->path() / "state", ISPBOX_RLM_ISP_DIR,
                                             std::vector<std::string>{"ISPBOX_FR_REJECT_DELAY=0"});
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }

  static void TearDownTestSuite() {
    server_.reset();
    env_.reset();
    dir_.reset();
  }

protected:
  void SetUp() override { ASSERT_TRUE(server_) << "FreeRADIUS did not start: " << start_error_; }

  // One voucher of plan "hs"; returns it (with its password, if random).
  static pb::Voucher voucher(uint64_t validity_s, uint64_t time_s, uint64_t data_bytes,
                             bool random_password = false) {
    store::VoucherBatchSpec s;
    s.count = 1;
    s.plan = "hs";
    s.prefix = "HS";
    s.length = 8;
    s.validity_s = validity_s;
    s.time_limit_s = time_s;
    s.data_limit_bytes = data_bytes;
    if (random_password) s.password_mode = pb::VOUCHER_PASSWORD_RANDOM;
    auto txn = env_->write();
    auto b = store::createVoucherBatch(txn, s, now());
    txn.commit();
    return b.vouchers.at(0);
  }

  static pb::Voucher stored(const std::string& code) {
    auto txn = env_->read();
    return store::getVoucher(txn, code).value_or(pb::Voucher{});
  }

  static size_t activations(const std::string& code) {
    auto txn = env_->read();
    return store::listAudit(txn, 0, 100,
                            [&](const pb::AuditEntry& e) {
                              return e.entity() == "voucher" && e.key() == code &&
                                     e.action() == "activate";
                            })
        .size();
  }

  // PAP with radtest, as a hotspot login page sends it.
  static RadiusReply pap(const std::string& user, const std::string& password) {
    return server_->radtest("pap", user, password, kSecret);
  }

  static RadiusReply acct(const std::string& status, const std::string& user,
                          const std::string& sid, std::vector<std::string> extra = {}) {
    std::vector<std::string> attrs = {
        "Acct-Status-Type = " + status, "User-Name = \"" + user + "\"",
        "Acct-Session-Id = \"" + sid + "\"", std::string("NAS-IP-Address = ") + kNasIp};
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return server_->radclient("acct", attrs, kSecret);
  }

  static std::string explain(const RadiusReply& r) {
    return "client:\n" + r.output + "\nserver log:\n" + server_->log();
  }

  static std::string hexOf(const std::string& s) { return testutil::radiusHex(s); }

  static std::unique_ptr<TempDir> dir_;
  static std::unique_ptr<store::Env> env_;
  static std::unique_ptr<FreeRadius> server_;
  static std::string start_error_;
};

std::unique_ptr<TempDir> VoucherFreeRadius::dir_;
std::unique_ptr<store::Env> VoucherFreeRadius::env_;
std::unique_ptr<FreeRadius> VoucherFreeRadius::server_;
std::string VoucherFreeRadius::start_error_;

TEST_F(VoucherFreeRadius, FirstLoginActivatesAndTheAcceptCarriesTheLimits) {
  const pb::Voucher v = voucher(86400, 3600, 5 * k4GiB + 7);
  EXPECT_EQ(stored(v.code()).first_used_at(), 0);

  const int64_t before = now();
  auto r = pap(v.code(), v.code()); // same_as_code
  const int64_t after = now();
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Mikrotik-Rate-Limit"), "1M/4M");
  EXPECT_EQ(r.attr("Mikrotik-Address-List"), "hotspot-paid");
  EXPECT_EQ(r.attr("Session-Timeout"), "3600"); // the time limit is tighter than the validity
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit"), "7");
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit-Gigawords"), "5");
  EXPECT_EQ(r.attr("Acct-Interim-Interval"), "60");
  EXPECT_EQ(r.attr("Class"), hexOf("ispbox:voucher:hs"));

  // Activated before the Accept left: the stamp is already in the store.
  const pb::Voucher active = stored(v.code());
  EXPECT_EQ(active.state(), pb::VOUCHER_ACTIVE);
  EXPECT_GE(active.first_used_at(), before);
  EXPECT_LE(active.first_used_at(), after);
  EXPECT_EQ(active.expires_at(), active.first_used_at() + 86400);
  EXPECT_EQ(activations(v.code()), 1u);

  // One session at a time: while it is online, the code is refused.
  ASSERT_EQ(acct("Start", v.code(), "v1-s1").code, "Accounting-Response");
  {
    // The stale rule uses the plan's interim interval, as the Accept told the router.
    auto txn = env_->read();
    auto s = store::getSession(txn, store::sessionKey(kNasIp, "v1-s1"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->interim_interval_s(), 60u);
  }
  r = server_->radtest("chap", v.code(), v.code(), kSecret);
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Already online (1 of 1 sessions)");
  ASSERT_EQ(
      acct("Stop", v.code(), "v1-s1",
           {"Acct-Session-Time = 600", "Acct-Input-Octets = 1000", "Acct-Output-Octets = 2000"})
          .code,
      "Accounting-Response");

  // The next login (CHAP, as PPPoE may use) gets what is left; it does not activate again.
  r = server_->radtest("chap", v.code(), v.code(), kSecret);
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Session-Timeout"), "3000");
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit"), "4294964303"); // 5 GiB + 7 - 3000 = 4 GiB + this
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit-Gigawords"), "4");
  EXPECT_EQ(stored(v.code()).first_used_at(), active.first_used_at());
  EXPECT_EQ(activations(v.code()), 1u);

  r = pap("HSNOSUCHCODE", "HSNOSUCHCODE");
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Unknown user");
}

TEST_F(VoucherFreeRadius, RandomPasswordWithPapChapAndMsChapV2) {
  const pb::Voucher v = voucher(3600, 0, 0, /*random_password=*/true);
  ASSERT_EQ(v.password().size(), 8u);
  // A wrong password is refused by pap after authorize: it must not start the voucher's clock.
  auto r = pap(v.code(), v.code());
  EXPECT_TRUE(r.rejected()) << explain(r);
  r = server_->radclient("auth", testutil::msChapV2Request(v.code(), "WRONGPW2"), kSecret);
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(stored(v.code()).first_used_at(), 0);
  EXPECT_EQ(activations(v.code()), 0u);

  // MS-CHAPv2, as a MikroTik PPPoE server sends it.
  r = server_->radclient("auth", testutil::msChapV2Request(v.code(), v.password()), kSecret);
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Session-Timeout"), "3600");
  EXPECT_NE(stored(v.code()).first_used_at(), 0);
  EXPECT_EQ(activations(v.code()), 1u);
  r = server_->radtest("chap", v.code(), v.password(), kSecret);
  EXPECT_TRUE(r.accepted()) << explain(r);
  r = pap(v.code(), v.password());
  EXPECT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(activations(v.code()), 1u);
}

TEST_F(VoucherFreeRadius, TwoFirstLoginsAtOnceActivateOnce) {
  const pb::Voucher v = voucher(3600, 0, 0);
  const std::vector<std::string> login = {"User-Name = \"" + v.code() + "\"",
                                          "User-Password = \"" + v.code() + "\""};
  auto replies = server_->radclientConcurrently("auth", {login, login, login}, kSecret);
  size_t accepted = 0;
  for (const auto& r : replies)
    accepted += r.accepted() ? 1 : 0;
  EXPECT_GE(accepted, 1u) << explain(replies[0]);
  EXPECT_EQ(activations(v.code()), 1u) << server_->log();
  EXPECT_NE(stored(v.code()).first_used_at(), 0);
}

TEST_F(VoucherFreeRadius, ExpiredVoucherIsRefused) {
  const pb::Voucher v = voucher(1, 0, 0); // valid for one second after its first login
  auto r = pap(v.code(), v.code());
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Session-Timeout"), "1");
  const int64_t expires_at = stored(v.code()).expires_at();
  ASSERT_NE(expires_at, 0);
  while (now() < expires_at)
    std::this_thread::sleep_for(50ms);
  r = pap(v.code(), v.code());
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Voucher expired");
}

TEST_F(VoucherFreeRadius, AccountingUsesUpTimeAndData) {
  // Online time: 120 s over all sessions, reported by Interim-Update and Stop.
  const pb::Voucher timed = voucher(0, 120, 0);
  ASSERT_TRUE(pap(timed.code(), timed.code()).accepted());
  ASSERT_EQ(acct("Start", timed.code(), "t-1").code, "Accounting-Response");
  ASSERT_EQ(acct("Interim-Update", timed.code(), "t-1", {"Acct-Session-Time = 60"}).code,
            "Accounting-Response");
  ASSERT_EQ(acct("Stop", timed.code(), "t-1", {"Acct-Session-Time = 90"}).code,
            "Accounting-Response");
  auto r = pap(timed.code(), timed.code());
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Session-Timeout"), "30");
  ASSERT_EQ(acct("Start", timed.code(), "t-2").code, "Accounting-Response");
  ASSERT_EQ(acct("Stop", timed.code(), "t-2", {"Acct-Session-Time = 30"}).code,
            "Accounting-Response");
  r = pap(timed.code(), timed.code());
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Voucher time used up");

  // Data: 1 MB up and down together.
  const pb::Voucher data = voucher(0, 0, 1000000);
  ASSERT_TRUE(pap(data.code(), data.code()).accepted());
  ASSERT_EQ(acct("Start", data.code(), "d-1").code, "Accounting-Response");
  ASSERT_EQ(acct("Interim-Update", data.code(), "d-1",
                 {"Acct-Input-Octets = 100000", "Acct-Output-Octets = 300000"})
                .code,
            "Accounting-Response");
  ASSERT_EQ(acct("Stop", data.code(), "d-1",
                 {"Acct-Input-Octets = 150000", "Acct-Output-Octets = 450000"})
                .code,
            "Accounting-Response");
  r = pap(data.code(), data.code());
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit"), "400000");
  EXPECT_EQ(r.attr("Session-Timeout"), "");
  ASSERT_EQ(acct("Start", data.code(), "d-2").code, "Accounting-Response");
  ASSERT_EQ(acct("Stop", data.code(), "d-2",
                 {"Acct-Input-Octets = 100000", "Acct-Output-Octets = 300000"})
                .code,
            "Accounting-Response");
  r = pap(data.code(), data.code());
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Voucher data used up");

  // Revoked by an operator.
  const pb::Voucher lost = voucher(3600, 0, 0);
  {
    auto txn = env_->write();
    store::revokeVoucher(txn, lost.code(), now());
    txn.commit();
  }
  r = pap(lost.code(), lost.code());
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Voucher revoked");
}

} // namespace
} // namespace ispbox
