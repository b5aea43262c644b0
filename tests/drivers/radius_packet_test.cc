// SPDX-License-Identifier: GPL-2.0-or-later
// The CoA packet codec: what we sign verifies, what is tampered with or malformed does not, and
// no input crashes the parser.
#include <gtest/gtest.h>

#include <random>

#include <openssl/evp.h>

#include "drivers/radius/packet.h"

namespace ispbox::radius {
namespace {

std::vector<Attribute> sample() {
  return {Attribute::string(attr::kUserName, "alice"),
          Attribute::string(attr::kAcctSessionId, "81600001"),
          Attribute::ipv4(attr::kFramedIpAddress, "10.1.2.3"),
          Attribute::vsa(kVendorMikrotik, mikrotik::kRateLimit, "1M/2M")};
}

// A reply as a NAS builds it: Response Authenticator over the request's authenticator.
std::string reply(const std::string& request, Code code, uint32_t cause, std::string_view secret);

TEST(RadiusPacket, RequestRoundTripsAndVerifies) {
  const std::string p = encodeRequest(Code::CoaRequest, 7, sample(), "s3cret");
  std::string why;
  ASSERT_TRUE(verifyRequest(p, "s3cret", &why)) << why;
  EXPECT_FALSE(verifyRequest(p, "other", &why));
  auto parsed = parse(p, &why);
  ASSERT_TRUE(parsed) << why;
  EXPECT_EQ(parsed->code, Code::CoaRequest);
  EXPECT_EQ(parsed->id, 7);
  ASSERT_EQ(parsed->attrs.size(), 5u); // Message-Authenticator first, then ours
  EXPECT_EQ(parsed->attrs[0].type, attr::kMessageAuthenticator);
  const Attribute* rate =
      parsed->find(attr::kVendorSpecific, kVendorMikrotik, mikrotik::kRateLimit);
  ASSERT_TRUE(rate);
  EXPECT_EQ(rate->value, "1M/2M");
  EXPECT_EQ(parsed->find(attr::kFramedIpAddress)->value, std::string("\x0a\x01\x02\x03", 4));
}

TEST(RadiusPacket, TamperingBreaksTheSignature) {
  const std::string p = encodeRequest(Code::DisconnectRequest, 1, sample(), "s3cret");
  for (size_t i = 20; i < p.size(); i += 3) {
    std::string bad = p;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    std::string why;
    EXPECT_FALSE(verifyRequest(bad, "s3cret", &why)) << "byte " << i;
  }
}

TEST(RadiusPacket, RepliesAreVerifiedAgainstTheRequest) {
  const std::string req = encodeRequest(Code::CoaRequest, 9, sample(), "s3cret");
  std::string why;
  auto ack = verifyReply(reply(req, Code::CoaAck, 0, "s3cret"), req, "s3cret", false, &why);
  ASSERT_TRUE(ack) << why;
  // A NAS configured to sign its replies must: one without Message-Authenticator is refused.
  EXPECT_FALSE(verifyReply(reply(req, Code::CoaAck, 0, "s3cret"), req, "s3cret", true, &why));
  EXPECT_EQ(why, "no Message-Authenticator");
  EXPECT_EQ(ack->code, Code::CoaAck);
  auto nak = verifyReply(reply(req, Code::CoaNak, 503, "s3cret"), req, "s3cret", false, &why);
  ASSERT_TRUE(nak) << why;
  EXPECT_EQ(nak->find(attr::kErrorCause)->asInteger(), 503u);
  EXPECT_EQ(errorCauseName(503), "Session-Context-Not-Found");
  // Wrong secret, wrong code for the request, wrong id: refused with a reason.
  EXPECT_FALSE(verifyReply(reply(req, Code::CoaAck, 0, "guess"), req, "s3cret", false, &why));
  EXPECT_NE(why.find("authenticator"), std::string::npos) << why;
  EXPECT_FALSE(
      verifyReply(reply(req, Code::DisconnectAck, 0, "s3cret"), req, "s3cret", false, &why));
  std::string other_id = reply(req, Code::CoaAck, 0, "s3cret");
  other_id[1] = 10;
  EXPECT_FALSE(verifyReply(other_id, req, "s3cret", false, &why));
}

TEST(RadiusPacket, OversizedAttributesAreRefused) {
  EXPECT_THROW(
      encodeRequest(Code::CoaRequest, 1, {Attribute::string(1, std::string(254, 'x'))}, "s"),
      std::invalid_argument);
  EXPECT_THROW(encodeRequest(Code::CoaRequest, 1, {Attribute::string(1, "")}, "s"),
               std::invalid_argument);
  EXPECT_THROW(Attribute::ipv4(8, "10.0.0.256"), std::invalid_argument);
}

TEST(RadiusPacket, HostileBytesNeverCrashTheParser) {
  std::mt19937 rng(42);
  const std::string good = encodeRequest(Code::CoaRequest, 3, sample(), "s");
  std::string why;
  size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p = good;
    // Mutate a few bytes, including the length fields, and sometimes truncate or extend.
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
      p[rng() % p.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) p.resize(rng() % (p.size() + 1));
    if (rng() % 8 == 0) p.append(rng() % 64, static_cast<char>(rng()));
    if (parse(p, &why)) ++parsed;
    verifyReply(p, good, "s", true, &why);
    verifyRequest(p, "s", &why);
  }
  EXPECT_GT(parsed, 0u); // some mutations stay well-formed: the parser is not rejecting everything
  EXPECT_FALSE(parse(std::string(19, '\0'), &why));
  EXPECT_EQ(why, "shorter than a RADIUS header");
}

std::string reply(const std::string& request, Code code, uint32_t cause, std::string_view secret) {
  // Built by hand here (not with the code under test): header, attributes, then the authenticator.
  std::string p(20, '\0');
  p[0] = static_cast<char>(code);
  p[1] = request[1];
  if (cause) {
    p += static_cast<char>(attr::kErrorCause);
    p += static_cast<char>(6);
    for (int s = 24; s >= 0; s -= 8)
      p += static_cast<char>((cause >> s) & 0xff);
  }
  p[2] = static_cast<char>(p.size() >> 8);
  p[3] = static_cast<char>(p.size() & 0xff);
  std::string for_md5 = p;
  for_md5.replace(4, 16, request.substr(4, 16));
  for_md5 += secret;
  unsigned char digest[16];
  unsigned len = 0;
  EVP_Digest(for_md5.data(), for_md5.size(), digest, &len, EVP_md5(), nullptr);
  p.replace(4, 16, reinterpret_cast<const char*>(digest), 16);
  return p;
}

} // namespace
} // namespace ispbox::radius
