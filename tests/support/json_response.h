#pragma once

// A response's JSON body for Catch2 tests: the test fails (showing the body) when it is not
// JSON. Header-only: it uses Catch's macros, which live in the test binaries.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "support/http_client.h"

namespace hedgerow::testing {

inline rapidjson::Document Json(const ClientResponse& r) {
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  INFO(r.body);
  REQUIRE(!doc.HasParseError());
  return doc;
}

}  // namespace hedgerow::testing
