// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/olt/poller.h"

#include <future>

#include "appliance/olt/olt_store.h"
#include "common/log.h"
#include "common/time_util.h"
#include "drivers/olt/runner.h"
#include "store/entities.h"
#include "store/olt.h"

namespace ispbox::appliance {

namespace pb = store::pb;
using olt::DataClass;

namespace {

constexpr size_t kClasses = 4;

size_t classIndex(DataClass c) {
  return static_cast<size_t>(c);
}

unsigned orDefault(uint32_t v, unsigned def) {
  return v ? v : def;
}

} // namespace

struct OltPoller::Worker : std::enable_shared_from_this<Worker> {
  OltPoller& poller;
  pb::Olt cfg;
  std::shared_ptr<snmp::Session> session;
  std::unique_ptr<olt::Driver> driver;
  bool ready = false, identifying = false, stopped = false, inventoried = false;
  std::array<std::unique_ptr<asio::steady_timer>, kClasses> timers;
  asio::steady_timer identify_timer;
  std::array<bool, kClasses> busy{};
  std::array<unsigned, kClasses> failures{};
  unsigned identify_failures = 0;

  Worker(OltPoller& p, pb::Olt c)
      : poller(p), cfg(std::move(c)), identify_timer(p.engine_.strand()) {
    for (auto& t : timers)
      t = std::make_unique<asio::steady_timer>(p.engine_.strand());
    snmp::SessionOptions o;
    o.address = cfg.address();
    o.port = static_cast<uint16_t>(orDefault(cfg.port(), 161));
    const auto& s = cfg.snmp();
    o.credentials.version = static_cast<int>(orDefault(s.version(), 2));
    o.credentials.community = s.community();
    o.credentials.user = s.user();
    o.credentials.auth_protocol = s.auth_protocol().empty() ? "SHA" : s.auth_protocol();
    o.credentials.auth_password = s.auth_password();
    o.credentials.priv_protocol = s.priv_protocol().empty() ? "AES" : s.priv_protocol();
    o.credentials.priv_password = s.priv_password();
    o.credentials.context = s.context();
    const auto& po = p.options_;
    o.max_inflight = orDefault(cfg.poll().max_inflight(), po.max_inflight);
    o.max_repetitions = orDefault(cfg.poll().max_repetitions(), po.max_repetitions);
    o.timeout = std::chrono::milliseconds(orDefault(cfg.poll().timeout_ms(), po.timeout_ms));
    o.retries = cfg.poll().retries() ? cfg.poll().retries() : po.retries;
    session = snmp::Session::create(p.engine_, o);
  }

  unsigned interval(DataClass c) const {
    const auto& po = poller.options_;
    const auto& s = cfg.poll();
    switch (c) {
    case DataClass::Inventory:
      return orDefault(s.inventory_s(), po.inventory_s);
    case DataClass::State:
      return orDefault(s.state_s(), po.state_s);
    case DataClass::Optics:
      return orDefault(s.optics_s(), po.optics_s);
    case DataClass::Traffic:
      return orDefault(s.traffic_s(), po.traffic_s);
    }
    return 60;
  }

  // Retry sooner than the interval after a failure, backing off: 15 s, 30 s, 60 s, ...
  std::chrono::seconds retryDelay(unsigned failures_in_row, unsigned every) const {
    const unsigned shift = std::min(failures_in_row > 0 ? failures_in_row - 1 : 0u, 6u);
    return std::chrono::seconds(std::min(every, 15u << shift));
  }

  void stop() {
    stopped = true;
    for (auto& t : timers)
      t->cancel();
    identify_timer.cancel();
    session->close();
  }

