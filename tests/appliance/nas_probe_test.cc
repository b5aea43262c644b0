// SPDX-License-Identifier: GPL-2.0-or-later
// ispboxd's NAS probe: the rules on their own, then real probes (TCP listeners on loopback as
// RouterOS API ports: one that answers, one that never does, a closed one; ICMP to loopback and
// to TEST-NET-3 when this process may send it) with the result read back from the store and the
// admin API.
#include <chrono>
#include <thread>

#include "appliance/nas/probe.h"
#include "store/sessions.h"
#include "tests/appliance/api_fixture.h"
#include "tests/testutil/process.h"

namespace ispbox::testutil {
namespace {

using namespace std::chrono_literals;
namespace pb = store::pb;
using appliance::NasProbeOptions;
using appliance::NasProbeResult;
using appliance::nextNasStatus;

TEST(NasProbeRules, EvidenceFailuresAndUnknown) {
  NasProbeOptions o;
  o.failures = 3;
  o.accounting_window_s = 120;
  const int64_t now = 1767225600;
  NasProbeResult ok;
  ok.icmp_tried = ok.icmp_ok = true;
  ok.rtt_ms = 4;
  auto s = nextNasStatus(std::nullopt, "pop1", ok, now, o);
  EXPECT_EQ(s.state(), pb::NAS_REACHABLE);
  EXPECT_EQ(s.evidence(), "icmp");
  EXPECT_EQ(s.changed_at(), now);

  // Lost echoes: still reachable for failures - 1 rounds, then unreachable.
  NasProbeResult lost;
  lost.icmp_tried = lost.tcp_tried = true;
  lost.error = "no ICMP echo reply";
  for (int round = 1; round <= 2; ++round) {
    s = nextNasStatus(s, "pop1", lost, now + round * 30, o);
    EXPECT_EQ(s.state(), pb::NAS_REACHABLE) << round;
    EXPECT_EQ(s.failures(), static_cast<uint32_t>(round));
  }
  s = nextNasStatus(s, "pop1", lost, now + 90, o);
  EXPECT_EQ(s.state(), pb::NAS_UNREACHABLE);
  EXPECT_EQ(s.changed_at(), now + 90);
  EXPECT_EQ(s.last_error(), "no ICMP echo reply");
  EXPECT_EQ(s.last_alive_at(), now);

  // Accounting is evidence while fresh, even when the probes fail (ICMP filtered on the NAS).
  NasProbeResult acct = lost;
  acct.last_accounting_at = now + 100;
  s = nextNasStatus(s, "pop1", acct, now + 120, o);
  EXPECT_EQ(s.state(), pb::NAS_REACHABLE);
  EXPECT_EQ(s.evidence(), "accounting");
  EXPECT_EQ(s.last_alive_at(), now + 100);
  EXPECT_EQ(s.failures(), 0u);
  acct.last_accounting_at = now - 1000; // stale
  s = nextNasStatus(s, "pop1", acct, now + 150, o);
  EXPECT_EQ(s.failures(), 1u);
  EXPECT_EQ(s.last_accounting_at(), now + 100) << "the newest accounting seen is kept";

  // Nothing could be asked and nothing heard: unknown, not unreachable.
  NasProbeResult none;
  s = nextNasStatus(s, "pop1", none, now + 180, o);
  EXPECT_EQ(s.state(), pb::NAS_REACHABILITY_UNKNOWN);
  o.accounting_window_s = 0; // accounting switched off as evidence
  none.last_accounting_at = now + 200;
  EXPECT_EQ(nextNasStatus(s, "pop1", none, now + 210, o).state(), pb::NAS_REACHABILITY_UNKNOWN);
}

class NasProbeTest : public ApiFixture {
protected:
  void addNas(const std::string& name, const std::string& ip, int api_port,
              const std::string& api_host = "") {
    auto txn = env_->write();
    pb::Nas n;
    n.set_name(name);
    n.set_ip(ip);
    n.set_secret("s");
    if (api_port) {
      n.mutable_routeros()->set_username("api");
      n.mutable_routeros()->set_port(static_cast<uint32_t>(api_port));
      n.mutable_routeros()->set_host(api_host);
    }
    store::putNas(txn, n, store::WriteMode::Create);
    txn.commit();
  }

