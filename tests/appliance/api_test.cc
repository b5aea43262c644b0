// SPDX-License-Identifier: GPL-2.0-or-later
// The admin API doing its job over real HTTP: CRUD, partial updates, paging and filters, roles,
// tokens, the audit trail, secrets never echoed, concurrent writers, and HTTPS.
#include <cstdlib>
#include <set>
#include <thread>

#include "tests/appliance/api_fixture.h"

namespace ispbox::testutil {
namespace {

using api::Json;

class Api : public ApiFixture {
protected:
  void makePlan(const std::string& name = "home-20m") {
    ASSERT_EQ(call("POST", "/api/v1/plans",
                   R"({"name":")" + name + R"(","download_bps":20000000,"upload_bps":10000000})")
                  .status,
              201);
  }
  void makeSubscriber(const std::string& username, const std::string& extra = "") {
    Reply r = call("POST", "/api/v1/subscribers",
                   R"({"username":")" + username + R"(","password":"pw-)" + username +
                       R"(","plan":"home-20m")" + extra + "}");
    ASSERT_EQ(r.status, 201) << r.raw;
  }
};

TEST_F(Api, HealthNeedsNoToken) {
  Reply r = call("GET", "/api/v1/health", "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_EQ(r.body["schema_version"], store::Env::kSchemaVersion);
}

TEST_F(Api, PlanRoundTrip) {
  Reply r =
      call("POST", "/api/v1/plans",
           R"({"name":"home-20m","description":"Home 20M","download_bps":20000000,)"
           R"("upload_bps":10000000,"burst":{"download_bps":30000000,"upload_bps":15000000,)"
           R"("threshold_download_bps":15000000,"threshold_upload_bps":7500000,"time_s":8},)"
           R"("priority":5,"address_list":"pppoe-home","pool":"pool-home",)"
           R"("acct_interim_interval_s":300,"data_cap_bytes":107374182400,)"
           R"("isolation":{"address_list":"isolir","download_bps":512000,"upload_bps":256000}})");
  ASSERT_EQ(r.status, 201) << r.raw;
  Reply g = call("GET", "/api/v1/plans/home-20m");
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body, r.body);
  EXPECT_EQ(g.body["burst"]["time_s"], 8);
  EXPECT_EQ(g.body["priority"], 5);
  EXPECT_EQ(g.body["data_cap_bytes"], 107374182400ULL);
  EXPECT_EQ(g.body["isolation"]["address_list"], "isolir");
  EXPECT_EQ(g.body["isolation"]["reject"], false);

  // A partial update changes only what it names; null resets an optional field.
  Reply p = call("PATCH", "/api/v1/plans/home-20m", R"({"download_bps":25000000,"burst":null})");
  ASSERT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(p.body["download_bps"], 25000000);
  EXPECT_TRUE(p.body["burst"].is_null());
  EXPECT_EQ(p.body["pool"], "pool-home");

  EXPECT_EQ(call("DELETE", "/api/v1/plans/home-20m").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/plans/home-20m").status, 404);
}

TEST_F(Api, SubscriberRoundTripNeverShowsPassword) {
  makePlan();
  Reply r = call("POST", "/api/v1/subscribers",
                 R"({"username":"alice@isp","password":"Very-Secret-1","plan":"home-20m",)"
                 R"("mac":"aabb.ccdd.eeff","static_ip":"100.64.1.2",)"
                 R"("expires_at":"2026-12-31T23:59:59+07:00","simultaneous_use":2,)"
                 R"("full_name":"Alice","external_id":"CUST-1"})");
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["mac"], "AA:BB:CC:DD:EE:FF"); // normalised to what MikroTik sends
  EXPECT_EQ(r.body["expires_at"], "2026-12-31T16:59:59Z");
  EXPECT_EQ(r.body["status"], "active");
  EXPECT_EQ(r.raw.find("Very-Secret-1"), std::string::npos);

  Reply g = call("GET", "/api/v1/subscribers/alice@isp");
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body, r.body);
  EXPECT_FALSE(g.body.contains("password"));

  // The store keeps the password for CHAP/MS-CHAPv2.
  {
    auto txn = env_->read();
    auto s = store::getSubscriber(txn, "alice@isp");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->password(), "Very-Secret-1");
  }

  Reply p = call("PATCH", "/api/v1/subscribers/alice@isp",
                 R"({"status":"suspended","expires_at":null,"password":"New-Secret-2"})");
  ASSERT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(p.body["status"], "suspended");
  EXPECT_TRUE(p.body["expires_at"].is_null());
  EXPECT_EQ(p.body["mac"], "AA:BB:CC:DD:EE:FF");
  EXPECT_EQ(p.raw.find("New-Secret-2"), std::string::npos);

  Reply audit = call("GET", "/api/v1/audit?entity=subscriber&key=alice@isp");
  ASSERT_EQ(audit.status, 200);
  ASSERT_EQ(audit.body["items"].size(), 2u);
  const Json& update = audit.body["items"][0]; // newest first
  EXPECT_EQ(update["action"], "update");
  EXPECT_EQ(update["actor"], "admin");
  EXPECT_EQ(update["detail"]["status"]["from"], "active");
  EXPECT_EQ(update["detail"]["status"]["to"], "suspended");
  EXPECT_EQ(update["detail"]["password"], "changed");
  EXPECT_EQ(audit.raw.find("New-Secret-2"), std::string::npos);
  EXPECT_EQ(audit.raw.find("Very-Secret-1"), std::string::npos);

  EXPECT_EQ(call("DELETE", "/api/v1/subscribers/alice@isp").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/subscribers/alice@isp").status, 404);
  // The static IP is free again.
  makeSubscriber("bob", R"(,"static_ip":"100.64.1.2")");
}

