#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hedgerow/common/status.h"

namespace hedgerow {

// True when `data` starts with the gzip magic bytes 1f 8b.
bool LooksGzipped(std::string_view data);

// Inflates a gzip stream (also several concatenated members, as `cat a.gz b.gz` makes).
// Returns kTooLarge as soon as the output would exceed `max_output` bytes, so a small
// "zip bomb" body costs at most `max_output` of memory; kInvalidArgument for a corrupt or
// truncated stream.
Result<std::string> GunzipLimited(std::string_view data, size_t max_output);

// Compresses into a single gzip member (default level). For tests and outgoing bodies.
std::string Gzip(std::string_view data);

}  // namespace hedgerow
