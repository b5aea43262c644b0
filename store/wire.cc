// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/wire.h"

#include <cstring>

namespace ispbox::store {
namespace {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};
constexpr int kMaxDepth = 100; // the generated parser's recursion limit

// The reader's position in a message; every read checks the end.
struct Reader {
  const unsigned char* p;
  const unsigned char* end;

  bool varint(uint64_t* v) {
    uint64_t out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end) return false;
      const unsigned char b = *p++;
      out |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) {
        *v = out;
        return true;
      }
    }
    return false; // more than ten bytes
  }

  bool skip(size_t n) {
    if (static_cast<size_t>(end - p) < n) return false;
    p += n;
    return true;
  }

  bool bytes(std::string_view* v) {
    uint64_t n;
    if (!varint(&n) || n > static_cast<uint64_t>(end - p)) return false;
    *v = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    p += n;
    return true;
  }

  // A tag: a varint of at most five bytes, its bits beyond 32 dropped, as the generated parser
  // reads it.
  bool tag(uint32_t* field, uint32_t* type) {
    uint32_t t = 0;
    for (int i = 0;; ++i) {
      if (i == 5 || p == end) return false;
      const unsigned char b = *p++;
      t |= static_cast<uint32_t>(b & 0x7fu) << (7 * i);
      if (!(b & 0x80)) break;
    }
    if (t >> 3 == 0) return false;
    *field = t >> 3;
    *type = t & 7;
    return true;
  }

  // Skips field `field` of wire type `type`, whose tag was read.
  bool skipField(uint32_t field, uint32_t type, int depth = 0) {
    uint64_t v;
    std::string_view s;
    switch (type) {
    case kStartGroup: // deprecated and never written by proto3, but a valid unknown field
      if (depth >= kMaxDepth) return false;
      for (uint32_t f, t; tag(&f, &t);) {
        if (t == kEndGroup) return f == field;
        if (!skipField(f, t, depth + 1)) return false;
      }
      return false;
    case kVarint:
      return varint(&v);
    case kFixed64:
      return skip(8);
    case kLen:
      return bytes(&s);
    case kFixed32:
      return skip(4);
    default: // an end of group outside one, invalid types
      return false;
    }
  }
};

// Writes into a buffer sized beforehand (Writer::room): one resize per record instead of a
// capacity check per byte.
struct Writer {
  static constexpr size_t kFieldOverhead = 5 + 10; // a tag and a length (or a varint value)
  static size_t room(std::string_view v) { return kFieldOverhead + v.size(); }

  char* p;

  void varint(uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
  }
  // proto3: a field holding its default value is not written.
  void bytes(uint32_t field, std::string_view v) {
    if (v.empty()) return;
    varint(field << 3 | kLen);
    varint(v.size());
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }
  void integer(uint32_t field, uint64_t v) {
    if (v == 0) return;
    varint(field << 3 | kVarint);
    varint(v);
  }
};

} // namespace

bool viewSubscriber(std::string_view bytes, SubscriberView* out) {
  *out = SubscriberView{};
  Reader r{reinterpret_cast<const unsigned char*>(bytes.data()),
           reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()};
  while (r.p != r.end) {
    uint32_t field, type;
    if (!r.tag(&field, &type)) return false;
    std::string_view* text = nullptr;
    switch (field) {
    case pb::Subscriber::kUsernameFieldNumber:
      text = &out->username;
      break;
    case pb::Subscriber::kPasswordFieldNumber:
      text = &out->password;
      break;
    case pb::Subscriber::kPlanFieldNumber:
      text = &out->plan;
      break;
    case pb::Subscriber::kStaticIpFieldNumber:
      text = &out->static_ip;
      break;
    case pb::Subscriber::kMacFieldNumber:
      text = &out->mac;
      break;
    default:
      break;
    }
    if (text && type == kLen) {
      if (!r.bytes(text)) return false;
      continue;
    }
    // int32 / enum, int64 and uint32 fields: a varint truncated to the field's width, as the
    // generated parser does.
    uint64_t v;
    if (type == kVarint && field == pb::Subscriber::kStatusFieldNumber) {
      if (!r.varint(&v)) return false;
      out->status = static_cast<int>(static_cast<int32_t>(v));
    } else if (type == kVarint && field == pb::Subscriber::kExpiresAtFieldNumber) {
      if (!r.varint(&v)) return false;
      out->expires_at = static_cast<int64_t>(v);
    } else if (type == kVarint && field == pb::Subscriber::kSimultaneousUseFieldNumber) {
      if (!r.varint(&v)) return false;
      out->simultaneous_use = static_cast<uint32_t>(v);
    } else if (!r.skipField(field, type)) {
      return false;
    }
  }
  return true;
}

SubscriberView viewOf(const pb::Subscriber& s) {
  SubscriberView v;
  v.username = s.username();
  v.password = s.password();
  v.plan = s.plan();
  v.static_ip = s.static_ip();
  v.mac = s.mac();
  v.status = s.status();
  v.expires_at = s.expires_at();
  v.simultaneous_use = s.simultaneous_use();
  return v;
}

void appendPostAuthRecord(const PostAuthFields& e, std::string* out) {
  const size_t start = out->size();
  out->resize(start + 2 * Writer::kFieldOverhead + Writer::room(e.username) +
              Writer::room(e.nas_ip) + Writer::room(e.reason) + Writer::room(e.calling_station_id) +
              Writer::room(e.profile));
  Writer w{out->data() + start};
  // In field-number order, as the generated serializer writes them.
  w.integer(pb::PostAuth::kAtMsFieldNumber, static_cast<uint64_t>(e.at_ms));
  w.bytes(pb::PostAuth::kUsernameFieldNumber, e.username);
  w.bytes(pb::PostAuth::kNasIpFieldNumber, e.nas_ip);
  w.integer(pb::PostAuth::kAcceptedFieldNumber, e.accepted ? 1 : 0);
  w.bytes(pb::PostAuth::kReasonFieldNumber, e.reason);
  w.bytes(pb::PostAuth::kCallingStationIdFieldNumber, e.calling_station_id);
  w.bytes(pb::PostAuth::kProfileFieldNumber, e.profile);
  out->resize(static_cast<size_t>(w.p - out->data()));
}

} // namespace ispbox::store
