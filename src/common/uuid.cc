#include "hedgerow/common/uuid.h"

#include <mutex>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/digest.h"
#include "hedgerow/common/random.h"

namespace hedgerow {
namespace {

void SetVersionAndVariant(Uuid& u, int version) {
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0f) | (version << 4));
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3f) | 0x80);
}

void PutMillis(Uuid& u, int64_t unix_millis) {
  uint64_t ms = static_cast<uint64_t>(unix_millis);
  for (int i = 0; i < 6; ++i) u.bytes[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
}

// Increments the 74 random bits of a v7 uuid (bytes 6..15 minus version/variant bits),
// treating them as one big-endian counter. Returns false on overflow.
bool IncrementRandomTail(Uuid& u) {
  for (int i = 15; i >= 9; --i) {
    if (++u.bytes[i] != 0) return true;
  }
  // Byte 8 holds 6 counter bits under the variant, byte 7 eight, byte 6 four.
  uint8_t low6 = u.bytes[8] & 0x3f;
  if (low6 != 0x3f) {
    u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0xc0) | (low6 + 1));
    return true;
  }
  u.bytes[8] &= 0xc0;
  if (++u.bytes[7] != 0) return true;
  uint8_t low4 = u.bytes[6] & 0x0f;
  if (low4 != 0x0f) {
    u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0xf0) | (low4 + 1));
    return true;
  }
  return false;
}

}  // namespace

Uuid Uuid::V4() {
  Uuid u;
  SecureRandomBytes(u.bytes.data(), u.bytes.size());
  SetVersionAndVariant(u, 4);
  return u;
}

Uuid Uuid::V5(const Uuid& name_space, std::string_view name) {
  std::string_view ns(reinterpret_cast<const char*>(name_space.bytes.data()),
                      name_space.bytes.size());
  Sha1Digest digest = Sha1({ns, name});
  Uuid u;
  for (size_t i = 0; i < 16; ++i) u.bytes[i] = digest[i];
  SetVersionAndVariant(u, 5);
  return u;
}

Uuid Uuid::V7At(int64_t unix_millis) {
  Uuid u;
  SecureRandomBytes(u.bytes.data() + 6, 10);
  PutMillis(u, unix_millis);
  SetVersionAndVariant(u, 7);
  return u;
}

Uuid Uuid::V7() {
  static std::mutex mu;
  static Uuid last;
  static int64_t last_ms = -1;
  int64_t now_ms = NowMicros() / 1000;
  std::lock_guard<std::mutex> lock(mu);
  // A clock that steps back (NTP) keeps the last millisecond so that ids stay ordered.
  if (now_ms > last_ms) {
    last = V7At(now_ms);
    last_ms = now_ms;
  } else if (!IncrementRandomTail(last)) {
    // 2^74 ids in one millisecond cannot happen; borrow the next millisecond to stay ordered.
    last = V7At(++last_ms);
  }
  return last;
}

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid u;
  size_t byte = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = HexDigitValue(text[i]);
    int lo = HexDigitValue(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    u.bytes[byte++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return u;
}

void Uuid::Format(char* out) const {
  // Into a fixed buffer: appending char by char cost ~800 instructions a uuid, and every
  // events row and person row writes one.
  static constexpr char kHex[] = "0123456789abcdef";
  char* o = out;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
    *o++ = kHex[bytes[i] >> 4];
    *o++ = kHex[bytes[i] & 0x0f];
  }
}

std::string Uuid::ToString() const {
  char text[kChars];
  Format(text);
  return std::string(text, kChars);
}

}  // namespace hedgerow
