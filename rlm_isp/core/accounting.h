// SPDX-License-Identifier: GPL-2.0-or-later
// RADIUS accounting into the store: live sessions, usage counters, leases. Every packet is
// applied in the caller's write transaction; retransmitted, duplicated or reordered packets never
// count twice, because usage is the growth of the session's counters and counters never go back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rlm_isp/core/policy.h"
#include "store/env.h"

namespace ispbox::aaa {

enum AcctStatus : uint32_t {
  kAcctStart = 1,
  kAcctStop = 2,
  kAcctInterim = 3,
  kAcctOn = 7,
  kAcctOff = 8,
};

struct AcctRequest {
  uint32_t status_type = 0;
  std::string_view user_name;
  std::string_view acct_session_id;
  // Acct-Unique-Session-Id when a policy set one; empty: acctUniqueId() of this request, worked
  // out only when the session is first recorded (the same inputs give the same value).
  std::string_view acct_unique_id;
  std::string_view nas_address; // NAS-IPv6-Address, else NAS-IP-Address (acctUniqueId's input)
  std::string_view nas_port;    // NAS-Port as decimal text (acctUniqueId's input)
  std::string_view nas_ip;      // packet source: the NAS as we know it
  std::string_view nas_identifier;
  std::string_view framed_ip;
  std::string_view calling_station_id;
  std::string_view nas_port_id;
  std::string_view class_attr;
  uint32_t session_time = 0;
  uint64_t input_bytes = 0; // gigawords folded in
  uint64_t output_bytes = 0;
  uint64_t input_packets = 0;
  uint64_t output_packets = 0;
  uint32_t terminate_cause = 0;
  int64_t event_timestamp = 0;
  uint32_t delay_time = 0;
};

// Acct-Unique-Session-Id as FreeRADIUS's stock acct_unique policy makes it for a Class without its
// "ai:" prefix: the MD5 of "User-Name,Acct-Session-Id,NAS address,NAS-Identifier,NAS-Port-Id,
// NAS-Port" (absent ones empty), in hex. Computed here rather than by the policy in unlang,
// whose expansions cost more CPU than the rest of an Interim-Update.
std::string acctUniqueId(std::string_view user_name, std::string_view acct_session_id,
                         std::string_view nas_address, std::string_view nas_identifier,
                         std::string_view nas_port_id, std::string_view nas_port);

// Acct-Terminate-Cause as its RFC 2866 name ("User-Request", ...), or the number.
std::string terminateCauseName(uint32_t cause);

// Throws std::invalid_argument for a packet that cannot be recorded (no Acct-Session-Id), as
// applyAccounting would, without touching the store.
void checkAccounting(const AcctRequest& req);

// Applies one Accounting-Request. Returns a short description for the log ("start", "interim
// +1234/5678 bytes", "duplicate stop ignored", ...). Throws std::invalid_argument for a packet
// that cannot be recorded (no Acct-Session-Id).
// A cache (rlm_isp keeps one) saves decoding plans and formatting dates; the result is the same.
std::string applyAccounting(store::WriteTxn& txn, const AcctRequest& req, int64_t now,
                            const PolicyOptions& options, PolicyCache* cache = nullptr);

} // namespace ispbox::aaa
