// SPDX-License-Identifier: GPL-2.0-or-later
// An Asio loop on its own thread for RouterOS clients under test, and helpers that wait for them.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/asio.h"
#include "common/log.h"
#include "drivers/routeros/client.h"
#include "drivers/routeros/operations.h"
#include "tests/routeros/sim/simulator.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::routeros {

class LoopFixture : public ::testing::Test {
protected:
  void SetUp() override {
    log::setLevel(log::Level::Error);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    for (auto& c : clients_)
      c->close();
    clients_.clear();
    work_.reset();
    thread_.join();
  }

  ClientOptions optionsFor(const sim::Simulator& s) {
    ClientOptions o;
    o.name = "sim";
    o.host = "127.0.0.1";
    o.port = static_cast<uint16_t>(s.port());
    o.username = "admin";
    o.password = "secret";
    o.backoff_min = std::chrono::milliseconds(20);
    o.backoff_max = std::chrono::milliseconds(200);
    o.request_timeout = std::chrono::milliseconds(5000);
    o.connect_timeout = std::chrono::milliseconds(3000);
    return o;
  }

  std::shared_ptr<Client> api(ClientOptions o) {
    clients_.push_back(makeApiClient(io_, std::move(o)));
    return clients_.back();
  }
  std::shared_ptr<Client> rest(ClientOptions o) {
    clients_.push_back(makeRestClient(io_, std::move(o)));
    return clients_.back();
  }

  static Result run(Client& c, Command cmd) {
    auto f = c.callAsync(std::move(cmd));
    if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer";
      Result r;
      r.error.code = ErrorCode::Timeout;
      return r;
    }
    return f.get();
  }

  static std::pair<Error, size_t> removeSync(Client& c, SessionTarget t) {
    std::promise<std::pair<Error, size_t>> p;
    removeSession(c, t, [&p](const Error& e, size_t n) { p.set_value({e, n}); });
    return p.get_future().get();
  }

  static Error doneSync(const std::function<void(DoneHandler)>& op) {
    std::promise<Error> p;
    op([&p](const Error& e) { p.set_value(e); });
    return p.get_future().get();
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::thread thread_;
  std::vector<std::shared_ptr<Client>> clients_;
  testutil::TempDir dir_;
};

} // namespace ispbox::routeros
