// SPDX-License-Identifier: GPL-2.0-or-later
// Starting and stopping real processes from tests, by PID, with their output captured.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ispbox::testutil {

class Process {
public:
  // Starts argv[0] (a path) with argv; stdout is readable through readLine(), stderr goes to
  // stderr_path when given (else inherited). env entries "K=V" are added to the environment.
  Process(const std::vector<std::string>& argv, const std::string& stderr_path = "",
          const std::vector<std::string>& env = {});
  ~Process(); // SIGKILLs and reaps the process if it is still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Next line of stdout, or nullopt on EOF or timeout.
  std::optional<std::string> readLine(std::chrono::milliseconds timeout);
  void kill(int sig);
  // Waits for exit; returns the wait status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0, then released).
int freeTcpPort();
// The same for UDP.
int freeUdpPort();
// A listening TCP socket on 127.0.0.1 (any free port) that nobody accepts on. An answering one
// completes handshakes (the kernel does), which is all a reachability probe asks. A silent one
// has its accept queue filled at once, so the kernel drops further SYNs: a connect to it times out
// as to a host that is down, and unlike a closed port it sends no RST.
class TcpListener {
public:
  explicit TcpListener(bool silent = false);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  int port() const { return port_; }

private:
  int fd_ = -1, port_ = 0;
  std::vector<int> fillers_;
};

// The directory holding the test binaries' sibling programs (set by CMake as ISPBOX_BUILD_DIR).
std::string buildDir();

} // namespace ispbox::testutil
