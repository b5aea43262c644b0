// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/radius/coa_client.h"

#include <algorithm>

#include "common/log.h"

namespace ispbox::radius {

struct CoaClient::Pending {
  CoaTarget target;
  std::string bytes; // the packet, sent again unchanged on retransmission (RFC 5176 §2.3)
  Code code = Code::CoaRequest;
  std::vector<Attribute> attrs;
  Done done;
  uint8_t id = 0;
  unsigned attempts = 0;
  std::chrono::milliseconds timeout{0};
  std::chrono::steady_clock::time_point enqueued, first_sent;
  std::unique_ptr<asio::steady_timer> timer;
  bool finished = false;
};

std::string_view outcomeName(Outcome o) {
  switch (o) {
  case Outcome::Ack:
    return "ack";
  case Outcome::Nak:
    return "nak";
  case Outcome::Timeout:
    return "timeout";
  case Outcome::Error:
    return "error";
  }
  return "error";
}

CoaClient::CoaClient(asio::io_context& io, CoaClientOptions options)
    : io_(io), options_(std::move(options)), socket_(io) {
  options_.max_in_flight_per_nas = std::clamp(options_.max_in_flight_per_nas, 1u, 255u);
  options_.max_attempts = std::max(options_.max_attempts, 1u);
  const auto addr = asio::ip::make_address_v4(options_.source_address);
  socket_.open(asio::ip::udp::v4());
  socket_.bind(asio::ip::udp::endpoint(addr, 0));
  receive();
}

CoaClient::~CoaClient() {
  *alive_ = false;
  cancelAll();
  boost::system::error_code ec;
  socket_.close(ec);
}

size_t CoaClient::inFlight() const {
  size_t n = 0;
  for (const auto& [ep, peer] : peers_)
    n += peer.in_flight;
  return n;
}

size_t CoaClient::queued() const {
  size_t n = 0;
  for (const auto& [ep, peer] : peers_)
    n += peer.queue.size();
  return n;
}

void CoaClient::send(const CoaTarget& target, Code code, std::vector<Attribute> attrs, Done done) {
  auto p = std::make_shared<Pending>();
  p->target = target;
  p->code = code;
  p->attrs = std::move(attrs);
  p->done = std::move(done);
  p->enqueued = std::chrono::steady_clock::now();
  Peer& peer = peers_[target.endpoint];
  peer.queue.push_back(std::move(p));
  pump(peer);
}

void CoaClient::pump(Peer& peer) {
  while (!peer.queue.empty() && peer.in_flight < options_.max_in_flight_per_nas) {
    auto p = std::move(peer.queue.front());
    peer.queue.pop_front();
    // A free identifier: at most 255 are in flight, so one of 256 is always free. Going round
    // keeps a late reply to an old request from meeting a new request with its identifier.
    while (peer.by_id[peer.next_id])
      ++peer.next_id;
    p->id = peer.next_id++;
    try {
      p->bytes = encodeRequest(p->code, p->id, p->attrs, p->target.secret);
    } catch (const std::exception& e) {
      CoaResult r;
      r.outcome = Outcome::Error;
      r.detail = e.what();
      p->finished = true;
      p->done(r);
      continue;
    }
    peer.by_id[p->id] = p;
    ++peer.in_flight;
    peak_in_flight_ = std::max(peak_in_flight_, peer.in_flight);
    p->timeout = options_.initial_timeout;
    p->first_sent = std::chrono::steady_clock::now();
    p->timer = std::make_unique<asio::steady_timer>(io_);
    transmit(p);
  }
}

void CoaClient::transmit(const std::shared_ptr<Pending>& p) {
  ++p->attempts;
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(p->bytes), p->target.endpoint, 0, ec);
  if (ec && ec != asio::error::would_block) {
    CoaResult r;
    r.outcome = Outcome::Error;
    r.detail = "send to " + p->target.endpoint.address().to_string() + ": " + ec.message();
    finish(p, std::move(r));
    return;
  }
  arm(p);
}

void CoaClient::arm(const std::shared_ptr<Pending>& p) {
  p->timer->expires_after(p->timeout);
  std::weak_ptr<Pending> weak = p;
  p->timer->async_wait([this, weak, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    auto pending = weak.lock();
    if (!pending || pending->finished) return;
    if (pending->attempts >= options_.max_attempts) {
      CoaResult r;
      r.outcome = Outcome::Timeout;
      r.detail = "no reply after " + std::to_string(pending->attempts) + " attempt(s)";
      finish(pending, std::move(r));
      return;
    }
    pending->timeout = std::min(pending->timeout * 2, options_.max_timeout);
    transmit(pending);
  });
}

void CoaClient::finish(const std::shared_ptr<Pending>& p, CoaResult result) {
  if (p->finished) return;
  p->finished = true;
  if (p->timer) p->timer->cancel();
  const auto now = std::chrono::steady_clock::now();
  result.attempts = p->attempts;
  result.latency = std::chrono::duration_cast<std::chrono::microseconds>(now - p->first_sent);
  result.queued =
      std::chrono::duration_cast<std::chrono::microseconds>(p->first_sent - p->enqueued);
  auto it = peers_.find(p->target.endpoint);
  if (it != peers_.end() && it->second.by_id[p->id] == p) {
    it->second.by_id[p->id].reset();
    --it->second.in_flight;
  }
  Done done = std::move(p->done);
  done(result);
  // The callback may have queued more; and a slot is free now.
  it = peers_.find(p->target.endpoint);
  if (it != peers_.end()) pump(it->second);
}

void CoaClient::cancelAll() {
  std::vector<std::shared_ptr<Pending>> all;
  for (auto& [ep, peer] : peers_) {
    for (auto& p : peer.by_id)
      if (p) all.push_back(p);
    all.insert(all.end(), peer.queue.begin(), peer.queue.end());
    peer.queue.clear();
  }
  for (auto& p : all) {
    CoaResult r;
    r.outcome = Outcome::Error;
    r.detail = "shutting down";
    finish(p, std::move(r));
  }
}

void CoaClient::receive() {
  socket_.async_receive_from(asio::buffer(rx_), rx_from_,
                             [this, alive = alive_](const boost::system::error_code& ec, size_t n) {
                               if (!*alive || ec == asio::error::operation_aborted) return;
                               if (!ec) onDatagram(n);
                               receive();
                             });
}

void CoaClient::onDatagram(size_t n) {
  auto it = peers_.find(rx_from_);
  if (it == peers_.end() || n < 20) return; // not a NAS we are talking to: ignore
  const auto id = static_cast<uint8_t>(rx_[1]);
  auto p = it->second.by_id[id];
  if (!p) return; // a late duplicate of a finished exchange
  std::string why;
  auto reply = verifyReply(std::string_view(rx_.data(), n), p->bytes, p->target.secret,
                           p->target.require_message_authenticator, &why);
  if (!reply) {
    // Not believed: keep waiting for a genuine reply (a spoofed packet must not end the exchange).
    ISPBOX_LOG(Warning, "COA_REPLY_INVALID")
        << "from " << p->target.name << " (" << rx_from_.address().to_string() << "): " << why;
    return;
  }
  CoaResult r;
  r.reply_code = reply->code;
  r.outcome = reply->code == Code::CoaAck || reply->code == Code::DisconnectAck ? Outcome::Ack
                                                                                : Outcome::Nak;
  if (const auto* cause = reply->find(attr::kErrorCause))
    r.error_cause = cause->asInteger().value_or(0);
  if (const auto* msg = reply->find(attr::kReplyMessage)) r.detail = msg->value;
  finish(p, std::move(r));
}

} // namespace ispbox::radius
