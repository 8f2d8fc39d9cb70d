#pragma once

// Finds where values lie in JSON text that rapidjson has already accepted, so that an event
// can be stored as the exact text the SDK sent instead of being serialized again. The
// scanner knows only strings and nesting; on text it cannot place, it says so (nullopt)
// and the caller serializes instead.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace hedgerow::capture {

struct TextSpan {
  size_t begin;
  size_t end;  // one past the value's last character
};

// With an empty `member`: the elements of a root array, or the root object itself as the
// one element. Otherwise the elements of the array that is the root object's `member`.
// nullopt when the text is not shaped so.
std::optional<std::vector<TextSpan>> EventSpans(std::string_view text, std::string_view member);

}  // namespace hedgerow::capture
