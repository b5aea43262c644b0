// SPDX-License-Identifier: GPL-2.0-or-later
// RouterOS v7's REST API (/rest over HTTPS, Basic auth) behind the same Client interface as the
// binary API. Commands map onto HTTP as MikroTik documents it: print = GET with .proplist and
// filters in the query, add = PUT, set = PATCH .../<id>, remove = DELETE .../<id>, anything else =
// POST .../<command> with the arguments as a JSON object. REST cannot stream: a streamed command
// (monitor-traffic) is polled with "once" instead.
//
// cpp-httplib is blocking, so each router gets one worker thread holding its one keep-alive
// connection; results are posted back to the client's executor.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "drivers/routeros/client.h"

namespace ispbox::routeros {
namespace {

using Json = nlohmann::json;

std::string urlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string valueText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

class RestClient final : public Client {
public:
  RestClient(asio::io_context& io, ClientOptions options)
      : Client(io, std::move(options)), worker_(1) {
    if (options_.port == 0) options_.port = options_.tls ? 443 : 80;
  }
  ~RestClient() override {
    worker_.stop();
    worker_.join();
  }
  std::string_view transportName() const override { return options_.tls ? "rest" : "rest-http"; }

protected:
  void start(Command cmd, ResultHandler done) override {
    asio::post(worker_, [self = std::static_pointer_cast<RestClient>(shared_from_this()),
                         cmd = std::move(cmd), done = std::move(done)]() mutable {
      Result r = self->execute(cmd);
      // The reference moves to the executor, so the client is never destroyed on (and joined
      // from) its own worker thread.
      auto& io = self->io_;
      asio::post(io, [self = std::move(self), r = std::move(r), done = std::move(done)]() mutable {
        done(std::move(r));
      });
    });
  }

  void startStream(uint64_t id, Command cmd, RowHandler on_row, EndHandler on_end) override {
    auto s = std::make_shared<Stream>(io_);
    cmd.args.emplace_back("once", "");
    s->cmd = std::move(cmd);
    s->on_row = std::move(on_row);
    s->on_end = std::move(on_end);
    streams_[id] = s;
    poll(id, s);
  }

  void stopStream(uint64_t id) override {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    auto s = it->second;
    streams_.erase(it);
    s->timer.cancel();
    if (s->on_end) std::exchange(s->on_end, nullptr)(Error{});
  }

  void shutdown() override {
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, s] : streams) {
      s->timer.cancel();
      if (s->on_end) std::exchange(s->on_end, nullptr)(Error{ErrorCode::Closed, "client closed"});
    }
  }

private:
  struct Stream {
    explicit Stream(asio::io_context& io) : timer(io) {}
    Command cmd;
    RowHandler on_row;
    EndHandler on_end;
    asio::steady_timer timer;
  };

  void poll(uint64_t id, const std::shared_ptr<Stream>& s) {
    Command cmd = s->cmd;
    call(std::move(cmd), [this, self = shared_from_this(), id, s](Result r) {
      auto it = streams_.find(id);
      if (it == streams_.end() || it->second != s) return; // stopped meanwhile
      if (r.error) {
        streams_.erase(it);
        if (s->on_end) std::exchange(s->on_end, nullptr)(r.error);
        return;
      }
      for (const auto& row : r.rows)
        if (s->on_row) s->on_row(row);
      s->timer.expires_after(options_.rest_poll_interval);
      s->timer.async_wait([this, self, id, s](const boost::system::error_code& ec) {
        if (!ec && streams_.count(id)) poll(id, s);
      });
    });
  }

  httplib::Client& http() {
    if (!http_) {
      const std::string scheme = options_.tls ? "https://" : "http://";
      const bool v6 = options_.host.find(':') != std::string::npos;
      http_ = std::make_unique<httplib::Client>(scheme +
                                                (v6 ? "[" + options_.host + "]" : options_.host) +
                                                ":" + std::to_string(options_.port));
      http_->set_basic_auth(options_.username.c_str(), options_.password.c_str());
      http_->set_keep_alive(true);
      const auto ms = [](std::chrono::milliseconds d) {
        return std::pair<time_t, time_t>(d.count() / 1000, (d.count() % 1000) * 1000);
      };
      auto [cs, cu] = ms(options_.connect_timeout);
      http_->set_connection_timeout(cs, cu);
      auto [rs, ru] = ms(options_.request_timeout);
      http_->set_read_timeout(rs, ru);
      http_->set_write_timeout(rs, ru);
      if (options_.tls) {
        if (options_.insecure_skip_verify) {
          ISPBOX_LOG(Warning, "ROUTEROS_TLS_INSECURE")
              << "router " << options_.name << " (" << options_.host
              << "): REST certificate NOT verified (insecure_skip_verify)";
          http_->enable_server_certificate_verification(false);
        } else {
          http_->enable_server_certificate_verification(true);
          if (!options_.ca_file.empty()) http_->set_ca_cert_path(options_.ca_file.c_str());
        }
      }
    }
    return *http_;
  }

