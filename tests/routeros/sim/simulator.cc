// SPDX-License-Identifier: GPL-2.0-or-later
#include "tests/routeros/sim/simulator.h"

#include <array>
#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <deque>
#include <future>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <optional>
#include <thread>

#include "common/asio.h"
#include "drivers/routeros/codec.h"

namespace ispbox::routeros::sim {
namespace {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Words = std::vector<std::string>;

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

std::string md5Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return hex(md, len);
}

} // namespace

struct Simulator::Impl {
  class Session;

  SimOptions opt;
  asio::io_context io;
  std::optional<ssl::context> ssl_ctx;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::unique_ptr<httplib::Server> http;
  std::thread http_thread;
  int port = 0;

  mutable std::mutex mu; // everything below
  std::map<std::string, std::vector<SimRow>> tables;
  std::map<std::string, std::pair<uint64_t, uint64_t>> rates;
  uint64_t next_id = 1;
  SimCounters counters;
  long drop_after = -1;
  std::vector<std::weak_ptr<Session>> sessions;

  // ---- the data, shared by both protocols (callers hold mu) ----

  std::vector<SimRow>* table(const std::string& menu) {
    auto it = tables.find(menu);
    return it == tables.end() ? nullptr : &it->second;
  }

  static bool matches(const SimRow& row,
                      const std::vector<std::pair<std::string, std::string>>& q) {
    for (const auto& [k, v] : q) {
      auto it = row.find(k);
      if (it == row.end() || it->second != v) return false;
    }
    return true;
  }

  static SimRow project(const SimRow& row, const std::vector<std::string>& props) {
    if (props.empty()) return row;
    SimRow out;
    for (const auto& p : props) {
      auto it = row.find(p);
      if (it != row.end()) out[p] = it->second;
    }
    return out;
  }

  std::pair<uint64_t, uint64_t> rateOf(const std::string& name) {
    auto it = rates.find(name);
    if (it != rates.end()) return it->second;
    const uint64_t h = std::hash<std::string>{}(name);
    return {1000000 + h % 9000000, 5000000 + h % 40000000};
  }

  bool interfaceExists(const std::string& name) {
    auto* t = table("/interface");
    if (!t) return false;
    for (const auto& r : *t)
      if (r.count("name") && r.at("name") == name) return true;
    return false;
  }

  // Runs a non-streaming command on the tables. Returns the reply sentences (without tags).
  std::vector<Words> execute(const std::string& path, const SimRow& args,
                             const std::vector<std::string>& props,
                             const std::vector<std::pair<std::string, std::string>>& query) {
    std::lock_guard lock(mu);
    auto trap = [](std::string msg) {
      return std::vector<Words>{{"!trap", "=message=" + msg}, {"!done"}};
    };
    const size_t slash = path.rfind('/');
    const std::string menu = slash == 0 ? "/" : path.substr(0, slash);
    const std::string verb = path.substr(slash + 1);
    auto* t = table(menu);
    if (!t) return trap("no such command prefix");
    std::vector<Words> out;
    if (verb == "print") {
      for (const auto& row : *t) {
        if (!matches(row, query)) continue;
        Words re{"!re"};
        for (const auto& [k, v] : project(row, props))
          re.push_back("=" + k + "=" + v);
        out.push_back(std::move(re));
      }
      if (out.empty() && opt.send_empty) out.push_back({"!empty"});
      out.push_back({"!done"});
      return out;
    }
    if (verb == "add") {
      SimRow row = args;
      char id[32];
      std::snprintf(id, sizeof id, "*%llX", static_cast<unsigned long long>(next_id++));
      row[".id"] = id;
      t->push_back(row);
      return {{"!done", std::string("=ret=") + id}};
    }
    if (verb == "set" || verb == "remove") {
      auto id = args.find(".id");
      if (id == args.end()) id = args.find("numbers");
      if (id == args.end()) return trap("missing .id");
      for (auto it = t->begin(); it != t->end(); ++it) {
        if (it->at(".id") != id->second) continue;
        if (verb == "remove") {
          t->erase(it);
        } else {
          for (const auto& [k, v] : args)
            if (k != ".id" && k != "numbers") (*it)[k] = v;
        }
        return {{"!done"}};
      }
      return trap("no such item");
    }
    return trap("no such command");
  }

