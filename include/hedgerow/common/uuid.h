#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hedgerow {

// A 128-bit RFC 9562 UUID, stored big-endian as written in its text form. Immutable value.
struct Uuid {
  std::array<uint8_t, 16> bytes{};

  // Random (version 4), from a CSPRNG.
  static Uuid V4();
  // Name-based with SHA-1 (version 5): PostHog's person ids (ingestion.md §3).
  static Uuid V5(const Uuid& name_space, std::string_view name);
  // Time-ordered (version 7): 48-bit Unix milliseconds then random bits. Ids made by one
  // process are strictly increasing, also within one millisecond (RFC 9562 §6.2 method 3:
  // the random tail is incremented), so event uuids sort in arrival order.
  static Uuid V7();
  // Same, for a given time; random tail, no monotonic guarantee.
  static Uuid V7At(int64_t unix_millis);

  // Accepts the canonical 8-4-4-4-12 hex form in either case; nullopt otherwise.
  static std::optional<Uuid> Parse(std::string_view text);

  // Lower-case canonical form.
  std::string ToString() const;
  static constexpr size_t kChars = 36;
  // The same into `out` (kChars), without allocating.
  void Format(char* out) const;
  int version() const { return bytes[6] >> 4; }

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

}  // namespace hedgerow
