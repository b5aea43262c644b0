// SPDX-License-Identifier: GPL-2.0-or-later
// AAA end to end through a real peer: a private FreeRADIUS 3.2 loading our rlm_isp.so on free
// loopback ports, radclient (and, for what radclient cannot send, raw UDP datagrams built here)
// as the NAS, and the LMDB store written and read directly by the test. ispboxd is never started:
// rlm_isp alone answers authorization and records accounting, leases and usage in the store.
//
// Every reply is checked attribute by attribute from what radclient printed: the policy of
// rlm_isp/core/policy.cc as a MikroTik router receives it, isolation and reject reasons, IP pool
// leases, 64-bit accounting with gigaword wraps and duplicates, simultaneous use and stale
// sessions, and a server that survives hostile datagrams.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "common/time_util.h"
#include "store/entities.h"
#include "store/env.h"
#include "store/pools.h"
#include "store/sessions.h"
#include "tests/testutil/freeradius.h"
#include "tests/testutil/temp_dir.h"

#ifndef ISPBOX_RLM_ISP_DIR
#error "ISPBOX_RLM_ISP_DIR (the directory of rlm_isp.so) must be defined by CMake"
#endif

namespace ispbox {
namespace {

namespace pb = store::pb;
using namespace std::chrono_literals;
using testutil::FreeRadius;
using testutil::RadiusReply;
using testutil::TempDir;

constexpr const char* kSecret = "aaa-nas-secret";
constexpr const char* kNasIp = "127.0.0.1"; // radclient's source address: the NAS in the store
constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t k4GiB = uint64_t{1} << 32;

int64_t now() {
  return timeutil::nowSeconds();
}

// ---- raw RADIUS (RFC 2865 / 2866 / 2869) for what radclient cannot send ----

struct RawAttr {
  uint8_t type;
  std::string value;
};

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b)
    s.push_back(static_cast<char>(c));
  return s;
}

std::string u32(uint32_t v) {
  return bytes({static_cast<int>(v >> 24), static_cast<int>((v >> 16) & 0xff),
                static_cast<int>((v >> 8) & 0xff), static_cast<int>(v & 0xff)});
}

std::string md5(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("MD5 failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmacMd5(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC-MD5 failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string encodeAttrs(const std::vector<RawAttr>& attrs) {
  std::string out;
  for (const auto& a : attrs) {
    if (a.value.size() > 253) throw std::invalid_argument("attribute value over 253 bytes");
    out.push_back(static_cast<char>(a.type));
    out.push_back(static_cast<char>(a.value.size() + 2));
    out += a.value;
  }
  return out;
}

// Code, identifier, length (of header + body), authenticator, body.
std::string packet(uint8_t code, uint8_t id, const std::string& authenticator,
                   const std::string& body) {
  const size_t len = 20 + body.size();
  return bytes({code, id, static_cast<int>(len >> 8), static_cast<int>(len & 0xff)}) +
         authenticator + body;
}

// Vendor-Specific (26) holding one vendor attribute.
RawAttr vsa(uint32_t vendor, uint8_t type, const std::string& value) {
  return {26, u32(vendor) + bytes({type, static_cast<int>(value.size() + 2)}) + value};
}

std::string randomBytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng() & 0xff);
  return s;
}

// An Access-Request: User-Password hidden with the secret (RFC 2865 5.2), optionally signed with
// Message-Authenticator (RFC 2869 5.14). *authenticator gets the Request Authenticator.
std::string accessRequest(uint8_t id, std::vector<RawAttr> attrs, const std::string& password,
                          bool message_authenticator, std::string* authenticator) {
  static std::mt19937 rng(7);
  *authenticator = randomBytes(rng, 16);
  if (!password.empty()) {
    std::string padded = password;
    padded.resize((password.size() + 15) / 16 * 16, '\0');
    std::string hidden, prev = *authenticator;
    for (size_t i = 0; i < padded.size(); i += 16) {
      const std::string b = md5(kSecret + prev);
      std::string block = padded.substr(i, 16);
      for (size_t j = 0; j < 16; ++j)
        block[j] = static_cast<char>(block[j] ^ b[j]);
      hidden += block;
      prev = block;
    }
    attrs.push_back({2, hidden});
  }
  if (message_authenticator) attrs.push_back({80, std::string(16, '\0')});
  std::string p = packet(1, id, *authenticator, encodeAttrs(attrs));
  if (message_authenticator) p.replace(p.size() - 16, 16, hmacMd5(kSecret, p));
  return p;
}

// An Accounting-Request with its Request Authenticator (RFC 2866 3) computed over `body`, which
// need not be well formed.
std::string accountingRequestRaw(uint8_t id, const std::string& body) {
  std::string p = packet(4, id, std::string(16, '\0'), body);
  p.replace(4, 16, md5(p + kSecret));
  return p;
}

std::string accountingRequest(uint8_t id, const std::vector<RawAttr>& attrs) {
  return accountingRequestRaw(id, encodeAttrs(attrs));
}

struct RawReply {
  uint8_t code = 0;
  uint8_t id = 0;
  std::vector<RawAttr> attrs;
  bool authentic = false;             // Response Authenticator verified with the secret
  bool message_authenticator = false; // carries Message-Authenticator (80)
  bool message_authenticator_ok = false;

  std::optional<std::string> attr(uint8_t type) const {
    for (const auto& a : attrs)
      if (a.type == type) return a.value;
    return std::nullopt;
  }
};

std::optional<RawReply> decodeReply(const std::string& d, const std::string& request_auth) {
  if (d.size() < 20) return std::nullopt;
  const size_t len = static_cast<uint8_t>(d[2]) * 256u + static_cast<uint8_t>(d[3]);
  if (len != d.size()) return std::nullopt;
  RawReply r;
  r.code = static_cast<uint8_t>(d[0]);
  r.id = static_cast<uint8_t>(d[1]);
  for (size_t i = 20; i < len;) {
    if (i + 2 > len) return std::nullopt;
    const size_t alen = static_cast<uint8_t>(d[i + 1]);
    if (alen < 2 || i + alen > len) return std::nullopt;
    r.attrs.push_back({static_cast<uint8_t>(d[i]), d.substr(i + 2, alen - 2)});
    if (d[i] == 80 && alen == 18) {
      r.message_authenticator = true;
      std::string zeroed = d;
      zeroed.replace(4, 16, request_auth);
      zeroed.replace(i + 2, 16, std::string(16, '\0'));
      r.message_authenticator_ok = hmacMd5(kSecret, zeroed) == d.substr(i + 2, 16);
    }
    i += alen;
  }
  std::string check = d;
  check.replace(4, 16, request_auth);
  r.authentic = md5(check + kSecret) == d.substr(4, 16);
  return r;
}

// A UDP socket on the loopback, standing in for a NAS.
class UdpPeer {
public:
  UdpPeer() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd_);
      throw std::runtime_error("bind failed");
    }
  }
  ~UdpPeer() { close(fd_); }
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;

  void send(int port, const std::string& datagram) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&a),
               sizeof a) != static_cast<ssize_t>(datagram.size()))
      throw std::runtime_error("sendto failed");
  }

  // The next datagram, or nullopt after the timeout.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[8192];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

  // Sends and waits for the reply with the same identifier.
  std::optional<RawReply> exchange(int port, const std::string& datagram,
                                   const std::string& request_auth) {
    send(port, datagram);
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto d = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!d) break;
      auto r = decodeReply(*d, request_auth);
      if (r && r->id == static_cast<uint8_t>(datagram[1])) return r;
    }
    return std::nullopt;
  }

  // Reads and throws away whatever arrives within `quiet` of the previous datagram.
  size_t drain(std::chrono::milliseconds quiet) {
    size_t n = 0;
    while (receive(quiet))
      ++n;
    return n;
  }

