#pragma once

// The bytes libFuzzer hands a target, as text, and a way to take a few leading bytes as
// choices (which body form, which file to damage) before the rest.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hedgerow::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : text_(reinterpret_cast<const char*>(data), size) {}

  // The next byte as a choice (0 once the input is used up).
  uint8_t TakeByte() {
    if (text_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(text_.front());
    text_.remove_prefix(1);
    return b;
  }
  // Text up to the next '\n' (or all of it), which is consumed with it.
  std::string_view TakeLine() {
    size_t end = text_.find('\n');
    std::string_view line = text_.substr(0, end);
    text_.remove_prefix(end == std::string_view::npos ? text_.size() : end + 1);
    return line;
  }
  std::string_view rest() const { return text_; }

 private:
  std::string_view text_;
};

}  // namespace hedgerow::fuzz
