// SPDX-License-Identifier: GPL-2.0-or-later
// store_bench: how fast the store answers the RADIUS hot path (one subscriber lookup by username
// in its own read transaction) and how fast it commits durable writes.
//
//   store_bench [--subscribers N] [--lookups M] [--dir DIR]
//
// Without --dir the state lives in a fresh directory under $TMPDIR (or /tmp), removed at exit;
// with --dir it is created there and kept. Build in Release: a Debug or sanitizer build measures
// the instrumentation. Lines are "name value [unit/comment]" so a script can pick them up.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "store/entities.h"
#include "store/env.h"

namespace {

using namespace ispbox::store;
using Clock = std::chrono::steady_clock;

constexpr double kTargetP50Us = 2.0;
constexpr double kTargetP99Us = 10.0;
constexpr size_t kFillBatch = 10000;
constexpr size_t kReuseBatch = 100;
constexpr size_t kSingleWrites = 2000;
constexpr size_t kBatchedTxns = 100;
constexpr size_t kBatchedPerTxn = 100;
const char* const kPlans[] = {"home-10m", "home-20m", "home-50m", "biz-100m", "biz-200m"};

struct Options {
  size_t subscribers = 100000;
  size_t lookups = 1000000;
  std::string dir;
};

int64_t nanosSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

double seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

// Nearest-rank percentile of sorted samples (nanoseconds), in microseconds.
double percentileUs(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  rank = std::min(rank, sorted.size() - 1);
  return static_cast<double>(sorted[rank]) / 1000.0;
}

struct Summary {
  double p50, p90, p99, p999, max;
};

Summary summarise(std::vector<int64_t>& samples) {
  std::sort(samples.begin(), samples.end());
  return {percentileUs(samples, 50), percentileUs(samples, 90), percentileUs(samples, 99),
          percentileUs(samples, 99.9), percentileUs(samples, 100)};
}

void printSummary(const char* prefix, const Summary& s, bool with_targets) {
  std::printf("%s_p50_us %.3f%s\n", prefix, s.p50, with_targets ? " (target <= 2)" : "");
  std::printf("%s_p90_us %.3f\n", prefix, s.p90);
  std::printf("%s_p99_us %.3f%s\n", prefix, s.p99, with_targets ? " (target <= 10)" : "");
  std::printf("%s_p99.9_us %.3f\n", prefix, s.p999);
  std::printf("%s_max_us %.3f\n", prefix, s.max);
}

std::string username(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "user%06zu", i);
  return buf;
}

