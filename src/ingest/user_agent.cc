#include "hedgerow/ingest/user_agent.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "hedgerow/common/log.h"

// The regexes.yaml that CMake found in share/node_modules/uap-core, assembled into the
// binary (uap_regexes.cc).
extern "C" const char hedgerow_uap_regexes[];
extern "C" const uint64_t hedgerow_uap_regexes_size;

namespace hedgerow::ingest {

// One entry of a parser list: the regex and, per output field, its replacement (when the
// YAML names one; else the field is the capture group of the same position).
struct UserAgentParser::Rule {
  std::unique_ptr<RE2> regex;
  std::array<std::optional<std::string>, 5> replacements;
};

UserAgentParser::~UserAgentParser() = default;

namespace {

constexpr int kMaxGroups = 9;  // $1..$9
// Each regex's budget for its compiled program and its lazily built automaton (an automaton
// that fills it starts over): a quarter of RE2's 8 MiB default, since ~1,200 of them live in
// the server. Less makes matching slower (at 1 MiB ~2x, at 128 KiB one regex no longer
// compiles).
constexpr int64_t kRegexMemoryBytes = 2 << 20;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// `replacement` with $1..$9 replaced by the groups (an unmatched group is empty).
std::string Substitute(std::string_view replacement, const re2::StringPiece* groups, int group_count) {
  std::string out;
  for (size_t i = 0; i < replacement.size(); ++i) {
    char c = replacement[i];
    if (c == '$' && i + 1 < replacement.size() && replacement[i + 1] >= '1' && replacement[i + 1] <= '9') {
      int group = replacement[i + 1] - '0';
      if (group <= group_count && groups[group].data() != nullptr) out.append(groups[group].data(), groups[group].size());
      ++i;
      continue;
    }
    out += c;
  }
  return out;
}

// Fills `fields` from the match of `rule` (replacement or the group of the same position,
// trimmed). False when it does not match.
template <size_t N>
bool Extract(const UserAgentParser::Rule& rule, re2::StringPiece input, std::array<std::string*, N> fields,
             std::array<int, N> default_groups) {
  re2::StringPiece groups[kMaxGroups + 1];
  int count = std::min(rule.regex->NumberOfCapturingGroups(), kMaxGroups);
  if (!rule.regex->Match(input, 0, input.size(), RE2::UNANCHORED, groups, count + 1)) return false;
  for (size_t f = 0; f < N; ++f) {
    std::string value;
    if (rule.replacements[f]) {
      value = Substitute(*rule.replacements[f], groups, count);
    } else if (int g = default_groups[f]; g <= count && groups[g].data() != nullptr) {
      value.assign(groups[g].data(), groups[g].size());
    }
    *fields[f] = std::string(Trim(value));
  }
  return true;
}

// The first rule of the list that matches fills `fields`. False when none matches.
template <size_t N>
bool Match(const std::vector<UserAgentParser::Rule>& rules, std::string_view text, std::array<std::string*, N> fields,
           std::array<int, N> default_groups) {
  re2::StringPiece input(text.data(), text.size());
  for (const auto& rule : rules) {
    if (Extract(rule, input, fields, default_groups)) return true;
  }
  return false;
}

Status LoadList(const YAML::Node& root, const char* list, std::initializer_list<const char*> replacement_keys,
                std::vector<UserAgentParser::Rule>& out, size_t& skipped) {
  const YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) return Status::InvalidArgument(fmt::format("user agents: no \"{}\" list", list));
  for (const YAML::Node& entry : entries) {
    if (!entry.IsMap() || !entry["regex"] || !entry["regex"].IsScalar()) {
      return Status::InvalidArgument(fmt::format("user agents: an entry of \"{}\" has no regex", list));
    }
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kRegexMemoryBytes);
    if (const YAML::Node flag = entry["regex_flag"]; flag && flag.IsScalar() && flag.Scalar() == "i") {
      options.set_case_sensitive(false);
    }
    UserAgentParser::Rule rule;
    rule.regex = std::make_unique<RE2>(entry["regex"].Scalar(), options);
    if (!rule.regex->ok()) {
      ++skipped;
      continue;
    }
    size_t i = 0;
    for (const char* key : replacement_keys) {
      if (const YAML::Node r = entry[key]; r && r.IsScalar()) rule.replacements[i] = r.Scalar();
      ++i;
    }
    out.push_back(std::move(rule));
  }
  return Status::Ok();
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool Contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != haystack.end();
}

