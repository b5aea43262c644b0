// SPDX-License-Identifier: GPL-2.0-or-later
// A private FreeRADIUS with rlm_isp for integration tests: its own configuration directory (from
// scripts/freeradius-config.sh), free loopback UDP ports, stopped by PID when the object goes. And
// radtest / radclient runs whose replies are parsed.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::testutil {

// Octets as radclient prints and reads them: "0x" and lower-case hex (Class, binary attributes).
std::string radiusHex(std::string_view octets);

// Attribute lines for an MS-CHAPv2 Access-Request (RFC 2759, RFC 2548), for radclient: User-Name,
// MS-CHAP-Challenge and MS-CHAP2-Response computed from the password. radtest -t mschap only does
// MS-CHAPv1 (radclient's mschapv1_encode); PPPoE on MikroTik uses v2.
std::vector<std::string> msChapV2Request(const std::string& user, const std::string& password);

// What radtest / radclient printed, parsed.
struct RadiusReply {
  int exit_status = -1; // the client's exit status (-1: killed after the timeout)
  std::string code;     // "Access-Accept", "Access-Reject", "Accounting-Response"; "" = no reply
  std::vector<std::pair<std::string, std::string>> attrs; // reply attributes, values unquoted
  std::string output;                                     // everything it printed, for messages

  bool accepted() const { return code == "Access-Accept"; }
  bool rejected() const { return code == "Access-Reject"; }
  // The first value of a reply attribute, or "" when absent.
  std::string attr(const std::string& name) const;
};

class FreeRadius {
public:
  // Writes a configuration for rlm_isp.so in module_dir on the ispbox state in state_dir and
  // starts `freeradius -f` (`-X` when ISPBOX_FR_DEBUG is set in the environment), returning once
  // it is ready. Throws std::runtime_error (with the server's log) when it does not start.
  // config_env: extra "K=V" settings for scripts/freeradius-config.sh (e.g.
  // "ISPBOX_FR_REJECT_DELAY=0").
  FreeRadius(const std::filesystem::path& state_dir, const std::filesystem::path& module_dir,
             const std::vector<std::string>& config_env = {});
  ~FreeRadius(); // SIGTERM, then SIGKILL after a grace period
  FreeRadius(const FreeRadius&) = delete;
  FreeRadius& operator=(const FreeRadius&) = delete;

  int authPort() const { return auth_port_; }
  int acctPort() const { return acct_port_; }
  const std::filesystem::path& configDir() const { return config_dir_; }
  const std::filesystem::path& logFile() const { return log_file_; }
  std::string log() const; // the server's log so far
  bool running();          // false once the server has exited
  pid_t pid() const;       // the server's process id (-1 when it is not running)

  // radtest -t method (pap, chap, mschap) to the auth port from 127.0.0.1.
  RadiusReply radtest(const std::string& method, const std::string& user,
                      const std::string& password, const std::string& secret) const;
  // radclient with the given attribute lines (e.g. `User-Name = "alice"`), type "auth", "acct"
  // or "status"; sent to the auth or the acct port as the type requires. One try, 2 s timeout:
  // a dropped request shows as code "" after 2 s.
  RadiusReply radclient(const std::string& type, const std::vector<std::string>& attrs,
                        const std::string& secret) const;
  // One radclient process per request, all started before any is waited for, so the server sees
  // the requests at the same time. Replies in the order of requests.
  std::vector<RadiusReply>
  radclientConcurrently(const std::string& type,
                        const std::vector<std::vector<std::string>>& requests,
                        const std::string& secret) const;

private:
  bool start(std::string* why);
  RadiusReply run(const std::vector<std::string>& argv, const std::string& input) const;
  // The radclient command line for one request (its packet written to a file of its own).
  std::vector<std::string> radclientArgs(const std::string& type,
                                         const std::vector<std::string>& attrs,
                                         const std::string& secret) const;
  // Reads a started client to its end (20 s at most) and parses what it printed.
  RadiusReply collect(Process& client, const std::filesystem::path& stderr_file) const;

  TempDir dir_;
  std::filesystem::path state_dir_, module_dir_, config_dir_, log_file_;
  int auth_port_ = 0, acct_port_ = 0;
  std::vector<std::string> config_env_;
  std::unique_ptr<Process> server_;
  bool exited_ = false; // Process::wait reports an exit only once
};

// A NAS for CoA tests: a second FreeRADIUS listening for CoA-Request and Disconnect-Request
// (`listen { type = coa }`) from 127.0.0.1 with `secret`, logging every request it accepts as one
// line, and answering by the User-Name:
//   "silent..."  no answer at all;           "nak..."  NAK with Error-Cause 503;
//   "coanak..."  NAK a CoA (Error-Cause 401), ACK a Disconnect;   anything else: ACK.
// A request whose authenticator does not verify with the secret is dropped by the server, so an
// ACK is also proof the request was signed right.
class NasStandIn {
public:
  NasStandIn(const std::filesystem::path& module_dir, const std::string& secret);
  ~NasStandIn();
  NasStandIn(const NasStandIn&) = delete;
  NasStandIn& operator=(const NasStandIn&) = delete;

  int port() const { return port_; }
  struct Received {
    std::string type;                         // "CoA-Request", "Disconnect-Request"
    std::map<std::string, std::string> attrs; // present attributes (as FreeRADIUS prints them)
  };
  // Everything received so far, in order.
  std::vector<Received> received() const;
  // Waits until at least n requests were received (up to timeout); returns what was.
  std::vector<Received> waitFor(size_t n, std::chrono::milliseconds timeout) const;
  std::string log() const;

private:
  TempDir dir_;
  std::filesystem::path config_dir_, log_file_, received_file_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

} // namespace ispbox::testutil
