// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/routeros/service.h"

#include <future>
#include <set>

#include "common/crypto.h"
#include "common/log.h"
#include "common/time_util.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/routeros.h"
#include "store/sessions.h"

namespace ispbox::routeros {

namespace pb = store::pb;
using std::chrono::milliseconds;

// ---- Monitor ----

bool Monitor::waitNext(uint64_t after_seq, milliseconds timeout, MonitorSample* out, bool* ended,
                       std::string* reason) {
  std::unique_lock lock(mu_);
  const bool ready = cv_.wait_for(lock, timeout, [&] { return ended_ || last_.seq > after_seq; });
  *ended = ended_;
  if (reason) *reason = reason_;
  if (last_.seq > after_seq) *out = last_;
  return ready;
}

MonitorSample Monitor::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

bool Monitor::ended(std::string* reason) const {
  std::lock_guard lock(mu_);
  if (reason) *reason = reason_;
  return ended_;
}

unsigned Monitor::clients() const {
  std::lock_guard lock(mu_);
  return clients_;
}

void Monitor::addClient() {
  std::lock_guard lock(mu_);
  ++clients_;
}

void Monitor::removeClient() {
  std::lock_guard lock(mu_);
  if (clients_ > 0 && --clients_ == 0) idle_since_ms_ = timeutil::nowMillis();
}

void Monitor::push(uint64_t rx, uint64_t tx) {
  {
    std::lock_guard lock(mu_);
    last_ = {last_.seq + 1, timeutil::nowMillis(), rx, tx};
  }
  cv_.notify_all();
}

void Monitor::end(std::string reason) {
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    reason_ = std::move(reason);
  }
  cv_.notify_all();
}

int64_t Monitor::idleSinceMs() const {
  std::lock_guard lock(mu_);
  return clients_ > 0 ? 0 : idle_since_ms_;
}

// ---- Service ----

namespace {

ServiceError routerError(const std::string& nas, const Error& e) {
  switch (e.code) {
  case ErrorCode::Timeout:
    return {504, "router_timeout", "NAS " + nas + ": " + e.message};
  case ErrorCode::Busy:
    return {503, "router_busy", "NAS " + nas + ": " + e.message};
  case ErrorCode::Auth:
    return {502, "router_auth_failed", "NAS " + nas + ": " + e.message};
  case ErrorCode::Invalid:
    return {422, "invalid_for_router", "NAS " + nas + ": " + e.message};
  case ErrorCode::Trap:
    return {502, "router_refused", "NAS " + nas + " refused: " + e.message};
  default:
    return {502, "router_unreachable", "NAS " + nas + ": " + e.message};
  }
}

uint64_t toU64(const Row& row, const char* key) {
  auto it = row.find(key);
  if (it == row.end()) return 0;
  uint64_t v = 0;
  return parseRate(it->second, &v) ? v : 0;
}

std::string str(const std::string& bytes) {
  return bytes; // session fields are bytes in the store; compared as they are
}

} // namespace

Service::Service(asio::io_context& io, store::Env& env, ServiceOptions options)
    : io_(io), env_(env), options_(std::move(options)), change_timer_(io), static_timer_(io),
      group_timer_(io), reap_timer_(io) {}

Service::~Service() {
  stop();
}

template <class T> T Service::wait(std::future<T> f, const char* what) {
  const auto limit = milliseconds(options_.request_timeout_ms * 3 + 5000);
  if (f.wait_for(limit) != std::future_status::ready)
    throw ServiceError(504, "router_timeout", std::string(what) + ": no answer in time");
  return f.get();
}

void Service::schedule(asio::steady_timer& timer, milliseconds every, std::function<void()> work) {
  timer.expires_after(every);
  timer.async_wait([this, &timer, every, work](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    try {
      work();
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "ROUTEROS_TASK_FAILED") << e.what();
    }
    schedule(timer, every, work);
  });
}

