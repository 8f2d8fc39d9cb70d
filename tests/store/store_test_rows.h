#pragma once

// Rows for store tests: a small ReplacingMergeTree schema whose keys collide on purpose,
// and the reference deduplication the store must agree with.

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "hedgerow/store/schema.h"

namespace hedgerow::store::testing {

// kv: ReplacingMergeTree(version), PARTITION BY toYYYYMM(ts), ORDER BY (team_id, key).
inline const TableSchema& KvSchema() {
  static const TableSchema schema{
      .name = "kv",
      .columns = {{"team_id", Type::kInt64}, {"key", Type::kString}, {"ts", Type::kDateTime64},
                  {"version", Type::kUInt64}, {"payload", Type::kString, true}},
      .engine = Engine::kReplacingMergeTree,
      .version_column = "version",
      .partition_by = KeyExpr{KeyFunction::kToYYYYMM, "ts"},
      .order_by = {{KeyFunction::kIdentity, "team_id"}, {KeyFunction::kIdentity, "key"}},
      .topic = "kv"};
  return schema;
}

struct KvRow {
  int64_t team_id;
  std::string key;
  int64_t ts;
  uint64_t version;
  std::string payload;
};

// Month of a key is fixed by the key, so one key lives in one partition (as in ClickHouse,
// dedup happens within a partition).
inline KvRow RandomKvRow(std::mt19937_64& rng, int keys, uint64_t seq) {
  int k = static_cast<int>(rng() % keys);
  int64_t month_start = (1764547200LL + (k % 3) * 31LL * 86400) * 1000000;  // Dec 2025, Jan, Feb 2026
  return {1 + k % 2, "key-" + std::to_string(k), month_start + static_cast<int64_t>(rng() % 86400000000ULL),
          rng() % 4, "payload " + std::to_string(seq) + " " + std::string(rng() % 40, 'x')};
}

inline Block KvBlock(const std::vector<KvRow>& rows) {
  Block b = KvSchema().EmptyBlock();
  for (const KvRow& r : rows) {
    b.columns[0].Push<int64_t>(r.team_id);
    b.columns[1].PushString(r.key);
    b.columns[2].Push<int64_t>(r.ts);
    b.columns[3].Push<uint64_t>(r.version);
    b.columns[4].PushString(r.payload);
  }
  return b;
}

// ReplacingMergeTree by hand: per (team_id, key) the highest version, the later insert on ties.
inline std::map<std::pair<int64_t, std::string>, std::string> ReferenceDedup(const std::vector<KvRow>& inserted) {
  std::map<std::pair<int64_t, std::string>, std::pair<uint64_t, std::string>> best;
  for (const KvRow& r : inserted) {
    auto it = best.find({r.team_id, r.key});
    if (it == best.end() || r.version >= it->second.first) best[{r.team_id, r.key}] = {r.version, r.payload};
  }
  std::map<std::pair<int64_t, std::string>, std::string> out;
  for (auto& [k, v] : best) out[k] = v.second;
  return out;
}

inline std::map<std::pair<int64_t, std::string>, std::string> ToMap(const Block& b, bool* duplicate = nullptr) {
  std::map<std::pair<int64_t, std::string>, std::string> out;
  int team = b.Find("team_id"), key = b.Find("key"), payload = b.Find("payload");
  for (size_t r = 0; r < b.rows(); ++r) {
    auto [it, inserted] = out.emplace(std::make_pair(b.columns[team].Get<int64_t>(r), std::string(b.columns[key].StringAt(r))),
                                      std::string(b.columns[payload].StringAt(r)));
    if (!inserted && duplicate != nullptr) *duplicate = true;
  }
  return out;
}

}  // namespace hedgerow::store::testing
