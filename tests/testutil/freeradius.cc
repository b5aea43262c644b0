// SPDX-License-Identifier: GPL-2.0-or-later
#include "tests/testutil/freeradius.h"

// MD4 and single DES are what MS-CHAPv2 is made of; OpenSSL 3 deprecates their direct API.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/des.h>
#include <openssl/md4.h>
#include <openssl/sha.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#if !defined(ISPBOX_FREERADIUS_CONFIG_SCRIPT) || !defined(ISPBOX_FREERADIUS_RADDB)
#error "CMake must define ISPBOX_FREERADIUS_CONFIG_SCRIPT and ISPBOX_FREERADIUS_RADDB"
#endif

namespace ispbox::testutil {

namespace {

using namespace std::chrono_literals;

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string unquote(std::string v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

// Output of `radclient -x` (also through radtest): "Received Access-Accept Id 7 from ..." and then
// the reply's attributes, one per line, indented: "\tReply-Message = "hello"".
void parseReply(RadiusReply& r) {
  std::istringstream in(r.output);
  std::string line;
  bool in_reply = false;
  while (std::getline(in, line)) {
    if (auto pos = line.find("Received ");
        pos != std::string::npos && line.find(" Id ") != std::string::npos) {
      std::istringstream words(line.substr(pos + 9));
      words >> r.code;
      in_reply = true;
      continue;
    }
    if (!in_reply) continue;
    if (line.empty() || (line[0] != '\t' && line[0] != ' ')) {
      in_reply = false;
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const auto start = line.find_first_not_of(" \t");
    r.attrs.emplace_back(line.substr(start, eq - start), unquote(line.substr(eq + 3)));
  }
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out = "0x";
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// DES-encrypts 8 bytes with a 7-byte key (RFC 2759 DesEncrypt: 56 key bits spread over 8 bytes).
void desEncrypt(const uint8_t clear[8], const uint8_t key7[7], uint8_t out[8]) {
  DES_cblock key;
  key[0] = key7[0] >> 1;
  for (int i = 1; i < 7; ++i)
    key[i] = static_cast<uint8_t>(((key7[i - 1] << (7 - i)) | (key7[i] >> (i + 1))) & 0x7f);
  key[7] = key7[6] & 0x7f;
  for (auto& k : key)
    k = static_cast<uint8_t>(k << 1);
  DES_set_odd_parity(&key);
  DES_key_schedule ks;
  DES_set_key_unchecked(&key, &ks);
  DES_cblock in, res;
  std::memcpy(in, clear, 8);
  DES_ecb_encrypt(&in, &res, &ks, DES_ENCRYPT);
  std::memcpy(out, res, 8);
}

} // namespace

std::vector<std::string> msChapV2Request(const std::string& user, const std::string& password) {
  std::random_device rd;
  std::array<uint8_t, 16> auth_challenge, peer_challenge;
  for (auto& b : auth_challenge)
    b = static_cast<uint8_t>(rd());
  for (auto& b : peer_challenge)
    b = static_cast<uint8_t>(rd());

  // ChallengeHash = SHA1(PeerChallenge | AuthenticatorChallenge | UserName)[0..8)
  std::string buf(reinterpret_cast<const char*>(peer_challenge.data()), 16);
  buf.append(reinterpret_cast<const char*>(auth_challenge.data()), 16);
  buf += user;
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), digest);

  // NtPasswordHash = MD4(UTF-16LE(password)), zero-padded to 21 bytes (ASCII passwords only).
  std::string unicode;
  for (char c : password) {
    unicode += c;
    unicode += '\0';
  }
  uint8_t hash[21] = {};
  MD4(reinterpret_cast<const uint8_t*>(unicode.data()), unicode.size(), hash);

  // MS-CHAP2-Response: Ident, Flags, Peer-Challenge[16], Reserved[8], NT-Response[24].
  uint8_t response[50] = {};
  response[0] = 1;
  std::memcpy(response + 2, peer_challenge.data(), 16);
  for (int i = 0; i < 3; ++i)
    desEncrypt(digest, hash + 7 * i, response + 26 + 8 * i);

  return {"User-Name = \"" + user + "\"",
          "MS-CHAP-Challenge = " + hex(auth_challenge.data(), auth_challenge.size()),
          "MS-CHAP2-Response = " + hex(response, sizeof response)};
}

std::string radiusHex(std::string_view octets) {
  return hex(reinterpret_cast<const uint8_t*>(octets.data()), octets.size());
}

std::string RadiusReply::attr(const std::string& name) const {
  for (const auto& [k, v] : attrs)
    if (k == name) return v;
  return "";
}

FreeRadius::FreeRadius(const std::filesystem::path& state_dir,
                       const std::filesystem::path& module_dir,
                       const std::vector<std::string>& config_env)
    : state_dir_(state_dir), module_dir_(module_dir), config_dir_(dir_.path() / "raddb"),
      config_env_(config_env) {
  // A port picked free can be taken before the server binds it: try again with new ones.
  std::string why;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (start(&why)) return;
    if (why.find("in use") == std::string::npos) break;
  }
  throw std::runtime_error("FreeRADIUS did not start: " + why);
}

bool FreeRadius::start(std::string* why) {
  auth_port_ = freeUdpPort();
  do {
    acct_port_ = freeUdpPort();
  } while (acct_port_ == auth_port_);
  log_file_ = dir_.path() / ("radius-" + std::to_string(auth_port_) + ".log");

  // The server runs as the test's user ("self"): the state is in the test's private directory.
  // Debian's pristine raddb from the build: /etc/freeradius/3.0 is not readable by every user.
  {
    std::vector<std::string> env = {"ISPBOX_FR_USER=self",
                                    "ISPBOX_FR_RADDB=" ISPBOX_FREERADIUS_RADDB};
    env.insert(env.end(), config_env_.begin(), config_env_.end());
    Process gen({"/bin/bash", ISPBOX_FREERADIUS_CONFIG_SCRIPT, config_dir_.string(),
                 state_dir_.string(), std::to_string(auth_port_), std::to_string(acct_port_),
                 module_dir_.string()},
                (dir_.path() / "config.err").string(), env);
    const auto st = gen.wait(60s);
    if (!st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
      *why = "freeradius-config.sh failed: " + readFile(dir_.path() / "config.err");
      return false;
    }
  }

  std::vector<std::string> argv = {"/usr/sbin/freeradius"};
  if (std::getenv("ISPBOX_FR_DEBUG"))
    argv.push_back("-X"); // -X also means -f
  else
    argv.push_back("-f");
  for (const char* a : {"-d", config_dir_.c_str(), "-l", log_file_.c_str()})
    argv.emplace_back(a);
  server_ = std::make_unique<Process>(argv, (dir_.path() / "server.err").string());

  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (log().find("Ready to process requests") != std::string::npos) return true;
    if (server_->wait(0ms)) {
      *why = "it exited:\n" + log() + readFile(dir_.path() / "server.err");
      server_.reset();
      return false;
    }
    std::this_thread::sleep_for(50ms);
  }
  *why = "not ready after 30 s:\n" + log();
  server_.reset(); // SIGKILL
  return false;
}

