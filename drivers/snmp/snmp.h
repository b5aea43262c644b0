// SPDX-License-Identifier: GPL-2.0-or-later
// Asynchronous SNMP client on the Asio loop, built on Net-SNMP's single-session API.
//
// Every Net-SNMP call runs on one strand (Engine::strand()): the library's global state (the USM
// user list, request ids, MIB tree) is not thread-safe, and the single-session API is only safe
// when a session is used from one thread at a time. Each session's UDP socket is watched by Asio
// (a stream_descriptor in wait mode), and Net-SNMP's timeouts are driven by a steady_timer, so no
// call ever blocks the loop. SNMPv3 engine-ID discovery, which snmp_sess_open() would do
// synchronously, is done here as an ordinary asynchronous request (see Session::discover()).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/asio.h"

namespace ispbox::snmp {

using Oid = std::vector<uint32_t>;

// "1.3.6.1.2.1.1.1.0" (a leading dot is accepted); nullopt when malformed.
std::optional<Oid> parseOid(std::string_view text);
std::string oidText(const Oid& oid);
bool startsWith(const Oid& oid, const Oid& prefix);
Oid concat(const Oid& a, const Oid& b);
Oid suffix(const Oid& oid, size_t from);

struct Value {
  enum class Type {
    Null,
    Integer,   // INTEGER / Integer32 (signed)
    Unsigned,  // Gauge32, Counter32, TimeTicks, Unsigned32
    Counter64, // also used for 8-byte counters some agents send as OCTET STRING (see asU64)
    String,    // OCTET STRING (raw bytes)
    ObjectId,
    IpAddress,
    NoSuchObject,
    NoSuchInstance,
    EndOfMib,
  };
  Type type = Type::Null;
  uint8_t asn_type = 0; // the wire type (ASN_COUNTER, ASN_GAUGE, ...), for counter widths
  int64_t i = 0;        // Integer
  uint64_t u = 0;       // Unsigned, Counter64
  std::string s;        // String, IpAddress (dotted)
  Oid o;                // ObjectId