// uap-core's browser families whose posthog-js name differs (its detectBrowser); the rest
// keep uap's name ("Chrome", "Firefox", "Safari", "Mobile Safari", "Opera", "Opera Mini",
// "Samsung Internet", "UC Browser", "Vivaldi", "Konqueror", bots such as "Googlebot").
std::string_view BrowserName(std::string_view family) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"Chrome Mobile iOS", "Chrome iOS"},
      {"Chrome Mobile", "Chrome"},
      {"Chrome Mobile WebView", "Chrome"},
      {"HeadlessChrome", "Chrome"},
      {"Chromium", "Chrome"},
      {"Edge", "Microsoft Edge"},
      {"Edge Mobile", "Microsoft Edge"},
      {"Firefox Mobile", "Firefox"},
      {"Firefox Beta", "Firefox"},
      {"Mobile Safari UI/WKWebView", "Mobile Safari"},
      {"IE", "Internet Explorer"},
      {"IE Mobile", "Internet Explorer Mobile"},
      {"Opera Mobile", "Opera"},
      {"Android", "Android Mobile"},
      {"Yandex Browser", "Yandex"},
      {"DuckDuckGo Mobile", "DuckDuckGo"},
      {"Facebook", "Facebook Mobile"},
      {"BlackBerry WebKit", "BlackBerry"},
  };
  for (const auto& [uap, posthog] : kNames) {
    if (family == uap) return posthog;
  }
  return family == "Other" ? std::string_view() : family;
}

// posthog-js sends major.minor through parseFloat; it has no version for some browsers.
std::optional<double> BrowserVersion(std::string_view browser, const UapResult& r) {
  if (browser == "Facebook Mobile" || browser == "Opera Mini" || !IsDigits(r.major)) return std::nullopt;
  std::string text = r.major;
  if (IsDigits(r.minor)) text += "." + r.minor;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

// posthog-js's detectOS: names, and versions as it formats them.
std::pair<std::string, std::string> Os(const UapResult& r) {
  const std::string& family = r.os_family;
  // uap-core's OS parsers do not know the consoles its device parsers do.
  for (std::string_view console : {"PlayStation", "Nintendo"}) {
    if ((family == "Other" || family.empty()) && r.device_family.rfind(console, 0) == 0) return {std::string(console), ""};
  }
  auto dotted = [&](bool need_minor) -> std::string {  // a.b.(c || 0)
    if (r.os_major.empty() || (need_minor && r.os_minor.empty())) return {};
    return fmt::format("{}.{}.{}", r.os_major, r.os_minor.empty() ? "0" : r.os_minor,
                       r.os_patch.empty() ? "0" : r.os_patch);
  };
  if (family == "Other" || family.empty()) return {};
  if (family == "Windows") return {"Windows", r.os_minor.empty() ? r.os_major : r.os_major + "." + r.os_minor};
  if (family == "Mac OS X" || family == "iOS") return {family, dotted(false)};
  // posthog-js reads "Android a.b[.c]" only: a bare "Android 14" gets no version.
  if (family == "Android") return {family, dotted(true)};
  if (family == "BlackBerry OS") return {"BlackBerry", ""};
  static constexpr std::string_view kLinuxes[] = {"Linux", "Ubuntu", "Debian", "Fedora", "Red Hat", "SUSE", "openSUSE",
                                                  "Linux Mint", "Arch Linux", "Gentoo", "CentOS", "Slackware", "Kubuntu"};
  for (std::string_view linux_family : kLinuxes) {
    if (family == linux_family) return {"Linux", ""};
  }
  if (family == "Chrome OS" || family == "Windows Phone" || family == "Windows Mobile") return {family, ""};
  std::string version = r.os_major;
  if (!r.os_minor.empty()) version += "." + r.os_minor;
  return {family, version};
}

// posthog-js's detectDeviceType, from uap's device and OS where they say it and from the
// user agent's own words where posthog-js reads those (an Android without "Mobile" is a tablet).
std::string DeviceType(const UapResult& r, std::string_view ua) {
  const std::string& device = r.device_family;
  if (device.rfind("iPad", 0) == 0 || device.rfind("Kindle", 0) == 0 || r.os_family == "Kindle") return "Tablet";
  if (device.rfind("iPhone", 0) == 0 || device.rfind("iPod", 0) == 0) return "Mobile";
  if (ContainsIgnoringCase(device, "watch") || r.os_family == "watchOS") return "Wearable";
  for (std::string_view console : {"PlayStation", "Xbox", "Nintendo", "Ouya"}) {
    if (Contains(device, console) || Contains(r.os_family, console) || ContainsIgnoringCase(ua, console)) return "Console";
  }
  if (r.os_family == "Android" || Contains(ua, "Android")) return Contains(ua, "Mobile") ? "Mobile" : "Tablet";
  if (r.os_family == "Windows Phone" || r.os_family == "BlackBerry OS" || r.os_family == "KaiOS") return "Mobile";
  if (ContainsIgnoringCase(ua, "Mobile") || ContainsIgnoringCase(ua, "pda")) return "Mobile";
  if (ContainsIgnoringCase(ua, "Tablet") && !ContainsIgnoringCase(ua, "Tablet PC")) return "Tablet";
  return "Desktop";
}

}  // namespace

