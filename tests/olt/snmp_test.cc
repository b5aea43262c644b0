// SPDX-License-Identifier: GPL-2.0-or-later
// The asynchronous SNMP transport against a real agent (snmpsimd): GET, GETBULK walks, SNMPv3
// authPriv with engine-ID discovery, the in-flight limit, timeouts with backoff, an agent killed
// mid-walk.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "drivers/snmp/snmp.h"
#include "tests/olt/snmpsim.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::snmp {
namespace {

using testutil::SnmpSim;
using testutil::TempDir;

// Runs the loop until done() or the deadline.
bool runUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(50));
  return done();
}

Oid oid(const char* s) {
  return *parseOid(s);
}

class SnmpAgent : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    sim_ = new SnmpSim(dir_->path() / "sim");
    ASSERT_TRUE(testutil::generateZte({"--out", (sim_->dataDir() / "public.snmprec").string(),
                                       "--cards", "2", "--pons", "16", "--onus", "64"}));
    ASSERT_TRUE(
        sim_->start("public", {"--v3-user=olt", "--v3-auth-key=authpass123", "--v3-auth-proto=SHA",
                               "--v3-priv-key=privpass123", "--v3-priv-proto=AES"}));
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete dir_;
  }

  SessionOptions opts() {
    SessionOptions o;
    o.address = "127.0.0.1";
    o.port = static_cast<uint16_t>(sim_->port());
    o.timeout = std::chrono::milliseconds(1000);
    o.retries = 1;
    return o;
  }

  asio::io_context io_;
  Engine engine_{io_};
  static TempDir* dir_;
  static SnmpSim* sim_;
};
TempDir* SnmpAgent::dir_ = nullptr;
SnmpSim* SnmpAgent::sim_ = nullptr;

TEST(Oid, ParseAndFormat) {
  EXPECT_EQ(oidText(*parseOid(".1.3.6.1.2.1.1.1.0")), "1.3.6.1.2.1.1.1.0");
  EXPECT_FALSE(parseOid(""));
  EXPECT_FALSE(parseOid("1..3"));
  EXPECT_FALSE(parseOid("1.3."));
  EXPECT_FALSE(parseOid("1.x"));
  EXPECT_TRUE(startsWith(oid("1.3.6.1.2"), oid("1.3.6")));
  EXPECT_FALSE(startsWith(oid("1.3"), oid("1.3.6")));
}

