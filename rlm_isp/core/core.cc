// SPDX-License-Identifier: GPL-2.0-or-later
// The C++ side of rlm_isp/isp_core.h: every entry point catches everything, so no exception ever
// unwinds into FreeRADIUS's C frames. The decisions themselves live in policy.cc and
// accounting.cc; this file converts between the C structs and them, commits accounting (group
// commits, the Interim-Update journal), and owns the background thread that commits the journal
// and the post-auth log in batches and sweeps stale sessions.
#include "rlm_isp/isp_core.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "common/time_util.h"
#include "rlm_isp/core/accounting.h"
#include "rlm_isp/core/acct_journal.h"
#include "rlm_isp/core/policy.h"
#include "rlm_isp/core/vouchers.h"
#include "store/codec.h"
#include "store/entities.h"
#include "store/env.h"
#include "store/pools.h"
#include "store/sessions.h"

namespace {

namespace aaa = ispbox::aaa;
namespace store = ispbox::store;
namespace pb = ispbox::store::pb;

std::string_view sv(const char* s) {
  return s ? std::string_view(s) : std::string_view();
}

// Copies src into a caller's buffer, truncating; false when it did not fit.
bool copyOut(std::string_view src, char* dst, size_t len) {
  if (!dst || len == 0) return false;
  const size_t n = src.size() < len ? src.size() : len - 1;
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
  return n == src.size();
}

// The catch-all every entry point ends with.
isp_code_t fail(char* err, size_t errlen) noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    copyOut(e.what(), err, errlen);
  } catch (...) {
    copyOut("unknown error", err, errlen);
  }
  return ISP_FAIL;
}

