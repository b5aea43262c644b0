// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace ispbox::crypto {
namespace {

std::string toHex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

// The algorithm fetched once: EVP_sha256() and the like make every digest look it up again in
// the provider tables, under locks, which costs more than hashing a short string.
const EVP_MD* fetchDigest(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (!md) throw std::runtime_error(std::string("OpenSSL has no ") + name);
  return md;
}

std::string digestHex(const EVP_MD* md, std::string_view data, const char* what) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1)
    throw std::runtime_error(std::string(what) + " failed");
  return toHex(digest, len);
}

} // namespace

std::string sha256Hex(std::string_view data) {
  static const EVP_MD* const md = fetchDigest("SHA256"); // kept for the process's life
  return digestHex(md, data, "sha256");
}

std::string md5Hex(std::string_view data) {
  static const EVP_MD* const md = fetchDigest("MD5");
  return digestHex(md, data, "md5");
}

std::string randomHex(size_t n) {
  std::vector<unsigned char> buf(n);
  if (RAND_bytes(buf.data(), static_cast<int>(n)) != 1)
    throw std::runtime_error("no randomness available");
  return toHex(buf.data(), n);
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  if (n && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no randomness available");
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace ispbox::crypto
