// SPDX-License-Identifier: GPL-2.0-or-later
// The binary API client against the simulator: both logins, tags, traps, !empty, streaming with
// /cancel, TLS with and without verification, slow, dropped and hostile routers, the request
// limit and the cache.
#include <atomic>
#include <condition_variable>

#include "tests/routeros/client_fixture.h"

namespace ispbox::routeros {
namespace {

using sim::SimOptions;
using sim::Simulator;

class ApiClientTest : public LoopFixture {};

TEST_F(ApiClientTest, LogsInAndPrintsOnlyTheNamedColumns) {
  Simulator s({});
  s.populate(20);
  auto c = api(optionsFor(s));
  Result r = run(*c, pppActivePrint());
  ASSERT_FALSE(r.error) << r.error.message;
  ASSERT_EQ(r.rows.size(), 20u);
  // The simulator has more columns (radius, limit-bytes-in, comment): .proplist kept them home.
  EXPECT_EQ(r.rows[0].count("radius"), 0u);
  EXPECT_EQ(r.rows[0].at("name"), "user0001");
  EXPECT_EQ(r.rows[0].at("address"), "10.64.0.1");
  EXPECT_TRUE(c->stats().connected);
  EXPECT_EQ(s.counters().logins, 1u);
}

TEST_F(ApiClientTest, FallsBackToTheChallengeLogin) {
  SimOptions o;
  o.legacy_login = true;
  Simulator s(o);
  s.populate(2);
  auto c = api(optionsFor(s));
  Result r = run(*c, resourcePrint());
  ASSERT_FALSE(r.error) << r.error.message;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].at("version"), "7.18.2 (stable)");
}

TEST_F(ApiClientTest, WrongPasswordIsAnAuthErrorInBothLoginStyles) {
  for (bool legacy : {false, true}) {
    SimOptions o;
    o.legacy_login = legacy;
    Simulator s(o);
    auto opts = optionsFor(s);
    opts.password = "wrong";
    auto c = api(opts);
    Result r = run(*c, resourcePrint());
    EXPECT_EQ(r.error.code, ErrorCode::Auth) << r.error.message;
    EXPECT_NE(r.error.message.find("invalid user name or password"), std::string::npos);
    EXPECT_EQ(s.counters().logins, 0u);
  }
}

TEST_F(ApiClientTest, RefusesAPrintWithoutProplist) {
  Simulator s({});
  auto c = api(optionsFor(s));
  Result r = run(*c, Command("/ppp/active/print"));
  EXPECT_EQ(r.error.code, ErrorCode::Invalid);
  EXPECT_EQ(s.counters().connections, 0u); // refused before anything was sent
}

TEST_F(ApiClientTest, ManyTaggedCommandsOnOneConnection) {
  SimOptions o;
  o.reply_delay = std::chrono::milliseconds(50); // answers overlap and arrive out of order
  Simulator s(o);
  s.populate(5);
  auto opts = optionsFor(s);
  opts.max_in_flight = 8;
  opts.cache_ttl = {};
  auto c = api(opts);
  std::vector<std::future<Result>> fs;
  std::vector<std::string> users;
  for (int i = 1; i <= 5; ++i) {
    users.push_back("user000" + std::to_string(i));
    fs.push_back(
        c->callAsync(Command("/ppp/active/print").props({"name"}).query("name", users.back())));
    fs.push_back(c->callAsync(interfacePrint().query("name", "ether" + std::to_string(i))));
  }
  for (size_t i = 0; i < fs.size(); ++i) {
    Result r = fs[i].get();
    ASSERT_FALSE(r.error) << r.error.message;
    ASSERT_EQ(r.rows.size(), 1u);
    if (i % 2 == 0)
      EXPECT_EQ(r.rows[0].at("name"), users[i / 2]);
    else
      EXPECT_EQ(r.rows[0].at("name"), "ether" + std::to_string(i / 2 + 1));
  }
  EXPECT_EQ(s.counters().connections, 1u);
}

TEST_F(ApiClientTest, TrapsAreErrorsAndTheConnectionCarriesOn) {
  Simulator s({});
  s.populate(1);
  auto c = api(optionsFor(s));
  Result r = run(*c, Command("/ppp/active/remove").arg(".id", "*FFFF"));
  EXPECT_EQ(r.error.code, ErrorCode::Trap);
  EXPECT_EQ(r.error.message, "no such item");
  Result bad = run(*c, Command("/no/such/menu/print").props({"name"}));
  EXPECT_EQ(bad.error.code, ErrorCode::Trap);
  Result ok = run(*c, resourcePrint());
  EXPECT_FALSE(ok.error) << ok.error.message;
  EXPECT_EQ(s.counters().connections, 1u);
}

