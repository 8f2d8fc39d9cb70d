// Base64 in every variant capture accepts; what it encodes decodes back to the same bytes.

#include <cstdlib>

#include "hedgerow/common/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  hedgerow::Base64Decode(bytes);
  hedgerow::LooksStrictBase64(bytes);
  std::string encoded = hedgerow::Base64Encode(bytes);
  std::optional<std::string> back = hedgerow::Base64Decode(encoded);
  if (!back || *back != bytes || hedgerow::LooksStrictBase64(encoded) == bytes.empty()) std::abort();
  return 0;
}
