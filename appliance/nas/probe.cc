// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/nas/probe.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <netinet/in.h>
#include <random>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "common/log.h"
#include "common/time_util.h"
#include "store/entities.h"

namespace ispbox::appliance {

namespace pb = store::pb;
using Clock = std::chrono::steady_clock;

pb::NasStatus nextNasStatus(const std::optional<pb::NasStatus>& before, const std::string& name,
                            const NasProbeResult& r, int64_t now, const NasProbeOptions& o) {
  pb::NasStatus s = before.value_or(pb::NasStatus{});
  const auto was = s.state();
  s.set_name(name);
  s.set_last_probe_at(now);
  s.set_probed_address(r.address);
  s.set_last_accounting_at(std::max(s.last_accounting_at(), r.last_accounting_at));
  const bool accounting = o.accounting_window_s > 0 && r.last_accounting_at > 0 &&
                          now - r.last_accounting_at <= int64_t{o.accounting_window_s};
  const char* evidence = r.icmp_ok    ? "icmp"
                         : r.tcp_ok   ? "api-port"
                         : accounting ? "accounting"
                                      : nullptr;
  if (evidence) {
    s.set_state(pb::NAS_REACHABLE);
    s.set_evidence(evidence);
    s.set_failures(0);
    s.clear_last_error();
    s.set_last_alive_at(r.icmp_ok || r.tcp_ok ? now : r.last_accounting_at);
    if (r.icmp_ok) s.set_rtt_ms(r.rtt_ms);
  } else if (r.icmp_tried || r.tcp_tried) {
    // One lost echo is not an outage: only `failures` rounds in a row are.
    s.set_failures(s.failures() + 1);
    s.set_last_error(r.error);
    if (s.failures() >= o.failures) s.set_state(pb::NAS_UNREACHABLE);
  } else {
    // Silence is not proof of death when nothing could be asked.
    s.set_state(pb::NAS_REACHABILITY_UNKNOWN);
    s.clear_evidence();
    s.set_failures(0);
    s.set_last_error("nothing to probe: no ICMP socket, no RouterOS API configured and no "
                     "accounting within " +
                     std::to_string(o.accounting_window_s) + " s");
  }
  if (!before || s.state() != was) s.set_changed_at(now);
  return s;
}

namespace {

// The port the RouterOS client would use (drivers/routeros/client.h).
uint16_t apiPort(const pb::RouterOsAccess& r) {
  if (r.port()) return static_cast<uint16_t>(r.port());
  if (r.transport() == "rest") return r.tls() ? 443 : 80;
  return r.tls() ? 8729 : 8728;
}

uint16_t icmpChecksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += uint32_t{p[i]} << 8 | p[i + 1];
  if (n & 1) sum += uint32_t{p[n - 1]} << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Which kind of ICMP socket this process may open: an unprivileged ping socket where
// net.ipv4.ping_group_range admits us, else a raw one (root, CAP_NET_RAW), else none.
enum class IcmpMode { None, Ping, Raw };

IcmpMode detectIcmp() {
  for (auto [mode, type] : {std::pair{IcmpMode::Ping, SOCK_DGRAM}, {IcmpMode::Raw, SOCK_RAW}}) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd >= 0) {
      ::close(fd);
      return mode;
    }
  }
  return IcmpMode::None;
}

using Done = std::function<void(bool ok, uint32_t rtt_ms, std::string error)>;

// One ICMP echo and its reply (or the timeout). Replies are matched by a random token in the
// payload: a ping socket gets only its own (the kernel sets the identifier), a raw socket sees
// every ICMP packet the host receives.
template <class Protocol, class Socket>
class Echo : public std::enable_shared_from_this<Echo<Protocol, Socket>> {
public:
  Echo(asio::io_context& io, asio::ip::address to, bool raw, std::chrono::milliseconds timeout,
       Done done)
      : socket_(io), timer_(io), to_(to), raw_(raw), timeout_(timeout), done_(std::move(done)) {}

