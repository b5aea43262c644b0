// SPDX-License-Identifier: GPL-2.0-or-later
// The v7 REST transport against the simulator's REST mode over HTTPS: the same reads and changes
// as the binary API, Basic auth, certificate checks, and monitor-traffic polled.
#include <condition_variable>

#include "tests/routeros/client_fixture.h"

namespace ispbox::routeros {
namespace {

using sim::SimOptions;
using sim::Simulator;

class RestClientTest : public LoopFixture {
protected:
  void SetUp() override {
    LoopFixture::SetUp();
    cert_ = sim::writeSelfSignedCert(dir_.path().string());
    SimOptions o;
    o.rest = true;
    o.tls = true;
    o.cert_file = cert_.cert;
    o.key_file = cert_.key;
    sim_ = std::make_unique<Simulator>(o);
    sim_->populate(10, 2);
  }
  void TearDown() override {
    LoopFixture::TearDown();
    sim_.reset();
  }
  ClientOptions restOptions() {
    ClientOptions o = optionsFor(*sim_);
    o.tls = true;
    o.ca_file = cert_.cert;
    o.rest_poll_interval = std::chrono::milliseconds(20);
    return o;
  }
  sim::CertFiles cert_;
  std::unique_ptr<Simulator> sim_;
};

TEST_F(RestClientTest, PrintsWithProplistAndFilters) {
  auto c = rest(restOptions());
  Result r = run(*c, pppActivePrint());
  ASSERT_FALSE(r.error) << r.error.message;
  ASSERT_EQ(r.rows.size(), 10u);
  EXPECT_EQ(r.rows[0].count("radius"), 0u);
  EXPECT_EQ(r.rows[0].at("name"), "user0001");
  Result one = run(*c, pppActivePrint().query("name", "user0007"));
  ASSERT_EQ(one.rows.size(), 1u);
  EXPECT_EQ(one.rows[0].at("address"), "10.64.0.7");
  Result res = run(*c, resourcePrint());
  ASSERT_EQ(res.rows.size(), 1u);
  EXPECT_EQ(res.rows[0].at("cpu-load"), "7");
  EXPECT_EQ(c->transportName(), "rest");
}

TEST_F(RestClientTest, ChangesThroughPutPatchDelete) {
  auto c = rest(restOptions());
  auto [e, n] = removeSync(*c, {"user0004", "", SessionKind::Ppp});
  EXPECT_FALSE(e) << e.message;
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(sim_->rows("/ppp/active").size(), 9u);
  EXPECT_FALSE(doneSync([&](DoneHandler h) {
    setQueueMaxLimit(*c, "static-bob", "192.0.2.20/32", "1000000/2000000", h);
  }));
  EXPECT_FALSE(doneSync([&](DoneHandler h) {
    setQueueMaxLimit(*c, "static-bob", "192.0.2.20/32", "3000000/6000000", h);
  }));
  bool seen = false;
  for (const auto& q : sim_->rows("/queue/simple"))
    if (q.at("name") == "static-bob") {
      seen = true;
      EXPECT_EQ(q.at("max-limit"), "3000000/6000000");
    }
  EXPECT_TRUE(seen);
  EXPECT_FALSE(
      doneSync([&](DoneHandler h) { addressListAdd(*c, "isolir", "192.0.2.20", "bob", h); }));
  EXPECT_EQ(sim_->rows("/ip/firewall/address-list").size(), 1u);
  EXPECT_FALSE(doneSync([&](DoneHandler h) { addressListRemove(*c, "isolir", "192.0.2.20", h); }));
  EXPECT_TRUE(sim_->rows("/ip/firewall/address-list").empty());
  Result missing = run(*c, Command("/ppp/active/remove").arg(".id", "*FFFF"));
  EXPECT_EQ(missing.error.code, ErrorCode::Trap);
}

TEST_F(RestClientTest, AuthAndCertificateFailuresAreNamed) {
  auto wrong = restOptions();
  wrong.password = "nope";
  EXPECT_EQ(run(*rest(wrong), resourcePrint()).error.code, ErrorCode::Auth);
  auto untrusted = restOptions();
  untrusted.ca_file.clear();
  EXPECT_EQ(run(*rest(untrusted), resourcePrint()).error.code, ErrorCode::Tls);
  untrusted.insecure_skip_verify = true;
  EXPECT_FALSE(run(*rest(untrusted), resourcePrint()).error);
}

TEST_F(RestClientTest, MonitorTrafficIsPolled) {
  sim_->setRate("ether2", 1000, 2000);
  auto c = rest(restOptions());
  std::mutex m;
  std::condition_variable cv;
  int rows = 0;
  std::string rx;
  std::optional<Error> end;
  auto id = c->stream(
      Command("/interface/monitor-traffic").arg("interface", "ether2"),
      [&](const Row& r) {
        std::lock_guard l(m);
        ++rows;
        rx = r.at("rx-bits-per-second");
        cv.notify_all();
      },
      [&](const Error& e) {
        std::lock_guard l(m);
        end = e;
        cv.notify_all();
      });
  {
    std::unique_lock l(m);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return rows >= 3; }));
    EXPECT_EQ(rx, "1000");
  }
  c->cancel(id);
  std::unique_lock l(m);
  ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return end.has_value(); }));
  EXPECT_FALSE(*end);
}

TEST_F(RestClientTest, NonUtf8BodiesAreDecodedAsTheRoutersCharset) {
  sim_->add("/interface", {{"name", "wlan1"}, {"comment", "caf\xE9"}});
  auto c = rest(restOptions());
  Result r = run(*c, interfacePrint().query("name", "wlan1"));
  ASSERT_FALSE(r.error) << r.error.message;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].at("comment"), "caf\xC3\xA9");
}

} // namespace
} // namespace ispbox::routeros
