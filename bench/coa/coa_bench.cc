// SPDX-License-Identifier: GPL-2.0-or-later
// CoA benchmark, driven by bench/coa/run.sh (which starts the FreeRADIUS NAS stand-in and runs the
// radclient reference). In one process: a store with N subscribers online, ispboxd's admin API
// and enforcer on their own threads, exactly as ispboxd wires them.
//
//  1. latency: an API call (suspend / unsuspend, alternating) to the moment the CoA-Request
//     arrives at a NAS socket owned by this program (which ACKs it), R times: p50 and p99;
//  2. mass suspend: one bulk API call for all N subscribers, whose sessions are on the FreeRADIUS
//     stand-in, until every request is answered or timed out; the peak in flight per NAS.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "appliance/api/server.h"
#include "appliance/daemon.h"
#include "appliance/enforcer/enforcer.h"
#include "common/asio.h"
#include "common/time_util.h"
#include "rlm_isp/core/policy.h"
#include "store/entities.h"
#include "store/env.h"
#include "store/sessions.h"

using namespace ispbox;
using namespace std::chrono_literals;
namespace pb = store::pb;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int nas_port = 0;
  std::string secret;
  int count = 10000;
  int rounds = 200;
  unsigned in_flight = 32;
  std::string dir;
};

std::string ackFor(const char* req, size_t n, const std::string& secret) {
  (void)n;
  std::string p(20, '\0');
  p[0] = static_cast<char>(req[0] == 43 ? 44 : 41);
  p[1] = req[1];
  p[3] = 20;
  std::string m = p;
  m.replace(4, 16, std::string(req + 4, 16));
  m += secret;
  unsigned char d[16];
  unsigned len = 0;
  EVP_Digest(m.data(), m.size(), d, &len, EVP_md5(), nullptr);
  p.replace(4, 16, reinterpret_cast<const char*>(d), 16);
  return p;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

} // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--nas-port")
      a.nas_port = std::stoi(v);
    else if (k == "--secret")
      a.secret = v;
    else if (k == "--count")
      a.count = std::stoi(v);
    else if (k == "--rounds")
      a.rounds = std::stoi(v);
    else if (k == "--in-flight")
      a.in_flight = static_cast<unsigned>(std::stoi(v));
    else if (k == "--dir")
      a.dir = v;
  }
  if (!a.nas_port || a.secret.empty() || a.dir.empty()) {
    std::cerr << "usage: coa_bench --nas-port P --secret S --dir WORKDIR [--count N] [--rounds R]"
                 " [--in-flight K]\n";
    return 2;
  }
  log::setLevel(log::Level::Warning);
  const int64_t now = timeutil::nowSeconds();

  // The latency NAS: this program, on 127.0.0.2 (all of 127/8 is loopback on Linux).
  asio::io_context nas_io;
  asio::ip::udp::socket nas_sock(nas_io, {asio::ip::make_address_v4("127.0.0.2"), 0});
  const auto lat_port = nas_sock.local_endpoint().port();

  store::EnvOptions opts;
  opts.dir = a.dir + "/state";
  auto env = store::Env::open(opts);
  {
    auto txn = env->write();
    for (auto [name, ip, port] : {std::tuple{"standin", "127.0.0.1", a.nas_port},
                                  std::tuple{"latency", "127.0.0.2", int(lat_port)}}) {
      pb::Nas nas;
      nas.set_name(name);
      nas.set_ip(ip);
      nas.set_secret(a.secret);
      nas.set_coa_port(static_cast<uint32_t>(port));
      store::putNas(txn, nas, store::WriteMode::Create);
    }
    pb::Plan plan;
    plan.set_name("bench");
    plan.set_download_bps(20000000);
    plan.set_upload_bps(10000000);
    plan.set_address_list("customers");
    plan.mutable_isolation()->set_address_list("isolir");
    plan.mutable_isolation()->set_download_bps(1000000);
    plan.mutable_isolation()->set_upload_bps(512000);
    store::putPlan(txn, plan, store::WriteMode::Create);
    aaa::PolicyOptions po;
    for (int i = 0; i <= a.count; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, i == a.count ? "latency" : "u%06d", i);
      pb::Subscriber s;
      s.set_username(name);
      s.set_password("pw");
      s.set_plan("bench");
      s.set_status(pb::ACTIVE);
      store::putSubscriber(txn, s, store::WriteMode::Create);
      // Online since a minute, with the Class the Access-Accept gave it.
      std::string cls;
      for (auto& [k, v] : aaa::sessionAttributes(s, plan, aaa::Profile::Normal, 0, now, po))
        if (k == "Class") cls = v;
      pb::Session ss;
      ss.set_username(name);
      ss.set_nas_ip(i == a.count ? "127.0.0.2" : "127.0.0.1");
      ss.set_acct_session_id("8" + std::to_string(1000000 + i));
      ss.set_framed_ip("10." + std::to_string(64 + i / 65536) + "." +
                       std::to_string((i / 256) % 256) + "." + std::to_string(i % 256));
      ss.set_started_at(now - 60);
      ss.set_updated_at(now);
      ss.set_interim_interval_s(300);
      ss.set_state(pb::SESSION_ACTIVE);
      ss.set_class_tag(cls);
      store::putSession(txn, store::sessionKey(ss.nas_ip(), ss.acct_session_id()), ss);
    }
    txn.commit();
  }
  appliance::bootstrapAdminToken(*env, opts.dir);
  std::string token;
  std::ifstream(opts.dir / "admin.token") >> token;

  // ispboxd's wiring: enforcer on an Asio loop, API on its worker threads.
  asio::io_context io;
  enforcer::EnforcerOptions eo;
  eo.client.max_in_flight_per_nas = a.in_flight;
  eo.client.initial_timeout = 1000ms;
  eo.client.max_attempts = 3;
  enforcer::Enforcer enforce(io, *env, eo);
  api::ServerOptions so;
  so.port = 0;
  api::ApiServer server(*env, so, "bench");
  server.setSessionControl(&enforce);
  server.bind();
  server.start();
  asio::post(io, [&] { enforce.start(); });
  auto guard = asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  std::this_thread::sleep_for(300ms);

  httplib::Client http("127.0.0.1", server.boundPort());
  http.set_bearer_token_auth(token);
  http.set_read_timeout(60, 0);

  // 1. Latency.
  std::vector<double> lat_ms;
  std::array<char, 4096> buf{};
  for (int r = 0; r < a.rounds; ++r) {
    const char* path = r % 2 == 0 ? "/api/v1/subscribers/latency/suspend"
                                  : "/api/v1/subscribers/latency/unsuspend";
    const auto t0 = Clock::now();
    auto res = http.Post(path, "", "application/json");
    if (!res || res->status != 200) {
      std::cerr << "API call failed\n";
      return 1;
    }
    asio::ip::udp::endpoint from;
    nas_sock.non_blocking(false);
    size_t n = 0;
    // A receive with a deadline: poll the socket.
    nas_sock.non_blocking(true);
    boost::system::error_code ec;
    while (Clock::now() - t0 < 5s) {
      n = nas_sock.receive_from(asio::buffer(buf), from, 0, ec);
      if (!ec) break;
      std::this_thread::sleep_for(20us);
    }
    if (ec) {
      std::cerr << "no CoA arrived within 5 s (round " << r << ")\n";
      return 1;
    }
    const auto t1 = Clock::now();
    lat_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    nas_sock.send_to(asio::buffer(ackFor(buf.data(), n, a.secret)), from);
    std::this_thread::sleep_for(5ms); // the ACK is processed before the next change
  }

  // 2. Mass suspend.
  nlohmann::json body = {{"usernames", nlohmann::json::array()}};
  for (int i = 0; i < a.count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "u%06d", i);
    body["usernames"].push_back(name);
  }
  const auto before = enforce.stats();
  const auto m0 = Clock::now();
  auto res = http.Post("/api/v1/subscribers/suspend", body.dump(), "application/json");
  if (!res || res->status != 200) {
    std::cerr << "bulk suspend failed: " << (res ? res->body : "no answer") << "\n";
    return 1;
  }
  const auto api_done = Clock::now();
  enforcer::EnforcerStats st;
  auto answered = [&] {
    st = enforce.stats();
    return (st.acks + st.naks + st.timeouts + st.errors) -
           (before.acks + before.naks + before.timeouts + before.errors);
  };
  while (answered() < static_cast<uint64_t>(a.count) && Clock::now() - m0 < 120s)
    std::this_thread::sleep_for(1ms);
  const auto m1 = Clock::now();
  const double mass_s = std::chrono::duration<double>(m1 - m0).count();
  const double api_s = std::chrono::duration<double>(api_done - m0).count();

  std::printf("latency_rounds=%zu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", lat_ms.size(),
              pct(lat_ms, 0.5), pct(lat_ms, 0.99), pct(lat_ms, 1.0));
  std::printf("mass_count=%d mass_s=%.3f api_s=%.3f acks=%lu naks=%lu timeouts=%lu errors=%lu "
              "peak_in_flight=%u limit=%u\n",
              a.count, mass_s, api_s, static_cast<unsigned long>(st.acks - before.acks),
              static_cast<unsigned long>(st.naks - before.naks),
              static_cast<unsigned long>(st.timeouts - before.timeouts),
              static_cast<unsigned long>(st.errors - before.errors),
              enforce.client().peakInFlight(), a.in_flight);

  server.stop();
  asio::post(io, [&] { enforce.stop(); });
  guard.reset();
  io.stop();
  loop.join();
  return answered() >= static_cast<uint64_t>(a.count) ? 0 : 1;
}