  // Runs on the worker thread.
  Result execute(const Command& cmd) {
    Result r;
    const std::string menu = "/rest" + cmd.menu();
    const std::string verb = cmd.verb();
    Json body = Json::object();
    std::string id;
    for (const auto& [name, value] : cmd.args) {
      auto v = fromUtf8(value, options_.charset);
      if (!v) {
        r.error = {ErrorCode::Invalid, name + ": not representable in the router's charset"};
        return r;
      }
      // JSON carries the text as UTF-8; checked above so the router can hold it.
      if (name == ".id" || name == "numbers")
        id = value;
      else
        body[name] = value;
    }
    httplib::Headers headers;
    std::string path;
    auto send = [&]() -> httplib::Result {
      if (verb == "print") {
        path = menu;
        std::string q;
        if (!cmd.proplist.empty()) {
          std::string props;
          for (const auto& p : cmd.proplist)
            props += (props.empty() ? "" : ",") + p;
          q += ".proplist=" + urlEncode(props);
        }
        for (const auto& [name, value] : cmd.where)
          q += (q.empty() ? "" : "&") + urlEncode(name) + "=" + urlEncode(value);
        if (!q.empty()) path += "?" + q;
        noteSent(path.size());
        return http().Get(path, headers);
      }
      if (verb == "remove") {
        path = menu + "/" + urlEncode(id);
        noteSent(path.size());
        return http().Delete(path, headers);
      }
      const std::string payload = body.dump();
      if (verb == "set") {
        path = menu + "/" + urlEncode(id);
        noteSent(path.size() + payload.size());
        return http().Patch(path, headers, payload, "application/json");
      }
      if (verb == "add") {
        path = menu;
        noteSent(path.size() + payload.size());
        return http().Put(path, headers, payload, "application/json");
      }
      path = "/rest" + cmd.path;
      Json post = body;
      if (!id.empty()) post[".id"] = id;
      const std::string post_payload = post.dump();
      noteSent(path.size() + post_payload.size());
      return http().Post(path, headers, post_payload, "application/json");
    };
    httplib::Result res = send();
    if (!res) {
      const auto err = res.error();
      const bool tls = err == httplib::Error::SSLConnection ||
                       err == httplib::Error::SSLServerVerification ||
                       err == httplib::Error::SSLLoadingCerts;
      r.error = {tls ? ErrorCode::Tls : ErrorCode::Connection,
                 "REST " + path + ": " + httplib::to_string(err)};
      http_.reset(); // a fresh connection next time
      noteConnected(false);
      noteConnectFailure(r.error.message);
      return r;
    }
    if (!connected_once_ || !stats().connected) {
      connected_once_ = true;
      noteConnected(true);
      ISPBOX_LOG(Info, "ROUTEROS_CONNECTED")
          << "router " << options_.name << " (" << options_.host << ":" << options_.port << ", "
          << transportName() << ") answered";
    }
    noteReceived(res->body.size());
    Json doc = parse(res->body);
    if (res->status == 401) {
      r.error = {ErrorCode::Auth, "login as " + options_.username + " refused (HTTP 401)"};
      ISPBOX_LOG(Error, "ROUTEROS_LOGIN_FAILED")
          << "router " << options_.name << ": " << r.error.message;
      return r;
    }
    if (res->status >= 400) {
      std::string msg = "HTTP " + std::to_string(res->status);
      if (doc.is_object()) {
        if (doc.contains("detail"))
          msg = valueText(doc["detail"]);
        else if (doc.contains("message"))
          msg = valueText(doc["message"]);
      }
      r.error = {res->status >= 500 && !doc.is_object() ? ErrorCode::Protocol : ErrorCode::Trap,
                 msg};
      return r;
    }
    if (res->status == 204 || res->body.empty()) return r;
    if (doc.is_discarded()) {
      r.error = {ErrorCode::Protocol, "REST " + path + ": answer is not JSON"};
      return r;
    }
    auto toRow = [](const Json& obj) {
      Row row;
      for (const auto& [k, v] : obj.items())
        row[k] = valueText(v);
      return row;
    };
    if (doc.is_array()) {
      for (const auto& item : doc)
        if (item.is_object()) r.rows.push_back(toRow(item));
    } else if (doc.is_object()) {
      if (verb == "add" || verb == "print" || verb == "set" || !doc.contains("ret"))
        r.rows.push_back(toRow(doc));
      else
        r.done = toRow(doc);
    }
    return r;
  }

  // RouterOS writes value bytes into its JSON as they are; a CP1252 router's é arrives as the
  // single byte 0xE9, which is not UTF-8. Such a body is decoded as the router's charset first.
  Json parse(const std::string& body) {
    if (isValidUtf8(body)) return Json::parse(body, nullptr, false);
    return Json::parse(toUtf8(body, options_.charset), nullptr, false);
  }

  asio::thread_pool worker_;
  std::unique_ptr<httplib::Client> http_; // worker thread only
  bool connected_once_ = false;           // worker thread only
  std::map<uint64_t, std::shared_ptr<Stream>> streams_;
};

} // namespace

std::shared_ptr<Client> makeRestClient(asio::io_context& io, ClientOptions options) {
  return std::make_shared<RestClient>(io, std::move(options));
}

} // namespace ispbox::routeros
