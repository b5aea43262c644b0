// SPDX-License-Identifier: GPL-2.0-or-later
// The AAA side of the admin API over real HTTP: live and closed sessions, usage and the post-auth
// log, seeded through the store the way RADIUS accounting writes them; and the pools resource
// with the leases that constrain changing and deleting a pool. Every reply body is also checked
// against its schema in the published OpenAPI document.
#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "appliance/api/openapi_document.h"
#include "common/time_util.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "tests/appliance/api_fixture.h"
#include "tests/appliance/schema_check.h"

namespace ispbox::testutil {
namespace {

using api::Json;
namespace pb = store::pb;

constexpr int64_t kNov21 = 1795262400; // 2026-11-21T12:00:00Z
constexpr int64_t kNov22 = 1795348800; // 2026-11-22T12:00:00Z
constexpr int64_t kDec01 = 1796126400; // 2026-12-01T12:00:00Z

// Replies are checked against their schemas with violations() (schema_check.h).

// "20261121" -> "2026-11-21", "202611" -> "2026-11".
std::string dashed(const std::string& period) {
  std::string out = period.substr(0, 4) + "-" + period.substr(4, 2);
  if (period.size() == 8) out += "-" + period.substr(6, 2);
  return out;
}

using Strings = std::vector<std::string>;

// Lowercase hex of raw bytes, as the API spells ids and cursors.
std::string hex(const std::string& raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

Strings field(const Json& items, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& item : items)
    out.push_back(item.at(name).get<std::string>());
  return out;
}

class AaaApi : public ApiFixture {
protected:
  void SetUp() override {
    ApiFixture::SetUp();
    ASSERT_EQ(call("POST", "/api/v1/plans",
                   R"({"name":"home","download_bps":20000000,"upload_bps":10000000})")
                  .status,
              201);
    makeSubscriber("alice");
    makeSubscriber("bob");
  }

  void makeSubscriber(const std::string& username) {
    Reply r = call("POST", "/api/v1/subscribers",
                   R"({"username":")" + username + R"(","password":"pw","plan":"home"})");
    ASSERT_EQ(r.status, 201) << r.raw;
  }

  // A live session as Accounting-Start records it.
  static pb::Session session(const std::string& username, const std::string& nas,
                             const std::string& id, int64_t started = kNov21) {
    pb::Session s;
    s.set_username(username);
    s.set_nas_ip(nas);
    s.set_acct_session_id(id);
    s.set_state(pb::SESSION_ACTIVE);
    s.set_started_at(started);
    s.set_updated_at(started + 60);
    return s;
  }

  std::string put(const pb::Session& s) {
    const std::string key = store::sessionKey(s.nas_ip(), s.acct_session_id());
    auto txn = env_->write();
    store::putSession(txn, key, s);
    txn.commit();
    return key;
  }

  void close(const std::string& key, const std::string& cause, int64_t at) {
    auto txn = env_->write();
    ASSERT_TRUE(store::closeSession(txn, key, cause, at));
    txn.commit();
  }

  void postAuth(const std::string& username, bool accepted, const std::string& reason,
                const std::string& profile, int64_t at) {
    pb::PostAuth e;
    e.set_at_ms(at * 1000 + 250);
    e.set_username(username);
    e.set_nas_ip("10.0.0.1");
    e.set_accepted(accepted);
    e.set_reason(reason);
    e.set_profile(profile);
    e.set_calling_station_id("AA:BB:CC:00:00:0" + std::to_string(at % 10));
    auto txn = env_->write();
    store::appendPostAuth(txn, e, 1000);
    txn.commit();
  }

  // Follows next_cursor from `path` (which already has a query string) to the end.
  std::vector<Json> pages(const std::string& path, const std::string& schema) {
    std::vector<Json> out;
    std::string cursor;
    for (int i = 0; i < 20; ++i) {
      Reply r = call("GET", path + (cursor.empty() ? "" : "&cursor=" + cursor));
      EXPECT_EQ(r.status, 200) << path << ": " << r.raw;
      if (r.status != 200) break;
      EXPECT_EQ(violations(schema, r.body), "");
      out.push_back(r.body);
      if (r.body["next_cursor"].is_null()) break;
      cursor = r.body["next_cursor"].get<std::string>();
    }
    return out;
  }

  void expectError(const Reply& r, int status, const std::string& code,
                   const std::string& field = "") {
    EXPECT_EQ(r.status, status) << r.raw;
    EXPECT_EQ(r.body["error"].value("code", ""), code) << r.raw;
    EXPECT_EQ(r.body["error"].value("field", ""), field) << r.raw;
    EXPECT_EQ(violations("Error", r.body), "");
  }

  // Creates pool `name` with `ranges` (a JSON array) as an operator.
  Reply makePool(const std::string& name, const std::string& ranges) {
    return call("POST", "/api/v1/pools", R"({"name":")" + name + R"(","ranges":)" + ranges + "}",
                operator_);
  }

