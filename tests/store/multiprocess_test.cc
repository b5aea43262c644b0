// SPDX-License-Identifier: GPL-2.0-or-later
// The store shared by real processes (tests/tools/store_stress.cc): readers only ever see whole
// transactions, a writer killed with SIGKILL loses nothing it acknowledged and blocks no one, and
// a killed reader's slot is reclaimed.
#include <gtest/gtest.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

#include "store/entities.h"
#include "store/env.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::store {
namespace {

using namespace std::chrono_literals;
using testutil::Process;
using testutil::TempDir;
using Clock = std::chrono::steady_clock;

constexpr const char* kStress = ISPBOX_STORE_STRESS;
constexpr int kGroupSize = 8; // as in store_stress

std::optional<uint64_t> parseU64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool exitedZero(const std::optional<int>& status) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

// Each test's processes write their stderr to one file, shown when an assertion fails.
class StoreMultiProcess : public ::testing::Test {
protected:
  std::filesystem::path state() const { return dir_.path() / "state"; }
  std::string stderrPath() const { return (dir_.path() / "stderr.log").string(); }
  std::string childStderr() const { return "children's stderr:\n" + slurp(stderrPath()); }

  std::unique_ptr<Process> start(std::vector<std::string> args) {
    args.insert(args.begin(), kStress);
    return std::make_unique<Process>(args, stderrPath());
  }

  // The "start <gen>" line of a writer: the first generation it will write.
  uint64_t startOf(Process& writer) {
    auto line = writer.readLine(15s);
    if (!line || !line->starts_with("start ")) {
      ADD_FAILURE() << "writer did not start: " << line.value_or("<none>") << "\n" << childStderr();
      return 0;
    }
    return parseU64(std::string_view(*line).substr(6)).value_or(0);
  }

  // Reads acknowledgements for `slice`, appending them to *acks; false at end of output.
  bool drainAcks(Process& writer, std::chrono::milliseconds slice, std::vector<uint64_t>* acks) {
    const auto end = Clock::now() + slice;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      if (left <= 0ms) return true;
      auto line = writer.readLine(left);
      // Process::readLine cannot tell a timeout from end of output, but a timeout comes at most
      // a millisecond early (poll rounds down) while end of output comes at once.
      if (!line) return Clock::now() + 3ms >= end;
      auto gen = parseU64(*line);
      if (!gen) {
        ADD_FAILURE() << "bad acknowledgement: " << *line;
        return false;
      }
      acks->push_back(*gen);
    }
  }

  // Reads acknowledgements until the writer closes its output (it exits), at most `limit`.
  void drainToEnd(Process& writer, std::vector<uint64_t>* acks, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (drainAcks(writer, 100ms, acks) && Clock::now() < deadline) {
    }
  }

  // What a fresh in-process open finds: every generation up to the stored one, and no further.
  void verifyState(const std::vector<uint64_t>& acked) {
    EnvOptions opts;
    opts.dir = state();
    std::unique_ptr<Env> env;
    ASSERT_NO_THROW(env = Env::open(opts)) << childStderr();
    auto txn = env->read();
    pb::Subscriber sub;
    ASSERT_TRUE(getSubscriber(txn, "g0", &sub));
    const std::string gen_text = sub.comment();
    for (int i = 1; i < kGroupSize; ++i) {
      ASSERT_TRUE(getSubscriber(txn, "g" + std::to_string(i), &sub));
      EXPECT_EQ(sub.comment(), gen_text) << "g" << i;
    }
    const uint64_t gen = parseU64(gen_text).value_or(0);
    ASSERT_FALSE(acked.empty());
    EXPECT_GE(gen, acked.back()) << "an acknowledged generation was lost";
    EXPECT_LE(gen, acked.back() + 1) << "more than the one in-flight commit survived";
    for (uint64_t g : acked)
      EXPECT_TRUE(getSubscriber(txn, "w" + std::to_string(g), &sub)) << g;
    // Committed but unacknowledged generations are fine; anything beyond the stored one is not.
    EXPECT_FALSE(getSubscriber(txn, "w" + std::to_string(gen + 1), &sub));
    EXPECT_EQ(txn.count(Table::Subscribers), kGroupSize + gen);
    EXPECT_EQ(txn.count(Table::SubscribersByPlan), kGroupSize + gen);
  }

