// SPDX-License-Identifier: GPL-2.0-or-later
// The LMDB environment every ispbox process opens: one directory, named sub-databases, a schema
// version with migrations, and transactions as RAII objects.
//
// Several processes open the same environment at once (ispboxd and the RADIUS module write, the
// SNMP subagent reads). LMDB gives each reader a consistent snapshot and serialises writers with a
// process-shared robust mutex, so a writer killed mid-transaction leaves nothing behind: its
// transaction simply never happened. A commit returns only after fsync (durable).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <lmdb.h>

namespace ispbox::store {

// Every sub-database. The names are part of the on-disk format.
enum class Table : unsigned {
  Meta,              // schema version, counters
  Plans,             // plan name -> pb::Plan
  Subscribers,       // username -> pb::Subscriber
  SubscribersByPlan, // plan name \0 username -> "" (index)
  SubscribersByIp,   // static IP -> username (unique index)
  Nas,               // NAS name -> pb::Nas
  NasByIp,           // NAS IP -> NAS name (unique index)
  Tokens,            // sha256(token) hex -> pb::ApiToken
  Audit,             // big-endian seq -> pb::AuditEntry
  Changes,           // big-endian seq -> pb::Change
  // Schema 2: AAA state.
  Sessions,       // nas ip \0 Acct-Session-Id -> pb::Session (live sessions only)
  SessionsByUser, // username \0 session key -> "" (index)
  SessionHistory, // big-endian seq -> pb::Session (closed sessions, bounded)
  Usage,          // username \0 "d" YYYYMMDD | "m" YYYYMM -> pb::Usage
  PostAuthLog,    // big-endian seq -> pb::PostAuth (bounded)
  Pools,          // pool name -> pb::Pool
  Leases,         // pool \0 4-byte IPv4 -> pb::Lease
  LeasesByUser,   // username \0 pool -> IPv4 text (sticky address)
  // Schema 3: enforcement (CoA) and vouchers.
  AuditByKey,      // entity \0 key \0 big-endian seq -> "" (index: one record's history)
  Vouchers,        // code -> pb::Voucher
  VoucherBatches,  // big-endian batch id -> pb::VoucherBatch
  VouchersByBatch, // big-endian batch id \0 code -> "" (index)
  // Schema 3: RouterOS (interface groups and their sampled rates).
  RosInterfaceGroups,  // group name -> pb::InterfaceGroup
  RosInterfaceSamples, // group name \0 big-endian Unix ms -> pb::RateSample (bounded per group)
  // Schema 3: OLT monitoring (store/olt.h has the key layouts).
  Olts,             // OLT id -> pb::Olt
  OltStatus,        // OLT id -> pb::OltStatus
  PonPorts,         // OLT id \0 slot port (1 byte each) -> pb::PonPort
  Onus,             // OLT id \0 slot port onu -> pb::Onu
  OnusBySerial,     // serial -> ONU key (index)
  UnconfiguredOnus, // OLT id \0 slot port \0 serial -> pb::UnconfiguredOnu
  OnuHistory,       // ONU key + 8-byte big-endian time -> pb::OnuSample
  OnuEvents,        // ONU key + 8-byte big-endian time -> pb::OnuEvent
  OnuLinks,         // username -> ONU key (a subscriber's ONU)
  // Schema 4: NAS reachability (ispboxd's probe).
  NasStatus, // NAS name -> pb::NasStatus
  Count_
};
constexpr unsigned kTableCount = static_cast<unsigned>(Table::Count_);
std::string_view tableName(Table t);

class StoreError : public std::runtime_error {
public:
  enum class Code {
    NotFound,     // the environment does not exist (read-only open)
    MapFull,      // the map size is exhausted: raise state.map_size_mb
    SchemaTooNew, // written by a newer ispbox this build cannot safely use
    Corrupt,      // a record or the environment failed to decode
    Conflict,     // a uniqueness rule would be broken
    Io,           // any other LMDB or file-system failure
  };
  StoreError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Code code() const { return code_; }

private:
  Code code_;
};

struct EnvOptions {
  std::filesystem::path dir;
  size_t map_size_bytes = size_t{4} << 30; // sparse: costs nothing until used
  bool read_only = false;
  unsigned max_readers = 512; // FreeRADIUS threads + API workers + subagent
  // Number of change-log entries kept for readers that follow the change sequence.
  uint64_t change_log_keep = 200000;
  // A finished read transaction keeps its snapshot while it is the newest: the next read() takes
  // it as it is, without renewing it and without LMDB looking each table up again (together a
  // fifth of an Access-Request's store work). It reads exactly what a new one would. A held
  // snapshot keeps writers from reusing the pages freed after it, so the owner must call
  // releaseIdleSnapshots() every so often; read() releases the stale ones it meets.
  bool keep_idle_snapshots = false;
};

class Env;

// A read snapshot. Cheap to create (a finished one is kept for the next, which only renews it, or
// with keep_idle_snapshots takes it as it is: no allocation, no reader-table lock); keep it short
// so old pages can be reused.
class ReadTxn {
public:
  ReadTxn(ReadTxn&& other) noexcept;
  ReadTxn& operator=(ReadTxn&&) = delete;
  ReadTxn(const ReadTxn&) = delete;
  virtual ~ReadTxn();