TEST_F(ApiClientTest, EmptyReplyMeansNoRows) {
  SimOptions o;
  o.send_empty = true; // RouterOS 7.18+
  Simulator s(o);
  s.populate(2);
  auto c = api(optionsFor(s));
  Result r = run(*c, pppActivePrint().query("name", "nobody"));
  EXPECT_FALSE(r.error) << r.error.message;
  EXPECT_TRUE(r.rows.empty());
  Result next = run(*c, pppActivePrint());
  EXPECT_FALSE(next.error);
  EXPECT_EQ(next.rows.size(), 2u);
}

TEST_F(ApiClientTest, StreamsUntilCancelled) {
  SimOptions o;
  o.monitor_interval = std::chrono::milliseconds(20);
  Simulator s(o);
  s.populate(1);
  s.setRate("ether1", 111, 222);
  auto c = api(optionsFor(s));
  std::mutex m;
  std::condition_variable cv;
  std::vector<Row> rows;
  std::optional<Error> end;
  const uint64_t id = c->stream(
      Command("/interface/monitor-traffic").arg("interface", "ether1"),
      [&](const Row& r) {
        std::lock_guard l(m);
        rows.push_back(r);
        cv.notify_all();
      },
      [&](const Error& e) {
        std::lock_guard l(m);
        end = e;
        cv.notify_all();
      });
  {
    std::unique_lock l(m);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return rows.size() >= 3; }));
    EXPECT_EQ(rows[0].at("rx-bits-per-second"), "111");
    EXPECT_EQ(rows[0].at("tx-bits-per-second"), "222");
  }
  EXPECT_EQ(s.counters().active_streams, 1u);
  c->cancel(id);
  {
    std::unique_lock l(m);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return end.has_value(); }));
    EXPECT_FALSE(*end) << end->message; // "interrupted" after our /cancel is the normal end
  }
  EXPECT_EQ(s.counters().active_streams, 0u);
  // The connection is still good for commands.
  EXPECT_FALSE(run(*c, resourcePrint()).error);
}

TEST_F(ApiClientTest, StreamOfAnUnknownInterfaceEndsWithTheTrap) {
  Simulator s({});
  s.populate(1);
  auto c = api(optionsFor(s));
  std::promise<Error> ended;
  c->stream(
      Command("/interface/monitor-traffic").arg("interface", "nope"), [](const Row&) {},
      [&](const Error& e) { ended.set_value(e); });
  Error e = ended.get_future().get();
  EXPECT_EQ(e.code, ErrorCode::Trap);
}

TEST_F(ApiClientTest, TlsVerifiesTheRouterCertificate) {
  auto cert = sim::writeSelfSignedCert(dir_.path().string());
  SimOptions o;
  o.tls = true;
  o.cert_file = cert.cert;
  o.key_file = cert.key;
  Simulator s(o);
  s.populate(1);

  auto trusted = optionsFor(s);
  trusted.tls = true;
  trusted.ca_file = cert.cert;
  Result r = run(*api(trusted), resourcePrint());
  EXPECT_FALSE(r.error) << r.error.message;

  auto untrusted = optionsFor(s);
  untrusted.tls = true; // system trust store: does not know our test CA
  Result bad = run(*api(untrusted), resourcePrint());
  EXPECT_EQ(bad.error.code, ErrorCode::Tls) << bad.error.message;
  EXPECT_NE(bad.error.message.find("certificate"), std::string::npos) << bad.error.message;

  auto insecure = untrusted;
  insecure.insecure_skip_verify = true;
  Result ok = run(*api(insecure), resourcePrint());
  EXPECT_FALSE(ok.error) << ok.error.message;

  // A plain client against the TLS port does not hang: it times out or is cut off.
  auto plain = optionsFor(s);
  plain.connect_timeout = std::chrono::milliseconds(500);
  plain.request_timeout = std::chrono::milliseconds(1000);
  Result none = run(*api(plain), resourcePrint());
  EXPECT_TRUE(none.error);
}

TEST_F(ApiClientTest, DroppedMidSentenceFailsThenReconnects) {
  Simulator s({});
  s.populate(50);
  auto opts = optionsFor(s);
  opts.cache_ttl = {};
  auto c = api(opts);
  ASSERT_FALSE(run(*c, resourcePrint()).error);
  s.dropAfter(10); // the 11th sentence is cut in half
  Result r = run(*c, pppActivePrint());
  EXPECT_EQ(r.error.code, ErrorCode::Connection) << r.error.message << " rows " << r.rows.size();
  Result again = run(*c, pppActivePrint());
  ASSERT_FALSE(again.error) << again.error.message;
  EXPECT_EQ(again.rows.size(), 50u);
  EXPECT_EQ(s.counters().connections, 2u);
  EXPECT_GE(c->stats().connects, 2u);
}

