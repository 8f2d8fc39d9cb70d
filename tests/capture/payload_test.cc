#include "hedgerow/capture/payload.h"

#include <catch2/catch.hpp>

#include <random>

#include "hedgerow/common/base64.h"
#include "hedgerow/common/compression.h"
#include "hedgerow/http/request.h"

using namespace hedgerow;
using namespace hedgerow::capture;

namespace {

const std::string kJson = R"({"event":"test","distinct_id":"u1","properties":{"token":"phc_test"}})";
constexpr size_t kLimit = 1 << 20;

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Result<std::string> Decode(std::string body, std::string content_type = "application/json",
                           std::optional<std::string> data = std::nullopt,
                           std::optional<std::string> compression = std::nullopt, bool legacy = false) {
  PayloadSource s;
  s.body = body;
  s.content_type = content_type;
  s.query_data = std::move(data);
  s.query_compression = std::move(compression);
  s.legacy_path = legacy;
  return DecodePayload(s, kLimit);
}

}  // namespace

TEST_CASE("every body form decodes to the same JSON", "[capture]") {
  std::string b64 = Base64Encode(kJson);
  std::string url_safe = b64;
  for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!url_safe.empty() && url_safe.back() == '=') url_safe.pop_back();

  CHECK(*Decode(kJson) == kJson);                                            // raw JSON
  CHECK(*Decode(kJson, "text/plain") == kJson);
  CHECK(*Decode(b64, "text/plain") == kJson);                                // raw base64 body
  CHECK(*Decode("data=" + UrlEncode(b64), "application/x-www-form-urlencoded", std::nullopt, "base64") == kJson);
  CHECK(*Decode("data=" + UrlEncode(b64), "application/x-www-form-urlencoded; charset=UTF-8") == kJson);
  CHECK(*Decode("data=" + url_safe + "&compression=base64", "application/x-www-form-urlencoded") == kJson);
  CHECK(*Decode(url_safe, "text/plain", std::nullopt, "b64") == kJson);     // URL-safe, unpadded
  CHECK(*Decode(Gzip(kJson), "text/plain") == kJson);                       // gzip sniffed, no hint
  CHECK(*Decode(Gzip(kJson), "text/plain", std::nullopt, "gzip-js") == kJson);
  CHECK(*Decode("", "", b64) == kJson);                                      // GET ?data=
  CHECK(*Decode("", "", kJson) == kJson);
  CHECK(*Decode(Base64Encode(b64), "text/plain", std::nullopt, std::nullopt, true) == kJson);  // legacy double
  CHECK(*Decode(kJson, "application/x-www-form-urlencoded") == kJson);      // curl -d '{...}'
}

TEST_CASE("a form's data is read as JSON before base64, keeping its spaces", "[capture]") {
  const std::string spaced = R"({"event": "signed up", "distinct_id": "u 1", "properties": {"token": "phc_test"}})";
  const std::string form = "application/x-www-form-urlencoded";
  CHECK(*Decode("data=" + UrlEncode(spaced), form) == spaced);  // spaces as %20
  std::string plus_spaces = UrlEncode(spaced);                   // spaces as '+', as browsers send them
  for (size_t at; (at = plus_spaces.find("%20")) != std::string::npos;) plus_spaces.replace(at, 3, "+");
  CHECK(*Decode("data=" + plus_spaces + "&ver=1", form) == spaced);
  CHECK(*Decode("data=" + UrlEncode("  [" + spaced + "]"), form) == "  [" + spaced + "]");
  // Base64 with its '+' sent unescaped still decodes: those spaces become '+' again.
  std::string b64 = Base64Encode(spaced + "??>");  // "??>" makes the encoding hold a '+'
  REQUIRE(b64.find('+') != std::string::npos);
  CHECK(*Decode("data=" + b64, form) == spaced + "??>");
}

