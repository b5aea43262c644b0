// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz target for the RouterOS decoder: arbitrary bytes, fed in pieces whose sizes come from the
// input itself, must never crash, leak or allocate past the limits; what decodes must re-encode
// to a sentence that decodes to the same words. Built with libFuzzer by run_fuzzer.sh; replayed
// over the kept corpus as a normal test by replay_main.cc.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "drivers/routeros/charset.h"
#include "drivers/routeros/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ispbox::routeros;
  if (size == 0) return 0;
  DecoderLimits limits;
  limits.max_word_bytes = 1 << 16;
  limits.max_sentence_words = 256;
  limits.max_sentence_bytes = 1 << 18;
  Decoder d(limits);
  // The first byte picks the chunk size, so splits at every position get explored.
  const size_t chunk = 1 + data[0] % 31;
  const char* p = reinterpret_cast<const char*>(data + 1);
  size_t left = size - 1;
  std::vector<std::string> words;
  while (left > 0) {
    const size_t n = left < chunk ? left : chunk;
    d.feed(p, n);
    p += n;
    left -= n;
    for (;;) {
      const auto st = d.next(&words);
      if (st != Decoder::Status::Sentence) break;
      Sentence s = parseSentence(words);
      for (const auto& [k, v] : s.attributes) {
        const std::string text = toUtf8(v, Charset::Cp1252);
        if (!isValidUtf8(text)) std::abort();
        auto back = fromUtf8(text, Charset::Cp1252);
        if (!back || *back != v) std::abort();
        (void)toUtf8(k, Charset::Utf8);
      }
      Decoder again(limits);
      again.feed(encodeSentence(words));
      std::vector<std::string> same;
      if (again.next(&same) != Decoder::Status::Sentence || same != words) std::abort();
    }
    if (d.buffered() > limits.max_sentence_bytes + 5 * (limits.max_sentence_words + 1) + chunk)
      std::abort(); // the buffer must stay bounded whatever the peer sends
  }
  return 0;
}