// The shim passes octets attributes (Class) as their bytes, or as FreeRADIUS prints them (0x<hex>)
// when the bytes could be mistaken for that: the hex goes back to the bytes.
std::string octets(std::string_view text) {
  if (text.size() < 2 || text.substr(0, 2) != "0x" || text.size() % 2) return std::string(text);
  std::string out;
  for (size_t i = 2; i < text.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nib(text[i]), lo = nib(text[i + 1]);
    if (hi < 0 || lo < 0) return std::string(text);
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// A RADIUS attribute holds at most 253 bytes: a guard, not a limit anyone meets.
constexpr size_t kPostAuthFieldMax = 1024;

// An Accounting-Request waiting to be part of a group commit (see isp_core::account).
struct AcctJob {
  AcctJob(const aaa::AcctRequest& r, int64_t t) : request(&r), now(t) {}
  const aaa::AcctRequest* request;
  int64_t now;
  std::string what;             // applyAccounting's description, once committed
  std::exception_ptr error;     // or why it was not recorded
  bool done = false;            // guarded by isp_core::acct_mutex
  bool lead = false;            // guarded by isp_core::acct_mutex: commit the next group
  std::condition_variable wake; // its thread waits here for done or lead
};

} // namespace

struct isp_core {
  std::unique_ptr<store::Env> env;
  aaa::PolicyOptions options;
  aaa::PolicyCache cache;

  // Interim-Updates are answered once in the journal (see acct_journal.h for why that is enough)
  // and committed to LMDB by the background thread every flush_every. Null: the journal is off
  // (isp_core_options_t) or could not be opened, and they take the group commit below.
  std::unique_ptr<aaa::AcctJournal> journal;
  std::string journal_note; // for isp_core_describe
  static constexpr size_t kFlushEarlyBytes = aaa::AcctJournal::kAreaBytes / 4;
  // Journaled records the store refused on their own (a damaged session record, a full map):
  // they were answered and are lost. Such a packet would have been refused without the journal,
  // and the NAS would have sent it again; so for a while after one, Interim-Updates take the
  // group commit again, where a refusal goes back to the NAS unanswered.
  std::atomic<uint64_t> journal_dropped{0};
  std::atomic<bool> journal_dirty{false}; // records appended since the background thread's flush
  std::atomic<int64_t> journal_paused_until{0}; // Unix seconds
  static constexpr int64_t kPauseAfterDrop_s = 10;
  // One committer at a time: a group leader or the background thread. Whoever commits seals the
  // journal first and applies its records in the same transaction, so an Interim-Update answered
  // before a Stop is applied before it.
  std::mutex commit_mutex;

  // Post-auth entries wait here and are written together: a durable write per Access-Request
  // would cost more than the whole authorization. Losing the last fraction of a second of this
  // log in a crash is acceptable; sessions and usage are written before the NAS is answered.
  // Each entry is encoded by the request's thread (store::appendPostAuthRecord) and appended to
  // `pending` behind its length, so the lock is held for a copy of some 60 bytes.
  std::mutex mutex;
  std::condition_variable wake;
  std::string pending;
  size_t pending_count = 0;
  bool stopping = false;
  std::atomic<bool> flush_now{false};
  std::thread worker;

  // Accounting group commit, for Start, Stop, Accounting-On/Off (and Interim-Updates without the
  // journal): each packet must be durable before the NAS is answered, and a durable LMDB commit
  // (two fsyncs) costs far more than applying a packet. So the worker thread that finds no commit
  // under way leads: it takes every packet queued so far, applies them in one write transaction
  // and commits once; the other workers wait until the commit holding their packet has returned.
  // Packets that arrive while a commit is under way form the next group, whose first packet's
  // thread the leader hands over to. Each thread is woken once, by its own condition variable (a
  // shared one woke every waiter per commit: context switches cost more than the commits).
  //
  // A lone packet is committed at once. Under a burst (the last group held kGatherFrom packets or
  // more: a NAS reconnecting thousands of sessions) the leader first gathers, as PostgreSQL's
  // commit_delay does: it waits up to kGatherFor, or until kGatherUpTo packets queue, so each
  // fsync serves more packets. A packet's answer is delayed by at most that; the CPU an fsync
  // costs is shared by the whole group.
  std::mutex acct_mutex;
  std::vector<std::shared_ptr<AcctJob>> acct_queue;
  bool acct_leader = false;
  AcctJob* acct_gathering = nullptr; // the leader while it gathers
  size_t acct_last_group = 0;
  static constexpr size_t kGatherFrom = 8;
  static constexpr size_t kGatherUpTo = 64;
  static constexpr auto kGatherFor = std::chrono::milliseconds(1);

  // The background thread commits the journal and the post-auth log every flush_every (sooner
  // when either fills): at most ten commits a second, each two fsyncs. Post-auth entries alone
  // (no Interim-Update journaled since the last commit) wait up to kPostAuthEvery: a commit costs
  // about as much CPU as the thousand entries it usually holds, and on a box that only
  // authenticates a while, ten fsyncs a second for a log would be flash worn for nothing.
  static constexpr size_t kBatch = 4096;
  static constexpr auto kFlushEvery = std::chrono::milliseconds(100);
  static constexpr auto kPostAuthEvery = std::chrono::milliseconds(1000);
  std::chrono::milliseconds flush_every = kFlushEvery; // isp_core_options_t::interim_commit_ms
  static constexpr int64_t kSweepEvery_s = 60;
  static constexpr std::chrono::milliseconds kReleaseSnapshotsEvery{1000};

  // Records the request and returns what was done. An Interim-Update goes into the journal when
  // there is one (and room in it); everything else is durable (a group commit) on return.
  std::string account(const aaa::AcctRequest& request, int64_t now) {
    if (request.status_type == aaa::kAcctInterim && journal &&
        now >= journal_paused_until.load(std::memory_order_relaxed)) {
      // This thread's buffers: their capacity is kept from packet to packet.
      thread_local pb::AcctJournalRecord record;
      thread_local std::string bytes;
      toRecord(request, now, &record);
      store::encodeInto(record, &bytes);
      size_t used = 0;
      if (journal->append(bytes, &used)) {
        // Read first: a store on every packet would bounce the line between the workers.
        if (!journal_dirty.load(std::memory_order_relaxed))
          journal_dirty.store(true, std::memory_order_relaxed);
        if (used >= kFlushEarlyBytes && !flush_now.exchange(true)) wake.notify_one();
        return "interim: journaled";
      }
      // The journal is full (the store is slower than the NAS): this one waits for a commit.
    }
    // Shared: the leader notifies after unlocking, when this thread may already have returned.
    const auto job = std::make_shared<AcctJob>(request, now);
    std::unique_lock lock(acct_mutex);
    acct_queue.push_back(job);
    if (!acct_leader) acct_leader = job->lead = true;
    if (acct_gathering && acct_queue.size() >= kGatherUpTo) acct_gathering->wake.notify_one();
    job->wake.wait(lock, [&] { return job->done || job->lead; });
    if (!job->done) {
      if (acct_last_group >= kGatherFrom) {
        acct_gathering = job.get();
        job->wake.wait_for(lock, kGatherFor, [&] { return acct_queue.size() >= kGatherUpTo; });
        acct_gathering = nullptr;
      }
      std::vector<std::shared_ptr<AcctJob>> group;
      group.swap(acct_queue);
      acct_last_group = group.size();
      lock.unlock();
      commitGroup(group);
      std::shared_ptr<AcctJob> next;
      lock.lock();
      for (const auto& j : group)
        j->done = true;
      if (acct_queue.empty())
        acct_leader = false;
      else
        (next = acct_queue.front())->lead = true;
      lock.unlock();
      for (const auto& j : group)
        if (j != job) j->wake.notify_one();
      if (next) next->wake.notify_one();
    } else {
      lock.unlock();
    }
    if (job->error) std::rethrow_exception(job->error);
    return std::move(job->what);
  }

  static void toRecord(const aaa::AcctRequest& r, int64_t now, pb::AcctJournalRecord* out) {
    out->set_status_type(r.status_type);
    out->mutable_user_name()->assign(r.user_name);
    out->mutable_acct_session_id()->assign(r.acct_session_id);
    out->mutable_acct_unique_id()->assign(r.acct_unique_id);
    out->mutable_nas_address()->assign(r.nas_address);
    out->mutable_nas_port()->assign(r.nas_port);
    out->mutable_nas_ip()->assign(r.nas_ip);
    out->mutable_nas_identifier()->assign(r.nas_identifier);
    out->mutable_framed_ip()->assign(r.framed_ip);
    out->mutable_calling_station_id()->assign(r.calling_station_id);
    out->mutable_nas_port_id()->assign(r.nas_port_id);
    out->mutable_class_attr()->assign(r.class_attr);
    out->set_session_time(r.session_time);
    out->set_input_bytes(r.input_bytes);
    out->set_output_bytes(r.output_bytes);
    out->set_input_packets(r.input_packets);
    out->set_output_packets(r.output_packets);
    out->set_terminate_cause(r.terminate_cause);
    out->set_event_timestamp(r.event_timestamp);
    out->set_delay_time(r.delay_time);
    out->set_received_at(now);
  }

  // A journal record back as the request it was (views into *record).
  static bool fromRecord(std::string_view bytes, pb::AcctJournalRecord* record,
                         aaa::AcctRequest* r) {
    if (!record->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
    r->status_type = record->status_type();
    r->user_name = record->user_name();
    r->acct_session_id = record->acct_session_id();
    r->acct_unique_id = record->acct_unique_id();
    r->nas_address = record->nas_address();
    r->nas_port = record->nas_port();
    r->nas_ip = record->nas_ip();
    r->nas_identifier = record->nas_identifier();
    r->framed_ip = record->framed_ip();
    r->calling_station_id = record->calling_station_id();
    r->nas_port_id = record->nas_port_id();
    r->class_attr = record->class_attr();
    r->session_time = record->session_time();
    r->input_bytes = record->input_bytes();
    r->output_bytes = record->output_bytes();
    r->input_packets = record->input_packets();
    r->output_packets = record->output_packets();
    r->terminate_cause = record->terminate_cause();
    r->event_timestamp = record->event_timestamp();
    r->delay_time = record->delay_time();
    return true;
  }

  // Applies journal records in txn. Throws what applyAccounting throws; a record that does not
  // parse (it cannot be, but the file is on disk) is dropped.
  void applyRecords(store::WriteTxn& txn, const std::vector<std::string_view>& records) {
    pb::AcctJournalRecord record; // reused: its strings keep their buffers
    aaa::AcctRequest r;
    for (const std::string_view bytes : records) {
      if (!fromRecord(bytes, &record, &r)) {
        dropped();
        continue;
      }
      aaa::applyAccounting(txn, r, record.received_at(), options, &cache);
    }
  }

  // The records one transaction each, when applying them together failed: only those the store
  // refuses on their own are lost.
  void applyRecordsOneByOne(const std::vector<std::string_view>& records) noexcept {
    for (const std::string_view bytes : records) {
      try {
        auto txn = env->write();
        applyRecords(txn, {bytes});
        txn.commit();
      } catch (...) {
        dropped();
      }
    }
  }

  void dropped() {
    ++journal_dropped;
    journal_paused_until = ispbox::timeutil::nowSeconds() + kPauseAfterDrop_s;
  }

  // Releases the journal's sealed half when the commit holding its records is done.
  struct SealedJournal {
    explicit SealedJournal(aaa::AcctJournal* j) : journal(j) {
      if (journal) records = journal->seal();
    }
    ~SealedJournal() {
      if (journal) journal->release();
    }
    aaa::AcctJournal* journal;
    std::vector<std::string_view> records;
  };

  // One transaction for the group, after the journal's records. When one packet fails, the
  // transaction is abandoned and each packet is committed on its own, so only the failing one
  // goes unrecorded (and unanswered).
  void commitGroup(const std::vector<std::shared_ptr<AcctJob>>& group) noexcept {
    std::lock_guard commit(commit_mutex);
    std::optional<SealedJournal> sealed;
    try {
      sealed.emplace(journal.get());
      auto txn = env->write();
      applyRecords(txn, sealed->records);
      for (const auto& j : group)
        j->what = aaa::applyAccounting(txn, *j->request, j->now, options, &cache);
      txn.commit(); // durable before any of them is answered
      return;
    } catch (...) {
      if (sealed) applyRecordsOneByOne(sealed->records);
    }
    for (const auto& j : group) {
      try {
        auto txn = env->write();
        j->what = aaa::applyAccounting(txn, *j->request, j->now, options, &cache);
        txn.commit();
      } catch (...) {
        j->error = std::current_exception();
      }
    }
  }

  // Opens the journal and applies what a killed predecessor left in it.
  void openJournal(const std::filesystem::path& file) {
    try {
      journal = aaa::AcctJournal::open(file);
    } catch (const std::system_error& e) {
      journal_note = "accounting journal unavailable (";
      journal_note += e.code() == std::errc::resource_unavailable_try_again
                          ? file.string() + " is in use by another radiusd on this state"
                          : std::string(e.what());
      journal_note += "): Interim-Updates wait for an fsync'd commit";
      return;
    }
    const auto& left = journal->leftover();
    if (!left.empty()) {
      std::lock_guard commit(commit_mutex);
      try {
        auto txn = env->write();
        applyRecords(txn, left);
        txn.commit();
      } catch (...) {
        applyRecordsOneByOne(left);
      }
    }
    journal_note = "accounting journal " + file.string() + ": Interim-Updates answered once " +
                   "journaled, committed every " + std::to_string(flush_every.count()) + " ms";
    if (!left.empty())
      journal_note += "; " + std::to_string(left.size()) + " left by a stopped server applied";
    if (journal_dropped)
      journal_note += ", " + std::to_string(journal_dropped.load()) + " refused by the store";
    if (journal->ignoredOtherBoot())
      journal_note += "; records of a previous boot ignored (their sessions' next updates "
                      "carry their counters)";
    journal->reset();
  }

  void start() {
    worker = std::thread([this] { run(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (worker.joinable()) worker.join();
  }

  void run() {
    int64_t next_sweep = ispbox::timeutil::nowSeconds() + kSweepEvery_s;
    std::string batch; // swapped with pending: both keep their capacity
    std::vector<std::string_view> records;
    // Snapshots the store keeps for the next request are let go at least this often, so writers
    // (ispboxd) can reuse the pages freed since, whatever the commit interval.
    const auto tick = std::min<std::chrono::milliseconds>(flush_every, kReleaseSnapshotsEvery);
    auto next_flush = std::chrono::steady_clock::now() + flush_every;
    auto next_postauth = std::chrono::steady_clock::now() + std::max(flush_every, kPostAuthEvery);
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait_for(lock, tick,
                    [this] { return stopping || pending_count >= kBatch || flush_now; });
      const auto now_steady = std::chrono::steady_clock::now();
      const bool due = now_steady >= next_flush && (journal_dirty.load(std::memory_order_relaxed) ||
                                                    now_steady >= next_postauth);
      if (!stopping && pending_count < kBatch && !flush_now && !due) {
        lock.unlock();
        env->releaseIdleSnapshots();
        lock.lock();
        continue;
      }
      next_flush = now_steady + flush_every;
      next_postauth = now_steady + std::max(flush_every, kPostAuthEvery);
      journal_dirty.store(false, std::memory_order_relaxed); // before flush() seals the journal
      flush_now = false;
      batch.clear();
      batch.swap(pending);
      pending_count = 0;
      const bool last = stopping;
      lock.unlock();
      env->releaseIdleSnapshots();
      try {
        splitRecords(batch, &records);
        flush(records);
        // AAA must keep its session table right without ispboxd.
        const int64_t now = ispbox::timeutil::nowSeconds();
        if (now >= next_sweep && !last) {
          next_sweep = now + kSweepEvery_s;
          auto txn = env->write();
          store::sweepSessions(txn, now, options.stale_misses, options.default_interim_s, 86400);
          txn.commit();
        }
      } catch (...) {
        // Nowhere to report from this thread; the next batch tries again.
      }
      lock.lock();
      if (last && pending_count == 0) return;
    }
  }

  // Queues one post-auth entry's record for the background thread.
  void queuePostAuth(std::string_view record) {
    char len[2] = {static_cast<char>(record.size() >> 8), static_cast<char>(record.size())};
    std::lock_guard lock(mutex);
    pending.append(len, 2);
    pending.append(record);
    if (++pending_count >= kBatch) wake.notify_one();
  }

  // The records queuePostAuth put in `bytes`.
  static void splitRecords(std::string_view bytes, std::vector<std::string_view>* out) {
    out->clear();
    while (bytes.size() >= 2) {
      const size_t n =
          static_cast<unsigned char>(bytes[0]) << 8 | static_cast<unsigned char>(bytes[1]);
      out->push_back(bytes.substr(2, n));
      bytes.remove_prefix(std::min(bytes.size(), 2 + n));
    }
  }

  // One commit for the journal's records and the post-auth entries.
  void flush(const std::vector<std::string_view>& postauth) {
    std::lock_guard commit(commit_mutex);
    SealedJournal sealed(journal.get());
    if (sealed.records.empty() && postauth.empty()) return;
    try {
      auto txn = env->write();
      applyRecords(txn, sealed.records);
      if (!postauth.empty()) store::appendPostAuthRecords(txn, postauth, options.postauth_keep);
      txn.commit();
      return;
    } catch (...) {
      applyRecordsOneByOne(sealed.records);
    }
    if (postauth.empty()) return;
    auto txn = env->write();
    store::appendPostAuthRecords(txn, postauth, options.postauth_keep);
    txn.commit();
  }
};

extern "C" {

isp_core_t* isp_core_open(const char* state_dir, const isp_core_options_t* opts, char* err,
                          size_t errlen) noexcept {
  try {
    if (sv(state_dir).empty()) {
      copyOut("state_dir is empty", err, errlen);
      return nullptr;
    }
    store::EnvOptions options;
    options.dir = state_dir;
    options.keep_idle_snapshots = true; // the background thread releases them (run())
    auto core = std::make_unique<isp_core>();
    core->env = store::Env::open(options);
    if (opts && opts->interim_commit_ms > 0)
      core->flush_every = std::chrono::milliseconds(opts->interim_commit_ms);
    if (!opts || opts->interim_journal)
      core->openJournal(options.dir / "rlm_isp-accounting.journal");
    else
      core->journal_note = "accounting journal off: Interim-Updates wait for an fsync'd commit";
    core->start();
    return core.release();
  } catch (...) {
    fail(err, errlen);
    return nullptr;
  }
}

void isp_core_describe(isp_core_t* core, char* buf, size_t len) noexcept {
  if (core) copyOut(core->journal_note, buf, len);
}

void isp_core_close(isp_core_t* core) noexcept {
  if (!core) return;
  try {
    core->stop(); // writes what is still pending
    delete core;
  } catch (...) { // nothing to report to at this point
  }
}

isp_code_t isp_core_authorize(isp_core_t* core, const isp_auth_request_t* request,
                              isp_auth_result_t* result) noexcept {
  if (!result) return ISP_FAIL;
  // Not a memset of the whole struct: at 11 KB it cost more than the rest of this call.
  result->code = ISP_OK;
  result->password[0] = result->reply_message[0] = result->error[0] = '\0';
  result->reply_count = 0;
  try {
    if (!core || !request) throw std::invalid_argument("isp_core_authorize: null argument");
    const aaa::AuthRequest req{sv(request->user_name), sv(request->nas_ip),
                               sv(request->calling_station_id)};
    const int64_t now = request->now > 0 ? request->now : ispbox::timeutil::nowSeconds();
    aaa::AuthDecision d = aaa::authorize(*core->env, req, now, core->options, &core->cache);
    if (d.verdict != aaa::Verdict::Accept) {
      copyOut(d.reason, result->reply_message, sizeof result->reply_message);
      copyOut(d.reason, result->error, sizeof result->error);
      return result->code = ISP_REJECT;
    }
    if (!copyOut(d.password, result->password, sizeof result->password))
      throw std::length_error("password longer than the ABI allows");
    for (const auto& [name, value] : d.reply) {
      if (result->reply_count == ISP_MAX_REPLY_PAIRS)
        throw std::length_error("more reply attributes than the ABI allows");
      isp_pair_t& p = result->reply[result->reply_count++];
      if (!copyOut(name, p.name, sizeof p.name) || !copyOut(value, p.value, sizeof p.value))
        throw std::length_error("reply attribute " + std::string(name) + " too long");
    }
    return result->code = ISP_OK;
  } catch (...) {
    result->password[0] = '\0';
    result->reply_count = 0;
    return result->code = fail(result->error, sizeof result->error);
  }
}

isp_code_t isp_core_accounting(isp_core_t* core, const isp_acct_request_t* r, char* msg,
                               size_t msglen) noexcept {
  try {
    if (!core || !r) throw std::invalid_argument("isp_core_accounting: null argument");
    aaa::AcctRequest req;
    req.status_type = r->status_type;
    req.user_name = sv(r->user_name);
    req.acct_session_id = sv(r->acct_session_id);
    req.acct_unique_id = sv(r->acct_unique_id);
    req.nas_address = sv(r->nas_address);
    req.nas_port = sv(r->nas_port);
    req.nas_ip = sv(r->nas_ip);
    req.nas_identifier = sv(r->nas_identifier);
    req.nas_port_id = sv(r->nas_port_id);
    req.framed_ip = sv(r->framed_ip_address);
    req.calling_station_id = sv(r->calling_station_id);
    const std::string cls = octets(sv(r->class_attr));
    req.class_attr = cls;
    req.session_time = r->session_time;
    // Gigawords carry bits 32-63 of the 64-bit counters (RFC 2869 5.1).
    req.input_bytes = (uint64_t{r->input_gigawords} << 32) | r->input_octets;
    req.output_bytes = (uint64_t{r->output_gigawords} << 32) | r->output_octets;
    req.input_packets = r->input_packets;
    req.output_packets = r->output_packets;
    req.terminate_cause = r->terminate_cause;
    req.event_timestamp = r->event_timestamp;
    req.delay_time = r->delay_time;
    aaa::checkAccounting(req); // a packet that cannot be recorded is neither journaled nor grouped
    // Recorded before the NAS gets its Accounting-Response: durably, or (Interim-Update) in the
    // journal.
    copyOut(core->account(req, ispbox::timeutil::nowSeconds()), msg, msglen);
    return ISP_OK;
  } catch (...) {
    return fail(msg, msglen);
  }
}

isp_code_t isp_core_post_auth(isp_core_t* core, const char* user_name, const char* nas_ip,
                              int accepted, const char* reason, int64_t received_ms, char* err,
                              size_t errlen) noexcept {
  try {
    if (!core) throw std::invalid_argument("isp_core_post_auth: null argument");
    store::PostAuthFields e;
    e.at_ms = received_ms > 0 ? received_ms : ispbox::timeutil::nowMillis();
    e.username = sv(user_name);
    e.nas_ip = sv(nas_ip);
    e.accepted = accepted != 0;
    std::string decoded; // e.profile may point into it
    if (accepted) {
      // "ispbox:<profile>:<plan>", our Class.
      std::string_view cls = sv(reason);
      if (cls.starts_with("0x")) cls = decoded = octets(cls);
      const auto first = cls.find(':'), second = cls.find(':', first + 1);
      if (cls.starts_with("ispbox:") && second != std::string_view::npos)
        e.profile = cls.substr(first + 1, second - first - 1);
      // Only a profile we name: the log's profile field is text, and the Class came back from
      // whatever the reply held.
      if (!aaa::parseProfile(e.profile) && e.profile != aaa::kVoucherProfile) e.profile = {};
      // A voucher's clock starts at its first login whose password was right, so written here
      // (after authentication), before the Access-Accept leaves.
      if (e.profile == aaa::kVoucherProfile)
        aaa::activateVoucherOnAccept(*core->env, sv(user_name), sv(nas_ip), e.at_ms / 1000);
    } else {
      e.reason = sv(reason);
      // authorize offered an address before pap/chap/mschap refused the password: give it back
      // now, or anyone knowing usernames could drain a pool with wrong passwords.
      bool offered;
      {
        auto txn = core->env->read();
        offered = store::hasOfferedLease(txn, sv(user_name));
      }
      if (offered) {
        auto txn = core->env->write();
        store::releaseOfferedLeases(txn, sv(user_name), e.at_ms / 1000);
        txn.commit();
      }
    }
    // Bounded, so an entry always fits queuePostAuth's two-byte length.
    e.username = e.username.substr(0, kPostAuthFieldMax);
    e.reason = e.reason.substr(0, kPostAuthFieldMax);
    thread_local std::string record; // keeps its capacity from request to request
    record.clear();
    store::appendPostAuthRecord(e, &record);
    core->queuePostAuth(record);
    copyOut("", err, errlen);
    return ISP_OK;
  } catch (...) {
    return fail(err, errlen);
  }
}

isp_code_t isp_core_client_lookup(isp_core_t* core, const char* src_ip, char* secret,
                                  size_t secretlen, char* shortname, size_t shortnamelen,
                                  int* require_message_authenticator, char* err,
                                  size_t errlen) noexcept {
  try {
    if (!core || !secret || !shortname || !require_message_authenticator)
      throw std::invalid_argument("isp_core_client_lookup: null argument");
    copyOut("", err, errlen);
    const store::ReadTxn txn = core->env->read();
    const auto nas = store::getNasByIp(txn, sv(src_ip));
    if (!nas) {
      copyOut("no NAS with this address", err, errlen);
      return ISP_NOTFOUND;
    }
    if (!copyOut(nas->secret(), secret, secretlen))
      throw std::length_error("NAS secret longer than the buffer");
    copyOut(nas->name(), shortname, shortnamelen); // only a label: truncation is harmless
    *require_message_authenticator = nas->require_message_authenticator() ? 1 : 0;
    return ISP_OK;
  } catch (...) {
    return fail(err, errlen);
  }
}

} // extern "C"