  void start() {
    const bool v4 = to_.is_v4();
    const int proto = v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
    boost::system::error_code ec;
    socket_.open(Protocol(v4 ? AF_INET : AF_INET6, proto), ec);
    if (ec) return finish(false, "cannot open an ICMP socket: " + ec.message());
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::array<uint8_t, 8 + kToken> pkt{};
    pkt[0] = v4 ? 8 : 128; // echo request
    const uint64_t a = rng(), b = rng();
    std::memcpy(token_.data(), &a, 8);
    std::memcpy(token_.data() + 8, &b, 8);
    pkt[4] = static_cast<uint8_t>(a >> 56); // identifier (a ping socket replaces it)
    pkt[5] = static_cast<uint8_t>(a >> 48);
    pkt[7] = 1; // sequence
    std::copy(token_.begin(), token_.end(), pkt.begin() + 8);
    if (v4) { // ICMPv6 checksums are always the kernel's
      const uint16_t sum = icmpChecksum(pkt.data(), pkt.size());
      pkt[2] = static_cast<uint8_t>(sum >> 8);
      pkt[3] = static_cast<uint8_t>(sum & 0xff);
    }
    const asio::ip::icmp::endpoint dest(to_, 0);
    typename Protocol::endpoint ep(dest.data(), dest.size(), proto);
    sent_ = Clock::now();
    socket_.send_to(asio::buffer(pkt), ep, 0, ec);
    if (ec) return finish(false, "ICMP echo to " + to_.to_string() + " not sent: " + ec.message());
    timer_.expires_after(timeout_);
    timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& e) {
      if (!e)
        self->finish(false, "no ICMP echo reply from " + self->to_.to_string() + " within " +
                                std::to_string(self->timeout_.count()) + " ms");
    });
    receive();
  }

private:
  static constexpr size_t kToken = 16;

  void receive() {
    socket_.async_receive(asio::buffer(buf_), [self = this->shared_from_this()](
                                                  const boost::system::error_code& ec, size_t n) {
      if (self->finished_) return;
      if (ec) return self->finish(false, "ICMP receive failed: " + ec.message());
      if (self->isOurReply(n)) {
        const auto rtt =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - self->sent_);
        return self->finish(true, "", static_cast<uint32_t>(rtt.count()));
      }
      self->receive();
    });
  }

  bool isOurReply(size_t n) const {
    size_t off = 0;
    if (raw_ && to_.is_v4()) { // a raw IPv4 socket delivers the IP header too
      if (n < 20) return false;
      off = (buf_[0] & 0x0f) * 4u;
    }
    if (n < off + 8 + kToken) return false;
    const uint8_t reply = to_.is_v4() ? 0 : 129;
    return buf_[off] == reply && std::equal(token_.begin(), token_.end(), buf_.begin() + off + 8);
  }

  void finish(bool ok, std::string error, uint32_t rtt_ms = 0) {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    done_(ok, rtt_ms, std::move(error));
  }

  Socket socket_;
  asio::steady_timer timer_;
  asio::ip::address to_;
  bool raw_;
  std::chrono::milliseconds timeout_;
  Done done_;
  std::array<uint8_t, kToken> token_{};
  std::array<uint8_t, 1500> buf_{};
  Clock::time_point sent_;
  bool finished_ = false;
};

using PingEcho = Echo<asio::generic::datagram_protocol,
                      asio::basic_datagram_socket<asio::generic::datagram_protocol>>;
using RawEcho =
    Echo<asio::generic::raw_protocol, asio::basic_raw_socket<asio::generic::raw_protocol>>;

// A TCP connect to the RouterOS API port. Refused counts as an answer: the router is up, only
// its API service is not listening.
class Connect : public std::enable_shared_from_this<Connect> {
public:
  Connect(asio::io_context& io, std::string host, uint16_t port, std::chrono::milliseconds timeout,
          Done done)
      : resolver_(io), socket_(io), timer_(io), host_(std::move(host)), port_(port),
        timeout_(timeout), done_(std::move(done)) {}

  void start() {
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (!e)
        self->finish(false, "no answer on " + self->target() + " within " +
                                std::to_string(self->timeout_.count()) + " ms");
    });
    resolver_.async_resolve(
        host_, std::to_string(port_),
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    const asio::ip::tcp::resolver::results_type& results) {
          if (self->finished_) return;
          if (ec) return self->finish(false, "cannot resolve " + self->host_ + ": " + ec.message());
          asio::async_connect(self->socket_, results,
                              [self](const boost::system::error_code& e, const auto&) {
                                if (!e || e == asio::error::connection_refused)
                                  self->finish(true, "");
                                else
                                  self->finish(false, self->target() + ": " + e.message());
                              });
        });
  }

private:
  std::string target() const { return "RouterOS API port " + host_ + ":" + std::to_string(port_); }
  void finish(bool ok, std::string error) {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
    done_(ok, 0, std::move(error));
  }

  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  Done done_;
  bool finished_ = false;
};

