// SPDX-License-Identifier: GPL-2.0-or-later
// Keeps live sessions in the profile their billing state says, by CoA-Request or
// Disconnect-Request to the NAS (RFC 5176).
//
// It does not act on events one by one: it reconciles. For a subscriber it computes the profile
// RADIUS would give a new session now (rlm_isp/core/policy.h: the same code), compares it with
// what each live session was given (the Class echoed in accounting, or the last acknowledged CoA),
// and sends what closes the gap. So every isolation has its restore, nothing is sent twice for one
// change, and after downtime one pass catches up. What triggers a reconcile:
//  * the store's change log (API writes, and rlm_isp marking a quota crossing), followed on a
//    short timer and at once when the API says it wrote something;
//  * a full pass over every live session at start, every `full_interval`, at local midnight (day
//    and month quotas reset) and when a subscriber's expiry plus grace passes.
// Outcomes go to the audit log (entity "subscriber"), written in batches off the loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "appliance/api/resources/resources.h"
#include "common/asio.h"
#include "drivers/radius/coa_client.h"
#include "store/env.h"
#include "store/records.pb.h"

namespace ispbox::enforcer {

struct EnforcerOptions {
  bool enabled = true;
  radius::CoaClientOptions client;
  bool nak_fallback_disconnect = true; // a NAKed CoA is followed by a Disconnect-Request
  std::chrono::milliseconds follow_interval{200};
  std::chrono::seconds full_interval{60};
  // Sessions not heard of for this many interim intervals are left alone (they are stale).
  unsigned stale_misses = 3;
  uint32_t default_interim_s = 300;
  // A session we disconnected is not disconnected again for this long (its Stop may be late).
  std::chrono::seconds disconnect_holdoff{300};
};

struct EnforcerStats {
  uint64_t coa_sent = 0, disconnect_sent = 0;
  uint64_t acks = 0, naks = 0, timeouts = 0, errors = 0;
  uint64_t reconciles = 0; // subscribers looked at
};

class Enforcer : public api::SessionControl {
public:
  Enforcer(asio::io_context& io, store::Env& env, EnforcerOptions options);
  ~Enforcer() override;
  Enforcer(const Enforcer&) = delete;
  Enforcer& operator=(const Enforcer&) = delete;

  // On the loop: a full pass (catch-up after downtime), then the timers.
  void start();
  // On the loop: stops timers, fails what is pending, flushes the audit writer.
  void stop();

  // api::SessionControl; thread-safe.
  void changed() override;
  size_t disconnect(const std::string& username, const std::string& actor,
                    const std::string& reason) override;

  // The last resort when a NAS does not end a session on Disconnect-Request (NAK or timeout):
  // removing it through the router's own API (ispboxd wires RouterOS here). Called on the loop;
  // `done` must be called on the loop too, with whether a session was removed and why not.
  using SessionRemover = std::function<void(
      const std::string& nas_name, const std::string& username, const std::string& address,
      std::function<void(bool removed, const std::string& detail)> done)>;
  void setSessionRemover(SessionRemover remover) { remover_ = std::move(remover); }

  EnforcerStats stats() const; // thread-safe
  radius::CoaClient& client() { return *client_; }

private:
  struct Action;
  class Writer;

  void follow();
  void scheduleFollow();
  void fullPass();
  void scheduleFull(int64_t next_due);
  // Looks at one subscriber's live sessions; returns the next time its profile changes by itself
  // (expiry plus grace), or 0.
  int64_t reconcile(const store::ReadTxn& txn, const std::string& username, int64_t now,
                    const std::string& trigger);
  void send(const store::ReadTxn& txn, const std::string& key, const store::pb::Session& session,
            radius::Code code, std::vector<std::pair<std::string_view, std::string>> policy_attrs,
            const std::string& profile, const std::string& fingerprint, const std::string& trigger,
            const std::string& actor);
  void onResult(const std::shared_ptr<Action>& action, const radius::CoaResult& result);
  void removeThroughRouter(const std::shared_ptr<Action>& action, const radius::CoaResult& why);

  asio::io_context& io_;
  store::Env& env_;
  EnforcerOptions options_;
  std::unique_ptr<radius::CoaClient> client_;
  std::unique_ptr<Writer> writer_;
  SessionRemover remover_;
  asio::steady_timer follow_timer_, full_timer_;
  uint64_t last_seq_ = 0;
  int64_t next_full_at_ = 0; // when the next full pass is due (Unix seconds)
  bool follow_posted_ = false;
  bool running_ = false;
  std::set<std::string> in_flight_;                // session keys with a request outstanding
  std::set<std::string> dirty_;                    // changed while in flight: look again after
  std::map<std::string, int64_t> disconnected_at_; // session key -> when we disconnected it
  std::map<std::string, std::string> acked_;       // session key -> Class a CoA-ACK confirmed
  mutable std::mutex stats_mutex_;
  EnforcerStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace ispbox::enforcer