private:
  int fd_ = -1;
};

// ---- the shared server and store ----

class AaaFreeRadius : public ::testing::Test {
public:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    try {
      store::EnvOptions opts;
      opts.dir = dir_->path() / "state";
      env_ = store::Env::open(opts);
      write([](store::WriteTxn& txn) {
        pb::Nas nas;
        nas.set_name("test-nas");
        nas.set_ip(kNasIp);
        nas.set_secret(kSecret);
        nas.set_vendor("mikrotik");
        store::putNas(txn, nas, store::WriteMode::Create);
      });
      // reject_delay = 0: the many Access-Rejects here come back at once, not after 1 s.
      server_ = std::make_unique<FreeRadius>(dir_->path() / "state", ISPBOX_RLM_ISP_DIR,
                                             std::vector<std::string>{"ISPBOX_FR_REJECT_DELAY=0"});
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }

  static void TearDownTestSuite() {
    server_.reset(); // stops FreeRADIUS by PID
    env_.reset();
    dir_.reset();
  }

protected:
  void SetUp() override { ASSERT_TRUE(server_) << "FreeRADIUS did not start: " << start_error_; }

  template <class F> static void write(F&& f) {
    auto txn = env_->write();
    f(txn);
    txn.commit();
  }

  static void putPlan(const pb::Plan& plan) {
    write([&](store::WriteTxn& txn) { store::putPlan(txn, plan, store::WriteMode::Create); });
  }

  static pb::Subscriber subscriber(const std::string& name, const std::string& plan,
                                   pb::SubscriberStatus status = pb::ACTIVE) {
    pb::Subscriber s;
    s.set_username(name);
    s.set_password("pw-" + name);
    s.set_plan(plan);
    s.set_status(status);
    return s;
  }

  static void putSubscriber(const pb::Subscriber& s) {
    write([&](store::WriteTxn& txn) { store::putSubscriber(txn, s, store::WriteMode::Create); });
  }

  static std::optional<pb::Session> session(const std::string& acct_session_id,
                                            const std::string& nas_ip = kNasIp) {
    auto txn = env_->read();
    return store::getSession(txn, store::sessionKey(nas_ip, acct_session_id));
  }

  static size_t liveSessions(const std::string& user) {
    auto txn = env_->read();
    return store::liveSessionsOf(txn, user).size();
  }

  static pb::Usage usage(const std::string& user, const std::string& period) {
    auto txn = env_->read();
    return store::getUsage(txn, user, period);
  }

  // A live session written straight into the store, as if its Start had been recorded earlier.
  static void putLiveSession(const std::string& user, const std::string& nas_ip,
                             const std::string& sid, int64_t updated_at, uint32_t interim_s) {
    pb::Session s;
    s.set_username(user);
    s.set_nas_ip(nas_ip);
    s.set_acct_session_id(sid);
    s.set_started_at(updated_at - 10);
    s.set_updated_at(updated_at);
    s.set_interim_interval_s(interim_s);
    s.set_state(pb::SESSION_ACTIVE);
    write([&](store::WriteTxn& txn) { store::putSession(txn, store::sessionKey(nas_ip, sid), s); });
  }

  static void closeDirectly(const std::string& nas_ip, const std::string& sid) {
    write([&](store::WriteTxn& txn) {
      store::closeSession(txn, store::sessionKey(nas_ip, sid), "test cleanup", now());
    });
  }

  // The lease of ip in pool, if there is one.
  static std::optional<store::LeaseView> lease(const std::string& pool, const std::string& ip) {
    auto txn = env_->read();
    for (auto& l : store::listLeases(txn, pool, now()))
      if (l.lease.ip() == ip) return l;
    return std::nullopt;
  }

  // PAP Access-Request for user with its seeded password ("pw-" + user), plus extra attributes.
  RadiusReply auth(const std::string& user, std::vector<std::string> extra = {}) const {
    std::vector<std::string> attrs = {"User-Name = \"" + user + "\"",
                                      "User-Password = \"pw-" + user + "\""};
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return server_->radclient("auth", attrs, kSecret);
  }

  // Accounting-Request of the given Acct-Status-Type for a session of user.
  RadiusReply acct(const std::string& status, const std::string& user, const std::string& sid,
                   std::vector<std::string> extra = {}) const {
    std::vector<std::string> attrs = {
        "Acct-Status-Type = " + status, "User-Name = \"" + user + "\"",
        "Acct-Session-Id = \"" + sid + "\"", std::string("NAS-IP-Address = ") + kNasIp};
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return server_->radclient("acct", attrs, kSecret);
  }

  // Once this returns, every Interim-Update answered before is in LMDB, not only in rlm_isp's
  // journal: a Stop is committed before its answer, and that commit applies the journal first.
  // (A Stop of a session never started records nothing else.)
  void committed() const {
    static int n = 0;
    const auto r = acct("Stop", "barrier", "barrier-" + std::to_string(++n));
    ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  }

  // Everything that explains a failure: the client's output and the server's log.
  static std::string explain(const RadiusReply& r) {
    return "client:\n" + r.output + "\nserver log:\n" + server_->log();
  }

  // Names of the reply attributes, sorted, except Message-Authenticator.
  static std::vector<std::string> names(const RadiusReply& r) {
    std::vector<std::string> n;
    for (const auto& [k, v] : r.attrs)
      if (k != "Message-Authenticator") n.push_back(k);
    std::sort(n.begin(), n.end());
    return n;
  }

  static size_t count(const RadiusReply& r, const std::string& name) {
    return static_cast<size_t>(std::count_if(r.attrs.begin(), r.attrs.end(),
                                             [&](const auto& a) { return a.first == name; }));
  }

  // radclient prints octets (Class) as 0x and lower-case hex.
  static std::string hexOf(const std::string& s) { return testutil::radiusHex(s); }

  static std::unique_ptr<TempDir> dir_;
  static std::unique_ptr<store::Env> env_;
  static std::unique_ptr<FreeRadius> server_;
  static std::string start_error_;
};

std::unique_ptr<TempDir> AaaFreeRadius::dir_;
std::unique_ptr<store::Env> AaaFreeRadius::env_;
std::unique_ptr<FreeRadius> AaaFreeRadius::server_;
std::string AaaFreeRadius::start_error_;