struct Target {
  std::string name;
  std::string ip;       // RADIUS address: ICMP goes here
  std::string api_host; // empty: no RouterOS API configured
  uint16_t api_port = 0;
  std::optional<pb::NasStatus> before;
  NasProbeResult result;
};

// Newest accounting update (live or closed session) from one NAS address.
int64_t lastAccounting(const store::ReadTxn& txn, const std::string& ip) {
  const std::string prefix = store::joinKey(ip, "");
  store::Cursor cur(txn, store::Table::Sessions);
  pb::Session s;
  int64_t newest = 0;
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
    if (store::decodeInto(cur.value(), &s)) newest = std::max(newest, s.updated_at());
  return newest;
}

} // namespace

struct NasProber::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, store::Env& env, NasProbeOptions o)
      : io(io), env(env), options(o), timer(io), icmp(o.icmp ? detectIcmp() : IcmpMode::None) {}

  asio::io_context& io;
  store::Env& env;
  NasProbeOptions options;
  asio::steady_timer timer;
  IcmpMode icmp;
  asio::thread_pool store_thread{1};
  bool stopped = false; // on the loop
  // On the store thread: rounds since each NAS's status was last written.
  std::map<std::string, unsigned> unwritten;
  // One round, on the loop.
  std::vector<Target> targets;
  std::deque<size_t> queue;
  size_t in_flight = 0, finished = 0;

  void schedule(std::chrono::milliseconds after) {
    timer.expires_after(after);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped) self->gather();
    });
  }

  // Store thread: who to probe, with what, and what the store already knows.
  void gather() {
    asio::post(store_thread, [self = shared_from_this()] {
      std::vector<Target> targets;
      try {
        auto txn = self->env.read();
        store::forEachRecord<pb::Nas>(txn, store::Table::Nas, "",
                                      [&](std::string_view, pb::Nas& n) {
                                        Target t;
                                        t.name = n.name();
                                        t.ip = n.ip();
                                        if (self->options.api_port && n.has_routeros()) {
                                          const auto& r = n.routeros();
                                          t.api_host = r.host().empty() ? n.ip() : r.host();
                                          t.api_port = apiPort(r);
                                        }
                                        t.before = store::getNasStatus(txn, t.name);
                                        t.result.address = t.ip;
                                        t.result.last_accounting_at = lastAccounting(txn, t.ip);
                                        targets.push_back(std::move(t));
                                        return true;
                                      });
      } catch (const std::exception& e) {
        ISPBOX_LOG(Error, "NAS_PROBE_STORE_FAILED") << "cannot read the NAS list: " << e.what();
        targets.clear();
      }
      asio::post(self->io, [self, targets = std::move(targets)]() mutable {
        if (self->stopped) return;
        self->probeAll(std::move(targets));
      });
    });
  }

  // Loop: every target at most max_in_flight at a time, ICMP and TCP side by side.
  void probeAll(std::vector<Target> next) {
    targets = std::move(next);
    queue.clear();
    for (size_t i = 0; i < targets.size(); ++i)
      queue.push_back(i);
    in_flight = finished = 0;
    if (targets.empty()) return record();
    launch();
  }

  void launch() {
    while (!queue.empty() && in_flight < std::max(1u, options.max_in_flight)) {
      const size_t i = queue.front();
      queue.pop_front();
      ++in_flight;
      probe(i);
    }
  }

  void probe(size_t i) {
    Target& t = targets[i];
    const std::chrono::milliseconds timeout(options.timeout_ms);
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(t.ip, ec);
    if (ec) t.result.error = "NAS address " + t.ip + " is not an IP address";
    t.result.icmp_tried = icmp != IcmpMode::None && !ec;
    t.result.tcp_tried = !t.api_host.empty();
    // Counted before anything starts: a probe may finish inside start().
    auto pending = std::make_shared<int>(t.result.icmp_tried + t.result.tcp_tried);
    auto self = shared_from_this();
    // The bookkeeping runs as a handler of its own: a probe that fails inside start() (no route)
    // must not re-enter launch() or record() while this function still uses `t`.
    auto one_done = [self, pending] {
      if (--*pending > 0) return;
      asio::post(self->io, [self] {
        --self->in_flight;
        ++self->finished;
        if (self->finished == self->targets.size())
          self->record();
        else
          self->launch();
      });
    };
    if (t.result.icmp_tried) {
      Done done = [self, i, one_done](bool ok, uint32_t rtt, std::string error) {
        auto& r = self->targets[i].result;
        r.icmp_ok = ok;
        r.rtt_ms = rtt;
        if (!ok) r.error += (r.error.empty() ? "" : "; ") + error;
        one_done();
      };
      if (icmp == IcmpMode::Ping)
        std::make_shared<PingEcho>(io, addr, false, timeout, std::move(done))->start();
      else
        std::make_shared<RawEcho>(io, addr, true, timeout, std::move(done))->start();
    }
    if (t.result.tcp_tried) {
      std::make_shared<Connect>(io, t.api_host, t.api_port, timeout,
                                [self, i, one_done](bool ok, uint32_t, std::string error) {
                                  auto& r = self->targets[i].result;
                                  r.tcp_ok = ok;
                                  if (!ok) r.error += (r.error.empty() ? "" : "; ") + error;
                                  one_done();
                                })
          ->start();
    }
    if (!t.result.icmp_tried && !t.result.tcp_tried) { // accounting alone decides
      *pending = 1;
      one_done();
    }
  }

  // Store thread: the new statuses, written when they changed (or every refresh_rounds).
  void record() {
    if (stopped) return;
    asio::post(store_thread, [self = shared_from_this(), targets = std::move(targets)] {
      const int64_t now = timeutil::nowSeconds();
      try {
        auto txn = self->env.write();
        size_t written = 0;
        for (const auto& t : targets) {
          if (!store::getNas(txn, t.name)) continue; // deleted during the round
          pb::NasStatus s = nextNasStatus(t.before, t.name, t.result, now, self->options);
          const auto& b = t.before;
          const bool changed = !b || b->state() != s.state() || b->evidence() != s.evidence() ||
                               b->failures() != s.failures() || b->last_error() != s.last_error() ||
                               b->probed_address() != s.probed_address();
          unsigned& rounds = self->unwritten[t.name];
          if (!changed && ++rounds < self->options.refresh_rounds) continue;
          rounds = 0;
          store::putNasStatus(txn, s);
          ++written;
          if (b && b->state() == s.state()) continue;
          if (s.state() == pb::NAS_UNREACHABLE)
            ISPBOX_LOG(Warning, "NAS_UNREACHABLE")
                << t.name << " (" << t.ip << "): " << s.last_error() << " (" << s.failures()
                << " rounds)";
          else if (s.state() == pb::NAS_REACHABLE && b && b->state() == pb::NAS_UNREACHABLE)
            ISPBOX_LOG(Notice, "NAS_RECOVERED")
                << t.name << " (" << t.ip << ") is reachable again (" << s.evidence() << ")";
          else if (s.state() == pb::NAS_REACHABLE)
            ISPBOX_LOG(Info, "NAS_REACHABLE")
                << t.name << " (" << t.ip << ") is reachable (" << s.evidence() << ")";
          else
            ISPBOX_LOG(Info, "NAS_REACHABILITY_UNKNOWN") << t.name << ": " << s.last_error();
        }
        if (written) txn.commit();
      } catch (const std::exception& e) {
        ISPBOX_LOG(Error, "NAS_PROBE_STORE_FAILED") << "cannot write NAS status: " << e.what();
      }
      asio::post(self->io, [self] {
        if (!self->stopped) self->schedule(std::chrono::seconds(self->options.interval_s));
      });
    });
  }
};

NasProber::NasProber(asio::io_context& io, store::Env& env, NasProbeOptions options)
    : impl_(std::make_shared<Impl>(io, env, options)) {}

NasProber::~NasProber() {
  stop();
}

void NasProber::start() {
  if (!impl_->options.enabled) return;
  if (impl_->options.icmp && impl_->icmp == IcmpMode::None)
    ISPBOX_LOG(Notice, "NAS_PROBE_NO_ICMP")
        << "ICMP echo is not available to this process (net.ipv4.ping_group_range excludes its "
           "group and it lacks CAP_NET_RAW): NAS reachability uses the RouterOS API port and "
           "accounting only";
  asio::post(impl_->io, [impl = impl_] {
    if (!impl->stopped) impl->gather();
  });
}

void NasProber::stop() {
  if (!impl_) return;
  impl_->stopped = true;
  impl_->timer.cancel();
  impl_->store_thread.join(); // no store work after this returns
}

std::string NasProber::icmpMode() const {
  switch (impl_->icmp) {
  case IcmpMode::Ping:
    return "ping";
  case IcmpMode::Raw:
    return "raw";
  default:
    return "";
  }
}

} // namespace ispbox::appliance