  std::vector<Words> monitorSample(const std::vector<std::string>& names) {
    std::lock_guard lock(mu);
    std::vector<Words> out;
    for (const auto& n : names) {
      auto [rx, tx] = rateOf(n);
      out.push_back({"!re", "=name=" + n, "=rx-bits-per-second=" + std::to_string(rx),
                     "=tx-bits-per-second=" + std::to_string(tx),
                     "=rx-packets-per-second=" + std::to_string(rx / 8000),
                     "=tx-packets-per-second=" + std::to_string(tx / 8000)});
    }
    return out;
  }

  void accept();
  void startRest();
};

// One API connection.
class Simulator::Impl::Session : public std::enable_shared_from_this<Session> {
public:
  Session(Impl& sim, tcp::socket socket)
      : sim_(sim),
        stream_(std::make_shared<ssl::stream<tcp::socket>>(std::move(socket), *sim.ssl_ctx)) {}

  void start() {
    if (sim_.opt.tls) {
      stream_->async_handshake(ssl::stream_base::server,
                               [self = shared_from_this()](const error_code& ec) {
                                 if (ec) return self->close();
                                 self->read();
                               });
    } else {
      read();
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    for (auto& [tag, timer] : monitors_)
      timer->cancel();
    monitors_.clear();
    error_code ec;
    stream_->next_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_->next_layer().close(ec);
  }

private:
  void read() {
    auto handler = [self = shared_from_this()](const error_code& ec, size_t n) {
      if (ec || self->closed_) return self->close();
      {
        std::lock_guard lock(self->sim_.mu);
        self->sim_.counters.bytes_in += n;
      }
      self->decoder_.feed(self->buf_.data(), n);
      Words words;
      for (;;) {
        auto st = self->decoder_.next(&words);
        if (st == Decoder::Status::NeedMore) break;
        if (st == Decoder::Status::Error) {
          self->send({"!fatal", "malformed sentence"}, true);
          return;
        }
        self->handle(words);
        if (self->closed_) return;
      }
      self->read();
    };
    if (sim_.opt.tls)
      stream_->async_read_some(asio::buffer(buf_), handler);
    else
      stream_->next_layer().async_read_some(asio::buffer(buf_), handler);
  }

  void handle(const Words& words) {
    if (words.empty()) return;
    const std::string& cmd = words[0];
    SimRow args;
    std::vector<std::string> props;
    std::vector<std::pair<std::string, std::string>> query;
    std::optional<std::string> tag;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.rfind(".tag=", 0) == 0) {
        tag = w.substr(5);
      } else if (w.rfind("=.proplist=", 0) == 0) {
        std::string list = w.substr(11);
        size_t start = 0;
        while (start <= list.size()) {
          size_t comma = list.find(',', start);
          if (comma == std::string::npos) comma = list.size();
          if (comma > start) props.push_back(list.substr(start, comma - start));
          start = comma + 1;
        }
      } else if (w[0] == '=') {
        args.insert(splitAttribute(w));
      } else if (w[0] == '?') {
        auto [k, v] = splitAttribute(w.substr(1));
        query.emplace_back(k, v);
      }
    }
    auto tagged = [&](std::vector<Words> replies) {
      for (auto& r : replies)
        if (tag) r.push_back(".tag=" + *tag);
      return replies;
    };

