#pragma once

#include <string_view>

namespace hedgerow::http {

// The next item of a header's list ("a=1; b=2" by ';', "gzip, br" by ','), spaces around it
// trimmed; `rest` moves past it and its separator. Loop while `rest` is not empty.
inline std::string_view NextListItem(std::string_view& rest, char separator) {
  size_t end = rest.find(separator);
  std::string_view item = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
  while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
  return item;
}

}  // namespace hedgerow::http
