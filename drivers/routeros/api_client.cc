// SPDX-License-Identifier: GPL-2.0-or-later
// The RouterOS binary API over one TCP (or TLS) connection per router: tagged commands multiplexed
// on it, login on connect, reconnect with backoff. See client.h for what the base class adds.
#include <boost/asio/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "drivers/routeros/client.h"

namespace ispbox::routeros {
namespace {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::string hexOf(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

std::optional<std::string> unhex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = v(hex[i]), lo = v(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

} // namespace

// The pre-6.43 challenge answer: "00" + hex(md5(0x00 + password + challenge)).
std::optional<std::string> challengeResponse(std::string_view password, std::string_view ret_hex) {
  auto challenge = unhex(ret_hex);
  if (!challenge) return std::nullopt;
  std::string data(1, '\0');
  data.append(password);
  data.append(*challenge);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr) != 1) return std::nullopt;
  return "00" + hexOf(md, len);
}

namespace {

class ApiClient final : public Client {
public:
  ApiClient(asio::io_context& io, ClientOptions options)
      : Client(io, std::move(options)), resolver_(io), connect_timer_(io), backoff_timer_(io),
        ssl_ctx_(ssl::context::tls_client), decoder_(options_.limits) {
    if (options_.port == 0) options_.port = options_.tls ? 8729 : 8728;
    if (options_.tls) configureTls();
  }
  ~ApiClient() override = default;
  std::string_view transportName() const override { return options_.tls ? "api-ssl" : "api"; }

protected:
  void start(Command cmd, ResultHandler done) override {
    auto req = std::make_shared<Request>();
    req->done = std::move(done);
    req->cmd = std::move(cmd);
    req->timer = std::make_unique<asio::steady_timer>(io_);
    req->timer->expires_after(options_.request_timeout);
    req->timer->async_wait([this, self = shared_from_this(), req](const error_code& ec) {
      if (ec) return;
      timeOut(req);
    });
    if (state_ == State::Ready) {
      send(req);
    } else {
      waiting_.push_back(req);
      ensureConnection();
    }
  }

  void startStream(uint64_t id, Command cmd, RowHandler on_row, EndHandler on_end) override {
    auto req = std::make_shared<Request>();
    req->cmd = std::move(cmd);
    req->stream_id = id;
    req->on_row = std::move(on_row);
    req->on_end = std::move(on_end);
    streams_[id] = req;
    if (state_ == State::Ready) {
      send(req);
    } else {
      waiting_.push_back(req);
      ensureConnection();
    }
  }

  void stopStream(uint64_t id) override {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    auto req = it->second;
    req->cancelled = true;
    if (req->tag.empty()) {
      // Not sent yet: just forget it.
      std::erase(waiting_, req);
      streams_.erase(it);
      if (req->on_end) std::exchange(req->on_end, nullptr)(Error{});
      return;
    }
    // The router answers the stream with !trap category 2 ("interrupted") and !done; the stream
    // ends on those. /cancel itself gets a !done we do not wait for.
    writeSentence({"/cancel", "=tag=" + req->tag, ".tag=c" + req->tag});
  }

  void shutdown() override {
    backoff_timer_.cancel();
    dropConnection();
    state_ = State::Idle;
    failAll(Error{ErrorCode::Closed, "client closed"});
  }

private:
  struct Request {
    Command cmd;
    std::string tag;
    ResultHandler done;     // one-shot commands
    uint64_t stream_id = 0; // streams
    RowHandler on_row;
    EndHandler on_end;
    bool cancelled = false;
    Result result;
    std::unique_ptr<asio::steady_timer> timer;
    std::function<void(Result)> internal; // login steps
  };
  using RequestPtr = std::shared_ptr<Request>;
  enum class State { Idle, Connecting, LoggingIn, Ready, Backoff };

