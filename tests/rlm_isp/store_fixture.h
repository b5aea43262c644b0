// SPDX-License-Identifier: GPL-2.0-or-later
// What the core tests that run the policy against a real store share: a fixed clock, a store in a
// per-test directory holding the NAS r1 (192.0.2.1), and a reply attribute by name.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rlm_isp/core/policy.h"
#include "store/entities.h"
#include "store/env.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::aaa::testing_support {

constexpr int64_t kNow = 1795000000; // a fixed clock: 2026-11-17
constexpr std::string_view kNasIp = "192.0.2.1";

inline std::string attr(const Attributes& a, std::string_view name) {
  for (const auto& [n, v] : a)
    if (n == name) return v;
  return "<absent>";
}

class StoreWithNas : public ::testing::Test {
protected:
  void SetUp() override {
    store::EnvOptions o;
    o.dir = dir_.path();
    env_ = store::Env::open(o);
    inWrite([](store::WriteTxn& txn) {
      pb::Nas nas;
      nas.set_name("r1");
      nas.set_ip(std::string(kNasIp));
      nas.set_secret("s");
      store::putNas(txn, nas, store::WriteMode::Create);
    });
  }

  template <class Fn> void inWrite(Fn&& fn) {
    auto txn = env_->write();
    fn(txn);
    txn.commit();
  }

  testutil::TempDir dir_;
  std::unique_ptr<store::Env> env_;
};

} // namespace ispbox::aaa::testing_support
