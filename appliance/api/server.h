// SPDX-License-Identifier: GPL-2.0-or-later
// The admin API's HTTP(S) server: cpp-httplib worker threads in front of the router.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "appliance/api/resources/resources.h"
#include "appliance/api/router.h"
#include "store/env.h"

namespace httplib {
class Server;
}

namespace ispbox::api {

struct ServerOptions {
  std::string listen = "127.0.0.1";
  int port = 8080;      // 0 = any free port (see boundPort())
  std::string tls_cert; // PEM; HTTPS when both are set
  std::string tls_key;
  unsigned threads = 8;
  size_t max_body_bytes = 1 << 20;
};

class ApiServer {
public:
  ApiServer(store::Env& env, ServerOptions options, std::string version);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the socket; throws std::runtime_error with the reason on failure.
  void bind();
  // Serves on a thread of its own until stop().
  void start();
  void stop();

  // Set before start(): the enforcer that CoA/Disconnect requests and write notifications go to.
  void setSessionControl(SessionControl* control);

  int boundPort() const { return port_; }
  std::string url() const;
  const Router& router() const { return router_; }
  // Enables the RouterOS routes (they answer 503 without it). Set before start().
  void setRouterOs(routeros::Service* service) { ctx_.routeros = service; }
  // For wiring daemon services into the resources (before start()).
  ApiContext& context() { return ctx_; }

private:
  store::Env& env_;
  ServerOptions options_;
  ApiContext ctx_;
  Router router_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = -1;
};

// Maps a bearer token to the principal stored for it.
Principal authenticate(store::Env& env, std::string_view token);

} // namespace ispbox::api