    if (cmd == "/login") return login(args, tagged);
    if (!logged_in_) return reply(tagged({{"!trap", "=message=not logged in"}, {"!done"}}));
    {
      std::lock_guard lock(sim_.mu);
      ++sim_.counters.requests;
    }
    if (cmd == "/quit") return send({"!fatal", "session terminated on request"}, true);
    if (cmd == "/cancel") {
      auto target = args.find("tag");
      auto it = target == args.end() ? monitors_.end() : monitors_.find(target->second);
      if (it == monitors_.end())
        return reply(tagged({{"!trap", "=message=unknown command tag"}, {"!done"}}));
      it->second->cancel();
      monitors_.erase(it);
      {
        std::lock_guard lock(sim_.mu);
        --sim_.counters.active_streams;
      }
      // The cancelled command ends with "interrupted", then /cancel itself is done.
      reply({{"!trap", "=category=2", "=message=interrupted", ".tag=" + target->second},
             {"!done", ".tag=" + target->second}});
      return reply(tagged({{"!done"}}));
    }
    if (cmd == "/interface/monitor-traffic") return monitor(args, tag, tagged);
    reply(tagged(sim_.execute(cmd, args, props, query)));
  }

  template <class Tagged> void login(const SimRow& args, Tagged&& tagged) {
    auto name = args.find("name");
    auto password = args.find("password");
    auto response = args.find("response");
    bool ok = false;
    if (sim_.opt.legacy_login) {
      if (response == args.end()) {
        // Before 6.43 the router ignored the password and answered with a challenge.
        unsigned char c[16];
        for (auto& b : c)
          b = static_cast<unsigned char>(std::rand());
        challenge_.assign(reinterpret_cast<char*>(c), sizeof c);
        return reply(tagged({{"!done", "=ret=" + hex(c, sizeof c)}}));
      }
      ok = name != args.end() && name->second == sim_.opt.username &&
           response->second == "00" + md5Hex(std::string(1, '\0') + sim_.opt.password + challenge_);
    } else {
      ok = name != args.end() && password != args.end() && name->second == sim_.opt.username &&
           password->second == sim_.opt.password;
    }
    if (!ok)
      return reply(tagged({{"!trap", "=message=invalid user name or password (6)"}, {"!done"}}));
    logged_in_ = true;
    {
      std::lock_guard lock(sim_.mu);
      ++sim_.counters.logins;
    }
    reply(tagged({{"!done"}}));
  }

  template <class Tagged>
  void monitor(const SimRow& args, const std::optional<std::string>& tag, Tagged&& tagged) {
    std::vector<std::string> names;
    if (auto it = args.find("interface"); it != args.end()) {
      size_t start = 0;
      const std::string& list = it->second;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) names.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    }
    if (names.empty()) return reply(tagged({{"!trap", "=message=missing interface"}, {"!done"}}));
    std::string missing;
    {
      std::lock_guard lock(sim_.mu);
      for (const auto& n : names)
        if (missing.empty() && !sim_.interfaceExists(n)) missing = n;
    }
    if (!missing.empty())
      return reply(tagged({{"!trap", "=message=no such item (" + missing + ")"}, {"!done"}}));
    if (args.count("once")) {
      auto out = sim_.monitorSample(names);
      out.push_back({"!done"});
      return reply(tagged(std::move(out)));
    }
    if (!tag) return reply({{"!trap", "=message=monitor needs a .tag to be cancelled"}, {"!done"}});
    auto timer = std::make_shared<asio::steady_timer>(sim_.io);
    monitors_[*tag] = timer;
    {
      std::lock_guard lock(sim_.mu);
      ++sim_.counters.active_streams;
    }
    tick(*tag, names, timer, true);
  }

  void tick(const std::string& tag, const std::vector<std::string>& names,
            const std::shared_ptr<asio::steady_timer>& timer, bool first) {
    if (!first) {
      auto out = sim_.monitorSample(names);
      for (auto& w : out)
        w.push_back(".tag=" + tag);
      reply(std::move(out));
    }
    timer->expires_after(first ? std::chrono::milliseconds(1) : sim_.opt.monitor_interval);
    timer->async_wait([self = shared_from_this(), tag, names, timer](const error_code& ec) {
      if (ec || self->closed_) return;
      self->tick(tag, names, timer, false);
    });
  }

  void reply(std::vector<Words> sentences) {
    if (sim_.opt.reply_delay.count() > 0) {
      auto timer = std::make_shared<asio::steady_timer>(sim_.io, sim_.opt.reply_delay);
      timer->async_wait(
          [self = shared_from_this(), timer, s = std::move(sentences)](const error_code&) {
            for (const auto& w : s)
              self->send(w, false);
          });
      return;
    }
    for (const auto& w : sentences)
      send(w, false);
  }

  void send(const Words& words, bool then_close) {
    if (closed_ || close_after_write_) return; // nothing follows a last sentence
    std::string bytes = encodeSentence(words);
    {
      std::lock_guard lock(sim_.mu);
      if (sim_.drop_after >= 0 && sim_.drop_after-- == 0) {
        // Half a sentence, then nothing: a router that died mid-reply.
        bytes.resize(bytes.size() / 2);
        then_close = true;
      }
      sim_.counters.bytes_out += bytes.size();
    }
    queue_.push_back(std::move(bytes));
    if (then_close) close_after_write_ = true;
    if (!writing_) writeNext();
  }

  void writeNext() {
    if (queue_.empty()) {
      writing_ = false;
      if (close_after_write_) close();
      return;
    }
    writing_ = true;
    auto buf = std::make_shared<std::string>(std::move(queue_.front()));
    queue_.pop_front();
    auto handler = [self = shared_from_this(), buf](const error_code& ec, size_t) {
      if (ec) return self->close();
      self->writeNext();
    };
    if (sim_.opt.tls)
      asio::async_write(*stream_, asio::buffer(*buf), handler);
    else
      asio::async_write(stream_->next_layer(), asio::buffer(*buf), handler);
  }

  Impl& sim_;
  std::shared_ptr<ssl::stream<tcp::socket>> stream_;
  Decoder decoder_;
  std::array<char, 8192> buf_{};
  std::deque<std::string> queue_;
  bool writing_ = false, closed_ = false, close_after_write_ = false, logged_in_ = false;
  std::string challenge_;
  std::map<std::string, std::shared_ptr<asio::steady_timer>> monitors_;
};

