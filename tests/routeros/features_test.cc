// SPDX-License-Identifier: GPL-2.0-or-later
// ispboxd's RouterOS features over real HTTP: the admin API with the RouterOS service on its own
// loop, against the simulator (binary API, and REST over HTTPS): router reads, reconciliation in
// both directions, removing a session, live monitors streamed as SSE with their limits and
// errors, static-IP subscribers following plan and status changes, interface groups.
#include <gtest/gtest.h>
#include <httplib.h>

#include <set>
#include <thread>

#include "appliance/api/server.h"
#include "appliance/config.h"
#include "appliance/routeros/service.h"
#include "common/log.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/routeros.h"
#include "store/sessions.h"
#include "tests/routeros/sim/simulator.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::routeros {
namespace {

using api::Json;
namespace pb = store::pb;

struct Reply {
  int status = 0;
  Json body;
  std::string raw;
};

class FeaturesTest : public ::testing::Test {
protected:
  void SetUp() override {
    log::setLevel(log::Level::Error);
    sim::SimOptions so;
    so.monitor_interval = std::chrono::milliseconds(50);
    sim_ = std::make_unique<sim::Simulator>(so);
    sim_->populate(5, 2);
    store::EnvOptions eo;
    eo.dir = dir_.path() / "state";
    env_ = store::Env::open(eo);
    {
      auto txn = env_->write();
      pb::ApiToken t;
      t.set_name("ops");
      t.set_role("operator");
      token_ = store::createToken(txn, t).secret;
      pb::Nas n;
      n.set_name("pop1");
      n.set_ip("10.0.0.1");
      n.set_secret("s");
      n.set_vendor("mikrotik");
      auto* r = n.mutable_routeros();
      r->set_username("admin");
      r->set_password("secret");
      r->set_host("127.0.0.1");
      r->set_port(static_cast<uint32_t>(sim_->port()));
      r->set_transport("api");
      store::putNas(txn, n, store::WriteMode::Create);
      txn.commit();
    }
    ServiceOptions o;
    o.max_monitors = 2;
    o.change_poll_ms = 100;
    o.group_sample_s = 0; // sampled on request in these tests
    o.static_sync_s = 0;
    o.monitor_idle_s = 30;
    o.cache_ttl_ms = 0;
    options(o);
    service_ = std::make_unique<Service>(io_, *env_, o);
    api::ServerOptions so2;
    so2.listen = "127.0.0.1";
    so2.port = 0;
    so2.threads = 8;
    server_ = std::make_unique<api::ApiServer>(*env_, so2, "test");
    server_->setRouterOs(service_.get());
    server_->bind();
    server_->start();
    service_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  virtual void options(ServiceOptions&) {}

  void TearDown() override {
    service_->stop();
    server_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
    service_.reset();
  }

  void addSession(const std::string& user, const std::string& ip) {
    auto txn = env_->write();
    pb::Session s;
    s.set_username(user);
    s.set_nas_ip("10.0.0.1");
    s.set_acct_session_id("sess-" + user);
    s.set_framed_ip(ip);
    s.set_state(pb::SESSION_ACTIVE);
    s.set_started_at(1);
    s.set_updated_at(1);
    store::putSession(txn, store::sessionKey("10.0.0.1", "sess-" + user), s);
    txn.commit();
  }

  void addSubscriber(const std::string& user) {
    call(
        "POST", "/api/v1/subscribers",
        Json{{"username", user}, {"password", "pw"}, {"plan", plan_}, {"full_name", "Name " + user}}
            .dump());
  }

  Reply call(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Client c("127.0.0.1", server_->boundPort());
    c.set_read_timeout(30, 0);
    httplib::Headers h{{"Authorization", "Bearer " + token_}};
    httplib::Result res = method == "GET"      ? c.Get(path, h)
                          : method == "DELETE" ? c.Delete(path, h)
                          : method == "PATCH"  ? c.Patch(path, h, body, "application/json")
                          : method == "PUT"    ? c.Put(path, h, body, "application/json")
                                               : c.Post(path, h, body, "application/json");
    Reply r;
    if (!res) {
      ADD_FAILURE() << method << " " << path << ": no response";
      return r;
    }
    r.status = res->status;
    r.raw = res->body;
    r.body = Json::parse(res->body, nullptr, false);
    return r;
  }

  // Waits until pred() holds (the change follower and monitors work in the background).
  template <class Pred> bool eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  }

  void makePlan() {
    ASSERT_EQ(
        call("POST", "/api/v1/plans",
             Json{{"name", plan_}, {"download_bps", 20000000}, {"upload_bps", 5000000}}.dump())
            .status,
        201);
  }

