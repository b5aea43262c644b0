// SPDX-License-Identifier: GPL-2.0-or-later
// rlm_isp.so loaded by the real FreeRADIUS (a private instance on free loopback ports): PAP, CHAP,
// MS-CHAP v1 and v2 against subscribers in the store, and the NAS itself (secret, require
// Message-Authenticator) coming from the store through dynamic clients, not clients.conf.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "store/entities.h"
#include "store/env.h"
#include "tests/testutil/freeradius.h"
#include "tests/testutil/temp_dir.h"

#ifndef ISPBOX_RLM_ISP_DIR
#error "ISPBOX_RLM_ISP_DIR (the directory of rlm_isp.so) must be defined by CMake"
#endif

namespace ispbox {
namespace {

using testutil::FreeRadius;
using testutil::RadiusReply;
using testutil::TempDir;

constexpr const char* kSecret = "nas-secret-1";

// A state with plan "home", subscriber alice / s3cret and the NAS 127.0.0.1.
void seed(const std::filesystem::path& dir, bool require_message_authenticator) {
  store::EnvOptions opts;
  opts.dir = dir;
  auto env = store::Env::open(opts);
  auto txn = env->write();
  store::pb::Plan plan;
  plan.set_name("home");
  plan.set_download_bps(20000000);
  plan.set_upload_bps(10000000);
  store::putPlan(txn, plan, store::WriteMode::Create);
  store::pb::Subscriber alice;
  alice.set_username("alice");
  alice.set_password("s3cret");
  alice.set_plan("home");
  alice.set_status(store::pb::ACTIVE);
  store::putSubscriber(txn, alice, store::WriteMode::Create);
  store::pb::Nas nas;
  nas.set_name("loopback-nas");
  nas.set_ip("127.0.0.1");
  nas.set_secret(kSecret);
  nas.set_vendor("mikrotik");
  nas.set_require_message_authenticator(require_message_authenticator);
  store::putNas(txn, nas, store::WriteMode::Create);
  txn.commit();
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class RlmIspFreeRadius : public ::testing::Test {
protected:
  void start(bool require_message_authenticator = false) {
    seed(state_dir_, require_message_authenticator);
    server_ = std::make_unique<FreeRadius>(state_dir_, ISPBOX_RLM_ISP_DIR);
  }
  // Everything that explains a failure: the client's output and the server's log.
  std::string explain(const RadiusReply& r) const {
    return "client:\n" + r.output + "\nserver log:\n" + server_->log();
  }

  TempDir dir_;
  std::filesystem::path state_dir_ = dir_.path() / "state";
  std::unique_ptr<FreeRadius> server_;
};

TEST_F(RlmIspFreeRadius, PapAcceptsTheStoredPasswordAndRejectsOthers) {
  start();
  auto r = server_->radtest("pap", "alice", "s3cret", kSecret);
  EXPECT_TRUE(r.accepted()) << explain(r);
  r = server_->radtest("pap", "alice", "wrong", kSecret);
  EXPECT_TRUE(r.rejected()) << explain(r);
  r = server_->radtest("pap", "nobody", "s3cret", kSecret);
  EXPECT_TRUE(r.rejected()) << explain(r);
  EXPECT_TRUE(server_->running());
}

TEST_F(RlmIspFreeRadius, ChapAndMsChapAccept) {
  start();
  auto r = server_->radtest("chap", "alice", "s3cret", kSecret);
  EXPECT_TRUE(r.accepted()) << explain(r);
  r = server_->radtest("chap", "alice", "wrong", kSecret);
  EXPECT_TRUE(r.rejected()) << explain(r);
  // radtest -t mschap is MS-CHAPv1.
  r = server_->radtest("mschap", "alice", "s3cret", kSecret);
  EXPECT_TRUE(r.accepted()) << explain(r);
  // MS-CHAPv2, as MikroTik PPPoE sends it: the Access-Accept carries the authenticator response.
  r = server_->radclient("auth", testutil::msChapV2Request("alice", "s3cret"), kSecret);
  EXPECT_TRUE(r.accepted()) << explain(r);
  EXPECT_NE(r.attr("MS-CHAP2-Success"), "") << explain(r);
  r = server_->radclient("auth", testutil::msChapV2Request("alice", "wrong"), kSecret);
  EXPECT_TRUE(r.rejected()) << explain(r);
}

TEST_F(RlmIspFreeRadius, TheNasAndItsSecretComeFromTheStore) {
  start();
  // No static client could answer for 127.0.0.1: only the dynamic-client networks are defined.
  const std::string clients = readFile(server_->configDir() / "clients.conf");
  EXPECT_EQ(clients.find("127.0.0.1"), std::string::npos) << clients;
  EXPECT_FALSE(std::regex_search(clients, std::regex(R"((^|\n)\s*secret\s*=)"))) << clients;
  EXPECT_EQ(clients.find("testing123"), std::string::npos) << clients;

  // The stock secret gets nothing valid back (radclient drops the badly signed reply).
  auto r = server_->radclient("auth", {"User-Name = \"alice\"", "User-Password = \"s3cret\""},
                              "testing123");
  EXPECT_FALSE(r.accepted()) << explain(r);
  r = server_->radtest("pap", "alice", "s3cret", kSecret);
  EXPECT_TRUE(r.accepted()) << explain(r);
  EXPECT_NE(server_->log().find("Adding client 127.0.0.1/32"), std::string::npos) << server_->log();

  // Accounting goes through the same client.
  r = server_->radclient("acct",
                         {"User-Name = \"alice\"", "Acct-Status-Type = Start",
                          "Acct-Session-Id = \"81000001\"", "NAS-IP-Address = 127.0.0.1",
                          "Framed-IP-Address = 10.0.0.2"},
                         kSecret);
  EXPECT_EQ(r.code, "Accounting-Response") << explain(r);
}

TEST_F(RlmIspFreeRadius, ANasThatRequiresMessageAuthenticatorGetsItEnforced) {
  start(/*require_message_authenticator=*/true);
  const std::vector<std::string> request = {"User-Name = \"alice\"", "User-Password = \"s3cret\""};
  auto r = server_->radclient("auth", request, kSecret);
  EXPECT_EQ(r.code, "") << "a request without Message-Authenticator must be dropped\n"
                        << explain(r);
  auto with_ma = request;
  with_ma.push_back("Message-Authenticator = 0x00");
  r = server_->radclient("auth", with_ma, kSecret);
  EXPECT_TRUE(r.accepted()) << explain(r);
}

} // namespace
} // namespace ispbox