void Service::start() {
  {
    auto txn = env_.read();
    change_seq_ = store::latestChange(txn);
  }
  asio::post(io_, [this] { syncAllStatic(); });
  schedule(change_timer_, milliseconds(std::max(100u, options_.change_poll_ms)),
           [this] { followChanges(); });
  if (options_.static_sync_s > 0)
    schedule(static_timer_, milliseconds(options_.static_sync_s * 1000ull),
             [this] { syncAllStatic(); });
  if (options_.group_sample_s > 0)
    schedule(group_timer_, milliseconds(options_.group_sample_s * 1000ull),
             [this] { sampleAllGroups(); });
  schedule(reap_timer_, milliseconds(1000), [this] { reapMonitors(); });
}

void Service::stop() {
  std::map<std::string, ClientEntry> clients;
  std::map<std::string, std::shared_ptr<Monitor>> monitors;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    clients.swap(clients_);
    monitors.swap(monitors_);
  }
  auto cancelTimers = [this] {
    change_timer_.cancel();
    static_timer_.cancel();
    group_timer_.cancel();
    reap_timer_.cancel();
  };
  if (io_.get_executor().running_in_this_thread() || io_.stopped())
    cancelTimers();
  else
    asio::post(io_, cancelTimers);
  for (auto& [id, m] : monitors)
    m->end("ispboxd stopping");
  for (auto& [name, e] : clients)
    e.client->close();
}

std::shared_ptr<Client> Service::client(const std::string& nas_name) {
  std::optional<pb::Nas> nas;
  {
    auto txn = env_.read();
    nas = store::getNas(txn, nas_name);
  }
  if (!nas) throw ServiceError(404, "not_found", "no NAS named " + nas_name);
  if (!nas->has_routeros() || nas->routeros().username().empty())
    throw ServiceError(409, "no_routeros_access",
                       "NAS " + nas_name + " has no RouterOS API access configured (routeros)");
  const auto& r = nas->routeros();
  ClientOptions o;
  o.name = nas_name;
  o.host = r.host().empty() ? nas->ip() : r.host();
  o.port = static_cast<uint16_t>(r.port());
  o.username = r.username();
  o.password = r.password();
  o.tls = r.tls();
  o.insecure_skip_verify = r.insecure_skip_verify();
  o.ca_file = options_.ca_file;
  o.charset = parseCharset(r.charset()).value_or(Charset::Cp1252);
  o.request_timeout = milliseconds(options_.request_timeout_ms);
  o.cache_ttl = milliseconds(options_.cache_ttl_ms);
  o.max_in_flight = options_.max_in_flight;
  o.rate_per_s = options_.rate_per_s;
  o.burst = std::max(1.0, options_.rate_per_s);
  const bool rest = r.transport() == "rest";
  // Everything that makes a different connection; a change replaces the client.
  const std::string fingerprint = o.host + '\0' + std::to_string(o.port) + '\0' + o.username +
                                  '\0' + crypto::sha256Hex(o.password) + '\0' + (o.tls ? "t" : "") +
                                  (o.insecure_skip_verify ? "i" : "") + (rest ? "r" : "") + '\0' +
                                  r.charset();
  std::lock_guard lock(mu_);
  if (stopped_) throw ServiceError(503, "stopping", "ispboxd is stopping");
  auto& entry = clients_[nas_name];
  if (entry.client && entry.fingerprint == fingerprint) return entry.client;
  if (entry.client) entry.client->close();
  entry.fingerprint = fingerprint;
  entry.client = rest ? makeRestClient(io_, std::move(o)) : makeApiClient(io_, std::move(o));
  return entry.client;
}

Result Service::run(const std::string& nas_name, Command cmd) {
  auto c = client(nas_name);
  Result r = wait(c->callAsync(std::move(cmd)), "router");
  if (r.error) throw routerError(nas_name, r.error);
  return r;
}

