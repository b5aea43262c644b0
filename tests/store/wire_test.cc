// SPDX-License-Identifier: GPL-2.0-or-later
// store/wire.h against the generated protobuf code, which defines the format: what it parses,
// viewSubscriber reads the same; what appendPostAuthRecord writes, it parses back, byte for byte
// what it would have written itself.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "store/records.pb.h"
#include "store/wire.h"

namespace ispbox::store {
namespace {

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes)
    out += {digits[c >> 4], digits[c & 15], ' '};
  return out;
}

std::string randomBytes(std::mt19937& rng, size_t max) {
  std::string s(std::uniform_int_distribution<size_t>(0, max)(rng), '\0');
  for (char& c : s)
    c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
  return s;
}

// Each field set or left at its default, with edge values for the numbers.
pb::Subscriber randomSubscriber(std::mt19937& rng) {
  auto coin = [&] { return std::uniform_int_distribution<int>(0, 1)(rng) == 1; };
  auto number = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  pb::Subscriber s;
  if (coin()) s.set_username(randomBytes(rng, 40));
  if (coin()) s.set_password(randomBytes(rng, 200)); // > 127: a two-byte length
  if (coin()) s.set_plan(randomBytes(rng, 20));
  if (coin()) s.set_status(static_cast<pb::SubscriberStatus>(number(-3, 9)));
  if (coin()) s.set_expires_at(coin() ? number(INT64_MIN, INT64_MAX) : number(-1, 1));
  if (coin()) s.set_static_ip(randomBytes(rng, 15));
  if (coin()) s.set_mac(randomBytes(rng, 17));
  if (coin()) s.set_simultaneous_use(static_cast<uint32_t>(number(0, UINT32_MAX)));
  if (coin()) s.set_full_name(randomBytes(rng, 300));
  if (coin()) s.set_external_id(randomBytes(rng, 10));
  if (coin()) s.set_created_at(number(INT64_MIN, INT64_MAX));
  if (coin()) s.mutable_routeros_static()->set_nas("core-1");
  return s;
}

void expectSame(const SubscriberView& got, const pb::Subscriber& want) {
  const SubscriberView w = viewOf(want);
  EXPECT_EQ(got.username, w.username);
  EXPECT_EQ(got.password, w.password);
  EXPECT_EQ(got.plan, w.plan);
  EXPECT_EQ(got.static_ip, w.static_ip);
  EXPECT_EQ(got.mac, w.mac);
  EXPECT_EQ(got.status, w.status);
  EXPECT_EQ(got.expires_at, w.expires_at);
  EXPECT_EQ(got.simultaneous_use, w.simultaneous_use);
}

TEST(StoreWire, SubscriberViewReadsWhatTheGeneratedParserReads) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const pb::Subscriber s = randomSubscriber(rng);
    std::string bytes = s.SerializeAsString();
    // Unknown fields of every wire type a newer release could add, and a field written twice
    // (the last wins), as a concatenation of two records would give.
    if (i % 3 == 0) bytes += std::string("\xa8\x06\x2a", 3);                   // 101: varint 42
    if (i % 5 == 0) bytes += std::string("\xb1\x06", 2) + std::string(8, 'x'); // 102: fixed64
    if (i % 7 == 0) bytes += std::string("\xbd\x06", 2) + std::string(4, 'y'); // 103: fixed32
    if (i % 11 == 0) bytes += std::string("\x12\x03new", 5);                   // password again
    pb::Subscriber parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    SubscriberView view;
    ASSERT_TRUE(viewSubscriber(bytes, &view));
    expectSame(view, parsed);
  }
}