TEST_F(ApiClientTest, RouterRebootEndsStreamsWithAnError) {
  SimOptions o;
  o.monitor_interval = std::chrono::milliseconds(20);
  Simulator s(o);
  s.populate(1);
  auto c = api(optionsFor(s));
  std::promise<Error> ended;
  std::atomic<int> rows{0};
  c->stream(
      Command("/interface/monitor-traffic").arg("interface", "ether1"), [&](const Row&) { ++rows; },
      [&](const Error& e) { ended.set_value(e); });
  for (int i = 0; i < 500 && rows == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  s.dropConnections();
  Error e = ended.get_future().get();
  EXPECT_EQ(e.code, ErrorCode::Connection) << e.message;
}

TEST_F(ApiClientTest, SlowRouterTimesOut) {
  SimOptions o;
  o.reply_delay = std::chrono::milliseconds(1500);
  Simulator s(o);
  auto opts = optionsFor(s);
  opts.request_timeout = std::chrono::milliseconds(200);
  opts.connect_timeout = std::chrono::milliseconds(5000);
  auto c = api(opts);
  Result r = run(*c, resourcePrint());
  EXPECT_EQ(r.error.code, ErrorCode::Timeout) << r.error.message;
}

TEST_F(ApiClientTest, UnreachableRouterFailsQuicklyAndBacksOff) {
  int port = 0;
  { port = Simulator({}).port(); } // nothing listens there once it is gone
  ClientOptions opts;
  opts.name = "gone";
  opts.host = "127.0.0.1";
  opts.port = static_cast<uint16_t>(port);
  opts.backoff_min = std::chrono::milliseconds(20);
  auto c = api(opts);
  Result r = run(*c, resourcePrint());
  EXPECT_EQ(r.error.code, ErrorCode::Connection) << r.error.message;
  Result again = run(*c, resourcePrint());
  EXPECT_TRUE(again.error);
  EXPECT_GE(c->stats().connect_failures, 1u);
  EXPECT_FALSE(c->stats().last_error.empty());
}

TEST_F(ApiClientTest, RequestLimitQueuesThenRefuses) {
  SimOptions o;
  o.reply_delay = std::chrono::milliseconds(100);
  Simulator s(o);
  s.populate(3);
  auto opts = optionsFor(s);
  opts.max_in_flight = 1;
  opts.max_queued = 3;
  opts.cache_ttl = {};
  auto c = api(opts);
  std::vector<std::future<Result>> fs;
  for (int i = 0; i < 10; ++i)
    // Distinct prints: identical ones would join the first instead of queueing.
    fs.push_back(c->callAsync(
        Command("/ppp/active/print").props({"name"}).query("name", "user" + std::to_string(i))));
  int ok = 0, busy = 0;
  for (auto& f : fs) {
    Result r = f.get();
    if (!r.error) ++ok;
    if (r.error.code == ErrorCode::Busy) ++busy;
  }
  EXPECT_EQ(ok + busy, 10);
  EXPECT_GE(busy, 6); // one in flight and three queued at most, when all ten arrive together
  EXPECT_LE(s.counters().requests, 4u);
}

TEST_F(ApiClientTest, CacheAndJoinSpareTheRouter) {
  Simulator s({});
  s.populate(10);
  auto opts = optionsFor(s);
  opts.cache_ttl = std::chrono::milliseconds(300);
  auto c = api(opts);
  std::vector<std::future<Result>> fs;
  for (int i = 0; i < 5; ++i)
    fs.push_back(c->callAsync(pppActivePrint()));
  for (auto& f : fs)
    EXPECT_EQ(f.get().rows.size(), 10u);
  EXPECT_EQ(s.counters().requests, 1u); // five identical prints, one request
  EXPECT_TRUE(run(*c, pppActivePrint()).cached);
  EXPECT_EQ(s.counters().requests, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_FALSE(run(*c, pppActivePrint()).cached);
  EXPECT_EQ(s.counters().requests, 2u);
  // A change empties the cache.
  run(*c, Command("/ppp/active/remove").arg(".id", s.rows("/ppp/active")[0].at(".id")));
  EXPECT_EQ(run(*c, pppActivePrint()).rows.size(), 9u);
}

TEST_F(ApiClientTest, ValuesAreConvertedFromCp1252) {
  Simulator s({});
  s.add("/interface", {{"name", "ether1"}, {"comment", "caf\xE9 \x80"}});
  auto c = api(optionsFor(s));
  Result r = run(*c, interfacePrint());
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].at("comment"), "caf\xC3\xA9 \xE2\x82\xAC");
  // And back: the router gets CP1252 bytes, not UTF-8.
  ASSERT_FALSE(
      run(*c,
          Command("/interface/set").arg(".id", r.rows[0].at(".id")).arg("comment", "na\xC3\xAFve"))
          .error);
  EXPECT_EQ(s.rows("/interface")[0].at("comment"), "na\xEFve");
  Result bad =
      run(*c, Command("/interface/set").arg(".id", r.rows[0].at(".id")).arg("comment", "\xD0\x96"));
  EXPECT_EQ(bad.error.code, ErrorCode::Invalid);
}

