// SPDX-License-Identifier: GPL-2.0-or-later
// CoA and Disconnect end to end with real peers: ispboxd as a process, FreeRADIUS with rlm_isp
// authenticating and accounting real radclient packets, and a second FreeRADIUS standing in for the
// NAS (`listen { type = coa }`), which logs what it received attribute by attribute and ACKs, NAKs
// or stays silent by User-Name (tests/testutil/freeradius.h).
#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/entities.h"
#include "store/env.h"
#include "store/sessions.h"
#include "tests/routeros/sim/simulator.h"
#include "tests/testutil/freeradius.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::testutil {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
namespace pb = store::pb;

constexpr const char* kSecret = "coa-test-secret";

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  return s;
}

class Coa : public ::testing::Test {
public:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    try {
      nas_ = std::make_unique<NasStandIn>(ISPBOX_RLM_ISP_DIR, kSecret);
      store::EnvOptions opts;
      opts.dir = state();
      {
        auto env = store::Env::open(opts);
        auto txn = env->write();
        pb::Nas nas;
        nas.set_name("nas-1");
        nas.set_ip("127.0.0.1");
        nas.set_secret(kSecret);
        nas.set_coa_port(static_cast<uint32_t>(nas_->port()));
        nas.set_vendor("mikrotik");
        store::putNas(txn, nas, store::WriteMode::Create);
        txn.commit();
      }
      radius_ = std::make_unique<FreeRadius>(state(), ISPBOX_RLM_ISP_DIR,
                                             std::vector<std::string>{"ISPBOX_FR_REJECT_DELAY=0"});
      startDaemon();
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }

  static void TearDownTestSuite() {
    daemon_.reset();
    radius_.reset();
    nas_.reset();
    dir_.reset();
  }

protected:
  static std::filesystem::path state() { return dir_->path() / "state"; }

  // Short timeouts: a silent NAS is given up on after 2 x 300 ms.
  static void startDaemon() {
    const auto config = dir_->path() / "ispboxd.toml";
    std::ofstream(config) << "[state]\ndir = \"" << state().string()
                          << "\"\n[api]\nport = 0\n[log]\nlevel = \"info\"\n"
                             "[coa]\ntimeout_ms = 300\nmax_timeout_ms = 300\nattempts = 2\n"
                             "follow_interval_ms = 50\n";
    std::filesystem::remove(state() / "api.url");
    daemon_ =
        std::make_unique<Process>(std::vector<std::string>{ISPBOXD_PATH, "-c", config.string()},
                                  (dir_->path() / "ispboxd.log").string());
    for (int i = 0; i < 400 && !std::filesystem::exists(state() / "api.url"); ++i)
      std::this_thread::sleep_for(25ms);
    const std::string url = readFile(state() / "api.url");
    if (url.empty()) throw std::runtime_error("ispboxd did not start: " + daemonLog());
    port_ = std::stoi(url.substr(url.rfind(':') + 1));
    token_ = readFile(state() / "admin.token");
  }

  static std::string daemonLog() { return readFile(dir_->path() / "ispboxd.log"); }

  void SetUp() override { ASSERT_TRUE(daemon_) << "set-up failed: " << start_error_; }

  static httplib::Result call(const std::string& method, const std::string& path,
                              const Json& body = nullptr) {
    httplib::Client c("127.0.0.1", port_);
    c.set_bearer_token_auth(token_);
    c.set_read_timeout(20, 0);
    const std::string text = body.is_null() ? "" : body.dump();
    if (method == "GET") return c.Get(path);
    if (method == "PATCH") return c.Patch(path, text, "application/json");
    return c.Post(path, text, "application/json");
  }

  static Json ok(const httplib::Result& r, int status = 200) {
    EXPECT_TRUE(r) << "no HTTP answer";
    if (!r) return nullptr;
    EXPECT_EQ(r->status, status) << r->body;
    return Json::parse(r->body, nullptr, false);
  }

  // A plan with an address list for normal service and an isolation profile.
  static void plan(const std::string& name, Json extra = Json::object()) {
    Json body = {{"name", name},
                 {"download_bps", 20000000},
                 {"upload_bps", 10000000},
                 {"address_list", "customers"},
                 {"isolation",
                  {{"address_list", "isolir"}, {"download_bps", 1000000}, {"upload_bps", 512000}}}};
    body.update(extra);
    ok(call("POST", "/api/v1/plans", body), 201);
  }

  static void subscriber(const std::string& user, const std::string& plan_name,
                         Json extra = Json::object()) {
    Json body = {{"username", user}, {"password", "pw-" + user}, {"plan", plan_name}};
    body.update(extra);
    ok(call("POST", "/api/v1/subscribers", body), 201);
  }

