// SPDX-License-Identifier: GPL-2.0-or-later
// routeros_sim: the RouterOS simulator as a process, for python3-librouteros and the benchmark.
//   routeros_sim [--rest] [--tls DIR] [--legacy-login] [--empty] [--ppp N] [--monitor-ms N]
//                [--delay-ms N] [--user U] [--password P]
// Prints "PORT <n>" (and "CERT <file>" with --tls) on stdout, then serves until stdin closes or
// SIGTERM.
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <poll.h>
#include <string>
#include <unistd.h>

#include "tests/routeros/sim/simulator.h"

int main(int argc, char** argv) {
  using namespace ispbox::routeros::sim;
  SimOptions opt;
  size_t ppp = 10;
  std::string tls_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(64);
      }
      return argv[++i];
    };
    if (a == "--rest")
      opt.rest = true;
    else if (a == "--tls")
      tls_dir = value();
    else if (a == "--legacy-login")
      opt.legacy_login = true;
    else if (a == "--empty")
      opt.send_empty = true;
    else if (a == "--ppp")
      ppp = std::stoul(value());
    else if (a == "--monitor-ms")
      opt.monitor_interval = std::chrono::milliseconds(std::stoul(value()));
    else if (a == "--delay-ms")
      opt.reply_delay = std::chrono::milliseconds(std::stoul(value()));
    else if (a == "--user")
      opt.username = value();
    else if (a == "--password")
      opt.password = value();
    else {
      std::cerr << "unknown option " << a << "\n";
      return 64;
    }
  }
  if (!tls_dir.empty()) {
    auto files = writeSelfSignedCert(tls_dir);
    opt.tls = true;
    opt.cert_file = files.cert;
    opt.key_file = files.key;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr); // threads started below inherit the mask
  Simulator sim(opt);
  sim.populate(ppp);
  std::cout << "PORT " << sim.port() << std::endl;
  if (opt.tls) std::cout << "CERT " << opt.cert_file << std::endl;
  // Until stdin closes or a signal comes.
  for (;;) {
    struct timespec ts {
      0, 200 * 1000 * 1000
    };
    siginfo_t info;
    if (sigtimedwait(&set, &info, &ts) > 0) break;
    pollfd p{0, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) {
      char buf[256];
      if (read(0, buf, sizeof buf) <= 0) break;
    }
  }
  return 0;
}