  // The value at key, pointing into the map: valid until the transaction ends.
  std::optional<std::string_view> get(Table table, std::string_view key) const;
  // Number of records in a table.
  uint64_t count(Table table) const;
  MDB_txn* raw() const { return txn_; }
  const Env& env() const { return *env_; }
  // Of a read-only transaction: the id of the committed transaction it shows; two read-only
  // transactions of one Env with the same id read the same data. (A write transaction's id is
  // the one it would commit under, which an aborted one leaves to the next writer.)
  uint64_t snapshotId() const noexcept;
  bool readOnly() const noexcept { return read_only_; }

protected:
  ReadTxn(const Env* env, MDB_txn* txn, std::shared_lock<std::shared_timed_mutex> guard,
          bool read_only)
      : env_(env), txn_(txn), read_only_(read_only), resize_guard_(std::move(guard)) {}
  const Env* env_;
  MDB_txn* txn_;
  bool read_only_; // a read-only transaction goes back to the Env's idle readers when done
  // Held for the transaction's life: the map may only be resized while none is open.
  std::shared_lock<std::shared_timed_mutex> resize_guard_;
  friend class Env;
};

// The one writer. Nothing is visible to others, or durable, until commit() returns.
class WriteTxn : public ReadTxn {
public:
  WriteTxn(WriteTxn&& other) noexcept : ReadTxn(std::move(other)) {}
  ~WriteTxn() override = default; // an uncommitted transaction is aborted by ~ReadTxn

  void put(Table table, std::string_view key, std::string_view value);
  // Fails with StoreError::Conflict when the key exists.
  void insert(Table table, std::string_view key, std::string_view value);
  bool erase(Table table, std::string_view key);
  // put() for a key greater than every key in the table (a log's next sequence number): LMDB
  // adds it at the end without searching.
  void append(Table table, std::string_view key, std::string_view value);
  // Next value of a named counter kept in Meta (starts at 1); with n > 1, reserves n values and
  // returns the first.
  uint64_t nextSequence(std::string_view counter, uint64_t n = 1);
  void commit();

private:
  using ReadTxn::ReadTxn;
  friend class Env;
};

// Iterates a table in key order, starting at the first key strictly greater than `after` (or the
// first key when after is empty).
class Cursor {
public:
  Cursor(const ReadTxn& txn, Table table);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  bool seekAfter(std::string_view after);
  bool seek(std::string_view key); // first key >= key
  bool first();
  bool last();
  bool next();
  bool prev();
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }

private:
  bool move(MDB_cursor_op op);
  MDB_cursor* cursor_ = nullptr;
  std::string_view key_, value_;
};

// Read-modify-write of records of one table through one cursor, with one B-tree search each:
// put() replaces the record where find() left the cursor, without a second search, and a key on
// the page the cursor is already on is found without searching from the root, on a page already
// copied by this transaction. Writes to other tables in between are fine.
class WriteCursor {
public:
  WriteCursor(WriteTxn& txn, Table table);
  ~WriteCursor();
  WriteCursor(const WriteCursor&) = delete;
  WriteCursor& operator=(const WriteCursor&) = delete;
  // The value at key (valid until the next write), or nullopt. key must stay valid until put().
  std::optional<std::string_view> find(std::string_view key);
  // Stores value under the key last given to find(): in place when it was found.
  void put(std::string_view value);
  std::string_view key() const { return key_; }

private:
  MDB_cursor* cursor_ = nullptr;
  std::string_view key_;
  bool found_ = false;
};

class Env {
public:
  // The schema this build writes, and the oldest schema whose readers can still use what it
  // writes (stored beside the version, so an older build knows whether it may open the state).
  static constexpr uint32_t kSchemaVersion = 4;
  static constexpr uint32_t kMinReaderVersion = 1;

  // Opens (and for writers creates and migrates) the environment. Throws StoreError.
  static std::unique_ptr<Env> open(const EnvOptions& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  ReadTxn read() const;
  WriteTxn write();

  uint32_t schemaVersion() const { return schema_version_; }
  const EnvOptions& options() const { return options_; }
  MDB_dbi dbi(Table t) const { return dbis_[static_cast<unsigned>(t)]; }
  // Drops reader slots left by processes that died without closing; returns how many.
  int clearStaleReaders();
  // Resets the finished read transactions that still hold a snapshot (keep_idle_snapshots).
  void releaseIdleSnapshots() const;
  // The id of the newest committed transaction, by any process.
  uint64_t lastCommitted() const noexcept;
  // Unique to this Env among all opened in the process (an address may be reused): with
  // ReadTxn::snapshotId, it names what a snapshot holds.
  uint64_t instanceId() const noexcept { return instance_id_; }

private:
  explicit Env(const EnvOptions& options);
  void openTables();
  void migrate();
  MDB_txn* begin(unsigned flags, std::shared_lock<std::shared_timed_mutex>& guard) const;
  // Finished read-only transactions. Each holds a reader slot; a reset one holds no snapshot.
  struct IdleReader {
    MDB_txn* txn;
    uint64_t snapshot; // the snapshot it still holds, or 0: reset
  };
  // Sets *current when the reader still holds the newest snapshot; otherwise it comes reset.
  MDB_txn* takeIdleReader(bool* current) const;
  void putIdleReader(MDB_txn* txn) const;
  friend class ReadTxn;

  EnvOptions options_;
  const uint64_t instance_id_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbis_[kTableCount] = {};
  uint32_t schema_version_ = 0;
  mutable std::shared_timed_mutex resize_mutex_;
  mutable std::mutex idle_mutex_;
  mutable std::vector<IdleReader> idle_readers_;
};

// Throws StoreError for a non-zero LMDB return code, naming what was being done.
void check(int rc, std::string_view what);

// "a\0b": a composite key whose first part sorts (and prefix-scans) before the second.
std::string joinKey(std::string_view a, std::string_view b);

// Big-endian encoding so numeric keys sort in numeric order.
std::string encodeSeq(uint64_t seq);
uint64_t decodeSeq(std::string_view key);

} // namespace ispbox::store
