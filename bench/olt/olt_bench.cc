// SPDX-License-Identifier: GPL-2.0-or-later
// Full polls of OLTs (every data class at once, as ispboxd starts them) with the ZTE driver and the
// asynchronous transport, against the minimal GETBULK plan for the same rows.
//
//   olt_bench TARGET... [--inflight N] [--max-repetitions N] [--print-columns]
//   TARGET = host:port:community
//
// Minimal plan: per table walked, ceil(objects / min(60, max-repetitions x columns)) requests,
// plus one per GET; it ignores the request that must run past a table's end to see it, so it
// cannot be reached exactly and the ratio overstates our overhead slightly.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "drivers/olt/driver.h"
#include "drivers/olt/runner.h"

using namespace ispbox;

namespace {

struct Target {
  std::string host, community;
  uint16_t port = 161;
  std::shared_ptr<snmp::Session> session;
  std::unique_ptr<olt::Driver> driver;
  uint64_t requests = 0, minimal = 0, rows = 0;
  double seconds = 0;
  bool ok = true;
  std::string error;
  int pending = 0;
};

// Per table (columns of one entry), as a walker that knew every table's size would do it: the
// table's objects in answers of min(60, max-repetitions x columns) objects. Our plan's grouping
// does not change this figure.
uint64_t minimalFor(const olt::Plan& plan, const olt::Collected& c, unsigned varbinds,
                    unsigned reps) {
  uint64_t n = (plan.gets.empty() ? 0 : 1) + (plan.nexts.empty() ? 0 : 1);
  std::map<snmp::Oid, std::pair<uint64_t, uint64_t>> tables; // entry -> objects, columns
  for (const auto& w : plan.walks) {
    auto it = c.walks.find(w.name);
    if (it == c.walks.end()) continue;
    for (const auto& col : it->second) {
      snmp::Oid entry(col.column.begin(), col.column.end() - 1);
      auto& t = tables[entry];
      t.first += col.rows.size();
      ++t.second;
    }
  }
  for (const auto& [entry, t] : tables) {
    const uint64_t per = std::min<uint64_t>(varbinds, uint64_t{reps} * t.second);
    n += std::max<uint64_t>(1, (t.first + per - 1) / per);
  }
  return n;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::unique_ptr<Target>> targets;
  unsigned inflight = 4, reps = 25, varbinds = 60;
  bool print_columns = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--inflight" && i + 1 < argc) {
      inflight = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--max-repetitions" && i + 1 < argc) {
      reps = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--print-columns") {
      print_columns = true;
    } else {
      auto t = std::make_unique<Target>();
      auto c1 = a.find(':'), c2 = a.find(':', c1 + 1);
      if (c1 == std::string::npos || c2 == std::string::npos) {
        std::fprintf(stderr, "target must be host:port:community: %s\n", a.c_str());
        return 64;
      }
      t->host = a.substr(0, c1);
      t->port = static_cast<uint16_t>(std::stoul(a.substr(c1 + 1, c2 - c1 - 1)));
      t->community = a.substr(c2 + 1);
      targets.push_back(std::move(t));
    }
  }
  if (targets.empty()) {
    std::fprintf(stderr, "usage: olt_bench host:port:community... [--inflight N] "
                         "[--max-repetitions N] [--print-columns]\n");
    return 64;
  }
  asio::io_context io;
  snmp::Engine engine(io);
  for (auto& t : targets) {
    snmp::SessionOptions o;
    o.address = t->host;
    o.port = t->port;
    o.credentials.community = t->community;
    o.max_inflight = inflight;
    o.max_repetitions = reps;
    o.max_varbinds = varbinds;
    o.timeout = std::chrono::milliseconds(3000);
    o.retries = 2;
    t->session = snmp::Session::create(engine, o);
    t->driver = olt::makeDriver("zte");
  }
  // Identification (probe) first, as ispboxd does once per OLT; not part of the timed poll.
  int probing = static_cast<int>(targets.size());
  for (auto& t : targets)
    olt::runPlan(t->session, t->driver->probePlan(), [&, tp = t.get()](auto r) {
      if (r.ok()) tp->driver->applyProbe(r.value);
      --probing;
    });
  while (probing > 0)
    io.run_one();
  if (print_columns) {
    std::set<std::string> seen;
    for (olt::DataClass cls : olt::kAllClasses)
      for (const auto& w : targets[0]->driver->plan(cls).walks)
        for (const auto& c : w.columns)
          if (seen.insert(snmp::oidText(c)).second) std::printf("%s\n", snmp::oidText(c).c_str());
    return 0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  int running = 0;
  for (auto& t : targets) {
    const auto started = std::chrono::steady_clock::now();
    for (olt::DataClass cls : olt::kAllClasses) {
      ++running;
      ++t->pending;
      auto plan = t->driver->plan(cls);
      olt::runPlan(t->session, plan, [&, tp = t.get(), plan, started](auto r) {
        --running;
        tp->requests += r.requests;
        if (!r.ok()) {
          tp->ok = false;
          tp->error = r.error->message;
        } else {
          tp->minimal += minimalFor(plan, r.value, varbinds, reps);
          for (const auto& [name, cols] : r.value.walks)
            for (const auto& c : cols)
              tp->rows += c.rows.size();
        }
        if (--tp->pending == 0)
          tp->seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      });
    }
  }
  while (running > 0)
    io.run_one();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t ours = 0, minimal = 0, objects = 0, failed = 0;
  double slowest = 0;
  for (auto& t : targets) {
    ours += t->requests;
    minimal += t->minimal;
    objects += t->rows;
    slowest = std::max(slowest, t->seconds);
    if (!t->ok) {
      ++failed;
      std::fprintf(stderr, "%s:%u:%s failed: %s\n", t->host.c_str(), t->port, t->community.c_str(),
                   t->error.c_str());
    }
    t->session->close();
  }
  io.run_for(std::chrono::milliseconds(10));
  std::printf("olts=%zu failed=%lu objects=%lu requests=%lu minimal=%lu ratio=%.3f "
              "wall_s=%.3f slowest_olt_s=%.3f inflight=%u max_repetitions=%u\n",
              targets.size(), static_cast<unsigned long>(failed),
              static_cast<unsigned long>(objects), static_cast<unsigned long>(ours),
              static_cast<unsigned long>(minimal),
              minimal ? static_cast<double>(ours) / static_cast<double>(minimal) : 0.0, wall,
              slowest, inflight, reps);
  return failed ? 1 : 0;
}
