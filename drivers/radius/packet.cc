// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/radius/packet.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace ispbox::radius {
namespace {

constexpr size_t kHeader = 20;
constexpr size_t kAuthOffset = 4;

std::array<uint8_t, 16> md5(std::string_view a, std::string_view b) {
  std::array<uint8_t, 16> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
                  EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("MD5 failed (OpenSSL)");
  return out;
}

std::array<uint8_t, 16> hmacMd5(std::string_view key, std::string_view data) {
  std::array<uint8_t, 16> out{};
  unsigned len = 0;
  if (!HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len))
    throw std::runtime_error("HMAC-MD5 failed (OpenSSL)");
  return out;
}

void putAttr(std::string& out, uint8_t type, std::string_view value) {
  if (value.empty() || value.size() > 253)
    throw std::invalid_argument("RADIUS attribute " + std::to_string(type) +
                                " value must be 1 to " + "253 bytes, is " +
                                std::to_string(value.size()));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(value.size() + 2));
  out.append(value);
}

void encodeAttr(std::string& out, const Attribute& a) {
  if (a.vendor == 0) return putAttr(out, a.type, a.value);
  if (a.value.empty() || a.value.size() > 247)
    throw std::invalid_argument("vendor attribute " + std::to_string(a.vendor_type) +
                                " value must be 1 to 247 bytes");
  std::string vsa;
  const uint32_t be = htonl(a.vendor);
  vsa.append(reinterpret_cast<const char*>(&be), 4);
  vsa.push_back(static_cast<char>(a.vendor_type));
  vsa.push_back(static_cast<char>(a.value.size() + 2));
  vsa.append(a.value);
  putAttr(out, attr::kVendorSpecific, vsa);
}

// Offset of the Message-Authenticator's value in a well-formed packet, or 0.
size_t messageAuthenticatorOffset(std::string_view bytes) {
  size_t at = kHeader;
  while (at + 2 <= bytes.size()) {
    const auto len = static_cast<uint8_t>(bytes[at + 1]);
    if (len < 2 || at + len > bytes.size()) return 0;
    if (static_cast<uint8_t>(bytes[at]) == attr::kMessageAuthenticator && len == 18) return at + 2;
    at += len;
  }
  return 0;
}

bool equal16(const uint8_t* a, const uint8_t* b) {
  return CRYPTO_memcmp(a, b, 16) == 0;
}

const uint8_t* u8(std::string_view s, size_t at) {
  return reinterpret_cast<const uint8_t*>(s.data() + at);
}

bool fail(std::string* why, std::string reason) {
  if (why) *why = std::move(reason);
  return false;
}

// Message-Authenticator over `bytes` with `auth` in the authenticator field and the attribute's
// own value zeroed (RFC 3579 §3.2).
bool checkMessageAuthenticator(std::string_view bytes, const uint8_t* auth, size_t ma_at,
                               std::string_view secret) {
  std::string copy(bytes);
  std::memcpy(copy.data() + kAuthOffset, auth, 16);
  std::memset(copy.data() + ma_at, 0, 16);
  const auto mac = hmacMd5(secret, copy);
  return equal16(mac.data(), u8(bytes, ma_at));
}

} // namespace

std::string_view codeName(Code code) {
  switch (code) {
  case Code::AccessRequest:
    return "Access-Request";
  case Code::AccessAccept:
    return "Access-Accept";
  case Code::AccessReject:
    return "Access-Reject";
  case Code::AccountingRequest:
    return "Accounting-Request";
  case Code::AccountingResponse:
    return "Accounting-Response";
  case Code::DisconnectRequest:
    return "Disconnect-Request";
  case Code::DisconnectAck:
    return "Disconnect-ACK";
  case Code::DisconnectNak:
    return "Disconnect-NAK";
  case Code::CoaRequest:
    return "CoA-Request";
  case Code::CoaAck:
    return "CoA-ACK";
  case Code::CoaNak:
    return "CoA-NAK";
  }
  return "Unknown";
}

Attribute Attribute::string(uint8_t type, std::string_view value) {
  return Attribute{type, std::string(value)};
}

Attribute Attribute::integer(uint8_t type, uint32_t value) {
  const uint32_t be = htonl(value);
  return Attribute{type, std::string(reinterpret_cast<const char*>(&be), 4)};
}