Reconciliation Service::reconcile(const std::string& nas_name) {
  std::string nas_ip;
  {
    auto txn = env_.read();
    auto nas = store::getNas(txn, nas_name);
    if (!nas) throw ServiceError(404, "not_found", "no NAS named " + nas_name);
    nas_ip = nas->ip();
  }
  auto c = client(nas_name);
  auto ppp_f = c->callAsync(pppActivePrint());
  auto hs_f = c->callAsync(hotspotActivePrint());
  Result ppp = wait(std::move(ppp_f), "router");
  if (ppp.error) throw routerError(nas_name, ppp.error);
  Result hs = wait(std::move(hs_f), "router");
  // A router without the hotspot package answers "no such command": it has no hotspot users.
  if (hs.error && hs.error.code != ErrorCode::Trap) throw routerError(nas_name, hs.error);

  std::multimap<std::string, SessionEntry> router;
  auto col = [](const Row& r, const char* k) {
    auto it = r.find(k);
    return it == r.end() ? std::string() : it->second;
  };
  for (const auto& r : ppp.rows)
    router.emplace(col(r, "name"),
                   SessionEntry{"ppp", col(r, "name"), col(r, "address"), col(r, "caller-id"),
                                col(r, ".id"), "", col(r, "uptime")});
  if (!hs.error)
    for (const auto& r : hs.rows)
      router.emplace(col(r, "user"),
                     SessionEntry{"hotspot", col(r, "user"), col(r, "address"),
                                  col(r, "mac-address"), col(r, ".id"), "", col(r, "uptime")});
  Reconciliation out;
  {
    auto txn = env_.read();
    store::forEachLiveSession(txn, nas_ip + '\0', [&](std::string_view key, pb::Session& s) {
      if (s.nas_ip() != nas_ip) return false; // keys are ordered by NAS: past ours
      auto it = router.find(str(s.username()));
      if (it != router.end()) {
        router.erase(it);
        ++out.matched;
        return true;
      }
      out.radius_only.push_back(SessionEntry{"radius", str(s.username()), str(s.framed_ip()),
                                             str(s.calling_station_id()), "", std::string(key),
                                             ""});
      return true;
    });
  }
  for (auto& [name, e] : router)
    out.router_only.push_back(std::move(e));
  return out;
}

std::pair<size_t, size_t> Service::closeUnmatched(const std::string& nas_name, bool router_only,
                                                  bool radius_only, const std::string& actor) {
  Reconciliation rec = reconcile(nas_name);
  size_t removed = 0, closed = 0;
  if (router_only && !rec.router_only.empty()) {
    auto c = client(nas_name);
    std::vector<std::future<Result>> fs;
    for (const auto& e : rec.router_only)
      fs.push_back(
          c->callAsync(Command(e.kind == "ppp" ? "/ppp/active/remove" : "/ip/hotspot/active/remove")
                           .arg(".id", e.router_id)));
    for (auto& f : fs)
      if (!wait(std::move(f), "router").error) ++removed;
  }
  if (radius_only && !rec.radius_only.empty()) {
    auto txn = env_.write();
    const int64_t now = timeutil::nowSeconds();
    for (const auto& e : rec.radius_only)
      if (store::closeSession(txn, e.session_key, "reconcile", now)) ++closed;
    pb::AuditEntry a;
    a.set_actor(actor);
    a.set_action("reconcile");
    a.set_entity("nas");
    a.set_key(nas_name);
    a.set_detail("{\"sessions_closed\":" + std::to_string(closed) + "}");
    store::appendAudit(txn, a);
    txn.commit();
  }
  ISPBOX_LOG(Notice, "ROUTEROS_RECONCILED")
      << "NAS " << nas_name << ": removed " << removed << " router-only session(s), closed "
      << closed << " RADIUS-only session(s) (by " << actor << ")";
  return {removed, closed};
}

size_t Service::removeSession(const std::string& nas_name, const std::string& username,
                              SessionKind kind) {
  auto c = client(nas_name);
  auto p = std::make_shared<std::promise<std::pair<Error, size_t>>>();
  auto f = p->get_future();
  asio::post(io_, [c, username, kind, p] {
    routeros::removeSession(*c, {username, "", kind}, [p](const Error& e, size_t n) {
      p->set_value({e, n});
    });
  });
  auto [err, n] = wait(std::move(f), "router");
  if (err) throw routerError(nas_name, err);
  return n;
}

// ---- monitors ----