// 1. What a MikroTik router gets for a subscriber in good standing: every attribute, exactly.
TEST_F(AaaFreeRadius, AcceptCarriesEveryPolicyAttribute) {
  pb::Plan gold;
  gold.set_name("gold");
  gold.set_download_bps(25000000);
  gold.set_upload_bps(512000);
  gold.set_burst_download_bps(50000000);
  gold.set_burst_upload_bps(1000000);
  gold.set_burst_threshold_download_bps(20000000);
  gold.set_burst_threshold_upload_bps(384000);
  gold.set_burst_time_s(16);
  gold.set_priority(3);
  gold.set_min_download_bps(4000000);
  gold.set_min_upload_bps(256000);
  gold.set_address_list("gold-customers");
  gold.set_pool("mt-gold"); // not an ispbox pool: the router's own, by name
  gold.set_acct_interim_interval_s(120);
  gold.set_data_cap_bytes(6 * kGiB + 123);
  putPlan(gold);

  const int64_t expires_at = now() + 86400;
  pb::Subscriber fixed = subscriber("gold-static", "gold");
  fixed.set_static_ip("10.77.0.9");
  fixed.set_expires_at(expires_at);
  putSubscriber(fixed);
  putSubscriber(subscriber("gold-pool", "gold"));
  // 1 GiB used this month: 5 GiB + 123 bytes of the cap are left.
  write([&](store::WriteTxn& txn) {
    store::addUsage(txn, "gold-static", now(), kGiB - 1000, 1000, 0);
  });

  const int64_t before = now();
  auto r = auth("gold-static", {"Message-Authenticator = 0x00"});
  const int64_t after = now();
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(names(r), (std::vector<std::string>{
                          "Acct-Interim-Interval", "Class", "Framed-IP-Address",
                          "Mikrotik-Address-List", "Mikrotik-Rate-Limit", "Mikrotik-Total-Limit",
                          "Mikrotik-Total-Limit-Gigawords", "Session-Timeout"}))
      << explain(r);
  for (const auto& [name, value] : r.attrs)
    EXPECT_EQ(count(r, name), 1u) << name << " is repeated\n" << explain(r);
  // rx (the subscriber's upload) first: rate, burst rate, burst threshold, burst time, priority,
  // minimum (limit-at).
  EXPECT_EQ(r.attr("Mikrotik-Rate-Limit"), "512k/25M 1M/50M 384k/20M 16/16 3 256k/4M");
  EXPECT_EQ(r.attr("Mikrotik-Address-List"), "gold-customers");
  EXPECT_EQ(r.attr("Acct-Interim-Interval"), "120");
  // 5 GiB + 123 = 1 << 32 (one gigaword) + 1073741947.
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit"), "1073741947");
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit-Gigawords"), "1");
  EXPECT_TRUE(r.attr("Class").starts_with(hexOf("ispbox:normal:gold:"))) << r.attr("Class");
  EXPECT_EQ(r.attr("Framed-IP-Address"), "10.77.0.9");
  const int64_t timeout = std::stoll(r.attr("Session-Timeout"));
  EXPECT_LE(timeout, expires_at - before);
  EXPECT_GE(timeout, expires_at - after - 2);
  // BlastRADIUS: the Access-Accept is signed (radclient checked the HMAC before printing it).
  EXPECT_EQ(count(r, "Message-Authenticator"), 1u) << explain(r);

  // From a pool the router manages: Framed-Pool by name, no address; no expiry, the whole cap.
  r = auth("gold-pool");
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(names(r),
            (std::vector<std::string>{"Acct-Interim-Interval", "Class", "Framed-Pool",
                                      "Mikrotik-Address-List", "Mikrotik-Rate-Limit",
                                      "Mikrotik-Total-Limit", "Mikrotik-Total-Limit-Gigawords"}))
      << explain(r);
  EXPECT_EQ(r.attr("Framed-Pool"), "mt-gold");
  EXPECT_EQ(r.attr("Mikrotik-Rate-Limit"), "512k/25M 1M/50M 384k/20M 16/16 3 256k/4M");
  // 6 GiB + 123 = 1 << 32 + 2147483771.
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit"), "2147483771");
  EXPECT_EQ(r.attr("Mikrotik-Total-Limit-Gigawords"), "1");
  EXPECT_TRUE(r.attr("Class").starts_with(hexOf("ispbox:normal:gold:"))) << r.attr("Class");
  // Signed even when the request was not.
  EXPECT_EQ(count(r, "Message-Authenticator"), 1u) << explain(r);
}

// 1. Message-Authenticator as it is on the wire: present in accepts and rejects, with the right
// HMAC-MD5 over the reply (RFC 3579 3.2), next to a valid Response Authenticator.
TEST_F(AaaFreeRadius, RepliesAreSignedWithMessageAuthenticator) {
  pb::Plan plan;
  plan.set_name("signed");
  plan.set_download_bps(8000000);
  plan.set_upload_bps(2000000);
  putPlan(plan);
  putSubscriber(subscriber("signed-user", "signed"));

  UdpPeer nas;
  std::string ra;
  uint8_t id = 1;
  for (bool with_ma : {true, false}) {
    SCOPED_TRACE(with_ma ? "request with Message-Authenticator" : "request without");
    auto reply =
        nas.exchange(server_->authPort(),
                     accessRequest(id++, {{1, "signed-user"}}, "pw-signed-user", with_ma, &ra), ra);
    ASSERT_TRUE(reply) << server_->log();
    EXPECT_EQ(reply->code, 2); // Access-Accept
    EXPECT_TRUE(reply->authentic);
    EXPECT_TRUE(reply->message_authenticator);
    EXPECT_TRUE(reply->message_authenticator_ok);
    EXPECT_EQ(reply->attr(8), std::nullopt) << "no Framed-IP-Address without a static IP or pool";

    reply = nas.exchange(server_->authPort(),
                         accessRequest(id++, {{1, "signed-nobody"}}, "x", with_ma, &ra), ra);
    ASSERT_TRUE(reply) << server_->log();
    EXPECT_EQ(reply->code, 3); // Access-Reject
    EXPECT_TRUE(reply->authentic);
    EXPECT_TRUE(reply->message_authenticator);
    EXPECT_TRUE(reply->message_authenticator_ok);
    EXPECT_EQ(reply->attr(18), "Unknown user");
  }
}

// 2. Suspended and expired subscribers are isolated, or rejected when the plan says so; the
// other refusals carry their reason in Reply-Message.
TEST_F(AaaFreeRadius, IsolationAndRejectReasons) {
  pb::Plan basic;
  basic.set_name("basic");
  basic.set_download_bps(10000000);
  basic.set_upload_bps(5000000);
  basic.set_address_list("basic-customers");
  basic.set_pool("mt-basic");
  basic.set_data_cap_bytes(100 * kGiB);
  basic.mutable_isolation()->set_address_list("isolir");
  basic.mutable_isolation()->set_pool("mt-isolir");
  basic.mutable_isolation()->set_download_bps(256000);
  basic.mutable_isolation()->set_upload_bps(128000);
  putPlan(basic);
  pb::Plan strict;
  strict.set_name("strict");
  strict.set_download_bps(10000000);
  strict.set_upload_bps(5000000);
  strict.mutable_isolation()->set_reject(true);
  putPlan(strict);

  auto active = subscriber("iso-active", "basic");
  active.set_expires_at(now() + 3600);
  putSubscriber(active);
  putSubscriber(subscriber("iso-suspended", "basic", pb::SUSPENDED));
  auto expired = subscriber("iso-expired", "basic");
  expired.set_expires_at(now() - 60);
  putSubscriber(expired);
  putSubscriber(subscriber("strict-suspended", "strict", pb::SUSPENDED));
  auto strict_expired = subscriber("strict-expired", "strict");
  strict_expired.set_expires_at(now() - 60);
  putSubscriber(strict_expired);
  putSubscriber(subscriber("iso-terminated", "basic", pb::TERMINATED));
  auto bound = subscriber("mac-bound", "basic");
  bound.set_mac("AA:BB:CC:00:11:22");
  putSubscriber(bound);

  // The control: in good standing, the plan's own profile.
  auto r = auth("iso-active");
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Mikrotik-Rate-Limit"), "5M/10M");
  EXPECT_EQ(r.attr("Mikrotik-Address-List"), "basic-customers");
  EXPECT_EQ(r.attr("Framed-Pool"), "mt-basic");
  EXPECT_TRUE(r.attr("Class").starts_with(hexOf("ispbox:normal:basic:"))) << r.attr("Class");
  EXPECT_NE(r.attr("Session-Timeout"), "");

  for (const char* user : {"iso-suspended", "iso-expired"}) {
    SCOPED_TRACE(user);
    r = auth(user);
    ASSERT_TRUE(r.accepted()) << explain(r);
    // The isolation profile: its rate, list and pool; no expiry or cap to enforce.
    EXPECT_EQ(names(r), (std::vector<std::string>{"Acct-Interim-Interval", "Class", "Framed-Pool",
                                                  "Mikrotik-Address-List", "Mikrotik-Rate-Limit"}))
        << explain(r);
    EXPECT_EQ(r.attr("Mikrotik-Rate-Limit"), "128k/256k");
    EXPECT_EQ(r.attr("Mikrotik-Address-List"), "isolir");
    EXPECT_EQ(r.attr("Framed-Pool"), "mt-isolir");
    EXPECT_EQ(r.attr("Acct-Interim-Interval"), "300");
    EXPECT_TRUE(r.attr("Class").starts_with(hexOf("ispbox:isolated:basic:"))) << r.attr("Class");
  }

  const std::vector<std::pair<std::string, std::string>> rejected = {
      {"strict-suspended", "Account suspended"},
      {"strict-expired", "Account expired"},
      {"iso-terminated", "Account terminated"},
      {"nobody-at-all", "Unknown user"},
  };
  for (const auto& [user, why] : rejected) {
    SCOPED_TRACE(user);
    r = auth(user);
    ASSERT_TRUE(r.rejected()) << explain(r);
    EXPECT_EQ(names(r), std::vector<std::string>{"Reply-Message"}) << explain(r);
    EXPECT_EQ(r.attr("Reply-Message"), why);
  }

  // MAC binding against Calling-Station-Id, in whatever notation the NAS uses.
  r = auth("mac-bound", {"Calling-Station-Id = \"aa-bb-cc-00-11-22\""});
  EXPECT_TRUE(r.accepted()) << explain(r);
  r = auth("mac-bound", {"Calling-Station-Id = \"AA:BB:CC:00:11:23\""});
  ASSERT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Device not allowed for this account");
  r = auth("mac-bound");
  ASSERT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Device not allowed for this account");

  // A wrong password is pap's reject: no reason of ours is disclosed.
  r = server_->radclient("auth", {"User-Name = \"iso-active\"", "User-Password = \"wrong\""},
                         kSecret);
  ASSERT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "") << explain(r);
}