  void configureTls() {
    if (options_.insecure_skip_verify) {
      ssl_ctx_.set_verify_mode(ssl::verify_none);
      // Routers without a certificate offer only anonymous DH, which OpenSSL 3 refuses below
      // security level 0.
      SSL_CTX_set_cipher_list(ssl_ctx_.native_handle(), "DEFAULT:ADH:@SECLEVEL=0");
    } else {
      ssl_ctx_.set_verify_mode(ssl::verify_peer);
      error_code ec;
      if (!options_.ca_file.empty())
        ssl_ctx_.load_verify_file(options_.ca_file, ec);
      else
        ssl_ctx_.set_default_verify_paths(ec);
      if (ec) tls_setup_error_ = "cannot load CA file " + options_.ca_file + ": " + ec.message();
    }
  }

  void ensureConnection() {
    if (state_ == State::Idle) connect();
    // Connecting/LoggingIn: the request waits; Backoff: the timer reconnects.
  }

  bool hasDemand() const { return !waiting_.empty() || !streams_.empty(); }

  void connect() {
    state_ = State::Connecting;
    const uint64_t gen = ++generation_;
    if (!tls_setup_error_.empty()) return connectFailed(gen, ErrorCode::Tls, tls_setup_error_);
    stream_ = std::make_shared<ssl::stream<tcp::socket>>(io_, ssl_ctx_);
    decoder_ = Decoder(options_.limits);
    connect_timer_.expires_after(options_.connect_timeout);
    connect_timer_.async_wait([this, self = shared_from_this(), gen](const error_code& ec) {
      if (ec || gen != generation_ || state_ == State::Ready) return;
      connectFailed(gen, ErrorCode::Timeout, "connect/login timed out");
    });
    resolver_.async_resolve(
        options_.host, std::to_string(options_.port),
        [this, self = shared_from_this(), gen](const error_code& ec,
                                               tcp::resolver::results_type results) {
          if (gen != generation_) return;
          if (ec) return connectFailed(gen, ErrorCode::Connection, "resolve: " + ec.message());
          asio::async_connect(
              stream_->next_layer(), results,
              [this, self, gen, stream = stream_](const error_code& ec2, const tcp::endpoint&) {
                if (gen != generation_) return;
                if (ec2)
                  return connectFailed(gen, ErrorCode::Connection, "connect: " + ec2.message());
                stream_->next_layer().set_option(tcp::no_delay(true));
                if (options_.tls)
                  handshake(gen);
                else
                  login(gen);
              });
        });
  }

  void handshake(uint64_t gen) {
    if (options_.insecure_skip_verify) {
      ISPBOX_LOG(Warning, "ROUTEROS_TLS_INSECURE")
          << "router " << options_.name << " (" << options_.host
          << "): API-SSL certificate NOT verified (insecure_skip_verify)";
    } else {
      error_code ec;
      asio::ip::make_address(options_.host, ec);
      if (ec) // SNI carries names only (SSL_set_tlsext_host_name is this call as a C macro)
        SSL_ctrl(stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(options_.host.c_str()));
      stream_->set_verify_callback(ssl::host_name_verification(options_.host));
    }
    stream_->async_handshake(ssl::stream_base::client, [this, self = shared_from_this(), gen,
                                                        stream = stream_](const error_code& ec) {
      if (gen != generation_) return;
      if (ec) return connectFailed(gen, ErrorCode::Tls, "TLS handshake: " + tlsMessage(ec));
      login(gen);
    });
  }

  std::string tlsMessage(const error_code& ec) {
    std::string msg = ec.message();
    const long verify = SSL_get_verify_result(stream_->native_handle());
    if (verify != X509_V_OK)
      msg += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    return msg;
  }

