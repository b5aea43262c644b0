// SPDX-License-Identifier: GPL-2.0-or-later
// ispboxd's OLT poller: one worker per OLT in the store, each polling four data classes on their
// own schedules (inventory slow, state fast, optics every N minutes, traffic in between) through an
// asynchronous SNMP session on the daemon's Asio loop. Store writes run on a writer thread so a big
// OLT's merge never stalls the loop. OLTs added, changed or removed through the API are picked up
// by a periodic reload of the OLT table.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "appliance/api/resources/olt_writes.h"
#include "common/asio.h"
#include "drivers/olt/driver.h"
#include "drivers/snmp/snmp.h"
#include "store/env.h"

namespace ispbox::appliance {

struct OltPollerOptions {
  bool enabled = true;
  unsigned inventory_s = 3600; // names, serials, types, bandwidth, unconfigured ONUs
  unsigned state_s = 60;       // ONU phase, distance, ports, cards, fans, power
  unsigned optics_s = 900;     // ONU and PON optical levels: line cards suffer under fast polling
  unsigned traffic_s = 300;    // ONU and PON counters
  unsigned max_inflight = 4;
  unsigned max_repetitions = 25;
  unsigned timeout_ms = 2000;
  unsigned retries = 2;
  unsigned reload_s = 5; // how soon an OLT added through the API is polled
  unsigned history_raw_keep_h = 48;
  unsigned history_keep_days = 90;
};

using WriteOutcome = api::OltWriteOutcome;

class OltPoller : public api::OltWrites {
public:
  OltPoller(asio::io_context& io, store::Env& env, OltPollerOptions options);
  ~OltPoller() override;
  OltPoller(const OltPoller&) = delete;
  OltPoller& operator=(const OltPoller&) = delete;

  void start();
  void stop();
  // Runs an SNMP write on an OLT (from any thread except the loop's), waiting up to `timeout`.
  WriteOutcome write(const std::string& olt_id, const olt::WriteRequest& w,
                     std::chrono::milliseconds timeout);
  // Polls every class of one OLT as soon as it is identified (tests, after writes).
  void pollSoon(const std::string& olt_id) override;
  // api::OltWrites: write() with the API's patience.
  WriteOutcome writeOnu(const std::string& olt_id, const olt::WriteRequest& w) override {
    return write(olt_id, w, std::chrono::seconds(10));
  }
  // Compacts the ONU history once (also run hourly).
  void compactHistory();
  snmp::Engine& engine() { return engine_; }

private:
  struct Worker;
  void reload();
  void scheduleReload();

  asio::io_context& io_;
  store::Env& env_;
  OltPollerOptions options_;
  snmp::Engine engine_;
  asio::thread_pool writer_{1};
  asio::steady_timer reload_timer_;
  asio::steady_timer history_timer_;
  std::map<std::string, std::shared_ptr<Worker>> workers_; // on the strand only
  bool stopped_ = false;
};

} // namespace ispbox::appliance