// 3. Addresses from an ispbox pool: two dials at once get different addresses, Accounting-Start
// confirms the lease, Stop releases it for the next subscriber.
TEST_F(AaaFreeRadius, PoolLeasesAreOfferedConfirmedAndReleased) {
  pb::Pool pool;
  pool.set_name("isp-pool-a");
  auto* range = pool.add_ranges();
  range->set_first("10.99.0.1");
  range->set_last("10.99.0.2");
  write([&](store::WriteTxn& txn) { store::putPool(txn, pool); });
  pb::Plan plan;
  plan.set_name("pooled");
  plan.set_download_bps(10000000);
  plan.set_upload_bps(10000000);
  plan.set_pool("isp-pool-a");
  plan.set_acct_interim_interval_s(60);
  putPlan(plan);
  for (const char* user : {"pool-1", "pool-2", "pool-3"})
    putSubscriber(subscriber(user, "pooled"));

  auto dial = [](const std::string& user) {
    return std::vector<std::string>{"User-Name = \"" + user + "\"",
                                    "User-Password = \"pw-" + user + "\""};
  };
  const auto replies =
      server_->radclientConcurrently("auth", {dial("pool-1"), dial("pool-2")}, kSecret);
  ASSERT_EQ(replies.size(), 2u);
  ASSERT_TRUE(replies[0].accepted()) << explain(replies[0]);
  ASSERT_TRUE(replies[1].accepted()) << explain(replies[1]);
  const std::string ip1 = replies[0].attr("Framed-IP-Address");
  const std::string ip2 = replies[1].attr("Framed-IP-Address");
  EXPECT_NE(ip1, ip2);
  const std::set<std::string> addresses = {"10.99.0.1", "10.99.0.2"};
  EXPECT_TRUE(addresses.count(ip1)) << ip1;
  EXPECT_TRUE(addresses.count(ip2)) << ip2;
  EXPECT_EQ(replies[0].attr("Framed-Pool"), "") << "an ispbox pool is not the router's";
  EXPECT_EQ(count(replies[0], "Framed-IP-Address"), 1u);

  auto l1 = lease("isp-pool-a", ip1), l2 = lease("isp-pool-a", ip2);
  ASSERT_TRUE(l1 && l2);
  EXPECT_EQ(l1->lease.username(), "pool-1");
  EXPECT_EQ(l2->lease.username(), "pool-2");
  EXPECT_EQ(l1->lease.state(), pb::LEASE_OFFERED);
  EXPECT_EQ(l2->lease.state(), pb::LEASE_OFFERED);
  EXPECT_TRUE(l1->live && l2->live);

  // Both addresses are taken (offered, not yet confirmed).
  auto r = auth("pool-3");
  ASSERT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "No free address in pool isp-pool-a");

  r = acct("Start", "pool-1", "pool-s1", {"Framed-IP-Address = " + ip1});
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  l1 = lease("isp-pool-a", ip1);
  ASSERT_TRUE(l1);
  EXPECT_EQ(l1->lease.state(), pb::LEASE_ACTIVE);
  EXPECT_EQ(l1->lease.session_key(), store::sessionKey(kNasIp, "pool-s1"));
  EXPECT_EQ(lease("isp-pool-a", ip2)->lease.state(), pb::LEASE_OFFERED);
  auto s = session("pool-s1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pool(), "isp-pool-a");
  EXPECT_EQ(s->framed_ip(), ip1);

  r = acct("Stop", "pool-1", "pool-s1",
           {"Framed-IP-Address = " + ip1, "Acct-Session-Time = 30", "Acct-Terminate-Cause = 1"});
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  l1 = lease("isp-pool-a", ip1);
  ASSERT_TRUE(l1);
  EXPECT_EQ(l1->lease.state(), pb::LEASE_RELEASED);
  EXPECT_FALSE(l1->live);
  EXPECT_EQ(session("pool-s1")->state(), pb::SESSION_CLOSED);

  // The released address is the one left for the next subscriber.
  r = auth("pool-3");
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Framed-IP-Address"), ip1);
  EXPECT_EQ(lease("isp-pool-a", ip1)->lease.username(), "pool-3");
}