  // Logs user in as a NAS would: Access-Request, then Accounting-Start echoing the Class.
  static void login(const std::string& user, const std::string& sid, const std::string& ip) {
    auto a = radius_->radclient(
        "auth", {"User-Name = \"" + user + "\"", "User-Password = \"pw-" + user + "\""}, kSecret);
    ASSERT_TRUE(a.accepted()) << a.output;
    const std::string cls = a.attr("Class");
    ASSERT_FALSE(cls.empty()) << a.output;
    auto s = acct("Start", user, sid, ip, cls);
    ASSERT_EQ(s.code, "Accounting-Response") << s.output;
  }

  static RadiusReply acct(const std::string& status, const std::string& user,
                          const std::string& sid, const std::string& ip, const std::string& cls,
                          std::vector<std::string> extra = {}) {
    std::vector<std::string> attrs = {
        "Acct-Status-Type = " + status,      "User-Name = \"" + user + "\"",
        "Acct-Session-Id = \"" + sid + "\"", "NAS-IP-Address = 127.0.0.1",
        "Framed-IP-Address = " + ip,         "Acct-Interim-Interval = 60"};
    if (!cls.empty()) attrs.push_back("Class = " + cls);
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return radius_->radclient("acct", attrs, kSecret);
  }

  // The requests the NAS received for user so far.
  static std::vector<NasStandIn::Received> receivedFor(const std::string& user) {
    std::vector<NasStandIn::Received> out;
    for (auto& r : nas_->received())
      if (r.attrs.count("User-Name") && r.attrs.at("User-Name") == user) out.push_back(r);
    return out;
  }

  static std::vector<NasStandIn::Received> waitFor(const std::string& user, size_t n,
                                                   std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto got = receivedFor(user);
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      got = receivedFor(user);
    }
    return got;
  }

  // The subscriber's CoA/Disconnect actions (newest first), once `n` have an outcome recorded.
  static Json actions(const std::string& user, size_t n) {
    Json found = Json::array();
    for (int i = 0; i < 250; ++i) {
      Json page = ok(call("GET", "/api/v1/subscribers/" + user + "/actions"));
      found = Json::array();
      for (const auto& item : page["items"])
        if (item["action"] == "coa" || item["action"] == "disconnect") found.push_back(item);
      if (found.size() >= n) break;
      std::this_thread::sleep_for(20ms);
    }
    return found;
  }

  static std::unique_ptr<TempDir> dir_;
  static std::unique_ptr<NasStandIn> nas_;
  static std::unique_ptr<FreeRadius> radius_;
  static std::unique_ptr<Process> daemon_;
  static int port_;
  static std::string token_;
  static std::string start_error_;
};

std::unique_ptr<TempDir> Coa::dir_;
std::unique_ptr<NasStandIn> Coa::nas_;
std::unique_ptr<FreeRadius> Coa::radius_;
std::unique_ptr<Process> Coa::daemon_;
int Coa::port_ = 0;
std::string Coa::token_;
std::string Coa::start_error_;

