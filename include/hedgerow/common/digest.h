#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hedgerow {

// Cryptographic digests through OpenSSL's EVP interface. Thread-safe.

using Sha1Digest = std::array<uint8_t, 20>;
using Sha256Digest = std::array<uint8_t, 32>;

// SHA-1 of the concatenation of `parts` (feature flag hashing, UUIDv5).
Sha1Digest Sha1(std::initializer_list<std::string_view> parts);
Sha256Digest Sha256(std::string_view data);

// 0..15 for a hex digit of either case, -1 for any other character.
int HexDigitValue(char c);

// Lower-case hex of any byte string.
std::string HexEncode(const uint8_t* data, size_t n);
template <size_t N>
std::string HexEncode(const std::array<uint8_t, N>& d) {
  return HexEncode(d.data(), N);
}

}  // namespace hedgerow
