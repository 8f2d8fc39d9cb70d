#include "hedgerow/common/hash.h"

#include <cstring>
#include <utility>

namespace hedgerow {
namespace {

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));  // little-endian host assumed, as ClickHouse does
  return v;
}

inline uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline uint64_t Rotl(uint64_t v, int s) { return (v << s) | (v >> (64 - s)); }

// ---- SipHash-2-4 ----

inline void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

// ---- CityHash v1.0.2 (64-bit) ----

constexpr uint64_t kC0 = 0xc3a5c85c97cb3127ULL;
constexpr uint64_t kC1 = 0xb492b66fbe98f273ULL;
constexpr uint64_t kC2 = 0x9ae16a3b2f90404fULL;
constexpr uint64_t kC3 = 0xc949d7c7509e6557ULL;

// Right rotation; a shift of 0 must not shift by 64 (undefined).
inline uint64_t Rotr(uint64_t v, int s) { return s == 0 ? v : (v >> s) | (v << (64 - s)); }
inline uint64_t ShiftMix(uint64_t v) { return v ^ (v >> 47); }

inline uint64_t HashLen16(uint64_t u, uint64_t v) {
  constexpr uint64_t kMul = 0x9ddfea08eb382d69ULL;
  uint64_t a = (u ^ v) * kMul;
  a ^= a >> 47;
  uint64_t b = (v ^ a) * kMul;
  b ^= b >> 47;
  return b * kMul;
}

uint64_t HashLen0to16(const char* s, size_t len) {
  if (len > 8) {
    uint64_t a = Load64(s);
    uint64_t b = Load64(s + len - 8);
    return HashLen16(a, Rotr(b + len, static_cast<int>(len))) ^ b;
  }
  if (len >= 4) {
    uint64_t a = Load32(s);
    return HashLen16(len + (a << 3), Load32(s + len - 4));
  }
  if (len > 0) {
    uint8_t a = static_cast<uint8_t>(s[0]);
    uint8_t b = static_cast<uint8_t>(s[len >> 1]);
    uint8_t c = static_cast<uint8_t>(s[len - 1]);
    uint32_t y = static_cast<uint32_t>(a) + (static_cast<uint32_t>(b) << 8);
    uint32_t z = static_cast<uint32_t>(len) + (static_cast<uint32_t>(c) << 2);
    return ShiftMix(y * kC2 ^ z * kC3) * kC2;
  }
  return kC2;
}

uint64_t HashLen17to32(const char* s, size_t len) {
  uint64_t a = Load64(s) * kC1;
  uint64_t b = Load64(s + 8);
  uint64_t c = Load64(s + len - 8) * kC2;
  uint64_t d = Load64(s + len - 16) * kC0;
  return HashLen16(Rotr(a - b, 43) + Rotr(c, 30) + d, a + Rotr(b ^ kC3, 20) - c + len);
}

std::pair<uint64_t, uint64_t> WeakHashLen32WithSeeds(uint64_t w, uint64_t x, uint64_t y,
                                                     uint64_t z, uint64_t a, uint64_t b) {
  a += w;
  b = Rotr(b + a + z, 21);
  uint64_t c = a;
  a += x;
  a += y;
  b += Rotr(a, 44);
  return {a + z, b + c};
}

std::pair<uint64_t, uint64_t> WeakHashLen32WithSeeds(const char* s, uint64_t a, uint64_t b) {
  return WeakHashLen32WithSeeds(Load64(s), Load64(s + 8), Load64(s + 16), Load64(s + 24), a, b);
}

