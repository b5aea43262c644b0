// SPDX-License-Identifier: GPL-2.0-or-later
// Voucher batches and vouchers in the store: code alphabet and uniqueness (against vouchers and
// subscribers, with collisions forced through the generator seam), a full batch in one
// transaction, activation once, states from time and usage, revoke and delete rules, and the
// guards on subscribers and plans that vouchers need.
#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "store/entities.h"
#include "store/env.h"
#include "store/logs.h"
#include "store/sessions.h"
#include "store/vouchers.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::store {
namespace {

using testutil::TempDir;
constexpr int64_t kNow = 1795000000;

class StoreVouchers : public ::testing::Test {
protected:
  StoreVouchers() {
    EnvOptions opts;
    opts.dir = dir_.path();
    env_ = Env::open(opts);
    auto txn = env_->write();
    pb::Plan p;
    p.set_name("hotspot-1h");
    p.set_download_bps(5000000);
    p.set_upload_bps(1000000);
    putPlan(txn, p, WriteMode::Create);
    txn.commit();
  }

  template <class Fn> auto inWrite(Fn&& fn) {
    auto txn = env_->write();
    auto commit = [&] { txn.commit(); };
    if constexpr (std::is_void_v<decltype(fn(txn))>) {
      fn(txn);
      commit();
    } else {
      auto r = fn(txn);
      commit();
      return r;
    }
  }

  VoucherBatchSpec spec(uint32_t count) {
    VoucherBatchSpec s;
    s.count = count;
    s.plan = "hotspot-1h";
    s.prefix = "HS-";
    s.length = 8;
    s.validity_s = 3600;
    return s;
  }

  CreatedBatch create(const VoucherBatchSpec& s, int64_t now = kNow) {
    return inWrite([&](WriteTxn& txn) { return createVoucherBatch(txn, s, now); });
  }

  pb::Voucher voucher(const std::string& code) {
    auto txn = env_->read();
    auto v = getVoucher(txn, code);
    EXPECT_TRUE(v) << code;
    return v.value_or(pb::Voucher{});
  }

  VoucherStatus status(const std::string& code, int64_t now) {
    auto txn = env_->read();
    auto v = getVoucher(txn, code);
    return voucherStatus(*v, voucherUsage(txn, code), now);
  }

  TempDir dir_;
  std::unique_ptr<Env> env_;
};

template <class Fn> std::optional<StoreError::Code> storeErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const StoreError& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected a StoreError";
  return std::nullopt;
}

TEST(VoucherCodes, UseOnlyTheUnambiguousAlphabetAndLookRandom) {
  EXPECT_EQ(kVoucherAlphabet.size(), 32u);
  for (char bad : std::string("0O1Il"))
    EXPECT_EQ(kVoucherAlphabet.find(bad), std::string_view::npos) << bad;
  std::set<std::string> seen;
  std::array<int, 32> hits{};
  for (int i = 0; i < 2000; ++i) {
    const std::string c = randomVoucherCode(16);
    ASSERT_EQ(c.size(), 16u);
    for (char ch : c) {
      const auto pos = kVoucherAlphabet.find(ch);
      ASSERT_NE(pos, std::string_view::npos) << c;
      ++hits[pos];
    }
    seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 2000u); // 80 bits each: a repeat means the generator is broken
  // 32,000 symbols: each of the 32 expected 1000 times; a biased or stuck generator is far off.
  for (int h : hits) {
    EXPECT_GT(h, 800);
    EXPECT_LT(h, 1200);
  }
}

TEST_F(StoreVouchers, BatchOfTenThousandInOneTransaction) {
  VoucherBatchSpec s = spec(kMaxVouchersPerBatch);
  s.password_mode = pb::VOUCHER_PASSWORD_RANDOM;
  s.password_length = 6;
  s.time_limit_s = 7200;
  s.data_limit_bytes = 1 << 30;
  s.comment = "shop 7";
  const uint64_t changes_before = [&] {
    auto txn = env_->read();
    return latestChange(txn);
  }();
  const CreatedBatch b = create(s);
  EXPECT_EQ(b.batch.id(), 1u);
  ASSERT_EQ(b.vouchers.size(), kMaxVouchersPerBatch);
  std::set<std::string> codes;
  for (const auto& v : b.vouchers) {
    ASSERT_TRUE(v.code().starts_with("HS-")) << v.code();
    ASSERT_EQ(v.code().size(), 3u + 8u);
    ASSERT_EQ(v.password().size(), 6u);
    ASSERT_EQ(v.state(), pb::VOUCHER_UNUSED);
    ASSERT_EQ(v.plan(), "hotspot-1h");
    ASSERT_EQ(v.time_limit_s(), 7200u);
    codes.insert(v.code());
  }
  EXPECT_EQ(codes.size(), kMaxVouchersPerBatch);

  auto txn = env_->read();
  EXPECT_EQ(txn.count(Table::Vouchers), kMaxVouchersPerBatch);
  EXPECT_EQ(txn.count(Table::VouchersByBatch), kMaxVouchersPerBatch);
  // The index lists exactly the batch's codes, in order.
  std::vector<std::string> listed;
  forEachVoucherInBatch(txn, 1, "", [&](std::string_view c) {
    listed.emplace_back(c);
    return true;
  });
  EXPECT_EQ(listed, std::vector<std::string>(codes.begin(), codes.end()));
  auto stored = getVoucherBatch(txn, 1);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->count(), kMaxVouchersPerBatch);
  EXPECT_EQ(stored->comment(), "shop 7");
  // One change per voucher and one for the batch, so followers of the change log see them.
  EXPECT_EQ(latestChange(txn) - changes_before, kMaxVouchersPerBatch + 1);
}

