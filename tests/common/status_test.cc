#include "hedgerow/common/status.h"

#include <catch2/catch.hpp>

#include <memory>

using namespace hedgerow;

namespace {
Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument("half: odd input");
  return v / 2;
}
Result<int> Quarter(int v) {
  HEDGEROW_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h);
}
Status CheckEven(int v) {
  HEDGEROW_RETURN_IF_ERROR(Half(v).status());
  return Status::Ok();
}
}  // namespace

TEST_CASE("Result carries a value or the status that explains its absence", "[common]") {
  CHECK(Quarter(8).ok());
  CHECK(*Quarter(8) == 2);
  Result<int> r = Quarter(6);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().ToString() == "invalid_argument: half: odd input");
  CHECK(CheckEven(4).ok());
  CHECK(CheckEven(3).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Result holds move-only values", "[common]") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  REQUIRE(r.ok());
  std::unique_ptr<int> v = std::move(r).value();
  CHECK(*v == 7);
}