  TempDir dir_;
};

TEST_F(StoreMultiProcess, ConcurrentReadersSeeOnlyWholeTransactions) {
  auto writer = start({"writer", state().string()});
  const uint64_t first = startOf(*writer);
  ASSERT_EQ(first, 1u);
  std::vector<uint64_t> acks;
  // Readers need a first generation to check.
  while (acks.empty() && drainAcks(*writer, 100ms, &acks) && !HasFailure()) {
  }
  ASSERT_FALSE(acks.empty()) << childStderr();

  std::unique_ptr<Process> readers[] = {start({"reader", state().string(), "2"}),
                                        start({"reader", state().string(), "2"})};
  std::optional<int> status[2];
  const auto deadline = Clock::now() + 30s;
  while ((!status[0] || !status[1]) && Clock::now() < deadline) {
    // Keep reading acknowledgements so the writer never blocks on a full pipe.
    drainAcks(*writer, 50ms, &acks);
    for (int i = 0; i < 2; ++i)
      if (!status[i]) status[i] = readers[i]->wait(0ms);
  }
  writer->kill(SIGTERM);
  drainToEnd(*writer, &acks, 20s);
  EXPECT_TRUE(exitedZero(writer->wait(10s))) << childStderr();

  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(exitedZero(status[i])) << "reader " << i << " status " << status[i].value_or(-1)
                                       << ": " << readers[i]->readLine(1s).value_or("") << "\n"
                                       << childStderr();
    auto line = readers[i]->readLine(5s);
    ASSERT_TRUE(line);
    std::istringstream in(*line);
    std::string w1, w2, w3;
    uint64_t snapshots = 0, first_gen = 0, last_gen = 0;
    in >> w1 >> snapshots >> w2 >> first_gen >> w3 >> last_gen;
    ASSERT_EQ(w1, "snapshots") << *line;
    EXPECT_GE(snapshots, 200u) << *line;
    // The writer made progress while the reader looked: the reads really were concurrent.
    EXPECT_GT(last_gen, first_gen) << *line;
    EXPECT_LE(last_gen, acks.back() + 1) << *line;
  }
  // Acknowledgements are consecutive generations.
  for (size_t i = 1; i < acks.size(); ++i)
    ASSERT_EQ(acks[i], acks[i - 1] + 1);
  verifyState(acks);
}

TEST_F(StoreMultiProcess, KilledWriterLosesNoAcknowledgedCommit) {
  std::vector<uint64_t> acked;
  std::unique_ptr<Process> reader;
  // Kill at different depths into a run and at different phases of a transaction.
  const size_t kKillAfter[] = {60, 100, 80};
  const std::chrono::microseconds kPhase[] = {0us, 700us, 1900us};
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto writer = start({"writer", state().string()});
    const uint64_t first = startOf(*writer);
    // A new writer continues after whatever the killed one committed.
    if (acked.empty()) {
      ASSERT_EQ(first, 1u);
    } else { // the killed writer may have committed one generation it could not acknowledge
      ASSERT_GE(first, acked.back() + 1);
      ASSERT_LE(first, acked.back() + 2);
    }
    std::vector<uint64_t> acks;
    const auto deadline = Clock::now() + 3s;
    while (acks.size() < kKillAfter[round] && Clock::now() < deadline &&
           drainAcks(*writer, 20ms, &acks)) {
    }
    ASSERT_GE(acks.size(), 20u) << childStderr();
    // A reader runs through the kills: a dying writer must not disturb it.
    if (!reader) reader = start({"reader", state().string(), "1.5"});
    std::this_thread::sleep_for(kPhase[round]);
    writer->kill(SIGKILL);
    auto status = writer->wait(10s);
    ASSERT_TRUE(status);
    ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
        << "the writer was no longer writing when killed: status " << *status;
    // Acknowledgements still in the pipe count too: each was printed after its commit returned.
    drainToEnd(*writer, &acks, 5s);
    for (size_t i = 0; i < acks.size(); ++i)
      ASSERT_EQ(acks[i], first + i);
    acked.insert(acked.end(), acks.begin(), acks.end());
    verifyState(acked); // also takes the write lock the dead writer may have held
    if (HasFatalFailure()) return;
  }
  // After three kills, a new writer process still gets the lock and commits.
  auto writer = start({"writer", state().string(), "25"});
  const uint64_t first = startOf(*writer);
  EXPECT_GT(first, acked.back());
  std::vector<uint64_t> acks;
  drainToEnd(*writer, &acks, 20s);
  EXPECT_TRUE(exitedZero(writer->wait(10s))) << childStderr();
  ASSERT_EQ(acks.size(), 25u) << childStderr();
  acked.insert(acked.end(), acks.begin(), acks.end());
  verifyState(acked);

  auto status = reader->wait(20s);
  EXPECT_TRUE(exitedZero(status)) << reader->readLine(1s).value_or("") << "\n" << childStderr();
  auto line = reader->readLine(5s);
  EXPECT_TRUE(line && line->starts_with("snapshots ")) << line.value_or("<none>");
}

