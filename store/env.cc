// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/env.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <vector>

#include "store/codec.h"
#include "store/logs.h"
#include "store/olt.h"

namespace ispbox::store {
namespace {

uint64_t nextInstanceId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

constexpr std::string_view kTableNames[kTableCount] = {
    "meta",
    "plans",
    "subscribers",
    "subscribers_by_plan",
    "subscribers_by_ip",
    "nas",
    "nas_by_ip",
    "tokens",
    "audit",
    "changes",
    "sessions",
    "sessions_by_user",
    "session_history",
    "usage",
    "postauth",
    "pools",
    "leases",
    "leases_by_user",
    "audit_by_key",
    "vouchers",
    "voucher_batches",
    "vouchers_by_batch",
    "ros_interface_groups",
    "ros_interface_samples",
    "olts",
    "olt_status",
    "pon_ports",
    "onus",
    "onus_by_serial",
    "unconfigured_onus",
    "onu_history",
    "onu_events",
    "onu_links",
    "nas_status",
};
constexpr std::string_view kSchemaKey = "schema_version";
constexpr std::string_view kMinReaderKey = "min_reader_version";

MDB_val toVal(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view fromVal(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

uint32_t readU32(const ReadTxn& txn, std::string_view key) {
  auto v = txn.get(Table::Meta, key);
  if (!v) return 0;
  if (v->size() != 8) throw StoreError(StoreError::Code::Corrupt, "meta." + std::string(key));
  return static_cast<uint32_t>(decodeSeq(*v));
}

} // namespace

std::string_view tableName(Table t) {
  return kTableNames[static_cast<unsigned>(t)];
}

void check(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS) return;
  const std::string msg = std::string(what) + ": " + mdb_strerror(rc);
  if (rc == MDB_MAP_FULL)
    throw StoreError(StoreError::Code::MapFull,
                     msg + " (state is full: raise state.map_size_mb in the config)");
  if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
      rc == MDB_PAGE_NOTFOUND)
    throw StoreError(StoreError::Code::Corrupt, msg);
  if (rc == ENOENT || rc == MDB_NOTFOUND) throw StoreError(StoreError::Code::NotFound, msg);
  throw StoreError(StoreError::Code::Io, msg);
}

std::string joinKey(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + 1 + b.size());
  k.append(a).push_back('\0');
  k.append(b);
  return k;
}

std::string encodeSeq(uint64_t seq) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return out;
}

uint64_t decodeSeq(std::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < key.size() && i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(key[i]);
  return v;
}

// ---- ReadTxn / WriteTxn ----

ReadTxn::ReadTxn(ReadTxn&& other) noexcept
    : env_(other.env_), txn_(other.txn_), read_only_(other.read_only_),
      resize_guard_(std::move(other.resize_guard_)) {
  other.txn_ = nullptr;
}

ReadTxn::~ReadTxn() {
  if (!txn_) return;
  if (read_only_)
    env_->putIdleReader(txn_);
  else
    mdb_txn_abort(txn_);
}

std::optional<std::string_view> ReadTxn::get(Table table, std::string_view key) const {
  if (key.empty()) return std::nullopt; // LMDB keys are never empty; it would fail, not miss
  MDB_val k = toVal(key), v{};
  int rc = mdb_get(txn_, env_->dbi(table), &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "read");
  return fromVal(v);
}

uint64_t ReadTxn::snapshotId() const noexcept {
  return mdb_txn_id(txn_);
}

uint64_t ReadTxn::count(Table table) const {
  MDB_stat st{};
  check(mdb_stat(txn_, env_->dbi(table), &st), "stat");
  return st.ms_entries;
}

void WriteTxn::put(Table table, std::string_view key, std::string_view value) {
  MDB_val k = toVal(key), v = toVal(value);
  check(mdb_put(txn_, env_->dbi(table), &k, &v, 0), "write");
}

WriteCursor::WriteCursor(WriteTxn& txn, Table table) {
  check(mdb_cursor_open(txn.raw(), txn.env().dbi(table), &cursor_), "cursor");
}

WriteCursor::~WriteCursor() {
  mdb_cursor_close(cursor_);
}

std::optional<std::string_view> WriteCursor::find(std::string_view key) {
  key_ = key;
  MDB_val k = toVal(key), v{};
  const int rc = mdb_cursor_get(cursor_, &k, &v, MDB_SET_KEY);
  if (rc != MDB_NOTFOUND) check(rc, "read");
  found_ = rc == MDB_SUCCESS;
  if (!found_) return std::nullopt;
  return fromVal(v);
}

