// SPDX-License-Identifier: GPL-2.0-or-later
// Object identifiers of ISPBOX-MIB (agentx/mib/ISPBOX-MIB.txt). The MIB's MODULE-IDENTITY line is
// where the root is decided; kRoot repeats it for the code, and tests/agentx/mib_check.sh fails
// when the two disagree, so moving the root (to a Private Enterprise Number) is one edit in each.
#pragma once

#include <cstddef>
#include <vector>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/types.h>

namespace ispbox::agentx::oids {

// NET-SNMP-MIB::netSnmpPlaypen.2718 = ISPBOX-MIB::ispboxMIB
inline constexpr oid kRoot[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2718};
inline constexpr size_t kRootLen = sizeof(kRoot) / sizeof(kRoot[0]);

// Arcs under the root.
inline constexpr oid kNotifications = 0;
inline constexpr oid kObjects = 1;

// Arcs under ispboxObjects.
inline constexpr oid kSummary = 1;
inline constexpr oid kNasTable = 2;
inline constexpr oid kOltTable = 3;
inline constexpr oid kPonTable = 4;
inline constexpr oid kOnuTable = 5;
inline constexpr oid kSubscriberTable = 6;
inline constexpr oid kSessionTable = 7;
inline constexpr oid kEventObjects = 8;

// ispboxNotifications.N
enum Notification : oid {
  kOnuOffline = 1,
  kOnuLos = 2,
  kOnuDyingGasp = 3,
  kOnuRxOutOfRange = 4,
  kOltUnreachable = 5,
  kNasUnreachable = 6,
  kThresholdExceeded = 7,
  kSubscriberIsolated = 8,
};

// ispboxEventObjects.N
enum EventObject : oid {
  kEventThreshold = 1,
  kEventSubject = 2,
  kEventValue = 3,
  kEventLimit = 4,
  kEventRxLow = 5,
  kEventRxHigh = 6,
};

// root + tail
inline std::vector<oid> under(std::initializer_list<oid> tail) {
  std::vector<oid> v(kRoot, kRoot + kRootLen);
  v.insert(v.end(), tail);
  return v;
}

} // namespace ispbox::agentx::oids