  // Leases an address of `pool` to username at `now`; confirms it for session `key` when given.
  std::string lease(const std::string& pool, const std::string& username, int64_t now,
                    int64_t offer_ttl_s, const std::string& key = "") {
    auto txn = env_->write();
    auto ip = store::allocateLease(txn, pool, username, now, offer_ttl_s);
    EXPECT_TRUE(ip) << pool << " is exhausted";
    if (!ip) return "";
    if (!key.empty()) store::confirmLease(txn, pool, *ip, key, now);
    txn.commit();
    return *ip;
  }
};

// ---- sessions ----

TEST_F(AaaApi, LiveSessionShowsWhatAccountingRecorded) {
  pb::Session s = session("alice", "10.0.0.1", "81a00001");
  s.set_framed_ip("100.64.0.9");
  s.set_calling_station_id("AA:BB:CC:DD:EE:01");
  s.set_nas_port_id("<pppoe-alice>");
  s.set_session_time(3600);
  s.set_input_octets(5000000000); // past 2^32: gigawords folded in
  s.set_output_octets(123456);
  s.set_input_packets(77);
  s.set_output_packets(88);
  s.set_class_tag("ispbox:normal:home");
  put(s);
  put(session("bob", "10.0.0.2", "81a00002"));

  Reply r = call("GET", "/api/v1/sessions");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(violations("SessionPage", r.body), "");
  ASSERT_EQ(r.body["items"].size(), 2u) << r.raw;
  EXPECT_TRUE(r.body["next_cursor"].is_null());
  const Json& a = r.body["items"][0];
  EXPECT_EQ(a["username"], "alice");
  EXPECT_EQ(a["nas_ip"], "10.0.0.1");
  EXPECT_EQ(a["acct_session_id"], "81a00001");
  EXPECT_EQ(a["framed_ip"], "100.64.0.9");
  EXPECT_EQ(a["calling_station_id"], "AA:BB:CC:DD:EE:01");
  EXPECT_EQ(a["nas_port_id"], "<pppoe-alice>");
  EXPECT_EQ(a["state"], "active");
  EXPECT_EQ(a["started_at"], "2026-11-21T12:00:00Z");
  EXPECT_EQ(a["updated_at"], "2026-11-21T12:01:00Z");
  EXPECT_TRUE(a["stopped_at"].is_null());
  EXPECT_EQ(a["session_time_s"], 3600);
  EXPECT_EQ(a["input_octets"], 5000000000u);
  EXPECT_EQ(a["output_octets"], 123456);
  EXPECT_EQ(a["input_packets"], 77);
  EXPECT_EQ(a["output_packets"], 88);
  EXPECT_TRUE(a["terminate_cause"].is_null());
  EXPECT_TRUE(a["pool"].is_null());
  EXPECT_EQ(a["class"], "ispbox:normal:home");
  const Json& b = r.body["items"][1];
  EXPECT_EQ(b["username"], "bob");
  EXPECT_TRUE(b["framed_ip"].is_null()) << "no Framed-IP-Address reported is null, not \"\"";
  EXPECT_EQ(b["class"], "");

  // The id from the list finds the same record.
  Reply one = call("GET", "/api/v1/sessions/" + a["id"].get<std::string>(), "", readonly_);
  ASSERT_EQ(one.status, 200) << one.raw;
  EXPECT_EQ(one.body, a);
  EXPECT_EQ(violations("Session", one.body), "");
  EXPECT_NE(a["id"], b["id"]);
}

TEST_F(AaaApi, SessionByBogusIdIsNotFound) {
  put(session("alice", "10.0.0.1", "s1"));
  // Not hex; odd length; hex of no session key; hex of a prefix of a real key; hex of the key of
  // a session that does not exist.
  for (const std::string& id : Strings{"doc-probe", "abc", "00ff", "31302e302e302e31",
                                       hex(store::sessionKey("10.0.0.1", "s2"))}) {
    SCOPED_TRACE(id);
    expectError(call("GET", "/api/v1/sessions/" + id), 404, "not_found");
  }
}

TEST_F(AaaApi, LiveSessionsFilterByUsernameAndNas) {
  put(session("alice", "10.0.0.1", "a1"));
  put(session("alice", "2001:db8::1", "a2"));
  put(session("bob", "10.0.0.1", "b1"));
  put(session("bob", "10.0.0.10", "b2")); // a NAS address that 10.0.0.1 is a prefix of
  close(put(session("alice", "10.0.0.3", "a3")), "User-Request", kNov21 + 60);

  auto ids = [&](const std::string& query) {
    Reply r = call("GET", "/api/v1/sessions?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.raw;
    EXPECT_EQ(violations("SessionPage", r.body), "");
    return r.status == 200 ? field(r.body["items"], "acct_session_id") : Strings{"error"};
  };
  EXPECT_EQ(ids("username=alice"), (Strings{"a1", "a2"})) << "the closed a3 is no longer live";
  EXPECT_EQ(ids("username=bob"), (Strings{"b1", "b2"}));
  EXPECT_EQ(ids("username=carol"), Strings{});
  EXPECT_EQ(ids("nas_ip=10.0.0.1"), (Strings{"a1", "b1"}));
  EXPECT_EQ(ids("nas_ip=10.0.0.10"), Strings{"b2"});
  EXPECT_EQ(ids("nas_ip=10.0.0.3"), Strings{}) << "closed sessions are not live";
  EXPECT_EQ(ids("nas_ip=10.9.9.9"), Strings{});
  // Any spelling of the address finds the canonical one.
  EXPECT_EQ(ids("nas_ip=2001:0DB8:0:0::1"), Strings{"a2"});
  EXPECT_EQ(ids("username=alice&nas_ip=10.0.0.1"), Strings{"a1"});
  EXPECT_EQ(ids("username=alice&nas_ip=10.0.0.10"), Strings{});

  expectError(call("GET", "/api/v1/sessions?nas_ip=router-1"), 400, "invalid_query", "nas_ip");
  expectError(call("GET", "/api/v1/sessions?limit=0"), 400, "invalid_query", "limit");
  expectError(call("GET", "/api/v1/sessions?cursor=xyz"), 400, "invalid_query", "cursor");
}

TEST_F(AaaApi, LiveSessionsPageAcrossMoreThanALimit) {
  std::vector<std::string> want;
  for (const char* nas : {"10.0.0.1", "10.0.0.2"}) {
    for (int i = 0; i < 4; ++i) {
      const std::string id = "s" + std::to_string(i);
      put(session(i % 2 ? "alice" : "bob", nas, id));
      want.push_back(std::string(nas) + "/" + id);
    }
  }
  // A closed session between live ones is skipped, not counted against the limit.
  close(put(session("alice", "10.0.0.1", "s1x")), "Lost-Carrier", kNov21 + 5);

  std::vector<std::string> got;
  std::vector<size_t> sizes;
  for (const Json& page : pages("/api/v1/sessions?limit=3", "SessionPage")) {
    sizes.push_back(page["items"].size());
    for (const auto& s : page["items"])
      got.push_back(s["nas_ip"].get<std::string>() + "/" + s["acct_session_id"].get<std::string>());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 2}));
  EXPECT_EQ(got, want) << "every live session once, in NAS and session id order";

