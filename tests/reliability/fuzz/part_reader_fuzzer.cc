// A torn or bit-flipped part on disk: the input is a list of edits (flip, set or truncate at
// an offset of one of the part's files) applied to a real events part of two granules.
// Open, Verify and reading every column must fail cleanly or read rows, never crash.

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuzz_input.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/part.h"
#include "hedgerow/store/schema.h"

using namespace hedgerow;

namespace {

struct Fixture {
  const store::TableSchema* schema = store::FindPostHogTable("events");
  std::string dir;
  std::vector<std::pair<std::string, std::string>> files;  // path, original bytes
  std::vector<std::string> columns;

  Fixture() {
    char tmpl[] = "/tmp/hedgerow-fuzz-part-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    dir = std::string(tmpl) + "/part";
    store::JsonRowDecoder decoder(*schema);
    for (size_t i = 0; i < store::kGranuleRows + 100; ++i) {
      std::string row = fmt::format(
          R"({{"uuid":"{}","event":"e{}","properties":"{{\"n\":{}}}","timestamp":"{}","team_id":1,)"
          R"("distinct_id":"u{}","elements_chain":"","created_at":"{}","person_id":"{}","person_mode":"full"}})",
          Uuid::V7().ToString(), i % 7, i, FormatClickHouseDateTime64(1795955696000000 + i * 1000000LL), i % 100,
          FormatClickHouseDateTime64(1795955696000000), Uuid::V4().ToString());
      if (!decoder.Add(row, 0, i).ok()) std::abort();
    }
    store::Block rows = decoder.Take();
    store::Block key = store::EvaluateKey(*schema, rows);
    std::vector<uint32_t> order(rows.rows());
    std::iota(order.begin(), order.end(), 0);
    store::SortRowsByKey(key, order);
    store::Block sorted = rows.EmptyLike(), sorted_key = key.EmptyLike();
    sorted.AppendRows(rows, order);
    sorted_key.AppendRows(key, order);
    store::PartMeta meta{.table = "events", .partition = "202611", .name = {1, 1, 0}};
    if (!store::WritePart(dir, *schema, sorted, sorted_key, meta).ok()) std::abort();
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      files.emplace_back(entry.path().string(), bytes.str());
    }
    for (const store::ColumnDef& c : schema->columns) columns.push_back(c.name);
  }
};

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  fuzz::FuzzInput input(data, size);
  std::map<size_t, std::string> damaged;  // file index -> bytes
  for (int edit = 0; edit < 16 && !input.rest().empty(); ++edit) {
    const size_t file = input.TakeByte() % fixture.files.size();
    const uint8_t op = input.TakeByte();
    uint32_t at = 0;
    for (int i = 0; i < 3; ++i) at = at << 8 | input.TakeByte();
    const uint8_t value = input.TakeByte();
    auto [it, fresh] = damaged.try_emplace(file, fixture.files[file].second);
    std::string& bytes = it->second;
    if (bytes.empty()) continue;
    at %= bytes.size();
    switch (op % 3) {
      case 0: bytes[at] = static_cast<char>(bytes[at] ^ (value | 1)); break;
      case 1: bytes[at] = static_cast<char>(value); break;
      case 2: bytes.resize(at); break;
    }
  }
  for (const auto& [file, bytes] : damaged) WriteFile(fixture.files[file].first, bytes);
  auto part = store::Part::Open(fixture.dir, *fixture.schema);
  if (part.ok()) {
    (*part)->Verify();
    const size_t granules = (*part)->meta().granules;
    for (size_t g = 0; g < granules; ++g) (*part)->Read(fixture.columns, g, g + 1);
    (*part)->Read(fixture.columns, 0, granules);
    const bool intact = damaged.empty();
    if (intact && !(*part)->Verify().ok()) std::abort();
  } else if (damaged.empty()) {
    std::abort();  // the undamaged part must open
  }
  for (const auto& [file, bytes] : damaged) WriteFile(fixture.files[file].first, fixture.files[file].second);
  return 0;
}
