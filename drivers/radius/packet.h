// SPDX-License-Identifier: GPL-2.0-or-later
// RADIUS packets as ispboxd sends them to a NAS: CoA-Request and Disconnect-Request (RFC 5176),
// signed with the NAS's secret and carrying Message-Authenticator (RFC 3579, the BlastRADIUS fix),
// and the ACK/NAK that come back, verified before anything in them is believed.
//
// Hand-written on purpose: FreeRADIUS's libfreeradius-radius encodes packets, but its headers do
// not compile as C++ and it needs its dictionary and talloc runtime loaded in ispboxd. The part of
// RFC 2865/5176 a CoA sender needs is small, and every byte of it is checked here against a real
// FreeRADIUS in the tests (tests/appliance/coa_freeradius_test.cc).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ispbox::radius {

enum class Code : uint8_t {
  AccessRequest = 1,
  AccessAccept = 2,
  AccessReject = 3,
  AccountingRequest = 4,
  AccountingResponse = 5,
  DisconnectRequest = 40,
  DisconnectAck = 41,
  DisconnectNak = 42,
  CoaRequest = 43,
  CoaAck = 44,
  CoaNak = 45,
};
std::string_view codeName(Code code);

namespace attr {
constexpr uint8_t kUserName = 1;
constexpr uint8_t kNasIpAddress = 4;
constexpr uint8_t kFramedIpAddress = 8;
constexpr uint8_t kReplyMessage = 18;
constexpr uint8_t kClass = 25;
constexpr uint8_t kVendorSpecific = 26;
constexpr uint8_t kSessionTimeout = 27;
constexpr uint8_t kNasIdentifier = 32;
constexpr uint8_t kAcctSessionId = 44;
constexpr uint8_t kEventTimestamp = 55;
constexpr uint8_t kMessageAuthenticator = 80;
constexpr uint8_t kErrorCause = 101;
} // namespace attr

constexpr uint32_t kVendorMikrotik = 14988;
namespace mikrotik {
constexpr uint8_t kRateLimit = 8;
constexpr uint8_t kAddressList = 19;
} // namespace mikrotik

// One attribute; a vendor-specific one has vendor != 0 and its own type in vendor_type.
struct Attribute {
  uint8_t type = 0;
  std::string value; // raw octets (integers big-endian, IPv4 as 4 bytes)
  uint32_t vendor = 0;
  uint8_t vendor_type = 0;

  static Attribute string(uint8_t type, std::string_view value);
  static Attribute integer(uint8_t type, uint32_t value);
  // Throws std::invalid_argument for anything but dotted-quad IPv4.
  static Attribute ipv4(uint8_t type, std::string_view dotted);
  static Attribute vsa(uint32_t vendor, uint8_t vendor_type, std::string_view value);
  std::optional<uint32_t> asInteger() const; // for 4-byte values
};

struct Packet {
  Code code = Code::AccessRequest;
  uint8_t id = 0;
  std::array<uint8_t, 16> authenticator{};
  std::vector<Attribute> attrs;

  const Attribute* find(uint8_t type, uint32_t vendor = 0, uint8_t vendor_type = 0) const;
};

// The largest packet RFC 2865 allows.
constexpr size_t kMaxPacketSize = 4096;

// Encodes a CoA-Request or Disconnect-Request. Message-Authenticator is added (first, so a
// truncating middlebox cannot hide it) and the Request Authenticator is computed as RFC 5176
// §2.3 says. Throws std::invalid_argument when an attribute is too long or the packet too big.
std::string encodeRequest(Code code, uint8_t id, const std::vector<Attribute>& attrs,
                          std::string_view secret);

// Parses a packet's structure (header, lengths, attributes, VSAs); checks nothing cryptographic.
// Returns nullopt with the reason in *why for anything malformed.
std::optional<Packet> parse(std::string_view bytes, std::string* why);

// Verifies a reply to `request` (the bytes we sent): same id, a reply code for the request's code,
// the Response Authenticator, and the Message-Authenticator when present (required when
// require_message_authenticator). Returns the parsed reply, or nullopt with the reason.
std::optional<Packet> verifyReply(std::string_view reply, std::string_view request,
                                  std::string_view secret, bool require_message_authenticator,
                                  std::string* why);

// Verifies a CoA/Disconnect request's authenticator and Message-Authenticator (for a NAS
// stand-in and for tests).
bool verifyRequest(std::string_view request, std::string_view secret, std::string* why);

// RFC 5176 §3.5 Error-Cause values by name ("Session-Context-Not-Found"), or the number.
std::string errorCauseName(uint32_t cause);

} // namespace ispbox::radius