// 4. Accounting: 64-bit counters out of octets and gigawords, each byte counted once however
// often a packet arrives, into the day and month usage.
TEST_F(AaaFreeRadius, AccountingCountsExact64BitTotalsOnce) {
  pb::Plan plan;
  plan.set_name("metered");
  plan.set_download_bps(10000000);
  plan.set_upload_bps(10000000);
  plan.set_acct_interim_interval_s(60);
  putPlan(plan);
  putSubscriber(subscriber("meter", "metered"));

  // Event-Timestamp pins the usage period, whatever the clock does during the test.
  const int64_t at = now();
  const std::string ts = "Event-Timestamp = " + std::to_string(at);
  const std::string day = "d" + store::dayPeriod(at), month = "m" + store::monthPeriod(at);
  auto counters = [&](uint32_t in, uint32_t in_gw, uint32_t out, uint32_t out_gw, uint32_t t) {
    return std::vector<std::string>{ts,
                                    "Framed-IP-Address = 10.88.0.5",
                                    "Acct-Input-Octets = " + std::to_string(in),
                                    "Acct-Input-Gigawords = " + std::to_string(in_gw),
                                    "Acct-Output-Octets = " + std::to_string(out),
                                    "Acct-Output-Gigawords = " + std::to_string(out_gw),
                                    "Acct-Session-Time = " + std::to_string(t)};
  };
  auto expectUsage = [&](uint64_t in, uint64_t out, uint64_t t, const std::string& when) {
    committed();
    for (const auto& period : {day, month}) {
      SCOPED_TRACE(when + ", " + period);
      const pb::Usage u = usage("meter", period);
      EXPECT_EQ(u.input_octets(), in);
      EXPECT_EQ(u.output_octets(), out);
      EXPECT_EQ(u.session_time(), t);
    }
  };

  auto r = acct("Start", "meter", "meter-1", {ts, "Framed-IP-Address = 10.88.0.5"});
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  auto s = session("meter-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state(), pb::SESSION_ACTIVE);
  EXPECT_EQ(s->interim_interval_s(), 60u);
  EXPECT_EQ(s->framed_ip(), "10.88.0.5");
  expectUsage(0, 0, 0, "after Start");

  // Just under 4 GiB up, under 4 GiB down.
  r = acct("Interim-Update", "meter", "meter-1", counters(4294967000u, 0, 4000000000u, 0, 60));
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  expectUsage(4294967000u, 4000000000u, 60, "after the first Interim");

  // The octet counters wrapped: input crossed 4 GiB (1 gigaword), output crossed 8 GiB.
  const uint64_t in2 = k4GiB + 1000, out2 = 2 * k4GiB + 300000000;
  // Sent as one datagram twice: FreeRADIUS answers the retransmission from its cache.
  {
    UdpPeer nas;
    const std::vector<RawAttr> interim = {
        {40, u32(3)},                         // Acct-Status-Type = Interim-Update
        {1, "meter"},                         // User-Name
        {44, "meter-1"},                      // Acct-Session-Id
        {4, bytes({127, 0, 0, 1})},           // NAS-IP-Address
        {8, bytes({10, 88, 0, 5})},           // Framed-IP-Address
        {55, u32(static_cast<uint32_t>(at))}, // Event-Timestamp
        {42, u32(1000)},                      // Acct-Input-Octets
        {52, u32(1)},                         // Acct-Input-Gigawords
        {43, u32(300000000)},                 // Acct-Output-Octets
        {53, u32(2)},                         // Acct-Output-Gigawords
        {46, u32(120)},                       // Acct-Session-Time
    };
    const std::string datagram = accountingRequest(77, interim);
    const std::string request_auth = datagram.substr(4, 16);
    for (int i = 0; i < 2; ++i) {
      // A NAS retransmits after a timeout, never at once: FreeRADIUS ignores a copy that arrives
      // while the original is still being finished (seen on a loaded machine).
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
      auto reply = nas.exchange(server_->acctPort(), datagram, request_auth);
      ASSERT_TRUE(reply) << "try " << i << "\n" << server_->log();
      EXPECT_EQ(reply->code, 5); // Accounting-Response
      EXPECT_TRUE(reply->authentic);
    }
  }
  expectUsage(in2, out2, 120, "after the wrapped Interim and its retransmission");
  // The same counters again in a new packet (a NAS resending after a lost response).
  r = acct("Interim-Update", "meter", "meter-1", counters(1000, 1, 300000000, 2, 120));
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  expectUsage(in2, out2, 120, "after a duplicate Interim");
  // An older Interim arriving late adds nothing either.
  r = acct("Interim-Update", "meter", "meter-1", counters(4294967000u, 0, 4000000000u, 0, 60));
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  expectUsage(in2, out2, 120, "after a reordered Interim");

  const uint64_t in3 = k4GiB + 5000, out3 = 2 * k4GiB + 400000000;
  auto stop = counters(5000, 1, 400000000, 2, 180);
  stop.push_back("Acct-Terminate-Cause = User-Request");
  r = acct("Stop", "meter", "meter-1", stop);
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  expectUsage(in3, out3, 180, "after Stop");
  s = session("meter-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state(), pb::SESSION_CLOSED);
  EXPECT_EQ(s->terminate_cause(), "User-Request");
  EXPECT_EQ(s->input_octets(), in3);
  EXPECT_EQ(s->output_octets(), out3);
  EXPECT_EQ(s->session_time(), 180u);
  EXPECT_EQ(liveSessions("meter"), 0u);

  // A duplicated Stop, and a late Interim, are answered but change nothing.
  r = acct("Stop", "meter", "meter-1", stop);
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  r = acct("Interim-Update", "meter", "meter-1", counters(9000, 1, 500000000, 2, 240));
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  expectUsage(in3, out3, 180, "after a duplicate Stop and a late Interim");
}

// 4. Accounting-On (the NAS rebooted) closes that NAS's live sessions and no other's.
TEST_F(AaaFreeRadius, AccountingOnClosesThatNasSessions) {
  pb::Plan plan;
  plan.set_name("rebooting");
  plan.set_download_bps(10000000);
  plan.set_upload_bps(10000000);
  putPlan(plan);
  for (const char* user : {"on-1", "on-2", "on-3"})
    putSubscriber(subscriber(user, "rebooting"));

  auto r = acct("Start", "on-1", "on-s1");
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  r = acct("Start", "on-2", "on-s2");
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  putLiveSession("on-3", "192.0.2.50", "on-s3", now(), 300); // on another NAS
  ASSERT_EQ(liveSessions("on-1") + liveSessions("on-2") + liveSessions("on-3"), 3u);

  r = server_->radclient("acct",
                         {"Acct-Status-Type = Accounting-On", "Acct-Session-Id = \"00000000\"",
                          std::string("NAS-IP-Address = ") + kNasIp},
                         kSecret);
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  for (const char* sid : {"on-s1", "on-s2"}) {
    auto s = session(sid);
    ASSERT_TRUE(s) << sid;
    EXPECT_EQ(s->state(), pb::SESSION_CLOSED) << sid;
    EXPECT_EQ(s->terminate_cause(), "NAS-Reboot") << sid;
  }
  EXPECT_EQ(liveSessions("on-1"), 0u);
  EXPECT_EQ(liveSessions("on-2"), 0u);
  EXPECT_EQ(liveSessions("on-3"), 1u);
  EXPECT_EQ(session("on-s3", "192.0.2.50")->state(), pb::SESSION_ACTIVE);
  closeDirectly("192.0.2.50", "on-s3");
}

// 4. Simultaneous use: a live session (its Start recorded) keeps the next login out until Stop.
TEST_F(AaaFreeRadius, SimultaneousUseIsLimitedByLiveSessions) {
  pb::Plan plan;
  plan.set_name("single");
  plan.set_download_bps(10000000);
  plan.set_upload_bps(10000000);
  putPlan(plan);
  putSubscriber(subscriber("simul", "single")); // simultaneous_use unset: 1
  auto two = subscriber("simul-2", "single");
  two.set_simultaneous_use(2);
  putSubscriber(two);

  auto r = auth("simul");
  ASSERT_TRUE(r.accepted()) << explain(r);
  r = acct("Start", "simul", "simul-s1");
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  r = auth("simul");
  ASSERT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Already online (1 of 1 sessions)");
  r = acct("Stop", "simul", "simul-s1", {"Acct-Session-Time = 5"});
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  r = auth("simul");
  EXPECT_TRUE(r.accepted()) << explain(r);

  r = acct("Start", "simul-2", "simul2-s1");
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  r = auth("simul-2");
  EXPECT_TRUE(r.accepted()) << "one of two sessions in use\n" << explain(r);
  r = acct("Start", "simul-2", "simul2-s2");
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  r = auth("simul-2");
  ASSERT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Already online (2 of 2 sessions)");
  for (const char* sid : {"simul2-s1", "simul2-s2"})
    ASSERT_EQ(acct("Stop", "simul-2", sid).code, "Accounting-Response");
}

// 5. A session nobody has heard of for three interim intervals is dead: it does not hold the
// subscriber's only slot. One still within them does.
TEST_F(AaaFreeRadius, StaleSessionDoesNotBlockANewLogin) {
  pb::Plan plan;
  plan.set_name("stale-plan");
  plan.set_download_bps(10000000);
  plan.set_upload_bps(10000000);
  plan.set_acct_interim_interval_s(60);
  putPlan(plan);
  putSubscriber(subscriber("stale-user", "stale-plan"));

  putLiveSession("stale-user", kNasIp, "stale-old", now() - 3600, 60);
  auto r = auth("stale-user");
  EXPECT_TRUE(r.accepted()) << "a session silent for an hour (interim 60 s) is stale\n"
                            << explain(r);

  // 170 s of silence is less than 3 x 60 s: still live.
  putLiveSession("stale-user", kNasIp, "stale-recent", now() - 170, 60);
  r = auth("stale-user");
  ASSERT_TRUE(r.rejected()) << explain(r);
  EXPECT_EQ(r.attr("Reply-Message"), "Already online (1 of 1 sessions)");

  closeDirectly(kNasIp, "stale-old");
  closeDirectly(kNasIp, "stale-recent");
  r = auth("stale-user");
  EXPECT_TRUE(r.accepted()) << explain(r);
}

// 6. ispboxd is not needed for AAA: the store is written directly (as ispboxd's API would), and
// FreeRADIUS with rlm_isp alone authorizes, records accounting and usage, and keeps the
// post-auth log. No test in this file starts ispboxd.
TEST_F(AaaFreeRadius, AuthenticatesAndAccountsWithoutIspboxd) {
  pb::Plan plan;
  plan.set_name("standalone-plan");
  plan.set_download_bps(10000000);
  plan.set_upload_bps(2000000);
  putPlan(plan);
  putSubscriber(subscriber("standalone", "standalone-plan"));

  const int64_t before_ms = timeutil::nowMillis();
  auto r = server_->radtest("pap", "standalone", "pw-standalone", kSecret);
  ASSERT_TRUE(r.accepted()) << explain(r);
  EXPECT_EQ(r.attr("Mikrotik-Rate-Limit"), "2M/10M");
  r = server_->radtest("pap", "standalone", "not-the-password", kSecret);
  EXPECT_TRUE(r.rejected()) << explain(r);
  const int64_t after_ms = timeutil::nowMillis();

  const int64_t at = now();
  r = acct("Start", "standalone", "alone-1", {"Framed-IP-Address = 10.66.0.2"});
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  EXPECT_EQ(liveSessions("standalone"), 1u);
  r = acct("Stop", "standalone", "alone-1",
           {"Event-Timestamp = " + std::to_string(at), "Acct-Input-Octets = 1234",
            "Acct-Output-Octets = 5678", "Acct-Session-Time = 42"});
  ASSERT_EQ(r.code, "Accounting-Response") << explain(r);
  EXPECT_EQ(liveSessions("standalone"), 0u);
  const pb::Usage u = usage("standalone", "d" + store::dayPeriod(at));
  EXPECT_EQ(u.input_octets(), 1234u);
  EXPECT_EQ(u.output_octets(), 5678u);
  EXPECT_EQ(u.session_time(), 42u);
  {
    auto txn = env_->read();
    auto history = store::listSessionHistory(
        txn, 0, 10, [](const pb::Session& s) { return s.username() == "standalone"; });
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].second.acct_session_id(), "alone-1");
  }

  // rlm_isp writes the post-auth log itself, in batches (every second, alone).
  std::vector<pb::PostAuth> entries;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       entries.size() < 2 && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(100ms)) {
    auto txn = env_->read();
    entries.clear();
    for (auto& [seq, e] : store::listPostAuth(
             txn, 0, 10, [](const pb::PostAuth& e) { return e.username() == "standalone"; }))
      entries.push_back(e);
  }
  ASSERT_EQ(entries.size(), 2u) << server_->log();
  // Newest first: the reject, then the accept.
  EXPECT_FALSE(entries[0].accepted());
  EXPECT_TRUE(entries[1].accepted());
  EXPECT_EQ(entries[1].profile(), "normal");
  EXPECT_EQ(entries[1].nas_ip(), kNasIp);
  // Each entry's time is when the server received the request (the shim passes it on).
  for (const auto& e : entries) {
    EXPECT_GE(e.at_ms(), before_ms);
    EXPECT_LE(e.at_ms(), after_ms);
  }
  EXPECT_LE(entries[1].at_ms(), entries[0].at_ms());
}

