// SPDX-License-Identifier: GPL-2.0-or-later
// An ApiServer on a free loopback port over a private state directory, with tokens of each role
// and a small HTTP client helper.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <memory>
#include <string>

#include "appliance/api/server.h"
#include "common/log.h"
#include "store/entities.h"
#include "store/logs.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::testutil {

struct Reply {
  int status = 0;
  api::Json body;
  std::string raw;
  httplib::Headers headers;
};

class ApiFixture : public ::testing::Test {
protected:
  void SetUp() override {
    log::setLevel(log::Level::Warning); // one API_LISTENING line per test is noise
    startServer({});
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  void startServer(api::ServerOptions options) {
    store::EnvOptions eo;
    eo.dir = dir_.path() / "state";
    env_ = store::Env::open(eo);
    admin_ = makeToken("admin", "admin");
    operator_ = makeToken("ops", "operator");
    readonly_ = makeToken("viewer", "readonly");
    options.listen = "127.0.0.1";
    options.port = 0;
    tls_ = !options.tls_cert.empty();
    server_ = std::make_unique<api::ApiServer>(*env_, options, "test");
    server_->bind();
    server_->start();
  }

  std::string makeToken(const std::string& name, const std::string& role) {
    auto txn = env_->write();
    store::pb::ApiToken t;
    t.set_name(name);
    t.set_role(role);
    auto created = store::createToken(txn, t);
    txn.commit();
    return created.secret;
  }

  // Sends one request; token "" sends no Authorization header.
  Reply call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& token = "\x01") {
    const std::string tok = token == "\x01" ? admin_ : token;
    httplib::Headers headers;
    if (!tok.empty()) headers.emplace("Authorization", "Bearer " + tok);
    httplib::Client client("127.0.0.1", server_->boundPort());
    client.set_read_timeout(10, 0);
    const char* ct = "application/json";
    auto send = [&]() -> httplib::Result {
      if (method == "GET") return client.Get(path, headers);
      if (method == "DELETE") return client.Delete(path, headers);
      if (method == "POST") return client.Post(path, headers, body, ct);
      if (method == "PATCH") return client.Patch(path, headers, body, ct);
      return client.Put(path, headers, body, ct);
    };
    httplib::Result res = send();
    Reply r;
    if (!res) {
      ADD_FAILURE() << method << " " << path << ": no response (" << httplib::to_string(res.error())
                    << ")";
      return r;
    }
    r.status = res->status;
    r.raw = res->body;
    r.headers = res->headers;
    r.body = api::Json::parse(res->body, nullptr, false);
    return r;
  }

  uint64_t latestChange() {
    auto txn = env_->read();
    return store::latestChange(txn);
  }

  TempDir dir_;
  std::unique_ptr<store::Env> env_;
  std::unique_ptr<api::ApiServer> server_;
  std::string admin_, operator_, readonly_;
  bool tls_ = false;
};

} // namespace ispbox::testutil