Attribute Attribute::ipv4(uint8_t type, std::string_view dotted) {
  in_addr a{};
  if (inet_pton(AF_INET, std::string(dotted).c_str(), &a) != 1)
    throw std::invalid_argument("not an IPv4 address: " + std::string(dotted));
  return Attribute{type, std::string(reinterpret_cast<const char*>(&a.s_addr), 4)};
}

Attribute Attribute::vsa(uint32_t vendor, uint8_t vendor_type, std::string_view value) {
  return Attribute{attr::kVendorSpecific, std::string(value), vendor, vendor_type};
}

std::optional<uint32_t> Attribute::asInteger() const {
  if (value.size() != 4) return std::nullopt;
  uint32_t be;
  std::memcpy(&be, value.data(), 4);
  return ntohl(be);
}

const Attribute* Packet::find(uint8_t type, uint32_t vendor, uint8_t vendor_type) const {
  for (const auto& a : attrs)
    if (a.type == type && a.vendor == vendor && (vendor == 0 || a.vendor_type == vendor_type))
      return &a;
  return nullptr;
}

std::string encodeRequest(Code code, uint8_t id, const std::vector<Attribute>& attrs,
                          std::string_view secret) {
  std::string p(kHeader, '\0');
  p[0] = static_cast<char>(code);
  p[1] = static_cast<char>(id);
  const size_t ma_at = p.size() + 2;
  putAttr(p, attr::kMessageAuthenticator, std::string(16, '\0'));
  for (const auto& a : attrs)
    encodeAttr(p, a);
  if (p.size() > kMaxPacketSize)
    throw std::invalid_argument("RADIUS packet of " + std::to_string(p.size()) +
                                " bytes exceeds 4096");
  const uint16_t len = htons(static_cast<uint16_t>(p.size()));
  std::memcpy(p.data() + 2, &len, 2);
  // RFC 5176 §3.1 (as FreeRADIUS does it): Message-Authenticator with a zero authenticator, then
  // the Request Authenticator over the packet that contains it.
  const auto mac = hmacMd5(secret, p);
  std::memcpy(p.data() + ma_at, mac.data(), 16);
  const auto auth = md5(p, secret);
  std::memcpy(p.data() + kAuthOffset, auth.data(), 16);
  return p;
}

std::optional<Packet> parse(std::string_view bytes, std::string* why) {
  auto bad = [&](std::string reason) -> std::optional<Packet> {
    fail(why, std::move(reason));
    return std::nullopt;
  };
  if (bytes.size() < kHeader) return bad("shorter than a RADIUS header");
  const size_t len = (static_cast<uint8_t>(bytes[2]) << 8) | static_cast<uint8_t>(bytes[3]);
  if (len < kHeader || len > kMaxPacketSize) return bad("length field out of range");
  if (len > bytes.size()) return bad("length field exceeds the datagram");
  bytes = bytes.substr(0, len); // octets past Length are padding (RFC 2865 §3)
  Packet p;
  p.code = static_cast<Code>(static_cast<uint8_t>(bytes[0]));
  p.id = static_cast<uint8_t>(bytes[1]);
  std::memcpy(p.authenticator.data(), bytes.data() + kAuthOffset, 16);
  for (size_t at = kHeader; at < len;) {
    if (at + 2 > len) return bad("truncated attribute header");
    const uint8_t type = static_cast<uint8_t>(bytes[at]);
    const uint8_t alen = static_cast<uint8_t>(bytes[at + 1]);
    if (alen < 2 || at + alen > len) return bad("attribute length out of range");
    std::string_view value = bytes.substr(at + 2, alen - 2);
    at += alen;
    if (type != attr::kVendorSpecific || value.size() < 6) {
      p.attrs.push_back(Attribute{type, std::string(value)});
      continue;
    }
    uint32_t vendor_be;
    std::memcpy(&vendor_be, value.data(), 4);
    const uint32_t vendor = ntohl(vendor_be);
    // RFC 2865 §5.26's suggested format; a VSA that does not follow it is kept whole.
    std::vector<Attribute> subs;
    size_t v = 4;
    while (v + 2 <= value.size()) {
      const uint8_t vlen = static_cast<uint8_t>(value[v + 1]);
      if (vlen < 2 || v + vlen > value.size()) break;
      subs.push_back(Attribute{type, std::string(value.substr(v + 2, vlen - 2)), vendor,
                               static_cast<uint8_t>(value[v])});
      v += vlen;
    }
    if (v == value.size() && !subs.empty())
      p.attrs.insert(p.attrs.end(), subs.begin(), subs.end());
    else
      p.attrs.push_back(Attribute{type, std::string(value)});
  }
  return p;
}

