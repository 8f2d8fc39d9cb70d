#include "hedgerow/common/uuid.h"

#include <catch2/catch.hpp>

#include <set>

using namespace hedgerow;

namespace {
const Uuid kPersonNamespace = *Uuid::Parse("932979b4-65c3-4424-8467-0b66ec27bc22");
}

TEST_CASE("uuid v5 person ids equal PostHog's", "[common]") {
  // shared/testdata/reference-values.md
  CHECK(Uuid::V5(kPersonNamespace, "1:user_1").ToString() == "131ecd7b-7aa1-5121-8fd3-5353d39dd23e");
  CHECK(Uuid::V5(kPersonNamespace, "1:anon-123").ToString() == "c0dff68a-c8a1-54ed-8afb-5efe28ebb9b5");
  CHECK(Uuid::V5(kPersonNamespace, "2:user_1").ToString() == "77836d1e-f851-51c0-bccb-fe4e3ccee968");
  CHECK(Uuid::V5(kPersonNamespace, "1:日本語").ToString() == "d7a35fd5-918a-5530-ac20-af112ca84db2");
}

TEST_CASE("uuid v5 of the RFC's DNS example", "[common]") {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  Uuid dns = *Uuid::Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  CHECK(Uuid::V5(dns, "python.org").ToString() == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST_CASE("uuid text round-trips and rejects malformed input", "[common]") {
  auto u = Uuid::Parse("0189ABCD-ef01-7234-8567-89abcdef0123");
  REQUIRE(u);
  CHECK(u->ToString() == "0189abcd-ef01-7234-8567-89abcdef0123");
  CHECK(u->version() == 7);
  CHECK_FALSE(Uuid::Parse(""));
  CHECK_FALSE(Uuid::Parse("0189abcd-ef01-7234-8567-89abcdef012"));
  CHECK_FALSE(Uuid::Parse("0189abcd-ef01-7234-8567-89abcdef01234"));
  CHECK_FALSE(Uuid::Parse("0189abcdxef01-7234-8567-89abcdef0123"));
  CHECK_FALSE(Uuid::Parse("0189abcd-ef01-7234-8567-89abcdef012g"));
}

TEST_CASE("uuid v4 has version 4 and the RFC variant", "[common]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Uuid u = Uuid::V4();
    CHECK(u.version() == 4);
    CHECK((u.bytes[8] & 0xc0) == 0x80);
    seen.insert(u.ToString());
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("uuid v7 carries the time and is strictly increasing within a process", "[common]") {
  Uuid at = Uuid::V7At(1700000000123);
  CHECK(at.version() == 7);
  CHECK((at.bytes[8] & 0xc0) == 0x80);
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = ms << 8 | at.bytes[i];
  CHECK(ms == 1700000000123ULL);

  Uuid prev = Uuid::V7();
  for (int i = 0; i < 100000; ++i) {
    Uuid next = Uuid::V7();
    REQUIRE(prev < next);
    REQUIRE(next.version() == 7);
    prev = next;
  }
}