  void identify() {
    if (stopped || ready || identifying) return;
    identifying = true;
    auto self = shared_from_this();
    auto status = readStatus();
    const std::string configured = cfg.vendor().empty() ? "auto" : cfg.vendor();
    if (configured != "auto" && status && status->vendor() == configured &&
        !status->variant().empty()) {
      driver = olt::makeDriver(configured);
      if (driver) {
        driver->setVariant(status->variant());
        identifying = false;
        becomeReady();
        return;
      }
    }
    olt::Plan sys;
    sys.gets = olt::systemOids();
    olt::runPlan(session, sys, [self, configured](snmp::Result<olt::Collected> r) {
      if (self->stopped) return;
      if (!r.ok())
        return self->identifyFailed("no answer to the system group: " + r.error->message);
      auto sd = olt::parseSystem(r.value);
      std::string vendor = configured;
      if (vendor == "auto")
        vendor = olt::detectVendor(snmp::parseOid(sd.object_id).value_or(snmp::Oid{}), sd.descr);
      self->driver = olt::makeDriver(vendor);
      if (!self->driver)
        return self->identifyFailed(vendor.empty() ? "unknown OLT (sysObjectID " + sd.object_id +
                                                         "): set the vendor"
                                                   : "no driver for vendor " + vendor + " yet");
      olt::runPlan(self->session, self->driver->probePlan(),
                   [self, sd, vendor](snmp::Result<olt::Collected> p) {
                     if (self->stopped) return;
                     if (!p.ok()) return self->identifyFailed("probe failed: " + p.error->message);
                     self->driver->applyProbe(p.value);
                     const std::string variant = self->driver->variant();
                     const std::string id = self->cfg.id();
                     asio::post(self->poller.writer_, [self, id, vendor, variant, sd] {
                       try {
                         auto txn = self->poller.env_.write();
                         pb::OltStatus st = store::getOltStatus(txn, id).value_or(pb::OltStatus{});
                         st.set_id(id);
                         st.set_vendor(vendor);
                         st.set_variant(variant);
                         st.set_sys_descr(sd.descr);
                         st.set_sys_object_id(sd.object_id);
                         st.set_sys_name(sd.name);
                         st.set_reachable(true);
                         st.set_updated_at(timeutil::nowSeconds());
                         if (store::getOlt(txn, id)) store::putOltStatus(txn, st);
                         txn.commit();
                       } catch (const std::exception& e) {
                         ISPBOX_LOG(Error, "OLT_STORE_FAILED") << id << ": " << e.what();
                       }
                       asio::post(self->poller.engine_.strand(), [self, vendor, variant] {
                         ISPBOX_LOG(Notice, "OLT_IDENTIFIED")
                             << self->cfg.id() << ": " << vendor << " (" << variant << ")";
                         self->identifying = false;
                         self->becomeReady();
                       });
                     });
                   });
    });
  }

