// CityHash v1.0.2 (Geoff Pike and Jyrki Alakuijala's published algorithm, MIT-licensed),
// written here from its description for the 64-bit hash only, checked against
// clickhouse-server 18.16's cityHash64 for every length from 0 to 300 bytes
// (tests/query/math_test.cc). v1.0.3 and later changed the short-input paths, so the
// version matters: ClickHouse kept v1.0.2.

#include "hash.h"

#include <cstring>
#include <utility>

namespace hedgerow::query {
namespace {

constexpr uint64_t kK0 = 0xc3a5c85c97cb3127ULL;
constexpr uint64_t kK1 = 0xb492b66fbe98f273ULL;
constexpr uint64_t kK2 = 0x9ae16a3b2f90404fULL;
constexpr uint64_t kK3 = 0xc949d7c7509e6557ULL;

// Little-endian loads (x86-64 only, as ClickHouse itself).
uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Rotate right; `shift` in 1..63 (CityHash's Rotate also passes 0 through unchanged).
uint64_t RotateRight(uint64_t v, unsigned shift) { return shift == 0 ? v : (v >> shift) | (v << (64 - shift)); }
uint64_t ShiftMix(uint64_t v) { return v ^ (v >> 47); }

uint64_t Mix16(uint64_t low, uint64_t high) {
  constexpr uint64_t kMul = 0x9ddfea08eb382d69ULL;
  uint64_t a = (low ^ high) * kMul;
  a ^= a >> 47;
  uint64_t b = (high ^ a) * kMul;
  b ^= b >> 47;
  return b * kMul;
}

uint64_t Short(const char* s, size_t len) {  // 0 to 16 bytes
  if (len > 8) {
    uint64_t a = Load64(s), b = Load64(s + len - 8);
    // len is 9..16 here, so the rotation is never by 0 (CityHash's RotateByAtLeast1).
    return Mix16(a, RotateRight(b + len, static_cast<unsigned>(len))) ^ b;
  }
  if (len >= 4) return Mix16(len + (Load32(s) << 3), Load32(s + len - 4));
  if (len > 0) {
    uint32_t first = static_cast<uint8_t>(s[0]), middle = static_cast<uint8_t>(s[len >> 1]);
    uint32_t last = static_cast<uint8_t>(s[len - 1]);
    uint32_t y = first + (middle << 8);
    uint32_t z = static_cast<uint32_t>(len) + (last << 2);
    return ShiftMix(y * kK2 ^ z * kK3) * kK2;
  }
  return kK2;
}

uint64_t Medium(const char* s, size_t len) {  // 17 to 32 bytes
  uint64_t a = Load64(s) * kK1, b = Load64(s + 8);
  uint64_t c = Load64(s + len - 8) * kK2, d = Load64(s + len - 16) * kK0;
  return Mix16(RotateRight(a - b, 43) + RotateRight(c, 30) + d, a + RotateRight(b ^ kK3, 20) - c + len);
}

uint64_t Long(const char* s, size_t len) {  // 33 to 64 bytes
  uint64_t z = Load64(s + 24);
  uint64_t a = Load64(s) + (len + Load64(s + len - 16)) * kK0;
  uint64_t b = RotateRight(a + z, 52), c = RotateRight(a, 37);
  a += Load64(s + 8);
  c += RotateRight(a, 7);
  a += Load64(s + 16);
  const uint64_t vf = a + z, vs = b + RotateRight(a, 31) + c;
  a = Load64(s + 16) + Load64(s + len - 32);
  z = Load64(s + len - 8);
  b = RotateRight(a + z, 52);
  c = RotateRight(a, 37);
  a += Load64(s + len - 24);
  c += RotateRight(a, 7);
  a += Load64(s + len - 16);
  const uint64_t wf = a + z, ws = b + RotateRight(a, 31) + c;
  const uint64_t r = ShiftMix((vf + ws) * kK2 + (wf + vs) * kK0);
  return ShiftMix(r * kK0 + vs) * kK2;
}

// Mixes 32 bytes (w, x, y, z) into the seeds a and b: CityHash's WeakHashLen32WithSeeds.
std::pair<uint64_t, uint64_t> Weak32(const char* s, uint64_t a, uint64_t b) {
  const uint64_t w = Load64(s), x = Load64(s + 8), y = Load64(s + 16), z = Load64(s + 24);
  a += w;
  b = RotateRight(b + a + z, 21);
  const uint64_t c = a;
  a += x + y;
  b += RotateRight(a, 44);
  return {a + z, b + c};
}

}  // namespace

uint64_t CityHash64(std::string_view bytes) {
  const char* s = bytes.data();
  size_t len = bytes.size();
  if (len <= 16) return Short(s, len);
  if (len <= 32) return Medium(s, len);
  if (len <= 64) return Long(s, len);
  // Over 64 bytes: the last 64 seed a 56-byte state (v, w, x, y, z), then each 64-byte
  // block from the start is mixed in; the final block overlaps the tail when len is not a
  // multiple of 64.
  uint64_t x = Load64(s), y = Load64(s + len - 16) ^ kK1, z = Load64(s + len - 56) ^ kK0;
  std::pair<uint64_t, uint64_t> v = Weak32(s + len - 64, len, y);
  std::pair<uint64_t, uint64_t> w = Weak32(s + len - 32, len * kK1, kK0);
  z += ShiftMix(v.second) * kK1;
  x = RotateRight(z + x, 39) * kK1;
  y = RotateRight(y, 33) * kK1;
  for (size_t blocks = (len - 1) / 64; blocks > 0; --blocks, s += 64) {
    x = RotateRight(x + y + v.first + Load64(s + 16), 37) * kK1;
    y = RotateRight(y + v.second + Load64(s + 48), 42) * kK1;
    x ^= w.second;
    y ^= v.first;
    z = RotateRight(z ^ w.first, 33);
    v = Weak32(s, v.second * kK1, x + w.first);
    w = Weak32(s + 32, z + w.second, y);
    std::swap(z, x);
  }
  return Mix16(Mix16(v.first, w.first) + ShiftMix(y) * kK1 + z, Mix16(v.second, w.second) + x);
}

uint64_t CityHashCombine(uint64_t so_far, uint64_t next) { return Mix16(so_far, next); }

uint64_t SipHash64(std::string_view bytes) {
  uint64_t v0 = 0x736f6d6570736575ULL, v1 = 0x646f72616e646f6dULL, v2 = 0x6c7967656e657261ULL, v3 = 0x7465646279746573ULL;
  auto rotl = [](uint64_t v, unsigned n) { return (v << n) | (v >> (64 - n)); };
  auto round = [&] {
    v0 += v1;
    v1 = rotl(v1, 13) ^ v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16) ^ v2;
    v0 += v3;
    v3 = rotl(v3, 21) ^ v0;
    v2 += v1;
    v1 = rotl(v1, 17) ^ v2;
    v2 = rotl(v2, 32);
  };
  auto absorb = [&](uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  };
  const size_t whole = bytes.size() / 8 * 8;
  for (size_t i = 0; i < whole; i += 8) absorb(Load64(bytes.data() + i));
  // The last word: the remaining bytes, little-endian, with the length's low byte on top.
  uint64_t last = static_cast<uint64_t>(bytes.size() & 0xff) << 56;
  for (size_t i = whole; i < bytes.size(); ++i) last |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * (i - whole));
  absorb(last);
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

namespace {
// ClickHouse xors integers with this before hashing them, so that its integer hashes differ
// from other uses of the same mixers.
constexpr uint64_t kIntHashSeed = 0x4CF2D2BAAE6DA887ULL;
}  // namespace

uint64_t IntHash64(uint64_t x) { return MurmurFinalizer(x ^ kIntHashSeed); }

uint32_t IntHash32(uint64_t x) {
  x ^= 0x75D9543DE018BF45ULL;  // intHash32's own seed
  x = ~x + (x << 18);
  x ^= (x >> 31) | (x << 33);
  x *= 21;
  x ^= (x >> 11) | (x << 53);
  x += x << 6;
  x ^= (x >> 22) | (x << 42);
  return static_cast<uint32_t>(x);
}

}  // namespace hedgerow::query
