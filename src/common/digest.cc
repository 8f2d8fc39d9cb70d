#include "hedgerow/common/digest.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace hedgerow {
namespace {

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* md, std::initializer_list<std::string_view> parts) {
  std::array<uint8_t, N> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, md, nullptr) == 1;
  for (std::string_view p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == N;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    // Only an allocation failure inside OpenSSL gets here; no caller can recover from it.
    std::fputs("fatal: OpenSSL digest failed\n", stderr);
    std::abort();
  }
  return out;
}

}  // namespace

Sha1Digest Sha1(std::initializer_list<std::string_view> parts) {
  return Digest<20>(EVP_sha1(), parts);
}

Sha256Digest Sha256(std::string_view data) { return Digest<32>(EVP_sha256(), {data}); }

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string HexEncode(const uint8_t* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0x0f];
  }
  return out;
}

}  // namespace hedgerow
