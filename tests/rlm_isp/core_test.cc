// SPDX-License-Identifier: GPL-2.0-or-later
// The C ABI of rlm_isp's core (rlm_isp/isp_core.h), in-process and sanitized: what the C shim
// relies on, without FreeRADIUS.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/time_util.h"
#include "rlm_isp/isp_core.h"
#include "store/entities.h"
#include "store/env.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox {
namespace {

using testutil::TempDir;

// An Accounting-Start of alice's from 192.0.2.1.
isp_acct_request_t startOf(const char* acct_session_id) {
  isp_acct_request_t req{};
  req.status_type = 1;
  req.user_name = "alice";
  req.acct_session_id = acct_session_id;
  req.nas_ip = "192.0.2.1";
  return req;
}

class RlmIspCore : public ::testing::Test {
protected:
  void SetUp() override {
    {
      store::EnvOptions opts;
      opts.dir = dir_.path();
      auto env = store::Env::open(opts);
      auto txn = env->write();
      store::pb::Plan plan;
      plan.set_name("home");
      plan.set_download_bps(20000000);
      plan.set_upload_bps(10000000);
      store::putPlan(txn, plan, store::WriteMode::Create);
      store::pb::Subscriber alice;
      alice.set_username("alice");
      alice.set_password("s3cret");
      alice.set_plan("home");
      store::putSubscriber(txn, alice, store::WriteMode::Create);
      store::pb::Nas nas;
      nas.set_name("pop1");
      nas.set_ip("192.0.2.1");
      nas.set_secret("nas-secret");
      nas.set_require_message_authenticator(true);
      store::putNas(txn, nas, store::WriteMode::Create);
      txn.commit();
    }
    char err[ISP_ERROR_MAX] = "";
    core_ = isp_core_open(dir_.path().c_str(), nullptr, err, sizeof err);
    ASSERT_NE(core_, nullptr) << err;
  }
  void TearDown() override { isp_core_close(core_); }

  // Closes the core and opens it again with these options.
  void reopen(int interim_journal, uint32_t interim_commit_ms = 0) {
    isp_core_close(core_);
    isp_core_options_t options{};
    options.interim_journal = interim_journal;
    options.interim_commit_ms = interim_commit_ms;
    char err[ISP_ERROR_MAX] = "";
    core_ = isp_core_open(dir_.path().c_str(), &options, err, sizeof err);
    ASSERT_NE(core_, nullptr) << err;
  }

  std::string describe() const {
    char note[512] = "";
    isp_core_describe(core_, note, sizeof note);
    return note;
  }

  // A session record that does not decode.
  void putCorruptSession(const char* acct_session_id) const {
    store::EnvOptions opts;
    opts.dir = dir_.path();
    auto env = store::Env::open(opts);
    auto txn = env->write();
    txn.put(store::Table::Sessions, store::sessionKey("192.0.2.1", acct_session_id),
            std::string("\x0a\x05"
                        "ab"));
    txn.commit();
  }

  static constexpr int kThreads = 8, kSteps = 40;

  // kThreads sessions of alice sent at once, each a Start and Interim-Updates with growing
  // counters, every packet twice (as a NAS that did not hear the answer retransmits); every
  // bad_every steps, the packet once more for each of bad_ids (nullptr: no Acct-Session-Id).
  // Returns {good packets that failed, bad ones refused}.
  std::pair<int, int> sendConcurrently(const std::string& prefix, int bad_every,
                                       const std::vector<const char*>& bad_ids) {
    std::atomic<int> failures{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string sid = prefix + std::to_string(t);
        char msg[ISP_ERROR_MAX];
        for (int step = 1; step <= kSteps; ++step) {
          isp_acct_request_t req{};
          req.status_type = step == 1 ? 1 : 3;
          req.user_name = "alice";
          req.acct_session_id = sid.c_str();
          req.nas_ip = "192.0.2.1";
          req.input_octets = static_cast<uint32_t>(step * 1000);
          req.session_time = static_cast<uint32_t>(step * 10);
          for (int copy = 0; copy < 2; ++copy)
            if (isp_core_accounting(core_, &req, msg, sizeof msg) != ISP_OK) ++failures;
          if (step % bad_every) continue;
          for (const char* bad : bad_ids) {
            req.acct_session_id = bad;
            if (isp_core_accounting(core_, &req, msg, sizeof msg) == ISP_FAIL) ++refused;
          }
        }
      });
    }
    for (auto& th : threads)
      th.join();
    return {failures.load(), refused.load()};
  }

  // What sendConcurrently sent, counted once: alice's usage today and her live sessions.
  void expectCountedOnce() const {
    store::EnvOptions opts;
    opts.dir = dir_.path();
    auto env = store::Env::open(opts);
    auto txn = env->read();
    const auto day = store::getUsage(txn, "alice", "d" + store::dayPeriod(timeutil::nowSeconds()));
    EXPECT_EQ(day.input_octets(), uint64_t{kThreads} * kSteps * 1000);
    EXPECT_EQ(day.session_time(), uint64_t{kThreads} * kSteps * 10);
    EXPECT_EQ(store::countLiveSessionsOf(txn, "alice"), size_t{kThreads});
  }

  std::optional<store::pb::Session> session(const char* acct_session_id) const {
    store::EnvOptions opts;
    opts.dir = dir_.path();
    auto env = store::Env::open(opts);
    auto txn = env->read();
    return store::getSession(txn, store::sessionKey("192.0.2.1", acct_session_id));
  }

  TempDir dir_;
  isp_core_t* core_ = nullptr;
};

