// SPDX-License-Identifier: GPL-2.0-or-later
#include "tests/olt/snmpsim.h"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#ifndef ISPBOX_SOURCE_DIR
#error "ISPBOX_SOURCE_DIR must be defined by CMake"
#endif

namespace ispbox::testutil {

namespace fs = std::filesystem;

fs::path sourceDir() {
  return ISPBOX_SOURCE_DIR;
}

fs::path researchDir() {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(sourceDir() / ".." / "shared" / "research", ec);
  if (ec || !fs::is_directory(p)) return {};
  return p;
}

namespace {
bool runGenerator(const char* script, const std::vector<std::string>& args) {
  std::string cmd = "python3 '" + (sourceDir() / "tests/olt" / script).string() + "'";
  for (const auto& a : args)
    cmd += " '" + a + "'";
  cmd += " 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}
} // namespace

bool generateZte(const std::vector<std::string>& args) {
  return runGenerator("gen_zte_snmprec.py", args);
}

bool generateVendor(const std::vector<std::string>& args) {
  return runGenerator("gen_vendor_snmprec.py", args);
}

bool runUntil(asio::io_context& io, const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(50));
  return done();
}

bool sortSnmprec(const fs::path& from, const fs::path& to) {
  const std::string cmd = "python3 -c 'import sys\n"
                          "rows=[l for l in open(sys.argv[1], errors=\"surrogateescape\") if "
                          "\"|\" in l]\n"
                          "rows.sort(key=lambda l: tuple(int(x) for x in l.split(\"|\")[0]"
                          ".strip(\".\").split(\".\")))\n"
                          "open(sys.argv[2], \"w\", errors=\"surrogateescape\")"
                          ".writelines(rows)' '" +
                          from.string() + "' '" + to.string() + "'";
  return std::system(cmd.c_str()) == 0;
}

SnmpSim::SnmpSim(fs::path dir) : dir_(std::move(dir)) {
  data_ = dir_ / "data";
  cache_ = dir_ / "cache";
  fs::create_directories(data_);
  fs::create_directories(cache_);
  // snmpsimd drops to nobody when started as root: it must read the data and write its index,
  // so the private directory (and the temporary directory above it) must be traversable.
  fs::permissions(dir_.parent_path(), fs::perms::others_exec | fs::perms::group_exec,
                  fs::perm_options::add);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(data_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(cache_, fs::perms::all);
}

SnmpSim::~SnmpSim() {
  stop();
}

bool SnmpSim::start(const std::string& community, std::vector<std::string> extra) {
  for (const auto& e : fs::directory_iterator(data_))
    fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write |
                                  fs::perms::group_read | fs::perms::others_read);
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = freeUdpPort();
    std::vector<std::string> argv = {
        "/usr/bin/snmpsimd", "--data-dir=" + data_.string(), "--cache-dir=" + cache_.string(),
        "--agent-udpv4-endpoint=" + endpoint(), "--logging-method=null"};
    if (geteuid() == 0) {
      argv.push_back("--process-user=nobody");
      argv.push_back("--process-group=nogroup");
    }
    for (auto& e : extra)
      argv.push_back(e);
    proc_ = std::make_unique<Process>(argv, (dir_ / "snmpsimd.log").string());
    // Ready when it answers: indexing a large recording takes a few seconds.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (proc_->wait(std::chrono::milliseconds(0))) break; // exited (port taken?)
      const std::string cmd = "snmpget -v2c -c '" + community + "' -t 0.3 -r 0 -On " + endpoint() +
                              " 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1";
      if (std::system(cmd.c_str()) == 0) return true;
      if (community.empty()) {
        // v3-only agents: just give it time to start.
        std::this_thread::sleep_for(std::chrono::seconds(3));
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    proc_.reset();
  }
  return false;
}

void SnmpSim::stop() {
  if (!proc_) return;
  proc_->kill(SIGTERM);
  if (!proc_->wait(std::chrono::seconds(5))) proc_->kill(SIGKILL);
  proc_.reset();
}

} // namespace ispbox::testutil
