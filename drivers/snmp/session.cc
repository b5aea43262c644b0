// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "drivers/snmp/snmp.h"

// Net-SNMP's headers: net-snmp-config.h first, as the library requires.
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// Net-SNMP spells a GETBULK's fields as macros over errstat/errindex; they would rename ours.
#undef non_repeaters
#undef max_repetitions

#include "common/log.h"

namespace ispbox::snmp {

// ---- OIDs and values ----

std::optional<Oid> parseOid(std::string_view text) {
  Oid out;
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  while (!text.empty()) {
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p == text.data()) return std::nullopt;
    out.push_back(v);
    text.remove_prefix(static_cast<size_t>(p - text.data()));
    if (text.empty()) break;
    if (text.front() != '.' || text.size() == 1) return std::nullopt;
    text.remove_prefix(1);
  }
  if (out.size() > 128) return std::nullopt; // SNMP's limit on sub-identifiers
  return out;
}

std::string oidText(const Oid& oid) {
  std::string s;
  for (size_t i = 0; i < oid.size(); ++i) {
    if (i) s += '.';
    s += std::to_string(oid[i]);
  }
  return s;
}

bool startsWith(const Oid& oid, const Oid& prefix) {
  return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

Oid concat(const Oid& a, const Oid& b) {
  Oid out(a);
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Oid suffix(const Oid& oid, size_t from) {
  return from >= oid.size() ? Oid{} : Oid(oid.begin() + static_cast<long>(from), oid.end());
}

std::optional<int64_t> Value::asInt() const {
  switch (type) {
  case Type::Integer:
    return i;
  case Type::Unsigned:
  case Type::Counter64:
    return static_cast<int64_t>(u);
  case Type::String:
    if (auto v = asU64()) return static_cast<int64_t>(*v);
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

std::optional<uint64_t> Value::asU64() const {
  switch (type) {
  case Type::Integer:
    if (i < 0) return std::nullopt;
    return static_cast<uint64_t>(i);
  case Type::Unsigned:
  case Type::Counter64:
    return u;
  case Type::String: {
    // Some ZTE counters come as 8-byte big-endian OCTET STRINGs.
    if (s.size() != 8) return std::nullopt;
    uint64_t v = 0;
    for (unsigned char c : s)
      v = (v << 8) | c;
    return v;
  }
  default:
    return std::nullopt;
  }
}

unsigned Value::counterBits() const {
  if (type == Type::Counter64) return 64;
  if (type == Type::String && s.size() == 8) return 64;
  if (type == Type::Unsigned && asn_type == ASN_COUNTER) return 32;
  return 0;
}

std::string_view errorCodeName(Error::Code code) {
  switch (code) {
  case Error::Code::Timeout:
    return "timeout";
  case Error::Code::Send:
    return "send_failed";
  case Error::Code::Security:
    return "security";
  case Error::Code::Agent:
    return "agent_error";
  case Error::Code::Protocol:
    return "protocol";
  case Error::Code::Closed:
    return "closed";
  case Error::Code::Config:
    return "config";
  }
  return "unknown";
}

namespace {

Value fromNetsnmp(const netsnmp_variable_list* v) {
  Value out;
  out.asn_type = v->type;
  switch (v->type) {
  case ASN_INTEGER:
    out.type = Value::Type::Integer;
    out.i = *v->val.integer;
    break;
  case ASN_COUNTER:
  case ASN_GAUGE:
  case ASN_TIMETICKS:
  case ASN_UINTEGER:
    out.type = Value::Type::Unsigned;
    out.u = static_cast<uint64_t>(*v->val.integer) & 0xffffffffu;
    break;
  case ASN_COUNTER64:
    out.type = Value::Type::Counter64;
    out.u = (static_cast<uint64_t>(v->val.counter64->high) << 32) |
            (static_cast<uint64_t>(v->val.counter64->low) & 0xffffffffu);
    break;
  case ASN_OCTET_STR:
  case ASN_OPAQUE:
  case ASN_BIT_STR:
    out.type = Value::Type::String;
    out.s.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
    break;
  case ASN_OBJECT_ID:
    out.type = Value::Type::ObjectId;
    for (size_t k = 0; k < v->val_len / sizeof(oid); ++k)
      out.o.push_back(static_cast<uint32_t>(v->val.objid[k]));
    break;
  case ASN_IPADDRESS: {
    out.type = Value::Type::IpAddress;
    char buf[INET_ADDRSTRLEN] = {};
    if (v->val_len == 4) inet_ntop(AF_INET, v->val.string, buf, sizeof buf);
    out.s = buf;
    break;
  }
  case SNMP_NOSUCHOBJECT:
    out.type = Value::Type::NoSuchObject;
    break;
  case SNMP_NOSUCHINSTANCE:
    out.type = Value::Type::NoSuchInstance;
    break;
  case SNMP_ENDOFMIBVIEW:
    out.type = Value::Type::EndOfMib;
    break;
  default:
    out.type = Value::Type::Null;
    break;
  }
  return out;
}

std::vector<VarBind> bindsOf(const netsnmp_pdu* pdu) {
  std::vector<VarBind> out;
  for (auto* v = pdu->variables; v; v = v->next_variable) {
    VarBind b;
    b.oid.reserve(v->name_length);
    for (size_t k = 0; k < v->name_length; ++k)
      b.oid.push_back(static_cast<uint32_t>(v->name[k]));
    b.value = fromNetsnmp(v);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<oid> toNetsnmp(const Oid& o) {
  return std::vector<oid>(o.begin(), o.end());
}

struct Proto {
  const char* name;
  const oid* id;
  size_t len;
};

std::optional<Proto> authProto(std::string_view name) {
  static const Proto kProtos[] = {
      {"MD5", usmHMACMD5AuthProtocol, 10},          {"SHA", usmHMACSHA1AuthProtocol, 10},
      {"SHA224", usmHMAC128SHA224AuthProtocol, 10}, {"SHA256", usmHMAC192SHA256AuthProtocol, 10},
      {"SHA384", usmHMAC256SHA384AuthProtocol, 10}, {"SHA512", usmHMAC384SHA512AuthProtocol, 10},
  };
  for (const auto& p : kProtos)
    if (name == p.name) return p;
  return std::nullopt;
}

std::optional<Proto> privProto(std::string_view name) {
  static const Proto kProtos[] = {
      {"AES", usmAESPrivProtocol, 10},
      {"DES", usmDESPrivProtocol, 10},
  };
  for (const auto& p : kProtos)
    if (name == p.name) return p;
  return std::nullopt;
}

std::once_flag g_init;

void initLibrary() {
  std::call_once(g_init, [] {
    // A daemon's library: no snmp.conf, no persistent files, no MIB parsing (we use numeric
    // OIDs), 16-bit request ids (older ZTE C300 agents reject larger ones, olt-oids.md §1).
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_16BIT_IDS, 1);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIBDIRS, "");
    // No MIB modules either (the compiled-in list would be searched for and reported missing).
    if (!std::getenv("MIBS")) setenv("MIBS", "", 0);
    init_snmp("ispbox");
  });
}

extern "C" int cCallback(int op, netsnmp_session* sess, int reqid, netsnmp_pdu* pdu, void* magic);

} // namespace

int sessionCallback(int op, void* /*session*/, int reqid, void* pdu, void* magic) {
  static_cast<Session*>(magic)->onResponse(op, reqid, pdu);
  return 1; // the request is finished as far as Net-SNMP is concerned
}

namespace {
extern "C" int cCallback(int op, netsnmp_session* sess, int reqid, netsnmp_pdu* pdu, void* magic) {
  return sessionCallback(op, sess, reqid, pdu, magic);
}
} // namespace

// ---- Engine ----

Engine::Engine(asio::io_context& io) : io_(io), strand_(asio::make_strand(io)) {
  initLibrary();
}

Engine::~Engine() = default;

// ---- Session ----

struct Session::Pending {
  int command = 0; // SNMP_MSG_GET, GETBULK, SET
  std::vector<Oid> oids;
  std::vector<VarBind> binds; // SET
  unsigned non_repeaters = 0;
  unsigned max_repetitions = 0;
  VarBindsHandler handler;
  unsigned attempt = 0;
  bool probe = false; // SNMPv3 engine-ID discovery
};

struct Session::WalkState {
  std::vector<Oid> columns;
  Oid prefix_index;
  std::vector<Oid> last;
  std::vector<bool> done;
  std::vector<Column> out;
  unsigned max_repetitions = 0; // lowered after tooBig
  uint32_t requests = 0;
  WalkHandler handler;
};

std::shared_ptr<Session> Session::create(Engine& engine, SessionOptions options) {
  return std::shared_ptr<Session>(new Session(engine, std::move(options)));
}

Session::Session(Engine& engine, SessionOptions options)
    : engine_(engine), options_(std::move(options)), timer_(engine.strand()) {
  if (options_.max_inflight == 0) options_.max_inflight = 1;
  if (options_.max_varbinds == 0) options_.max_varbinds = 1;
  if (options_.max_repetitions == 0) options_.max_repetitions = 1; // never 0 (ZTE C300 hangs)
  if (options_.credentials.version == 3) v3_ = V3State::Unknown;
}

Session::~Session() {
  // Handlers hold shared_ptrs, so by now nothing of ours is pending on the loop; the handle
  // is closed here if close() never ran.
  if (socket_) {
    socket_->release();
    socket_.reset();
  }
  if (handle_) snmp_sess_close(handle_);
}

void Session::close() {
  asio::dispatch(engine_.strand(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->closed_ = true;
    self->failAll(Error{Error::Code::Closed, "session closed", 0, 0});
    self->timer_.cancel();
    if (self->socket_) {
      self->socket_->release(); // the socket belongs to Net-SNMP, which closes it
      self->socket_.reset();
    }
    if (self->handle_) {
      snmp_sess_close(self->handle_);
      self->handle_ = nullptr;
    }
  });
}

void Session::get(std::vector<Oid> oids, VarBindsHandler handler) {
  auto p = std::make_shared<Pending>();
  p->command = SNMP_MSG_GET;
  p->oids = std::move(oids);
  p->handler = std::move(handler);
  asio::dispatch(engine_.strand(), [self = shared_from_this(), p] { self->start(p); });
}

void Session::getBulk(std::vector<Oid> oids, unsigned non_repeaters, unsigned max_repetitions,
                      VarBindsHandler handler) {
  auto p = std::make_shared<Pending>();
  p->command = SNMP_MSG_GETBULK;
  p->oids = std::move(oids);
  p->non_repeaters = non_repeaters;
  p->max_repetitions = std::max(1u, max_repetitions);
  p->handler = std::move(handler);
  asio::dispatch(engine_.strand(), [self = shared_from_this(), p] { self->start(p); });
}

void Session::set(std::vector<VarBind> binds, VarBindsHandler handler) {
  auto p = std::make_shared<Pending>();
  p->command = SNMP_MSG_SET;
  p->binds = std::move(binds);
  p->handler = std::move(handler);
  asio::dispatch(engine_.strand(), [self = shared_from_this(), p] { self->start(p); });
}

void Session::start(std::shared_ptr<Pending> p) {
  if (closed_) {
    p->handler({Error{Error::Code::Closed, "session closed", 0, 0}, {}});
    return;
  }
  if (options_.credentials.version == 1 && p->command == SNMP_MSG_GETBULK) {
    p->handler({Error{Error::Code::Config, "GETBULK needs SNMP v2c or v3", 0, 0}, {}});
    return;
  }
  queue_.push_back(std::move(p));
  pump();
}

bool Session::ensureOpen(std::string* why) {
  if (handle_) return true;
  const auto& c = options_.credentials;
  netsnmp_session s;
  snmp_sess_init(&s);
  std::string addr = options_.address;
  const bool v6 = addr.find(':') != std::string::npos;
  std::string peer =
      (v6 ? "udp6:[" + addr + "]" : "udp:" + addr) + ":" + std::to_string(options_.port);
  s.peername = peer.data();
  s.timeout = static_cast<long>(options_.timeout.count()) * 1000;
  s.retries = 0; // resends are ours, with backoff
  s.flags |= SNMP_FLAGS_DONT_PROBE;
  std::string community = c.community, user = c.user, context = c.context;
  if (c.version == 3) {
    s.version = SNMP_VERSION_3;
    s.securityName = user.data();
    s.securityNameLen = user.size();
    s.securityModel = SNMP_SEC_MODEL_USM;
    s.contextName = context.data();
    s.contextNameLen = context.size();
    s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
    if (!c.auth_password.empty()) {
      auto ap = authProto(c.auth_protocol);
      if (!ap) {
        *why = "unknown auth protocol " + c.auth_protocol;
        return false;
      }
      s.securityAuthProto = const_cast<oid*>(ap->id);
      s.securityAuthProtoLen = ap->len;
      s.securityAuthKeyLen = USM_AUTH_KU_LEN;
      if (generate_Ku(s.securityAuthProto, static_cast<u_int>(s.securityAuthProtoLen),
                      reinterpret_cast<const u_char*>(c.auth_password.data()),
                      c.auth_password.size(), s.securityAuthKey,
                      &s.securityAuthKeyLen) != SNMPERR_SUCCESS) {
        *why = "cannot derive the auth key (password too short?)";
        return false;
      }
      s.securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
      if (!c.priv_password.empty()) {
        auto pp = privProto(c.priv_protocol);
        if (!pp) {
          *why = "unknown priv protocol " + c.priv_protocol;
          return false;
        }
        s.securityPrivProto = const_cast<oid*>(pp->id);
        s.securityPrivProtoLen = pp->len;
        s.securityPrivKeyLen = USM_PRIV_KU_LEN;
        if (generate_Ku(s.securityAuthProto, static_cast<u_int>(s.securityAuthProtoLen),
                        reinterpret_cast<const u_char*>(c.priv_password.data()),
                        c.priv_password.size(), s.securityPrivKey,
                        &s.securityPrivKeyLen) != SNMPERR_SUCCESS) {
          *why = "cannot derive the privacy key (password too short?)";
          return false;
        }
        s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
      }
    }
  } else {
    s.version = c.version == 1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
    s.community = reinterpret_cast<u_char*>(community.data());
    s.community_len = community.size();
  }
  // With DONT_PROBE set this only opens the UDP socket: no network round trip.
  handle_ = snmp_sess_open(&s);
  if (!handle_) {
    int liberr = 0, syserr = 0;
    char* msg = nullptr;
    snmp_error(&s, &liberr, &syserr, &msg);
    *why = std::string("cannot open SNMP session to ") + peer + ": " + (msg ? msg : "?");
    free(msg);
    return false;
  }
  // snmp_sess_open() clears DONT_PROBE once open; keep it so a send never probes synchronously.
  snmp_sess_session(handle_)->flags |= SNMP_FLAGS_DONT_PROBE;
  netsnmp_transport* t = snmp_sess_transport(handle_);
  socket_ = std::make_unique<asio::posix::stream_descriptor>(engine_.strand(), t->sock);
  armReader();
  return true;
}

void Session::pump() {
  if (closed_) return;
  if (!queue_.empty()) {
    std::string why;
    if (!ensureOpen(&why)) {
      failAll(Error{Error::Code::Config, why, 0, 0});
      return;
    }
  }
  if (v3_ == V3State::Unknown && !queue_.empty()) {
    discover();
    return;
  }
  if (v3_ == V3State::Discovering) return;
  while (!queue_.empty() && inflight_.size() < options_.max_inflight) {
    auto p = queue_.front();
    queue_.pop_front();
    send(p);
  }
  armTimer();
}

// SNMPv3 engine-ID discovery (RFC 3414 §4) as an ordinary asynchronous request: a GET with no
// user and no varbinds, which the agent answers with a usmStatsUnknownEngineIDs report carrying
// its engine ID. Net-SNMP's own probe (inside snmp_sess_open) would block the loop.
void Session::discover() {
  v3_ = V3State::Discovering;
  // Net-SNMP processes the probe's answer under the empty user; make sure it exists.
  if (!usm_get_user(nullptr, 0, const_cast<char*>(""))) {
    auto* u = static_cast<struct usmUser*>(calloc(1, sizeof(struct usmUser)));
    u->name = strdup("");
    u->secName = strdup("");
    u->authProtocolLen = 10;
    u->authProtocol = snmp_duplicate_objid(usmNoAuthProtocol, 10);
    u->privProtocolLen = 10;
    u->privProtocol = snmp_duplicate_objid(usmNoPrivProtocol, 10);
    usm_add_user(u);
  }
  auto p = std::make_shared<Pending>();
  p->command = SNMP_MSG_GET;
  p->probe = true;
  p->handler = [](Result<std::vector<VarBind>>) {};
  send(p);
  armTimer();
}

void Session::send(const std::shared_ptr<Pending>& p) {
  netsnmp_pdu* pdu = snmp_pdu_create(p->command);
  if (p->probe) {
    pdu->version = SNMP_VERSION_3;
    pdu->securityName = strdup("");
    pdu->securityNameLen = 0;
    pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
    pdu->securityModel = SNMP_SEC_MODEL_USM;
  }
  if (p->command == SNMP_MSG_GETBULK) {
    pdu->errstat = static_cast<long>(p->non_repeaters);
    pdu->errindex = static_cast<long>(p->max_repetitions);
  }
  for (const auto& o : p->oids) {
    auto n = toNetsnmp(o);
    snmp_add_null_var(pdu, n.data(), n.size());
  }
  for (const auto& b : p->binds) {
    auto n = toNetsnmp(b.oid);
    const Value& v = b.value;
    switch (v.type) {
    case Value::Type::Integer: {
      long x = static_cast<long>(v.i);
      snmp_pdu_add_variable(pdu, n.data(), n.size(), ASN_INTEGER, &x, sizeof x);
      break;
    }
    case Value::Type::Unsigned: {
      long x = static_cast<long>(v.u);
      snmp_pdu_add_variable(pdu, n.data(), n.size(), v.asn_type ? v.asn_type : ASN_GAUGE, &x,
                            sizeof x);
      break;
    }
    default:
      snmp_pdu_add_variable(pdu, n.data(), n.size(), ASN_OCTET_STR, v.s.data(), v.s.size());
      break;
    }
  }
  // Backoff: each resend waits twice as long as the one before.
  netsnmp_session* ss = snmp_sess_session(handle_);
  ss->timeout = static_cast<long>(options_.timeout.count()) * 1000L << std::min(p->attempt, 6u);
  const int reqid = snmp_sess_async_send(handle_, pdu, cCallback, this);
  ++counters_.pdus_sent;
  ++engine_.mutableCounters().pdus_sent;
  if (reqid == 0) {
    int liberr = 0, syserr = 0;
    char* msg = nullptr;
    snmp_sess_error(handle_, &liberr, &syserr, &msg);
    std::string why = msg ? msg : "send failed";
    free(msg);
    snmp_free_pdu(pdu);
    finish(p, {Error{Error::Code::Send, why, 0, 0}, {}});
    return;
  }
  inflight_[reqid] = p;
  counters_.peak_inflight = std::max<uint64_t>(counters_.peak_inflight, inflight_.size());
  auto& engine_peak = engine_.mutableCounters().peak_inflight;
  engine_peak = std::max<uint64_t>(engine_peak, inflight_.size());
}

void Session::onResponse(int op, int reqid, void* raw) {
  auto it = inflight_.find(reqid);
  if (it == inflight_.end()) return; // a second callback for a finished request (reports)
  auto p = it->second;
  inflight_.erase(it);
  auto* pdu = static_cast<netsnmp_pdu*>(raw);
  ++counters_.responses;
  if (p->probe) {
    netsnmp_session* ss = snmp_sess_session(handle_);
    if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
      ++counters_.timeouts;
      ++engine_.mutableCounters().timeouts;
      if (p->attempt < options_.retries) {
        ++p->attempt;
        ++counters_.resends;
        send(p);
        return;
      }
      v3_ = V3State::Unknown; // try again with the next request: the agent may come back
      failAll(Error{Error::Code::Timeout, "no answer to SNMPv3 engine-ID discovery", 0, 0});
      return;
    }
    if (pdu && pdu->securityEngineIDLen > 0 && ss->securityEngineIDLen == 0) {
      ss->securityEngineID =
          static_cast<u_char*>(netsnmp_memdup(pdu->securityEngineID, pdu->securityEngineIDLen));
      ss->securityEngineIDLen = pdu->securityEngineIDLen;
      if (ss->contextEngineIDLen == 0) {
        ss->contextEngineID =
            static_cast<u_char*>(netsnmp_memdup(pdu->securityEngineID, pdu->securityEngineIDLen));
        ss->contextEngineIDLen = pdu->securityEngineIDLen;
      }
    }
    // The USM user list is global: a user left by an earlier session to the same engine (with
    // the old password, say) would be reused as is. This session's keys replace it.
    ss->flags &= ~SNMP_FLAGS_USER_CREATED;
    if (ss->securityEngineIDLen > 0) {
      if (auto* old =
              usm_get_user(ss->securityEngineID, ss->securityEngineIDLen, ss->securityName)) {
        usm_remove_user(old);
        usm_free_user(old);
      }
    }
    if (ss->securityEngineIDLen == 0 || usm_create_user_from_session(ss) != SNMPERR_SUCCESS) {
      v3_ = V3State::Unknown;
      failAll(Error{Error::Code::Security, "SNMPv3 engine-ID discovery failed", 0, 0});
      return;
    }
    v3_ = V3State::Ready;
    pump();
    return;
  }
  switch (op) {
  case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE: {
    if (pdu->command == SNMP_MSG_REPORT) {
      finish(p, {Error{Error::Code::Security, "SNMPv3 report from the agent", 0, 0}, {}});
      break;
    }
    if (pdu->errstat != SNMP_ERR_NOERROR) {
      finish(p, {Error{Error::Code::Agent, snmp_errstring(static_cast<int>(pdu->errstat)),
                       pdu->errstat, static_cast<int>(pdu->errindex)},
                 bindsOf(pdu)});
      break;
    }
    finish(p, {std::nullopt, bindsOf(pdu)});
    break;
  }
  case NETSNMP_CALLBACK_OP_TIMED_OUT:
    ++counters_.timeouts;
    ++engine_.mutableCounters().timeouts;
    if (p->attempt < options_.retries) {
      ++p->attempt;
      ++counters_.resends;
      ++engine_.mutableCounters().resends;
      send(p);
      return;
    }
    finish(p, {Error{Error::Code::Timeout,
                     "no answer from " + options_.address + ":" + std::to_string(options_.port) +
                         " after " + std::to_string(p->attempt + 1) + " tries",
                     0, 0},
               {}});
    break;
  case NETSNMP_CALLBACK_OP_SEC_ERROR: {
    const int type = pdu ? snmpv3_get_report_type(pdu) : 0;
    if (type == SNMPERR_UNKNOWN_ENG_ID && v3_ == V3State::Ready) {
      // The agent was replaced or reset its engine: discover again with the next request.
      netsnmp_session* ss = snmp_sess_session(handle_);
      free(ss->securityEngineID);
      ss->securityEngineID = nullptr;
      ss->securityEngineIDLen = 0;
      free(ss->contextEngineID);
      ss->contextEngineID = nullptr;
      ss->contextEngineIDLen = 0;
      v3_ = V3State::Unknown;
    }
    finish(p,
           {Error{Error::Code::Security,
                  std::string("SNMPv3: ") + snmp_api_errstring(type ? type : SNMPERR_GENERR), 0, 0},
            {}});
    break;
  }
  default:
    finish(p, {Error{Error::Code::Send, "request failed", 0, 0}, {}});
    break;
  }
  pump();
}

void Session::finish(const std::shared_ptr<Pending>& p, Result<std::vector<VarBind>> r) {
  r.requests = p->attempt + 1;
  p->handler(std::move(r));
}

void Session::failAll(const Error& e) {
  auto queued = std::move(queue_);
  queue_.clear();
  auto pending = std::move(inflight_);
  inflight_.clear();
  for (auto& p : queued)
    p->handler({e, {}});
  for (auto& [id, p] : pending)
    if (!p->probe) p->handler({e, {}});
}

void Session::armReader() {
  if (reading_ || !socket_ || closed_) return;
  reading_ = true;
  socket_->async_wait(
      asio::posix::stream_descriptor::wait_read,
      asio::bind_executor(engine_.strand(),
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            self->reading_ = false;
                            if (ec || self->closed_ || !self->handle_) return;
                            netsnmp_large_fd_set fds;
                            netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
                            netsnmp_large_fd_setfd(snmp_sess_transport(self->handle_)->sock, &fds);
                            snmp_sess_read2(self->handle_, &fds);
                            netsnmp_large_fd_set_cleanup(&fds);
                            self->armReader();
                            self->armTimer();
                          }));
}

void Session::armTimer() {
  if (closed_ || !handle_) return;
  if (inflight_.empty()) {
    timer_.cancel();
    return;
  }
  int numfds = 0, block = 1;
  timeval tv{};
  netsnmp_large_fd_set fds;
  netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
  snmp_sess_select_info2_flags(handle_, &numfds, &fds, &tv, &block, NETSNMP_SELECT_NOALARMS);
  netsnmp_large_fd_set_cleanup(&fds);
  if (block) return;
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_ || !self->handle_) return;
    snmp_sess_timeout(self->handle_);
    self->armTimer();
  });
}

