// SPDX-License-Identifier: GPL-2.0-or-later
// NAS reachability: every round, each NAS in the store is probed with an ICMP echo to its RADIUS
// address and a TCP connect to its RouterOS API port (when API access is configured); a RADIUS
// accounting update from its address within a window counts as evidence of life too. The result
// is a pb::NasStatus per NAS in the store, which the API shows and ispbox-agentx serves as
// ispboxNasState (with ispboxNasUnreachable on the transition). docs/snmp.md "NAS reachability".
//
// ICMP needs no privilege where net.ipv4.ping_group_range admits the daemon's group (systemd's
// default on Debian 12); otherwise a raw socket is used if the process may open one
// (CAP_NET_RAW), and if neither works only the API port and accounting are used.
//
// Threads: probes run on the daemon's Asio loop; store reads and writes on a thread of their own,
// so a busy writer lock never stalls the loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/asio.h"
#include "store/codec.h"
#include "store/env.h"

namespace ispbox::appliance {

struct NasProbeOptions {
  bool enabled = true;
  unsigned interval_s = 30;
  unsigned timeout_ms = 1000;
  // Rounds in a row without any evidence before a NAS is unreachable.
  unsigned failures = 3;
  // An accounting update at most this old shows the NAS alive; 0 = accounting is not evidence.
  unsigned accounting_window_s = 120;
  bool icmp = true;
  bool api_port = true;
  unsigned max_in_flight = 32;
  // A status that did not change is written again after this many rounds (fresh timestamps).
  unsigned refresh_rounds = 10;
};

// What one round learnt about one NAS.
struct NasProbeResult {
  bool icmp_tried = false, icmp_ok = false;
  uint32_t rtt_ms = 0;
  bool tcp_tried = false, tcp_ok = false;
  int64_t last_accounting_at = 0; // newest accounting update from its address, 0 = none
  std::string address;            // where ICMP went
  std::string error;              // why the tried probes failed
};

// The status after a round (pure: the rules in one place, tested on their own).
store::pb::NasStatus nextNasStatus(const std::optional<store::pb::NasStatus>& before,
                                   const std::string& name, const NasProbeResult& r, int64_t now,
                                   const NasProbeOptions& o);

class NasProber {
public:
  NasProber(asio::io_context& io, store::Env& env, NasProbeOptions options);
  ~NasProber();
  NasProber(const NasProber&) = delete;
  NasProber& operator=(const NasProber&) = delete;

  // Starts the rounds (the first one at once).
  void start();
  void stop();
  // Which ICMP socket the prober could open: "ping" (unprivileged), "raw", or "" (none).
  std::string icmpMode() const;

private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

} // namespace ispbox::appliance