  // Paging within one NAS stops at its last session, with no cursor to an empty page.
  got.clear();
  sizes.clear();
  for (const Json& page : pages("/api/v1/sessions?nas_ip=10.0.0.1&limit=2", "SessionPage")) {
    sizes.push_back(page["items"].size());
    for (const auto& s : page["items"])
      got.push_back(s["nas_ip"].get<std::string>() + "/" + s["acct_session_id"].get<std::string>());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2}));
  EXPECT_EQ(got, Strings(want.begin(), want.begin() + 4));
}

TEST_F(AaaApi, HistoryListsClosedSessionsNewestFirst) {
  pb::Session first = session("alice", "10.0.0.1", "a1");
  first.set_framed_ip("100.64.0.5");
  const std::string a1 = put(first);
  const std::string b1 = put(session("bob", "10.0.0.2", "b1"));
  const std::string a2 = put(session("alice", "10.0.0.2", "a2"));
  put(session("alice", "10.0.0.1", "a4"));
  close(a1, "User-Request", kNov21 + 600);
  close(b1, "Lost-Carrier", kNov21 + 1200);
  close(a2, "Session-Timeout", kNov21 + 1800);

  Reply r = call("GET", "/api/v1/sessions/history", "", readonly_);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(violations("SessionPage", r.body), "");
  EXPECT_EQ(field(r.body["items"], "acct_session_id"), (Strings{"a2", "b1", "a1"}));
  EXPECT_TRUE(r.body["next_cursor"].is_null());
  ASSERT_EQ(r.body["items"].size(), 3u);
  const Json& oldest = r.body["items"][2];
  EXPECT_EQ(oldest["state"], "closed");
  EXPECT_EQ(oldest["terminate_cause"], "User-Request");
  EXPECT_EQ(oldest["stopped_at"], "2026-11-21T12:10:00Z");
  EXPECT_EQ(oldest["framed_ip"], "100.64.0.5");
  EXPECT_EQ(r.body["items"][1]["terminate_cause"], "Lost-Carrier");

  // The history's id finds the closed record while it is kept.
  Reply one = call("GET", "/api/v1/sessions/" + oldest["id"].get<std::string>());
  ASSERT_EQ(one.status, 200) << one.raw;
  EXPECT_EQ(one.body["state"], "closed");
  EXPECT_EQ(one.body["terminate_cause"], "User-Request");

  // Closed sessions left the live list; the still-open one did not.
  Reply now = call("GET", "/api/v1/sessions");
  EXPECT_EQ(field(now.body["items"], "acct_session_id"), Strings{"a4"});

  auto ids = [&](const std::string& query) {
    Reply f = call("GET", "/api/v1/sessions/history?" + query);
    EXPECT_EQ(f.status, 200) << query << ": " << f.raw;
    return f.status == 200 ? field(f.body["items"], "acct_session_id") : Strings{"error"};
  };
  EXPECT_EQ(ids("username=alice"), (Strings{"a2", "a1"}));
  EXPECT_EQ(ids("nas_ip=10.0.0.2"), (Strings{"a2", "b1"}));
  EXPECT_EQ(ids("username=alice&nas_ip=10.0.0.1"), Strings{"a1"});
  EXPECT_EQ(ids("username=carol"), Strings{});

  // One at a time, newest first, the last page without a cursor.
  std::vector<std::string> paged;
  for (const Json& page : pages("/api/v1/sessions/history?limit=1", "SessionPage")) {
    EXPECT_EQ(page["items"].size(), 1u);
    for (const auto& s : page["items"])
      paged.push_back(s["acct_session_id"].get<std::string>());
  }
  EXPECT_EQ(paged, (Strings{"a2", "b1", "a1"}));

  // A cursor must be one the history gave: a sequence number, not a key.
  expectError(call("GET", "/api/v1/sessions/history?cursor=00"), 400, "invalid_query", "cursor");
  expectError(call("GET", "/api/v1/sessions/history?cursor=0000000000000000"), 400, "invalid_query",
              "cursor");
  expectError(call("GET", "/api/v1/sessions/history?nas_ip=x"), 400, "invalid_query", "nas_ip");
}

