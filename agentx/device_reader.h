// SPDX-License-Identifier: GPL-2.0-or-later
// The subagent's DeviceSource on the store: OLTs, PON ports and ONUs as ispboxd's OLT poller
// wrote them (store/olt.h), and NAS reachability as its NAS probe wrote it (pb::NasStatus).
//
// Each poll is one short read transaction, and costs one mdb_txn_id when the store did not move.
// The poller writes ONU readings without change entries (one per ONU per poll would flood the
// log), but every poll rewrites the OLT's status record in the same transaction; so an OLT is read
// again when its status record's bytes changed, or when the change sequence names it or one of
// its ONUs (API renames, subscriber links, deletions). Only those OLTs go into the snapshot
// (DeviceSnapshot.full = false); the first poll, or a reader that fell behind the trimmed change
// log, reads everything. NAS states are read again when the change sequence names one.
//
// Numbers: ispboxOltIndex is the OLT record's snmp_index (given once by the store, never reused);
// ispboxPonIndex is olt::ponSnmpIndex (the vendor's interface index of the port).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agentx/sources.h"
#include "store/codec.h"
#include "store/env.h"

namespace ispbox::agentx {

class StoreDeviceSource : public DeviceSource {
public:
  explicit StoreDeviceSource(const store::Env& env) : env_(env) {}
  bool poll(DeviceSnapshot* out) override;
  void reset() override { loaded_ = false; }

private:
  struct Seen {
    uint32_t index = 0;
    size_t olt_hash = 0, status_hash = 0;
  };
  // Appends one OLT's rows (and its OltInfo) to the snapshot.
  void readOlt(const store::ReadTxn& txn, const store::pb::Olt& olt, DeviceSnapshot* out);
  void readNas(const store::ReadTxn& txn);

  const store::Env& env_;
  bool loaded_ = false;
  uint64_t seq_ = 0;
  size_t txn_id_ = 0;
  std::map<std::string, Seen> olts_; // by OLT id: what was served
  std::vector<std::pair<std::string, Reachability>> nas_;
  std::set<std::string> warned_; // OLT ids logged as unservable
};

// Store values -> MIB values.
OnuState onuState(const store::pb::Onu& onu);
int32_t hundredthsDbm(bool has, double dbm); // kNoReading when !has

} // namespace ispbox::agentx