  void identifyFailed(const std::string& why) {
    identifying = false;
    ++identify_failures;
    if (identify_failures == 1)
      ISPBOX_LOG(Warning, "OLT_UNREACHABLE") << cfg.id() << " (" << cfg.address() << "): " << why;
    recordError(why);
    identify_timer.expires_after(retryDelay(identify_failures, interval(DataClass::State)));
    identify_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->identify();
    });
  }

  std::optional<pb::OltStatus> readStatus() {
    try {
      auto txn = poller.env_.read();
      return store::getOltStatus(txn, cfg.id());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  void recordError(const std::string& why) {
    const std::string id = cfg.id();
    asio::post(poller.writer_, [this_env = &poller.env_, id, why] {
      try {
        auto txn = this_env->write();
        if (!store::getOlt(txn, id)) return;
        pb::OltStatus st = store::getOltStatus(txn, id).value_or(pb::OltStatus{});
        st.set_id(id);
        st.set_reachable(false);
        st.set_last_error(why);
        st.set_last_error_at(timeutil::nowSeconds());
        store::putOltStatus(txn, st);
        txn.commit();
      } catch (const std::exception& e) {
        ISPBOX_LOG(Error, "OLT_STORE_FAILED") << id << ": " << e.what();
      }
    });
  }

  void becomeReady() {
    ready = true;
    identify_failures = 0;
    // Inventory first: the other classes only update ONUs the inventory knows.
    poll(DataClass::Inventory);
  }

  void schedule(DataClass c, std::chrono::seconds after) {
    auto& t = *timers[classIndex(c)];
    t.expires_after(after);
    t.async_wait([self = shared_from_this(), c](const boost::system::error_code& ec) {
      if (!ec) self->poll(c);
    });
  }

  void poll(DataClass c) {
    if (stopped || !ready) return;
    const size_t i = classIndex(c);
    if (busy[i]) return;
    busy[i] = true;
    const auto t0 = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    olt::runPlan(session, driver->plan(c), [self, c, i, t0](snmp::Result<olt::Collected> r) {
      if (self->stopped) return;
      const auto ms = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - t0)
                                                .count());
      pb::ClassPoll cp;
      cp.set_data_class(std::string(olt::className(c)));
      cp.set_last_attempt_at(timeutil::nowSeconds());
      cp.set_duration_ms(ms);
      cp.set_pdus(r.requests);
      if (!r.ok()) {
        ++self->failures[i];
        cp.set_failures(self->failures[i]);
        cp.set_last_error(r.error->message);
        if (self->failures[i] == 1)
          ISPBOX_LOG(Warning, "OLT_POLL_FAILED")
              << self->cfg.id() << " " << olt::className(c) << ": " << r.error->message;
        self->store(c, nullptr, cp);
        return;
      }
      if (self->failures[i] > 0)
        ISPBOX_LOG(Notice, "OLT_POLL_RECOVERED") << self->cfg.id() << " " << olt::className(c);
      self->failures[i] = 0;
      cp.set_last_ok_at(cp.last_attempt_at());
      auto snap = std::make_shared<olt::Snapshot>();
      self->driver->parse(c, r.value, *snap);
      self->store(c, snap, cp);
    });
  }

  // Writes on the writer thread, then schedules the next poll of the class on the strand.
  void store(DataClass c, std::shared_ptr<olt::Snapshot> snap, pb::ClassPoll cp) {
    auto self = shared_from_this();
    asio::post(poller.writer_, [self, c, snap, cp] {
      bool ok = snap != nullptr;
      try {
        auto txn = self->poller.env_.write();
        if (store::getOlt(txn, self->cfg.id())) {
          const int64_t now = timeutil::nowSeconds();
          if (snap) applySnapshot(txn, self->cfg.id(), *snap, now);
          pb::OltStatus st = store::getOltStatus(txn, self->cfg.id()).value_or(pb::OltStatus{});
          st.set_id(self->cfg.id());
          bool found = false;
          for (auto& p : *st.mutable_polls())
            if (p.data_class() == cp.data_class()) {
              const int64_t last_ok = p.last_ok_at();
              p = cp;
              if (!snap) p.set_last_ok_at(last_ok);
              found = true;
            }
          if (!found) *st.add_polls() = cp;
          if (snap) {
            st.set_reachable(true);
          } else if (c == DataClass::State || c == DataClass::Inventory) {
            st.set_reachable(false);
            st.set_last_error(cp.last_error());
            st.set_last_error_at(now);
          }
          store::putOltStatus(txn, st);
          txn.commit();
        }
      } catch (const std::exception& e) {
        ok = false;
        ISPBOX_LOG(Error, "OLT_STORE_FAILED") << self->cfg.id() << ": " << e.what();
      }
      asio::post(self->poller.engine_.strand(), [self, c, ok] {
        const size_t i = classIndex(c);
        self->busy[i] = false;
        if (self->stopped) return;
        const unsigned every = self->interval(c);
        self->schedule(c, ok ? std::chrono::seconds(every)
                             : self->retryDelay(std::max(1u, self->failures[i]), every));
        if (c == DataClass::Inventory && ok && !self->inventoried) {
          self->inventoried = true;
          for (DataClass other : {DataClass::State, DataClass::Optics, DataClass::Traffic})
            self->poll(other);
        }
      });
    });
  }
};

OltPoller::OltPoller(asio::io_context& io, store::Env& env, OltPollerOptions options)
    : io_(io), env_(env), options_(options), engine_(io), reload_timer_(engine_.strand()),
      history_timer_(engine_.strand()) {}

OltPoller::~OltPoller() {
  stop();
  writer_.join();
}

void OltPoller::start() {
  if (!options_.enabled) return;
  asio::post(engine_.strand(), [this] {
    reload();
    history_timer_.expires_after(std::chrono::minutes(5));
    history_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      compactHistory();
    });
  });
}

void OltPoller::stop() {
  if (stopped_) return;
  stopped_ = true;
  reload_timer_.cancel();
  history_timer_.cancel();
  for (auto& [id, w] : workers_)
    w->stop();
  workers_.clear();
}