TEST_F(ApiClientTest, RemovesSessionsAndManagesQueuesAndAddressLists) {
  Simulator s({});
  s.populate(5, 2);
  auto c = api(optionsFor(s));
  auto [e, n] = removeSync(*c, {"user0003", "", SessionKind::Any});
  EXPECT_FALSE(e) << e.message;
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(s.rows("/ppp/active").size(), 4u);
  auto [e2, n2] = removeSync(*c, {"hs2", "", SessionKind::Any});
  EXPECT_FALSE(e2);
  EXPECT_EQ(n2, 1u);
  EXPECT_EQ(s.rows("/ip/hotspot/active").size(), 1u);
  auto [e3, n3] = removeSync(*c, {"nobody", "", SessionKind::Ppp});
  EXPECT_FALSE(e3);
  EXPECT_EQ(n3, 0u);

  EXPECT_FALSE(doneSync([&](DoneHandler h) {
    setQueueMaxLimit(*c, "static-alice", "192.0.2.10/32", "5000000/20000000", h);
  }));
  EXPECT_FALSE(doneSync([&](DoneHandler h) {
    setQueueMaxLimit(*c, "static-alice", "192.0.2.10/32", "10000000/40000000", h);
  }));
  int found = 0;
  for (const auto& q : s.rows("/queue/simple"))
    if (q.at("name") == "static-alice") {
      ++found;
      EXPECT_EQ(q.at("max-limit"), "10000000/40000000");
    }
  EXPECT_EQ(found, 1);

  for (int i = 0; i < 2; ++i)
    EXPECT_FALSE(
        doneSync([&](DoneHandler h) { addressListAdd(*c, "isolir", "192.0.2.10", "alice", h); }));
  EXPECT_EQ(s.rows("/ip/firewall/address-list").size(), 1u);
  EXPECT_FALSE(doneSync([&](DoneHandler h) { addressListRemove(*c, "isolir", "192.0.2.10", h); }));
  EXPECT_TRUE(s.rows("/ip/firewall/address-list").empty());
}

// A "router" that answers the login with bytes no RouterOS sends.
class HostileRouter {
public:
  explicit HostileRouter(std::string reply) : reply_(std::move(reply)) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      boost::system::error_code ec;
      auto sock = acceptor_.accept(ec);
      if (ec) return;
      char buf[512];
      sock.read_some(asio::buffer(buf), ec);
      asio::write(sock, asio::buffer(reply_), ec);
      sock.read_some(asio::buffer(buf), ec); // until the client hangs up
    });
  }
  ~HostileRouter() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  int port() const { return port_; }

private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::string reply_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(ApiClientTest, HostileBytesAreAProtocolErrorNotACrash) {
  for (const std::string& reply :
       {std::string("\xF8garbage", 8), std::string("\xF0\x7F\xFF\xFF\xFF", 5),
        encodeSentence({"!done", ".tag=1"}) + std::string("\xFF", 1),
        encodeSentence({"!fatal", "not allowed"})}) {
    HostileRouter h(reply);
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = static_cast<uint16_t>(h.port());
    o.request_timeout = std::chrono::milliseconds(3000);
    o.backoff_min = std::chrono::milliseconds(5000); // one connection per hostile router
    auto c = api(o);
    Result r = run(*c, resourcePrint());
    EXPECT_TRUE(r.error.code == ErrorCode::Protocol || r.error.code == ErrorCode::Fatal)
        << errorCodeName(r.error.code) << ": " << r.error.message;
    c->close();
  }
}

} // namespace
} // namespace ispbox::routeros
