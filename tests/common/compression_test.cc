#include "hedgerow/common/compression.h"

#include <catch2/catch.hpp>

#include <random>

using namespace hedgerow;

TEST_CASE("gzip round-trips, including concatenated members", "[common]") {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "event number " + std::to_string(i) + "\n";
  std::string gz = Gzip(text);
  CHECK(LooksGzipped(gz));
  CHECK(gz.size() < text.size() / 3);
  auto out = GunzipLimited(gz, 1 << 20);
  REQUIRE(out.ok());
  CHECK(*out == text);
  auto two = GunzipLimited(Gzip("ab") + Gzip("cd"), 100);
  REQUIRE(two.ok());
  CHECK(*two == "abcd");
}

TEST_CASE("gunzip stops at the output limit", "[common]") {
  std::string zeros(10 << 20, '\0');
  std::string bomb = Gzip(zeros);
  CHECK(bomb.size() < 100000);
  auto out = GunzipLimited(bomb, 1 << 20);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().code() == StatusCode::kTooLarge);
}

TEST_CASE("gunzip rejects truncated, corrupt and random input without crashing", "[common]") {
  std::string gz = Gzip("hello hello hello hello hello");
  for (size_t cut = 0; cut < gz.size(); ++cut) {
    auto out = GunzipLimited(gz.substr(0, cut), 1000);
    CHECK_FALSE(out.ok());
    CHECK(out.status().code() == StatusCode::kInvalidArgument);
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = gz;
    mutated[rng() % mutated.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto out = GunzipLimited(mutated, 1000);  // may succeed if the flip hit the header's mtime
    if (!out.ok()) CHECK(out.status().code() == StatusCode::kInvalidArgument);
    std::string random(rng() % 200, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    if (i % 2 == 0 && random.size() >= 2) {
      random[0] = '\x1f';
      random[1] = '\x8b';
    }
    auto r = GunzipLimited(random, 1000);
    if (!r.ok()) CHECK(r.status().code() != StatusCode::kInternal);
  }
}
