#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hedgerow/common/status.h"

namespace hedgerow::capture {

// Inverse of lz-string's compressToBase64 (what old posthog-js sends with
// compression=lz64), returning UTF-8. Spaces are read as '+' (form decoding turns '+'
// into spaces). kInvalidArgument for characters outside the alphabet, a corrupt or
// truncated stream, or a lone UTF-16 surrogate; kTooLarge past `max_output` bytes.
// See client-api.md §2 for the bit format.
Result<std::string> LzStringDecompressFromBase64(std::string_view input, size_t max_output);

}  // namespace hedgerow::capture
