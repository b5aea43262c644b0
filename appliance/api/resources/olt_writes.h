// SPDX-License-Identifier: GPL-2.0-or-later
// What the OLT resources need from ispboxd's poller: SNMP writes on an OLT and a prompt re-poll.
// The API server runs without a poller in some tests; then writes answer 503.
#pragma once

#include <string>

#include "drivers/olt/driver.h"

namespace ispbox::api {

struct OltWriteOutcome {
  enum class Status { Ok, NotSupported, NoSuchOlt, NotReady, Failed, Timeout };
  Status status = Status::Failed;
  std::string message;
};

class OltWrites {
public:
  virtual ~OltWrites() = default;
  virtual OltWriteOutcome writeOnu(const std::string& olt_id, const olt::WriteRequest& w) = 0;
  virtual void pollSoon(const std::string& olt_id) = 0;
};

} // namespace ispbox::api