  // Runs a prober on its own loop until every named NAS has a settled status (or 15 s).
  void runRounds(const NasProbeOptions& o, const std::vector<std::string>& names,
                 std::string* icmp_mode = nullptr) {
    asio::io_context io;
    // The loop idles while the prober's store thread works: keep it from running out of work.
    auto guard = asio::make_work_guard(io);
    appliance::NasProber prober(io, *env_, o);
    if (icmp_mode) *icmp_mode = prober.icmpMode();
    prober.start();
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      io.run_for(100ms);
      auto txn = env_->read();
      bool all = true;
      for (const auto& n : names) {
        auto st = store::getNasStatus(txn, n);
        // Unknown with failures counting is a NAS still in its first failing rounds.
        all = all && st && (st->state() != pb::NAS_REACHABILITY_UNKNOWN || st->failures() == 0);
      }
      if (all) break;
    }
    prober.stop();
  }

  std::optional<pb::NasStatus> status(const std::string& name) {
    auto txn = env_->read();
    return store::getNasStatus(txn, name);
  }
};

TEST_F(NasProbeTest, ApiPortAccountingAndSilence) {
  // A RouterOS API port that answers, one that refuses (the router is up, its API is off), one
  // that never answers, a NAS known only by its accounting, and one with nothing to go on.
  TcpListener answering, silent(true);
  addNas("up", "127.0.0.1", answering.port());
  addNas("refusing", "127.0.0.2", freeTcpPort(), "127.0.0.2");
  addNas("down", "203.0.113.1", silent.port(), "127.0.0.1");
  addNas("acct", "203.0.113.3", 0);
  addNas("silent", "203.0.113.4", 0);
  {
    auto txn = env_->write();
    pb::Session s;
    s.set_username("alice");
    s.set_nas_ip("203.0.113.3");
    s.set_acct_session_id("81000001");
    s.set_updated_at(std::time(nullptr) - 10);
    s.set_state(pb::SESSION_ACTIVE);
    store::putSession(txn, store::sessionKey("203.0.113.3", "81000001"), s);
    txn.commit();
  }
  NasProbeOptions o;
  o.interval_s = 1;
  o.timeout_ms = 300;
  o.failures = 1;
  o.icmp = false; // what is asserted below must not depend on this machine's ICMP rights
  runRounds(o, {"up", "refusing", "down", "acct", "silent"});

  auto up = status("up");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->state(), pb::NAS_REACHABLE);
  EXPECT_EQ(up->evidence(), "api-port");
  EXPECT_EQ(status("refusing")->state(), pb::NAS_REACHABLE);
  auto down = status("down");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->state(), pb::NAS_UNREACHABLE);
  EXPECT_NE(down->last_error().find("127.0.0.1:" + std::to_string(silent.port())),
            std::string::npos)
      << down->last_error();
  auto acct = status("acct");
  ASSERT_TRUE(acct);
  EXPECT_EQ(acct->state(), pb::NAS_REACHABLE);
  EXPECT_EQ(acct->evidence(), "accounting");
  EXPECT_GT(acct->last_accounting_at(), 0);
  EXPECT_EQ(status("silent")->state(), pb::NAS_REACHABILITY_UNKNOWN);

  // The admin API shows it.
  auto r = call("GET", "/api/v1/nas/down");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["reachability"]["state"], "unreachable");
  EXPECT_EQ(r.body["reachability"]["failures_in_row"], 1);
  auto list = call("GET", "/api/v1/nas");
  ASSERT_EQ(list.status, 200);
  bool listed = false;
  for (const auto& n : list.body["items"]) {
    if (n["name"] != "up") continue;
    listed = true;
    EXPECT_EQ(n["reachability"]["evidence"], "api-port");
  }
  EXPECT_TRUE(listed);
}

TEST_F(NasProbeTest, IcmpEchoWhenThisProcessMaySendIt) {
  addNas("lo", "127.0.0.1", 0);
  addNas("void", "203.0.113.4", 0); // TEST-NET-3: routed nowhere, nobody answers
  NasProbeOptions o;
  o.interval_s = 1;
  o.timeout_ms = 300;
  o.failures = 2;
  std::string mode;
  runRounds(o, {"lo", "void"}, &mode);
  if (mode.empty()) GTEST_SKIP() << "no ICMP socket here (ping_group_range, no CAP_NET_RAW)";
  auto lo = status("lo");
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->state(), pb::NAS_REACHABLE) << lo->last_error();
  EXPECT_EQ(lo->evidence(), "icmp");
  auto v = status("void");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state(), pb::NAS_UNREACHABLE) << mode;
  EXPECT_EQ(v->failures(), 2u);
}

} // namespace
} // namespace ispbox::testutil
