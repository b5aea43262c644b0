// SPDX-License-Identifier: GPL-2.0-or-later
// rlm_isp's accounting journal: Interim-Updates answered before their LMDB commit.
//
// An fsync'd LMDB commit before each answer costs FreeRADIUS about as much CPU again as the packet
// itself: every worker sleeps until its group's commit returns. An Interim-Update does not need
// the fsync. Its counters are cumulative, so an update a power cut loses is made good by the
// session's next Interim-Update or Stop, and no usage is lost. What an answered update does need
// is to outlive radiusd being killed. This journal gives that: records go into a shared mapping of
// a file in the state directory, which stays in the page cache when the process dies, and the
// next process to open the journal applies them. It is never fsynced, and it is ignored after a
// reboot (another boot id), when its pages may be torn.
//
// The file holds two halves; records are appended to the active one. seal() makes the other half
// active and returns the sealed records; the caller commits them to LMDB, then release()s the
// half. A record is a 16-byte header (length, written last; sequence number) and the payload,
// padded to 8 bytes. Everything past the last record is zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ispbox::aaa {

class AcctJournal {
public:
  static constexpr size_t kHeaderBytes = 4096;          // per half
  static constexpr size_t kAreaBytes = size_t{4} << 20; // records per half: ~20,000 updates
  static constexpr size_t kFileBytes = 2 * (kHeaderBytes + kAreaBytes);

  // Maps `file` (created if absent) and locks it for this process. Throws std::system_error;
  // EWOULDBLOCK: another process (a second radiusd on the same state) holds it. `boot_id`
  // identifies this boot (default: the kernel's): records of another boot are not recovered.
  static std::unique_ptr<AcctJournal> open(const std::filesystem::path& file,
                                           std::string boot_id = currentBootId());
  ~AcctJournal();
  AcctJournal(const AcctJournal&) = delete;
  AcctJournal& operator=(const AcctJournal&) = delete;

  // What the file held when opened, oldest first (valid until reset()), and whether records of
  // another boot were found and ignored.
  const std::vector<std::string_view>& leftover() const { return leftover_; }
  bool ignoredOtherBoot() const { return ignored_other_boot_; }
  // Empties both halves, leftovers included. Call once they are committed, before any append.
  void reset();

  // Appends a record to the active half; false when it is full. *active_bytes (if given): the
  // bytes the active half holds now. Thread-safe.
  bool append(std::string_view payload, size_t* active_bytes = nullptr);
  // The active half's records, oldest first; later appends go to the other half. The views stay
  // valid until release(). Throws std::logic_error when the previous seal was not released.
  std::vector<std::string_view> seal();
  // The sealed records are committed: their half is emptied for reuse.
  void release();

  static std::string currentBootId();

private:
  AcctJournal(int fd, char* map, std::string boot_id);
  char* half(int h) const { return map_ + h * (kHeaderBytes + kAreaBytes); }
  char* area(int h) const { return half(h) + kHeaderBytes; }
  void startHalf(int h); // writes a fresh header: this boot, first_seq = next_seq_
  // The records of half h from its header on, up to the first gap; *end: bytes they use.
  std::vector<std::string_view> scan(int h, size_t* end, uint64_t* first_seq) const;

  int fd_;
  char* map_;
  std::string boot_id_;
  std::vector<std::string_view> leftover_;
  bool ignored_other_boot_ = false;

  std::mutex mutex_;
  int active_ = 0;
  size_t used_ = 0;        // bytes of records in the active half
  int sealed_ = -1;        // the half handed out by seal(), until release()
  size_t sealed_used_ = 0; // its bytes, zeroed at release()
  uint64_t next_seq_ = 1;
};

} // namespace ispbox::aaa
