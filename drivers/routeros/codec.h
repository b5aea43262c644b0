// SPDX-License-Identifier: GPL-2.0-or-later
// The RouterOS API wire format: words (a length prefix and bytes) grouped into sentences (ended by
// an empty word).
//
// Written by hand on purpose: no Debian package implements the RouterOS API for C or C++, and the
// one Debian client (python3-librouteros) rejects the 5-byte length form (0xF0 + 4 bytes) that
// RouterOS uses for words of 256 MiB and more. The format is small; the care is in the decoder,
// which must take any bytes a peer sends (truncated frames, reserved control bytes, lengths of
// gigabytes) without crashing or allocating what the peer asks for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ispbox::routeros {

// Appends the length prefix for a word of n bytes (1 to 5 bytes).
void encodeLength(uint64_t n, std::string& out);
void encodeWord(std::string_view word, std::string& out);
// Words followed by the empty word that ends a sentence.
std::string encodeSentence(const std::vector<std::string>& words);

struct DecoderLimits {
  size_t max_word_bytes = size_t{4} << 20;      // a longer word is a protocol error
  size_t max_sentence_words = 16384;            // per sentence
  size_t max_sentence_bytes = size_t{16} << 20; // per sentence, all words together
};

// Incremental decoder: feed it bytes as they arrive, take sentences out as they complete.
// After an error it stays failed: the stream cannot be resynchronised, so the connection must go.
class Decoder {
public:
  explicit Decoder(DecoderLimits limits = {}) : limits_(limits) {}

  void feed(const char* data, size_t n);
  void feed(std::string_view data) { feed(data.data(), data.size()); }

  enum class Status { NeedMore, Sentence, Error };
  // Takes the next complete sentence out of the buffer into *words.
  Status next(std::vector<std::string>* words);
  const std::string& error() const { return error_; }
  // Bytes received but not yet part of a returned sentence.
  size_t buffered() const { return buffer_.size() - pos_; }

private:
  Status fail(std::string why);
  DecoderLimits limits_;
  std::string buffer_;
  size_t pos_ = 0; // start of the sentence being decoded
  // How far the sentence at pos_ has been checked (see next()).
  size_t scan_offset_ = 0, scan_words_ = 0, scan_bytes_ = 0;
  std::string error_;
};

// The reply sentence types.
enum class ReplyType { Re, Done, Trap, Fatal, Empty, Unknown };
ReplyType replyType(std::string_view first_word);

// One decoded sentence: its type, its .tag, its =name=value attributes in order, and any other
// words (the reason of !fatal, for one).
struct Sentence {
  ReplyType type = ReplyType::Unknown;
  std::string type_word;
  std::optional<std::string> tag;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<std::string> other;

  const std::string* attr(std::string_view name) const;
};
Sentence parseSentence(std::vector<std::string> words);

// "=name=value" -> (name, value). The value may itself contain '='; only the first '=' after the
// leading one separates. A word without that second '=' is a name with an empty value.
std::pair<std::string, std::string> splitAttribute(std::string_view word);

} // namespace ispbox::routeros
