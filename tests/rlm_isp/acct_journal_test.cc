// SPDX-License-Identifier: GPL-2.0-or-later
// rlm_isp's accounting journal (rlm_isp/core/acct_journal.h): records survive the object (the
// process) that wrote them, in order, whole or not at all; another boot's are ignored; a file
// that is not ours, or is damaged, never crashes the reader.
#include "rlm_isp/core/acct_journal.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "tests/testutil/temp_dir.h"

namespace ispbox::aaa {
namespace {

using Records = std::vector<std::string>;

Records copy(const std::vector<std::string_view>& views) {
  return Records(views.begin(), views.end());
}

class AcctJournalTest : public ::testing::Test {
protected:
  std::unique_ptr<AcctJournal> open(const std::string& boot = "boot-a") {
    return AcctJournal::open(file_, boot);
  }
  // A journal as a fresh server leaves it: leftovers applied, emptied.
  std::unique_ptr<AcctJournal> fresh(const std::string& boot = "boot-a") {
    auto j = open(boot);
    j->reset();
    return j;
  }
  void overwrite(off_t at, const void* bytes, size_t n) {
    const int fd = ::open(file_.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes, n, at), static_cast<ssize_t>(n));
    ::close(fd);
  }

  testutil::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "acct.journal";
};

TEST_F(AcctJournalTest, SealHandsOverTheRecordsInOrderAndAppendsGoOn) {
  auto j = fresh();
  size_t used = 0;
  ASSERT_TRUE(j->append("one", &used));
  EXPECT_EQ(used, 24u); // 16 bytes of header and 3 of payload, padded to 8
  ASSERT_TRUE(j->append("two", &used));
  EXPECT_EQ(used, 48u);
  const Records first = copy(j->seal());
  EXPECT_EQ(first, (Records{"one", "two"}));
  ASSERT_TRUE(j->append("three", &used)); // while the sealed half is being committed
  EXPECT_EQ(used, 24u) << "appends after a seal start an empty half";
  EXPECT_THROW(j->seal(), std::logic_error) << "a second seal before release would lose records";
  j->release();
  EXPECT_EQ(copy(j->seal()), (Records{"three"}));
  j->release();
  EXPECT_TRUE(j->seal().empty());
}

TEST_F(AcctJournalTest, WhatADeadWriterLeftIsFoundInOrderAcrossBothHalves) {
  {
    auto j = fresh();
    ASSERT_TRUE(j->append("a1"));
    ASSERT_TRUE(j->append("a2"));
    ASSERT_EQ(j->seal().size(), 2u); // sealed, never released: died during the commit
    ASSERT_TRUE(j->append("b1"));
  } // the process "dies": the file keeps what was written
  auto j = open();
  EXPECT_EQ(copy(j->leftover()), (Records{"a1", "a2", "b1"}));
  EXPECT_FALSE(j->ignoredOtherBoot());
  j->reset();
  EXPECT_TRUE(j->leftover().empty());
  j.reset();
  EXPECT_TRUE(open()->leftover().empty()) << "reset must empty the file, not only the object";
}

TEST_F(AcctJournalTest, ReleasedRecordsAreNotFoundAgain) {
  {
    auto j = fresh();
    ASSERT_TRUE(j->append("committed"));
    ASSERT_EQ(j->seal().size(), 1u);
    j->release();
    ASSERT_TRUE(j->append("pending"));
  }
  EXPECT_EQ(copy(open()->leftover()), (Records{"pending"}));
}

TEST_F(AcctJournalTest, AnotherBootsRecordsAreIgnored) {
  {
    auto j = fresh("boot-a");
    ASSERT_TRUE(j->append("before the power cut"));
  }
  auto j = open("boot-b");
  EXPECT_TRUE(j->leftover().empty());
  EXPECT_TRUE(j->ignoredOtherBoot());
}

TEST_F(AcctJournalTest, ASecondWriterIsRefused) {
  auto j = fresh();
  try {
    AcctJournal::open(file_, "boot-a");
    FAIL() << "a second open of a locked journal succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::resource_unavailable_try_again) << e.what();
  }
}

TEST_F(AcctJournalTest, AFullHalfRefusesAppends) {
  auto j = fresh();
  const std::string record(1000, 'x');
  size_t n = 0;
  while (j->append(record))
    ++n;
  // 1000 bytes + 16 of header, padded to 8: 1016 bytes each.
  EXPECT_EQ(n, AcctJournal::kAreaBytes / 1016);
  EXPECT_FALSE(j->append("")) << "an empty record would read as the end";
  EXPECT_EQ(j->seal().size(), n);
  EXPECT_TRUE(j->append(record)) << "the other half takes appends once sealed";
}

TEST_F(AcctJournalTest, ARecordWhoseLengthWasNotWrittenEndsTheLeftovers) {
  {
    auto j = fresh();
    ASSERT_TRUE(j->append("whole"));
    ASSERT_TRUE(j->append("torn"));
    ASSERT_TRUE(j->append("after"));
  }
  // The second record's length: header 4096, first record 16 + 5 padded to 24.
  const uint32_t zero = 0;
  overwrite(AcctJournal::kHeaderBytes + 24, &zero, sizeof zero);
  EXPECT_EQ(copy(open()->leftover()), (Records{"whole"}));
}

TEST_F(AcctJournalTest, ALengthBeyondTheFileOrABadSequenceEndsTheLeftovers) {
  {
    auto j = fresh();
    ASSERT_TRUE(j->append("first"));
    ASSERT_TRUE(j->append("second"));
  }
  const uint32_t huge = 0xfffffff0;
  overwrite(AcctJournal::kHeaderBytes, &huge, sizeof huge);
  EXPECT_TRUE(open()->leftover().empty());

  {
    auto j = fresh();
    ASSERT_TRUE(j->append("first"));
    ASSERT_TRUE(j->append("second"));
  }
  const uint64_t wrong_seq = 99;
  overwrite(AcctJournal::kHeaderBytes + 24 + 8, &wrong_seq, sizeof wrong_seq);
  EXPECT_EQ(copy(open()->leftover()), (Records{"first"}));
}

TEST_F(AcctJournalTest, AFileThatIsNotAJournalIsStartedAfresh) {
  { std::ofstream(file_) << "not a journal"; }
  auto j = open();
  EXPECT_TRUE(j->leftover().empty());
  j->reset();
  ASSERT_TRUE(j->append("works"));
  EXPECT_EQ(std::filesystem::file_size(file_), AcctJournal::kFileBytes);
}

TEST_F(AcctJournalTest, RandomBytesOfTheRightSizeNeverCrashTheReader) {
  std::mt19937_64 rng(20261122);
  for (int round = 0; round < 20; ++round) {
    {
      auto j = fresh();
      for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(j->append("record " + std::to_string(i)));
    }
    // Scribble over the headers and the first records, as a torn write after a crash might.
    std::vector<unsigned char> noise(256);
    for (auto& b : noise)
      b = static_cast<unsigned char>(rng());
    const off_t at = static_cast<off_t>(rng() % (AcctJournal::kHeaderBytes + 2048));
    overwrite(at, noise.data(), noise.size());
    auto j = open();
    EXPECT_LE(j->leftover().size(), 50u);
    for (const auto& r : j->leftover())
      EXPECT_LE(r.size(), AcctJournal::kAreaBytes);
  }
}

} // namespace
} // namespace ispbox::aaa
