#include "hedgerow/http/request.h"
#include "hedgerow/http/response.h"

#include <catch2/catch.hpp>

using namespace hedgerow;
using namespace hedgerow::http;

TEST_CASE("url decoding handles escapes, plus and malformed escapes", "[http]") {
  CHECK(UrlDecode("a%20b+c", true) == "a b c");
  CHECK(UrlDecode("a%20b+c", false) == "a b+c");
  CHECK(UrlDecode("100%", true) == "100%");
  CHECK(UrlDecode("%zz%4", true) == "%zz%4");
  CHECK(UrlDecode("%E6%97%A5", true) == "日");
}

TEST_CASE("url-encoded pairs keep order and decode keys and values", "[http]") {
  auto pairs = ParseUrlEncoded("data=eyJ%3D&compression=gzip-js&&flag&x=1+2");
  REQUIRE(pairs.size() == 4);
  CHECK(pairs[0] == std::make_pair(std::string("data"), std::string("eyJ=")));
  CHECK(pairs[1].second == "gzip-js");
  CHECK(pairs[2] == std::make_pair(std::string("flag"), std::string()));
  CHECK(pairs[3].second == "1 2");
}

TEST_CASE("headers are found case-insensitively, query params decoded", "[http]") {
  Request r;
  r.headers = {{"Content-Type", "text/plain"}};
  r.query = "ip=1&_=17&ver=1.2%2B3";
  CHECK(r.Header("content-type") == "text/plain");
  CHECK(r.Header("Origin").empty());
  CHECK(r.QueryParam("ver") == "1.2+3");
  CHECK_FALSE(r.QueryParam("missing"));
}

TEST_CASE("errors become PostHog-shaped JSON with the mapped status", "[http]") {
  Response r = Response::Error(Status::InvalidArgument("capture: \"event\" must be a string"), "invalid_payload");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"type":"validation_error","code":"invalid_payload","detail":"capture: \"event\" must be a string"})");
  CHECK(Response::Error(Status::Unauthenticated("no token")).status == 401);
  CHECK(Response::Error(Status::TooLarge("big")).status == 413);
  CHECK(Response::Error(Status::Unavailable("disk full")).status == 503);
  CHECK(Response::Error(Status::IOError("disk")).status == 500);
  CHECK(JsonQuote("a\x01\n") == "\"a\\u0001\\n\"");
}
