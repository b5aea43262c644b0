// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/routeros/client.h"

#include <algorithm>
#include <random>

namespace ispbox::routeros {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
  case ErrorCode::None:
    return "none";
  case ErrorCode::Trap:
    return "trap";
  case ErrorCode::Fatal:
    return "fatal";
  case ErrorCode::Connection:
    return "connection";
  case ErrorCode::Timeout:
    return "timeout";
  case ErrorCode::Auth:
    return "auth";
  case ErrorCode::Tls:
    return "tls";
  case ErrorCode::Busy:
    return "busy";
  case ErrorCode::Protocol:
    return "protocol";
  case ErrorCode::Invalid:
    return "invalid";
  case ErrorCode::Closed:
    return "closed";
  }
  return "unknown";
}

bool Command::isPrint() const {
  return verb() == "print";
}

std::string Command::menu() const {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string Command::verb() const {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Command::key() const {
  // Fields joined with bytes that cannot occur in a command word.
  std::string k = path;
  for (const auto& [n, v] : args)
    k += '\x01' + n + '\x02' + v;
  k += '\x03';
  for (const auto& p : proplist)
    k += p + ',';
  for (const auto& [n, v] : where)
    k += '\x04' + n + '\x02' + v;
  return k;
}

namespace {
// Commands that change the router (monitor-traffic =once=, ping and the like do not).
bool changesState(const Command& cmd) {
  static const char* const kVerbs[] = {"add",     "set",  "remove",         "unset", "enable",
                                       "disable", "move", "reset-counters", "reset"};
  const std::string verb = cmd.verb();
  for (const char* v : kVerbs)
    if (verb == v) return true;
  return false;
}
} // namespace

Client::Client(asio::io_context& io, ClientOptions options)
    : io_(io), options_(std::move(options)), tokens_(options_.burst),
      refilled_(std::chrono::steady_clock::now()), pump_timer_(io) {}

Client::~Client() = default;

void Client::call(Command cmd, ResultHandler handler) {
  asio::post(io_, [self = shared_from_this(), cmd = std::move(cmd),
                   handler = std::move(handler)]() mutable {
    self->enqueue(std::move(cmd), std::move(handler));
  });
}

std::future<Result> Client::callAsync(Command cmd) {
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  call(std::move(cmd), [promise](Result r) { promise->set_value(std::move(r)); });
  return future;
}

void Client::enqueue(Command cmd, ResultHandler handler) {
  auto fail = [&](ErrorCode code, std::string msg) {
    Result r;
    r.error = {code, std::move(msg)};
    handler(std::move(r));
  };
  if (closed_) return fail(ErrorCode::Closed, "client closed");
  // Every print names its columns: a full print of a busy menu costs the router (and us) many
  // times what the few columns we use do.
  if (cmd.isPrint() && cmd.proplist.empty())
    return fail(ErrorCode::Invalid, cmd.path + " without .proplist");
  std::string key;
  const auto now = std::chrono::steady_clock::now();
  if (cmd.isPrint()) {
    key = cmd.key();
    if (options_.cache_ttl.count() > 0) {
      auto it = cache_.find(key);
      if (it != cache_.end() && now - it->second.at < options_.cache_ttl) {
        ++cache_hits_;
        Result r = it->second.result;
        r.cached = true;
        return handler(std::move(r));
      }
    }
    auto joined = joined_.find(key);
    if (joined != joined_.end()) {
      ++joined_count_;
      joined->second.push_back(std::move(handler));
      return;
    }
  } else if (changesState(cmd)) {
    // A change may alter anything a cached print shows.
    cache_.clear();
  }
  if (queue_.size() >= options_.max_queued)
    return fail(ErrorCode::Busy, "router " + options_.name + " has " +
                                     std::to_string(queue_.size()) + " requests queued");
  if (!key.empty()) joined_[key]; // later identical prints join this one
  queue_.push_back(
      {Queued{std::move(cmd), key, now + options_.request_timeout}, std::move(handler)});
  pump();
}

void Client::pump() {
  using namespace std::chrono;
  while (!queue_.empty() && in_flight_ < std::max(1u, options_.max_in_flight)) {
    const auto now = steady_clock::now();
    if (options_.rate_per_s > 0) {
      tokens_ = std::min(options_.burst,
                         tokens_ + duration<double>(now - refilled_).count() * options_.rate_per_s);
      refilled_ = now;
      if (tokens_ < 1) {
        if (!pump_scheduled_) {
          pump_scheduled_ = true;
          const auto wait = duration<double>((1 - tokens_) / options_.rate_per_s);
          pump_timer_.expires_after(duration_cast<steady_clock::duration>(wait));
          pump_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            self->pump_scheduled_ = false;
            if (!ec) self->pump();
          });
        }
        return;
      }
      tokens_ -= 1;
    }
    auto [q, handler] = std::move(queue_.front());
    queue_.pop_front();
    if (now > q.deadline) {
      Result r;
      r.error = {ErrorCode::Timeout,
                 "queued past its deadline (router " + options_.name + " busy)"};
      finish(q.key, std::move(handler), std::move(r));
      continue;
    }
    ++in_flight_;
    ++requests_;
    start(std::move(q.cmd),
          [self = shared_from_this(), key = q.key, handler = std::move(handler)](Result r) mutable {
            --self->in_flight_;
            self->finish(key, std::move(handler), std::move(r));
            self->pump();
          });
  }
}

