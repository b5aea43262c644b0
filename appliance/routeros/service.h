// SPDX-License-Identifier: GPL-2.0-or-later
// ispboxd's RouterOS features on top of drivers/routeros: one client per NAS (built from the NAS
// record, rebuilt when its access settings change), reads for the admin API, reconciliation of
// router sessions with the RADIUS session table, live traffic monitors, static-IP subscribers
// without RADIUS kept in line with their plan and status, and interface groups sampled on a
// schedule.
//
// Threads: the service's own work (clients, timers, monitors) runs on the daemon's Asio loop. The
// API's worker threads call the blocking methods below, which post to the loop and wait; never
// call them from the loop itself.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/asio.h"
#include "drivers/routeros/client.h"
#include "drivers/routeros/operations.h"
#include "store/codec.h"
#include "store/env.h"

namespace ispbox::routeros {

struct ServiceOptions {
  std::string ca_file; // trust anchors for API-SSL/HTTPS routers; empty = the system's
  unsigned request_timeout_ms = 10000;
  unsigned cache_ttl_ms = 3000;
  unsigned max_in_flight = 4;
  double rate_per_s = 50;
  unsigned max_monitors = 50;
  unsigned monitor_idle_s = 120;       // a monitor nobody has watched for this long stops
  unsigned group_sample_s = 60;        // interface group sampling interval; 0 = off
  unsigned group_history_keep = 10080; // samples kept per group (a week at one a minute)
  unsigned static_sync_s = 300;        // full static-subscriber check; 0 = only on changes
  unsigned change_poll_ms = 2000;      // how often the change log is read for static subscribers
  std::string default_isolation_list = "isolir";
};

// An error for the API to show: HTTP status, a stable code, a message.
class ServiceError : public std::runtime_error {
public:
  ServiceError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

private:
  int status_;
  std::string code_;
};

struct MonitorSample {
  uint64_t seq = 0; // 0 = none yet
  int64_t at_ms = 0;
  uint64_t rx_bps = 0; // from the router's point of view: rx = the subscriber's upload
  uint64_t tx_bps = 0;
};

// A live traffic monitor on one subscriber's interface. Shared by the loop (which feeds it) and
// the SSE writers (which wait on it).
class Monitor {
public:
  std::string id, username, full_name, plan, nas, interface;
  int64_t started_at = 0;

  // Waits for a sample newer than after_seq; false on timeout. *ended tells the monitor stopped.
  bool waitNext(uint64_t after_seq, std::chrono::milliseconds timeout, MonitorSample* out,
                bool* ended, std::string* reason);
  MonitorSample last() const;
  bool ended(std::string* reason = nullptr) const;
  unsigned clients() const;
  void addClient();
  void removeClient();

  // The loop's side.
  void push(uint64_t rx, uint64_t tx);
  void end(std::string reason);
  int64_t idleSinceMs() const;

private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  MonitorSample last_;
  bool ended_ = false;
  std::string reason_;
  unsigned clients_ = 0;
  int64_t idle_since_ms_ = 0;
  friend class Service;
  uint64_t stream_id_ = 0;
  std::shared_ptr<Client> client_;
};

struct SessionEntry {
  std::string kind; // "ppp", "hotspot", "radius"
  std::string username;
  std::string address;
  std::string caller_id;
  std::string router_id;   // .id on the router
  std::string session_key; // RADIUS session key (store)
  std::string uptime;
};
struct Reconciliation {
  std::vector<SessionEntry> router_only; // on the router, unknown to RADIUS
  std::vector<SessionEntry> radius_only; // live in our table, not on the router
  size_t matched = 0;
};

struct StaticStatus {
  int64_t at = 0;
  std::string error; // empty = in line
  std::string queue, max_limit, address_list;
  bool isolated = false;
};

class Service {
public:
  Service(asio::io_context& io, store::Env& env, ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Timers: change-log follower, static sync, group sampling, monitor upkeep.
  void start();
  // Stops timers and monitors, closes clients.
  void stop();
  const ServiceOptions& options() const { return options_; }

  // The client of a NAS (404 no such NAS, 409 no RouterOS access configured).
  std::shared_ptr<Client> client(const std::string& nas_name);
  // Runs a command and waits (router failures become ServiceError 502/504).
  Result run(const std::string& nas_name, Command cmd);

  Reconciliation reconcile(const std::string& nas_name);
  // Closes what reconcile() lists: router-only sessions are removed from the router, RADIUS-only
  // sessions closed in our table (cause "reconcile"). Returns {removed, closed}.
  std::pair<size_t, size_t> closeUnmatched(const std::string& nas_name, bool router_only,
                                           bool radius_only, const std::string& actor);
  // Removes a subscriber's live session(s) from the router.
  size_t removeSession(const std::string& nas_name, const std::string& username, SessionKind kind);

  // ---- live traffic monitors ----
  std::shared_ptr<Monitor> startMonitor(const std::string& username, bool* created);
  std::shared_ptr<Monitor> findMonitor(const std::string& id) const;
  std::vector<std::shared_ptr<Monitor>> monitors() const;
  bool stopMonitor(const std::string& id);

  // ---- static-IP subscribers ----
  // Brings the router in line with the subscriber now and reports the result.
  StaticStatus syncStatic(const std::string& username);
  std::optional<StaticStatus> staticStatus(const std::string& username) const;

  // ---- interface groups ----
  store::pb::RateSample sampleGroup(const std::string& name);

private:
  struct ClientEntry {
    std::string fingerprint;
    std::shared_ptr<Client> client;
  };
  void schedule(asio::steady_timer& timer, std::chrono::milliseconds every,
                std::function<void()> work);
  void followChanges();
  void syncAllStatic();
  void syncStaticAsync(const store::pb::Subscriber& sub, std::function<void(StaticStatus)> done);
  void sampleAllGroups();
  void sampleGroupAsync(const store::pb::InterfaceGroup& group,
                        std::function<void(store::pb::RateSample)> done);
  void reapMonitors();
  template <class T> T wait(std::future<T> f, const char* what);

  asio::io_context& io_;
  store::Env& env_;
  ServiceOptions options_;
  mutable std::mutex mu_; // clients_, monitors_, static_status_
  std::map<std::string, ClientEntry> clients_;
  std::map<std::string, std::shared_ptr<Monitor>> monitors_;
  std::map<std::string, StaticStatus> static_status_;
  uint64_t change_seq_ = 0;
  bool stopped_ = false;
  asio::steady_timer change_timer_, static_timer_, group_timer_, reap_timer_;
};

} // namespace ispbox::routeros