TEST_F(SnmpAgent, GetV2c) {
  auto s = Session::create(engine_, opts());
  std::optional<Result<std::vector<VarBind>>> got;
  s->get({oid("1.3.6.1.2.1.1.1.0"), oid("1.3.6.1.2.1.1.2.0"), oid("1.3.6.1.2.1.1.99.0")},
         [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->error->message;
  ASSERT_EQ(got->value.size(), 3u);
  EXPECT_NE(got->value[0].value.s.find("C320"), std::string::npos);
  EXPECT_EQ(oidText(got->value[1].value.o), "1.3.6.1.4.1.3902.1082.1001.320.2.1");
  EXPECT_TRUE(got->value[2].value.exception());
  s->close();
}

TEST_F(SnmpAgent, WalkColumnsSideBySide) {
  auto o = opts();
  o.max_repetitions = 25;
  o.max_varbinds = 60;
  auto s = Session::create(engine_, o);
  std::optional<Result<std::vector<Column>>> got;
  s->walk({oid("1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.2"),
           oid("1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.18")},
          [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->error->message;
  ASSERT_EQ(got->value.size(), 2u);
  EXPECT_EQ(got->value[0].rows.size(), 2048u);
  EXPECT_EQ(got->value[1].rows.size(), 2048u);
  // 2 columns x 25 rows per request (60 varbinds allowed): 2048/25 -> 82 requests, the last one
  // running past the end.
  EXPECT_EQ(got->requests, s->counters().pdus_sent);
  EXPECT_LE(s->counters().pdus_sent, 83u);
  EXPECT_GE(s->counters().pdus_sent, 82u);
  const auto& first = got->value[0].rows.front();
  EXPECT_EQ(oidText(first.first), "285278465.1"); // form B of 1/1/1, ONU 1
  EXPECT_EQ(first.second.s, "onu-1-1-1");
  s->close();
}

TEST_F(SnmpAgent, WalkOnePonPrefix) {
  auto s = Session::create(engine_, opts());
  std::optional<Result<std::vector<Column>>> got;
  s->walk({oid("1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.2")}, [&](auto r) { got = std::move(r); },
          {0x11010203}); // 1/2/3
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok());
  ASSERT_EQ(got->value[0].rows.size(), 64u);
  EXPECT_EQ(got->value[0].rows.back().second.s, "onu-2-3-65"); // id 3 is left free
}

TEST_F(SnmpAgent, InflightLimitIsKept) {
  auto o = opts();
  o.max_inflight = 3;
  auto s = Session::create(engine_, o);
  int done = 0, ok = 0;
  for (int i = 0; i < 20; ++i)
    s->get({oid("1.3.6.1.2.1.1.3.0")}, [&](auto r) {
      ++done;
      ok += r.ok();
    });
  ASSERT_TRUE(runUntil(io_, [&] { return done == 20; }));
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(s->counters().pdus_sent, 20u);
  EXPECT_LE(s->counters().peak_inflight, 3u);
  EXPECT_GE(s->counters().peak_inflight, 2u);
}

TEST_F(SnmpAgent, V3AuthPrivDiscoversTheEngineWithoutBlocking) {
  auto o = opts();
  o.credentials.version = 3;
  o.credentials.user = "olt";
  o.credentials.auth_protocol = "SHA";
  o.credentials.auth_password = "authpass123";
  o.credentials.priv_protocol = "AES";
  o.credentials.priv_password = "privpass123";
  o.credentials.context = "public"; // snmpsimd selects the data file by context name in v3
  auto s = Session::create(engine_, o);
  // A timer proves the loop keeps running while discovery is under way.
  int ticks = 0;
  asio::steady_timer t(io_);
  std::function<void()> tick = [&] {
    t.expires_after(std::chrono::milliseconds(5));
    t.async_wait([&](auto ec) {
      if (ec) return;
      ++ticks;
      tick();
    });
  };
  tick();
  std::optional<Result<std::vector<VarBind>>> got;
  s->get({oid("1.3.6.1.2.1.1.5.0")}, [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  t.cancel();
  ASSERT_TRUE(got->ok()) << got->error->message;
  EXPECT_EQ(got->value.at(0).value.s, "demo-c320");
  EXPECT_GT(ticks, 0);
  // A wrong key is a clean security error, not a hang.
  o.credentials.auth_password = "wrongpass123";
  o.timeout = std::chrono::milliseconds(300);
  auto bad = Session::create(engine_, o);
  std::optional<Result<std::vector<VarBind>>> denied;
  bad->get({oid("1.3.6.1.2.1.1.5.0")}, [&](auto r) { denied = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return denied.has_value(); }));
  EXPECT_FALSE(denied->ok());
}

TEST_F(SnmpAgent, TimeoutWithBackoffThenError) {
  auto o = opts();
  o.port = static_cast<uint16_t>(testutil::freeUdpPort()); // nobody there
  o.timeout = std::chrono::milliseconds(100);
  o.retries = 2;
  auto s = Session::create(engine_, o);
  std::optional<Result<std::vector<VarBind>>> got;
  const auto t0 = std::chrono::steady_clock::now();
  s->get({oid("1.3.6.1.2.1.1.3.0")}, [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error->code, Error::Code::Timeout);
  EXPECT_EQ(s->counters().pdus_sent, 3u); // first try + 2 resends
  EXPECT_GE(ms, 100 + 200 + 400 - 50);    // each resend waits twice as long
}

TEST_F(SnmpAgent, ClosedSessionFailsPending) {
  auto o = opts();
  o.port = static_cast<uint16_t>(testutil::freeUdpPort());
  o.timeout = std::chrono::milliseconds(5000);
  auto s = Session::create(engine_, o);
  std::optional<Result<std::vector<VarBind>>> got;
  s->get({oid("1.3.6.1.2.1.1.3.0")}, [&](auto r) { got = std::move(r); });
  io_.run_for(std::chrono::milliseconds(50));
  s->close();
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  EXPECT_EQ(got->error->code, Error::Code::Closed);
}

} // namespace
} // namespace ispbox::snmp