  bool exception() const { return type >= Type::NoSuchObject; }
  // Numeric value when it has one (an 8-byte string is read as a big-endian counter).
  std::optional<int64_t> asInt() const;
  std::optional<uint64_t> asU64() const;
  // Width in bits of a counter value (32 or 64), 0 for non-counters.
  unsigned counterBits() const;
};

struct VarBind {
  Oid oid;
  Value value;
};

struct Error {
  enum class Code {
    Timeout,  // no answer after every retry
    Send,     // the request could not be sent
    Security, // SNMPv3: unknown user, wrong keys, not in time window after retries
    Agent,    // the agent answered with an error-status
    Protocol, // an answer that makes no sense (OIDs not increasing, ...)
    Closed,   // the session was closed with the request pending
    Config,   // bad address or credentials
  };
  Code code;
  std::string message;
  long error_status = 0; // for Agent
  int error_index = 0;
};
std::string_view errorCodeName(Error::Code code);

struct Credentials {
  int version = 2; // 1, 2 (v2c) or 3
  std::string community = "public";
  // SNMPv3 (USM). Level follows from what is set: auth pass -> authNoPriv, plus priv -> authPriv.
  std::string user;
  std::string auth_protocol = "SHA"; // MD5, SHA, SHA224, SHA256, SHA384, SHA512
  std::string auth_password;
  std::string priv_protocol = "AES"; // AES (128), DES
  std::string priv_password;
  std::string context;
};

struct SessionOptions {
  std::string address; // IPv4 or IPv6 literal
  uint16_t port = 161;
  Credentials credentials;
  std::chrono::milliseconds timeout{2000};
  unsigned retries = 2;      // resends after the first try, each waiting twice as long
  unsigned max_inflight = 4; // requests outstanding at once to this agent
  // Varbinds asked for in one GETBULK (max-repetitions x columns). Never lets max-repetitions
  // reach 0: a ZTE C300 never answers that.
  unsigned max_varbinds = 60;
  unsigned max_repetitions = 25;
};

struct Counters {
  uint64_t pdus_sent = 0; // first sends and resends
  uint64_t resends = 0;
  uint64_t timeouts = 0;
  uint64_t responses = 0;
  uint64_t peak_inflight = 0; // most requests outstanding at once (Engine: on any one session)
};

class Session;

// Owns the strand that serialises all Net-SNMP calls. One per process is enough; tests make their
// own. Must outlive its sessions.
class Engine {
public:
  explicit Engine(asio::io_context& io);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  asio::io_context& io() { return io_; }
  asio::strand<asio::io_context::executor_type>& strand() { return strand_; }
  // Totals over every session, for logs and benchmarks.
  const Counters& counters() const { return counters_; }
  Counters& mutableCounters() { return counters_; }

private:
  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  Counters counters_;
};

// One column's rows from a table walk: index suffix -> value, in agent order.
struct Column {
  Oid column;
  std::vector<std::pair<Oid, Value>> rows;
};

template <class T> struct Result {
  std::optional<Error> error;
  T value{};
  uint32_t requests = 0; // PDUs this operation sent, resends included
  bool ok() const { return !error; }
};

using VarBindsHandler = std::function<void(Result<std::vector<VarBind>>)>;
using WalkHandler = std::function<void(Result<std::vector<Column>>)>;

// One agent. Create with Session::create; all methods may be called from any thread (they post
// to the strand); handlers run on the strand. close() fails whatever is pending with Closed.
class Session : public std::enable_shared_from_this<Session> {
public:
  static std::shared_ptr<Session> create(Engine& engine, SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void get(std::vector<Oid> oids, VarBindsHandler handler);
  void getBulk(std::vector<Oid> oids, unsigned non_repeaters, unsigned max_repetitions,
               VarBindsHandler handler);
  void set(std::vector<VarBind> binds, VarBindsHandler handler);
  // Walks several columns of one table side by side with GETBULK: each request carries every
  // column still going, and max-repetitions = max_varbinds / columns (at least 1). A column ends
  // at the first OID outside it. `prefix_index` (optional) restricts the walk to rows whose index
  // starts with it (e.g. one PON port).
  void walk(std::vector<Oid> columns, WalkHandler handler, Oid prefix_index = {});
  void close();

  const SessionOptions& options() const { return options_; }
  const Counters& counters() const { return counters_; }

private:
  Session(Engine& engine, SessionOptions options);
  struct Pending;
  struct WalkState;
  friend int sessionCallback(int op, void* session, int reqid, void* pdu, void* magic);

  void start(std::shared_ptr<Pending> p); // on the strand
  void pump();                            // sends queued requests within the in-flight limit
  bool ensureOpen(std::string* why);
  void discover();
  void send(const std::shared_ptr<Pending>& p);
  void finish(const std::shared_ptr<Pending>& p, Result<std::vector<VarBind>> r);
  void onResponse(int op, int reqid, void* pdu);
  void armReader();
  void armTimer();
  void failAll(const Error& e);
  void walkStep(const std::shared_ptr<WalkState>& w);

  Engine& engine_;
  SessionOptions options_;
  void* handle_ = nullptr; // Net-SNMP single-session handle
  std::unique_ptr<asio::posix::stream_descriptor> socket_;
  asio::steady_timer timer_;
  bool reading_ = false;
  bool closed_ = false;
  enum class V3State { NotNeeded, Unknown, Discovering, Ready, Failed } v3_ = V3State::NotNeeded;
  std::optional<Error> v3_error_;
  std::deque<std::shared_ptr<Pending>> queue_;
  std::map<long, std::shared_ptr<Pending>> inflight_; // by Net-SNMP request id
  Counters counters_;
};

} // namespace ispbox::snmp