void WriteCursor::put(std::string_view value) {
  MDB_val k = toVal(key_), v = toVal(value);
  check(mdb_cursor_put(cursor_, &k, &v, found_ ? MDB_CURRENT : 0), "write");
  found_ = true; // the cursor is on the record now
}

void WriteTxn::insert(Table table, std::string_view key, std::string_view value) {
  MDB_val k = toVal(key), v = toVal(value);
  int rc = mdb_put(txn_, env_->dbi(table), &k, &v, MDB_NOOVERWRITE);
  if (rc == MDB_KEYEXIST)
    throw StoreError(StoreError::Code::Conflict,
                     std::string(tableName(table)) + ": key exists: " + std::string(key));
  check(rc, "insert");
}

bool WriteTxn::erase(Table table, std::string_view key) {
  if (key.empty()) return false;
  MDB_val k = toVal(key);
  int rc = mdb_del(txn_, env_->dbi(table), &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "delete");
  return true;
}

void WriteTxn::append(Table table, std::string_view key, std::string_view value) {
  MDB_val k = toVal(key), v = toVal(value);
  int rc = mdb_put(txn_, env_->dbi(table), &k, &v, MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn_, env_->dbi(table), &k, &v, 0); // not the last: put
  check(rc, "write");
}

uint64_t WriteTxn::nextSequence(std::string_view counter, uint64_t n) {
  const std::string key = "seq/" + std::string(counter);
  auto cur = get(Table::Meta, key);
  const uint64_t next = (cur ? decodeSeq(*cur) : 0) + 1;
  put(Table::Meta, key, encodeSeq(next + (n ? n : 1) - 1));
  return next;
}

void WriteTxn::commit() {
  MDB_txn* t = txn_;
  txn_ = nullptr; // committed or not, LMDB has freed the handle
  check(mdb_txn_commit(t), "commit");
}

// ---- Cursor ----

Cursor::Cursor(const ReadTxn& txn, Table table) {
  check(mdb_cursor_open(txn.raw(), txn.env().dbi(table), &cursor_), "cursor");
}

Cursor::~Cursor() {
  mdb_cursor_close(cursor_);
}

bool Cursor::move(MDB_cursor_op op) {
  MDB_val k{}, v{};
  int rc = mdb_cursor_get(cursor_, &k, &v, op);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "cursor");
  key_ = fromVal(k);
  value_ = fromVal(v);
  return true;
}

bool Cursor::first() {
  return move(MDB_FIRST);
}
bool Cursor::last() {
  return move(MDB_LAST);
}
bool Cursor::next() {
  return move(MDB_NEXT);
}
bool Cursor::prev() {
  return move(MDB_PREV);
}

bool Cursor::seek(std::string_view key) {
  if (key.empty()) return first();
  MDB_val k = toVal(key), v{};
  int rc = mdb_cursor_get(cursor_, &k, &v, MDB_SET_RANGE);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "cursor");
  key_ = fromVal(k);
  value_ = fromVal(v);
  return true;
}

bool Cursor::seekAfter(std::string_view after) {
  if (!seek(after)) return false;
  if (!after.empty() && key_ == after) return next();
  return true;
}

// ---- Env ----

Env::Env(const EnvOptions& options) : options_(options), instance_id_(nextInstanceId()) {}

Env::~Env() {
  for (const IdleReader& r : idle_readers_)
    mdb_txn_abort(r.txn);
  if (env_) mdb_env_close(env_);
}

std::unique_ptr<Env> Env::open(const EnvOptions& options) {
  if (options.dir.empty()) throw StoreError(StoreError::Code::Io, "no state directory configured");
  std::unique_ptr<Env> env(new Env(options));
  std::error_code ec;
  if (!options.read_only) {
    std::filesystem::create_directories(options.dir, ec);
    if (ec)
      throw StoreError(StoreError::Code::Io, "cannot create state directory " +
                                                 options.dir.string() + ": " + ec.message());
  } else if (!std::filesystem::exists(options.dir / "data.mdb", ec)) {
    throw StoreError(StoreError::Code::NotFound,
                     "no state at " + options.dir.string() + " (has ispboxd run yet?)");
  }
  check(mdb_env_create(&env->env_), "mdb_env_create");
  check(mdb_env_set_maxdbs(env->env_, kTableCount + 4), "mdb_env_set_maxdbs");
  check(mdb_env_set_mapsize(env->env_, options.map_size_bytes), "mdb_env_set_mapsize");
  check(mdb_env_set_maxreaders(env->env_, options.max_readers), "mdb_env_set_maxreaders");
  // MDB_NOTLS: read transactions belong to the object, not the thread, so a thread may hold a
  // read snapshot and a write transaction at once, and thread pools cannot exhaust reader slots.
  unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0u);
  int rc = mdb_env_open(env->env_, options.dir.c_str(), flags, 0660);
  if (rc != MDB_SUCCESS) {
    mdb_env_close(env->env_);
    env->env_ = nullptr;
    check(rc, "open state " + options.dir.string());
  }
  env->clearStaleReaders();
  env->openTables();
  return env;
}