Result<std::unique_ptr<UserAgentParser>> UserAgentParser::FromYaml(std::string_view yaml) {
  std::unique_ptr<UserAgentParser> parser(new UserAgentParser());
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap()) return Status::InvalidArgument("user agents: regexes.yaml must be a map of parser lists");
    HEDGEROW_RETURN_IF_ERROR(LoadList(root, "user_agent_parsers",
                                      {"family_replacement", "v1_replacement", "v2_replacement", "v3_replacement"},
                                      parser->browsers_, parser->skipped_));
    HEDGEROW_RETURN_IF_ERROR(LoadList(root, "os_parsers",
                                      {"os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement",
                                       "os_v4_replacement"},
                                      parser->oses_, parser->skipped_));
    HEDGEROW_RETURN_IF_ERROR(LoadList(root, "device_parsers",
                                      {"device_replacement", "brand_replacement", "model_replacement"},
                                      parser->devices_, parser->skipped_));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("user agents: regexes.yaml: {}", e.what()));
  }
  return parser;
}

const UserAgentParser& UserAgentParser::Builtin() {
  static const std::unique_ptr<UserAgentParser> parser = [] {
    std::string_view yaml(hedgerow_uap_regexes, hedgerow_uap_regexes_size);
    Result<std::unique_ptr<UserAgentParser>> built = FromYaml(yaml);
    if (!built.ok()) {
      // The file is checked at build time (tests parse it), so this is a broken build: run
      // without user agents rather than not at all.
      LogError("ingest", "the built-in uap-core regexes do not load", {{"error", built.status().message()}});
      return std::unique_ptr<UserAgentParser>(new UserAgentParser());
    }
    LogInfo("ingest", "user-agent regexes compiled",
            {{"regexes", static_cast<uint64_t>((*built)->regex_count())},
             {"skipped", static_cast<uint64_t>((*built)->skipped_regexes())}});
    return std::move(built).value();
  }();
  return *parser;
}

size_t UserAgentParser::regex_count() const { return browsers_.size() + oses_.size() + devices_.size(); }

UapResult UserAgentParser::ParseUap(std::string_view user_agent) const {
  std::string_view ua = user_agent.substr(0, kMaxUserAgentBytes);
  UapResult r;
  // Family from group 1, versions from groups 2-4 (the specification's defaults).
  if (!Match<4>(browsers_, ua, {&r.family, &r.major, &r.minor, &r.patch}, {1, 2, 3, 4}) || r.family.empty()) {
    r = UapResult{};
    r.family = "Other";
  }
  std::string patch_minor;
  if (!Match<5>(oses_, ua, {&r.os_family, &r.os_major, &r.os_minor, &r.os_patch, &patch_minor}, {1, 2, 3, 4, 5}) ||
      r.os_family.empty()) {
    r.os_family = "Other";
    r.os_major = r.os_minor = r.os_patch = "";
  }
  // Family and model from group 1; brand only from its replacement (group 0 is never used).
  std::string* device_fields[] = {&r.device_family, &r.device_brand, &r.device_model};
  if (!Match<3>(devices_, ua, {device_fields[0], device_fields[1], device_fields[2]}, {1, kMaxGroups + 1, 1}) ||
      r.device_family.empty()) {
    r.device_family = "Other";
    r.device_brand = r.device_model = "";
  }
  return r;
}

UserAgentProperties UserAgentParser::Parse(std::string_view user_agent) const {
  std::string_view key = user_agent.substr(0, kMaxUserAgentBytes);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  UapResult uap = ParseUap(key);
  UserAgentProperties out;
  out.browser = std::string(BrowserName(uap.family));
  if (!out.browser.empty()) out.browser_version = BrowserVersion(out.browser, uap);
  std::tie(out.os, out.os_version) = Os(uap);
  out.device_type = DeviceType(uap, key);
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kCacheEntries) cache_.clear();  // a bound, not an LRU: real traffic has few agents
  cache_.emplace(std::string(key), out);
  return out;
}

}  // namespace hedgerow::ingest
