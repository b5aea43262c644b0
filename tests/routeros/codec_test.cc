// SPDX-License-Identifier: GPL-2.0-or-later
// The RouterOS word and sentence codec: every length form at its boundaries, decoding from any
// split of the input, and hostile input (reserved bytes, oversized words and sentences).
#include <gtest/gtest.h>

#include "drivers/routeros/charset.h"
#include "drivers/routeros/codec.h"

namespace ispbox::routeros {
namespace {

std::string lengthBytes(uint64_t n) {
  std::string s;
  encodeLength(n, s);
  return s;
}

TEST(Codec, LengthFormsAtTheirBoundaries) {
  EXPECT_EQ(lengthBytes(0), std::string("\x00", 1));
  EXPECT_EQ(lengthBytes(0x7F), "\x7F");
  EXPECT_EQ(lengthBytes(0x80), "\x80\x80");
  EXPECT_EQ(lengthBytes(0x3FFF), "\xBF\xFF");
  EXPECT_EQ(lengthBytes(0x4000), std::string("\xC0\x40\x00", 3));
  EXPECT_EQ(lengthBytes(0x1FFFFF), "\xDF\xFF\xFF");
  EXPECT_EQ(lengthBytes(0x200000), std::string("\xE0\x20\x00\x00", 4));
  EXPECT_EQ(lengthBytes(0xFFFFFFF), "\xEF\xFF\xFF\xFF");
  EXPECT_EQ(lengthBytes(0x10000000), std::string("\xF0\x10\x00\x00\x00", 5));
  EXPECT_EQ(lengthBytes(0xFFFFFFFF), "\xF0\xFF\xFF\xFF\xFF");
}

TEST(Codec, RoundTripsWordsOfEverySizeClass) {
  DecoderLimits limits;
  limits.max_word_bytes = 3 << 20;
  limits.max_sentence_bytes = 8 << 20;
  std::vector<std::string> words;
  for (size_t n : {size_t{1}, size_t{0x7F}, size_t{0x80}, size_t{0x3FFF}, size_t{0x4000},
                   size_t{0x1FFFFF}, size_t{0x200000}})
    words.push_back(std::string(n, static_cast<char>('a' + n % 26)));
  const std::string wire = encodeSentence(words);
  Decoder d(limits);
  d.feed(wire);
  std::vector<std::string> out;
  ASSERT_EQ(d.next(&out), Decoder::Status::Sentence) << d.error();
  EXPECT_EQ(out, words);
  EXPECT_EQ(d.next(&out), Decoder::Status::NeedMore);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Codec, DecodesTheFiveByteFormAndNonMinimalLengths) {
  // RouterOS only uses 0xF0 for words of 256 MiB and more; a decoder must read it for any length.
  const std::string wire = std::string("\xF0\x00\x00\x00\x05hello", 10) +
                           std::string("\xE0\x00\x00\x03"
                                       "abc",
                                       7) +
                           std::string(1, '\0');
  Decoder d;
  d.feed(wire);
  std::vector<std::string> out;
  ASSERT_EQ(d.next(&out), Decoder::Status::Sentence) << d.error();
  EXPECT_EQ(out, (std::vector<std::string>{"hello", "abc"}));
}

TEST(Codec, DecodesFromAnySplitOfTheInput) {
  const std::vector<std::vector<std::string>> sentences = {
      {"!re", "=name=user1", std::string(300, 'x'), ".tag=7"}, {"!done", ".tag=7"}, {"!empty"}};
  std::string wire;
  for (const auto& s : sentences)
    wire += encodeSentence(s);
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}}) {
    Decoder d;
    std::vector<std::vector<std::string>> got;
    std::vector<std::string> out;
    for (size_t i = 0; i < wire.size(); i += chunk) {
      d.feed(wire.substr(i, chunk));
      while (d.next(&out) == Decoder::Status::Sentence)
        got.push_back(out);
    }
    EXPECT_EQ(got, sentences) << "chunk " << chunk;
  }
}