// A field of a known number but another wire type is an unknown field to the generated parser.
TEST(StoreWire, SubscriberViewSkipsAFieldOfAnotherWireType) {
  // password (2) as a varint, status (4) as length-delimited, then the real username.
  const std::string bytes("\x10\x05\x22\x01z\x0a\x02ok", 9);
  pb::Subscriber parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  SubscriberView view;
  ASSERT_TRUE(viewSubscriber(bytes, &view));
  expectSame(view, parsed);
  EXPECT_EQ(view.username, "ok");
  // plan (3) as a group holding a varint, which the generated parser keeps as an unknown group.
  const std::string group("\x1b\x08\x01\x1c\x0a\x02ok", 8);
  ASSERT_TRUE(parsed.ParseFromString(group));
  ASSERT_TRUE(viewSubscriber(group, &view));
  expectSame(view, parsed);
  EXPECT_EQ(view.plan, "");
  EXPECT_FALSE(viewSubscriber(std::string("\x1b\x08\x01\x24", 4), &view)); // ends another
}

// Every truncation and every corruption the generated parser refuses, viewSubscriber refuses too,
// and what it accepts reads the same. (viewSubscriber skips field 40 without looking inside, so
// it may accept a record whose RouterOS part the generated parser refuses: that part is not
// authorization's.)
TEST(StoreWire, SubscriberViewRefusesWhatIsNotAMessage) {
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    pb::Subscriber s = randomSubscriber(rng);
    s.clear_routeros_static();
    const std::string bytes = s.SerializeAsString();
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      const std::string part = bytes.substr(0, cut);
      pb::Subscriber parsed;
      SubscriberView view;
      const bool ok = parsed.ParseFromString(part);
      ASSERT_EQ(viewSubscriber(part, &view), ok) << "cut at " << cut;
      if (ok) expectSame(view, parsed);
    }
  }
  for (int i = 0; i < 20000; ++i) {
    const std::string junk = randomBytes(rng, 24);
    pb::Subscriber parsed;
    SubscriberView view;
    const bool mine = viewSubscriber(junk, &view);
    if (parsed.ParseFromString(junk)) {
      ASSERT_TRUE(mine) << hex(junk);
      expectSame(view, parsed);
    }
  }
  SubscriberView view;
  EXPECT_FALSE(viewSubscriber(std::string("\x0a\x05"
                                          "ab",
                                          4),
                              &view));                             // length past the end
  EXPECT_FALSE(viewSubscriber(std::string("\x20\xff", 2), &view)); // varint cut short
  EXPECT_FALSE(viewSubscriber(std::string("\x02\x01"
                                          "a",
                                          3),
                              &view));                          // field number 0
  EXPECT_FALSE(viewSubscriber(std::string("\x0f", 1), &view));  // wire type 7
  EXPECT_FALSE(viewSubscriber(std::string(11, '\xff'), &view)); // an 11-byte varint
}

TEST(StoreWire, PostAuthRecordIsWhatTheGeneratedSerializerWrites) {
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    const std::string user = randomBytes(rng, 200), reason = randomBytes(rng, 40),
                      csid = randomBytes(rng, 20);
    PostAuthFields f;
    f.at_ms = i % 4 == 0 ? 0 : (i % 4 == 1 ? -5 : 1'700'000'000'000 + i);
    f.username = user;
    f.nas_ip = i % 3 ? "192.0.2.1" : "";
    f.accepted = i % 2 == 0;
    f.reason = reason;
    f.calling_station_id = csid;
    f.profile = i % 5 ? "normal" : "";
    pb::PostAuth want;
    want.set_at_ms(f.at_ms);
    want.set_username(user);
    want.set_nas_ip(std::string(f.nas_ip));
    want.set_accepted(f.accepted);
    want.set_reason(reason);
    want.set_calling_station_id(csid);
    want.set_profile(std::string(f.profile));
    std::string got = "prefix";
    appendPostAuthRecord(f, &got);
    ASSERT_EQ(got, "prefix" + want.SerializeAsString());
    pb::PostAuth back;
    ASSERT_TRUE(back.ParseFromString(got.substr(6)));
    EXPECT_EQ(back.username(), user);
    EXPECT_EQ(back.at_ms(), f.at_ms);
    EXPECT_EQ(back.accepted(), f.accepted);
  }
}

} // namespace
} // namespace ispbox::store