  testutil::TempDir dir_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<store::Env> env_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::thread thread_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<api::ApiServer> server_;
  std::string token_;
  std::string plan_ = "home20";
};

TEST_F(FeaturesTest, RouterReads) {
  auto res = call("GET", "/api/v1/nas/pop1/routeros/resource");
  ASSERT_EQ(res.status, 200) << res.raw;
  EXPECT_EQ(res.body["version"], "7.18.2 (stable)");
  EXPECT_EQ(res.body["cpu_load"], 7);

  sim_->setRate("ether1", 123000000, 45000000);
  auto ifs = call("GET", "/api/v1/nas/pop1/routeros/interfaces?rates=true&type=ether");
  ASSERT_EQ(ifs.status, 200) << ifs.raw;
  ASSERT_EQ(ifs.body["items"].size(), 5u);
  EXPECT_EQ(ifs.body["items"][0]["name"], "ether1");
  EXPECT_EQ(ifs.body["items"][0]["running"], true);
  EXPECT_EQ(ifs.body["items"][0]["rate"]["rx_bps"], 123000000);
  EXPECT_EQ(ifs.body["items"][0]["rate"]["rx"], "123.0 Mbps");

  auto ppp = call("GET", "/api/v1/nas/pop1/routeros/ppp-active?username=user0002");
  ASSERT_EQ(ppp.status, 200);
  ASSERT_EQ(ppp.body["items"].size(), 1u);
  EXPECT_EQ(ppp.body["items"][0]["caller_id"], "AA:BB:CC:00:00:02");
  auto q = call("GET", "/api/v1/nas/pop1/routeros/queues");
  ASSERT_EQ(q.status, 200);
  EXPECT_EQ(q.body["items"][0]["download_max_bps"], 20000000);
  EXPECT_EQ(call("GET", "/api/v1/nas/pop1/routeros/hotspot-active").body["items"].size(), 2u);
  auto st = call("GET", "/api/v1/nas/pop1/routeros/status");
  EXPECT_EQ(st.body["connected"], true);
  EXPECT_EQ(st.body["transport"], "api");

  EXPECT_EQ(call("GET", "/api/v1/nas/nope/routeros/resource").status, 404);
}

TEST_F(FeaturesTest, UnreachableRouterAndMissingAccessAreClearErrors) {
  {
    auto txn = env_->write();
    pb::Nas n;
    n.set_name("bare");
    n.set_ip("10.0.0.2");
    n.set_secret("s");
    store::putNas(txn, n, store::WriteMode::Create);
    pb::Nas dead = n;
    dead.set_name("dead");
    dead.set_ip("10.0.0.3");
    dead.mutable_routeros()->set_username("admin");
    dead.mutable_routeros()->set_host("127.0.0.1");
    int port = 0;
    { port = sim::Simulator({}).port(); }
    dead.mutable_routeros()->set_port(static_cast<uint32_t>(port));
    store::putNas(txn, dead, store::WriteMode::Create);
    txn.commit();
  }
  auto bare = call("GET", "/api/v1/nas/bare/routeros/resource");
  EXPECT_EQ(bare.status, 409);
  EXPECT_EQ(bare.body["error"]["code"], "no_routeros_access");
  auto dead = call("GET", "/api/v1/nas/dead/routeros/resource");
  EXPECT_EQ(dead.status, 502) << dead.raw;
  EXPECT_EQ(dead.body["error"]["code"], "router_unreachable");
}

TEST_F(FeaturesTest, ReconciliationInBothDirectionsAndClosing) {
  for (int i = 1; i <= 3; ++i)
    addSession("user000" + std::to_string(i), "10.64.0." + std::to_string(i));
  addSession("ghost", "10.64.9.9");
  auto rec = call("GET", "/api/v1/nas/pop1/routeros/reconciliation");
  ASSERT_EQ(rec.status, 200) << rec.raw;
  EXPECT_EQ(rec.body["matched"], 3);
  std::set<std::string> router_only;
  for (const auto& e : rec.body["router_only"])
    router_only.insert(e["username"].get<std::string>());
  EXPECT_EQ(router_only, (std::set<std::string>{"user0004", "user0005", "hs1", "hs2"}));
  ASSERT_EQ(rec.body["radius_only"].size(), 1u);
  EXPECT_EQ(rec.body["radius_only"][0]["username"], "ghost");

  EXPECT_EQ(call("POST", "/api/v1/nas/pop1/routeros/reconciliation/close", "{}").status, 422);
  auto closed = call("POST", "/api/v1/nas/pop1/routeros/reconciliation/close",
                     R"({"router_only": true, "radius_only": true})");
  ASSERT_EQ(closed.status, 200) << closed.raw;
  EXPECT_EQ(closed.body["removed_from_router"], 4);
  EXPECT_EQ(closed.body["closed_in_radius"], 1);
  EXPECT_EQ(sim_->rows("/ppp/active").size(), 3u);
  EXPECT_TRUE(sim_->rows("/ip/hotspot/active").empty());
  {
    auto txn = env_->read();
    EXPECT_EQ(store::countLiveSessionsOf(txn, "ghost"), 0u);
    EXPECT_EQ(store::countLiveSessionsOf(txn, "user0001"), 1u);
  }
  auto again = call("GET", "/api/v1/nas/pop1/routeros/reconciliation");
  EXPECT_EQ(again.body["matched"], 3);
  EXPECT_TRUE(again.body["router_only"].empty());
  EXPECT_TRUE(again.body["radius_only"].empty());
}

TEST_F(FeaturesTest, RemovesALiveSession) {
  auto r = call("DELETE", "/api/v1/nas/pop1/routeros/sessions/user0002?kind=ppp");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["removed"], 1);
  EXPECT_EQ(sim_->rows("/ppp/active").size(), 4u);
  EXPECT_EQ(call("DELETE", "/api/v1/nas/pop1/routeros/sessions/user0002").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/nas/pop1/routeros/sessions/x?kind=bogus").status, 400);
  auto txn = env_->read();
  auto audit = store::listAudit(txn, 0, 10,
                                [](const pb::AuditEntry& e) { return e.action() == "disconnect"; });
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].entry.key(), "user0002");
}