uint64_t HashLen33to64(const char* s, size_t len) {
  uint64_t z = Load64(s + 24);
  uint64_t a = Load64(s) + (len + Load64(s + len - 16)) * kC0;
  uint64_t b = Rotr(a + z, 52);
  uint64_t c = Rotr(a, 37);
  a += Load64(s + 8);
  c += Rotr(a, 7);
  a += Load64(s + 16);
  uint64_t vf = a + z;
  uint64_t vs = b + Rotr(a, 31) + c;
  a = Load64(s + 16) + Load64(s + len - 32);
  z = Load64(s + len - 8);
  b = Rotr(a + z, 52);
  c = Rotr(a, 37);
  a += Load64(s + len - 24);
  c += Rotr(a, 7);
  a += Load64(s + len - 16);
  uint64_t wf = a + z;
  uint64_t ws = b + Rotr(a, 31) + c;
  uint64_t r = ShiftMix((vf + ws) * kC2 + (wf + vs) * kC0);
  return ShiftMix(r * kC0 + vs) * kC2;
}

}  // namespace

uint64_t SipHash64(std::string_view data) {
  // Key (0, 0): the initial state is the constant "somepseudorandomlygeneratedbytes".
  uint64_t v0 = 0x736f6d6570736575ULL;
  uint64_t v1 = 0x646f72616e646f6dULL;
  uint64_t v2 = 0x6c7967656e657261ULL;
  uint64_t v3 = 0x7465646279746573ULL;
  const char* p = data.data();
  size_t len = data.size();
  const char* end = p + (len & ~size_t{7});
  for (; p != end; p += 8) {
    uint64_t m = Load64(p);
    v3 ^= m;
    SipRound(v0, v1, v2, v3);
    SipRound(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(len & 0xff) << 56;
  for (size_t i = 0; i < (len & 7); ++i) {
    last |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  }
  v3 ^= last;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) SipRound(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t CityHash64(std::string_view data) {
  const char* s = data.data();
  size_t len = data.size();
  if (len <= 16) return HashLen0to16(s, len);
  if (len <= 32) return HashLen17to32(s, len);
  if (len <= 64) return HashLen33to64(s, len);

  // Over 64 bytes: hash the tail first, then 64-byte chunks keeping 56 bytes of state.
  uint64_t x = Load64(s);
  uint64_t y = Load64(s + len - 16) ^ kC1;
  uint64_t z = Load64(s + len - 56) ^ kC0;
  auto v = WeakHashLen32WithSeeds(s + len - 64, len, y);
  auto w = WeakHashLen32WithSeeds(s + len - 32, len * kC1, kC0);
  z += ShiftMix(v.second) * kC1;
  x = Rotr(z + x, 39) * kC1;
  y = Rotr(y, 33) * kC1;

  len = (len - 1) & ~static_cast<size_t>(63);
  do {
    x = Rotr(x + y + v.first + Load64(s + 16), 37) * kC1;
    y = Rotr(y + v.second + Load64(s + 48), 42) * kC1;
    x ^= w.second;
    y ^= v.first;
    z = Rotr(z ^ w.first, 33);
    v = WeakHashLen32WithSeeds(s, v.second * kC1, x + w.first);
    w = WeakHashLen32WithSeeds(s + 32, z + w.second, y);
    std::swap(z, x);
    s += 64;
    len -= 64;
  } while (len != 0);
  return HashLen16(HashLen16(v.first, w.first) + ShiftMix(y) * kC1 + z,
                   HashLen16(v.second, w.second) + x);
}

int32_t KafkaMurmur2(std::string_view data) {
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const size_t len = data.size();
  uint32_t h = 0x9747b28cU ^ static_cast<uint32_t>(len);
  const size_t blocks = len / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const uint8_t* b = p + 4 * i;
    uint32_t k = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const uint8_t* tail = p + (len & ~size_t{3});
  switch (len % 4) {
    case 3: h ^= static_cast<uint32_t>(tail[2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<uint32_t>(tail[1]) << 8; [[fallthrough]];
    case 1:
      h ^= tail[0];
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

uint32_t KafkaPartition(std::string_view key, uint32_t partitions) {
  return (static_cast<uint32_t>(KafkaMurmur2(key)) & 0x7fffffffU) % partitions;
}

}  // namespace hedgerow