TEST_F(Coa, SuspendIsolatesTheLiveSessionAndUnsuspendRestoresIt) {
  plan("coa-a");
  subscriber("alice", "coa-a");
  ASSERT_NO_FATAL_FAILURE(login("alice", "81500001", "10.9.0.5"));
  ASSERT_TRUE(receivedFor("alice").empty()) << "nothing to change yet, nothing may be sent";

  const auto t0 = std::chrono::steady_clock::now();
  Json r = ok(call("POST", "/api/v1/subscribers/alice/suspend", {{"reason", "unpaid"}}));
  EXPECT_EQ(r["changed"], true);
  EXPECT_EQ(r["live_sessions"], 1);
  auto got = waitFor("alice", 1);
  ASSERT_EQ(got.size(), 1u) << daemonLog();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "the change must reach the NAS in 1 s";
  const auto& coa = got[0];
  EXPECT_EQ(coa.type, "CoA-Request");
  EXPECT_EQ(coa.attrs.at("Acct-Session-Id"), "81500001");
  EXPECT_EQ(coa.attrs.at("Framed-IP-Address"), "10.9.0.5");
  EXPECT_EQ(coa.attrs.at("NAS-IP-Address"), "127.0.0.1");
  EXPECT_TRUE(coa.attrs.count("Message-Authenticator")) << "BlastRADIUS: always signed";
  EXPECT_TRUE(coa.attrs.count("Event-Timestamp"));
  EXPECT_EQ(coa.attrs.at("Mikrotik-Rate-Limit"), "512k/1M"); // rx (upload) first
  EXPECT_EQ(coa.attrs.at("Mikrotik-Address-List"), "isolir");

  Json acts = actions("alice", 1);
  ASSERT_GE(acts.size(), 1u);
  EXPECT_EQ(acts[0]["action"], "coa");
  EXPECT_EQ(acts[0]["detail"]["outcome"], "ack");
  EXPECT_EQ(acts[0]["detail"]["profile"], "isolated");
  EXPECT_EQ(acts[0]["detail"]["reason"], "suspended");
  EXPECT_EQ(acts[0]["detail"]["attributes"]["Mikrotik-Address-List"], "isolir");

  // The restore: back to the plan's rate and list, by CoA (the list can be replaced in place).
  ok(call("POST", "/api/v1/subscribers/alice/unsuspend"));
  got = waitFor("alice", 2);
  ASSERT_EQ(got.size(), 2u) << daemonLog();
  EXPECT_EQ(got[1].type, "CoA-Request");
  EXPECT_EQ(got[1].attrs.at("Mikrotik-Rate-Limit"), "10M/20M");
  EXPECT_EQ(got[1].attrs.at("Mikrotik-Address-List"), "customers");

  // Once acknowledged, nothing more is sent: not for repeated writes, not for the next check.
  ok(call("POST", "/api/v1/subscribers/alice/unsuspend"));
  ok(call("PATCH", "/api/v1/subscribers/alice", {{"comment", "touched"}}));
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(receivedFor("alice").size(), 2u);
}

TEST_F(Coa, RestoreWithoutAnAddressListDisconnects) {
  // The plan itself has no address list: a CoA cannot take the session off "isolir", so the
  // restore is a Disconnect and the next login gets the plan.
  plan("coa-b", {{"address_list", ""}});
  subscriber("bob", "coa-b", {{"status", "suspended"}});
  ASSERT_NO_FATAL_FAILURE(login("bob", "81500002", "10.9.0.6"));
  ok(call("POST", "/api/v1/subscribers/bob/unsuspend"));
  auto got = waitFor("bob", 1);
  ASSERT_EQ(got.size(), 1u) << daemonLog();
  EXPECT_EQ(got[0].type, "Disconnect-Request");
  EXPECT_EQ(got[0].attrs.at("Acct-Session-Id"), "81500002");
  EXPECT_FALSE(got[0].attrs.count("Mikrotik-Rate-Limit"));
  Json acts = actions("bob", 1);
  ASSERT_GE(acts.size(), 1u);
  EXPECT_EQ(acts[0]["detail"]["outcome"], "ack");
  EXPECT_NE(acts[0]["detail"]["reason"].get<std::string>().find("cannot be removed by CoA"),
            std::string::npos)
      << acts[0];
}

TEST_F(Coa, NakedCoaFallsBackToDisconnect) {
  plan("coa-c");
  subscriber("coanak-carol", "coa-c");
  ASSERT_NO_FATAL_FAILURE(login("coanak-carol", "81500003", "10.9.0.7"));
  ok(call("POST", "/api/v1/subscribers/coanak-carol/suspend"));
  auto got = waitFor("coanak-carol", 2);
  ASSERT_EQ(got.size(), 2u) << daemonLog();
  EXPECT_EQ(got[0].type, "CoA-Request");
  EXPECT_EQ(got[1].type, "Disconnect-Request");
  Json acts = actions("coanak-carol", 2); // newest first
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_EQ(acts[1]["action"], "coa");
  EXPECT_EQ(acts[1]["detail"]["outcome"], "nak");
  EXPECT_EQ(acts[1]["detail"]["error_cause"], "Unsupported-Attribute");
  EXPECT_EQ(acts[0]["action"], "disconnect");
  EXPECT_EQ(acts[0]["detail"]["outcome"], "ack");
  EXPECT_NE(acts[0]["detail"]["trigger"].get<std::string>().find("CoA-NAK"), std::string::npos);
}

TEST_F(Coa, SilentNasIsRetriedThenTimedOut) {
  plan("coa-d");
  subscriber("silent-dave", "coa-d");
  ASSERT_NO_FATAL_FAILURE(login("silent-dave", "81500004", "10.9.0.8"));
  ok(call("POST", "/api/v1/subscribers/silent-dave/suspend"));
  // FreeRADIUS recognises the retransmission as a duplicate and does not log it again; that a
  // retransmission is the same packet is checked in tests/drivers/coa_client_test.cc.
  auto got = waitFor("silent-dave", 1);
  ASSERT_GE(got.size(), 1u);
  Json acts = actions("silent-dave", 1);
  ASSERT_GE(acts.size(), 1u);
  EXPECT_EQ(acts[0]["detail"]["outcome"], "timeout");
  EXPECT_EQ(acts[0]["detail"]["attempts"], 2);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(receivedFor("silent-dave").size(), 1u) << "no fall-back after a timeout";
}