void Client::finish(const std::string& key, ResultHandler handler, Result r) {
  std::vector<ResultHandler> waiters;
  if (!key.empty()) {
    auto it = joined_.find(key);
    if (it != joined_.end()) {
      waiters = std::move(it->second);
      joined_.erase(it);
    }
    if (!r.error && options_.cache_ttl.count() > 0) {
      const auto now = std::chrono::steady_clock::now();
      // Drop expired entries now and then, so the cache holds only what is fresh.
      if (cache_.size() > 256)
        std::erase_if(cache_,
                      [&](const auto& e) { return now - e.second.at >= options_.cache_ttl; });
      cache_[key] = {now, r};
    }
  }
  for (auto& w : waiters) {
    Result copy = r;
    copy.cached = true;
    w(std::move(copy));
  }
  handler(std::move(r));
}

uint64_t Client::stream(Command cmd, RowHandler on_row, EndHandler on_end) {
  // Ids are handed out here, on the caller's thread, so cancel() can be called right away.
  static std::atomic<uint64_t> next{1};
  const uint64_t id = next++;
  asio::post(io_, [self = shared_from_this(), id, cmd = std::move(cmd), on_row = std::move(on_row),
                   on_end = std::move(on_end)]() mutable {
    if (self->closed_) return on_end(Error{ErrorCode::Closed, "client closed"});
    self->startStream(id, std::move(cmd), std::move(on_row), std::move(on_end));
  });
  return id;
}

void Client::cancel(uint64_t stream_id) {
  asio::post(io_, [self = shared_from_this(), stream_id] { self->stopStream(stream_id); });
}

void Client::close() {
  asio::post(io_, [self = shared_from_this()] {
    if (self->closed_) return;
    self->closed_ = true;
    self->pump_timer_.cancel();
    auto queue = std::move(self->queue_);
    for (auto& [q, handler] : queue) {
      Result r;
      r.error = {ErrorCode::Closed, "client closed"};
      self->finish(q.key, std::move(handler), std::move(r));
    }
    self->cache_.clear();
    self->shutdown();
  });
}

ClientStats Client::stats() const {
  ClientStats s;
  s.requests = requests_;
  s.cache_hits = cache_hits_;
  s.joined = joined_count_;
  s.bytes_sent = bytes_sent_;
  s.bytes_received = bytes_received_;
  s.connects = connects_;
  s.connect_failures = connect_failures_;
  s.connected = connected_;
  std::lock_guard lock(error_mutex_);
  s.last_error = last_error_;
  return s;
}

void Client::noteConnected(bool up) {
  connected_ = up;
  if (up) ++connects_;
}

void Client::noteConnectFailure(const std::string& why) {
  ++connect_failures_;
  noteError(why);
}

void Client::noteError(const std::string& why) {
  std::lock_guard lock(error_mutex_);
  last_error_ = why;
}

std::chrono::milliseconds Client::nextBackoff() {
  using std::chrono::milliseconds;
  backoff_ =
      backoff_.count() == 0 ? options_.backoff_min : std::min(options_.backoff_max, backoff_ * 2);
  // Up to a quarter less, so routers that failed together do not retry together.
  thread_local std::minstd_rand rng(std::random_device{}());
  const auto jitter = backoff_.count() / 4;
  return milliseconds(
      backoff_.count() -
      (jitter > 0 ? static_cast<long>(rng() % static_cast<unsigned long>(jitter)) : 0));
}

} // namespace ispbox::routeros