TEST_F(Api, PagingVisitsEveryoneOnceInOrder) {
  makePlan();
  makePlan("biz-50m");
  for (int i = 0; i < 230; ++i) {
    char name[16];
    snprintf(name, sizeof name, "user%03d", i);
    makeSubscriber(name, i % 10 == 0 ? R"(,"status":"suspended")" : "");
  }
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    Reply r =
        call("GET", "/api/v1/subscribers?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.raw;
    for (const auto& s : r.body["items"])
      seen.push_back(s["username"]);
    cursor = r.body["next_cursor"].is_null() ? "" : r.body["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 230u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 230u);

  Reply suspended = call("GET", "/api/v1/subscribers?status=suspended&limit=1000");
  EXPECT_EQ(suspended.body["items"].size(), 23u);
  Reply prefix = call("GET", "/api/v1/subscribers?q=user1&limit=1000");
  EXPECT_EQ(prefix.body["items"].size(), 100u); // user100..user199
  Reply none = call("GET", "/api/v1/subscribers?plan=biz-50m");
  EXPECT_EQ(none.body["items"].size(), 0u);

  // Moving a subscriber to another plan moves it in the plan filter too.
  ASSERT_EQ(call("PATCH", "/api/v1/subscribers/user007", R"({"plan":"biz-50m"})").status, 200);
  Reply biz = call("GET", "/api/v1/subscribers?plan=biz-50m");
  ASSERT_EQ(biz.body["items"].size(), 1u);
  EXPECT_EQ(biz.body["items"][0]["username"], "user007");
  EXPECT_EQ(call("GET", "/api/v1/subscribers?plan=home-20m&limit=1000").body["items"].size(), 229u);
}

TEST_F(Api, NasSecretsAreWriteOnly) {
  Reply r = call("POST", "/api/v1/nas",
                 R"({"name":"pop1-ccr","ip":"10.10.0.1","secret":"radius-Secret-9",)"
                 R"("routeros":{"username":"api","password":"Api-Pass-7","tls":true}})");
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["secret_set"], true);
  EXPECT_EQ(r.body["coa_port"], 3799);
  EXPECT_EQ(r.body["vendor"], "mikrotik");
  EXPECT_EQ(r.body["require_message_authenticator"], true);
  EXPECT_EQ(r.body["routeros"]["password_set"], true);
  for (const char* secret : {"radius-Secret-9", "Api-Pass-7"}) {
    EXPECT_EQ(r.raw.find(secret), std::string::npos);
    EXPECT_EQ(call("GET", "/api/v1/nas/pop1-ccr").raw.find(secret), std::string::npos);
    EXPECT_EQ(call("GET", "/api/v1/audit").raw.find(secret), std::string::npos);
  }
  // Echoing the routeros object back without a password keeps the stored one.
  ASSERT_EQ(call("PATCH", "/api/v1/nas/pop1-ccr", R"({"routeros":{"username":"api2"}})").status,
            200);
  // Moving the NAS to a new IP frees the old one.
  ASSERT_EQ(call("PATCH", "/api/v1/nas/pop1-ccr", R"({"ip":"10.10.0.2"})").status, 200);
  {
    auto txn = env_->read();
    auto n = store::getNasByIp(txn, "10.10.0.2");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->routeros().password(), "Api-Pass-7");
    EXPECT_EQ(n->routeros().username(), "api2");
    EXPECT_FALSE(store::getNasByIp(txn, "10.10.0.1"));
  }
  EXPECT_EQ(call("POST", "/api/v1/nas", R"({"name":"pop2","ip":"10.10.0.1","secret":"x"})").status,
            201);
}

TEST_F(Api, RolesAndTokenLifecycle) {
  makePlan();
  // readonly reads, operator writes subscribers but not NAS, admin manages tokens.
  EXPECT_EQ(call("GET", "/api/v1/plans", "", readonly_).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/subscribers",
                 R"({"username":"op1","password":"x","plan":"home-20m"})", operator_)
                .status,
            201);
  Reply created = call("POST", "/api/v1/tokens", R"({"name":"billing","role":"operator"})");
  ASSERT_EQ(created.status, 201) << created.raw;
  const std::string secret = created.body["token"];
  const std::string id = created.body["id"];
  EXPECT_EQ(call("GET", "/api/v1/subscribers/op1", "", secret).status, 200);
  Reply list = call("GET", "/api/v1/tokens");
  EXPECT_EQ(list.raw.find(secret), std::string::npos) << "a token secret was listed";
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + id).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/subscribers/op1", "", secret).status, 401);

  // The audit trail says who did it.
  Reply audit = call("GET", "/api/v1/audit?key=op1");
  ASSERT_EQ(audit.body["items"].size(), 1u);
  EXPECT_EQ(audit.body["items"][0]["actor"], "ops");
  EXPECT_EQ(audit.body["items"][0]["remote_addr"], "127.0.0.1");
}