TEST_F(StoreVouchers, CodesNeverCollideWithVouchersOrSubscribers) {
  inWrite([](WriteTxn& txn) {
    pb::Subscriber sub;
    sub.set_username("HS-AAAAAAAA");
    sub.set_password("x");
    sub.set_plan("hotspot-1h");
    putSubscriber(txn, sub, WriteMode::Create);
  });
  VoucherBatchSpec first = spec(1);
  first.random = [](size_t) { return std::string("BBBBBBBB"); };
  ASSERT_EQ(create(first).vouchers.at(0).code(), "HS-BBBBBBBB");

  // The generator offers the subscriber's name, the existing voucher, its own previous code,
  // and only then fresh ones: those are skipped.
  std::deque<std::string> draws = {"AAAAAAAA", "BBBBBBBB", "CCCCCCCC",
                                   "CCCCCCCC", "AAAAAAAA", "DDDDDDDD"};
  VoucherBatchSpec s = spec(2);
  s.random = [&](size_t n) {
    EXPECT_EQ(n, 8u);
    std::string d = draws.front();
    draws.pop_front();
    return d;
  };
  const CreatedBatch b = create(s);
  ASSERT_EQ(b.vouchers.size(), 2u);
  EXPECT_EQ(b.vouchers[0].code(), "HS-CCCCCCCC");
  EXPECT_EQ(b.vouchers[1].code(), "HS-DDDDDDDD");
  EXPECT_TRUE(draws.empty());

  // A crowded code space gives up with Conflict, and the transaction writes nothing.
  VoucherBatchSpec crowded = spec(1);
  crowded.random = [](size_t) { return std::string("CCCCCCCC"); };
  {
    auto txn = env_->write();
    EXPECT_EQ(storeErrorOf([&] { createVoucherBatch(txn, crowded, kNow); }),
              StoreError::Code::Conflict);
  } // aborted
  auto txn = env_->read();
  EXPECT_EQ(txn.count(Table::Vouchers), 3u);
  EXPECT_EQ(txn.count(Table::VoucherBatches), 2u);
}

TEST_F(StoreVouchers, UnknownPlanAndBadCountAreRefused) {
  VoucherBatchSpec s = spec(1);
  s.plan = "nope";
  auto txn = env_->write();
  EXPECT_EQ(storeErrorOf([&] { createVoucherBatch(txn, s, kNow); }), StoreError::Code::NotFound);
  s = spec(kMaxVouchersPerBatch + 1);
  EXPECT_EQ(storeErrorOf([&] { createVoucherBatch(txn, s, kNow); }), StoreError::Code::Conflict);
  s = spec(0);
  EXPECT_EQ(storeErrorOf([&] { createVoucherBatch(txn, s, kNow); }), StoreError::Code::Conflict);
}

TEST_F(StoreVouchers, ActivatesOnceAndExpiresAfterItsValidity) {
  const std::string code = create(spec(1)).vouchers.at(0).code();
  EXPECT_EQ(status(code, kNow), VoucherStatus::Unused);
  // Unused vouchers never expire by time: the validity counts from the first use.
  EXPECT_EQ(status(code, kNow + 10 * 86400), VoucherStatus::Unused);

  EXPECT_TRUE(inWrite([&](WriteTxn& t) { return activateVoucher(t, code, kNow + 100); }));
  EXPECT_FALSE(inWrite([&](WriteTxn& t) { return activateVoucher(t, code, kNow + 200); }));
  const pb::Voucher v = voucher(code);
  EXPECT_EQ(v.state(), pb::VOUCHER_ACTIVE);
  EXPECT_EQ(v.first_used_at(), kNow + 100); // the second activation changed nothing
  EXPECT_EQ(v.expires_at(), kNow + 100 + 3600);
  EXPECT_EQ(status(code, kNow + 100 + 3599), VoucherStatus::Active);
  EXPECT_EQ(status(code, kNow + 100 + 3600), VoucherStatus::Expired);
  EXPECT_FALSE(inWrite([&](WriteTxn& t) { return activateVoucher(t, "HS-NOSUCH", kNow); }));
}