pb::Subscriber makeSubscriber(size_t i, std::mt19937_64& rng) {
  pb::Subscriber s;
  s.set_username(username(i));
  static constexpr char kAlnum[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string pw(12, 'x');
  for (char& c : pw)
    c = kAlnum[rng() % (sizeof kAlnum - 1)];
  s.set_password(pw);
  s.set_plan(kPlans[rng() % std::size(kPlans)]);
  const unsigned roll = static_cast<unsigned>(rng() % 100);
  s.set_status(roll < 92 ? pb::ACTIVE : roll < 98 ? pb::SUSPENDED : pb::ISOLATED);
  if (rng() % 3 == 0) {
    char mac[18];
    const uint64_t m = rng();
    std::snprintf(mac, sizeof mac, "%02X:%02X:%02X:%02X:%02X:%02X", static_cast<unsigned>(m & 0xff),
                  static_cast<unsigned>((m >> 8) & 0xff), static_cast<unsigned>((m >> 16) & 0xff),
                  static_cast<unsigned>((m >> 24) & 0xff), static_cast<unsigned>((m >> 32) & 0xff),
                  static_cast<unsigned>((m >> 40) & 0xff));
    s.set_mac(mac);
  }
  if (i % 10 == 0) {
    // Unique within 100.64.0.0/10 (static addresses are a unique index).
    const size_t k = i / 10 + 1;
    char ip[16];
    std::snprintf(ip, sizeof ip, "100.%zu.%zu.%zu", 64 + (k >> 16) % 64, (k >> 8) & 0xff, k & 0xff);
    s.set_static_ip(ip);
  }
  if (rng() % 5 == 0) s.set_expires_at(1'900'000'000 + static_cast<int64_t>(rng() % 10'000'000));
  s.set_simultaneous_use(1);
  s.set_full_name("Customer " + std::to_string(i));
  s.set_external_id("CUST-" + std::to_string(100000 + i));
  s.set_created_at(1'700'000'000);
  s.set_updated_at(1'700'000'000);
  return s;
}

void fill(Env& env, const Options& o, std::mt19937_64& rng) {
  const auto t0 = Clock::now();
  {
    auto txn = env.write();
    for (const char* name : kPlans) {
      pb::Plan p;
      p.set_name(name);
      p.set_download_bps(10'000'000);
      p.set_upload_bps(5'000'000);
      putPlan(txn, p, WriteMode::Create);
    }
    txn.commit();
  }
  size_t txns = 0;
  for (size_t i = 0; i < o.subscribers; i += kFillBatch, ++txns) {
    auto txn = env.write();
    for (size_t j = i; j < std::min(o.subscribers, i + kFillBatch); ++j)
      putSubscriber(txn, makeSubscriber(j, rng), WriteMode::Create);
    txn.commit();
  }
  const int64_t ns = nanosSince(t0);
  std::printf("fill_subscribers %zu in %.2f s (%.0f/s, %zu txns of <= %zu)\n", o.subscribers,
              seconds(ns), static_cast<double>(o.subscribers) / seconds(ns), txns, kFillBatch);
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(std::filesystem::path(o.dir) / "data.mdb", ec);
  if (!ec) std::printf("data_file_mb %.1f\n", static_cast<double>(bytes) / (1 << 20));
}

// Touches every record once, so the measurements see the mapped pages already faulted in, as a
// long-running daemon would.
void warmUp(const Env& env) {
  auto txn = env.read();
  size_t n = 0, bytes = 0;
  Cursor cur(txn, Table::Subscribers);
  for (bool ok = cur.first(); ok; ok = cur.next(), ++n)
    bytes += cur.value().size();
  std::printf("warm_up_records %zu avg_record_bytes %.1f\n", n,
              n ? static_cast<double>(bytes) / static_cast<double>(n) : 0.0);
}

std::vector<std::string> randomNames(size_t count, size_t population, std::mt19937_64& rng) {
  std::vector<std::string> names;
  names.reserve(count);
  for (size_t i = 0; i < count; ++i)
    names.push_back(username(rng() % population));
  return names;
}

// The hot path exactly as rlm_isp runs it: a read transaction per request.
void benchLookups(const Env& env, const std::vector<std::string>& names) {
  std::vector<int64_t> samples(names.size());
  pb::Subscriber sub; // reused across lookups, as the hot path does
  size_t found = 0;
  const auto t_all = Clock::now();
  for (size_t i = 0; i < names.size(); ++i) {
    const auto t0 = Clock::now();
    {
      auto txn = env.read();
      found += getSubscriber(txn, names[i], &sub);
    }
    samples[i] = nanosSince(t0);
  }
  const int64_t total = nanosSince(t_all);
  if (found != names.size()) std::printf("ERROR lookups_missed %zu\n", names.size() - found);
  std::printf("lookups %zu (one read txn each)\n", names.size());
  Summary s = summarise(samples);
  printSummary("lookup", s, true);
  std::printf("lookups_per_s %.0f (single thread, timer included)\n",
              static_cast<double>(names.size()) / seconds(total));
}

// What a hot loop could do instead: one snapshot for kReuseBatch lookups.
void benchReusedTxn(const Env& env, const std::vector<std::string>& names) {
  std::vector<int64_t> samples(names.size());
  pb::Subscriber sub;
  size_t found = 0;
  int64_t begin_ns = 0;
  size_t txns = 0;
  const auto t_all = Clock::now();
  for (size_t i = 0; i < names.size(); i += kReuseBatch, ++txns) {
    const auto tb = Clock::now();
    auto txn = env.read();
    begin_ns += nanosSince(tb);
    for (size_t j = i; j < std::min(names.size(), i + kReuseBatch); ++j) {
      const auto t0 = Clock::now();
      found += getSubscriber(txn, names[j], &sub);
      samples[j] = nanosSince(t0);
    }
  }
  const int64_t total = nanosSince(t_all);
  if (found != names.size()) std::printf("ERROR reused_lookups_missed %zu\n", names.size() - found);
  std::printf("reused_txn_batch %zu\n", kReuseBatch);
  Summary s = summarise(samples);
  printSummary("reused_txn_lookup", s, false);
  std::printf("reused_txn_begin_mean_us %.3f (per txn, excluded from the percentiles above)\n",
              static_cast<double>(begin_ns) / static_cast<double>(txns) / 1000.0);
  std::printf("reused_txn_lookups_per_s %.0f (txn begin included)\n",
              static_cast<double>(names.size()) / seconds(total));
}

// Where a per-request lookup spends its time, each part timed in bulk (no per-call timer).
void breakdown(const Env& env, const std::vector<std::string>& names) {
  const size_t n = std::min<size_t>(names.size(), 200000);
  const auto nsPer = [n](int64_t ns) { return static_cast<double>(ns) / static_cast<double>(n); };

  auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    auto txn = env.read();
  }
  const double txn_ns = nsPer(nanosSince(t0));

  std::vector<std::string_view> values(n);
  {
    auto txn = env.read();
    t0 = Clock::now();
    for (size_t i = 0; i < n; ++i)
      values[i] = *txn.get(Table::Subscribers, names[i]);
    const double get_ns = nsPer(nanosSince(t0));

    pb::Subscriber sub;
    t0 = Clock::now();
    for (size_t i = 0; i < n; ++i)
      decodeInto(values[i], &sub);
    const double decode_ns = nsPer(nanosSince(t0));

    t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      pb::Subscriber fresh;
      decodeInto(values[i], &fresh);
    }
    const double decode_fresh_ns = nsPer(nanosSince(t0));

    t0 = Clock::now();
    for (size_t i = 0; i < n; ++i)
      (void)Clock::now();
    const double timer_ns = nsPer(nanosSince(t0));

    std::printf("breakdown_read_txn_begin_end_ns %.0f\n", txn_ns);
    std::printf("breakdown_btree_get_ns %.0f\n", get_ns);
    std::printf("breakdown_decode_reused_msg_ns %.0f\n", decode_ns);
    std::printf("breakdown_decode_fresh_msg_ns %.0f\n", decode_fresh_ns);
    std::printf("breakdown_timer_call_ns %.0f (each individually timed lookup pays two)\n",
                timer_ns);
  }
}

void benchWrites(Env& env, size_t population, std::mt19937_64& rng) {
  // Durable single writes: each its own transaction, committed with fsync.
  std::vector<int64_t> commit_ns, txn_ns;
  commit_ns.reserve(kSingleWrites);
  txn_ns.reserve(kSingleWrites);
  pb::Subscriber sub;
  auto t_all = Clock::now();
  for (size_t i = 0; i < kSingleWrites; ++i) {
    const auto t0 = Clock::now();
    auto txn = env.write();
    const std::string name = username(rng() % population);
    getSubscriber(txn, name, &sub);
    sub.set_comment("bench write " + std::to_string(i));
    putSubscriber(txn, sub, WriteMode::Replace);
    const auto tc = Clock::now();
    txn.commit();
    commit_ns.push_back(nanosSince(tc));
    txn_ns.push_back(nanosSince(t0));
  }
  int64_t total = nanosSince(t_all);
  std::printf("write_single_txns %zu\n", kSingleWrites);
  std::printf("write_single_per_s %.0f\n", static_cast<double>(kSingleWrites) / seconds(total));
  Summary c = summarise(commit_ns);
  Summary t = summarise(txn_ns);
  std::printf("write_single_commit_p50_us %.1f\n", c.p50);
  std::printf("write_single_commit_p99_us %.1f\n", c.p99);
  std::printf("write_single_txn_p50_us %.1f (begin + read + put + commit)\n", t.p50);
  std::printf("write_single_txn_p99_us %.1f\n", t.p99);

  // Batched: many records per durable commit.
  commit_ns.clear();
  t_all = Clock::now();
  for (size_t b = 0; b < kBatchedTxns; ++b) {
    auto txn = env.write();
    for (size_t i = 0; i < kBatchedPerTxn; ++i) {
      getSubscriber(txn, username(rng() % population), &sub);
      sub.set_comment("bench batch " + std::to_string(b));
      putSubscriber(txn, sub, WriteMode::Replace);
    }
    const auto tc = Clock::now();
    txn.commit();
    commit_ns.push_back(nanosSince(tc));
  }
  total = nanosSince(t_all);
  const size_t records = kBatchedTxns * kBatchedPerTxn;
  std::printf("write_batched_records %zu (%zu per txn)\n", records, kBatchedPerTxn);
  std::printf("write_batched_per_s %.0f\n", static_cast<double>(records) / seconds(total));
  Summary bc = summarise(commit_ns);
  std::printf("write_batched_commit_p50_us %.1f\n", bc.p50);
  std::printf("write_batched_commit_p99_us %.1f\n", bc.p99);
}

bool parseSize(const char* text, size_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v == 0) return false;
  *out = static_cast<size_t>(v);
  return true;
}

int usage() {
  std::fprintf(stderr, "usage: store_bench [--subscribers N] [--lookups M] [--dir DIR]\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--subscribers") {
      if (!parseSize(argv[++i], &o.subscribers)) return usage();
    } else if (arg == "--lookups") {
      if (!parseSize(argv[++i], &o.lookups)) return usage();
    } else if (arg == "--dir") {
      o.dir = argv[++i];
    } else {
      return usage();
    }
  }
  bool remove_dir = false;
  if (o.dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/store-bench-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      return 1;
    }
    o.dir = tmpl;
    remove_dir = true;
  }
  int rc = 0;
  try {
    std::printf("store_bench subscribers %zu lookups %zu dir %s\n", o.subscribers, o.lookups,
                o.dir.c_str());
#ifndef NDEBUG
    std::printf("WARNING: assertions on: build with -DCMAKE_BUILD_TYPE=Release for real figures\n");
#endif
    std::mt19937_64 rng(20240601);
    EnvOptions opts;
    opts.dir = o.dir;
    auto env = Env::open(opts);
    fill(*env, o, rng);
    warmUp(*env);
    const auto names = randomNames(o.lookups, o.subscribers, rng);
    benchLookups(*env, names);
    benchReusedTxn(*env, names);
    breakdown(*env, names);
    benchWrites(*env, o.subscribers, rng);

    // The headline figures again, after the writes grew the file and churned its pages.
    std::vector<int64_t> samples(std::min<size_t>(names.size(), 200000));
    pb::Subscriber sub;
    for (size_t i = 0; i < samples.size(); ++i) {
      const auto t0 = Clock::now();
      {
        auto txn = env->read();
        getSubscriber(txn, names[i], &sub);
      }
      samples[i] = nanosSince(t0);
    }
    const Summary s = summarise(samples);
    const bool p50_ok = s.p50 <= kTargetP50Us, p99_ok = s.p99 <= kTargetP99Us;
    std::printf("summary lookup_p50_us %.3f %s, lookup_p99_us %.3f %s (re-measured after the "
                "writes, %zu lookups)\n",
                s.p50, p50_ok ? "ok" : "OVER TARGET", s.p99, p99_ok ? "ok" : "OVER TARGET",
                samples.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_bench: %s\n", e.what());
    rc = 1;
  }
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(o.dir, ec);
  }
  return rc;
}