TEST_F(RlmIspCore, AuthorizeReturnsThePasswordAndReplyPairs) {
  isp_auth_request_t req{};
  req.user_name = "alice";
  req.nas_ip = "192.0.2.1";
  isp_auth_result_t res;
  EXPECT_EQ(isp_core_authorize(core_, &req, &res), ISP_OK) << res.error;
  EXPECT_EQ(res.code, ISP_OK);
  EXPECT_STREQ(res.password, "s3cret");
  ASSERT_GE(res.reply_count, 1u);
  EXPECT_STREQ(res.reply[0].name, "Mikrotik-Rate-Limit");
  EXPECT_STREQ(res.reply[0].value, "10M/20M");
}

// The policy's "now" is the time the server received the request when the shim passes it: the
// same subscriber is in her plan before her expiry and isolated after it.
TEST_F(RlmIspCore, AuthorizeDecidesAtTheRequestsTime) {
  const int64_t expiry = timeutil::nowSeconds() + 86400;
  {
    store::EnvOptions opts;
    opts.dir = dir_.path();
    auto env = store::Env::open(opts);
    auto txn = env->write();
    auto alice = store::getSubscriber(txn, "alice");
    ASSERT_TRUE(alice);
    alice->set_expires_at(expiry);
    store::putSubscriber(txn, *alice, store::WriteMode::Replace);
    txn.commit();
  }
  auto classOf = [&](int64_t now) {
    isp_auth_request_t req{};
    req.user_name = "alice";
    req.nas_ip = "192.0.2.1";
    req.now = now;
    isp_auth_result_t res;
    EXPECT_EQ(isp_core_authorize(core_, &req, &res), ISP_OK) << res.error;
    for (size_t i = 0; i < res.reply_count; ++i)
      if (std::string(res.reply[i].name) == "Class") return std::string(res.reply[i].value);
    return std::string("no Class");
  };
  EXPECT_TRUE(classOf(expiry - 60).starts_with("ispbox:normal:")) << classOf(expiry - 60);
  EXPECT_TRUE(classOf(expiry + 40 * 86400).starts_with("ispbox:isolated:"))
      << classOf(expiry + 40 * 86400);
  EXPECT_TRUE(classOf(0).starts_with("ispbox:normal:")) << "0 must mean the clock's now";
}

TEST_F(RlmIspCore, AuthorizeRejectsUnknownUsersWithAMessage) {
  isp_auth_request_t req{};
  isp_auth_result_t res;
  req.nas_ip = "192.0.2.1";
  req.user_name = "mallory";
  EXPECT_EQ(isp_core_authorize(core_, &req, &res), ISP_REJECT);
  EXPECT_STREQ(res.password, "");
  EXPECT_STREQ(res.reply_message, "Unknown user");
  req.user_name = nullptr;
  EXPECT_EQ(isp_core_authorize(core_, &req, &res), ISP_REJECT);
}

