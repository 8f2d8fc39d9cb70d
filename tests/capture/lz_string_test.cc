#include "hedgerow/capture/lz_string.h"

#include <catch2/catch.hpp>

#include <random>

using namespace hedgerow;
using namespace hedgerow::capture;

// Vectors produced by lz-string 1.5.0's compressToBase64 (client-api.md §2.3).
TEST_CASE("lz64 decodes lz-string's compressToBase64 output", "[capture]") {
  CHECK(*LzStringDecompressFromBase64("BYUwNmD2Q===", 1000) == "hello");
  CHECK(*LzStringDecompressFromBase64(
            "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZceKgazmXIAsBjAPrwIjRGQAmeUXlh94AvOO4BXAIxgAvhoC6QA===",
            1000) == R"([{"event":"$pageview","properties":{"token":"phc_test","distinct_id":"u1"}}])");
  CHECK(*LzStringDecompressFromBase64("BYS4NmD2AEDuBvAnMATagagiA===", 1000) == "héllo wörld €");
}

TEST_CASE("lz64 reads spaces as plus signs, as form decoding leaves them", "[capture]") {
  std::string spaced =
      "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZceKgazmXIAsBjAPrwIjRGQAmeUXlh94AvOO4BXAIxgAvhoC6QA===";
  CHECK(LzStringDecompressFromBase64(spaced, 1000).ok());
}

TEST_CASE("lz64 enforces the output limit", "[capture]") {
  auto r = LzStringDecompressFromBase64(
      "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZceKgazmXIAsBjAPrwIjRGQAmeUXlh94AvOO4BXAIxgAvhoC6QA===", 20);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kTooLarge);
}

TEST_CASE("lz64 rejects random, truncated and bit-flipped input without crashing", "[capture]") {
  CHECK_FALSE(LzStringDecompressFromBase64("", 1000).ok());
  CHECK_FALSE(LzStringDecompressFromBase64("BYUw*mD2Q===", 1000).ok());
  std::string good =
      "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZceKgazmXIAsBjAPrwIjRGQAmeUXlh94AvOO4BXAIxgAvhoC6QA===";
  for (size_t cut = 1; cut + 3 < good.size(); ++cut) {
    auto r = LzStringDecompressFromBase64(good.substr(0, cut), 1000);  // may end early but must not crash
    if (!r.ok()) CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  std::mt19937 rng(11);
  for (int i = 0; i < 5000; ++i) {
    std::string s = good;
    s[rng() % s.size()] = kChars[rng() % 65];
    (void)LzStringDecompressFromBase64(s, 1 << 20);
    std::string random(1 + rng() % 200, 'A');
    for (char& c : random) c = kChars[rng() % 65];
    auto r = LzStringDecompressFromBase64(random, 1 << 20);
    if (!r.ok()) CHECK(r.status().code() != StatusCode::kInternal);
  }
}
