#include "hedgerow/common/digest.h"

// SHA-1 goes through OpenSSL's low-level SHA1_* functions, deprecated in 3.0 in favour of
// EVP but kept: for the short strings flags hash (two per flag per /flags request) EVP's
// provider dispatch cost several times the hashing itself.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>

namespace hedgerow {
namespace {

// OpenSSL 3 looks an algorithm up (locks, property queries) on every EVP_sha256() init and
// allocates a context per digest: the algorithm is fetched once, the context kept per thread.
const EVP_MD* Fetched(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    std::fputs("fatal: OpenSSL has no digest needed here\n", stderr);
    std::abort();
  }
  return md;
}

struct ThreadContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(ctx); }
};

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* md, std::initializer_list<std::string_view> parts) {
  thread_local ThreadContext context;
  std::array<uint8_t, N> out{};
  EVP_MD_CTX* ctx = context.ctx;
  unsigned len = 0;
  bool ok = ctx != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
  for (std::string_view p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == N;
  if (!ok) {
    // Only an allocation failure inside OpenSSL gets here; no caller can recover from it.
    std::fputs("fatal: OpenSSL digest failed\n", stderr);
    std::abort();
  }
  return out;
}

}  // namespace

Sha1Digest Sha1(std::initializer_list<std::string_view> parts) {
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  // Short inputs (flag buckets: "<key>.<id><salt>") joined first: one update, not one a part.
  char joined[256];
  size_t total = 0;
  for (std::string_view p : parts) total += p.size();
  if (total <= sizeof joined) {
    char* end = joined;
    for (std::string_view p : parts) end = std::copy(p.begin(), p.end(), end);
    SHA1_Update(&ctx, joined, total);
  } else {
    for (std::string_view p : parts) SHA1_Update(&ctx, p.data(), p.size());
  }
  Sha1Digest out{};
  SHA1_Final(out.data(), &ctx);
  return out;
}

Sha256Digest Sha256(std::string_view data) {
  static const EVP_MD* const sha256 = Fetched("SHA256");
  return Digest<32>(sha256, {data});
}

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
