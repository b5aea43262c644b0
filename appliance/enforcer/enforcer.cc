// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/enforcer/enforcer.h"

#include <algorithm>
#include <ctime>

#include <arpa/inet.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/time_util.h"
#include "rlm_isp/core/policy.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/sessions.h"
#include "store/vouchers.h"

namespace ispbox::enforcer {
namespace {

namespace pb = store::pb;
using Json = nlohmann::json;
using aaa::Profile;
using Clock = std::chrono::steady_clock;

bool isIpv4(std::string_view text) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(text).c_str(), &a) == 1;
}

std::string valueOf(const aaa::Attributes& attrs, std::string_view name) {
  for (const auto& [n, v] : attrs)
    if (n == name) return v;
  return {};
}

// The next local midnight after `now`, when day (and month) usage periods turn over.
int64_t nextLocalMidnight(int64_t now) {
  time_t t = static_cast<time_t>(now);
  tm local{};
  localtime_r(&t, &local);
  local.tm_hour = 0;
  local.tm_min = 0;
  local.tm_sec = 0;
  local.tm_mday += 1;
  local.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&local));
}

} // namespace

// One request and what it was for, kept until its outcome is known.
struct Enforcer::Action {
  std::string key, username, nas_name, nas_ip, framed_ip, session_id;
  radius::Code code = radius::Code::CoaRequest;
  std::string applied_class; // what the session has once a CoA is acknowledged
  std::string profile, reason, trigger, actor;
  aaa::Attributes policy_attrs;
};

// Writes outcomes (audit entries, sessions' applied profile) in batches on a thread of its own:
// a mass change of 10,000 sessions costs a few commits, not 10,000 fsyncs on the loop.
class Enforcer::Writer {
public:
  struct Item {
    pb::AuditEntry audit;
    std::string session_key;   // with applied_class: update this live session
    std::string applied_class; // empty: audit only
    int64_t applied_at = 0;
  };

  explicit Writer(store::Env& env) : env_(env), thread_([this] { run(); }) {}
  ~Writer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void push(Item item) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(item));
    }
    wake_.notify_all();
  }

private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      // Let a burst gather: one commit for everything that arrives within a few milliseconds.
      if (!stop_) wake_.wait_for(lock, std::chrono::milliseconds(20), [&] { return stop_; });
      std::deque<Item> batch;
      batch.swap(queue_);
      lock.unlock();
      write(batch);
      lock.lock();
    }
  }

  void write(std::deque<Item>& batch) {
    try {
      auto txn = env_.write();
      for (auto& item : batch) {
        store::appendAudit(txn, std::move(item.audit));
        if (item.applied_class.empty()) continue;
        auto s = store::getSession(txn, item.session_key);
        if (!s || s->state() != pb::SESSION_ACTIVE) continue; // ended meanwhile
        s->set_applied_class(item.applied_class);
        s->set_applied_at(item.applied_at);
        store::putSession(txn, item.session_key, *s);
      }
      txn.commit();
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "ENFORCER_WRITE_FAILED")
          << "could not record " << batch.size() << " CoA outcome(s): " << e.what();
    }
  }

  store::Env& env_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::thread thread_;
};

Enforcer::Enforcer(asio::io_context& io, store::Env& env, EnforcerOptions options)
    : io_(io), env_(env), options_(std::move(options)),
      client_(std::make_unique<radius::CoaClient>(io, options_.client)),
      writer_(std::make_unique<Writer>(env)), follow_timer_(io), full_timer_(io) {}

Enforcer::~Enforcer() {
  *alive_ = false;
  client_.reset(); // completes nothing: alive_ is false, so callbacks are dropped
  writer_.reset(); // flushes what was recorded
}

void Enforcer::start() {
  running_ = true;
  {
    auto txn = env_.read();
    last_seq_ = store::latestChange(txn);
  }
  ISPBOX_LOG(Info, "ENFORCER_STARTED")
      << "CoA from UDP port " << client_->localPort() << ", at most "
      << client_->options().max_in_flight_per_nas << " request(s) in flight per NAS";
  fullPass();
  scheduleFollow();
}

void Enforcer::stop() {
  running_ = false;
  follow_timer_.cancel();
  full_timer_.cancel();
  client_->cancelAll();
}

EnforcerStats Enforcer::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void Enforcer::changed() {
  asio::post(io_, [this, alive = alive_] {
    if (!*alive || !running_ || follow_posted_) return;
    follow_posted_ = true;
    asio::post(io_, [this, alive] {
      if (*alive && running_) follow();
    });
  });
}