TEST(Codec, RejectsReservedControlBytes) {
  for (unsigned char b : {0xF1, 0xF8, 0xFF}) {
    Decoder d;
    d.feed(std::string(1, static_cast<char>(b)) + "abc");
    std::vector<std::string> out;
    EXPECT_EQ(d.next(&out), Decoder::Status::Error);
    EXPECT_NE(d.error().find("reserved control byte"), std::string::npos);
    // Failed for good: the stream cannot be resynchronised.
    d.feed(encodeSentence({"!done"}));
    EXPECT_EQ(d.next(&out), Decoder::Status::Error);
  }
}

TEST(Codec, RejectsOversizedWordsBeforeReadingThem) {
  Decoder d;                                      // 4 MiB limit
  d.feed(std::string("\xF0\xFF\xFF\xFF\xFF", 5)); // announces 4 GiB and sends nothing more
  std::vector<std::string> out;
  EXPECT_EQ(d.next(&out), Decoder::Status::Error);
  EXPECT_NE(d.error().find("exceeds the limit"), std::string::npos);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Codec, RejectsTooManyWordsAndTooLargeSentences) {
  DecoderLimits limits;
  limits.max_sentence_words = 3;
  Decoder d(limits);
  d.feed(encodeSentence({"a", "b", "c", "d"}));
  std::vector<std::string> out;
  EXPECT_EQ(d.next(&out), Decoder::Status::Error);

  DecoderLimits bytes;
  bytes.max_sentence_bytes = 100;
  Decoder d2(bytes);
  d2.feed(encodeSentence({std::string(60, 'a'), std::string(60, 'b')}));
  EXPECT_EQ(d2.next(&out), Decoder::Status::Error);
}

TEST(Codec, ParsesSentences) {
  auto s = parseSentence({"!re", "=comment=a=b", "=name=x", ".tag=42", "=flag"});
  EXPECT_EQ(s.type, ReplyType::Re);
  ASSERT_TRUE(s.tag);
  EXPECT_EQ(*s.tag, "42");
  ASSERT_NE(s.attr("comment"), nullptr);
  EXPECT_EQ(*s.attr("comment"), "a=b"); // only the first '=' after the name separates
  EXPECT_EQ(*s.attr("flag"), "");
  auto f = parseSentence({"!fatal", "session terminated on request"});
  EXPECT_EQ(f.type, ReplyType::Fatal);
  ASSERT_EQ(f.other.size(), 1u);
  EXPECT_EQ(parseSentence({"!empty"}).type, ReplyType::Empty);
  EXPECT_EQ(parseSentence({"!whatever"}).type, ReplyType::Unknown);
  EXPECT_EQ(parseSentence({}).type, ReplyType::Unknown);
}

TEST(Charset, Cp1252ToUtf8AndBack) {
  const std::string router = "caf\xE9 \x80 \x9F \x81"; // é, €, Ÿ, undefined 0x81
  const std::string text = toUtf8(router, Charset::Cp1252);
  EXPECT_EQ(text, "caf\xC3\xA9 \xE2\x82\xAC \xC5\xB8 \xC2\x81");
  EXPECT_TRUE(isValidUtf8(text));
  auto back = fromUtf8(text, Charset::Cp1252);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, router);
  // A character Windows-1252 cannot hold is refused, not replaced.
  EXPECT_FALSE(fromUtf8("\xD0\x96", Charset::Cp1252)); // Cyrillic Zhe
  EXPECT_FALSE(fromUtf8("\xC3", Charset::Cp1252));     // not UTF-8 at all
}

TEST(Charset, Utf8RoutersKeepTextAndLoseOnlyInvalidBytes) {
  EXPECT_EQ(toUtf8("\xD0\x96", Charset::Utf8), "\xD0\x96");
  EXPECT_EQ(toUtf8("a\xFF"
                   "b",
                   Charset::Utf8),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(toUtf8("\xED\xA0\x80", Charset::Utf8), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(parseCharset("utf-8"));
  EXPECT_FALSE(parseCharset("latin9"));
}

} // namespace
} // namespace ispbox::routeros