TEST_F(Api, LastAdminTokenCannotBeRevoked) {
  Reply list = call("GET", "/api/v1/tokens");
  std::string admin_id;
  for (const auto& t : list.body["items"])
    if (t["role"] == "admin") admin_id = t["id"];
  ASSERT_FALSE(admin_id.empty());
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + admin_id).status, 409);
  EXPECT_EQ(call("GET", "/api/v1/tokens").status, 200);
}

TEST_F(Api, AuditPagesNewestFirst) {
  makePlan();
  for (int i = 0; i < 25; ++i)
    makeSubscriber("a" + std::to_string(i));
  std::vector<uint64_t> seqs;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    Reply r = call("GET", "/api/v1/audit?limit=10" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200);
    for (const auto& e : r.body["items"])
      seqs.push_back(e["seq"]);
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"];
  }
  ASSERT_EQ(seqs.size(), 26u); // 25 subscribers + the plan
  EXPECT_TRUE(std::is_sorted(seqs.rbegin(), seqs.rend()));
  EXPECT_EQ(std::set<uint64_t>(seqs.begin(), seqs.end()).size(), seqs.size());
}

TEST_F(Api, ConcurrentWritersAllLand) {
  makePlan();
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        httplib::Client c("127.0.0.1", server_->boundPort());
        auto res = c.Post("/api/v1/subscribers", {{"Authorization", "Bearer " + admin_}},
                          R"({"username":"t)" + std::to_string(t) + "-" + std::to_string(i) +
                              R"(","password":"x","plan":"home-20m"})",
                          "application/json");
        if (res && res->status == 201) ++created;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(created, 100);
  auto txn = env_->read();
  EXPECT_EQ(txn.count(store::Table::Subscribers), 100u);
}

TEST_F(Api, PatchThatChangesNothingWritesNothing) {
  makePlan();
  makeSubscriber("carol", R"(,"comment":"vip")");
  const uint64_t before = latestChange();
  Reply same = call("PATCH", "/api/v1/subscribers/carol", R"({"comment":"vip","plan":"home-20m"})");
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.body["comment"], "vip");
  EXPECT_EQ(latestChange(), before);
  EXPECT_EQ(call("GET", "/api/v1/audit?key=carol").body["items"].size(), 1u); // the create only
  // A new password alone is a change, though it is not shown.
  EXPECT_EQ(call("PATCH", "/api/v1/subscribers/carol", R"({"password":"other"})").status, 200);
  EXPECT_EQ(latestChange(), before + 1);
}

TEST_F(Api, BearerSchemeIsCaseInsensitive) {
  httplib::Client c("127.0.0.1", server_->boundPort());
  auto r = c.Get("/api/v1/plans", {{"Authorization", "bearer " + admin_}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(Api, FilterByExternalId) {
  makePlan();
  makeSubscriber("dave", R"(,"external_id":"CUST-42")");
  makeSubscriber("erin", R"(,"external_id":"CUST-43")");
  Reply r = call("GET", "/api/v1/subscribers?external_id=CUST-42");
  ASSERT_EQ(r.body["items"].size(), 1u);
  EXPECT_EQ(r.body["items"][0]["username"], "dave");
}

TEST_F(Api, MethodNotAllowedNamesAllowedMethods) {
  Reply r = call("PUT", "/api/v1/plans", "{}");
  EXPECT_EQ(r.status, 405);
  auto allow = r.headers.find("Allow");
  ASSERT_NE(allow, r.headers.end());
  EXPECT_NE(allow->second.find("GET"), std::string::npos);
  EXPECT_NE(allow->second.find("POST"), std::string::npos);
}

class ApiTls : public ApiFixture {
protected:
  void SetUp() override {
    const auto cert = dir_.path() / "cert.pem", key = dir_.path() / "key.pem";
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
                            "-days 1 -keyout " +
                            key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
    api::ServerOptions o;
    o.tls_cert = cert.string();
    o.tls_key = key.string();
    startServer(o);
  }
};

TEST_F(ApiTls, ServesHttpsWhenCertificateConfigured) {
  EXPECT_EQ(server_->url().rfind("https://", 0), 0u);
  httplib::SSLClient tls("127.0.0.1", server_->boundPort());
  tls.enable_server_certificate_verification(false); // self-signed test certificate
  auto res = tls.Get("/api/v1/plans", {{"Authorization", "Bearer " + admin_}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // Plain HTTP to the TLS port gets no API answer.
  httplib::Client plain("127.0.0.1", server_->boundPort());
  plain.set_read_timeout(2, 0);
  auto bad = plain.Get("/api/v1/health");
  EXPECT_TRUE(!bad || bad->status != 200);
}

} // namespace
} // namespace ispbox::testutil
