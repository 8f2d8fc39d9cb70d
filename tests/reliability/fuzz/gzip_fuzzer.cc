// gunzip with a bound on the output (a gzip bomb is an error, not memory); round trip.

#include <cstdlib>

#include "hedgerow/common/compression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMaxOutput = 1 << 20;
  auto out = hedgerow::GunzipLimited(bytes, kMaxOutput);
  if (out.ok() && out->size() > kMaxOutput) std::abort();
  hedgerow::LooksGzipped(bytes);
  auto back = hedgerow::GunzipLimited(hedgerow::Gzip(bytes), size + 1);
  if (!back.ok() || *back != bytes) std::abort();
  return 0;
}
