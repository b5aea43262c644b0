// SPDX-License-Identifier: GPL-2.0-or-later
// A private snmpsimd (Debian's snmpsim) playing an OLT in tests: its own data directory, a free
// UDP port on 127.0.0.1, stopped by PID. Data files are <community>.snmprec in dataDir().
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"
#include "tests/testutil/process.h"

namespace ispbox::testutil {

class SnmpSim {
public:
  // dir: a private directory (made readable to the unprivileged user snmpsimd runs as).
  explicit SnmpSim(std::filesystem::path dir);
  ~SnmpSim();
  const std::filesystem::path& dataDir() const { return data_; }
  // Starts snmpsimd and waits until `community` answers (or fails the test). extra: more
  // snmpsimd options (--v3-user=..., --variation-modules-dir=...).
  bool start(const std::string& community = "public", std::vector<std::string> extra = {});
  void stop();
  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

private:
  std::filesystem::path dir_, data_, cache_;
  int port_ = 0;
  std::unique_ptr<Process> proc_;
};

// Runs tests/olt/gen_zte_snmprec.py with args; true on success.
bool generateZte(const std::vector<std::string>& args);
// Runs tests/olt/gen_vendor_snmprec.py (V-SOL, BDCOM, C-Data) with args; true on success.
bool generateVendor(const std::vector<std::string>& args);
// Copies an .snmprec file in numeric OID order (what snmpsimd needs for GETNEXT/GETBULK).
bool sortSnmprec(const std::filesystem::path& from, const std::filesystem::path& to);
// Runs io until done() holds or `limit` passes; done()'s last answer.
bool runUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::seconds limit = std::chrono::seconds(90));
// The repository root (from this file's location at build time).
std::filesystem::path sourceDir();
// ../shared/research relative to the repository root, or empty when absent.
std::filesystem::path researchDir();

} // namespace ispbox::testutil
