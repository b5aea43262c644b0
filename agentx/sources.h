// SPDX-License-Identifier: GPL-2.0-or-later
// What the subagent serves, as plain data. The MIB layer (mib.h) only ever sees these types, never
// the store or a device driver, so the tables can be filled from the store (store_reader.h,
// device_reader.h) or from generated rows (bench).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ispbox::agentx {

// Values match the MIB's enumerations.
enum class Reachability : int32_t { Unknown = 1, Reachable = 2, Unreachable = 3 };
enum class PonState : int32_t { Unknown = 1, Up = 2, Down = 3 };
enum class OnuState : int32_t { Unknown = 1, Online = 2, Offline = 3, Los = 4, DyingGasp = 5 };
enum class SubscriberState : int32_t {
  Active = 1,
  Suspended = 2,
  Isolated = 3,
  Terminated = 4,
  Unknown = 5
};

// IspboxHundredthsDbm's "no reading".
inline constexpr int32_t kNoReading = INT32_MIN;

struct NasInfo {
  std::string name;
  std::string ip;
  std::string vendor;
  std::string description;
};

struct SubscriberInfo {
  std::string username;
  std::string plan;
  std::string external_id;
  SubscriberState state = SubscriberState::Unknown;
};

struct UsageInfo {
  uint64_t today_down = 0, today_up = 0, month_down = 0, month_up = 0;
};

struct SessionInfo {
  std::string nas_ip;
  std::string id; // Acct-Session-Id, raw octets
  std::string username;
  std::string framed_ip;
  std::string calling_station;
  uint32_t uptime_s = 0;
  uint64_t input_octets = 0, output_octets = 0;
};

struct OltInfo {
  uint32_t index = 0; // stable, >= 1
  std::string name, address, vendor, model;
  Reachability state = Reachability::Unknown;
};

struct PonInfo {
  uint32_t olt = 0, pon = 0; // pon >= 1
  std::string name;
  PonState state = PonState::Unknown;
};

struct OnuInfo {
  uint32_t olt = 0, pon = 0, onu = 0;
  std::string serial;
  OnuState state = OnuState::Unknown;
  int32_t rx_cdbm = kNoReading, tx_cdbm = kNoReading, olt_rx_cdbm = kNoReading;
  uint32_t distance_m = 0;
  std::string subscriber;
};

// Device state that the controller polls: OLTs, their PON ports and ONUs, and NAS reachability.
struct DeviceSnapshot {
  // true: the lists hold every OLT with its ports and ONUs, and anything not in them is gone.
  // false: only the OLTs numbered in olts_replaced changed; their rows are replaced by what the
  // lists hold for them (an OLT listed there but absent from `olts` is gone with its rows), and
  // every other OLT's rows stay as they are.
  bool full = true;
  std::vector<uint32_t> olts_replaced;
  std::vector<OltInfo> olts;
  std::vector<PonInfo> pons;
  std::vector<OnuInfo> onus;
  std::vector<std::pair<std::string, Reachability>> nas_states; // NAS name -> state, always all
};

// Called on the agent's refresh timer, on the agent thread: must be quick and must not block on
// the network. Fills *out and returns true, or returns false when nothing changed since the
// previous call.
class DeviceSource {
public:
  virtual ~DeviceSource() = default;
  virtual bool poll(DeviceSnapshot* out) = 0;
  // After a failed poll: the next one starts over with a full snapshot.
  virtual void reset() {}
};

} // namespace ispbox::agentx