TEST_F(AaaApi, SubscriberSessionsAreItsLiveOnes) {
  makeSubscriber("carol");
  put(session("alice", "10.0.0.1", "a1"));
  put(session("alice", "10.0.0.2", "a2"));
  put(session("bob", "10.0.0.1", "b1"));
  close(put(session("alice", "10.0.0.3", "a3")), "Idle-Timeout", kNov21 + 10);

  Reply r = call("GET", "/api/v1/subscribers/alice/sessions", "", readonly_);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(violations("SessionList", r.body), "");
  EXPECT_EQ(field(r.body["items"], "acct_session_id"), (Strings{"a1", "a2"}));
  EXPECT_EQ(field(r.body["items"], "username"), (Strings{"alice", "alice"}));
  EXPECT_TRUE(r.body.contains("next_cursor") && r.body["next_cursor"].is_null());

  Reply none = call("GET", "/api/v1/subscribers/carol/sessions");
  ASSERT_EQ(none.status, 200) << none.raw;
  EXPECT_EQ(none.body["items"], Json::array());

  expectError(call("GET", "/api/v1/subscribers/nobody/sessions"), 404, "not_found");
}

// ---- usage ----

TEST_F(AaaApi, UsagePerDayAndPerMonth) {
  makeSubscriber("carol");
  {
    auto txn = env_->write();
    store::addUsage(txn, "alice", kNov21, 1000, 5000, 60);
    store::addUsage(txn, "alice", kNov21 + 3600, 500, 500, 30); // same day
    store::addUsage(txn, "alice", kNov22, 2000, 3000, 120);
    store::addUsage(txn, "alice", kDec01, 7, 8, 9);
    store::addUsage(txn, "bob", kNov21, 999999, 999999, 999);
    txn.commit();
  }
  // The labels are the local calendar days of the store (its TZ), written with dashes.
  const std::string nov21 = dashed(store::dayPeriod(kNov21));
  const std::string nov22 = dashed(store::dayPeriod(kNov22));
  const std::string dec01 = dashed(store::dayPeriod(kDec01));
  ASSERT_EQ(nov21, dashed(store::dayPeriod(kNov21 + 3600))) << "TZ puts 12:00 and 13:00 UTC apart";
  if (store::dayPeriod(kNov21) == "20261121") { // in any TZ within 11 hours of UTC
    EXPECT_EQ(nov21, "2026-11-21");
  }

  Reply day = call("GET", "/api/v1/subscribers/alice/usage", "", readonly_);
  ASSERT_EQ(day.status, 200) << day.raw;
  EXPECT_EQ(violations("UsageReport", day.body), "");
  EXPECT_EQ(day.body["username"], "alice");
  EXPECT_EQ(day.body["period"], "day");
  EXPECT_EQ(field(day.body["items"], "period"), (Strings{nov21, nov22, dec01}));
  ASSERT_EQ(day.body["items"].size(), 3u);
  const Json& first = day.body["items"][0];
  EXPECT_EQ(first["input_octets"], 1500);
  EXPECT_EQ(first["output_octets"], 5500);
  EXPECT_EQ(first["total_octets"], 7000);
  EXPECT_EQ(first["session_time_s"], 90);
  EXPECT_EQ(day.body["items"][2]["total_octets"], 15);

  EXPECT_EQ(call("GET", "/api/v1/subscribers/alice/usage?period=day").body, day.body);

  Reply month = call("GET", "/api/v1/subscribers/alice/usage?period=month");
  ASSERT_EQ(month.status, 200) << month.raw;
  EXPECT_EQ(violations("UsageReport", month.body), "");
  EXPECT_EQ(month.body["period"], "month");
  EXPECT_EQ(field(month.body["items"], "period"),
            (Strings{dashed(store::monthPeriod(kNov21)), dashed(store::monthPeriod(kDec01))}));
  ASSERT_EQ(month.body["items"].size(), 2u);
  EXPECT_EQ(month.body["items"][0]["input_octets"], 3500);
  EXPECT_EQ(month.body["items"][0]["output_octets"], 8500);
  EXPECT_EQ(month.body["items"][0]["total_octets"], 12000);
  EXPECT_EQ(month.body["items"][0]["session_time_s"], 210);
  EXPECT_EQ(month.body["items"][1]["session_time_s"], 9);

  Reply empty = call("GET", "/api/v1/subscribers/carol/usage?period=month");
  ASSERT_EQ(empty.status, 200) << empty.raw;
  EXPECT_EQ(empty.body["items"], Json::array());

  expectError(call("GET", "/api/v1/subscribers/alice/usage?period=week"), 400, "invalid_query",
              "period");
  expectError(call("GET", "/api/v1/subscribers/nobody/usage"), 404, "not_found");
}

