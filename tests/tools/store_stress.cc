// SPDX-License-Identifier: GPL-2.0-or-later
// store_stress: a second (and third) process for the store's multi-process tests.
//
//   store_stress writer DIR [MAX_GENERATIONS]
//       Each generation is ONE write transaction: the K group subscribers g0..g7 all get
//       comment = generation, and a fresh subscriber "w<generation>" is created. After commit()
//       returns, the generation is printed on its own line and flushed: that line is the
//       acknowledgement a test may rely on. The first line is "start <first generation>".
//       Continues from the generation already stored, so it can follow a killed writer. Stops
//       cleanly on SIGTERM or after MAX_GENERATIONS (0 = unbounded).
//   store_stress reader DIR SECONDS
//       Read-only open; for SECONDS, takes snapshot after snapshot and checks each one shows
//       exactly one whole generation. Prints "snapshots N first_gen A last_gen B"; exits 1 on
//       the first inconsistency (described on stderr), 0 otherwise.
//   store_stress hold DIR
//       Read-only open, begins a read transaction, prints "holding", and sleeps with the
//       transaction open until killed (leaves a stale reader slot behind when SIGKILLed).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

#include "store/entities.h"
#include "store/env.h"

namespace {

using ispbox::store::Env;
using ispbox::store::EnvOptions;
using ispbox::store::StoreError;
using ispbox::store::WriteMode;
namespace pb = ispbox::store::pb;

constexpr int kGroupSize = 8;
constexpr const char* kPlan = "stress";

std::atomic<bool> g_stop{false};

void onSignal(int) {
  g_stop.store(true);
}

std::string groupName(int i) {
  return "g" + std::to_string(i);
}
std::string witnessName(uint64_t gen) {
  return "w" + std::to_string(gen);
}

int usage() {
  std::fprintf(stderr, "usage: store_stress writer DIR [MAX_GENERATIONS]\n"
                       "       store_stress reader DIR SECONDS\n"
                       "       store_stress hold DIR\n");
  return 2;
}

// The generation stored in the group (0 when the writer never ran). Only the writer uses this:
// it trusts g0, which the reader verifies against the others.
uint64_t storedGeneration(const ispbox::store::ReadTxn& txn) {
  auto g0 = ispbox::store::getSubscriber(txn, groupName(0));
  return g0 ? std::stoull(g0->comment()) : 0;
}

int runWriter(const std::string& dir, uint64_t max_gens) {
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  EnvOptions opts;
  opts.dir = dir;
  auto env = Env::open(opts);
  uint64_t gen;
  {
    auto txn = env->write();
    if (!ispbox::store::getPlan(txn, kPlan)) {
      pb::Plan plan;
      plan.set_name(kPlan);
      plan.set_download_bps(10'000'000);
      plan.set_upload_bps(2'000'000);
      ispbox::store::putPlan(txn, plan, WriteMode::Create);
    }
    gen = storedGeneration(txn) + 1;
    txn.commit();
  }
  std::printf("start %llu\n", static_cast<unsigned long long>(gen));
  std::fflush(stdout);
  pb::Subscriber sub;
  for (uint64_t done = 0; !g_stop.load() && (max_gens == 0 || done < max_gens); ++done, ++gen) {
    auto txn = env->write();
    for (int i = 0; i < kGroupSize; ++i) {
      const bool exists = ispbox::store::getSubscriber(txn, groupName(i), &sub);
      sub.set_username(groupName(i));
      sub.set_password("pw-" + groupName(i));
      sub.set_plan(kPlan);
      sub.set_status(pb::ACTIVE);
      sub.set_comment(std::to_string(gen));
      ispbox::store::putSubscriber(txn, sub, exists ? WriteMode::Replace : WriteMode::Create);
    }
    pb::Subscriber witness;
    witness.set_username(witnessName(gen));
    witness.set_plan(kPlan);
    witness.set_comment(std::to_string(gen));
    ispbox::store::putSubscriber(txn, witness, WriteMode::Create);
    txn.commit();
    // The acknowledgement: printed only once the commit is durable.
    std::printf("%llu\n", static_cast<unsigned long long>(gen));
    std::fflush(stdout);
  }
  return 0;
}

int runReader(const std::string& dir, double seconds) {
  EnvOptions opts;
  opts.dir = dir;
  opts.read_only = true;
  auto env = Env::open(opts);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(seconds));
  uint64_t snapshots = 0, first_gen = 0, last_gen = 0;
  pb::Subscriber sub;
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "store_stress reader: snapshot %llu: %s\n",
                 static_cast<unsigned long long>(snapshots), what.c_str());
    std::printf("inconsistent %s\n", what.c_str());
    return 1;
  };
  while (std::chrono::steady_clock::now() < deadline) {
    auto txn = env->read();
    std::string gen_text;
    for (int i = 0; i < kGroupSize; ++i) {
      if (!ispbox::store::getSubscriber(txn, groupName(i), &sub))
        return fail(groupName(i) + " missing");
      if (i == 0) gen_text = sub.comment();
      if (sub.comment() != gen_text)
        return fail(groupName(i) + " has generation " + sub.comment() + ", g0 has " + gen_text);
    }
    const uint64_t gen = std::stoull(gen_text);
    if (gen < last_gen)
      return fail("generation went back from " + std::to_string(last_gen) + " to " + gen_text);
    if (!ispbox::store::getSubscriber(txn, witnessName(gen), &sub) || sub.comment() != gen_text)
      return fail(witnessName(gen) + " missing in generation " + gen_text);
    // Written in the same transaction as generation gen + 1, so it must not be visible yet.
    if (ispbox::store::getSubscriber(txn, witnessName(gen + 1), &sub))
      return fail(witnessName(gen + 1) + " visible in generation " + gen_text);
    if (snapshots == 0) first_gen = gen;
    last_gen = gen;
    ++snapshots;
  }
  std::printf(
      "snapshots %llu first_gen %llu last_gen %llu\n", static_cast<unsigned long long>(snapshots),
      static_cast<unsigned long long>(first_gen), static_cast<unsigned long long>(last_gen));
  return 0;
}

int runHold(const std::string& dir) {
  EnvOptions opts;
  opts.dir = dir;
  opts.read_only = true;
  auto env = Env::open(opts);
  auto txn = env->read();
  std::printf("holding\n");
  std::fflush(stdout);
  for (;;)
    pause();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1], dir = argv[2];
  try {
    if (mode == "writer" && argc <= 4)
      return runWriter(dir, argc == 4 ? std::strtoull(argv[3], nullptr, 10) : 0);
    if (mode == "reader" && argc == 4) return runReader(dir, std::strtod(argv[3], nullptr));
    if (mode == "hold" && argc == 3) return runHold(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_stress %s: %s\n", mode.c_str(), e.what());
    return 3;
  }
  return usage();
}