TEST_F(Coa, DisconnectThroughTheApi) {
  plan("coa-e");
  subscriber("erin", "coa-e");
  ASSERT_NO_FATAL_FAILURE(login("erin", "81500005", "10.9.0.9"));
  Json r = ok(call("POST", "/api/v1/subscribers/erin/disconnect"), 202);
  EXPECT_EQ(r["live_sessions"], 1);
  auto got = waitFor("erin", 1);
  ASSERT_EQ(got.size(), 1u) << daemonLog();
  EXPECT_EQ(got[0].type, "Disconnect-Request");
  EXPECT_EQ(got[0].attrs.at("User-Name"), "erin");
  EXPECT_EQ(got[0].attrs.at("Framed-IP-Address"), "10.9.0.9");
  EXPECT_TRUE(got[0].attrs.count("Message-Authenticator"));
  ok(call("POST", "/api/v1/subscribers/nobody-here/disconnect"), 404);
}

TEST_F(Coa, DailyQuotaThrottlesWithinASecondOfTheInterimUpdate) {
  plan("coa-f",
       {{"quota", {{"daily_bytes", 1000000}, {"download_bps", 2000000}, {"upload_bps", 1000000}}}});
  subscriber("frank", "coa-f");
  auto a = radius_->radclient("auth", {"User-Name = \"frank\"", "User-Password = \"pw-frank\""},
                              kSecret);
  ASSERT_TRUE(a.accepted()) << a.output;
  const std::string cls = a.attr("Class");
  ASSERT_EQ(acct("Start", "frank", "81500006", "10.9.0.10", cls).code, "Accounting-Response");
  // Under the quota: nothing happens.
  ASSERT_EQ(
      acct("Interim-Update", "frank", "81500006", "10.9.0.10", cls,
           {"Acct-Input-Octets = 100000", "Acct-Output-Octets = 500000", "Acct-Session-Time = 60"})
          .code,
      "Accounting-Response");
  std::this_thread::sleep_for(400ms);
  EXPECT_TRUE(receivedFor("frank").empty());
  // Across it: the throttled rate, within a second.
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(
      acct("Interim-Update", "frank", "81500006", "10.9.0.10", cls,
           {"Acct-Input-Octets = 200000", "Acct-Output-Octets = 900000", "Acct-Session-Time = 120"})
          .code,
      "Accounting-Response");
  auto got = waitFor("frank", 1, 3s);
  ASSERT_EQ(got.size(), 1u) << daemonLog();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(got[0].type, "CoA-Request");
  EXPECT_EQ(got[0].attrs.at("Mikrotik-Rate-Limit"), "1M/2M");
  Json acts = actions("frank", 1);
  ASSERT_GE(acts.size(), 1u);
  EXPECT_EQ(acts[0]["detail"]["reason"], "daily quota reached");

  // Undone when the quota no longer applies (as at the day's turnover): the plan's rate again.
  ok(call("PATCH", "/api/v1/plans/coa-f", {{"quota", nullptr}}));
  got = waitFor("frank", 2);
  ASSERT_EQ(got.size(), 2u) << daemonLog();
  EXPECT_EQ(got[1].attrs.at("Mikrotik-Rate-Limit"), "10M/20M");
}

TEST_F(Coa, BulkSuspendReachesEverySession) {
  plan("coa-g");
  std::vector<std::string> users;
  for (int i = 0; i < 5; ++i) {
    users.push_back("bulk-" + std::to_string(i));
    subscriber(users.back(), "coa-g");
    ASSERT_NO_FATAL_FAILURE(
        login(users.back(), "8160000" + std::to_string(i), "10.9.1." + std::to_string(10 + i)));
  }
  Json body = {{"usernames", users}};
  body["usernames"].push_back("no-such-user");
  Json r = ok(call("POST", "/api/v1/subscribers/suspend", body));
  EXPECT_EQ(r["changed"], 5);
  EXPECT_EQ(r["not_found"], Json::array({"no-such-user"}));
  for (const auto& u : users) {
    auto got = waitFor(u, 1);
    ASSERT_EQ(got.size(), 1u) << u;
    EXPECT_EQ(got[0].attrs.at("Mikrotik-Address-List"), "isolir");
  }
  // Bad input changes nothing.
  ok(call("POST", "/api/v1/subscribers/unsuspend", {{"usernames", "bulk-0"}}), 422);
  ok(call("POST", "/api/v1/subscribers/unsuspend", {{"usernames", Json::array()}}), 422);
  ok(call("POST", "/api/v1/subscribers/unsuspend", {{"usernames", {1, 2}}}), 422);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(receivedFor("bulk-0").size(), 1u);
}