// ---- post-auth ----

TEST_F(AaaApi, PostAuthLogNewestFirstWithFilters) {
  postAuth("alice", true, "", "normal", kNov21);
  postAuth("bob", false, "Data cap reached", "", kNov21 + 1);
  postAuth("alice", false, "Already online (1 of 1 sessions)", "", kNov21 + 2);
  postAuth("carol", true, "expired", "isolated", kNov21 + 3);

  Reply r = call("GET", "/api/v1/postauth", "", readonly_);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(violations("PostAuthPage", r.body), "");
  EXPECT_TRUE(r.body["next_cursor"].is_null());
  EXPECT_EQ(field(r.body["items"], "username"), (Strings{"carol", "alice", "bob", "alice"}));
  EXPECT_EQ(field(r.body["items"], "result"), (Strings{"accept", "reject", "reject", "accept"}));
  ASSERT_EQ(r.body["items"].size(), 4u);
  const Json& newest = r.body["items"][0];
  EXPECT_EQ(newest["at"], "2026-11-21T12:00:03Z");
  EXPECT_EQ(newest["nas_ip"], "10.0.0.1");
  EXPECT_EQ(newest["reason"], "expired");
  EXPECT_EQ(newest["profile"], "isolated");
  EXPECT_EQ(newest["calling_station_id"], "AA:BB:CC:00:00:03");
  EXPECT_EQ(r.body["items"][2]["reason"], "Data cap reached");
  EXPECT_GT(newest["seq"].get<uint64_t>(), r.body["items"][3]["seq"].get<uint64_t>());

  auto reasons = [&](const std::string& query) {
    Reply f = call("GET", "/api/v1/postauth?" + query);
    EXPECT_EQ(f.status, 200) << query << ": " << f.raw;
    return f.status == 200 ? field(f.body["items"], "reason") : Strings{"error"};
  };
  EXPECT_EQ(reasons("username=alice"), (Strings{"Already online (1 of 1 sessions)", ""}));
  EXPECT_EQ(reasons("result=reject"),
            (Strings{"Already online (1 of 1 sessions)", "Data cap reached"}));
  EXPECT_EQ(reasons("result=accept"), (Strings{"expired", ""}));
  EXPECT_EQ(reasons("username=alice&result=accept"), Strings{""});
  EXPECT_EQ(reasons("username=dave"), Strings{});

  std::vector<std::string> paged;
  for (const Json& page : pages("/api/v1/postauth?result=reject&limit=1", "PostAuthPage"))
    for (const auto& e : page["items"])
      paged.push_back(e["username"].get<std::string>());
  EXPECT_EQ(paged, (Strings{"alice", "bob"}));

  expectError(call("GET", "/api/v1/postauth?result=maybe"), 400, "invalid_query", "result");
  expectError(call("GET", "/api/v1/postauth?cursor=abc"), 400, "invalid_query", "cursor");
}

// ---- pools ----