TEST_F(RlmIspCore, AccountingFoldsGigawordsIntoUsage) {
  isp_acct_request_t req = startOf("81a00001");
  char msg[ISP_ERROR_MAX];
  ASSERT_EQ(isp_core_accounting(core_, &req, msg, sizeof msg), ISP_OK) << msg;
  req.status_type = 3;
  req.input_gigawords = 1;
  req.input_octets = 10;
  req.output_octets = 20;
  req.session_time = 60;
  ASSERT_EQ(isp_core_accounting(core_, &req, msg, sizeof msg), ISP_OK) << msg;
  // Answered from the journal: in LMDB within the commit interval (100 ms).
  store::EnvOptions opts;
  opts.dir = dir_.path();
  opts.read_only = true;
  auto env = store::Env::open(opts);
  store::pb::Usage u;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       u.input_octets() == 0 && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
    auto txn = env->read();
    u = store::getUsage(txn, "alice", "m" + store::monthPeriod(timeutil::nowSeconds()));
  }
  EXPECT_EQ(u.input_octets(), (1ULL << 32) + 10);
  EXPECT_EQ(u.output_octets(), 20u);
}

TEST_F(RlmIspCore, ARejectAfterAnOfferGivesTheAddressBack) {
  {
    // Put alice's plan on a one-address ispbox pool, and add bob.
    store::EnvOptions opts;
    opts.dir = dir_.path();
    opts.read_only = false;
    auto env = store::Env::open(opts);
    auto txn = env->write();
    store::pb::Pool pool;
    pool.set_name("tiny");
    auto* r = pool.add_ranges();
    r->set_first("100.64.9.1");
    r->set_last("100.64.9.1");
    store::putPool(txn, pool);
    auto plan = *store::getPlan(txn, "home");
    plan.set_pool("tiny");
    store::putPlan(txn, plan, store::WriteMode::Replace);
    store::pb::Subscriber bob;
    bob.set_username("bob");
    bob.set_password("pw");
    bob.set_plan("home");
    store::putSubscriber(txn, bob, store::WriteMode::Create);
    txn.commit();
  }
  isp_auth_request_t req{};
  req.nas_ip = "192.0.2.1";
  req.user_name = "alice";
  isp_auth_result_t res;
  ASSERT_EQ(isp_core_authorize(core_, &req, &res), ISP_OK) << res.error;
  // pap then refuses alice's password: the server calls post-auth with the reject.
  char err[ISP_ERROR_MAX];
  ASSERT_EQ(
      isp_core_post_auth(core_, "alice", "192.0.2.1", 0, "wrong password", 0, err, sizeof err),
      ISP_OK)
      << err;
  req.user_name = "bob";
  ASSERT_EQ(isp_core_authorize(core_, &req, &res), ISP_OK) << res.reply_message << res.error;
  bool got = false;
  for (size_t i = 0; i < res.reply_count; ++i)
    got = got || (std::string(res.reply[i].name) == "Framed-IP-Address" &&
                  std::string(res.reply[i].value) == "100.64.9.1");
  EXPECT_TRUE(got) << "bob did not get the address alice's failed login had been offered";
}

TEST_F(RlmIspCore, OverlongSessionIdsStillRecord) {
  // LMDB keys are limited to 511 bytes; RADIUS allows a 253-byte User-Name and session id.
  const std::string user(253, 'u'), sid(253, 's');
  isp_acct_request_t req{};
  req.status_type = 1;
  req.user_name = user.c_str();
  req.acct_session_id = sid.c_str();
  req.nas_ip = "192.0.2.1";
  char msg[ISP_ERROR_MAX];
  EXPECT_EQ(isp_core_accounting(core_, &req, msg, sizeof msg), ISP_OK) << msg;
  req.status_type = 2;
  EXPECT_EQ(isp_core_accounting(core_, &req, msg, sizeof msg), ISP_OK) << msg;
}

TEST_F(RlmIspCore, PostAuthIsWrittenInBatchesAndFlushedOnClose) {
  char err[ISP_ERROR_MAX];
  // alice's entry carries the time the server received her request; mallory's, with none
  // given, the core's clock.
  const int64_t received_ms = 1700000000123;
  ASSERT_EQ(isp_core_post_auth(core_, "alice", "192.0.2.1", 1, "0x69737062", received_ms, err,
                               sizeof err),
            ISP_OK);
  const int64_t before_ms = timeutil::nowMillis();
  ASSERT_EQ(
      isp_core_post_auth(core_, "mallory", "192.0.2.1", 0, "Unknown user", 0, err, sizeof err),
      ISP_OK);
  isp_core_close(core_);
  core_ = nullptr;
  store::EnvOptions opts;
  opts.dir = dir_.path();
  auto env = store::Env::open(opts);
  auto txn = env->read();
  auto rows = store::listPostAuth(txn, 0, 10, nullptr);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].second.username(), "mallory"); // newest first
  EXPECT_FALSE(rows[0].second.accepted());
  EXPECT_EQ(rows[0].second.reason(), "Unknown user");
  EXPECT_GE(rows[0].second.at_ms(), before_ms);
  EXPECT_LE(rows[0].second.at_ms(), timeutil::nowMillis());
  EXPECT_TRUE(rows[1].second.accepted());
  EXPECT_EQ(rows[1].second.at_ms(), received_ms);
}