FreeRadius::~FreeRadius() {
  if (!server_ || exited_) return;
  server_->kill(SIGTERM);
  if (!server_->wait(5s)) server_->kill(SIGKILL); // ~Process reaps it
}

std::string FreeRadius::log() const {
  return readFile(log_file_);
}

bool FreeRadius::running() {
  if (!server_ || exited_) return false;
  if (server_->wait(0ms)) exited_ = true; // reported once: remembered
  return !exited_;
}

pid_t FreeRadius::pid() const {
  return server_ && !exited_ ? server_->pid() : -1;
}

RadiusReply FreeRadius::radtest(const std::string& method, const std::string& user,
                                const std::string& password, const std::string& secret) const {
  // ppphint 0 and an explicit NAS name: by default radtest resolves `hostname` for
  // NAS-IP-Address, which fails on machines whose hostname is not in /etc/hosts.
  return run({"/usr/bin/radtest", "-t", method, "-d", config_dir_.string(), user, password,
              "127.0.0.1:" + std::to_string(auth_port_), "0", secret, "0", "127.0.0.1"},
             "");
}

RadiusReply FreeRadius::radclient(const std::string& type, const std::vector<std::string>& attrs,
                                  const std::string& secret) const {
  std::string input;
  for (const auto& a : attrs)
    input += a + "\n";
  const int port = type == "acct" ? acct_port_ : auth_port_;
  return run({"/usr/bin/radclient", "-x", "-r", "1", "-t", "2", "-d", config_dir_.string(),
              "127.0.0.1:" + std::to_string(port), type, secret},
             input);
}

