// SPDX-License-Identifier: GPL-2.0-or-later
// A client for one MikroTik router, over the binary API (8728, API-SSL 8729) or the v7 REST API
// (/rest over HTTPS), with the same interface either way. Everything runs on one Asio executor:
// public methods may be called from any thread (they post), handlers run on the executor.
//
// What sits in front of both transports (so a router's CPU is not spent on us):
//  * a print must name its columns (.proplist): one without is refused locally;
//  * identical prints in flight are joined, and answers are kept for a short time (cache_ttl);
//  * at most max_in_flight requests at once and rate_per_s on average (a token bucket), with a
//    bounded queue behind them: past it, requests fail at once as Busy instead of piling up;
//  * one connection per router, opened on demand and reopened with exponential backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/asio.h"
#include "drivers/routeros/charset.h"
#include "drivers/routeros/codec.h"

namespace ispbox::routeros {

// Column name -> value, values in UTF-8 (converted from the router's charset).
using Row = std::map<std::string, std::string>;

enum class ErrorCode {
  None,
  Trap,       // the router refused the command (!trap, or an HTTP 4xx from REST)
  Fatal,      // the router closed the session (!fatal)
  Connection, // cannot reach the router, or the connection dropped
  Timeout,    // no answer in time
  Auth,       // login refused
  Tls,        // handshake or certificate verification failed
  Busy,       // this router's request queue is full
  Protocol,   // the router sent something that is not the RouterOS protocol
  Invalid,    // the command is not one we send (a print without .proplist, unmappable text)
  Closed,     // the client was closed
};
std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::None;
  std::string message;
  int category = -1; // !trap's category when it had one
  explicit operator bool() const { return code != ErrorCode::None; }
};

struct Command {
  std::string path; // "/ppp/active/print", "/ppp/active/remove", ...
  std::vector<std::pair<std::string, std::string>> args;  // =name=value
  std::vector<std::string> proplist;                      // =.proplist=a,b (prints)
  std::vector<std::pair<std::string, std::string>> where; // ?name=value, all must hold

  Command() = default;
  explicit Command(std::string p) : path(std::move(p)) {}
  Command& arg(std::string name, std::string value) {
    args.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Command& props(std::vector<std::string> names) {
    proplist = std::move(names);
    return *this;
  }
  Command& query(std::string name, std::string value) {
    where.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  bool isPrint() const;
  // The menu ("/ppp/active") and the verb ("print").
  std::string menu() const;
  std::string verb() const;
  std::string key() const; // identifies a print for the cache
};

struct Result {
  Error error;
  std::vector<Row> rows;
  Row done;            // attributes of !done (=ret=)
  bool cached = false; // answered from the cache or joined to an identical request
};

using ResultHandler = std::function<void(Result)>;
using RowHandler = std::function<void(const Row&)>;
using EndHandler = std::function<void(const Error&)>;

struct ClientOptions {
  std::string name; // for logs: the NAS name
  std::string host;
  uint16_t port = 0; // 0 = 8728, 8729 with TLS; REST: 443, 80 without TLS
  std::string username;
  std::string password;
  bool tls = false;
  // Accept any certificate (and anonymous DH, which routers without a certificate use). Logged as
  // a warning on every connect.
  bool insecure_skip_verify = false;
  std::string ca_file; // PEM trust anchors; empty = the system's
  Charset charset = Charset::Cp1252;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds backoff_min{500};
  std::chrono::milliseconds backoff_max{30000};
  unsigned max_in_flight = 4;
  size_t max_queued = 512;
  double rate_per_s = 50;                    // token bucket refill
  double burst = 50;                         // token bucket size
  std::chrono::milliseconds cache_ttl{3000}; // 0 = no cache
  // REST has no streaming: monitor-traffic is polled with =once= at this interval.
  std::chrono::milliseconds rest_poll_interval{1000};
  DecoderLimits limits;
};

struct ClientStats {
  uint64_t requests = 0;   // handed to the transport
  uint64_t cache_hits = 0; // answered from the cache
  uint64_t joined = 0;     // joined to an identical print in flight
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t connects = 0;
  uint64_t connect_failures = 0;
  bool connected = false;
  std::string last_error;
};

class Client : public std::enable_shared_from_this<Client> {
public:
  Client(asio::io_context& io, ClientOptions options);
  virtual ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void call(Command cmd, ResultHandler handler);
  // For threads other than the executor's (the API's workers). Never wait on it from the
  // executor's own thread: the answer needs that thread.
  std::future<Result> callAsync(Command cmd);
  // Streams !re rows of a command that runs until cancelled (monitor-traffic, listen). on_end is
  // called once: with no error after cancel(), or with the reason it stopped.
  uint64_t stream(Command cmd, RowHandler on_row, EndHandler on_end);
  void cancel(uint64_t stream_id);
  // Fails everything pending with Closed and drops the connection. Idempotent.
  void close();

  ClientStats stats() const;
  const ClientOptions& options() const { return options_; }
  asio::io_context& io() { return io_; }
  virtual std::string_view transportName() const = 0;

protected:
  // The transport's part, always called on the executor. start() must call done exactly once.
  virtual void start(Command cmd, ResultHandler done) = 0;
  virtual void startStream(uint64_t id, Command cmd, RowHandler on_row, EndHandler on_end) = 0;
  virtual void stopStream(uint64_t id) = 0;
  virtual void shutdown() = 0;

  void noteSent(size_t n) { bytes_sent_ += n; }
  void noteReceived(size_t n) { bytes_received_ += n; }
  void noteConnected(bool up);
  void noteConnectFailure(const std::string& why);
  void noteError(const std::string& why);
  // The next backoff delay (doubling, capped, with jitter); resetBackoff() after a success.
  std::chrono::milliseconds nextBackoff();
  void resetBackoff() { backoff_ = {}; }

  asio::io_context& io_;
  ClientOptions options_;
  bool closed_ = false;

private:
  struct Queued {
    Command cmd;
    std::string key; // non-empty for cacheable prints
    std::chrono::steady_clock::time_point deadline;
  };
  struct CacheEntry {
    std::chrono::steady_clock::time_point at;
    Result result;
  };
  void enqueue(Command cmd, ResultHandler handler);
  void pump();
  void finish(const std::string& key, ResultHandler handler, Result r);

  std::deque<std::pair<Queued, ResultHandler>> queue_;
  std::map<std::string, std::vector<ResultHandler>> joined_; // cache key -> waiters
  std::map<std::string, CacheEntry> cache_;
  unsigned in_flight_ = 0;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_;
  asio::steady_timer pump_timer_;
  bool pump_scheduled_ = false;
  std::chrono::milliseconds backoff_{0};

  std::atomic<uint64_t> requests_{0}, cache_hits_{0}, joined_count_{0}, bytes_sent_{0},
      bytes_received_{0}, connects_{0}, connect_failures_{0};
  std::atomic<bool> connected_{false};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

// The binary API (plain or API-SSL).
std::shared_ptr<Client> makeApiClient(asio::io_context& io, ClientOptions options);
// The v7 REST API (HTTPS, or HTTP when tls is off), Basic auth, through cpp-httplib.
std::shared_ptr<Client> makeRestClient(asio::io_context& io, ClientOptions options);

} // namespace ispbox::routeros