// Accounting from many FreeRADIUS threads at once goes through group commits (Interim-Updates
// too, with the journal off): every packet is recorded once (duplicates included), and a packet
// that cannot be recorded fails alone.
TEST_F(RlmIspCore, ConcurrentAccountingIsRecordedOnceAndABadPacketFailsAlone) {
  reopen(/*interim_journal=*/0);
  EXPECT_NE(describe().find("journal off"), std::string::npos) << describe();
  putCorruptSession("corrupt"); // a packet for it fails inside a group's transaction
  // Now and then one without Acct-Session-Id, or for the bad record.
  const auto [failures, refused] = sendConcurrently("sess-", 10, {nullptr, "corrupt"});
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(refused, 2 * kThreads * kSteps / 10);
  expectCountedOnce();
}

// The same through the journal: the Interim-Updates are answered at once, and once the core is
// closed (it commits what is journaled) every one is counted once.
TEST_F(RlmIspCore, ConcurrentJournaledInterimUpdatesAreCountedOnce) {
  reopen(/*interim_journal=*/1, /*interim_commit_ms=*/10);
  EXPECT_NE(describe().find("answered once journaled, committed every 10 ms"), std::string::npos)
      << describe();
  // A packet without Acct-Session-Id is refused before it reaches the journal.
  const auto [failures, refused] = sendConcurrently("j-", 1, {nullptr});
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(refused, kThreads * kSteps);
  isp_core_close(core_); // commits what is journaled
  core_ = nullptr;
  expectCountedOnce();
}

