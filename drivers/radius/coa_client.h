// SPDX-License-Identifier: GPL-2.0-or-later
// Sends CoA-Request and Disconnect-Request packets (RFC 5176) to NAS routers on the Asio loop:
// one UDP socket, identifiers per NAS, retransmission of the same packet with doubling timeouts,
// a final timeout, and a limit on requests in flight per NAS (the rest wait in a queue, so a mass
// change never floods a router). Every reply is verified (authenticator, Message-Authenticator)
// before it counts. All member functions run on the io_context's thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"
#include "drivers/radius/packet.h"

namespace ispbox::radius {

struct CoaTarget {
  std::string name; // for logs
  asio::ip::udp::endpoint endpoint;
  std::string secret;
  bool require_message_authenticator = false; // in its replies
};

enum class Outcome { Ack, Nak, Timeout, Error };
std::string_view outcomeName(Outcome o); // "ack", "nak", "timeout", "error"

struct CoaResult {
  Outcome outcome = Outcome::Error;
  Code reply_code = Code::CoaNak;       // valid for Ack and Nak
  uint32_t error_cause = 0;             // Error-Cause of a NAK (0 = none sent)
  std::string detail;                   // why, for Error; the Reply-Message of a NAK if any
  unsigned attempts = 0;                // transmissions, first included
  std::chrono::microseconds latency{0}; // first transmission to the verified reply (or timeout)
  std::chrono::microseconds queued{0};  // time spent waiting for an in-flight slot
};

struct CoaClientOptions {
  unsigned max_in_flight_per_nas = 32; // at most 255: identifiers are per NAS
  std::chrono::milliseconds initial_timeout{1000};
  std::chrono::milliseconds max_timeout{4000}; // the doubling stops here
  unsigned max_attempts = 3;                   // first transmission plus retransmissions
  std::string source_address = "0.0.0.0";      // the NAS may check where CoA comes from
};

class CoaClient {
public:
  using Done = std::function<void(const CoaResult&)>;

  // Opens and binds the socket; throws boost::system::system_error when it cannot.
  CoaClient(asio::io_context& io, CoaClientOptions options);
  ~CoaClient();
  CoaClient(const CoaClient&) = delete;
  CoaClient& operator=(const CoaClient&) = delete;

  // Queues a request; `done` is called exactly once, on the loop, with the outcome.
  void send(const CoaTarget& target, Code code, std::vector<Attribute> attrs, Done done);
  // Completes everything pending with Outcome::Error ("shutting down").
  void cancelAll();

  size_t inFlight() const;
  size_t queued() const;
  // The most requests that were ever in flight at once to one NAS (for tests and benchmarks).
  unsigned peakInFlight() const { return peak_in_flight_; }
  uint16_t localPort() const { return socket_.local_endpoint().port(); }
  const CoaClientOptions& options() const { return options_; }

private:
  struct Pending;
  struct Peer {
    std::deque<std::shared_ptr<Pending>> queue;
    std::array<std::shared_ptr<Pending>, 256> by_id{};
    unsigned in_flight = 0;
    uint8_t next_id = 0;
  };

  void pump(Peer& peer);
  void transmit(const std::shared_ptr<Pending>& p);
  void arm(const std::shared_ptr<Pending>& p);
  void finish(const std::shared_ptr<Pending>& p, CoaResult result);
  void receive();
  void onDatagram(size_t n);

  asio::io_context& io_;
  CoaClientOptions options_;
  asio::ip::udp::socket socket_;
  std::map<asio::ip::udp::endpoint, Peer> peers_;
  std::array<char, kMaxPacketSize + 1> rx_{};
  asio::ip::udp::endpoint rx_from_;
  unsigned peak_in_flight_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace ispbox::radius