// ---- table walks ----

void Session::walk(std::vector<Oid> columns, WalkHandler handler, Oid prefix_index) {
  auto w = std::make_shared<WalkState>();
  w->columns = std::move(columns);
  w->prefix_index = std::move(prefix_index);
  for (const auto& c : w->columns) {
    w->last.push_back(concat(c, w->prefix_index));
    w->out.push_back(Column{c, {}});
  }
  w->done.assign(w->columns.size(), false);
  w->handler = std::move(handler);
  w->max_repetitions = options_.max_repetitions;
  asio::dispatch(engine_.strand(), [self = shared_from_this(), w] { self->walkStep(w); });
}

void Session::walkStep(const std::shared_ptr<WalkState>& w) {
  std::vector<size_t> active;
  for (size_t i = 0; i < w->columns.size(); ++i)
    if (!w->done[i]) active.push_back(i);
  if (active.empty()) {
    Result<std::vector<Column>> done{std::nullopt, std::move(w->out)};
    done.requests = w->requests;
    w->handler(std::move(done));
    return;
  }
  std::vector<Oid> oids;
  for (size_t i : active)
    oids.push_back(w->last[i]);
  const unsigned per_row = static_cast<unsigned>(active.size());
  const unsigned reps = std::max(1u, std::min(w->max_repetitions, options_.max_varbinds / per_row));
  getBulk(std::move(oids), 0, reps,
          [self = shared_from_this(), w, active, reps](Result<std::vector<VarBind>> r) {
            w->requests += r.requests;
            if (r.error) {
              if (r.error->code == Error::Code::Agent && r.error->error_status == SNMP_ERR_TOOBIG &&
                  reps > 1) {
                w->max_repetitions = reps / 2; // answer did not fit: ask for fewer rows
                self->walkStep(w);
                return;
              }
              w->handler({r.error, {}, w->requests});
              return;
            }
            if (r.value.empty()) {
              for (size_t i : active)
                w->done[i] = true;
            }
            for (size_t k = 0; k < r.value.size(); ++k) {
              const size_t c = active[k % active.size()];
              if (w->done[c]) continue;
              VarBind& vb = r.value[k];
              const Oid scope = concat(w->columns[c], w->prefix_index);
              if (vb.value.exception() || !startsWith(vb.oid, scope)) {
                w->done[c] = true;
                continue;
              }
              if (!(w->last[c] < vb.oid)) {
                w->handler({Error{Error::Code::Protocol,
                                  "agent returned OIDs out of order at " + oidText(vb.oid), 0, 0},
                            {}});
                return;
              }
              w->last[c] = vb.oid;
              w->out[c].rows.emplace_back(suffix(vb.oid, w->columns[c].size()),
                                          std::move(vb.value));
            }
            self->walkStep(w);
          });
}

} // namespace ispbox::snmp