void Enforcer::scheduleFollow() {
  follow_timer_.expires_after(options_.follow_interval);
  follow_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || !running_) return;
    follow();
    scheduleFollow();
  });
}

void Enforcer::follow() {
  follow_posted_ = false;
  const int64_t now = timeutil::nowSeconds();
  try {
    auto txn = env_.read();
    constexpr size_t kMax = 20000;
    auto batch = store::changesSince(txn, last_seq_, kMax);
    if (batch.gap) {
      ISPBOX_LOG(Notice, "ENFORCER_CHANGES_GAP")
          << "fell behind the change log: checking every live session";
      last_seq_ = batch.latest;
      fullPass();
      return;
    }
    if (batch.changes.empty()) return;
    std::set<std::string> users, plans;
    for (const auto& c : batch.changes) {
      last_seq_ = c.seq;
      if (c.change.entity() == pb::SUBSCRIBER) users.insert(c.change.key());
      if (c.change.entity() == pb::VOUCHER && !c.change.key().starts_with("batch/"))
        users.insert(c.change.key());
      if (c.change.entity() == pb::PLAN) plans.insert(c.change.key());
    }
    for (const auto& plan : plans)
      store::forEachSubscriberOnPlan(txn, plan, "", [&](std::string_view u) {
        users.emplace(u);
        return true;
      });
    int64_t next_due = 0;
    for (const auto& u : users) {
      const int64_t due = reconcile(txn, u, now, "change");
      if (due > now && (next_due == 0 || due < next_due)) next_due = due;
    }
    if (next_due != 0 && next_due < next_full_at_) scheduleFull(next_due);
    if (batch.changes.size() == kMax) changed(); // more to read
  } catch (const std::exception& e) {
    ISPBOX_LOG(Error, "ENFORCER_FOLLOW_FAILED") << e.what();
  }
}

void Enforcer::fullPass() {
  const int64_t now = timeutil::nowSeconds();
  int64_t next_due = 0;
  try {
    auto txn = env_.read();
    std::set<std::string> users;
    std::map<std::string, std::string> stored; // live session key -> applied_class in the store
    store::forEachLiveSession(txn, "", [&](std::string_view key, pb::Session& s) {
      users.insert(s.username());
      stored.emplace(key, s.applied_class());
      return true;
    });
    // What the store has caught up with (or what ended) needs no memory here any more.
    std::erase_if(acked_, [&](const auto& entry) {
      auto it = stored.find(entry.first);
      return it == stored.end() || it->second == entry.second;
    });
    for (const auto& u : users) {
      const int64_t due = reconcile(txn, u, now, "scheduled");
      if (due > now && (next_due == 0 || due < next_due)) next_due = due;
    }
  } catch (const std::exception& e) {
    ISPBOX_LOG(Error, "ENFORCER_PASS_FAILED") << e.what();
  }
  for (auto it = disconnected_at_.begin(); it != disconnected_at_.end();)
    it = now - it->second > options_.disconnect_holdoff.count() ? disconnected_at_.erase(it)
                                                                : std::next(it);
  scheduleFull(next_due);
}

void Enforcer::scheduleFull(int64_t next_due) {
  const int64_t now = timeutil::nowSeconds();
  int64_t at = std::min(now + options_.full_interval.count(), nextLocalMidnight(now) + 1);
  if (next_due > now) at = std::min(at, next_due);
  next_full_at_ = at;
  full_timer_.expires_after(std::chrono::seconds(std::max<int64_t>(at - now, 1)));
  full_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || !running_) return;
    fullPass();
  });
}