int Env::clearStaleReaders() {
  int dead = 0;
  mdb_reader_check(env_, &dead);
  return dead;
}

MDB_txn* Env::begin(unsigned flags, std::shared_lock<std::shared_timed_mutex>& guard) const {
  guard = std::shared_lock(resize_mutex_);
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, flags, &txn);
  if (rc == MDB_MAP_RESIZED) {
    // Another process grew the map. LMDB lets us adopt the new size only while no transaction
    // of this process is open, so wait for the others to finish theirs (they are short).
    guard.unlock();
    {
      std::unique_lock exclusive(resize_mutex_, std::defer_lock);
      if (!exclusive.try_lock_for(std::chrono::seconds(5)))
        throw StoreError(StoreError::Code::Io,
                         "the state's map was resized by another process while a transaction of "
                         "this one stayed open: restart this process");
      releaseIdleSnapshots(); // finished, but still transactions to LMDB
      check(mdb_env_set_mapsize(env_, 0), "adopt map size");
    }
    guard.lock();
    rc = mdb_txn_begin(env_, nullptr, flags, &txn);
  }
  check(rc, flags & MDB_RDONLY ? "begin read" : "begin write");
  return txn;
}

// Bounded: more idle readers than this are never needed at once (FreeRADIUS's thread pool and the
// API workers are smaller), and each holds one of the environment's reader slots.
constexpr size_t kMaxIdleReaders = 64;

uint64_t Env::lastCommitted() const noexcept {
  // The newer of the two meta pages, read from the map: another process's commit shows here as
  // soon as a new read transaction could see it. 0 (no snapshot is that) only for a null env.
  MDB_envinfo info;
  return mdb_env_info(env_, &info) == MDB_SUCCESS ? info.me_last_txnid : 0;
}

MDB_txn* Env::takeIdleReader(bool* current) const {
  const uint64_t last = options_.keep_idle_snapshots ? lastCommitted() : 0;
  std::lock_guard lock(idle_mutex_);
  if (idle_readers_.empty()) return nullptr;
  const IdleReader r = idle_readers_.back();
  idle_readers_.pop_back();
  *current = r.snapshot != 0 && r.snapshot == last;
  if (r.snapshot != 0 && !*current) {
    mdb_txn_reset(r.txn);
    // Something was committed since: every snapshot still held is stale, and pins pages.
    for (IdleReader& other : idle_readers_)
      if (other.snapshot != 0 && other.snapshot != last) {
        mdb_txn_reset(other.txn);
        other.snapshot = 0;
      }
  }
  return r.txn;
}

void Env::putIdleReader(MDB_txn* txn) const {
  // Kept even if a commit has made it stale meanwhile: the next takeIdleReader finds that out
  // with the one look at the meta pages it needs anyway (a second look here cost as much as the
  // snapshot's bookkeeping), and the owner's releaseIdleSnapshots() bounds how long it pins pages.
  const uint64_t snapshot = options_.keep_idle_snapshots ? mdb_txn_id(txn) : 0;
  if (snapshot == 0) mdb_txn_reset(txn); // releases the snapshot now; the slot stays with it
  {
    std::lock_guard lock(idle_mutex_);
    if (idle_readers_.size() < kMaxIdleReaders) {
      idle_readers_.push_back({txn, snapshot});
      return;
    }
  }
  mdb_txn_abort(txn);
}

void Env::releaseIdleSnapshots() const {
  std::lock_guard lock(idle_mutex_);
  for (IdleReader& r : idle_readers_)
    if (r.snapshot != 0) {
      mdb_txn_reset(r.txn);
      r.snapshot = 0;
    }
}

