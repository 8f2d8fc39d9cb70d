#pragma once

// The hashes ClickHouse's functions and aggregates are built on, bit for bit: CityHash64 as
// of CityHash v1.0.2 (the version ClickHouse froze, so that stored hashes never change),
// SipHash-2-4, and ClickHouse's intHash64 and intHash32. Pure functions: thread-safe.

#include <cstdint>
#include <string_view>

namespace hedgerow::query {

// CityHash64 v1.0.2 of the bytes: what cityHash64('...') returns for one String argument.
uint64_t CityHash64(std::string_view bytes);

// CityHash's Hash128to64 of (low, high): how cityHash64 folds the hash of each further
// argument (and of each array element) into the hash so far, as combine(so_far, next).
uint64_t CityHashCombine(uint64_t so_far, uint64_t next);

// SipHash-2-4 of the bytes with the all-zero key: what sipHash64('...') returns for one
// String argument (ClickHouse's SipHash is the reference algorithm).
uint64_t SipHash64(std::string_view bytes);

// Murmur3's 64-bit finalizer: what ClickHouse's intHash64 applies (after its seed), and what
// hash tables here spread packed keys with.
inline uint64_t MurmurFinalizer(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// ClickHouse's intHash64(x): Murmur2's 64-bit finalizer of x xor a fixed seed. Also what
// cityHash64 hashes a number with (its bits zero-extended to 64).
uint64_t IntHash64(uint64_t x);

// ClickHouse's intHash32(x): Thomas Wang's 64-to-32-bit mix of x xor another fixed seed.
uint32_t IntHash32(uint64_t x);

}  // namespace hedgerow::query
