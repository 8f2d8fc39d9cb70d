#include "hedgerow/common/base64.h"

#include <catch2/catch.hpp>

#include <random>

using namespace hedgerow;

TEST_CASE("base64 decodes both alphabets with or without padding", "[common]") {
  CHECK(Base64Decode("aGVsbG8=") == "hello");
  CHECK(Base64Decode("aGVsbG8") == "hello");
  CHECK(Base64Decode("") == "");
  CHECK(Base64Decode("-_8=") == Base64Decode("+/8="));
  CHECK(Base64Decode("+/8=")->size() == 2);
  CHECK_FALSE(Base64Decode("aGVsbG8=="));  // wrong padding
  CHECK_FALSE(Base64Decode("a"));
  CHECK_FALSE(Base64Decode("aGV sbG8="));
  CHECK_FALSE(Base64Decode("aGVs*G8="));
}

TEST_CASE("base64 round-trips every length", "[common]") {
  std::mt19937 rng(3);
  for (size_t n = 0; n < 200; ++n) {
    std::string data(n, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    std::string encoded = Base64Encode(data);
    CHECK(LooksStrictBase64(encoded) == !data.empty());
    CHECK(Base64Decode(encoded) == data);
  }
}

TEST_CASE("the strict base64 check matches PostHog's", "[common]") {
  CHECK(LooksStrictBase64("eyJldmVudCI6InRlc3QifQ=="));
  CHECK_FALSE(LooksStrictBase64("eyJldmVudCI6InRlc3QifQ"));  // not a multiple of 4
  CHECK_FALSE(LooksStrictBase64("data=abcd"));
  CHECK_FALSE(LooksStrictBase64("ab-_"));
  CHECK_FALSE(LooksStrictBase64(""));
}