int64_t Enforcer::reconcile(const store::ReadTxn& txn, const std::string& username, int64_t now,
                            const std::string& trigger) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.reconciles;
  }
  auto sub = store::getSubscriber(txn, username);
  std::optional<pb::Plan> plan;
  if (sub) plan = store::getPlan(txn, sub->plan());
  aaa::ProfileDecision want;
  int64_t due = 0;
  if (!sub) {
    // A voucher ends by its own Session-Timeout and data limit; a revoked (or otherwise spent)
    // one is disconnected here.
    if (auto v = store::getVoucher(txn, username)) {
      const auto status = store::voucherStatus(*v, store::voucherUsage(txn, username), now);
      if (status == store::VoucherStatus::Active || status == store::VoucherStatus::Unused)
        return 0;
      want = {Profile::Blocked, "voucher " + std::string(store::voucherStateName(status))};
    } else {
      want = {Profile::Blocked, "subscriber deleted"};
    }
  } else if (sub->status() == pb::TERMINATED) {
    want = {Profile::Blocked, "terminated"};
  } else if (!plan) {
    want = {Profile::Blocked, "plan " + sub->plan() + " missing"};
  } else {
    want = aaa::decideProfile(*sub, *plan, aaa::usageNow(txn, username, now), now);
    if (sub->expires_at() != 0) due = sub->expires_at() + static_cast<int64_t>(plan->grace_s());
  }
  // Even with no session now: the timer must be set for a session that starts before then.
  auto sessions = store::liveSessionsOf(txn, username);
  if (sessions.empty()) return due;
  const aaa::Attributes coa = plan ? aaa::coaAttributes(*plan, want.profile) : aaa::Attributes{};
  const std::string fingerprint = aaa::coaFingerprint(coa);
  const std::string want_class =
      plan ? aaa::formatClass(want.profile, plan->name(), fingerprint) : "";

  for (const auto& ks : sessions) {
    if (store::isStale(ks.session, now, options_.stale_misses, options_.default_interim_s))
      continue;
    if (in_flight_.count(ks.key)) {
      dirty_.insert(ks.key); // look again when the outstanding request is answered
      continue;
    }
    const auto held = disconnected_at_.find(ks.key);
    const bool recently_disconnected =
        held != disconnected_at_.end() && now - held->second < options_.disconnect_holdoff.count();
    auto send_disconnect = [&](const std::string& why) {
      if (recently_disconnected) return;
      send(txn, ks.key, ks.session, radius::Code::DisconnectRequest, {},
           std::string(aaa::profileName(want.profile)),
           want.reason.empty() ? why : want.reason + "; " + why, trigger, "ispboxd");
    };
    if (want.profile == Profile::Blocked) {
      send_disconnect("not allowed online");
      continue;
    }
    // What the NAS acknowledged last: known here before the writer has stored it.
    const auto acked = acked_.find(ks.key);
    const std::string& applied = acked != acked_.end()                ? acked->second
                                 : ks.session.applied_class().empty() ? ks.session.class_tag()
                                                                      : ks.session.applied_class();
    if (applied == want_class) continue; // already what it should be
    const auto tag = aaa::parseClass(applied);
    if (tag) {
      const Profile had = aaa::parseProfile(tag->profile).value_or(Profile::Normal);
      const auto old_plan = store::getPlan(txn, tag->plan);
      if (old_plan) {
        // CoA cannot move a session to another address, nor take it off an address list.
        if (sub->static_ip().empty() &&
            aaa::profilePool(*old_plan, had) != aaa::profilePool(*plan, want.profile)) {
          send_disconnect("the address pool changes");
          continue;
        }
        const std::string old_list =
            valueOf(aaa::coaAttributes(*old_plan, had), "Mikrotik-Address-List");
        if (!old_list.empty() && valueOf(coa, "Mikrotik-Address-List").empty()) {
          send_disconnect("address list " + old_list + " cannot be removed by CoA");
          continue;
        }
      }
    }
    send(txn, ks.key, ks.session, radius::Code::CoaRequest, coa,
         std::string(aaa::profileName(want.profile)), want.reason, trigger, "ispboxd");
  }
  return due;
}