  void login(uint64_t gen) {
    state_ = State::LoggingIn;
    readLoop(gen);
    // 6.43+: name and password in one step. Older routers ignore both and answer with a
    // challenge (=ret=), which we then answer: the fall-back go-routeros uses as well.
    auto req = std::make_shared<Request>();
    req->cmd = Command("/login").arg("name", options_.username).arg("password", options_.password);
    req->internal = [this, gen](Result r) {
      if (gen != generation_) return;
      if (r.error) return loginFailed(gen, r.error);
      auto ret = r.done.find("ret");
      if (ret == r.done.end()) return loggedIn(gen);
      auto response = challengeResponse(options_.password, ret->second);
      if (!response)
        return connectFailed(gen, ErrorCode::Protocol,
                             "login challenge is not hex: " + ret->second);
      ISPBOX_LOG(Notice, "ROUTEROS_LEGACY_LOGIN")
          << "router " << options_.name
          << " asked for the pre-6.43 challenge login: upgrade RouterOS";
      auto step2 = std::make_shared<Request>();
      step2->cmd = Command("/login").arg("name", options_.username).arg("response", *response);
      step2->internal = [this, gen](Result r2) {
        if (gen != generation_) return;
        if (r2.error) return loginFailed(gen, r2.error);
        loggedIn(gen);
      };
      send(step2);
    };
    send(req);
  }

  void loginFailed(uint64_t gen, const Error& e) {
    const std::string msg = "login as " + options_.username + " refused: " + e.message;
    ISPBOX_LOG(Error, "ROUTEROS_LOGIN_FAILED") << "router " << options_.name << ": " << msg;
    connectFailed(gen, e.code == ErrorCode::Trap ? ErrorCode::Auth : e.code, msg, false);
  }

  void loggedIn(uint64_t gen) {
    if (gen != generation_) return;
    connect_timer_.cancel();
    state_ = State::Ready;
    resetBackoff();
    noteConnected(true);
    ISPBOX_LOG(Info, "ROUTEROS_CONNECTED")
        << "router " << options_.name << " (" << options_.host << ":" << options_.port << ", "
        << transportName() << ") logged in";
    auto waiting = std::move(waiting_);
    for (auto& req : waiting)
      send(req);
  }

  void connectFailed(uint64_t gen, ErrorCode code, const std::string& why, bool log = true) {
    if (gen != generation_) return;
    noteConnectFailure(why);
    if (log)
      ISPBOX_LOG(Warning, "ROUTEROS_CONNECT_FAILED")
          << "router " << options_.name << " (" << options_.host << ":" << options_.port
          << "): " << why;
    // What waits for this connection fails now with the reason; retrying is the caller's choice.
    // The generation moves on first, so handlers failed below cannot re-enter this.
    dropConnection();
    failAll(Error{code, why});
    scheduleReconnect();
  }

  void connectionLost(const std::string& why, ErrorCode code = ErrorCode::Connection) {
    noteError(why);
    ISPBOX_LOG(Warning, "ROUTEROS_DISCONNECTED") << "router " << options_.name << ": " << why;
    dropConnection();
    failAll(Error{code, why});
    scheduleReconnect();
  }

  void scheduleReconnect() {
    state_ = State::Backoff;
    backoff_timer_.expires_after(nextBackoff());
    backoff_timer_.async_wait([this, self = shared_from_this()](const error_code& ec) {
      if (ec || closed_ || state_ != State::Backoff) return;
      state_ = State::Idle;
      if (hasDemand()) connect();
    });
  }

  void dropConnection() {
    ++generation_;
    connect_timer_.cancel();
    resolver_.cancel();
    if (stream_) {
      error_code ec;
      stream_->next_layer().shutdown(tcp::socket::shutdown_both, ec);
      stream_->next_layer().close(ec);
    }
    // Handlers still queued for this stream hold their own reference to it (see readLoop), so it
    // outlives them even when the next connect replaces stream_.
    write_queue_.clear();
    writing_ = false;
    if (state_ == State::Ready) noteConnected(false);
  }

  void failAll(const Error& e) {
    auto inflight = std::move(inflight_);
    inflight_.clear();
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& [tag, req] : inflight)
      complete(req, e);
    for (auto& req : waiting)
      complete(req, e);
  }

