// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/routeros/codec.h"

namespace ispbox::routeros {

void encodeLength(uint64_t n, std::string& out) {
  auto put = [&out](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
      out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  if (n < 0x80) {
    put(n, 1);
  } else if (n < 0x4000) {
    put(n | 0x8000, 2);
  } else if (n < 0x200000) {
    put(n | 0xC00000, 3);
  } else if (n < 0x10000000) {
    put(n | 0xE0000000, 4);
  } else {
    out.push_back(static_cast<char>(0xF0));
    put(n & 0xFFFFFFFFu, 4);
  }
}

void encodeWord(std::string_view word, std::string& out) {
  encodeLength(word.size(), out);
  out.append(word);
}

std::string encodeSentence(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    encodeWord(w, out);
  out.push_back('\0');
  return out;
}

void Decoder::feed(const char* data, size_t n) {
  if (!error_.empty()) return;
  // Drop what earlier sentences used before growing, so the buffer holds at most one sentence
  // plus what arrived with it.
  if (pos_ > 0 && pos_ >= buffer_.size() / 2) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(data, n);
}

Decoder::Status Decoder::fail(std::string why) {
  error_ = std::move(why);
  scan_offset_ = scan_words_ = scan_bytes_ = 0;
  buffer_.clear();
  pos_ = 0;
  return Status::Error;
}

namespace {

// Size of the length prefix that starts with byte b, or 0 for a reserved control byte.
size_t prefixSize(unsigned b) {
  if (b < 0x80) return 1;
  if ((b & 0xC0) == 0x80) return 2;
  if ((b & 0xE0) == 0xC0) return 3;
  if ((b & 0xF0) == 0xE0) return 4;
  if (b == 0xF0) return 5;
  return 0; // 0xF1..0xFF: control bytes RouterOS never sends where a length belongs
}

// The length in a complete prefix of the given size.
uint64_t prefixLength(const unsigned char* p, size_t prefix) {
  static constexpr unsigned kMask[] = {0, 0x7F, 0x3F, 0x1F, 0x0F, 0x00};
  uint64_t len = p[0] & kMask[prefix];
  for (size_t i = 1; i < prefix; ++i)
    len = (len << 8) | p[i];
  return len;
}

} // namespace

Decoder::Status Decoder::next(std::vector<std::string>* words) {
  if (!error_.empty()) return Status::Error;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data());
  const size_t end = buffer_.size();
  // First pass: check that the whole sentence is here and within limits, without copying. It
  // resumes where the previous call stopped, so a large sentence arriving in small pieces is
  // scanned once, not once per piece.
  size_t at = pos_ + scan_offset_;
  size_t& count = scan_words_;
  size_t& bytes = scan_bytes_;
  for (;;) {
    scan_offset_ = at - pos_;
    if (at >= end) return Status::NeedMore;
    const size_t prefix = prefixSize(p[at]);
    if (prefix == 0) {
      static constexpr char kHex[] = "0123456789abcdef";
      return fail(std::string("reserved control byte 0x") + kHex[p[at] >> 4] + kHex[p[at] & 15] +
                  " where a word length was expected");
    }
    if (end - at < prefix) return Status::NeedMore;
    const uint64_t len = prefixLength(p + at, prefix);
    if (len > limits_.max_word_bytes)
      return fail("word of " + std::to_string(len) + " bytes exceeds the limit of " +
                  std::to_string(limits_.max_word_bytes));
    if (len == 0) {
      at += prefix;
      break;
    }
    if (count + 1 > limits_.max_sentence_words)
      return fail("sentence has more than " + std::to_string(limits_.max_sentence_words) +
                  " words");
    if (bytes + len > limits_.max_sentence_bytes)
      return fail("sentence exceeds " + std::to_string(limits_.max_sentence_bytes) + " bytes");
    if (end - at - prefix < len) return Status::NeedMore;
    ++count;
    bytes += len;
    at += prefix + len;
  }
  // Second pass: copy the words out (every prefix is known to be complete and valid now).
  words->clear();
  words->reserve(count);
  for (size_t q = pos_; q < at;) {
    const size_t prefix = prefixSize(p[q]);
    const uint64_t len = prefixLength(p + q, prefix);
    q += prefix;
    if (len == 0) break;
    words->emplace_back(buffer_.data() + q, len);
    q += len;
  }
  pos_ = at;
  scan_offset_ = scan_words_ = scan_bytes_ = 0;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  return Status::Sentence;
}

ReplyType replyType(std::string_view w) {
  if (w == "!re") return ReplyType::Re;
  if (w == "!done") return ReplyType::Done;
  if (w == "!trap") return ReplyType::Trap;
  if (w == "!fatal") return ReplyType::Fatal;
  if (w == "!empty") return ReplyType::Empty;
  return ReplyType::Unknown;
}

std::pair<std::string, std::string> splitAttribute(std::string_view word) {
  if (!word.empty() && word.front() == '=') word.remove_prefix(1);
  const size_t eq = word.find('=');
  if (eq == std::string_view::npos) return {std::string(word), {}};
  return {std::string(word.substr(0, eq)), std::string(word.substr(eq + 1))};
}

const std::string* Sentence::attr(std::string_view name) const {
  for (const auto& [k, v] : attributes)
    if (k == name) return &v;
  return nullptr;
}

Sentence parseSentence(std::vector<std::string> words) {
  Sentence s;
  if (words.empty()) return s;
  s.type_word = std::move(words.front());
  s.type = replyType(s.type_word);
  for (size_t i = 1; i < words.size(); ++i) {
    std::string& w = words[i];
    if (w.size() >= 5 && w.compare(0, 5, ".tag=") == 0) {
      s.tag = w.substr(5);
    } else if (!w.empty() && w.front() == '=') {
      s.attributes.push_back(splitAttribute(w));
    } else {
      s.other.push_back(std::move(w));
    }
  }
  return s;
}

} // namespace ispbox::routeros
