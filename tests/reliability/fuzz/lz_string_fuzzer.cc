// lz-string's base64 form (posthog-js's compression=lz64), with a bound on the output.

#include <cstdlib>

#include "hedgerow/capture/lz_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMaxOutput = 1 << 20;
  auto out = hedgerow::capture::LzStringDecompressFromBase64(text, kMaxOutput);
  if (out.ok() && out->size() > kMaxOutput) std::abort();  // the bound must hold
  return 0;
}
