// SPDX-License-Identifier: GPL-2.0-or-later
// What an Access-Request gets: the decision (accept, isolate, reject and why) and the
// Access-Accept attributes MikroTik understands, from the subscriber, its plan and its sessions.
// Pure functions of store state, so ispboxd (CoA) computes exactly what RADIUS would send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/codec.h"
#include "store/env.h"

namespace ispbox::aaa {

namespace pb = store::pb;

struct PolicyOptions {
  uint32_t default_interim_s = 300; // Acct-Interim-Interval when the plan sets none
  unsigned stale_misses = 3;        // interim intervals without news before a session is stale
  int64_t lease_offer_ttl_s = 60;   // an address offered but never confirmed is free again after
  uint64_t postauth_keep = 100000;  // post-auth log entries kept
};

struct AuthRequest {
  std::string_view user_name;
  std::string_view nas_ip; // packet source
  std::string_view calling_station_id;
};

enum class Verdict { Accept, Reject, NotFound };

using Attributes = std::vector<std::pair<std::string, std::string>>;

struct AuthDecision {
  Verdict verdict = Verdict::Reject;
  std::string password; // for control:Cleartext-Password
  std::string reason;   // Reply-Message on reject; the post-auth log's reason on accept
  std::string profile;  // "normal" or "isolated"
  Attributes reply;
  std::string lease_pool; // set when an address was leased from an ispbox pool
  std::string lease_ip;
};

// Mikrotik-Rate-Limit from the router's point of view: rx is the subscriber's upload.
// "rx/tx [rx-burst/tx-burst rx-threshold/tx-threshold rx-time/tx-time [priority [rx-min/tx-min]]]"
std::string mikrotikRateLimit(uint64_t download_bps, uint64_t upload_bps,
                              const pb::Plan& burst_from, bool with_burst);
// 20000000 -> "20M", 512000 -> "512k", 1500 -> "1500".
std::string formatRate(uint64_t bps);

// Why a subscriber is isolated right now, or nullopt when it is not.
std::optional<std::string> isolationReason(const pb::Subscriber& s, const pb::Plan& plan,
                                           uint64_t month_usage_bytes, int64_t now);

// Decides an Access-Request. Reads in one snapshot; takes a pool lease in a write transaction
// when the plan's pool is one ispbox manages.
AuthDecision authorize(store::Env& env, const AuthRequest& req, int64_t now,
                       const PolicyOptions& options);

// The attributes an accepted session of `s` gets now (also what a CoA would carry).
Attributes sessionAttributes(const pb::Subscriber& s, const pb::Plan& plan, bool isolated,
                             uint64_t month_usage_bytes, int64_t now, const PolicyOptions& options);

} // namespace ispbox::aaa
