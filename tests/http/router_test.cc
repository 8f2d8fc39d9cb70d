#include "hedgerow/http/router.h"

#include <catch2/catch.hpp>

using namespace hedgerow::http;

namespace {
Handler Noop() {
  return [](Request, Reply) {};
}
}  // namespace

TEST_CASE("routes match literal segments and capture parameters", "[http]") {
  Router r;
  r.Add("GET,POST", "/e/", Noop());
  r.Add("POST", "/api/projects/:id/query/", Noop());
  auto m = r.Find("POST", "/api/projects/42/query/");
  REQUIRE(m.handler != nullptr);
  CHECK(m.pattern == "/api/projects/:id/query/");
  CHECK(m.params.at("id") == "42");
  CHECK(r.Find("POST", "/api/projects/a%20b/query").params.at("id") == "a b");
}

TEST_CASE("a trailing slash is optional on routes", "[http]") {
  Router r;
  r.Add("GET", "/e/", Noop());
  r.Add("GET", "/_health", Noop());
  CHECK(r.Find("GET", "/e").handler != nullptr);
  CHECK(r.Find("GET", "/e/").handler != nullptr);
  CHECK(r.Find("GET", "/_health/").handler != nullptr);
  CHECK(r.Find("GET", "/e/x").handler == nullptr);
  CHECK(r.Find("GET", "/").handler == nullptr);
}

TEST_CASE("a known path with another method reports the allowed methods", "[http]") {
  Router r;
  r.Add("GET, POST", "/batch/", Noop());
  auto m = r.Find("DELETE", "/batch/");
  CHECK(m.handler == nullptr);
  CHECK(m.allowed_methods == "GET, POST");
  CHECK(r.Find("DELETE", "/nothing").allowed_methods.empty());
}