TEST_F(AaaApi, PoolCreateGetListUpdateDelete) {
  Reply created = makePool(
      "pppoe",
      R"([{"first":"100.64.0.1","last":"100.64.0.10"},{"first":"100.64.1.0","last":"100.64.1.255"}])");
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(violations("Pool", created.body), "");
  EXPECT_EQ(created.body["name"], "pppoe");
  EXPECT_EQ(created.body["description"], "");
  EXPECT_EQ(created.body["size"], 266);
  EXPECT_EQ(created.body["leased"], 0);
  EXPECT_EQ(created.body["ranges"][1], (Json{{"first", "100.64.1.0"}, {"last", "100.64.1.255"}}));
  EXPECT_TRUE(created.body["created_at"].is_string());

  Reply got = call("GET", "/api/v1/pools/pppoe", "", readonly_);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body, created.body);

  expectError(makePool("pppoe", R"([{"first":"192.0.2.1","last":"192.0.2.2"}])"), 409, "conflict",
              "name");

  ASSERT_EQ(makePool("hotspot", R"([{"first":"10.10.0.0","last":"10.10.0.255"}])").status, 201);
  std::vector<std::string> names;
  for (const Json& page : pages("/api/v1/pools?limit=1", "PoolPage")) {
    EXPECT_EQ(page["items"].size(), 1u);
    for (const auto& p : page["items"])
      names.push_back(p["name"].get<std::string>());
  }
  EXPECT_EQ(names, (Strings{"hotspot", "pppoe"}));

  Reply patched =
      call("PATCH", "/api/v1/pools/pppoe", R"({"description":"PPPoE, POP 1"})", operator_);
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_EQ(patched.body["description"], "PPPoE, POP 1");
  EXPECT_EQ(patched.body["size"], 266);
  Reply grown = call("PATCH", "/api/v1/pools/pppoe",
                     R"({"name":"pppoe","ranges":[{"first":"100.64.0.1","last":"100.64.3.255"}]})");
  ASSERT_EQ(grown.status, 200) << grown.raw;
  EXPECT_EQ(grown.body["size"], 1023);
  EXPECT_EQ(grown.body["description"], "PPPoE, POP 1") << "an omitted field keeps its value";
  EXPECT_EQ(violations("Pool", grown.body), "");

  expectError(call("PATCH", "/api/v1/pools/pppoe", R"({"name":"other"})"), 422, "immutable_field",
              "name");
  expectError(call("PATCH", "/api/v1/pools/pppoe", R"({"ranges":null})"), 422, "wrong_type",
              "ranges");
  expectError(call("PATCH", "/api/v1/pools/nope", R"({"description":"x"})"), 404, "not_found");

  // Every change is in the audit log under entity "pool".
  Reply audit = call("GET", "/api/v1/audit?entity=pool&key=pppoe");
  ASSERT_EQ(audit.status, 200) << audit.raw;
  EXPECT_EQ(field(audit.body["items"], "action"), (Strings{"update", "update", "create"}));

  Reply deleted = call("DELETE", "/api/v1/pools/hotspot", "", operator_);
  EXPECT_EQ(deleted.status, 204) << deleted.raw;
  EXPECT_EQ(deleted.raw, "");
  expectError(call("GET", "/api/v1/pools/hotspot"), 404, "not_found");
  expectError(call("DELETE", "/api/v1/pools/hotspot"), 404, "not_found");
  Reply left = call("GET", "/api/v1/pools");
  EXPECT_EQ(field(left.body["items"], "name"), Strings{"pppoe"});
}