// A process killed (SIGKILL) after answering Interim-Updates from the journal loses none of them:
// the next core to open the state applies them before it answers anything.
TEST_F(RlmIspCore, JournaledUpdatesOfAKilledProcessAreAppliedByTheNext) {
  isp_core_close(core_); // the child must be the journal's only writer
  core_ = nullptr;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    isp_core_options_t options{};
    options.interim_journal = 1;
    options.interim_commit_ms = 60000; // no commit before the kill
    char msg[ISP_ERROR_MAX];
    isp_core_t* core = isp_core_open(dir_.path().c_str(), &options, msg, sizeof msg);
    if (!core) ::_exit(2);
    isp_acct_request_t req = startOf("killed-1");
    if (isp_core_accounting(core, &req, msg, sizeof msg) != ISP_OK) ::_exit(3);
    req.status_type = 3;
    req.input_octets = 4242;
    req.session_time = 30;
    if (isp_core_accounting(core, &req, msg, sizeof msg) != ISP_OK) ::_exit(4);
    ::raise(SIGKILL);
    ::_exit(5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  auto s = session("killed-1");
  ASSERT_TRUE(s) << "the Start is committed before its answer";
  EXPECT_EQ(s->input_octets(), 0u) << "the update was committed: this test proves nothing";

  reopen(/*interim_journal=*/1);
  EXPECT_NE(describe().find("1 left by a stopped server applied"), std::string::npos) << describe();
  s = session("killed-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_octets(), 4242u);
  EXPECT_EQ(s->session_time(), 30u);
  reopen(/*interim_journal=*/1);
  EXPECT_EQ(describe().find("left by a stopped server"), std::string::npos)
      << "applied twice: " << describe();
}

// A journaled update the store refuses on its own (here its session record is damaged) was
// answered and is lost; it would have been refused without the journal too. For a while after,
// Interim-Updates take the group commit again, where a refusal reaches the NAS as no answer.
TEST_F(RlmIspCore, AfterTheStoreRefusesAJournaledUpdateInterimUpdatesAreCommittedFirst) {
  reopen(/*interim_journal=*/1, /*interim_commit_ms=*/10);
  putCorruptSession("corrupt");
  char msg[ISP_ERROR_MAX];
  isp_acct_request_t good = startOf("fine-1");
  ASSERT_EQ(isp_core_accounting(core_, &good, msg, sizeof msg), ISP_OK) << msg;
  isp_acct_request_t bad = startOf("corrupt");
  bad.status_type = 3;
  EXPECT_EQ(isp_core_accounting(core_, &bad, msg, sizeof msg), ISP_OK) << "journaled: " << msg;
  good.status_type = 3;
  good.input_octets = 100;
  EXPECT_EQ(isp_core_accounting(core_, &good, msg, sizeof msg), ISP_OK) << msg;
  // Once the journal's commit has refused it, the same packet fails, and good ones still record.
  isp_code_t code = ISP_OK;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       code == ISP_OK && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(20)))
    code = isp_core_accounting(core_, &bad, msg, sizeof msg);
  EXPECT_EQ(code, ISP_FAIL);
  good.input_octets = 200;
  EXPECT_EQ(isp_core_accounting(core_, &good, msg, sizeof msg), ISP_OK) << msg;
  auto s = session("fine-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_octets(), 200u) << "committed before its answer, while the journal pauses";
}

// The stock id is worked out when the session is first recorded and then kept: a later packet
// whose inputs differ (a NAS that renumbered the port mid-session) does not give it a new one.
TEST_F(RlmIspCore, AccountingWithoutAUniqueIdGetsTheStockOneForTheSessionsLife) {
  isp_acct_request_t req = startOf("81a00001");
  req.nas_address = "192.0.2.1";
  req.nas_identifier = "pop1";
  req.nas_port_id = "ether1";
  req.nas_port = "7";
  char msg[ISP_ERROR_MAX];
  ASSERT_EQ(isp_core_accounting(core_, &req, msg, sizeof msg), ISP_OK) << msg;
  isp_acct_request_t interim = req;
  interim.status_type = 3;
  interim.nas_port = "8";
  interim.input_octets = 1000;
  ASSERT_EQ(isp_core_accounting(core_, &interim, msg, sizeof msg), ISP_OK) << msg;
  req.acct_session_id = "81a00002";
  req.acct_unique_id = "from-a-policy";
  ASSERT_EQ(isp_core_accounting(core_, &req, msg, sizeof msg), ISP_OK) << msg;
  store::EnvOptions opts;
  opts.dir = dir_.path();
  auto env = store::Env::open(opts);
  auto txn = env->read();
  auto s = store::getSession(txn, store::sessionKey("192.0.2.1", "81a00001"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_octets(), 1000u) << "the interim was recorded";
  EXPECT_EQ(s->acct_unique_id(), "4f0ae270b39173731187af66e5e4d65a");
  EXPECT_EQ(s->nas_identifier(), "pop1");
  EXPECT_EQ(s->nas_port_id(), "ether1");
  s = store::getSession(txn, store::sessionKey("192.0.2.1", "81a00002"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->acct_unique_id(), "from-a-policy");
}

TEST_F(RlmIspCore, NullArgumentsFailWithAReasonInsteadOfThrowing) {
  isp_auth_result_t res;
  EXPECT_EQ(isp_core_authorize(nullptr, nullptr, &res), ISP_FAIL);
  EXPECT_NE(std::string(res.error).find("null"), std::string::npos) << res.error;
  char err[8];
  EXPECT_EQ(isp_core_accounting(nullptr, nullptr, err, sizeof err), ISP_FAIL);
  EXPECT_EQ(std::strlen(err), sizeof err - 1); // truncated, terminated
}

TEST_F(RlmIspCore, ClientLookupGivesTheNasFromTheStore) {
  char secret[ISP_VALUE_MAX], name[ISP_NAME_MAX], err[ISP_ERROR_MAX];
  int require_ma = -1;
  EXPECT_EQ(isp_core_client_lookup(core_, "192.0.2.1", secret, sizeof secret, name, sizeof name,
                                   &require_ma, err, sizeof err),
            ISP_OK)
      << err;
  EXPECT_STREQ(secret, "nas-secret");
  EXPECT_STREQ(name, "pop1");
  EXPECT_EQ(require_ma, 1);
  EXPECT_EQ(isp_core_client_lookup(core_, "192.0.2.2", secret, sizeof secret, name, sizeof name,
                                   &require_ma, err, sizeof err),
            ISP_NOTFOUND);
}

TEST(RlmIspCoreOpen, UnusableStateDirFailsWithAReason) {
  TempDir dir;
  const auto file = dir.path() / "not-a-dir";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    std::fclose(f);
  }
  char err[ISP_ERROR_MAX] = "";
  EXPECT_EQ(isp_core_open((file / "state").c_str(), nullptr, err, sizeof err), nullptr);
  EXPECT_STRNE(err, "");
  EXPECT_EQ(isp_core_open("", nullptr, err, sizeof err), nullptr);
  EXPECT_STRNE(err, "");
}

} // namespace
} // namespace ispbox