void OltPoller::scheduleReload() {
  reload_timer_.expires_after(std::chrono::seconds(std::max(1u, options_.reload_s)));
  reload_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) reload();
  });
}

void OltPoller::reload() {
  if (stopped_) return;
  std::map<std::string, pb::Olt> olts;
  try {
    auto txn = env_.read();
    store::forEachRecord<pb::Olt>(txn, store::Table::Olts, "", [&](std::string_view, pb::Olt& o) {
      if (!o.disabled()) olts[o.id()] = o;
      return true;
    });
  } catch (const std::exception& e) {
    ISPBOX_LOG(Error, "OLT_RELOAD_FAILED") << e.what();
    scheduleReload();
    return;
  }
  for (auto it = workers_.begin(); it != workers_.end();) {
    auto n = olts.find(it->first);
    if (n == olts.end() || n->second.updated_at() != it->second->cfg.updated_at() ||
        n->second.SerializeAsString() != it->second->cfg.SerializeAsString()) {
      it->second->stop();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [id, cfg] : olts) {
    if (workers_.count(id)) continue;
    auto w = std::make_shared<Worker>(*this, cfg);
    workers_[id] = w;
    ISPBOX_LOG(Info, "OLT_POLLING") << id << " at " << cfg.address();
    w->identify();
  }
  scheduleReload();
}

void OltPoller::pollSoon(const std::string& olt_id) {
  asio::post(engine_.strand(), [this, olt_id] {
    if (stopped_) return;
    // Pick up a changed configuration first: polling the old session would store stale data.
    reload_timer_.cancel();
    reload();
    auto it = workers_.find(olt_id);
    if (it == workers_.end()) return;
    if (!it->second->ready) return it->second->identify();
    for (DataClass c : olt::kAllClasses)
      it->second->poll(c);
  });
}

void OltPoller::compactHistory() {
  const int64_t raw = int64_t{options_.history_raw_keep_h} * 3600;
  const int64_t keep = int64_t{options_.history_keep_days} * 86400;
  asio::post(writer_, [this, raw, keep] {
    try {
      auto txn = env_.write();
      auto r = store::compactHistory(txn, timeutil::nowSeconds(), raw, keep, 2'000'000);
      txn.commit();
      if (r.aggregated || r.dropped)
        ISPBOX_LOG(Info, "OLT_HISTORY_COMPACTED")
            << r.aggregated << " samples folded into hourly averages, " << r.dropped
            << " past retention dropped";
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "OLT_STORE_FAILED") << "history compaction: " << e.what();
    }
    asio::post(engine_.strand(), [this] {
      if (stopped_) return;
      history_timer_.expires_after(std::chrono::hours(1));
      history_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && !stopped_) compactHistory();
      });
    });
  });
}

WriteOutcome OltPoller::write(const std::string& olt_id, const olt::WriteRequest& w,
                              std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<WriteOutcome>>();
  auto future = promise->get_future();
  asio::post(engine_.strand(), [this, olt_id, w, promise] {
    auto it = workers_.find(olt_id);
    if (it == workers_.end()) {
      promise->set_value({WriteOutcome::Status::NoSuchOlt, "the OLT is not being polled"});
      return;
    }
    auto worker = it->second;
    if (!worker->ready) {
      promise->set_value(
          {WriteOutcome::Status::NotReady, "the OLT has not been identified yet (unreachable?)"});
      return;
    }
    std::string why;
    auto binds = worker->driver->write(w, &why);
    if (!binds) {
      promise->set_value({WriteOutcome::Status::NotSupported, why});
      return;
    }
    worker->session->set(std::move(*binds), [promise](snmp::Result<std::vector<snmp::VarBind>> r) {
      if (r.ok())
        promise->set_value({WriteOutcome::Status::Ok, ""});
      else
        promise->set_value({r.error->code == snmp::Error::Code::Timeout
                                ? WriteOutcome::Status::Timeout
                                : WriteOutcome::Status::Failed,
                            r.error->message});
    });
  });
  if (future.wait_for(timeout) != std::future_status::ready)
    return {WriteOutcome::Status::Timeout, "the OLT did not answer in time"};
  return future.get();
}

} // namespace ispbox::appliance
