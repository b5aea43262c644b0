// SPDX-License-Identifier: GPL-2.0-or-later
// One polling cycle of many OLTs through ispboxd's own poller (appliance/olt/poller), driven by
// bench/olt/run.sh: the OLTs are put in a private store with vendor "auto", the poller runs on one
// Asio loop thread and its store-writer thread exactly as ispboxd wires them, and the program
// waits until every OLT is identified and has had all four data classes polled once. It prints
// the cycle's wall time against the budget, the PDUs sent (resends and timeouts), the most
// requests any one OLT had in flight against the limit, and the poller's CPU split between the
// loop thread (SNMP and parsing) and the rest of the process (store merges).
//
//   olt_cycle_bench TARGET... [--inflight N] [--timeout-ms N] [--retries N] [--budget-s N]
//                             [--limit-s N]
//   TARGET = host:port:community
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <pthread.h>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <time.h>
#include <vector>

#include "appliance/olt/poller.h"
#include "common/log.h"
#include "common/time_util.h"
#include "store/entities.h"
#include "store/env.h"
#include "store/olt.h"

using namespace ispbox;
namespace pb = store::pb;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(const timespec& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double processCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Target {
  std::string host, community;
  uint16_t port = 161;
};

} // namespace

int main(int argc, char** argv) {
  std::vector<Target> targets;
  unsigned inflight = 4, timeout_ms = 2000, retries = 2, budget_s = 60, limit_s = 900;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() { return static_cast<unsigned>(std::stoul(argv[++i])); };
    if (a == "--inflight" && i + 1 < argc) {
      inflight = next();
    } else if (a == "--timeout-ms" && i + 1 < argc) {
      timeout_ms = next();
    } else if (a == "--retries" && i + 1 < argc) {
      retries = next();
    } else if (a == "--budget-s" && i + 1 < argc) {
      budget_s = next();
    } else if (a == "--limit-s" && i + 1 < argc) {
      limit_s = next();
    } else {
      const auto c1 = a.find(':'), c2 = a.find(':', c1 + 1);
      if (c1 == std::string::npos || c2 == std::string::npos) {
        std::fprintf(stderr, "target must be host:port:community: %s\n", a.c_str());
        return 64;
      }
      targets.push_back({a.substr(0, c1), a.substr(c2 + 1),
                         static_cast<uint16_t>(std::stoul(a.substr(c1 + 1, c2 - c1 - 1)))});
    }
  }
  if (targets.empty()) {
    std::fprintf(stderr, "usage: olt_cycle_bench host:port:community... [--inflight N] "
                         "[--timeout-ms N] [--retries N] [--budget-s N] [--limit-s N]\n");
    return 64;
  }
  log::setLevel(log::Level::Warning);
  char tmpl[] = "/tmp/olt-cycle-bench-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path dir = tmpl;
  int rc = 0;
  {
    store::EnvOptions eo;
    eo.dir = dir / "state";
    auto env = store::Env::open(eo);
    std::vector<std::string> ids;
    {
      auto txn = env->write();
      for (size_t i = 0; i < targets.size(); ++i) {
        pb::Olt o;
        char id[32];
        std::snprintf(id, sizeof id, "olt%03zu", i);
        o.set_id(id);
        o.set_address(targets[i].host);
        o.set_port(targets[i].port);
        o.set_vendor("auto");
        o.mutable_snmp()->set_version(2);
        o.mutable_snmp()->set_community(targets[i].community);
        o.set_created_at(timeutil::nowSeconds());
        o.set_updated_at(o.created_at());
        store::putOlt(txn, o, true);
        ids.push_back(id);
      }
      txn.commit();
    }
    // One cycle: no class comes round again while the benchmark runs.
    appliance::OltPollerOptions po;
    po.inventory_s = po.state_s = po.optics_s = po.traffic_s = 86400;
    po.max_inflight = inflight;
    po.timeout_ms = timeout_ms;
    po.retries = retries;
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    appliance::OltPoller poller(io, *env, po);
    const double cpu0 = processCpu();
    const auto t0 = Clock::now();
    poller.start();
    std::thread loop([&] { io.run(); });
    clockid_t loop_clock{};
    pthread_getcpuclockid(loop.native_handle(), &loop_clock);

    std::map<std::string, double> done_at;
    uint64_t class_pdus = 0;
    unsigned failed = 0;
    const auto deadline = t0 + std::chrono::seconds(limit_s);
    while (done_at.size() < ids.size() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto txn = env->read();
      for (const auto& id : ids) {
        if (done_at.count(id)) continue;
        auto st = store::getOltStatus(txn, id);
        if (!st || st->polls_size() < 4) continue;
        bool all = true;
        for (const auto& p : st->polls())
          all = all && p.last_ok_at() > 0;
        if (!all) continue;
        done_at[id] = std::chrono::duration<double>(Clock::now() - t0).count();
        for (const auto& p : st->polls())
          class_pdus += p.pdus();
      }
    }
    const double cycle = std::chrono::duration<double>(Clock::now() - t0).count();
    timespec lt{};
    clock_gettime(loop_clock, &lt);
    const double loop_cpu = seconds(lt);
    const double cpu = processCpu() - cpu0;
    // The engine's counters are the loop's: read them there.
    snmp::Counters counters;
    std::promise<void> got;
    asio::post(poller.engine().strand(), [&] {
      counters = poller.engine().counters();
      got.set_value();
    });
    got.get_future().wait();
    {
      auto txn = env->read();
      for (const auto& id : ids)
        if (!done_at.count(id)) {
          ++failed;
          auto st = store::getOltStatus(txn, id);
          std::fprintf(stderr, "%s not done: %s\n", id.c_str(),
                       st ? st->last_error().c_str() : "not identified");
        }
    }
    double slowest = 0;
    for (const auto& [id, t] : done_at)
      slowest = std::max(slowest, t);
    std::printf(
        "olts=%zu done=%zu failed=%u cycle_s=%.1f budget_s=%u %s pdus=%lu "
        "class_pdus_per_olt=%.0f resends=%lu timeouts=%lu peak_inflight_per_olt=%lu "
        "inflight_limit=%u poller_cpu_s=%.1f loop_cpu_s=%.1f store_cpu_s=%.1f\n",
        ids.size(), done_at.size(), failed, failed ? cycle : slowest, budget_s,
        !failed && slowest <= budget_s ? "fits" : "does_not_fit",
        static_cast<unsigned long>(counters.pdus_sent),
        done_at.empty() ? 0.0
                        : static_cast<double>(class_pdus) / static_cast<double>(done_at.size()),
        static_cast<unsigned long>(counters.resends), static_cast<unsigned long>(counters.timeouts),
        static_cast<unsigned long>(counters.peak_inflight), inflight, cpu, loop_cpu,
        cpu - loop_cpu);
    rc = failed ? 1 : 0;
    work.reset();
    io.stop();
    loop.join();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