void Simulator::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec) return; // closed
    auto s = std::make_shared<Session>(*this, std::move(socket));
    {
      std::lock_guard lock(mu);
      ++counters.connections;
      std::erase_if(sessions, [](const auto& w) { return w.expired(); });
      sessions.push_back(s);
    }
    s->start();
    accept();
  });
}

// ---- REST ----

void Simulator::Impl::startRest() {
  if (opt.tls)
    http = std::make_unique<httplib::SSLServer>(opt.cert_file.c_str(), opt.key_file.c_str());
  else
    http = std::make_unique<httplib::Server>();
  using Json = nlohmann::json;
  auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu);
      ++counters.requests;
      counters.bytes_in += req.path.size() + req.body.size();
      for (const auto& [k, v] : req.params)
        counters.bytes_in += k.size() + v.size() + 2;
    }
    const std::string plain = opt.username + ":" + opt.password;
    std::string b64(4 * ((plain.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(plain.data()),
                                  static_cast<int>(plain.size()));
    b64.resize(static_cast<size_t>(n));
    const std::string expected = "Basic " + b64;
    if (req.get_header_value("Authorization") == expected) return true;
    res.status = 401;
    res.set_content(R"({"error":401,"message":"Unauthorized"})", "application/json");
    return false;
  };
  auto answer = [this](httplib::Response& res, const std::vector<Words>& replies, bool single) {
    // The API's reply sentences become REST's JSON: rows, or {error, message, detail}.
    std::vector<SimRow> rows;
    for (const auto& w : replies) {
      if (w[0] == "!trap") {
        const auto msg = splitAttribute(w[1]).second;
        res.status = msg.rfind("no such", 0) == 0 ? 404 : 400;
        res.set_content(Json{{"error", res.status},
                             {"message", res.status == 404 ? "Not Found" : "Bad Request"},
                             {"detail", msg}}
                            .dump(),
                        "application/json");
        std::lock_guard lock(mu);
        counters.bytes_out += res.body.size();
        return;
      }
      if (w[0] == "!re" || (w[0] == "!done" && w.size() > 1)) {
        SimRow obj;
        for (size_t i = 1; i < w.size(); ++i) {
          auto [k, v] = splitAttribute(w[i]);
          obj[k == "ret" ? ".id" : k] = v;
        }
        rows.push_back(std::move(obj));
      }
    }
    // Written by hand rather than by nlohmann: RouterOS puts value bytes into its JSON as they
    // are (CP1252 included), and the client must cope with exactly that.
    auto str = [](const std::string& v) {
      std::string o = "\"";
      for (unsigned char c : v) {
        if (c == '"' || c == '\\') {
          o += '\\';
          o += static_cast<char>(c);
        } else if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
      }
      return o + "\"";
    };
    auto obj = [&](const SimRow& r) {
      std::string o = "{";
      for (const auto& [k, v] : r)
        o += (o.size() > 1 ? "," : "") + str(k) + ":" + str(v);
      return o + "}";
    };
    std::string out;
    if (single) {
      out = rows.empty() ? "{}" : obj(rows[0]);
    } else {
      out = "[";
      for (const auto& r : rows)
        out += (out.size() > 1 ? "," : "") + obj(r);
      out += "]";
    }
    res.set_content(out, "application/json");
    std::lock_guard lock(mu);
    counters.bytes_out += res.body.size();
  };
  auto bodyArgs = [](const httplib::Request& req, SimRow& args) {
    if (req.body.empty()) return true;
    auto doc = Json::parse(req.body, nullptr, false);
    if (!doc.is_object()) return false;
    for (const auto& [k, v] : doc.items())
      args[k] = v.is_string() ? v.get<std::string>() : v.dump();
    return true;
  };
  auto badJson = [](httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"error":400,"message":"Bad Request","detail":"bad JSON"})",
                    "application/json");
  };

  http->Get(R"(/rest(/.*))", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::string menu = req.matches[1];
    std::vector<std::string> props;
    std::vector<std::pair<std::string, std::string>> query;
    for (const auto& [k, v] : req.params) {
      if (k == ".proplist") {
        size_t start = 0;
        while (start <= v.size()) {
          size_t comma = v.find(',', start);
          if (comma == std::string::npos) comma = v.size();
          if (comma > start) props.push_back(v.substr(start, comma - start));
          start = comma + 1;
        }
      } else {
        query.emplace_back(k, v);
      }
    }
    bool single = false;
    const size_t slash = menu.rfind('/');
    if (slash != std::string::npos && menu.compare(slash + 1, 1, "*") == 0) {
      query.emplace_back(".id", menu.substr(slash + 1));
      menu = menu.substr(0, slash);
      single = true;
    }
    auto replies = execute(menu + "/print", {}, props, query);
    if (single && replies.size() == 1) {
      res.status = 404;
      res.set_content(R"({"error":404,"message":"Not Found"})", "application/json");
      return;
    }
    answer(res, replies, single);
  });
  http->Put(R"(/rest(/.*))", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    SimRow args;
    if (!bodyArgs(req, args)) return badJson(res);
    const std::string menu = req.matches[1];
    auto replies = execute(menu + "/add", args, {}, {});
    if (replies[0][0] == "!done") {
      std::lock_guard lock(mu);
      auto* t = table(menu);
      replies = {{"!re"}};
      for (const auto& [k, v] : t->back())
        replies[0].push_back("=" + k + "=" + v);
    }
    answer(res, replies, true);
  });
  http->Patch(R"(/rest(/.*)/(\*[0-9A-F]+))",
              [=, this](const httplib::Request& req, httplib::Response& res) {
                if (!authorized(req, res)) return;
                SimRow args;
                if (!bodyArgs(req, args)) return badJson(res);
                args[".id"] = req.matches[2];
                answer(res, execute(std::string(req.matches[1]) + "/set", args, {}, {}), true);
              });
  http->Delete(R"(/rest(/.*)/(\*[0-9A-F]+))",
               [=, this](const httplib::Request& req, httplib::Response& res) {
                 if (!authorized(req, res)) return;
                 auto replies = execute(std::string(req.matches[1]) + "/remove",
                                        {{".id", req.matches[2]}}, {}, {});
                 if (replies[0][0] == "!done") {
                   res.status = 204;
                   return;
                 }
                 answer(res, replies, true);
               });
  http->Post(R"(/rest(/.*))", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    SimRow args;
    if (!bodyArgs(req, args)) return badJson(res);
    const std::string path = req.matches[1];
    if (path == "/interface/monitor-traffic") {
      std::vector<std::string> names;
      const std::string list = args.count("interface") ? args["interface"] : "";
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) names.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
      {
        std::lock_guard lock(mu);
        for (const auto& n : names)
          if (!interfaceExists(n))
            return answer(res, {{"!trap", "=message=no such item (" + n + ")"}}, false);
      }
      return answer(res, monitorSample(names), false);
    }
    answer(res, execute(path, args, {}, {}), false);
  });
  // A client's idle keep-alive connection holds stop() up for this long.
  http->set_keep_alive_timeout(1);
  port = http->bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("simulator: cannot bind the REST port");
  http_thread = std::thread([this] { http->listen_after_bind(); });
}

