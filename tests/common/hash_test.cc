#include "hedgerow/common/hash.h"

#include <catch2/catch.hpp>

#include <string>

using namespace hedgerow;

// Values computed by clickhouse-server 18.16 and Kafka (shared/testdata/reference-values.md).
TEST_CASE("sipHash64 and cityHash64 equal ClickHouse's values", "[common]") {
  struct Vector {
    std::string input;
    uint64_t sip;
    uint64_t city;
  };
  const Vector vectors[] = {
      {"", 2202906307356721367ULL, 11160318154034397263ULL},
      {"a", 10863254463029944905ULL, 2603192927274642682ULL},
      {"abc", 4596069200710135518ULL, 4220206313085259313ULL},
      {"user_000395", 6777634799180129937ULL, 628918864869354363ULL},
      {"anonymous", 14084326813052931832ULL, 2516304480302775074ULL},
      {"posthog:distinct-id-42", 12794106957285839ULL, 13950646167986149733ULL},
      {"日本語", 15342148221099158056ULL, 5776957501009789629ULL},
  };
  for (const Vector& v : vectors) {
    INFO("input: " << v.input);
    CHECK(SipHash64(v.input) == v.sip);
    CHECK(CityHash64(v.input) == v.city);
  }
}

TEST_CASE("shard routing is sipHash64 modulo the shard count", "[common]") {
  CHECK(SipHash64("") % 2 == 1);
  CHECK(SipHash64("") % 4 == 3);
  CHECK(SipHash64("abc") % 2 == 0);
  CHECK(SipHash64("abc") % 4 == 2);
  CHECK(SipHash64("anonymous") % 4 == 0);
  CHECK(SipHash64("posthog:distinct-id-42") % 4 == 3);
}

TEST_CASE("hashes of every length class are stable and read no byte past the input", "[common]") {
  // Each branch of CityHash (0-16, 17-32, 33-64, >64 bytes) and SipHash's tail handling:
  // a hash must depend only on the bytes in the view, not on what follows it in memory.
  std::string base(300, '\0');
  for (size_t i = 0; i < base.size(); ++i) base[i] = static_cast<char>(i * 31 + 7);
  for (size_t len : {0, 1, 3, 4, 8, 9, 16, 17, 32, 33, 64, 65, 128, 129, 200}) {
    std::string a = base.substr(0, len) + "XXXXXXXX";
    std::string b = base.substr(0, len) + "YYYYYYYY";
    INFO("length " << len);
    CHECK(CityHash64(std::string_view(a).substr(0, len)) == CityHash64(std::string_view(b).substr(0, len)));
    CHECK(SipHash64(std::string_view(a).substr(0, len)) == SipHash64(std::string_view(b).substr(0, len)));
    if (len > 0) {
      std::string c = base.substr(0, len);
      c[len - 1] ^= 1;
      CHECK(CityHash64(c) != CityHash64(base.substr(0, len)));
      CHECK(SipHash64(c) != SipHash64(base.substr(0, len)));
    }
  }
}

TEST_CASE("murmur2 equals Kafka's Utils.murmur2 test vectors", "[common]") {
  CHECK(KafkaMurmur2("21") == -973932308);
  CHECK(KafkaMurmur2("foobar") == -790332482);
  CHECK(KafkaMurmur2("a-little-bit-long-string") == -985981536);
  CHECK(KafkaMurmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(KafkaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(KafkaMurmur2("abc") == 479470107);
}

TEST_CASE("partition numbers equal Kafka's default partitioner", "[common]") {
  CHECK(KafkaMurmur2("phc_test:user_1") == 1796514652);
  CHECK(KafkaPartition("phc_test:user_1", 8) == 4);
  CHECK(KafkaMurmur2("phc_test:anonymous-123") == 1289846018);
  CHECK(KafkaPartition("phc_test:anonymous-123", 8) == 2);
  CHECK(KafkaMurmur2("phc_abc:42") == -1385766084);
  CHECK(KafkaPartition("phc_abc:42", 8) == 4);
  CHECK(KafkaMurmur2("phc_test:日本語") == -1400575700);
  CHECK(KafkaPartition("phc_test:日本語", 8) == 4);
}