  void timeOut(const RequestPtr& req) {
    if (!req->tag.empty()) {
      if (!inflight_.erase(req->tag)) return;
      writeSentence({"/cancel", "=tag=" + req->tag, ".tag=c" + req->tag});
    } else {
      std::erase(waiting_, req);
    }
    std::string why = "no answer from router " + options_.name + " in " +
                      std::to_string(options_.request_timeout.count()) + " ms";
    const auto s = stats();
    if (!s.connected && !s.last_error.empty()) why += " (last error: " + s.last_error + ")";
    complete(req, Error{ErrorCode::Timeout, why});
  }

  // Finishes a request once, with an error or with what it collected.
  void complete(const RequestPtr& req, const Error& e) {
    if (req->timer) req->timer->cancel();
    if (req->stream_id) {
      streams_.erase(req->stream_id);
      // After our own /cancel the router's "interrupted" trap is the normal end.
      Error end =
          req->cancelled && (e.code == ErrorCode::Trap || e.code == ErrorCode::None) ? Error{} : e;
      if (req->on_end) std::exchange(req->on_end, nullptr)(end);
      return;
    }
    Result r = std::move(req->result);
    if (e) r.error = e;
    if (req->internal) return std::exchange(req->internal, nullptr)(std::move(r));
    if (req->done) std::exchange(req->done, nullptr)(std::move(r));
  }

  void send(const RequestPtr& req) {
    std::vector<std::string> words;
    words.push_back(req->cmd.path);
    auto bytes = [&](std::string_view text) -> std::optional<std::string> {
      return fromUtf8(text, options_.charset);
    };
    for (const auto& [name, value] : req->cmd.args) {
      auto v = bytes(value);
      if (!v)
        return complete(
            req, Error{ErrorCode::Invalid, name + ": not representable in the router's charset"});
      words.push_back("=" + name + "=" + *v);
    }
    if (!req->cmd.proplist.empty()) {
      std::string props;
      for (const auto& p : req->cmd.proplist)
        props += (props.empty() ? "" : ",") + p;
      words.push_back("=.proplist=" + props);
    }
    for (const auto& [name, value] : req->cmd.where) {
      auto v = bytes(value);
      if (!v)
        return complete(
            req, Error{ErrorCode::Invalid, name + ": not representable in the router's charset"});
      words.push_back("?" + name + "=" + *v);
    }
    req->tag = std::to_string(++next_tag_);
    words.push_back(".tag=" + req->tag);
    inflight_[req->tag] = req;
    writeSentence(words);
  }

  void writeSentence(const std::vector<std::string>& words) {
    if (!stream_ || state_ == State::Idle || state_ == State::Backoff) return;
    write_queue_.push_back(encodeSentence(words));
    if (!writing_) writeNext(generation_);
  }

