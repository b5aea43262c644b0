// SPDX-License-Identifier: GPL-2.0-or-later
// routeros_bench: what polling a MikroTik costs the router, and how many live monitors ispboxd
// carries.
//
//   routeros_bench [--sessions N] [--repeats R] [--monitors LIST] [--seconds S] [--ispboxd PATH]
//
// 1. Requests and bytes the router (the RouterOS simulator) handles for one full refresh of N PPP
//    sessions (PPP active + interfaces with counters + simple queues), done R times in a row as a
//    dashboard with several viewers would: a naive client printing whole menus (what most tools
//    do), our client with .proplist and no cache, and our client with .proplist and its cache.
//    Ratios naive/ours are printed.
// 2. Live monitors: ispboxd (the real binary) with N subscribers online, N monitors started through
//    the admin API and one SSE client each, the router sampling once a second; for each N, the
//    share of expected samples that reached the clients and ispboxd's CPU use.
// Lines are "name value [unit]". Build in Release for meaningful CPU figures.
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <httplib.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/asio.h"
#include "drivers/routeros/client.h"
#include "drivers/routeros/codec.h"
#include "drivers/routeros/operations.h"
#include "store/entities.h"
#include "store/sessions.h"
#include "tests/routeros/sim/simulator.h"

namespace {

using namespace ispbox;
using namespace ispbox::routeros;
using Json = nlohmann::json;

// ---- 1. refresh cost ----

// A naive client: blocking socket, whole-menu prints, as most RouterOS tools poll.
struct NaiveClient {
  int fd = -1;
  explicit NaiveClient(int port) {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    fd = ::dup(s.native_handle());
    talk({"/login", "=name=admin", "=password=secret"});
  }
  ~NaiveClient() { ::close(fd); }
  size_t talk(const std::vector<std::string>& words) {
    const std::string out = encodeSentence(words);
    if (::write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) return 0;
    Decoder d;
    std::vector<std::string> got;
    char buf[65536];
    size_t rows = 0;
    for (;;) {
      while (d.next(&got) == Decoder::Status::Sentence) {
        if (got[0] == "!re") ++rows;
        if (got[0] == "!done") return rows;
      }
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return rows;
      d.feed(buf, static_cast<size_t>(n));
    }
  }
};

struct Cost {
  uint64_t requests, to_router, from_router;
};

void printCost(const char* name, const Cost& c) {
  std::printf("refresh_%s_requests %llu\n", name, static_cast<unsigned long long>(c.requests));
  std::printf("refresh_%s_bytes_to_router %llu\n", name,
              static_cast<unsigned long long>(c.to_router));
  std::printf("refresh_%s_bytes_from_router %llu\n", name,
              static_cast<unsigned long long>(c.from_router));
}

void refreshBench(size_t sessions, int repeats) {
  sim::Simulator s({});
  s.populate(sessions, 0);
  auto measure = [&](const std::function<void()>& fn) {
    s.resetCounters();
    fn();
    const auto c = s.counters();
    return Cost{c.requests, c.bytes_in, c.bytes_out};
  };
  // Naive: three whole-menu prints per refresh.
  const Cost naive = measure([&] {
    NaiveClient n(s.port());
    for (int i = 0; i < repeats; ++i)
      for (const char* menu : {"/ppp/active/print", "/interface/print", "/queue/simple/print"})
        n.talk({menu});
  });
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  auto ours = [&](std::chrono::milliseconds ttl) {
    ClientOptions o;
    o.name = "bench";
    o.host = "127.0.0.1";
    o.port = static_cast<uint16_t>(s.port());
    o.username = "admin";
    o.password = "secret";
    o.cache_ttl = ttl;
    o.rate_per_s = 0; // measure bytes, not the limiter
    auto c = makeApiClient(io, o);
    const Cost cost = measure([&] {
      for (int i = 0; i < repeats; ++i) {
        auto a = c->callAsync(pppActivePrint());
        // Only the columns a traffic view needs, of the subscribers' interfaces.
        auto b = c->callAsync(Command("/interface/print")
                                  .props({"name", "rx-byte", "tx-byte"})
                                  .query("type", "pppoe-in"));
        auto q = c->callAsync(Command("/queue/simple/print").props({"name", "max-limit"}));
        if (a.get().rows.size() != sessions || b.get().rows.size() != sessions ||
            q.get().rows.size() != sessions)
          std::fprintf(stderr, "warning: short answer\n");
      }
    });
    c->close();
    return cost;
  };
  const Cost proplist = ours(std::chrono::milliseconds(0));
  const Cost cached = ours(std::chrono::milliseconds(60000));
  guard.reset();
  t.join();

  std::printf("refresh_sessions %zu\nrefresh_repeats %d\n", sessions, repeats);
  printCost("naive", naive);
  printCost("proplist", proplist);
  printCost("proplist_cache", cached);
  auto ratio = [](uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / b : 0.0; };
  std::printf("ratio_bytes_from_router_naive_over_proplist %.2f\n",
              ratio(naive.from_router, proplist.from_router));
  std::printf("ratio_bytes_from_router_naive_over_proplist_cache %.2f\n",
              ratio(naive.from_router, cached.from_router));
  std::printf("ratio_requests_naive_over_proplist_cache %.2f\n",
              ratio(naive.requests, cached.requests));
}

// ---- 2. live monitors ----

double cpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(f, line);
  const size_t close = line.rfind(')');
  std::istringstream in(line.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void monitorBench(const std::string& ispboxd, const std::vector<size_t>& counts, int seconds) {
  for (size_t n : counts) {
    sim::SimOptions so;
    so.monitor_interval = std::chrono::milliseconds(1000);
    sim::Simulator s(so);
    s.populate(n, 0);
    const auto dir = std::filesystem::temp_directory_path() /
                     ("routeros_bench_" + std::to_string(::getpid()) + "_" + std::to_string(n));
    std::filesystem::create_directories(dir);
    {
      store::EnvOptions eo;
      eo.dir = dir / "state";
      auto env = store::Env::open(eo);
      auto txn = env->write();
      store::pb::Plan p;
      p.set_name("p");
      store::putPlan(txn, p, store::WriteMode::Create);
      store::pb::Nas nas;
      nas.set_name("pop");
      nas.set_ip("10.0.0.1");
      nas.set_secret("s");
      auto* r = nas.mutable_routeros();
      r->set_username("admin");
      r->set_password("secret");
      r->set_host("127.0.0.1");
      r->set_port(static_cast<uint32_t>(s.port()));
      store::putNas(txn, nas, store::WriteMode::Create);
      for (size_t i = 1; i <= n; ++i) {
        char user[32];
        std::snprintf(user, sizeof user, "user%04zu", i);
        store::pb::Subscriber sub;
        sub.set_username(user);
        sub.set_plan("p");
        store::putSubscriber(txn, sub, store::WriteMode::Create);
        store::pb::Session ses;
        ses.set_username(user);
        ses.set_nas_ip("10.0.0.1");
        ses.set_acct_session_id(user);
        ses.set_state(store::pb::SESSION_ACTIVE);
        ses.set_updated_at(std::time(nullptr));
        store::putSession(txn, store::sessionKey("10.0.0.1", user), ses);
      }
      txn.commit();
    }
    const unsigned threads = static_cast<unsigned>(std::min<size_t>(256, n + 16));
    std::ofstream(dir / "ispboxd.toml")
        << "[state]\ndir = \"" << (dir / "state").string() << "\"\n"
        << "[api]\nport = 0\nthreads = " << threads << "\n"
        << "[log]\nlevel = \"warning\"\n"
        << "[routeros]\nmax_monitors = " << n << "\nmonitor_idle_s = 600\n";
    const pid_t pid = fork();
    if (pid == 0) {
      execl(ispboxd.c_str(), ispboxd.c_str(), "-c", (dir / "ispboxd.toml").c_str(), nullptr);
      _exit(127);
    }
    std::string url, token;
    for (int i = 0; i < 200 && url.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream(dir / "state" / "api.url") >> url;
    }
    std::ifstream(dir / "state" / "admin.token") >> token;
    if (url.empty()) {
      std::fprintf(stderr, "ispboxd did not start\n");
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return;
    }
    const int port = std::stoi(url.substr(url.rfind(':') + 1));
    httplib::Headers auth{{"Authorization", "Bearer " + token}};
    std::vector<std::string> ids;
    {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(30, 0);
      for (size_t i = 1; i <= n; ++i) {
        char user[32];
        std::snprintf(user, sizeof user, "user%04zu", i);
        auto res = c.Post("/api/v1/routeros/monitors", auth, Json{{"username", user}}.dump(),
                          "application/json");
        if (res && res->status == 201) ids.push_back(Json::parse(res->body)["id"]);
      }
    }
    std::atomic<uint64_t> samples{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (const auto& id : ids)
      clients.emplace_back([&, id] {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(seconds + 10, 0);
        c.Get("/api/v1/routeros/monitors/" + id + "/events", auth,
              [&](const char* data, size_t len) {
                for (std::string_view v(data, len); !v.empty();) {
                  const size_t p = v.find("event: sample");
                  if (p == std::string_view::npos) break;
                  ++samples;
                  v.remove_prefix(p + 1);
                }
                return !stop.load();
              });
      });
    std::this_thread::sleep_for(std::chrono::seconds(2)); // clients connect, streams start
    const uint64_t s0 = samples;
    const double cpu0 = cpuSeconds(pid);
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const uint64_t got = samples - s0;
    const double cpu = cpuSeconds(pid) - cpu0;
    stop = true;
    kill(pid, SIGTERM);
    for (auto& t : clients)
      t.join();
    waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
    const double expected = static_cast<double>(ids.size()) * wall;
    std::printf("monitors_requested %zu\nmonitors_started %zu\n", n, ids.size());
    std::printf("monitors_%zu_delivered_share %.3f\n", n, expected > 0 ? got / expected : 0.0);
    std::printf("monitors_%zu_ispboxd_cpu_percent %.1f\n", n, 100.0 * cpu / wall);
    std::printf("monitors_%zu_router_streams %llu\n", n,
                static_cast<unsigned long long>(s.counters().active_streams));
    std::fflush(stdout);
  }
}

} // namespace

int main(int argc, char** argv) {
  size_t sessions = 5000;
  int repeats = 5, seconds = 8;
  std::vector<size_t> monitors = {50, 100, 200, 240};
  std::string ispboxd = ISPBOXD_PATH;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--sessions")
      sessions = std::stoul(v);
    else if (a == "--repeats")
      repeats = std::stoi(v);
    else if (a == "--seconds")
      seconds = std::stoi(v);
    else if (a == "--ispboxd")
      ispboxd = v;
    else if (a == "--monitors") {
      monitors.clear();
      std::stringstream ss(v);
      for (std::string x; std::getline(ss, x, ',');)
        if (!x.empty()) monitors.push_back(std::stoul(x));
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 64;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  refreshBench(sessions, repeats);
  monitorBench(ispboxd, monitors, seconds);
  return 0;
}
