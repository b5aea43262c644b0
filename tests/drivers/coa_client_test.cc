// SPDX-License-Identifier: GPL-2.0-or-later
// The CoA client against a UDP socket playing the NAS in the same process (our own seam): the
// per-NAS in-flight limit holds under a burst, retransmissions repeat the same packet with
// growing gaps, a forged reply does not end an exchange, and every request ends exactly once.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include <openssl/evp.h>

#include "drivers/radius/coa_client.h"

namespace ispbox::radius {
namespace {

using namespace std::chrono_literals;
using udp = asio::ip::udp;

constexpr const char* kSecret = "nas-secret";

// Answers a request as a NAS would (no Message-Authenticator in the reply).
std::string ackFor(const std::string& request, std::string_view secret) {
  std::string p(20, '\0');
  p[0] = static_cast<char>(request[0] == static_cast<char>(Code::CoaRequest) ? Code::CoaAck
                                                                             : Code::DisconnectAck);
  p[1] = request[1];
  p[3] = 20;
  std::string m = p;
  m.replace(4, 16, request.substr(4, 16));
  m += secret;
  unsigned char d[16];
  unsigned len = 0;
  EVP_Digest(m.data(), m.size(), d, &len, EVP_md5(), nullptr);
  p.replace(4, 16, reinterpret_cast<const char*>(d), 16);
  return p;
}

struct FakeNas {
  explicit FakeNas(asio::io_context& io)
      : socket(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)) {}
  udp::socket socket;
  std::array<char, 4096> buf{};
  udp::endpoint from;
  std::vector<std::string> got;
  std::function<void(const std::string&)> on_request;
  void receive() {
    socket.async_receive_from(asio::buffer(buf), from,
                              [this](boost::system::error_code ec, size_t n) {
                                if (ec) return;
                                got.emplace_back(buf.data(), n);
                                if (on_request) on_request(got.back());
                                receive();
                              });
  }
  void reply(const std::string& bytes) { socket.send_to(asio::buffer(bytes), from); }
};

CoaTarget targetOf(const FakeNas& nas) {
  return {"fake", nas.socket.local_endpoint(), kSecret, false};
}

TEST(CoaClient, InFlightLimitHoldsUnderABurst) {
  asio::io_context io;
  FakeNas nas(io);
  CoaClientOptions opt;
  opt.max_in_flight_per_nas = 4;
  opt.initial_timeout = 2000ms;
  CoaClient client(io, opt);
  // The NAS holds every request and answers them in batches, so the client always has as many
  // in flight as it allows itself.
  std::vector<std::pair<std::string, udp::endpoint>> held;
  size_t most_outstanding = 0;
  nas.on_request = [&](const std::string& req) {
    held.emplace_back(req, nas.from);
    most_outstanding = std::max(most_outstanding, held.size());
    if (held.size() == 4) {
      for (auto& [r, ep] : held)
        nas.socket.send_to(asio::buffer(ackFor(r, kSecret)), ep);
      held.clear();
    }
  };
  nas.receive();
  int acks = 0, done = 0;
  for (int i = 0; i < 100; ++i)
    client.send(targetOf(nas), Code::CoaRequest,
                {Attribute::string(attr::kUserName, "u" + std::to_string(i))},
                [&](const CoaResult& r) {
                  ++done;
                  acks += r.outcome == Outcome::Ack;
                  if (done == 100) io.stop();
                });
  io.run_for(10s);
  EXPECT_EQ(done, 100);
  EXPECT_EQ(acks, 100);
  EXPECT_EQ(most_outstanding, 4u);
  EXPECT_EQ(client.peakInFlight(), 4u);
  EXPECT_EQ(nas.got.size(), 100u) << "no retransmissions when answers come in time";
}

TEST(CoaClient, RetransmitsTheSamePacketThenTimesOut) {
  asio::io_context io;
  FakeNas nas(io);
  nas.receive();
  CoaClientOptions opt;
  opt.initial_timeout = 50ms;
  opt.max_timeout = 100ms;
  opt.max_attempts = 3;
  CoaClient client(io, opt);
  std::optional<CoaResult> result;
  const auto t0 = std::chrono::steady_clock::now();
  client.send(targetOf(nas), Code::DisconnectRequest, {Attribute::string(attr::kUserName, "x")},
              [&](const CoaResult& r) {
                result = r;
                io.stop();
              });
  io.run_for(5s);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, Outcome::Timeout);
  EXPECT_EQ(result->attempts, 3u);
  ASSERT_EQ(nas.got.size(), 3u);
  EXPECT_EQ(nas.got[0], nas.got[1]);
  EXPECT_EQ(nas.got[1], nas.got[2]);
  // 50 + 100 + 100 ms (doubling, capped): the backoff happened.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 240ms);
}

TEST(CoaClient, ForgedRepliesAreIgnoredAndTheGenuineOneCounts) {
  asio::io_context io;
  FakeNas nas(io);
  CoaClientOptions opt;
  opt.initial_timeout = 1000ms;
  CoaClient client(io, opt);
  nas.on_request = [&](const std::string& req) {
    nas.reply(ackFor(req, "wrong-secret"));    // forged: does not verify
    nas.reply(std::string("\x2c\x00\x00", 3)); // garbage
    nas.reply(ackFor(req, kSecret));           // genuine
  };
  nas.receive();
  std::optional<CoaResult> result;
  client.send(targetOf(nas), Code::CoaRequest, {Attribute::string(attr::kUserName, "y")},
              [&](const CoaResult& r) {
                result = r;
                io.stop();
              });
  io.run_for(5s);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, Outcome::Ack);
  EXPECT_EQ(result->attempts, 1u);
}

TEST(CoaClient, CancelEndsEverythingOnce) {
  asio::io_context io;
  FakeNas nas(io);
  nas.receive();
  CoaClientOptions opt;
  opt.max_in_flight_per_nas = 2;
  CoaClient client(io, opt);
  std::map<int, int> calls;
  for (int i = 0; i < 10; ++i)
    client.send(targetOf(nas), Code::CoaRequest, {Attribute::string(attr::kUserName, "z")},
                [&calls, i](const CoaResult& r) {
                  EXPECT_EQ(r.outcome, Outcome::Error);
                  ++calls[i];
                });
  io.run_for(100ms);
  EXPECT_EQ(client.inFlight(), 2u);
  EXPECT_EQ(client.queued(), 8u);
  client.cancelAll();
  EXPECT_EQ(calls.size(), 10u);
  for (auto& [i, n] : calls)
    EXPECT_EQ(n, 1) << i;
  EXPECT_EQ(client.inFlight() + client.queued(), 0u);
}

} // namespace
} // namespace ispbox::radius
