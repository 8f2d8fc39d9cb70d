#include "hedgerow/http/router.h"

namespace hedgerow::http {
namespace {

// "/a/:id/b/" -> {"a", ":id", "b"}; empty segments (double or trailing slashes) are dropped.
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::Add(std::string_view methods, std::string_view pattern, Handler handler) {
  Route route;
  while (!methods.empty()) {
    size_t comma = methods.find(',');
    std::string_view m = methods.substr(0, comma);
    while (!m.empty() && m.front() == ' ') m.remove_prefix(1);
    while (!m.empty() && m.back() == ' ') m.remove_suffix(1);
    if (!m.empty()) route.methods.emplace_back(m);
    if (comma == std::string_view::npos) break;
    methods.remove_prefix(comma + 1);
  }
  route.pattern = std::string(pattern);
  for (std::string_view seg : Split(pattern)) route.segments.emplace_back(seg);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match result;
  std::vector<std::string_view> segments = Split(path);
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool matched = true;
    for (size_t i = 0; i < segments.size() && matched; ++i) {
      const std::string& want = route.segments[i];
      if (!want.empty() && want[0] == ':') {
        params[want.substr(1)] = UrlDecode(segments[i], false);
      } else {
        matched = want == segments[i];
      }
    }
    if (!matched) continue;
    for (const std::string& m : route.methods) {
      if (m == method) {
        result.handler = &route.handler;
        result.pattern = route.pattern;
        result.params = std::move(params);
        result.allowed_methods.clear();
        return result;
      }
    }
    for (const std::string& m : route.methods) {
      if (!result.allowed_methods.empty()) result.allowed_methods += ", ";
      result.allowed_methods += m;
    }
    result.pattern = route.pattern;
  }
  return result;
}

}  // namespace hedgerow::http