TEST_F(Coa, ExpiryIsEnforcedWhenItPassesAndAfterDowntime) {
  plan("coa-h");
  // Expires in 2 s: the enforcer's timer isolates the live session when it passes.
  const auto soon = std::chrono::system_clock::now() + 2s;
  const auto t = std::chrono::system_clock::to_time_t(soon);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  subscriber("henry", "coa-h", {{"expires_at", when}});
  ASSERT_NO_FATAL_FAILURE(login("henry", "81500008", "10.9.0.12"));
  auto got = waitFor("henry", 1, 6s);
  ASSERT_EQ(got.size(), 1u) << daemonLog();
  EXPECT_EQ(got[0].attrs.at("Mikrotik-Address-List"), "isolir");

  // While ispboxd is down, another subscriber is suspended behind its back (straight in the
  // store, as a billing job might): the first pass after the restart catches up.
  subscriber("ivy", "coa-h");
  ASSERT_NO_FATAL_FAILURE(login("ivy", "81500009", "10.9.0.13"));
  daemon_->kill(SIGTERM);
  ASSERT_TRUE(daemon_->wait(10s));
  {
    store::EnvOptions opts;
    opts.dir = state();
    auto env = store::Env::open(opts);
    auto txn = env->write();
    auto s = store::getSubscriber(txn, "ivy");
    ASSERT_TRUE(s);
    s->set_status(pb::SUSPENDED);
    store::putSubscriber(txn, *s, store::WriteMode::Replace);
    txn.commit();
  }
  startDaemon();
  got = waitFor("ivy", 1, 5s);
  ASSERT_EQ(got.size(), 1u) << daemonLog();
  EXPECT_EQ(got[0].attrs.at("Mikrotik-Address-List"), "isolir");
}

TEST_F(Coa, RouterApiRemovesWhatADisconnectCouldNot) {
  // The NAS NAKs Disconnect-Requests for "nak..." users; its RouterOS API (the simulator) is the
  // last resort, as on a router whose /radius incoming is off.
  routeros::sim::Simulator router(routeros::sim::SimOptions{});
  router.add("/ppp/active", {{"name", "nak-zoe"}, {"service", "pppoe"}, {"address", "10.9.0.20"}});
  router.add("/ppp/active",
             {{"name", "someone-else"}, {"service", "pppoe"}, {"address", "10.9.0.21"}});
  ok(call(
      "PATCH", "/api/v1/nas/nas-1",
      {{"routeros", {{"username", "admin"}, {"password", "secret"}, {"port", router.port()}}}}));
  plan("coa-z");
  subscriber("nak-zoe", "coa-z");
  ASSERT_NO_FATAL_FAILURE(login("nak-zoe", "81500020", "10.9.0.20"));
  ok(call("POST", "/api/v1/subscribers/nak-zoe/disconnect"), 202);
  Json acts = actions("nak-zoe", 1);
  for (int i = 0; i < 250; ++i) {
    Json page = ok(call("GET", "/api/v1/subscribers/nak-zoe/actions"));
    if (!page["items"].empty() && page["items"][0]["action"] == "routeros-remove") {
      acts = page["items"];
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ok(call("PATCH", "/api/v1/nas/nas-1", {{"routeros", nullptr}}));
  ASSERT_GE(acts.size(), 2u) << acts;
  EXPECT_EQ(acts[0]["action"], "routeros-remove") << acts;
  EXPECT_EQ(acts[0]["detail"]["outcome"], "removed") << acts[0];
  EXPECT_NE(acts[0]["detail"]["trigger"].get<std::string>().find("Session-Context-Not-Found"),
            std::string::npos);
  EXPECT_EQ(acts[1]["action"], "disconnect");
  EXPECT_EQ(acts[1]["detail"]["outcome"], "nak");
  auto left = router.rows("/ppp/active");
  ASSERT_EQ(left.size(), 1u) << "only nak-zoe's session goes";
  EXPECT_EQ(left[0]["name"], "someone-else");
}

} // namespace
} // namespace ispbox::testutil
