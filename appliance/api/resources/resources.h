// SPDX-License-Identifier: GPL-2.0-or-later
// The admin API's resources, one file each. Each adds its routes to the router.
#pragma once

#include <cstdint>
#include <string>

#include "appliance/api/router.h"
#include "store/env.h"

namespace ispbox::api {

class OltWrites;

struct ApiContext {
  store::Env& env;
  int64_t started_at = 0; // Unix seconds
  std::string version;
  OltWrites* olt_writes = nullptr; // ispboxd's OLT poller; set before the server starts
};

void addSystemRoutes(Router& router, ApiContext& ctx);
void addPlanRoutes(Router& router, ApiContext& ctx);
void addSubscriberRoutes(Router& router, ApiContext& ctx);
void addNasRoutes(Router& router, ApiContext& ctx);
void addTokenRoutes(Router& router, ApiContext& ctx);
void addAuditRoutes(Router& router, ApiContext& ctx);
void addSessionRoutes(Router& router, ApiContext& ctx);
void addPoolRoutes(Router& router, ApiContext& ctx);
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
  addOltRoutes(router, ctx);
}

} // namespace ispbox::api
