#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hedgerow/common/status.h"

namespace hedgerow::ingest {

// What uap-core's three parsers say of a user agent (its specification's terms; an empty
// string is "not defined", a family of "Other" is "no regex matched").
struct UapResult {
  std::string family, major, minor, patch;
  std::string os_family, os_major, os_minor, os_patch;
  std::string device_family, device_brand, device_model;
};

// The properties posthog-js reports for the same browser, so that events sent server-side
// with `$raw_user_agent` break down together with the browser's own events. Empty strings
// and nullopt are left off the event.
struct UserAgentProperties {
  std::string browser;                   // $browser: "Chrome", "Chrome iOS", "Mobile Safari", ...
  std::optional<double> browser_version;  // $browser_version: major.minor as a number (posthog-js)
  std::string os, os_version;            // $os, $os_version: "Mac OS X" "10.15.7", "Windows" "10", ...
  std::string device_type;               // $device_type: Desktop | Mobile | Tablet | Console | Wearable
};

// uap-core's regexes.yaml (ua-parser's specification 0.2) compiled with RE2, plus the mapping of
// its names and versions onto posthog-js's. A user agent not seen before is matched against
// the lists in order (~0.6 ms: RE2::Set would make that ~0.15 ms but costs 50 MB and a second
// to compile); real traffic has few agents, and results are cached per user agent. Compiling
// takes ~0.4 s, so the built-in parser is built on first use. Thread-safe.
class UserAgentParser {
 public:
  // The parser over the regexes.yaml of the uap-core npm package pinned in share/package.json,
  // built into the binary.
  static const UserAgentParser& Builtin();
  // kInvalidArgument when the YAML is not a regexes.yaml. Regexes that RE2 cannot compile
  // are skipped and counted in skipped_regexes().
  static Result<std::unique_ptr<UserAgentParser>> FromYaml(std::string_view yaml);
  ~UserAgentParser();

  UapResult ParseUap(std::string_view user_agent) const;
  // ParseUap mapped onto posthog-js's names; cached (at most kCacheEntries user agents).
  UserAgentProperties Parse(std::string_view user_agent) const;

  size_t regex_count() const;
  size_t skipped_regexes() const { return skipped_; }

  // Longer user agents are cut here before matching: real ones are a few hundred bytes.
  static constexpr size_t kMaxUserAgentBytes = 1024;
  static constexpr size_t kCacheEntries = 10000;

  struct Rule;  // one compiled entry of a parser list (user_agent.cc)

 private:
  // Finds a cached agent by its view: no copy of it for every event.
  struct ViewHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  UserAgentParser() = default;
  std::vector<Rule> browsers_, oses_, devices_;  // parser lists, in order
  size_t skipped_ = 0;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, UserAgentProperties, ViewHash, std::equal_to<>> cache_;
};

}  // namespace hedgerow::ingest