TEST_F(FeaturesTest, MonitorStreamsServerSentEvents) {
  makePlan();
  for (auto u : {"user0001", "user0002", "user0003", "offline"})
    addSubscriber(u);
  for (int i = 1; i <= 3; ++i)
    addSession("user000" + std::to_string(i), "10.64.0." + std::to_string(i));
  sim_->setRate("<pppoe-user0001>", 2000000, 30000000);

  EXPECT_EQ(call("POST", "/api/v1/routeros/monitors", R"({"username":"nobody"})").status, 404);
  auto off = call("POST", "/api/v1/routeros/monitors", R"({"username":"offline"})");
  EXPECT_EQ(off.status, 409);
  EXPECT_EQ(off.body["error"]["code"], "subscriber_offline");
  EXPECT_EQ(call("POST", "/api/v1/routeros/monitors", R"({"user":"x"})").status, 422);

  auto m = call("POST", "/api/v1/routeros/monitors", R"({"username":"user0001"})");
  ASSERT_EQ(m.status, 201) << m.raw;
  EXPECT_EQ(m.body["interface"], "<pppoe-user0001>");
  const std::string id = m.body["id"];
  auto same = call("POST", "/api/v1/routeros/monitors", R"({"username":"user0001"})");
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.body["id"], id);
  ASSERT_EQ(call("POST", "/api/v1/routeros/monitors", R"({"username":"user0002"})").status, 201);
  auto full = call("POST", "/api/v1/routeros/monitors", R"({"username":"user0003"})");
  EXPECT_EQ(full.status, 429);
  EXPECT_EQ(full.body["error"]["code"], "monitor_limit_reached");

  // An SSE client reads samples; stopping the monitor ends its stream.
  std::string stream;
  std::mutex mu;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->boundPort());
    c.set_read_timeout(30, 0);
    c.Get("/api/v1/routeros/monitors/" + id + "/events",
          httplib::Headers{{"Authorization", "Bearer " + token_}}, [&](const char* data, size_t n) {
            std::lock_guard l(mu);
            stream.append(data, n);
            return true;
          });
  });
  auto samples = [&] {
    std::lock_guard l(mu);
    size_t n = 0;
    for (size_t p = 0; (p = stream.find("event: sample", p)) != std::string::npos; ++p)
      ++n;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return samples() >= 3; }));
  EXPECT_EQ(call("GET", "/api/v1/routeros/monitors/" + id).body["clients"], 1);
  ASSERT_EQ(call("DELETE", "/api/v1/routeros/monitors/" + id).status, 204);
  reader.join(); // the stream ended with the monitor
  {
    std::lock_guard l(mu);
    EXPECT_NE(stream.find("event: end"), std::string::npos);
    const size_t d = stream.find("data: ");
    ASSERT_NE(d, std::string::npos);
    const Json first = Json::parse(stream.substr(d + 6, stream.find('\n', d) - d - 6));
    EXPECT_EQ(first["subscriber"]["username"], "user0001");
    EXPECT_EQ(first["subscriber"]["full_name"], "Name user0001");
    EXPECT_EQ(first["subscriber"]["plan"], "home20");
    EXPECT_EQ(first["rx_bps"], 2000000);
    EXPECT_EQ(first["download_bps"], 30000000);
    EXPECT_EQ(first["download"], "30.0 Mbps");
    EXPECT_TRUE(first["at"].is_string());
  }
  EXPECT_EQ(call("GET", "/api/v1/routeros/monitors/" + id).status, 404);
  EXPECT_TRUE(eventually([&] { return sim_->counters().active_streams == 1; }));
  // A slot is free again.
  EXPECT_EQ(call("POST", "/api/v1/routeros/monitors", R"({"username":"user0003"})").status, 201);
}

