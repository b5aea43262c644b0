// SPDX-License-Identifier: GPL-2.0-or-later
// A RouterOS simulator for tests and benchmarks: the binary API (plain or API-SSL) or the v7 REST
// API over HTTP(S), serving PPP active sessions, hotspot active users, interfaces, simple queues,
// firewall address lists and system resources from tables the test fills.
//
// It behaves as RouterOS does where our client depends on it: login in one step (6.43+) or by MD5
// challenge (older), tagged commands answered in any order, !re/!done/!trap/!fatal, !empty for a
// print with no rows (7.18+, optional), .proplist and ?name=value queries on prints,
// /interface/monitor-traffic streamed until /cancel (answered with !trap category 2), /quit. It can
// also misbehave on purpose: answer slowly, or cut the connection in the middle of a sentence.
// python3-librouteros checks it independently (tests/routeros/librouteros_check.py).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ispbox::routeros::sim {

using SimRow = std::map<std::string, std::string>;

struct SimOptions {
  std::string username = "admin";
  std::string password = "secret";
  bool legacy_login = false; // pre-6.43: only the MD5 challenge login
  bool send_empty = false;   // RouterOS 7.18+: "!empty" for a print without rows
  bool rest = false;         // serve /rest over HTTP(S) instead of the binary API
  bool tls = false;          // API-SSL / HTTPS with the certificate below
  std::string cert_file, key_file;
  std::chrono::milliseconds reply_delay{0};         // a slow router: each reply waits this long
  std::chrono::milliseconds monitor_interval{1000}; // monitor-traffic sample interval
  // After this many reply sentences in total, the next one is cut in half and the connection
  // closed (-1 = never).
  long drop_after_sentences = -1;
};

struct SimCounters {
  uint64_t connections = 0;
  uint64_t logins = 0;
  uint64_t requests = 0; // command sentences (API) or HTTP requests (REST), logins excluded
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t active_streams = 0;
};

class Simulator {
public:
  explicit Simulator(SimOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  int port() const;
  SimCounters counters() const;
  void resetCounters();

  // Tables by menu path ("/ppp/active"). add() returns the new ".id" ("*1A").
  std::string add(const std::string& menu, SimRow row);
  std::vector<SimRow> rows(const std::string& menu) const;
  bool remove(const std::string& menu, const std::string& id);
  void clear(const std::string& menu);
  // The rate monitor-traffic reports for an interface.
  void setRate(const std::string& interface, uint64_t rx_bps, uint64_t tx_bps);
  // Closes every open connection now (a router reboot).
  void dropConnections();
  // Cut the next reply sentence in half and close, after n more sentences (-1 = never).
  void dropAfter(long n);

  // Fills the tables with n PPP sessions (user0001...), their interfaces and dynamic queues, a few
  // hotspot users, physical interfaces and the system resource: the data the tests and the
  // benchmark read.
  void populate(size_t ppp_sessions, size_t hotspot_users = 3);

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

// Writes a self-signed certificate for 127.0.0.1 (and "localhost") and its key as PEM files.
struct CertFiles {
  std::string cert, key;
};
CertFiles writeSelfSignedCert(const std::string& dir);

} // namespace ispbox::routeros::sim
