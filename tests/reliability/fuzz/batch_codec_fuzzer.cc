// The log's stored batches: any value read back from RocksDB decodes or fails cleanly, in both
// decoders, and they agree; records encoded decode to themselves.

#include <cstdlib>
#include <memory>

#include "fuzz_input.h"
#include "hedgerow/log/batch_codec.h"

using namespace hedgerow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  auto records = log::DecodeBatch(value);
  std::unique_ptr<char[]> payload;
  auto views = log::DecodeBatchViews(value, payload);
  log::DecodeBatchHeader(value);
  if (records.ok() != views.ok()) std::abort();
  if (records.ok()) {
    if (records->size() != views->size()) std::abort();
    for (size_t i = 0; i < records->size(); ++i) {
      if ((*records)[i].value != (*views)[i].value || (*records)[i].key != (*views)[i].key) std::abort();
    }
  }
  // The input as records: key and value lines, encoded with the codec the first byte names.
  fuzz::FuzzInput input(data, size);
  const log::Codec codec = static_cast<log::Codec>(input.TakeByte() % 3);
  std::vector<log::Record> in;
  while (!input.rest().empty() && in.size() < 64) {
    log::Record r;
    r.key = std::string(input.TakeLine());
    r.value = std::string(input.TakeLine());
    r.timestamp_ms = static_cast<int64_t>(in.size()) * 1000;
    in.push_back(std::move(r));
  }
  std::vector<const log::Record*> pointers;
  for (const log::Record& r : in) pointers.push_back(&r);
  log::BatchEncoder encoder;
  auto back = log::DecodeBatch(encoder.Encode(pointers, codec, 1800000000000));
  if (!back.ok() || back->size() != in.size()) std::abort();
  for (size_t i = 0; i < in.size(); ++i) {
    if ((*back)[i].key != in[i].key || (*back)[i].value != in[i].value) std::abort();
  }
  return 0;
}
