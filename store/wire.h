// SPDX-License-Identifier: GPL-2.0-or-later
// Protobuf's wire format read and written by hand, for the two records rlm_isp touches on every
// Access-Request: the subscriber it reads and the post-auth entry it writes. Everything else goes
// through the generated code (store/codec.h).
//
// Why by hand: the generated parser clears and fills the whole pb::Subscriber, copying every
// string (names, billing ids) authorization never reads, and serializing a post-auth entry meant
// copying four strings into a message first. Measured with callgrind on bench/radius, the two
// cost about 2,500 of the 14,000 instructions rlm_isp spent per Access-Request; read as views into
// the LMDB page and written straight into a buffer, they cost a few hundred. Both are checked
// against the generated code (tests/store/wire_test.cc), which stays the format's authority.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/records.pb.h"

namespace ispbox::store {

// What authorization reads of a subscriber: views into the record's bytes (valid as long as the
// transaction that read them) or into a pb::Subscriber (viewOf).
struct SubscriberView {
  std::string_view username, password, plan, static_ip, mac;
  int status = 0; // pb::SubscriberStatus; any value (proto3 keeps unknown enum values)
  int64_t expires_at = 0;
  uint32_t simultaneous_use = 0;
};

// Decodes the fields above from a stored pb::Subscriber, as the generated parser would (the last
// of a repeated scalar wins; unknown fields and fields of an unexpected wire type are skipped).
// False when the bytes are not a well-formed message.
bool viewSubscriber(std::string_view bytes, SubscriberView* out);
SubscriberView viewOf(const pb::Subscriber& s);

// A post-auth log entry (pb::PostAuth's fields).
struct PostAuthFields {
  int64_t at_ms = 0;
  std::string_view username, nas_ip;
  bool accepted = false;
  std::string_view reason, calling_station_id, profile;
};

// Appends the entry's pb::PostAuth encoding to *out: the bytes SerializeToString gives.
void appendPostAuthRecord(const PostAuthFields& e, std::string* out);

} // namespace ispbox::store
