// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/api/server.h"

#include <httplib.h>
#include <stdexcept>

#include "common/log.h"
#include "common/time_util.h"
#include "store/entities.h"

namespace ispbox::api {

Principal authenticate(store::Env& env, std::string_view token) {
  Principal p;
  if (token.empty() || token.size() > 256) return p;
  auto txn = env.read();
  auto t = store::findTokenBySecret(txn, token);
  if (!t) return p;
  p.token_id = t->id();
  p.name = t->name();
  p.role = parseRole(t->role()).value_or(Role::None);
  p.tenant = t->tenant();
  return p;
}

ApiServer::ApiServer(store::Env& env, ServerOptions options, std::string version)
    : env_(env),
      options_(std::move(options)), ctx_{env, timeutil::nowSeconds(), std::move(version)} {
  addAllRoutes(router_, ctx_);
  router_.setAuthenticator([this](std::string_view token) { return authenticate(env_, token); });
}

void ApiServer::setSessionControl(SessionControl* control) {
  ctx_.sessions = control;
  router_.setAfterWrite([control] {
    if (control) control->changed();
  });
}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::bind() {
  const bool tls = !options_.tls_cert.empty();
  if (tls) {
    auto server =
        std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(), options_.tls_key.c_str());
    if (!server->is_valid())
      throw std::runtime_error("cannot load TLS certificate " + options_.tls_cert + " / key " +
                               options_.tls_key);
    http_ = std::move(server);
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  const unsigned threads = options_.threads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(options_.max_body_bytes);
  http_->set_read_timeout(10, 0);
  http_->set_write_timeout(10, 0);

  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    router_.dispatch(req, res);
  };
  // One catch-all per method: the router decides between 404, 405 and a handler.
  http_->Get(".*", handler);
  http_->Post(".*", handler);
  http_->Put(".*", handler);
  http_->Patch(".*", handler);
  http_->Delete(".*", handler);
  http_->Options(".*", handler);
  // Errors httplib produces itself (oversized body, unparsable request) get our JSON shape too.
  http_->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) -> httplib::Server::HandlerResponse {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const int status = res.status;
        writeError(res, status, status == 413 ? "payload_too_large" : "bad_request",
                   status == 413
                       ? "request body too large"
                       : "the request could not be handled (HTTP " + std::to_string(status) + ")");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        ISPBOX_LOG(Error, "API_INTERNAL_ERROR") << req.method << " " << req.path;
        writeError(res, 500, "internal_error", "internal error; see the ispboxd log");
      });
  http_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    ISPBOX_LOG(Debug, "API_REQUEST")
        << req.remote_addr << " " << req.method << " " << req.path << " " << res.status;
  });

  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.listen);
  } else {
    port_ = http_->bind_to_port(options_.listen, options_.port) ? options_.port : -1;
  }
  if (port_ < 0)
    throw std::runtime_error("cannot listen on " + options_.listen + ":" +
                             std::to_string(options_.port) + " (in use, or not an address here)");
}

void ApiServer::start() {
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  ISPBOX_LOG(Info, "API_LISTENING") << "admin API at " << url();
}

void ApiServer::stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string ApiServer::url() const {
  const bool v6 = options_.listen.find(':') != std::string::npos;
  std::string host = options_.listen == "0.0.0.0" ? "127.0.0.1" : options_.listen;
  if (v6) host = "[" + (options_.listen == "::" ? std::string("::1") : options_.listen) + "]";
  return std::string(options_.tls_cert.empty() ? "http" : "https") + "://" + host + ":" +
         std::to_string(port_);
}

} // namespace ispbox::api