TEST_F(StoreVouchers, TimeAndDataAreSummedFromMonthlyUsage) {
  VoucherBatchSpec s = spec(1);
  s.validity_s = 0;
  s.time_limit_s = 3600;
  s.data_limit_bytes = 1000000;
  const std::string code = create(s).vouchers.at(0).code();
  inWrite([&](WriteTxn& t) { activateVoucher(t, code, kNow); });
  EXPECT_EQ(voucher(code).expires_at(), 0); // no validity limit: never expires by time
  // Usage in two months (a voucher bought on the 31st) counts together.
  const int64_t next_month = kNow + 40 * 86400;
  inWrite([&](WriteTxn& t) {
    addUsage(t, code, kNow, 100000, 200000, 1800);
    addUsage(t, code, next_month, 50000, 50000, 1000);
  });
  {
    auto txn = env_->read();
    const VoucherUsage u = voucherUsage(txn, code);
    EXPECT_EQ(u.input_octets, 150000u);
    EXPECT_EQ(u.output_octets, 250000u);
    EXPECT_EQ(u.session_time, 2800u);
  }
  EXPECT_EQ(status(code, next_month), VoucherStatus::Active);
  inWrite([&](WriteTxn& t) { addUsage(t, code, next_month, 0, 0, 800); });
  EXPECT_EQ(status(code, next_month), VoucherStatus::TimeUsedUp);

  const std::string data_code = create(s).vouchers.at(0).code();
  inWrite([&](WriteTxn& t) {
    activateVoucher(t, data_code, kNow);
    addUsage(t, data_code, kNow, 400000, 599999, 10);
  });
  EXPECT_EQ(status(data_code, kNow), VoucherStatus::Active);
  inWrite([&](WriteTxn& t) { addUsage(t, data_code, kNow, 1, 0, 0); });
  EXPECT_EQ(status(data_code, kNow), VoucherStatus::DataUsedUp);
  EXPECT_EQ(voucherStateName(VoucherStatus::DataUsedUp), "exhausted");
}

TEST_F(StoreVouchers, RevokeAndDeleteRules) {
  const CreatedBatch b = create(spec(3));
  const std::string used = b.vouchers[0].code(), spare = b.vouchers[1].code();
  inWrite([&](WriteTxn& t) {
    activateVoucher(t, used, kNow);
    addUsage(t, used, kNow, 10, 10, 10);
  });
  // An active voucher keeps its batch.
  {
    auto txn = env_->write();
    EXPECT_EQ(storeErrorOf([&] { deleteVoucherBatch(txn, b.batch.id(), kNow); }),
              StoreError::Code::Conflict);
  }
  EXPECT_TRUE(inWrite([&](WriteTxn& t) { return revokeVoucher(t, used, kNow + 5); }));
  EXPECT_FALSE(inWrite([&](WriteTxn& t) { return revokeVoucher(t, used, kNow + 6); }));
  EXPECT_EQ(voucher(used).revoked_at(), kNow + 5);
  EXPECT_EQ(status(used, kNow), VoucherStatus::Revoked);

  // Deleting one voucher takes its index entry and usage rows with it.
  EXPECT_TRUE(inWrite([&](WriteTxn& t) { return deleteVoucher(t, spare); }));
  EXPECT_FALSE(inWrite([&](WriteTxn& t) { return deleteVoucher(t, spare); }));
  // Revoking the batch revokes only what was not revoked yet.
  EXPECT_EQ(inWrite([&](WriteTxn& t) { return revokeVoucherBatch(t, b.batch.id(), kNow); }), 1u);

  EXPECT_TRUE(inWrite([&](WriteTxn& t) { return deleteVoucherBatch(t, b.batch.id(), kNow); }));
  auto txn = env_->read();
  EXPECT_EQ(txn.count(Table::Vouchers), 0u);
  EXPECT_EQ(txn.count(Table::VouchersByBatch), 0u);
  EXPECT_EQ(txn.count(Table::VoucherBatches), 0u);
  EXPECT_TRUE(listUsage(txn, used, 'm').empty());
  EXPECT_TRUE(listUsage(txn, used, 'd').empty());
}

TEST_F(StoreVouchers, SubscribersCannotTakeACodeAndPlansWithBatchesStay) {
  const CreatedBatch b = create(spec(1));
  pb::Subscriber sub;
  sub.set_username(b.vouchers[0].code());
  sub.set_password("x");
  sub.set_plan("hotspot-1h");
  {
    auto txn = env_->write();
    EXPECT_EQ(storeErrorOf([&] { putSubscriber(txn, sub, WriteMode::Create); }),
              StoreError::Code::Conflict);
  }
  {
    auto txn = env_->write();
    EXPECT_EQ(storeErrorOf([&] { deletePlan(txn, "hotspot-1h"); }), StoreError::Code::Conflict);
  }
  inWrite([&](WriteTxn& t) { deleteVoucherBatch(t, b.batch.id(), kNow); });
  EXPECT_TRUE(inWrite([&](WriteTxn& t) { return deletePlan(t, "hotspot-1h"); }));
}

} // namespace
} // namespace ispbox::store
