// SPDX-License-Identifier: GPL-2.0-or-later
// Record encoding: protobuf-lite messages (store/records.proto). Chosen over a hand-written format
// because protobuf already guarantees what we need across versions: unknown fields are skipped by
// older readers and preserved when they rewrite a record.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/arena.h>

#include "store/env.h"
#include "store/records.pb.h"

namespace ispbox::store {

namespace pb = ::ispbox::store::pb;

template <class Msg> bool decodeInto(std::string_view bytes, Msg* out) {
  return out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

template <class Msg> Msg decode(std::string_view bytes, std::string_view what) {
  Msg msg;
  if (!decodeInto(bytes, &msg))
    throw StoreError(StoreError::Code::Corrupt, "cannot decode " + std::string(what));
  return msg;
}

// A protobuf arena whose first block is inside this object: a record decoded into a message it
// creates costs no heap allocation when the object lives on the stack (the hot paths of rlm_isp).
class StackArena {
public:
  StackArena() : arena_(options(block_, sizeof block_)) {}
  StackArena(const StackArena&) = delete;
  StackArena& operator=(const StackArena&) = delete;
  template <class Msg> Msg& create() {
    return *google::protobuf::Arena::CreateMessage<Msg>(&arena_);
  }

private:
  static google::protobuf::ArenaOptions options(char* block, size_t size) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = size;
    return o;
  }
  alignas(16) char block_[2048];
  google::protobuf::Arena arena_;
};

// Into *out, replacing what it held: a buffer reused from call to call keeps its capacity.
inline void encodeInto(const google::protobuf::MessageLite& msg, std::string* out) {
  out->clear();
  if (!msg.SerializeToString(out))
    throw StoreError(StoreError::Code::Corrupt, "cannot encode record");
}

inline std::string encode(const google::protobuf::MessageLite& msg) {
  std::string out;
  encodeInto(msg, &out);
  return out;
}

} // namespace ispbox::store
