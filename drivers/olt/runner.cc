// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/olt/runner.h"

namespace ispbox::olt {

namespace {
struct Run {
  Collected out;
  size_t remaining = 0;
  uint32_t requests = 0;
  std::optional<snmp::Error> error;
  PlanHandler done;
  void finishOne() {
    if (--remaining > 0) return;
    out.requests = requests;
    if (error)
      done({error, {}, requests});
    else
      done({std::nullopt, std::move(out), requests});
  }
};
} // namespace

void runPlan(const std::shared_ptr<snmp::Session>& session, const Plan& plan, PlanHandler done) {
  auto run = std::make_shared<Run>();
  run->done = std::move(done);
  run->remaining = plan.walks.size() + (plan.gets.empty() ? 0 : 1) + (plan.nexts.empty() ? 0 : 1);
  if (run->remaining == 0) {
    run->done({std::nullopt, {}});
    return;
  }
  if (!plan.gets.empty()) {
    session->get(plan.gets, [run](snmp::Result<std::vector<snmp::VarBind>> r) {
      if (r.error && !run->error) run->error = r.error;
      run->requests += r.requests;
      run->out.gets = std::move(r.value);
      run->finishOne();
    });
  }
  if (!plan.nexts.empty()) {
    const auto n = static_cast<unsigned>(plan.nexts.size());
    session->getBulk(plan.nexts, n, 1, [run](snmp::Result<std::vector<snmp::VarBind>> r) {
      if (r.error && !run->error) run->error = r.error;
      run->requests += r.requests;
      run->out.nexts = std::move(r.value);
      run->finishOne();
    });
  }
  for (const auto& w : plan.walks) {
    session->walk(w.columns, [run, name = w.name](snmp::Result<std::vector<snmp::Column>> r) {
      if (r.error && !run->error) run->error = r.error;
      run->requests += r.requests;
      run->out.walks[name] = std::move(r.value);
      run->finishOne();
    });
  }
}

} // namespace ispbox::olt