// 7. Hostile datagrams to both ports. Each test runs its own server, so that a crash cannot be
// blamed on another test.
class AaaFreeRadiusHostile : public ::testing::Test {
protected:
  virtual std::vector<std::string> configEnv() const { return {"ISPBOX_FR_REJECT_DELAY=0"}; }

  void SetUp() override {
    store::EnvOptions opts;
    opts.dir = dir_.path() / "state";
    env_ = store::Env::open(opts);
    auto txn = env_->write();
    pb::Nas nas;
    nas.set_name("test-nas");
    nas.set_ip(kNasIp);
    nas.set_secret(kSecret);
    store::putNas(txn, nas, store::WriteMode::Create);
    pb::Plan plan;
    plan.set_name("p");
    plan.set_download_bps(1000000);
    plan.set_upload_bps(1000000);
    store::putPlan(txn, plan, store::WriteMode::Create);
    pb::Subscriber s;
    s.set_username("survivor");
    s.set_password("pw-survivor");
    s.set_plan("p");
    s.set_status(pb::ACTIVE);
    store::putSubscriber(txn, s, store::WriteMode::Create);
    txn.commit();
    server_ = std::make_unique<FreeRadius>(dir_.path() / "state", ISPBOX_RLM_ISP_DIR, configEnv());
    // The NAS becomes a (dynamic) client first, so that what follows is parsed, not ignored.
    auto r = server_->radtest("pap", "survivor", "pw-survivor", kSecret);
    ASSERT_TRUE(r.accepted()) << r.output << server_->log();
  }

  // Whatever the packets carried, every record rlm_isp wrote can be read back, and the whole
  // session table can be walked (the stale sweep and Accounting-On do).
  void expectStoreReadable() {
    // The journal is committed every 100 ms, the post-auth log on its own every second.
    std::this_thread::sleep_for(1200ms);
    auto txn = env_->read();
    auto undecodable = [&]<class Msg>(store::Table table, Msg msg) {
      std::vector<std::string> bad;
      store::Cursor cur(txn, table);
      for (bool ok = cur.first(); ok; ok = cur.next())
        if (!store::decodeInto(cur.value(), &msg)) bad.push_back(hexOf(std::string(cur.key())));
      return bad;
    };
    EXPECT_EQ(undecodable(store::Table::Sessions, pb::Session{}), std::vector<std::string>{});
    EXPECT_EQ(undecodable(store::Table::SessionHistory, pb::Session{}), std::vector<std::string>{});
    EXPECT_EQ(undecodable(store::Table::PostAuthLog, pb::PostAuth{}), std::vector<std::string>{});
    EXPECT_EQ(undecodable(store::Table::Usage, pb::Usage{}), std::vector<std::string>{});
    EXPECT_NO_THROW(
        store::forEachLiveSession(txn, "", [](std::string_view, pb::Session&) { return true; }));
  }