TEST_F(FeaturesTest, StaticSubscribersFollowPlanAndStatus) {
  makePlan();
  ASSERT_EQ(call("POST", "/api/v1/subscribers",
                 Json{{"username", "shop"},
                      {"password", "pw"},
                      {"plan", plan_},
                      {"static_ip", "192.0.2.50"}}
                     .dump())
                .status,
            201);
  auto put = call("PUT", "/api/v1/routeros/static-subscribers/shop", R"({"nas":"pop1"})");
  ASSERT_EQ(put.status, 200) << put.raw;
  EXPECT_EQ(put.body["last_sync"]["in_line"], true) << put.raw;
  auto queueOf = [&]() -> std::string {
    for (const auto& q : sim_->rows("/queue/simple"))
      if (q.at("name") == "static-shop") return q.at("max-limit") + " " + q.at("target");
    return "";
  };
  EXPECT_EQ(queueOf(), "5000000/20000000 192.0.2.50/32");
  auto listed = [&] {
    for (const auto& e : sim_->rows("/ip/firewall/address-list"))
      if (e.at("list") == "isolir" && e.at("address") == "192.0.2.50") return true;
    return false;
  };
  EXPECT_FALSE(listed());

  // Changes through the ordinary API reach the router through the change log.
  ASSERT_EQ(call("PATCH", "/api/v1/subscribers/shop", R"({"status":"suspended"})").status, 200);
  EXPECT_TRUE(eventually(listed));
  ASSERT_EQ(call("PATCH", "/api/v1/plans/" + plan_, R"({"download_bps": 50000000})").status, 200);
  EXPECT_TRUE(eventually([&] { return queueOf() == "5000000/50000000 192.0.2.50/32"; }))
      << queueOf();
  ASSERT_EQ(call("PATCH", "/api/v1/subscribers/shop", R"({"status":"active"})").status, 200);
  EXPECT_TRUE(eventually([&] { return !listed(); }));

  auto got = call("GET", "/api/v1/routeros/static-subscribers/shop");
  EXPECT_EQ(got.body["nas"], "pop1");
  EXPECT_EQ(call("GET", "/api/v1/routeros/static-subscribers").body["items"].size(), 1u);
  // Errors: no static IP, unknown NAS.
  addSubscriber("dyn");
  EXPECT_EQ(call("PUT", "/api/v1/routeros/static-subscribers/dyn", R"({"nas":"pop1"})").status,
            409);
  EXPECT_EQ(call("PUT", "/api/v1/routeros/static-subscribers/shop", R"({"nas":"nope"})").status,
            422);
  EXPECT_EQ(call("DELETE", "/api/v1/routeros/static-subscribers/shop").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/routeros/static-subscribers/shop").status, 404);
}

TEST_F(FeaturesTest, InterfaceGroupsKeepAggregateHistory) {
  sim_->setRate("vlan101", 400000000, 100000000);
  sim_->setRate("vlan102", 500000000, 200000000);
  auto g = call("POST", "/api/v1/routeros/interface-groups",
                R"({"name":"upstream","nas":"pop1","interfaces":["vlan101","vlan102"],)"
                R"("alert_bps":950000000})");
  ASSERT_EQ(g.status, 201) << g.raw;
  EXPECT_EQ(call("POST", "/api/v1/routeros/interface-groups",
                 R"({"name":"bad","nas":"pop1","interfaces":[1]})")
                .status,
            422);
  auto s = call("POST", "/api/v1/routeros/interface-groups/upstream/sample");
  ASSERT_EQ(s.status, 200) << s.raw;
  EXPECT_EQ(s.body["rx_bps"], 900000000);
  EXPECT_EQ(s.body["tx_bps"], 300000000);
  EXPECT_EQ(s.body["interfaces"].size(), 2u);
  sim_->setRate("vlan101", 500000000, 100000000);
  std::this_thread::sleep_for(std::chrono::milliseconds(5)); // distinct sample times
  call("POST", "/api/v1/routeros/interface-groups/upstream/sample");
  auto h = call("GET", "/api/v1/routeros/interface-groups/upstream/history");
  ASSERT_EQ(h.status, 200);
  ASSERT_EQ(h.body["items"].size(), 2u);
  EXPECT_EQ(h.body["items"][1]["rx_bps"], 1000000000);
  auto one = call("GET", "/api/v1/routeros/interface-groups/upstream");
  EXPECT_EQ(one.body["last_sample"]["rx"], "1.0 Gbps");
  EXPECT_EQ(one.body["alert_bps"], 950000000);
  // A missing interface: the router's trap is kept as the sample's error.
  ASSERT_EQ(call("PATCH", "/api/v1/routeros/interface-groups/upstream",
                 R"({"interfaces":["vlan101","nope"]})")
                .status,
            200);
  auto bad = call("POST", "/api/v1/routeros/interface-groups/upstream/sample");
  EXPECT_FALSE(bad.body["error"].is_null()) << bad.raw;
  EXPECT_EQ(call("GET", "/api/v1/routeros/interface-groups/upstream/history?limit=0").status, 400);
  EXPECT_EQ(call("DELETE", "/api/v1/routeros/interface-groups/upstream").status, 204);
  auto txn = env_->read();
  bool more = false;
  EXPECT_TRUE(store::listRateSamples(txn, "upstream", 0, 0, 10, &more).empty());
}

TEST_F(FeaturesTest, RestTransportChosenPerNas) {
  auto cert = sim::writeSelfSignedCert(dir_.path().string());
  sim::SimOptions so;
  so.rest = true;
  so.tls = true;
  so.cert_file = cert.cert;
  so.key_file = cert.key;
  sim::Simulator rest(so);
  rest.populate(7);
  {
    auto txn = env_->write();
    pb::Nas n;
    n.set_name("pop2");
    n.set_ip("10.0.0.2");
    n.set_secret("s");
    auto* r = n.mutable_routeros();
    r->set_username("admin");
    r->set_password("secret");
    r->set_host("127.0.0.1");
    r->set_port(static_cast<uint32_t>(rest.port()));
    r->set_tls(true);
    r->set_insecure_skip_verify(true); // the service's CA file is not this test's certificate
    r->set_transport("rest");
    store::putNas(txn, n, store::WriteMode::Create);
    txn.commit();
  }
  auto ppp = call("GET", "/api/v1/nas/pop2/routeros/ppp-active");
  ASSERT_EQ(ppp.status, 200) << ppp.raw;
  EXPECT_EQ(ppp.body["items"].size(), 7u);
  EXPECT_EQ(call("GET", "/api/v1/nas/pop2/routeros/status").body["transport"], "rest");
  EXPECT_EQ(call("DELETE", "/api/v1/nas/pop2/routeros/sessions/user0003").status, 200);
  EXPECT_EQ(rest.rows("/ppp/active").size(), 6u);
}

TEST(RouterOsConfig, ParsesTheRouterOsSection) {
  auto c = appliance::parseConfig("[routeros]\nmax_monitors = 7\ncache_ttl_ms = 0\n"
                                  "default_isolation_list = \"blocked\"\n",
                                  "t.toml");
  EXPECT_EQ(c.routeros.max_monitors, 7u);
  EXPECT_EQ(c.routeros.cache_ttl_ms, 0u);
  EXPECT_EQ(c.routeros.default_isolation_list, "blocked");
  EXPECT_TRUE(c.routeros_enabled);
  EXPECT_FALSE(appliance::parseConfig("[routeros]\nenabled = false\n", "t").routeros_enabled);
  EXPECT_THROW(appliance::parseConfig("[routeros]\nmax_monitor = 7\n", "t"),
               appliance::ConfigError);
  EXPECT_THROW(appliance::parseConfig("[routeros]\nmax_in_flight = 0\n", "t"),
               appliance::ConfigError);
  EXPECT_THROW(appliance::parseConfig("[routeros]\nca_file = \"/nonexistent/ca.pem\"\n", "t"),
               appliance::ConfigError);
}

} // namespace
} // namespace ispbox::routeros