void Enforcer::send(const store::ReadTxn& txn, const std::string& key, const pb::Session& session,
                    radius::Code code, aaa::Attributes policy_attrs, const std::string& profile,
                    const std::string& reason, const std::string& trigger,
                    const std::string& actor) {
  using radius::Attribute;
  namespace attr = radius::attr;
  auto action = std::make_shared<Action>();
  action->key = key;
  action->username = session.username();
  action->nas_ip = session.nas_ip();
  action->framed_ip = session.framed_ip();
  action->session_id = session.acct_session_id();
  action->code = code;
  action->profile = profile;
  action->reason = reason;
  action->trigger = trigger;
  action->actor = actor;
  action->policy_attrs = policy_attrs;

  std::vector<Attribute> attrs;
  std::string error;
  radius::CoaTarget target;
  try {
    auto nas = store::getNasByIp(txn, session.nas_ip());
    if (!nas) throw std::runtime_error("NAS " + session.nas_ip() + " is not registered");
    action->nas_name = nas->name();
    if (code == radius::Code::CoaRequest) {
      if (auto sub = store::getSubscriber(txn, session.username()))
        if (auto plan = store::getPlan(txn, sub->plan()))
          action->applied_class =
              aaa::formatClass(aaa::parseProfile(profile).value_or(Profile::Normal), plan->name(),
                               aaa::coaFingerprint(policy_attrs));
    }
    target.name = nas->name();
    target.endpoint = asio::ip::udp::endpoint(asio::ip::make_address_v4(session.nas_ip()),
                                              nas->coa_port() ? nas->coa_port() : 3799);
    target.secret = nas->secret();
    target.require_message_authenticator = nas->require_message_authenticator();
    // Identify the session the way RouterOS finds it: the name, the session id exactly as the
    // NAS reported it, and the address (User-Name alone is known not to work).
    attrs.push_back(Attribute::string(attr::kUserName, session.username()));
    attrs.push_back(Attribute::string(attr::kAcctSessionId, session.acct_session_id()));
    if (isIpv4(session.framed_ip()))
      attrs.push_back(Attribute::ipv4(attr::kFramedIpAddress, session.framed_ip()));
    attrs.push_back(Attribute::ipv4(attr::kNasIpAddress, session.nas_ip()));
    attrs.push_back(
        Attribute::integer(attr::kEventTimestamp, static_cast<uint32_t>(timeutil::nowSeconds())));
    for (const auto& [name, value] : policy_attrs) {
      if (name == "Mikrotik-Rate-Limit")
        attrs.push_back(
            Attribute::vsa(radius::kVendorMikrotik, radius::mikrotik::kRateLimit, value));
      else if (name == "Mikrotik-Address-List")
        attrs.push_back(
            Attribute::vsa(radius::kVendorMikrotik, radius::mikrotik::kAddressList, value));
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  {
    std::lock_guard lock(stats_mutex_);
    ++(code == radius::Code::CoaRequest ? stats_.coa_sent : stats_.disconnect_sent);
  }
  if (!error.empty()) {
    radius::CoaResult r;
    r.outcome = radius::Outcome::Error;
    r.detail = error;
    onResult(action, r);
    return;
  }
  in_flight_.insert(key);
  client_->send(target, code, std::move(attrs),
                [this, action, alive = alive_](const radius::CoaResult& r) {
                  if (*alive) onResult(action, r);
                });
}

void Enforcer::onResult(const std::shared_ptr<Action>& a, const radius::CoaResult& r) {
  in_flight_.erase(a->key);
  const bool coa = a->code == radius::Code::CoaRequest;
  {
    std::lock_guard lock(stats_mutex_);
    switch (r.outcome) {
    case radius::Outcome::Ack:
      ++stats_.acks;
      break;
    case radius::Outcome::Nak:
      ++stats_.naks;
      break;
    case radius::Outcome::Timeout:
      ++stats_.timeouts;
      break;
    case radius::Outcome::Error:
      ++stats_.errors;
      break;
    }
  }
  const int64_t now = timeutil::nowSeconds();
  Json sent = Json::object();
  for (const auto& [name, value] : a->policy_attrs)
    sent[name] = value;
  Json detail = {{"nas", a->nas_name},
                 {"nas_ip", a->nas_ip},
                 {"acct_session_id", a->session_id},
                 {"framed_ip", a->framed_ip},
                 {"profile", a->profile},
                 {"reason", a->reason},
                 {"trigger", a->trigger},
                 {"attributes", sent},
                 {"outcome", radius::outcomeName(r.outcome)},
                 {"attempts", r.attempts},
                 {"latency_ms", static_cast<double>(r.latency.count()) / 1000.0}};
  if (r.error_cause) detail["error_cause"] = radius::errorCauseName(r.error_cause);
  if (!r.detail.empty()) detail["detail"] = r.detail;

  Writer::Item item;
  item.audit.set_at_ms(timeutil::nowMillis());
  item.audit.set_actor(a->actor);
  item.audit.set_action(coa ? "coa" : "disconnect");
  item.audit.set_entity("subscriber");
  item.audit.set_key(a->username);
  item.audit.set_detail(detail.dump(-1, ' ', false, Json::error_handler_t::replace));
  if (coa && r.outcome == radius::Outcome::Ack) {
    item.session_key = a->key;
    item.applied_class = a->applied_class;
    item.applied_at = now;
  }
  writer_->push(std::move(item));

  if (r.outcome == radius::Outcome::Ack) {
    if (!coa) disconnected_at_[a->key] = now;
    if (coa) acked_[a->key] = a->applied_class;
    ISPBOX_LOG(Info, "COA_ACK") << (coa ? "CoA" : "Disconnect") << " for " << a->username << " at "
                                << a->nas_name << " acknowledged (" << r.latency.count() / 1000.0
                                << " ms)";
  } else {
    ISPBOX_LOG(Warning, "COA_FAILED")
        << (coa ? "CoA" : "Disconnect") << " for " << a->username << " at "
        << (a->nas_name.empty() ? a->nas_ip : a->nas_name) << ": " << radius::outcomeName(r.outcome)
        << (r.error_cause ? " (" + radius::errorCauseName(r.error_cause) + ")" : "")
        << (r.detail.empty() ? "" : ": " + r.detail);
  }

  // The router would not change the session in place: end it, so it comes back in its profile.
  if (coa && r.outcome == radius::Outcome::Nak && options_.nak_fallback_disconnect) {
    try {
      auto txn = env_.read();
      if (auto s = store::getSession(txn, a->key); s && s->state() == pb::SESSION_ACTIVE) {
        send(txn, a->key, *s, radius::Code::DisconnectRequest, {}, a->profile, a->reason,
             "fallback: CoA-NAK" +
                 (r.error_cause ? " (" + radius::errorCauseName(r.error_cause) + ")" : ""),
             a->actor);
        return;
      }
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "ENFORCER_FOLLOW_FAILED") << e.what();
    }
  }
  // The router did not end the session on a Disconnect-Request: remove it through its API.
  if (!coa && remover_ && !a->nas_name.empty() &&
      (r.outcome == radius::Outcome::Nak || r.outcome == radius::Outcome::Timeout)) {
    removeThroughRouter(a, r);
    return;
  }
  if (dirty_.erase(a->key) && running_) {
    try {
      auto txn = env_.read();
      reconcile(txn, a->username, now, "change");
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "ENFORCER_FOLLOW_FAILED") << e.what();
    }
  }
}