TEST_CASE("lz64 form bodies decode", "[capture]") {
  std::string lz =
      "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZceKgazmXIAsBjAPrwIjRGQAmeUXlh94AvOO4BXAIxgAvhoC6QA===";
  auto r = Decode("data=" + UrlEncode(lz) + "&compression=lz64", "application/x-www-form-urlencoded");
  REQUIRE(r.ok());
  CHECK(*r == R"([{"event":"$pageview","properties":{"token":"phc_test","distinct_id":"u1"}}])");
  // Form decoding of an unescaped '+' gives a space; lz64 reads it back as '+'.
  auto unescaped = Decode("data=" + lz + "&compression=lz64", "application/x-www-form-urlencoded");
  CHECK(unescaped.ok());
  CHECK(Decode(lz, "text/plain", std::nullopt, "lz-string").ok());
}

TEST_CASE("decoding errors name the problem", "[capture]") {
  auto empty = Decode("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().message() == "capture: request missing data payload");
  auto corrupt_gzip = Decode(std::string("\x1f\x8b\x08\x00garbage", 11), "text/plain");
  CHECK(corrupt_gzip.status().code() == StatusCode::kInvalidArgument);
  auto bad_lz = Decode("data=!!!&compression=lz64", "application/x-www-form-urlencoded");
  CHECK(bad_lz.status().code() == StatusCode::kInvalidArgument);
  auto not_utf8 = Decode("{\"event\":\"\xff\"}");
  CHECK(not_utf8.status().message() == "capture: failed to decode request: payload is not UTF-8");
  auto no_data = Decode("compression=gzip-js", "application/x-www-form-urlencoded");
  CHECK(no_data.status().message() == "capture: form has no data field");
}

TEST_CASE("decoded payloads are held to the limit, gzip bombs included", "[capture]") {
  PayloadSource s;
  std::string bomb = Gzip(std::string(10 << 20, ' '));
  s.body = bomb;
  auto r = DecodePayload(s, 1 << 20);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kTooLarge);
  std::string big(2 << 20, 'a');
  s.body = big;
  CHECK(DecodePayload(s, 1 << 20).status().code() == StatusCode::kTooLarge);
}

TEST_CASE("random, truncated and bit-flipped bodies of every encoding never crash the decoder", "[capture]") {
  std::mt19937 rng(5);
  std::string b64 = Base64Encode(kJson);
  std::string lz =
      "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZceKgazmXIAsBjAPrwIjRGQAmeUXlh94AvOO4BXAIxgAvhoC6QA===";
  struct Form {
    std::string body, content_type;
    std::optional<std::string> compression;
  };
  std::vector<Form> forms = {{kJson, "application/json", {}},
                             {b64, "text/plain", {}},
                             {Gzip(kJson), "text/plain", {}},
                             {"data=" + UrlEncode(b64), "application/x-www-form-urlencoded", "base64"},
                             {"data=" + UrlEncode(lz) + "&compression=lz64", "application/x-www-form-urlencoded", {}},
                             {lz, "text/plain", "lz64"}};
  for (const Form& f : forms) {
    for (size_t cut = 0; cut < f.body.size(); ++cut) {
      auto r = Decode(f.body.substr(0, cut), f.content_type, std::nullopt, f.compression);
      if (!r.ok()) CHECK(r.status().code() != StatusCode::kInternal);
    }
    for (int i = 0; i < 2000; ++i) {
      std::string mutated = f.body;
      mutated[rng() % mutated.size()] ^= static_cast<char>(1 << (rng() % 8));
      auto r = Decode(mutated, f.content_type, std::nullopt, f.compression);
      if (!r.ok()) CHECK(r.status().code() != StatusCode::kInternal);
    }
  }
  for (int i = 0; i < 5000; ++i) {
    std::string random(rng() % 256, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    if (i % 3 == 0 && random.size() > 2) random[0] = '\x1f', random[1] = '\x8b';
    const char* hints[] = {"gzip", "lz64", "base64", "none"};
    auto r = Decode(random, i % 2 ? "application/x-www-form-urlencoded" : "text/plain", std::nullopt, hints[i % 4]);
    if (!r.ok()) CHECK(r.status().code() != StatusCode::kInternal);
  }
}