TEST_F(AaaApi, PoolRangesAreValidated) {
  ASSERT_EQ(makePool("pppoe", R"([{"first":"100.64.0.0","last":"100.64.0.255"}])").status, 201);

  // Another pool's addresses could be leased twice.
  Reply overlap = makePool("other", R"([{"first":"100.64.0.200","last":"100.64.1.10"}])");
  expectError(overlap, 409, "conflict");
  EXPECT_NE(overlap.body["error"].value("message", "").find("pppoe"), std::string::npos)
      << overlap.raw;
  ASSERT_EQ(makePool("other", R"([{"first":"100.64.1.0","last":"100.64.1.10"}])").status, 201);
  expectError(call("PATCH", "/api/v1/pools/other",
                   R"({"ranges":[{"first":"100.64.0.255","last":"100.64.1.10"}]})"),
              409, "conflict");

  expectError(
      makePool(
          "x",
          R"([{"first":"10.1.0.0","last":"10.1.0.9"},{"first":"10.1.0.9","last":"10.1.0.20"}])"),
      422, "invalid_value", "ranges[1].first");
  expectError(makePool("x", R"([{"first":"10.1.0.9","last":"10.1.0.1"}])"), 422, "invalid_value",
              "ranges[0].last");
  expectError(makePool("x", R"([{"first":"2001:db8::1","last":"2001:db8::ff"}])"), 422,
              "invalid_ip", "ranges[0].first");
  expectError(makePool("x", R"([{"first":"10.1.0.1","last":"10.1.0.256"}])"), 422, "invalid_ip",
              "ranges[0].last");
  expectError(makePool("x", R"([{"first":"10.1.0.1","last":"10.1.0.2","gw":"10.1.0.254"}])"), 422,
              "unknown_field", "ranges[0].gw");
  expectError(makePool("x", R"([{"first":"10.1.0.1"}])"), 422, "missing_field", "ranges[0].last");
  expectError(makePool("x", "[]"), 422, "invalid_value", "ranges");
  expectError(makePool("x", R"({"first":"10.1.0.1","last":"10.1.0.2"})"), 422, "wrong_type",
              "ranges");
  expectError(call("POST", "/api/v1/pools", R"({"name":"x"})"), 422, "missing_field", "ranges");
  expectError(makePool("bad name", R"([{"first":"10.1.0.1","last":"10.1.0.2"}])"), 422,
              "invalid_value", "name");
  // At most 2^20 addresses: a /12 fits, one more address does not.
  expectError(makePool("x", R"([{"first":"10.0.0.0","last":"10.16.0.0"}])"), 422, "invalid_value",
              "ranges");
  Reply big = makePool("big", R"([{"first":"10.0.0.0","last":"10.15.255.255"}])");
  ASSERT_EQ(big.status, 201) << big.raw;
  EXPECT_EQ(big.body["size"], 1048576);

  // Nothing was written by the failures.
  Reply all = call("GET", "/api/v1/pools");
  EXPECT_EQ(field(all.body["items"], "name"), (Strings{"big", "other", "pppoe"}));
  Reply other = call("GET", "/api/v1/pools/other");
  EXPECT_EQ(other.body["ranges"][0]["first"], "100.64.1.0");
}

TEST_F(AaaApi, LeasesConstrainShrinkingAPool) {
  ASSERT_EQ(makePool("pppoe", R"([{"first":"100.64.0.1","last":"100.64.0.10"}])").status, 201);
  const int64_t now = timeutil::nowSeconds();
  pb::Session s = session("alice", "10.0.0.1", "a1", now);
  const std::string key = store::sessionKey("10.0.0.1", "a1");
  const std::string alice_ip = lease("pppoe", "alice", now, 60, key);
  s.set_framed_ip(alice_ip);
  s.set_pool("pppoe");
  put(s);
  const std::string bob_ip = lease("pppoe", "bob", now, 300);           // offered, pending
  const std::string carol_ip = lease("pppoe", "carol", now - 1000, 10); // offer expired
  EXPECT_EQ(alice_ip, "100.64.0.1");
  EXPECT_EQ(bob_ip, "100.64.0.2");
  EXPECT_EQ(carol_ip, "100.64.0.3");

  Reply all = call("GET", "/api/v1/pools/pppoe/leases", "", readonly_);
  ASSERT_EQ(all.status, 200) << all.raw;
  EXPECT_EQ(violations("LeaseList", all.body), "");
  EXPECT_EQ(field(all.body["items"], "ip"), (Strings{alice_ip, bob_ip, carol_ip}));
  EXPECT_EQ(field(all.body["items"], "username"), (Strings{"alice", "bob", "carol"}));
  EXPECT_EQ(field(all.body["items"], "state"), (Strings{"active", "offered", "offered"}));
  ASSERT_EQ(all.body["items"].size(), 3u);
  EXPECT_EQ(all.body["items"][0]["live"], true);
  EXPECT_EQ(all.body["items"][1]["live"], true);
  EXPECT_EQ(all.body["items"][2]["live"], false);
  EXPECT_TRUE(all.body["next_cursor"].is_null());

  Reply live = call("GET", "/api/v1/pools/pppoe/leases?live=true");
  ASSERT_EQ(live.status, 200) << live.raw;
  EXPECT_EQ(field(live.body["items"], "ip"), (Strings{alice_ip, bob_ip}));
  EXPECT_EQ(call("GET", "/api/v1/pools/pppoe").body["leased"], 2);

  // The session shows the lease it holds.
  Reply sess = call("GET", "/api/v1/sessions?username=alice");
  ASSERT_EQ(sess.body["items"].size(), 1u) << sess.raw;
  EXPECT_EQ(sess.body["items"][0]["pool"], "pppoe");

  // Shrinking away from a live address is refused, for an active lease and a pending offer.
  expectError(call("PATCH", "/api/v1/pools/pppoe",
                   R"({"ranges":[{"first":"100.64.0.2","last":"100.64.0.10"}]})", operator_),
              409, "conflict", "ranges");
  expectError(call("PATCH", "/api/v1/pools/pppoe",
                   R"({"ranges":[{"first":"100.64.0.1","last":"100.64.0.1"},)"
                   R"({"first":"100.64.0.3","last":"100.64.0.10"}]})"),
              409, "conflict", "ranges");
  Reply same = call("GET", "/api/v1/pools/pppoe");
  EXPECT_EQ(same.body["size"], 10) << "a refused change writes nothing";
  // An expired offer does not hold its address.
  Reply shrunk = call("PATCH", "/api/v1/pools/pppoe",
                      R"({"ranges":[{"first":"100.64.0.1","last":"100.64.0.2"},)"
                      R"({"first":"100.64.0.4","last":"100.64.0.10"}]})");
  ASSERT_EQ(shrunk.status, 200) << shrunk.raw;
  EXPECT_EQ(shrunk.body["size"], 9);

  expectError(call("GET", "/api/v1/pools/nope/leases"), 404, "not_found");
}

