// SPDX-License-Identifier: GPL-2.0-or-later
// What ispbox asks of a MikroTik router, as calls on a Client (binary API or REST alike). Every
// print names the columns it uses: the lists below are the single place they are chosen.
//
// All handlers run on the client's executor. removeSession() is the call CoA/Disconnect falls
// back to when a router does not act on a RADIUS Disconnect-Request.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "drivers/routeros/client.h"

namespace ispbox::routeros {

namespace props {
extern const std::vector<std::string> kPppActive;     // .id name service caller-id address uptime
extern const std::vector<std::string> kHotspotActive; // .id user address mac-address uptime ...
extern const std::vector<std::string> kInterface;     // .id name type running disabled rx/tx
extern const std::vector<std::string> kSimpleQueue;   // .id name target max-limit rate disabled
extern const std::vector<std::string> kAddressList;   // .id list address comment
extern const std::vector<std::string> kResource;      // cpu-load memory uptime version board
} // namespace props

Command pppActivePrint();
Command hotspotActivePrint();
Command interfacePrint();
Command simpleQueuePrint();
Command resourcePrint();

enum class SessionKind { Any, Ppp, Hotspot };
struct SessionTarget {
  std::string username; // PPP "name" / hotspot "user"
  std::string address;  // optional: only the session with this address
  SessionKind kind = SessionKind::Any;
};
// Removes the live sessions of a subscriber (PPP active and/or hotspot active). The handler gets
// how many were removed (0 is not an error: the subscriber was not online).
using CountHandler = std::function<void(const Error&, size_t removed)>;
void removeSession(Client& client, const SessionTarget& target, CountHandler handler);

// Sets max-limit ("upload/download" in bits per second, as RouterOS writes it) of the simple
// queue with this name, creating the queue for target when there is none.
using DoneHandler = std::function<void(const Error&)>;
void setQueueMaxLimit(Client& client, const std::string& queue, const std::string& target,
                      const std::string& max_limit, DoneHandler handler);
// Adds address to a firewall address list (nothing when it is there); removes every entry of
// address from the list.
void addressListAdd(Client& client, const std::string& list, const std::string& address,
                    const std::string& comment, DoneHandler handler);
void addressListRemove(Client& client, const std::string& list, const std::string& address,
                       DoneHandler handler);

// "max-limit" as RouterOS prints it ("10M/20M", "10000000/20000000", "0/0") -> bits per second.
bool parseRate(const std::string& text, uint64_t* bps);
std::string formatRateForRouter(uint64_t upload_bps, uint64_t download_bps);
// 12345678 -> "12.3 Mbps"
std::string humanRate(double bps);

} // namespace ispbox::routeros