std::shared_ptr<Monitor> Service::startMonitor(const std::string& username, bool* created) {
  *created = false;
  pb::Subscriber sub;
  std::string nas_name;
  {
    auto txn = env_.read();
    if (!store::getSubscriber(txn, username, &sub))
      throw ServiceError(404, "not_found", "no subscriber named " + username);
    auto live = store::liveSessionsOf(txn, username);
    if (live.empty())
      throw ServiceError(409, "subscriber_offline",
                         "subscriber " + username + " is not online (no live RADIUS session)");
    auto nas = store::getNasByIp(txn, live.front().session.nas_ip());
    if (!nas)
      throw ServiceError(409, "unknown_nas",
                         "subscriber " + username + " is online on " +
                             live.front().session.nas_ip() + ", which is no configured NAS");
    nas_name = nas->name();
  }
  auto limitReached = [&] {
    size_t running = 0;
    for (const auto& [id, m] : monitors_)
      if (!m->ended()) ++running;
    return running >= options_.max_monitors;
  };
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, m] : monitors_)
      if (m->username == username && !m->ended()) return m;
    if (limitReached())
      throw ServiceError(429, "monitor_limit_reached",
                         "already " + std::to_string(options_.max_monitors) +
                             " live monitors (routeros.max_monitors); stop one first");
  }
  // The session's interface is named after its PPP service: <pppoe-alice>, <l2tp-bob>.
  Result r = run(nas_name,
                 Command("/ppp/active/print").props({"name", "service"}).query("name", username));
  if (r.rows.empty())
    throw ServiceError(409, "subscriber_offline",
                       "subscriber " + username + " has no PPP session on NAS " + nas_name +
                           " (hotspot sessions have no interface of their own to monitor)");
  const std::string service =
      r.rows.front().count("service") ? r.rows.front().at("service") : "pppoe";
  auto m = std::make_shared<Monitor>();
  m->id = crypto::randomHex(8);
  m->username = username;
  m->full_name = sub.full_name();
  m->plan = sub.plan();
  m->nas = nas_name;
  m->interface = "<" + service + "-" + username + ">";
  m->started_at = timeutil::nowSeconds();
  m->idle_since_ms_ = timeutil::nowMillis();
  m->client_ = client(nas_name);
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, other] : monitors_)
      if (other->username == username && !other->ended()) return other;
    if (limitReached())
      throw ServiceError(429, "monitor_limit_reached",
                         "already " + std::to_string(options_.max_monitors) + " live monitors");
    monitors_[m->id] = m;
  }
  std::weak_ptr<Monitor> weak = m;
  m->stream_id_ = m->client_->stream(
      Command("/interface/monitor-traffic").arg("interface", m->interface),
      [weak](const Row& row) {
        if (auto mm = weak.lock())
          mm->push(toU64(row, "rx-bits-per-second"), toU64(row, "tx-bits-per-second"));
      },
      [this, weak](const Error& e) {
        auto mm = weak.lock();
        if (!mm) return;
        mm->end(e ? std::string(errorCodeName(e.code)) + ": " + e.message : "stopped");
        std::lock_guard lock(mu_);
        auto it = monitors_.find(mm->id);
        if (it != monitors_.end() && it->second == mm) monitors_.erase(it);
      });
  ISPBOX_LOG(Info, "ROUTEROS_MONITOR_STARTED")
      << "monitor " << m->id << ": " << username << " on NAS " << nas_name << " " << m->interface;
  *created = true;
  return m;
}

std::shared_ptr<Monitor> Service::findMonitor(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = monitors_.find(id);
  return it == monitors_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Monitor>> Service::monitors() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Monitor>> out;
  for (const auto& [id, m] : monitors_)
    out.push_back(m);
  return out;
}

bool Service::stopMonitor(const std::string& id) {
  std::shared_ptr<Monitor> m;
  {
    std::lock_guard lock(mu_);
    auto it = monitors_.find(id);
    if (it == monitors_.end()) return false;
    m = it->second;
    monitors_.erase(it);
  }
  m->end("stopped");
  m->client_->cancel(m->stream_id_);
  ISPBOX_LOG(Info, "ROUTEROS_MONITOR_STOPPED")
      << "monitor " << id << " (" << m->username << ") stopped";
  return true;
}

