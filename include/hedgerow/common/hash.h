#pragma once

#include <cstdint>
#include <string_view>

namespace hedgerow {

// Non-cryptographic hashes whose values must equal other engines' bit for bit, because data
// placed by one engine is found by the other (shard routing, sort keys, Kafka partitions).
// Pure functions; thread-safe.

// ClickHouse's sipHash64(string): SipHash-2-4 with a zero key. Routes events rows to
// shards: sipHash64(distinct_id) % shards, as PostHog's writable_events does.
uint64_t SipHash64(std::string_view data);

// ClickHouse's cityHash64(string), which is CityHash v1.0.2: later CityHash releases
// changed the function, and only v1.0.2 matches what ClickHouse stores in sort keys.
uint64_t CityHash64(std::string_view data);

// Kafka's Utils.murmur2 (MurmurHash2 with seed 0x9747b28c), as a signed 32-bit value.
int32_t KafkaMurmur2(std::string_view data);

// Kafka's default partitioner for a non-empty key: (murmur2 & 0x7fffffff) % partitions.
uint32_t KafkaPartition(std::string_view key, uint32_t partitions);

}  // namespace hedgerow