TEST_F(AaaApi, PoolWithAnActiveLeaseCannotBeDeleted) {
  ASSERT_EQ(makePool("pppoe", R"([{"first":"100.64.0.1","last":"100.64.0.10"}])").status, 201);
  const int64_t now = timeutil::nowSeconds();
  pb::Session s = session("alice", "10.0.0.1", "a1", now);
  const std::string key = store::sessionKey("10.0.0.1", "a1");
  s.set_framed_ip(lease("pppoe", "alice", now, 60, key));
  s.set_pool("pppoe");
  put(s);

  expectError(call("DELETE", "/api/v1/pools/pppoe", "", operator_), 409, "conflict");
  EXPECT_EQ(call("GET", "/api/v1/pools/pppoe").status, 200);

  // Accounting-Stop releases the lease; the pool can go then, with its lease records.
  close(key, "User-Request", now + 1);
  Reply released = call("GET", "/api/v1/pools/pppoe/leases");
  ASSERT_EQ(released.body["items"].size(), 1u) << released.raw;
  EXPECT_EQ(released.body["items"][0]["state"], "released");
  EXPECT_EQ(released.body["items"][0]["live"], false);
  EXPECT_EQ(call("GET", "/api/v1/pools/pppoe").body["leased"], 0);

  Reply deleted = call("DELETE", "/api/v1/pools/pppoe", "", operator_);
  EXPECT_EQ(deleted.status, 204) << deleted.raw;
  expectError(call("GET", "/api/v1/pools/pppoe/leases"), 404, "not_found");
  // A pool of the same name starts without the old lease records.
  ASSERT_EQ(makePool("pppoe", R"([{"first":"100.64.0.1","last":"100.64.0.10"}])").status, 201);
  EXPECT_EQ(call("GET", "/api/v1/pools/pppoe/leases").body["items"], Json::array());
}

TEST_F(AaaApi, PoolWithAPendingOfferCannotBeDeleted) {
  // The Access-Accept carrying the address is already out: the Accounting-Start must still
  // find the lease.
  ASSERT_EQ(makePool("hotspot", R"([{"first":"100.66.0.1","last":"100.66.0.2"}])").status, 201);
  {
    auto txn = env_->write();
    ASSERT_TRUE(store::allocateLease(txn, "hotspot", "bob", timeutil::nowSeconds(), 60));
    txn.commit();
  }
  expectError(call("DELETE", "/api/v1/pools/hotspot", "", operator_), 409, "conflict");
  expectError(call("GET", "/api/v1/pools/hotspot/leases?live=yes"), 400, "invalid_query", "live");
  EXPECT_EQ(call("GET", "/api/v1/pools/hotspot/leases?live=true").body["items"].size(), 1u);
}

// ---- roles ----

TEST_F(AaaApi, RolesOnAaaResources) {
  ASSERT_EQ(makePool("pppoe", R"([{"first":"100.64.0.1","last":"100.64.0.10"}])").status, 201);
  for (const char* path :
       {"/api/v1/sessions", "/api/v1/sessions/history", "/api/v1/postauth", "/api/v1/pools",
        "/api/v1/pools/pppoe", "/api/v1/pools/pppoe/leases", "/api/v1/subscribers/alice/sessions",
        "/api/v1/subscribers/alice/usage"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(call("GET", path, "", readonly_).status, 200);
    expectError(call("GET", path, "", ""), 401, "unauthorized");
  }
  const std::string body = R"({"name":"ro","ranges":[{"first":"10.9.0.1","last":"10.9.0.2"}]})";
  expectError(call("POST", "/api/v1/pools", body, readonly_), 403, "forbidden");
  expectError(call("PATCH", "/api/v1/pools/pppoe", R"({"description":"x"})", readonly_), 403,
              "forbidden");
  expectError(call("DELETE", "/api/v1/pools/pppoe", "", readonly_), 403, "forbidden");
  // Nothing changed; the operator may do what readonly may not.
  EXPECT_EQ(call("GET", "/api/v1/pools/ro").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/pools/pppoe").body["description"], "");
  EXPECT_EQ(call("POST", "/api/v1/pools", body, operator_).status, 201);
  EXPECT_EQ(call("DELETE", "/api/v1/pools/ro", "", operator_).status, 204);
}

} // namespace
} // namespace ispbox::testutil
