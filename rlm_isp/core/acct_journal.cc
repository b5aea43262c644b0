// SPDX-License-Identifier: GPL-2.0-or-later
#include "rlm_isp/core/acct_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace ispbox::aaa {
namespace {

constexpr char kMagic[8] = {'I', 'S', 'P', 'A', 'C', 'J', 'N', '1'};

struct HalfHeader {
  char magic[8];
  uint64_t first_seq; // sequence number of the half's first record
  char boot_id[64];   // the boot that wrote it, NUL-padded
};
static_assert(sizeof(HalfHeader) <= AcctJournal::kHeaderBytes);

struct RecordHeader {
  uint32_t length; // payload bytes; written last, so 0 means "no record here (yet)"
  uint32_t zero;
  uint64_t seq;
};
constexpr size_t kRecordHeader = sizeof(RecordHeader);

constexpr size_t padded(size_t n) {
  return (n + 7) & ~size_t{7};
}

std::atomic_ref<uint32_t> lengthAt(char* p) {
  return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(p));
}

} // namespace

std::string AcctJournal::currentBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::unique_ptr<AcctJournal> AcctJournal::open(const std::filesystem::path& file,
                                               std::string boot_id) {
  // Group-writable, as the LMDB files beside it are (the freerad user shares the ispbox group).
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + file.string());
  auto fail = [&](const std::string& what) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), what + " " + file.string());
  };
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) fail("lock");
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("stat");
  // A file of another size is not one we wrote: start empty.
  const bool ours = static_cast<size_t>(st.st_size) == kFileBytes;
  if (!ours && (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, kFileBytes) != 0)) fail("size");
  // Blocks reserved now: a store into a hole of a shared mapping on a full disk is a SIGBUS, not
  // an error; a full disk must turn the journal off here instead.
  if (const int rc = ::posix_fallocate(fd, 0, kFileBytes); rc != 0 && rc != EOPNOTSUPP) {
    errno = rc;
    fail("reserve space for");
  }
  void* map = ::mmap(nullptr, kFileBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) fail("map");
  std::unique_ptr<AcctJournal> j(new AcctJournal(fd, static_cast<char*>(map), std::move(boot_id)));
  if (!ours) return j;

  // Leftovers: each half whose header says this boot, oldest half first.
  struct Found {
    uint64_t first_seq;
    std::vector<std::string_view> records;
  };
  std::vector<Found> found;
  for (int h = 0; h < 2; ++h) {
    HalfHeader hh;
    std::memcpy(&hh, j->half(h), sizeof hh);
    if (std::memcmp(hh.magic, kMagic, sizeof kMagic) != 0) continue;
    hh.boot_id[sizeof hh.boot_id - 1] = '\0';
    size_t end = 0;
    Found f{hh.first_seq, j->scan(h, &end, nullptr)};
    if (f.records.empty()) continue;
    if (j->boot_id_.empty() || j->boot_id_ != hh.boot_id) {
      j->ignored_other_boot_ = true;
      continue;
    }
    found.push_back(std::move(f));
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.first_seq < b.first_seq; });
  for (auto& f : found)
    j->leftover_.insert(j->leftover_.end(), f.records.begin(), f.records.end());
  return j;
}

AcctJournal::AcctJournal(int fd, char* map, std::string boot_id)
    : fd_(fd), map_(map), boot_id_(std::move(boot_id)) {}

AcctJournal::~AcctJournal() {
  ::munmap(map_, kFileBytes);
  ::close(fd_); // drops the lock
}

std::vector<std::string_view> AcctJournal::scan(int h, size_t* end, uint64_t* first_seq) const {
  HalfHeader hh;
  std::memcpy(&hh, half(h), sizeof hh);
  if (first_seq) *first_seq = hh.first_seq;
  std::vector<std::string_view> out;
  char* a = area(h);
  size_t off = 0;
  for (uint64_t expect = hh.first_seq; off + kRecordHeader <= kAreaBytes; ++expect) {
    const uint32_t len = lengthAt(a + off).load(std::memory_order_acquire);
    if (len == 0 || len > kAreaBytes - off - kRecordHeader) break;
    RecordHeader rh;
    std::memcpy(&rh, a + off, sizeof rh);
    if (rh.seq != expect) break;
    out.emplace_back(a + off + kRecordHeader, len);
    off += padded(kRecordHeader + len);
  }
  *end = off;
  return out;
}

void AcctJournal::startHalf(int h) {
  HalfHeader hh{};
  std::memcpy(hh.magic, kMagic, sizeof kMagic);
  hh.first_seq = next_seq_;
  std::memcpy(hh.boot_id, boot_id_.data(), std::min(boot_id_.size(), sizeof hh.boot_id - 1));
  std::memcpy(half(h), &hh, sizeof hh);
}

void AcctJournal::reset() {
  std::lock_guard lock(mutex_);
  leftover_.clear();
  std::memset(map_, 0, kFileBytes);
  active_ = 0;
  used_ = 0;
  sealed_ = -1;
  sealed_used_ = 0;
  startHalf(0);
}

bool AcctJournal::append(std::string_view payload, size_t* active_bytes) {
  const size_t need = padded(kRecordHeader + payload.size());
  std::lock_guard lock(mutex_);
  if (active_bytes) *active_bytes = used_;
  if (payload.empty() || need > kAreaBytes - used_) return false;
  char* p = area(active_) + used_;
  const RecordHeader rh{0, 0, next_seq_};
  std::memcpy(p, &rh, sizeof rh);
  std::memcpy(p + kRecordHeader, payload.data(), payload.size());
  // Last, so that a process reading the file after this one died sees whole records only.
  lengthAt(p).store(static_cast<uint32_t>(payload.size()), std::memory_order_release);
  used_ += need;
  ++next_seq_;
  if (active_bytes) *active_bytes = used_;
  return true;
}

std::vector<std::string_view> AcctJournal::seal() {
  std::lock_guard lock(mutex_);
  if (sealed_ >= 0) throw std::logic_error("accounting journal: sealed twice without release");
  if (used_ == 0) return {};
  size_t end = 0;
  auto records = scan(active_, &end, nullptr);
  sealed_ = active_;
  sealed_used_ = used_;
  active_ ^= 1;
  used_ = 0;
  startHalf(active_); // its records were zeroed when it was released
  return records;
}

void AcctJournal::release() {
  std::lock_guard lock(mutex_);
  if (sealed_ < 0) return;
  std::memset(area(sealed_), 0, sealed_used_);
  std::memset(half(sealed_), 0, sizeof(HalfHeader));
  sealed_ = -1;
  sealed_used_ = 0;
}

} // namespace ispbox::aaa