std::vector<std::string> FreeRadius::radclientArgs(const std::string& type,
                                                   const std::vector<std::string>& attrs,
                                                   const std::string& secret) const {
  static std::atomic<int> counter{0};
  std::string input;
  for (const auto& a : attrs)
    input += a + "\n";
  const auto file = dir_.path() / ("packets-" + std::to_string(counter++) + ".txt");
  std::ofstream(file) << input;
  const int port = type == "acct" ? acct_port_ : auth_port_;
  return {"/usr/bin/radclient",
          "-x",
          "-r",
          "1",
          "-t",
          "2",
          "-d",
          config_dir_.string(),
          "-f",
          file.string(),
          "127.0.0.1:" + std::to_string(port),
          type,
          secret};
}

std::vector<RadiusReply>
FreeRadius::radclientConcurrently(const std::string& type,
                                  const std::vector<std::vector<std::string>>& requests,
                                  const std::string& secret) const {
  static std::atomic<int> counter{0};
  std::vector<std::unique_ptr<Process>> clients;
  std::vector<std::filesystem::path> errs;
  for (const auto& attrs : requests) {
    errs.push_back(dir_.path() / ("concurrent-" + std::to_string(counter++) + ".err"));
    clients.push_back(
        std::make_unique<Process>(radclientArgs(type, attrs, secret), errs.back().string()));
  }
  std::vector<RadiusReply> replies;
  for (size_t i = 0; i < clients.size(); ++i)
    replies.push_back(collect(*clients[i], errs[i]));
  return replies;
}

RadiusReply FreeRadius::run(const std::vector<std::string>& argv, const std::string& input) const {
  static std::atomic<int> counter{0};
  const int n = counter++;
  std::vector<std::string> args = argv;
  if (!input.empty()) {
    // radclient reads packets from -f FILE; the option goes before the server argument.
    const auto file = dir_.path() / ("packet-" + std::to_string(n) + ".txt");
    std::ofstream(file) << input;
    args.insert(args.end() - 3, {"-f", file.string()});
  }
  const auto err = dir_.path() / ("client-" + std::to_string(n) + ".err");
  Process client(args, err.string());
  return collect(client, err);
}

RadiusReply FreeRadius::collect(Process& client, const std::filesystem::path& stderr_file) const {
  RadiusReply r;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (auto line = client.readLine(std::chrono::duration_cast<std::chrono::milliseconds>(
             deadline - std::chrono::steady_clock::now())))
    r.output += *line + "\n";
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (auto st = client.wait(left > 0ms ? left : 0ms); st && WIFEXITED(*st))
    r.exit_status = WEXITSTATUS(*st);
  r.output += readFile(stderr_file);
  parseReply(r);
  return r;
}

// ---- NasStandIn ----

namespace {
// The attributes a CoA/Disconnect request from ispboxd may carry; logged "name=value" separated
// by \x1f, absent ones left out ("%{X}" expands to nothing).
const char* const kLoggedAttrs[] = {
    "User-Name",       "Acct-Session-Id",       "Framed-IP-Address",   "NAS-IP-Address",
    "Event-Timestamp", "Message-Authenticator", "Mikrotik-Rate-Limit", "Mikrotik-Address-List"};
} // namespace

