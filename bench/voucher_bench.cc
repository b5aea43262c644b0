// SPDX-License-Identifier: GPL-2.0-or-later
// voucher_bench: how long generating a full voucher batch (10,000 codes, one durable transaction)
// takes, beside the reference of writing the same number of subscribers in one transaction with
// the store's existing code path (what a bulk import of 10,000 accounts costs).
//
//   voucher_bench [--rounds N] [--dir DIR]
//
// Without --dir the state lives in a fresh directory under $TMPDIR (or /tmp), removed at exit.
// Build in Release: a Debug or sanitizer build measures the instrumentation. Lines are
// "name value [unit/comment]" so a script can pick them up.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "store/entities.h"
#include "store/env.h"
#include "store/vouchers.h"

namespace {

using namespace ispbox::store;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int usage() {
  std::fprintf(stderr, "usage: voucher_bench [--rounds N] [--dir DIR]\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  size_t rounds = 5;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--rounds") {
      rounds = std::strtoul(argv[++i], nullptr, 10);
      if (rounds == 0) return usage();
    } else if (arg == "--dir") {
      dir = argv[++i];
    } else {
      return usage();
    }
  }
  bool remove_dir = false;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/voucher-bench-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
    remove_dir = true;
  }
  int rc = 0;
  try {
    std::printf("voucher_bench rounds %zu batch %u dir %s\n", rounds, kMaxVouchersPerBatch,
                dir.c_str());
#ifndef NDEBUG
    std::printf("WARNING: assertions on: build with -DCMAKE_BUILD_TYPE=Release for real figures\n");
#endif
    EnvOptions opts;
    opts.dir = dir;
    auto env = Env::open(opts);
    {
      auto txn = env->write();
      pb::Plan p;
      p.set_name("hs-1d");
      p.set_download_bps(4000000);
      p.set_upload_bps(1000000);
      putPlan(txn, p, WriteMode::Create);
      txn.commit();
    }
    std::vector<double> batch_ms, subscriber_ms;
    for (size_t r = 0; r < rounds; ++r) {
      // Ours: a full batch, codes drawn from the CSPRNG and checked against vouchers and
      // subscribers, committed durably.
      VoucherBatchSpec spec;
      spec.count = kMaxVouchersPerBatch;
      spec.plan = "hs-1d";
      spec.prefix = "B" + std::to_string(r) + "-";
      spec.validity_s = 86400;
      spec.password_mode = pb::VOUCHER_PASSWORD_RANDOM;
      auto t0 = Clock::now();
      {
        auto txn = env->write();
        createVoucherBatch(txn, spec, 1795000000);
        txn.commit();
      }
      batch_ms.push_back(msSince(t0));

      // Reference: the same number of subscribers in one transaction.
      t0 = Clock::now();
      {
        auto txn = env->write();
        pb::Subscriber s;
        s.set_plan("hs-1d");
        s.set_status(pb::ACTIVE);
        for (uint32_t i = 0; i < kMaxVouchersPerBatch; ++i) {
          s.set_username("sub" + std::to_string(r) + "-" + std::to_string(i));
          s.set_password("pw" + std::to_string(i));
          putSubscriber(txn, s, WriteMode::Create);
        }
        txn.commit();
      }
      subscriber_ms.push_back(msSince(t0));
    }
    const double ours = median(batch_ms), ref = median(subscriber_ms);
    std::printf("voucher_batch_10000_ms %.1f median of %zu\n", ours, rounds);
    std::printf("subscribers_10000_ms %.1f median of %zu (reference)\n", ref, rounds);
    std::printf("ratio_batch_vs_subscribers %.2f (below 1: a batch costs less than importing as "
                "many subscribers)\n",
                ref > 0 ? ours / ref : 0.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "voucher_bench: %s\n", e.what());
    rc = 1;
  }
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return rc;
}