  // The server process is still the one started, and still answers: rlm_isp authorizes and
  // records accounting.
  void expectAlive(pid_t pid) {
    ASSERT_TRUE(server_->running()) << server_->log();
    EXPECT_EQ(server_->pid(), pid);
    EXPECT_EQ(::kill(pid, 0), 0);
    auto r = server_->radtest("pap", "survivor", "pw-survivor", kSecret);
    EXPECT_TRUE(r.accepted()) << r.output << server_->log();
    EXPECT_EQ(r.attr("Mikrotik-Rate-Limit"), "1M/1M");
    r = server_->radclient("acct",
                           {"Acct-Status-Type = Start", "User-Name = \"survivor\"",
                            "Acct-Session-Id = \"after-" + std::to_string(++probes_) + "\""},
                           kSecret);
    EXPECT_EQ(r.code, "Accounting-Response") << r.output << server_->log();
    const std::string log = server_->log();
    for (const char* crash : {"CAUGHT SIGNAL", "SIGSEGV", "SIGABRT", "SIGBUS", "Segmentation",
                              "ASSERT FAILED", "Assertion", "panic", "backtrace"})
      EXPECT_EQ(log.find(crash), std::string::npos) << crash << " in the log:\n" << log;
  }

  static std::string hexOf(const std::string& s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
      out += digits[c >> 4];
      out += digits[c & 15];
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<store::Env> env_;
  std::unique_ptr<FreeRadius> server_;
  int probes_ = 0;
};

// RADIUS strings are octets: a User-Name, Acct-Session-Id, Calling-Station-Id or Class that is
// not UTF-8 (an old client sending Latin-1) is refused or recorded like any other, and what was
// recorded can be read back and stopped.
TEST_F(AaaFreeRadiusHostile, NonUtf8AttributesAreRecordedAndReadable) {
  const pid_t pid = server_->pid();
  const std::string user = "m\xfc"
                           "ller",
                    sid = "s\xff\xfe"
                          "1";
  UdpPeer nas;
  std::string ra;
  auto reply =
      nas.exchange(server_->authPort(), accessRequest(1, {{1, user}}, "pw", true, &ra), ra);
  ASSERT_TRUE(reply) << server_->log();
  EXPECT_EQ(reply->code, 3);
  EXPECT_EQ(reply->attr(18), "Unknown user");

  const std::vector<RawAttr> start = {
      {40, u32(1)}, {1, user}, {44, sid}, {31, "\xe9\xe8"}, {25, "\x80\x81 class"}};
  const std::string d1 = accountingRequest(2, start);
  reply = nas.exchange(server_->acctPort(), d1, d1.substr(4, 16));
  ASSERT_TRUE(reply) << server_->log();
  EXPECT_EQ(reply->code, 5);
  {
    auto txn = env_->read();
    std::optional<pb::Session> s;
    ASSERT_NO_THROW(s = store::getSession(txn, store::sessionKey(kNasIp, sid)));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->username(), user);
    EXPECT_EQ(s->acct_session_id(), sid); // byte for byte, as CoA must echo it
    EXPECT_EQ(s->state(), pb::SESSION_ACTIVE);
  }
  const std::string d2 = accountingRequest(3, {{40, u32(2)}, {1, user}, {44, sid}, {42, u32(100)}});
  reply = nas.exchange(server_->acctPort(), d2, d2.substr(4, 16));
  ASSERT_TRUE(reply) << "the Stop of that session is answered\n" << server_->log();
  EXPECT_EQ(reply->code, 5);
  {
    auto txn = env_->read();
    std::optional<pb::Session> s;
    ASSERT_NO_THROW(s = store::getSession(txn, store::sessionKey(kNasIp, sid)));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->state(), pb::SESSION_CLOSED);
    std::optional<pb::Usage> u;
    ASSERT_NO_THROW(u = store::getUsage(txn, user, "m" + store::monthPeriod(now())));
    EXPECT_EQ(u->input_octets(), 100u);
  }
  expectStoreReadable();
  expectAlive(pid);
}

TEST_F(AaaFreeRadiusHostile, SurvivesMalformedAndRandomPackets) {
  const pid_t pid = server_->pid();
  ASSERT_GT(pid, 0);
  const int auth_port = server_->authPort(), acct_port = server_->acctPort();
  UdpPeer nas;
  std::mt19937 rng(20261121);
  const std::string zeros(16, '\0');
  auto header = [](int code, int id, size_t len) {
    return bytes({code, id, static_cast<int>((len >> 8) & 0xff), static_cast<int>(len & 0xff)});
  };
  std::vector<std::pair<std::string, std::string>> hostile; // name, datagram (to both ports)
  hostile.emplace_back("empty", "");
  hostile.emplace_back("1 byte", bytes({1}));
  hostile.emplace_back("truncated header", header(1, 1, 20) + std::string(6, 'x'));
  hostile.emplace_back("length below the header", header(1, 2, 19) + zeros);
  hostile.emplace_back("length field larger than the datagram",
                       header(1, 3, 400) + zeros + encodeAttrs({{1, "survivor"}}));
  hostile.emplace_back("length field smaller than the datagram",
                       header(1, 4, 20) + zeros + encodeAttrs({{1, "survivor"}, {2, zeros}}));
  hostile.emplace_back("attribute of length 0",
                       header(1, 5, 26) + zeros + bytes({1, 0, 'a', 'b', 'c', 'd'}));
  hostile.emplace_back("attribute of length 1",
                       header(1, 6, 26) + zeros + bytes({1, 1, 'a', 'b', 'c', 'd'}));
  hostile.emplace_back("attribute past the end",
                       header(1, 7, 30) + zeros + bytes({1, 200}) + std::string(8, 'a'));
  {
    // Vendor-Specific: a vendor attribute longer than the VSA holding it; an empty one; a VSA
    // of 3 bytes; then the largest legal VSA (MikroTik, 247 bytes of value).
    const std::string body = bytes({26, 12, 0, 0, 0x3a, 0x8c, 8, 250, 'x', 'y', 'z', 'w'}) +
                             bytes({26, 8, 0, 0, 0x3a, 0x8c, 8, 0}) + bytes({26, 3, 0}) +
                             encodeAttrs({vsa(14988, 8, std::string(247, 'R')), {1, "survivor"}});
    hostile.emplace_back("oversized Vendor-Specific",
                         header(1, 8, 20 + body.size()) + zeros + body);
  }
  hostile.emplace_back("4096 bytes of garbage", randomBytes(rng, 4096));
  hostile.emplace_back("4096-byte packet of garbage attributes",
                       header(1, 9, 4096) + randomBytes(rng, 4076));
  hostile.emplace_back("5000 bytes (over the RADIUS maximum)",
                       header(1, 10, 5000) + randomBytes(rng, 4980));
  hostile.emplace_back("Message-Authenticator of 3 bytes",
                       header(1, 11, 25) + zeros + bytes({80, 5, 1, 2, 3}));
  for (int i = 0; i < 300; ++i) {
    std::string d = randomBytes(rng, rng() % 400);
    if (i % 2 == 0 && d.size() >= 20) { // a plausible header, so the body gets parsed
      d[0] = static_cast<char>(i % 4 == 0 ? 1 : 4);
      d[2] = static_cast<char>(d.size() >> 8);
      d[3] = static_cast<char>(d.size() & 0xff);
    }
    hostile.emplace_back("random " + std::to_string(i), d);
  }
  for (const auto& [name, d] : hostile) {
    nas.send(auth_port, d);
    nas.send(acct_port, d);
  }
  // Well-formed but hostile content, signed so that it reaches rlm_isp: random attributes of
  // random lengths (types 1-255, Message-Authenticator included), over-long strings, integers
  // and addresses of the wrong size.
  auto randomAttrs = [&] {
    std::vector<RawAttr> attrs;
    for (size_t n = rng() % 12; n > 0; --n)
      attrs.push_back({static_cast<uint8_t>(1 + rng() % 255), randomBytes(rng, rng() % 40)});
    return attrs;
  };
  std::string ra;
  for (int i = 0; i < 200; ++i) {
    nas.send(auth_port, accessRequest(static_cast<uint8_t>(i), randomAttrs(), "", false, &ra));
    auto attrs = randomAttrs();
    attrs.insert(attrs.begin(), {40, u32(1 + rng() % 8)});
    nas.send(acct_port, accountingRequest(static_cast<uint8_t>(i), attrs));
  }
  const std::string long_name(253, 'u');
  const std::vector<RawAttr> odd_acct = {
      {40, bytes({0, 1, 0})}, // Acct-Status-Type of 3 bytes
      {1, long_name},         // User-Name of 253 bytes
      {44, std::string(253, 's')},
      {8, bytes({10, 0, 0})},         // Framed-IP-Address of 3 bytes
      {42, std::string(8, '\xff')},   // Acct-Input-Octets of 8 bytes
      {55, bytes({1, 2})},            // Event-Timestamp of 2 bytes
      {25, std::string(253, '\xff')}, // Class of 253 bytes
      {31, std::string(253, ':')},    // Calling-Station-Id
  };
  nas.send(acct_port, accountingRequest(250, odd_acct));
  nas.drain(500ms);

  expectAlive(pid);

  // A User-Name of the maximum length is an unknown user, not a failure...
  UdpPeer probe;
  auto reply = probe.exchange(auth_port, accessRequest(1, {{1, long_name}}, "pw", true, &ra), ra);
  ASSERT_TRUE(reply) << server_->log();
  EXPECT_EQ(reply->code, 3);
  EXPECT_EQ(reply->attr(18), "Unknown user");
  // ... and accounting for it is recorded under the whole name.
  const std::string sid = "long-1";
  const std::string start = accountingRequest(2, {{40, u32(1)}, {1, long_name}, {44, sid}});
  reply = probe.exchange(acct_port, start, start.substr(4, 16));
  ASSERT_TRUE(reply) << server_->log();
  EXPECT_EQ(reply->code, 5);
  {
    auto txn = env_->read();
    auto s = store::getSession(txn, store::sessionKey(kNasIp, sid));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->username(), long_name);
  }
  expectStoreReadable();
}