void Service::reapMonitors() {
  const int64_t now = timeutil::nowMillis();
  std::vector<std::string> idle;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, m] : monitors_) {
      const int64_t since = m->idleSinceMs();
      if (since > 0 && now - since > int64_t{options_.monitor_idle_s} * 1000) idle.push_back(id);
    }
  }
  for (const auto& id : idle)
    stopMonitor(id);
}

// ---- static-IP subscribers ----

void Service::syncStaticAsync(const pb::Subscriber& sub, std::function<void(StaticStatus)> done) {
  StaticStatus st;
  st.at = timeutil::nowSeconds();
  auto finish = [this, username = sub.username(), done](StaticStatus s) {
    if (!s.error.empty())
      ISPBOX_LOG(Warning, "ROUTEROS_STATIC_SYNC_FAILED")
          << "subscriber " << username << ": " << s.error;
    {
      std::lock_guard lock(mu_);
      static_status_[username] = s;
    }
    if (done) done(std::move(s));
  };
  const auto& rs = sub.routeros_static();
  if (sub.static_ip().empty()) {
    st.error = "subscriber has no static_ip";
    return finish(st);
  }
  pb::Plan plan;
  {
    auto txn = env_.read();
    if (auto p = store::getPlan(txn, sub.plan())) plan = *p;
  }
  std::shared_ptr<Client> c;
  try {
    c = client(rs.nas());
  } catch (const ServiceError& e) {
    st.error = e.what();
    return finish(st);
  }
  const int64_t now = timeutil::nowSeconds();
  st.isolated = sub.status() != pb::ACTIVE || (sub.expires_at() != 0 && sub.expires_at() <= now);
  uint64_t up = plan.upload_bps(), down = plan.download_bps();
  if (st.isolated && (plan.isolation().download_bps() || plan.isolation().upload_bps())) {
    up = plan.isolation().upload_bps();
    down = plan.isolation().download_bps();
  }
  st.queue = rs.queue().empty() ? "static-" + sub.username() : rs.queue();
  st.max_limit = formatRateForRouter(up, down);
  st.address_list = !rs.address_list().empty()                 ? rs.address_list()
                    : !plan.isolation().address_list().empty() ? plan.isolation().address_list()
                                                               : options_.default_isolation_list;
  const std::string ip = sub.static_ip();
  const std::string comment = "ispbox: " + sub.username();
  setQueueMaxLimit(*c, st.queue, ip + "/32", st.max_limit,
                   [c, st, ip, comment, finish](const Error& e) mutable {
                     if (e) {
                       st.error = "queue " + st.queue + ": " + e.message;
                       return finish(st);
                     }
                     auto after = [st, finish](const Error& e2) mutable {
                       if (e2) st.error = "address list " + st.address_list + ": " + e2.message;
                       finish(st);
                     };
                     if (st.isolated)
                       addressListAdd(*c, st.address_list, ip, comment, after);
                     else
                       addressListRemove(*c, st.address_list, ip, after);
                   });
}

StaticStatus Service::syncStatic(const std::string& username) {
  pb::Subscriber sub;
  {
    auto txn = env_.read();
    if (!store::getSubscriber(txn, username, &sub))
      throw ServiceError(404, "not_found", "no subscriber named " + username);
  }
  if (!sub.has_routeros_static())
    throw ServiceError(409, "not_static",
                       "subscriber " + username + " is not a static subscriber on a router");
  auto p = std::make_shared<std::promise<StaticStatus>>();
  auto f = p->get_future();
  asio::post(io_, [this, sub, p] {
    syncStaticAsync(sub, [p](StaticStatus s) { p->set_value(std::move(s)); });
  });
  return wait(std::move(f), "router");
}

std::optional<StaticStatus> Service::staticStatus(const std::string& username) const {
  std::lock_guard lock(mu_);
  auto it = static_status_.find(username);
  if (it == static_status_.end()) return std::nullopt;
  return it->second;
}

void Service::syncAllStatic() {
  std::vector<pb::Subscriber> subs;
  {
    auto txn = env_.read();
    store::forEachRecord<pb::Subscriber>(txn, store::Table::Subscribers, "",
                                         [&](std::string_view, pb::Subscriber& s) {
                                           if (s.has_routeros_static()) subs.push_back(s);
                                           return true;
                                         });
  }
  for (const auto& s : subs)
    syncStaticAsync(s, nullptr);
}

