// SPDX-License-Identifier: GPL-2.0-or-later
// The admin API's resources, one file each. Each adds its routes to the router.
#pragma once

#include <cstdint>
#include <string>

#include "appliance/api/router.h"
#include "store/env.h"

namespace ispbox::routeros {
class Service;
}

namespace ispbox::api {

// What the API asks of whatever pushes billing state to live sessions (ispboxd's enforcer).
// Calls come from API worker threads; an implementation hands them to its own loop.
class SessionControl {
public:
  virtual ~SessionControl() = default;
  // A write committed: look at the change log now rather than at the next poll.
  virtual void changed() = 0;
  // Sends a Disconnect-Request for every live session of the subscriber. Returns how many.
  virtual size_t disconnect(const std::string& username, const std::string& actor,
                            const std::string& reason) = 0;
};
class OltWrites;

struct ApiContext {
  store::Env& env;
  int64_t started_at = 0; // Unix seconds
  std::string version;
  SessionControl* sessions = nullptr;    // null when nothing enforces (tests of the API alone)
  routeros::Service* routeros = nullptr; // the RouterOS features; null = not running (503)
  OltWrites* olt_writes = nullptr;       // ispboxd's OLT poller; set before the server starts
};

void addSystemRoutes(Router& router, ApiContext& ctx);
void addPlanRoutes(Router& router, ApiContext& ctx);
void addSubscriberRoutes(Router& router, ApiContext& ctx);
void addNasRoutes(Router& router, ApiContext& ctx);
void addTokenRoutes(Router& router, ApiContext& ctx);
void addAuditRoutes(Router& router, ApiContext& ctx);
void addSessionRoutes(Router& router, ApiContext& ctx);
void addPoolRoutes(Router& router, ApiContext& ctx);
void addSubscriberActionRoutes(Router& router, ApiContext& ctx);
void addVoucherRoutes(Router& router, ApiContext& ctx);
void addRouterOsRoutes(Router& router, ApiContext& ctx);
void addOltRoutes(Router& router, ApiContext& ctx);

inline void addAllRoutes(Router& router, ApiContext& ctx) {
  addSystemRoutes(router, ctx);
  addPlanRoutes(router, ctx);
  addSubscriberRoutes(router, ctx);
  addNasRoutes(router, ctx);
  addTokenRoutes(router, ctx);
  addAuditRoutes(router, ctx);
  addSessionRoutes(router, ctx);
  addPoolRoutes(router, ctx);
  addSubscriberActionRoutes(router, ctx);
  addVoucherRoutes(router, ctx);
  addRouterOsRoutes(router, ctx);
  addOltRoutes(router, ctx);
}

} // namespace ispbox::api