TEST_F(StoreMultiProcess, KilledReaderSlotIsReclaimed) {
  EnvOptions opts;
  opts.dir = state();
  auto env = Env::open(opts);
  {
    auto txn = env->write();
    txn.put(Table::Meta, "x", "1");
    txn.commit();
  }
  auto holder = start({"hold", state().string()});
  ASSERT_EQ(holder->readLine(15s), "holding") << childStderr();
  EXPECT_EQ(env->clearStaleReaders(), 0); // alive: its slot is kept
  holder->kill(SIGKILL);
  ASSERT_TRUE(holder->wait(10s));
  EXPECT_EQ(env->clearStaleReaders(), 1);
  EXPECT_EQ(env->clearStaleReaders(), 0);
  // And writers carry on.
  auto writer = start({"writer", state().string(), "3"});
  std::vector<uint64_t> acks;
  EXPECT_EQ(startOf(*writer), 1u);
  drainToEnd(*writer, &acks, 20s);
  EXPECT_TRUE(exitedZero(writer->wait(10s))) << childStderr();
  EXPECT_EQ(acks, (std::vector<uint64_t>{1, 2, 3}));
}

// rlm_isp keeps a finished read's snapshot for the next read while nothing is committed
// (keep_idle_snapshots): a commit by another process must end that as surely as one of its own.
TEST_F(StoreMultiProcess, AKeptSnapshotGivesWayToAnotherProcesssCommit) {
  auto write_one = [&](uint64_t expected) {
    auto writer = start({"writer", state().string(), "1"});
    std::vector<uint64_t> acks;
    EXPECT_EQ(startOf(*writer), expected);
    drainToEnd(*writer, &acks, 20s);
    EXPECT_TRUE(exitedZero(writer->wait(10s))) << childStderr();
    EXPECT_EQ(acks, std::vector<uint64_t>{expected});
  };
  write_one(1);
  EnvOptions opts;
  opts.dir = state();
  opts.keep_idle_snapshots = true;
  auto env = Env::open(opts);
  auto read_generation = [&](uint64_t* snapshot) {
    auto txn = env->read();
    *snapshot = mdb_txn_id(txn.raw());
    pb::Subscriber sub;
    EXPECT_TRUE(getSubscriber(txn, "g0", &sub));
    return sub.comment();
  };
  uint64_t first = 0, again = 0, after = 0;
  EXPECT_EQ(read_generation(&first), "1");
  EXPECT_EQ(read_generation(&again), "1");
  EXPECT_EQ(again, first);
  write_one(2);
  EXPECT_EQ(read_generation(&after), "2") << "a kept snapshot hid another process's commit";
  EXPECT_GT(after, first);
}

} // namespace
} // namespace ispbox::store
