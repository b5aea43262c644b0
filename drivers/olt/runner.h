// SPDX-License-Identifier: GPL-2.0-or-later
// Executes a driver's plan through an SNMP session: the GET, the GETNEXT-style probes and every
// table walk are started at once and the session keeps them within its in-flight limit.
#pragma once

#include <functional>
#include <memory>

#include "drivers/olt/driver.h"
#include "drivers/snmp/snmp.h"

namespace ispbox::olt {

using PlanHandler = std::function<void(snmp::Result<Collected>)>;

// The handler runs once, on the SNMP strand. Any failed request fails the whole plan: a class is
// stored whole or not at all.
void runPlan(const std::shared_ptr<snmp::Session>& session, const Plan& plan, PlanHandler done);

} // namespace ispbox::olt