void Enforcer::removeThroughRouter(const std::shared_ptr<Action>& a, const radius::CoaResult& why) {
  bool has_api = false;
  try {
    auto txn = env_.read();
    auto nas = store::getNas(txn, a->nas_name);
    has_api = nas && nas->has_routeros() && !nas->routeros().username().empty();
  } catch (const std::exception&) {
  }
  if (!has_api) return;
  in_flight_.insert(a->key);
  const auto started = Clock::now();
  const std::string after =
      "after Disconnect-" + std::string(radius::outcomeName(why.outcome)) +
      (why.error_cause ? " (" + radius::errorCauseName(why.error_cause) + ")" : "");
  remover_(a->nas_name, a->username, isIpv4(a->framed_ip) ? a->framed_ip : "",
           [this, a, after, started, alive = alive_](bool removed, const std::string& detail) {
             if (!*alive) return;
             in_flight_.erase(a->key);
             const double ms =
                 std::chrono::duration<double, std::milli>(Clock::now() - started).count();
             Json d = {{"nas", a->nas_name},
                       {"acct_session_id", a->session_id},
                       {"framed_ip", a->framed_ip},
                       {"profile", a->profile},
                       {"reason", a->reason},
                       {"trigger", "fallback: " + after},
                       {"outcome", removed ? "removed" : "error"},
                       {"latency_ms", ms}};
             if (!detail.empty()) d["detail"] = detail;
             Writer::Item item;
             item.audit.set_at_ms(timeutil::nowMillis());
             item.audit.set_actor(a->actor);
             item.audit.set_action("routeros-remove");
             item.audit.set_entity("subscriber");
             item.audit.set_key(a->username);
             item.audit.set_detail(d.dump(-1, ' ', false, Json::error_handler_t::replace));
             writer_->push(std::move(item));
             if (removed) disconnected_at_[a->key] = timeutil::nowSeconds();
             if (removed)
               ISPBOX_LOG(Info, "COA_ROUTEROS_REMOVED")
                   << a->username << " removed through the RouterOS API of " << a->nas_name << " "
                   << after;
             else
               ISPBOX_LOG(Warning, "COA_ROUTEROS_FAILED")
                   << a->username << " could not be removed through the RouterOS API of "
                   << a->nas_name << ": " << detail;
           });
}

size_t Enforcer::disconnect(const std::string& username, const std::string& actor,
                            const std::string& reason) {
  size_t n;
  {
    auto txn = env_.read();
    n = store::countLiveSessionsOf(txn, username);
  }
  asio::post(io_, [this, alive = alive_, username, actor, reason] {
    if (!*alive || !running_) return;
    try {
      auto txn = env_.read();
      for (const auto& ks : store::liveSessionsOf(txn, username)) {
        if (in_flight_.count(ks.key)) continue;
        send(txn, ks.key, ks.session, radius::Code::DisconnectRequest, {}, "", reason, "api",
             actor);
      }
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "ENFORCER_FOLLOW_FAILED") << e.what();
    }
  });
  return n;
}

} // namespace ispbox::enforcer