ReadTxn Env::read() const {
  std::shared_lock<std::shared_timed_mutex> guard(resize_mutex_);
  bool current = false;
  if (MDB_txn* txn = takeIdleReader(&current)) {
    if (current || mdb_txn_renew(txn) == MDB_SUCCESS)
      return ReadTxn(this, txn, std::move(guard), true);
    // MDB_MAP_RESIZED and the like: begin() below knows what to do.
    mdb_txn_abort(txn);
  }
  guard.unlock();
  MDB_txn* txn = begin(MDB_RDONLY, guard);
  return ReadTxn(this, txn, std::move(guard), true);
}

WriteTxn Env::write() {
  if (options_.read_only)
    throw StoreError(StoreError::Code::Io, "state opened read-only: writes are not allowed");
  std::shared_lock<std::shared_timed_mutex> guard;
  MDB_txn* txn = begin(0, guard);
  return WriteTxn(this, txn, std::move(guard), false);
}

void Env::openTables() {
  const bool ro = options_.read_only;
  std::shared_lock<std::shared_timed_mutex> guard;
  MDB_txn* txn = begin(ro ? MDB_RDONLY : 0, guard);
  for (unsigned i = 0; i < kTableCount; ++i) {
    const std::string name(kTableNames[i]);
    int rc = mdb_dbi_open(txn, name.c_str(), ro ? 0u : unsigned{MDB_CREATE}, &dbis_[i]);
    if (rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      if (rc == MDB_NOTFOUND)
        throw StoreError(StoreError::Code::NotFound,
                         "state at " + options_.dir.string() + " has no table '" + name +
                             "' (not initialised by ispboxd yet, or from an older ispbox)");
      check(rc, "open table " + name);
    }
  }
  // Commit (not abort) so the table handles outlive this transaction.
  check(mdb_txn_commit(txn), "open tables");
  if (ro) {
    ReadTxn r = read();
    schema_version_ = readU32(r, kSchemaKey);
    const uint32_t min_reader = readU32(r, kMinReaderKey);
    if (min_reader > kSchemaVersion)
      throw StoreError(StoreError::Code::SchemaTooNew,
                       "state schema " + std::to_string(schema_version_) + " needs a reader of " +
                           "schema >= " + std::to_string(min_reader) + "; this build reads " +
                           std::to_string(kSchemaVersion) + ": upgrade ispbox");
  } else {
    migrate();
  }
}

// A step takes the state from version `to - 1` to `to`. Steps run in one write transaction at
// open, so a crash mid-migration leaves the old version intact.
namespace {
struct Migration {
  uint32_t to;
  void (*apply)(WriteTxn&);
};
// Steps only convert data: openTables() has already created any table a version adds.
void indexAuditByKey(WriteTxn& txn) {
  Cursor cur(txn, Table::Audit);
  for (bool ok = cur.first(); ok; ok = cur.next())
    indexAuditEntry(txn, decodeSeq(cur.key()), decode<pb::AuditEntry>(cur.value(), "audit"));
}

constexpr Migration kMigrations[] = {
    {1, [](WriteTxn&) {}}, // the first layout
    {2, [](WriteTxn&) {}}, // AAA tables (sessions, usage, post-auth log, pools, leases): additive
    // Additive: vouchers, RouterOS interface groups and their rate history, OLT monitoring, and
    // the audit log indexed by record for per-subscriber histories (filled from the existing log).
    {3, indexAuditByKey},
    // Additive: NAS reachability; OLTs get their SNMP number (store/olt.h numberOlts).
    {4, numberOlts},
};
} // namespace

void Env::migrate() {
  WriteTxn txn = write();
  const uint32_t current = readU32(txn, kSchemaKey);
  const uint32_t min_reader = readU32(txn, kMinReaderKey);
  if (min_reader > kSchemaVersion || current > kSchemaVersion) {
    // A newer build wrote this state. Open it only if it says builds like us may still read and
    // write it; never downgrade the stamp.
    if (min_reader > kSchemaVersion)
      throw StoreError(StoreError::Code::SchemaTooNew,
                       "state schema " + std::to_string(current) + " needs schema >= " +
                           std::to_string(min_reader) + "; this build is schema " +
                           std::to_string(kSchemaVersion) + ": upgrade ispbox");
    schema_version_ = current;
    return; // abort: nothing to write
  }
  for (const Migration& m : kMigrations) {
    if (m.to > current) m.apply(txn);
  }
  if (current != kSchemaVersion || min_reader != kMinReaderVersion) {
    txn.put(Table::Meta, kSchemaKey, encodeSeq(kSchemaVersion));
    txn.put(Table::Meta, kMinReaderKey, encodeSeq(kMinReaderVersion));
    txn.commit();
  }
  schema_version_ = kSchemaVersion;
}

} // namespace ispbox::store