void Service::followChanges() {
  std::set<std::string> users;
  bool all = false;
  {
    auto txn = env_.read();
    auto batch = store::changesSince(txn, change_seq_, 10000);
    if (batch.gap) all = true;
    for (const auto& c : batch.changes) {
      change_seq_ = c.seq;
      if (c.change.entity() == pb::SUBSCRIBER && c.change.op() == pb::PUT) {
        users.insert(c.change.key());
      } else if (c.change.entity() == pb::PLAN && c.change.op() == pb::PUT) {
        store::forEachSubscriberOnPlan(txn, c.change.key(), "", [&](std::string_view u) {
          users.emplace(u);
          return true;
        });
      }
    }
    if (batch.gap || batch.changes.empty()) change_seq_ = std::max(change_seq_, batch.latest);
    if (all) {
      syncAllStatic();
      return;
    }
    for (const auto& u : users) {
      pb::Subscriber s;
      if (store::getSubscriber(txn, u, &s) && s.has_routeros_static()) syncStaticAsync(s, nullptr);
    }
  }
}

// ---- interface groups ----

void Service::sampleGroupAsync(const pb::InterfaceGroup& group,
                               std::function<void(pb::RateSample)> done) {
  auto store = [this, name = group.name(), done](pb::RateSample s) {
    s.set_at_ms(timeutil::nowMillis());
    try {
      auto txn = env_.write();
      if (store::getInterfaceGroup(txn, name)) { // deleted meanwhile: keep nothing
        store::appendRateSample(txn, name, s, options_.group_history_keep);
        txn.commit();
      }
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "ROUTEROS_TASK_FAILED") << "group " << name << ": " << e.what();
    }
    if (!s.error().empty())
      ISPBOX_LOG(Warning, "ROUTEROS_GROUP_SAMPLE_FAILED") << "group " << name << ": " << s.error();
    if (done) done(std::move(s));
  };
  pb::RateSample sample;
  std::shared_ptr<Client> c;
  try {
    c = client(group.nas());
  } catch (const ServiceError& e) {
    sample.set_error(e.what());
    return store(sample);
  }
  std::string list;
  for (const auto& i : group.interfaces())
    list += (list.empty() ? "" : ",") + i;
  // One command for the whole group: the router reports every interface of the list.
  c->call(Command("/interface/monitor-traffic").arg("interface", list).arg("once", ""),
          [store](Result r) mutable {
            pb::RateSample s;
            if (r.error) {
              s.set_error(std::string(errorCodeName(r.error.code)) + ": " + r.error.message);
              return store(s);
            }
            for (const auto& row : r.rows) {
              auto* i = s.add_interfaces();
              i->set_name(row.count("name") ? row.at("name") : "");
              i->set_rx_bps(toU64(row, "rx-bits-per-second"));
              i->set_tx_bps(toU64(row, "tx-bits-per-second"));
              s.set_rx_bps(s.rx_bps() + i->rx_bps());
              s.set_tx_bps(s.tx_bps() + i->tx_bps());
            }
            store(s);
          });
}

void Service::sampleAllGroups() {
  std::vector<pb::InterfaceGroup> groups;
  {
    auto txn = env_.read();
    groups = store::listInterfaceGroups(txn);
  }
  for (const auto& g : groups)
    sampleGroupAsync(g, nullptr);
}

pb::RateSample Service::sampleGroup(const std::string& name) {
  std::optional<pb::InterfaceGroup> g;
  {
    auto txn = env_.read();
    g = store::getInterfaceGroup(txn, name);
  }
  if (!g) throw ServiceError(404, "not_found", "no interface group named " + name);
  auto p = std::make_shared<std::promise<pb::RateSample>>();
  auto f = p->get_future();
  asio::post(io_, [this, group = *g, p] {
    sampleGroupAsync(group, [p](pb::RateSample s) { p->set_value(std::move(s)); });
  });
  return wait(std::move(f), "router");
}

} // namespace ispbox::routeros