// 8. rlm_isp answers an Interim-Update once it is in its journal, and commits the journal every
// interim_commit_interval (here a minute, so that the commit cannot happen first). A radiusd
// killed in between loses none of what it answered: the next one applies the journal at start.
class AaaFreeRadiusJournal : public AaaFreeRadiusHostile {
protected:
  std::vector<std::string> configEnv() const override {
    return {"ISPBOX_FR_REJECT_DELAY=0", "ISPBOX_FR_INTERIM_COMMIT=60000"};
  }
  RadiusReply acct(const std::string& status, const std::string& sid,
                   std::vector<std::string> extra = {}) {
    std::vector<std::string> attrs = {"Acct-Status-Type = " + status, "User-Name = \"survivor\"",
                                      "Acct-Session-Id = \"" + sid + "\""};
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return server_->radclient("acct", attrs, kSecret);
  }
  std::optional<pb::Session> session(const std::string& sid) {
    auto txn = env_->read();
    return store::getSession(txn, store::sessionKey(kNasIp, sid));
  }
};

TEST_F(AaaFreeRadiusJournal, AKilledServersAnsweredInterimUpdatesAreAppliedByTheNext) {
  const int64_t at = now();
  const std::string ts = "Event-Timestamp = " + std::to_string(at);
  ASSERT_EQ(acct("Start", "j-1", {ts}).code, "Accounting-Response") << server_->log();
  auto r =
      acct("Interim-Update", "j-1",
           {ts, "Acct-Input-Octets = 5000", "Acct-Output-Octets = 7000", "Acct-Session-Time = 60"});
  ASSERT_EQ(r.code, "Accounting-Response") << r.output << server_->log();

  const pid_t pid = server_->pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       server_->running() && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);
  ASSERT_FALSE(server_->running());
  // The Start was committed before its answer; the Interim-Update is only in the journal.
  auto s = session("j-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_octets(), 0u) << "the update was committed: this test proves nothing";

  server_ = std::make_unique<FreeRadius>(dir_.path() / "state", ISPBOX_RLM_ISP_DIR, configEnv());
  s = session("j-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_octets(), 5000u) << server_->log();
  EXPECT_EQ(s->output_octets(), 7000u);
  EXPECT_EQ(s->session_time(), 60u);
  {
    auto txn = env_->read();
    const pb::Usage u = store::getUsage(txn, "survivor", "d" + store::dayPeriod(at));
    EXPECT_EQ(u.input_octets(), 5000u);
    EXPECT_EQ(u.output_octets(), 7000u);
  }
  const std::string log = server_->log();
  EXPECT_NE(log.find("RLM_ISP_ACCOUNTING: "), std::string::npos) << log;
  EXPECT_NE(log.find("1 left by a stopped server applied"), std::string::npos) << log;

  // A clean stop commits what is journaled, and counts nothing twice. (The restarted server
  // learns the NAS as a dynamic client from its first packet, which it may drop.)
  acct("Stop", "learn-the-nas");
  r = acct(
      "Interim-Update", "j-1",
      {ts, "Acct-Input-Octets = 6000", "Acct-Output-Octets = 9000", "Acct-Session-Time = 120"});
  ASSERT_EQ(r.code, "Accounting-Response") << r.output << server_->log();
  server_.reset(); // SIGTERM
  s = session("j-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_octets(), 6000u);
  auto txn = env_->read();
  const pb::Usage u = store::getUsage(txn, "survivor", "d" + store::dayPeriod(at));
  EXPECT_EQ(u.input_octets(), 6000u);
  EXPECT_EQ(u.output_octets(), 9000u);
  EXPECT_EQ(u.session_time(), 120u);
}

// interim_journal = no (ISPBOX_FR_INTERIM_JOURNAL, RADIUS_INTERIM_JOURNAL on the appliance): an
// Interim-Update is committed before its answer, so a kill right after loses nothing either.
class AaaFreeRadiusNoJournal : public AaaFreeRadiusJournal {
protected:
  std::vector<std::string> configEnv() const override {
    return {"ISPBOX_FR_REJECT_DELAY=0", "ISPBOX_FR_INTERIM_COMMIT=60000",
            "ISPBOX_FR_INTERIM_JOURNAL=no"};
  }
};

TEST_F(AaaFreeRadiusNoJournal, InterimUpdatesAreCommittedBeforeTheirAnswer) {
  EXPECT_NE(server_->log().find("accounting journal off"), std::string::npos) << server_->log();
  ASSERT_EQ(acct("Start", "nj-1").code, "Accounting-Response") << server_->log();
  ASSERT_EQ(acct("Interim-Update", "nj-1", {"Acct-Input-Octets = 777"}).code, "Accounting-Response")
      << server_->log();
  ASSERT_EQ(::kill(server_->pid(), SIGKILL), 0);
  const auto s = session("nj-1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_octets(), 777u);
}

} // namespace
} // namespace ispbox