NasStandIn::NasStandIn(const std::filesystem::path& module_dir, const std::string& secret)
    : config_dir_(dir_.path() / "raddb"), log_file_(dir_.path() / "radius.log"),
      received_file_(dir_.path() / "received.log") {
  std::string why;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = freeUdpPort();
    // The base configuration (dictionaries, policies, radiusd.conf) the same way as the module's
    // tests; then the module's site is swapped for a CoA listener.
    std::filesystem::remove_all(config_dir_);
    Process gen({"/bin/bash", ISPBOX_FREERADIUS_CONFIG_SCRIPT, config_dir_.string(),
                 (dir_.path() / "unused-state").string(), std::to_string(freeUdpPort()),
                 std::to_string(freeUdpPort()), module_dir.string()},
                (dir_.path() / "config.err").string(),
                {"ISPBOX_FR_USER=self", "ISPBOX_FR_RADDB=" ISPBOX_FREERADIUS_RADDB});
    const auto st = gen.wait(60s);
    if (!st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0)
      throw std::runtime_error("freeradius-config.sh failed: " +
                               readFile(dir_.path() / "config.err"));
    std::filesystem::remove(config_dir_ / "sites-enabled" / "ispbox");
    std::filesystem::remove(config_dir_ / "mods-enabled" / "isp");
    std::ofstream(config_dir_ / "clients.conf")
        << "client ispboxd {\n  ipaddr = 127.0.0.1\n  secret = \"" << secret << "\"\n}\n";
    std::string format = "%{Packet-Type}";
    for (const char* a : kLoggedAttrs)
      format += std::string("\x1f") + a + "=%{" + a + "}";
    std::ofstream(config_dir_ / "mods-enabled" / "nas_log")
        << "linelog nas_log {\n  filename = " << received_file_.string()
        << "\n  permissions = 0600\n  format = \"" << format << "\"\n}\n";
    std::ofstream(config_dir_ / "sites-enabled" / "nas")
        << "server nas {\n"
           "  listen {\n    type = coa\n    ipaddr = 127.0.0.1\n    port = "
        << port_
        << "\n  }\n"
           "  recv-coa {\n"
           "    nas_log\n"
           "    if (User-Name =~ /^silent/) {\n      do_not_respond\n    }\n"
           "    if (User-Name =~ /^nak/) {\n"
           "      update reply {\n        Error-Cause := Session-Context-Not-Found\n      }\n"
           "      reject\n    }\n"
           "    if ((Packet-Type == CoA-Request) && (User-Name =~ /^coanak/)) {\n"
           "      update reply {\n        Error-Cause := Unsupported-Attribute\n      }\n"
           "      reject\n    }\n"
           "    ok\n"
           "  }\n"
           "  send-coa {\n    ok\n  }\n"
           "}\n";
    std::vector<std::string> argv = {"/usr/sbin/freeradius",
                                     std::getenv("ISPBOX_FR_DEBUG") ? "-X" : "-f",
                                     "-d",
                                     config_dir_.string(),
                                     "-l",
                                     log_file_.string()};
    server_ = std::make_unique<Process>(argv, (dir_.path() / "server.err").string());
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
      if (log().find("Ready to process requests") != std::string::npos)
        ready = true;
      else if (server_->wait(0ms))
        break;
      else
        std::this_thread::sleep_for(50ms);
    }
    if (ready) return;
    why = log() + readFile(dir_.path() / "server.err");
    server_.reset();
    if (why.find("in use") == std::string::npos) break;
  }
  throw std::runtime_error("the NAS stand-in FreeRADIUS did not start:\n" + why);
}

NasStandIn::~NasStandIn() {
  if (!server_) return;
  server_->kill(SIGTERM);
  if (!server_->wait(5s)) server_->kill(SIGKILL);
}

std::string NasStandIn::log() const {
  return readFile(log_file_);
}

std::vector<NasStandIn::Received> NasStandIn::received() const {
  std::vector<Received> out;
  std::istringstream in(readFile(received_file_));
  std::string line;
  while (std::getline(in, line)) {
    Received r;
    size_t at = 0;
    bool first = true;
    while (at <= line.size()) {
      size_t end = line.find('\x1f', at);
      if (end == std::string::npos) end = line.size();
      const std::string field = line.substr(at, end - at);
      if (first) {
        r.type = field;
        first = false;
      } else if (auto eq = field.find('='); eq != std::string::npos && eq + 1 < field.size()) {
        r.attrs[field.substr(0, eq)] = field.substr(eq + 1);
      }
      at = end + 1;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<NasStandIn::Received> NasStandIn::waitFor(size_t n,
                                                      std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto got = received();
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    got = received();
  }
  return got;
}

} // namespace ispbox::testutil