// ---- the simulator ----

Simulator::Simulator(SimOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  if (impl_->opt.rest) {
    impl_->startRest();
  } else {
    impl_->ssl_ctx.emplace(ssl::context::tls_server);
    if (impl_->opt.tls) {
      impl_->ssl_ctx->use_certificate_chain_file(impl_->opt.cert_file);
      impl_->ssl_ctx->use_private_key_file(impl_->opt.key_file, ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    impl_->port = impl_->acceptor.local_endpoint().port();
    impl_->accept();
    impl_->thread = std::thread([this] { impl_->io.run(); });
  }
  std::lock_guard lock(impl_->mu);
  for (const char* menu : {"/ppp/active", "/ip/hotspot/active", "/interface", "/queue/simple",
                           "/ip/firewall/address-list", "/system/resource"})
    impl_->tables[menu];
}

Simulator::~Simulator() {
  if (impl_->http) {
    impl_->http->stop();
    if (impl_->http_thread.joinable()) impl_->http_thread.join();
  }
  if (impl_->thread.joinable()) {
    asio::post(impl_->io, [this] {
      error_code ec;
      impl_->acceptor.close(ec);
      std::vector<std::shared_ptr<Impl::Session>> live;
      {
        std::lock_guard lock(impl_->mu);
        for (auto& w : impl_->sessions)
          if (auto s = w.lock()) live.push_back(s);
      }
      for (auto& s : live)
        s->close();
      impl_->io.stop();
    });
    impl_->thread.join();
  }
}

int Simulator::port() const {
  return impl_->port;
}

SimCounters Simulator::counters() const {
  std::lock_guard lock(impl_->mu);
  return impl_->counters;
}

void Simulator::resetCounters() {
  std::lock_guard lock(impl_->mu);
  const uint64_t streams = impl_->counters.active_streams;
  impl_->counters = {};
  impl_->counters.active_streams = streams;
}

std::string Simulator::add(const std::string& menu, SimRow row) {
  std::lock_guard lock(impl_->mu);
  char id[32];
  std::snprintf(id, sizeof id, "*%llX", static_cast<unsigned long long>(impl_->next_id++));
  row[".id"] = id;
  impl_->tables[menu].push_back(std::move(row));
  return id;
}

std::vector<SimRow> Simulator::rows(const std::string& menu) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->tables.find(menu);
  return it == impl_->tables.end() ? std::vector<SimRow>{} : it->second;
}

bool Simulator::remove(const std::string& menu, const std::string& id) {
  std::lock_guard lock(impl_->mu);
  auto* t = impl_->table(menu);
  if (!t) return false;
  return std::erase_if(*t, [&](const SimRow& r) { return r.at(".id") == id; }) > 0;
}

void Simulator::clear(const std::string& menu) {
  std::lock_guard lock(impl_->mu);
  impl_->tables[menu].clear();
}

void Simulator::setRate(const std::string& interface, uint64_t rx_bps, uint64_t tx_bps) {
  std::lock_guard lock(impl_->mu);
  impl_->rates[interface] = {rx_bps, tx_bps};
}

void Simulator::dropConnections() {
  if (!impl_->thread.joinable()) return;
  std::promise<void> done;
  asio::post(impl_->io, [this, &done] {
    std::vector<std::shared_ptr<Impl::Session>> live;
    {
      std::lock_guard lock(impl_->mu);
      for (auto& w : impl_->sessions)
        if (auto s = w.lock()) live.push_back(s);
      impl_->counters.active_streams = 0;
    }
    for (auto& s : live)
      s->close();
    done.set_value();
  });
  done.get_future().wait();
}

void Simulator::dropAfter(long n) {
  std::lock_guard lock(impl_->mu);
  impl_->drop_after = n;
}

void Simulator::populate(size_t ppp_sessions, size_t hotspot_users) {
  char buf[64];
  for (int i = 1; i <= 5; ++i) {
    add("/interface", {{"name", "ether" + std::to_string(i)},
                       {"type", "ether"},
                       {"running", "true"},
                       {"disabled", "false"},
                       {"mtu", "1500"},
                       {"rx-byte", std::to_string(1000000ull * i)},
                       {"tx-byte", std::to_string(2000000ull * i)},
                       {"rx-packet", "1000"},
                       {"tx-packet", "2000"},
                       {"mac-address", "4C:5E:0C:00:00:0" + std::to_string(i)},
                       {"last-link-up-time", "jan/02/2026 10:00:00"},
                       {"link-downs", "0"},
                       {"actual-mtu", "1500"},
                       {"l2mtu", "1598"},
                       {"max-l2mtu", "9578"},
                       {"fp-rx-byte", "0"},
                       {"fp-tx-byte", "0"},
                       {"comment", ""}});
    add("/interface", {{"name", "vlan10" + std::to_string(i)},
                       {"type", "vlan"},
                       {"running", "true"},
                       {"disabled", "false"},
                       {"mtu", "1500"},
                       {"rx-byte", "0"},
                       {"tx-byte", "0"},
                       {"comment", "upstream"}});
  }
  for (size_t i = 1; i <= ppp_sessions; ++i) {
    std::snprintf(buf, sizeof buf, "user%04zu", i);
    const std::string user = buf;
    std::snprintf(buf, sizeof buf, "10.%zu.%zu.%zu", 64 + (i >> 16), (i >> 8) & 255, i & 255);
    const std::string ip = buf;
    std::snprintf(buf, sizeof buf, "AA:BB:CC:%02zX:%02zX:%02zX", (i >> 16) & 255, (i >> 8) & 255,
                  i & 255);
    const std::string mac = buf;
    std::snprintf(buf, sizeof buf, "0x81%06zX", i);
    add("/ppp/active", {{"name", user},
                        {"service", "pppoe"},
                        {"caller-id", mac},
                        {"address", ip},
                        {"uptime", "3h12m" + std::to_string(i % 60) + "s"},
                        {"encoding", ""},
                        {"session-id", buf},
                        {"limit-bytes-in", "0"},
                        {"limit-bytes-out", "0"},
                        {"radius", "true"},
                        {"comment", ""}});
    const std::string ifname = "<pppoe-" + user + ">";
    add("/interface", {{"name", ifname},
                       {"type", "pppoe-in"},
                       {"running", "true"},
                       {"disabled", "false"},
                       {"mtu", "1480"},
                       {"actual-mtu", "1480"},
                       {"rx-byte", std::to_string(123456789 + i)},
                       {"tx-byte", std::to_string(987654321 + i)},
                       {"rx-packet", "120000"},
                       {"tx-packet", "340000"},
                       {"rx-drop", "0"},
                       {"tx-drop", "0"},
                       {"rx-error", "0"},
                       {"tx-error", "0"},
                       {"fp-rx-byte", "0"},
                       {"fp-tx-byte", "0"},
                       {"link-downs", "0"},
                       {"dynamic", "true"},
                       {"last-link-up-time", "jan/02/2026 10:00:00"},
                       {"comment", ""}});
    add("/queue/simple", {{"name", ifname},
                          {"target", ifname},
                          {"max-limit", "10M/20M"},
                          {"rate", "0/0"},
                          {"disabled", "false"},
                          {"dynamic", "true"},
                          {"parent", "none"},
                          {"priority", "8/8"},
                          {"queue", "default-small/default-small"},
                          {"limit-at", "0/0"},
                          {"burst-limit", "0/0"},
                          {"burst-threshold", "0/0"},
                          {"burst-time", "0s/0s"},
                          {"bytes", "1000/2000"},
                          {"packets", "10/20"},
                          {"comment", ""}});
  }
  for (size_t i = 1; i <= hotspot_users; ++i) {
    std::snprintf(buf, sizeof buf, "10.200.0.%zu", i);
    add("/ip/hotspot/active", {{"user", "hs" + std::to_string(i)},
                               {"address", buf},
                               {"server", "hotspot1"},
                               {"mac-address", "DE:AD:BE:EF:00:0" + std::to_string(i % 10)},
                               {"uptime", "10m"},
                               {"bytes-in", "1000"},
                               {"bytes-out", "2000"}});
  }
  std::lock_guard lock(impl_->mu);
  impl_->tables["/system/resource"] = {{{".id", "*0"},
                                        {"cpu-load", "7"},
                                        {"free-memory", "201326592"},
                                        {"total-memory", "268435456"},
                                        {"uptime", "2w3d04:05:06"},
                                        {"version", "7.18.2 (stable)"},
                                        {"board-name", "CCR2004-1G-12S+2XS"},
                                        {"cpu-count", "4"},
                                        {"architecture-name", "arm64"},
                                        {"platform", "MikroTik"}}};
}

// ---- certificates ----

CertFiles writeSelfSignedCert(const std::string& dir) {
  CertFiles out{dir + "/router.crt", dir + "/router.key"};
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  FILE* f = std::fopen(out.cert.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(out.key.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

} // namespace ispbox::routeros::sim