  void writeNext(uint64_t gen) {
    if (write_queue_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto buf = std::make_shared<std::string>(std::move(write_queue_.front()));
    write_queue_.pop_front();
    auto handler = [this, self = shared_from_this(), gen, buf,
                    stream = stream_](const error_code& ec, size_t n) {
      if (gen != generation_) return;
      if (ec) return connectionLost("write: " + ec.message());
      noteSent(n);
      writeNext(gen);
    };
    if (options_.tls)
      asio::async_write(*stream_, asio::buffer(*buf), handler);
    else
      asio::async_write(stream_->next_layer(), asio::buffer(*buf), handler);
  }

  void readLoop(uint64_t gen) {
    auto handler = [this, self = shared_from_this(), gen, stream = stream_](const error_code& ec,
                                                                            size_t n) {
      if (gen != generation_) return;
      if (ec) {
        if (state_ == State::LoggingIn)
          return connectFailed(gen, ErrorCode::Connection, "read during login: " + ec.message());
        return connectionLost(ec == asio::error::eof ? "router closed the connection"
                                                     : "read: " + ec.message());
      }
      noteReceived(n);
      decoder_.feed(read_buf_.data(), n);
      std::vector<std::string> words;
      for (;;) {
        const auto status = decoder_.next(&words);
        if (status == Decoder::Status::NeedMore) break;
        if (status == Decoder::Status::Error) {
          ISPBOX_LOG(Error, "ROUTEROS_PROTOCOL_ERROR")
              << "router " << options_.name << ": " << decoder_.error();
          return connectionLost("protocol error: " + decoder_.error(), ErrorCode::Protocol);
        }
        onSentence(parseSentence(std::move(words)));
        if (gen != generation_) return; // the sentence ended the connection
      }
      readLoop(gen);
    };
    if (options_.tls)
      stream_->async_read_some(asio::buffer(read_buf_), handler);
    else
      stream_->next_layer().async_read_some(asio::buffer(read_buf_), handler);
  }

  void onSentence(Sentence s) {
    if (s.type == ReplyType::Fatal) {
      std::string why = s.other.empty() ? "!fatal" : s.other.front();
      ISPBOX_LOG(Warning, "ROUTEROS_FATAL") << "router " << options_.name << ": " << why;
      if (state_ == State::LoggingIn)
        return connectFailed(generation_, ErrorCode::Fatal, "router: " + why, false);
      return connectionLost("router ended the session: " + why, ErrorCode::Fatal);
    }
    if (!s.tag) return; // every command we send is tagged; an untagged reply answers nothing
    auto it = inflight_.find(*s.tag);
    if (it == inflight_.end()) return; // /cancel's own !done, or a late reply after a timeout
    RequestPtr req = it->second;
    switch (s.type) {
    case ReplyType::Re: {
      Row row;
      for (auto& [k, v] : s.attributes)
        row[k] = toUtf8(v, options_.charset);
      if (req->stream_id) {
        if (req->on_row && !req->cancelled) req->on_row(row);
      } else {
        req->result.rows.push_back(std::move(row));
      }
      break;
    }
    case ReplyType::Trap: {
      // Several traps may precede !done; the first one says what went wrong.
      if (!req->result.error) {
        const std::string* msg = s.attr("message");
        const std::string* cat = s.attr("category");
        req->result.error = {ErrorCode::Trap, msg ? toUtf8(*msg, options_.charset) : "!trap",
                             cat ? std::atoi(cat->c_str()) : -1};
      }
      break;
    }
    case ReplyType::Empty: // RouterOS 7.18+: the command has no rows; a !done may follow
    case ReplyType::Done: {
      inflight_.erase(it);
      for (auto& [k, v] : s.attributes)
        req->result.done[k] = toUtf8(v, options_.charset);
      Error e = req->result.error;
      complete(req, e);
      break;
    }
    case ReplyType::Fatal:
    case ReplyType::Unknown:
      break; // an unknown reply word is ignored, as the wiki asks of clients
    }
  }

  tcp::resolver resolver_;
  asio::steady_timer connect_timer_, backoff_timer_;
  ssl::context ssl_ctx_;
  std::string tls_setup_error_;
  std::shared_ptr<ssl::stream<tcp::socket>> stream_;
  Decoder decoder_;
  std::array<char, 16384> read_buf_{};
  std::deque<std::string> write_queue_;
  bool writing_ = false;
  State state_ = State::Idle;
  uint64_t generation_ = 0;
  uint64_t next_tag_ = 0;
  std::map<std::string, RequestPtr> inflight_;
  std::vector<RequestPtr> waiting_;
  std::map<uint64_t, RequestPtr> streams_;
};

} // namespace

std::shared_ptr<Client> makeApiClient(asio::io_context& io, ClientOptions options) {
  return std::make_shared<ApiClient>(io, std::move(options));
}

} // namespace ispbox::routeros