std::optional<Packet> verifyReply(std::string_view reply, std::string_view request,
                                  std::string_view secret, bool require_message_authenticator,
                                  std::string* why) {
  auto bad = [&](std::string reason) -> std::optional<Packet> {
    fail(why, std::move(reason));
    return std::nullopt;
  };
  if (request.size() < kHeader) return bad("no request to match");
  auto p = parse(reply, why);
  if (!p) return std::nullopt;
  reply = reply.substr(0, (static_cast<uint8_t>(reply[2]) << 8) | static_cast<uint8_t>(reply[3]));
  if (p->id != static_cast<uint8_t>(request[1])) return bad("identifier does not match");
  const auto req = static_cast<Code>(static_cast<uint8_t>(request[0]));
  const bool code_ok =
      (req == Code::CoaRequest && (p->code == Code::CoaAck || p->code == Code::CoaNak)) ||
      (req == Code::DisconnectRequest &&
       (p->code == Code::DisconnectAck || p->code == Code::DisconnectNak));
  if (!code_ok) return bad(std::string("unexpected reply code ") + std::string(codeName(p->code)));
  // Response Authenticator = MD5(Code+ID+Length+RequestAuth+Attributes+Secret).
  std::string copy(reply);
  std::memcpy(copy.data() + kAuthOffset, request.data() + kAuthOffset, 16);
  const auto expect = md5(copy, secret);
  if (!equal16(expect.data(), u8(reply, kAuthOffset)))
    return bad("response authenticator does not verify (wrong secret?)");
  const size_t ma_at = messageAuthenticatorOffset(reply);
  if (ma_at == 0) {
    if (require_message_authenticator) return bad("no Message-Authenticator");
  } else if (!checkMessageAuthenticator(reply, u8(request, kAuthOffset), ma_at, secret)) {
    return bad("Message-Authenticator does not verify");
  }
  return p;
}

bool verifyRequest(std::string_view request, std::string_view secret, std::string* why) {
  if (!parse(request, why)) return false;
  request =
      request.substr(0, (static_cast<uint8_t>(request[2]) << 8) | static_cast<uint8_t>(request[3]));
  std::string copy(request);
  std::memset(copy.data() + kAuthOffset, 0, 16);
  const auto expect = md5(copy, secret);
  if (!equal16(expect.data(), u8(request, kAuthOffset)))
    return fail(why, "request authenticator does not verify");
  const size_t ma_at = messageAuthenticatorOffset(request);
  if (ma_at == 0) return fail(why, "no Message-Authenticator");
  static constexpr uint8_t kZero[16] = {};
  if (!checkMessageAuthenticator(request, kZero, ma_at, secret))
    return fail(why, "Message-Authenticator does not verify");
  return true;
}

std::string errorCauseName(uint32_t cause) {
  switch (cause) {
  case 201:
    return "Residual-Session-Context-Removed";
  case 202:
    return "Invalid-EAP-Packet";
  case 401:
    return "Unsupported-Attribute";
  case 402:
    return "Missing-Attribute";
  case 403:
    return "NAS-Identification-Mismatch";
  case 404:
    return "Invalid-Request";
  case 405:
    return "Unsupported-Service";
  case 406:
    return "Unsupported-Extension";
  case 407:
    return "Invalid-Attribute-Value";
  case 501:
    return "Administratively-Prohibited";
  case 502:
    return "Request-Not-Routable";
  case 503:
    return "Session-Context-Not-Found";
  case 504:
    return "Session-Context-Not-Removable";
  case 505:
    return "Other-Proxy-Processing-Error";
  case 506:
    return "Resources-Unavailable";
  case 507:
    return "Request-Initiated";
  case 508:
    return "Multiple-Session-Selection-Unsupported";
  }
  return std::to_string(cause);
}

} // namespace ispbox::radius
