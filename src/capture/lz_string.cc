#include "hedgerow/capture/lz_string.h"

#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/common/json.h"

namespace hedgerow::capture {
namespace {

int AlphabetValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == ' ') return 62;
  if (c == '/') return 63;
  if (c == '=') return 64;
  return -1;
}

// Six bits per input character, most significant first; values are assembled least
// significant bit first.
class BitReader {
 public:
  explicit BitReader(std::string_view input) : input_(input) { value_ = ValueAt(0); }
  uint32_t Read(int n) {
    uint32_t result = 0;
    for (int i = 0; i < n; ++i) {
      if ((value_ & mask_) != 0) result |= 1u << i;
      mask_ >>= 1;
      if (mask_ == 0) {
        mask_ = 32;
        value_ = ValueAt(++index_);
      }
    }
    return result;
  }
  size_t index() const { return index_; }

 private:
  int ValueAt(size_t i) const { return i < input_.size() ? AlphabetValue(input_[i]) : 0; }
  std::string_view input_;
  size_t index_ = 0;
  int value_ = 0;
  int mask_ = 32;
};

// A dictionary entry: a run of the output, or a literal code unit.
struct Entry {
  uint32_t offset;  // into the output, or the literal's code unit
  uint32_t length;  // 0 marks a literal
};

Status Corrupt(std::string_view why) {
  return Status::InvalidArgument(fmt::format("lz64: corrupt input: {}", why));
}

Result<std::string> Utf16ToUtf8(const std::vector<uint16_t>& units) {
  std::string out;
  out.reserve(units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t u = units[i];
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 1 >= units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) {
        return Status::InvalidArgument("lz64: text holds a lone UTF-16 surrogate");
      }
      u = 0x10000 + ((u - 0xd800) << 10) + (units[++i] - 0xdc00);
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return Status::InvalidArgument("lz64: text holds a lone UTF-16 surrogate");
    }
    AppendUtf8(out, u);
  }
  return out;
}

}  // namespace

Result<std::string> LzStringDecompressFromBase64(std::string_view input, size_t max_output) {
  if (input.empty()) return Corrupt("empty");
  for (char c : input) {
    if (AlphabetValue(c) < 0) return Corrupt(fmt::format("character 0x{:02x} is not base64", static_cast<uint8_t>(c)));
  }
  BitReader bits(input);
  std::vector<uint16_t> out;
  std::vector<Entry> dict(3, Entry{0, 0});  // codes 0..2 are control codes
  int num_bits = 3;
  uint32_t enlarge_in = 4;

  auto emit = [&](const Entry& e) -> Entry {
    Entry placed{static_cast<uint32_t>(out.size()), e.length == 0 ? 1u : e.length};
    if (e.length == 0) {
      out.push_back(static_cast<uint16_t>(e.offset));
    } else {
      for (uint32_t i = 0; i < e.length; ++i) out.push_back(out[e.offset + i]);
    }
    return placed;
  };

  uint32_t first;
  switch (bits.Read(2)) {
    case 0: first = bits.Read(8); break;
    case 1: first = bits.Read(16); break;
    case 2: return std::string();
    default: return Corrupt("bad first code");
  }
  dict.push_back(Entry{first, 0});
  Entry w = emit(dict.back());

  while (true) {
    if (bits.index() > input.size()) return Corrupt("stream ends without its end marker");
    uint32_t code = bits.Read(num_bits);
    if (code == 2) break;
    if (code == 0 || code == 1) {
      dict.push_back(Entry{bits.Read(code == 0 ? 8 : 16), 0});
      code = static_cast<uint32_t>(dict.size() - 1);
      --enlarge_in;
    }
    if (enlarge_in == 0) {
      enlarge_in = 1u << num_bits;
      ++num_bits;
    }
    Entry entry;
    if (code >= 3 && code < dict.size()) {
      entry = emit(dict[code]);
    } else if (code == dict.size()) {
      // The entry being defined right now: w followed by w's first unit.
      entry = Entry{static_cast<uint32_t>(out.size()), w.length + 1};
      for (uint32_t i = 0; i < w.length; ++i) out.push_back(out[w.offset + i]);
      out.push_back(out[w.offset]);
    } else {
      return Corrupt(fmt::format("code {} is not in the dictionary", code));
    }
    if (out.size() > max_output) {
      return Status::TooLarge(fmt::format("lz64: payload decompresses to more than {} bytes", max_output));
    }
    // w + the entry's first unit: in the output these are adjacent, so one run describes it.
    dict.push_back(Entry{w.offset, w.length + 1});
    --enlarge_in;
    w = entry;
    if (enlarge_in == 0) {
      enlarge_in = 1u << num_bits;
      ++num_bits;
    }
    if (num_bits > 24) return Corrupt("dictionary grows beyond any real payload");
  }
  HEDGEROW_ASSIGN_OR_RETURN(std::string utf8, Utf16ToUtf8(out));
  if (utf8.size() > max_output) {
    return Status::TooLarge(fmt::format("lz64: payload decompresses to more than {} bytes", max_output));
  }
  return utf8;
}

}  // namespace hedgerow::capture
