// Property operators as PostHog's flags service (rust/feature-flags, property_matching.rs)
// applies them; tests/flags/vectors/README.md lists the rules and where they come from.
#include <charconv>
#include <clocale>
#include <cmath>
#include <cwctype>
#include <locale.h>

#include <re2/re2.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/flags/evaluator.h"

namespace hedgerow::flags {
namespace {

// PostHog fills a missing "$initial_X" person property from X, for these X.
constexpr std::string_view kInitialPropertySources[] = {
    "$app_build", "$app_name", "$app_namespace", "$app_version", "$browser", "$browser_version", "$device_type",
    "$current_url", "$pathname", "$os", "$os_version", "$referring_domain", "$referrer", "$screen_height",
    "$screen_width", "$viewport_height", "$viewport_width", "$raw_user_agent", "utm_source", "utm_medium",
    "utm_campaign", "utm_content", "utm_term", "gclid", "gad_source", "gclsrc", "dclid", "gbraid", "wbraid",
    "fbclid", "msclkid", "twclid", "li_fat_id", "mc_cid", "igshid", "ttclid", "rdt_cid", "epik", "qclid", "sccid",
    "irclid", "_kx"};

bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// lower(text) == folded, where `folded` is already lower-cased (Unicode): without building
// lower(text) when it is ASCII.
bool FoldedEquals(std::string_view text, std::string_view folded) {
  if (IsAscii(text)) {
    if (text.size() != folded.size()) return false;
    for (size_t i = 0; i < text.size(); ++i) {
      if (static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))) != folded[i]) return false;
    }
    return true;
  }
  return UnicodeLower(text) == folded;
}

// Where ASCII-lower(text) holds `folded` (already lower-cased) at `at`.
bool AsciiFoldedAt(std::string_view text, size_t at, std::string_view folded) {
  for (size_t i = 0; i < folded.size(); ++i) {
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(text[at + i]))) != folded[i]) return false;
  }
  return true;
}

bool AsciiFoldedContains(std::string_view text, std::string_view folded) {
  if (folded.size() > text.size()) return false;
  for (size_t at = 0; at + folded.size() <= text.size(); ++at) {
    if (AsciiFoldedAt(text, at, folded)) return true;
  }
  return false;
}

// A filter value PostHog treats as a boolean: true/false, "true"/"false" in any case, or an
// array of only those.
bool IsBoolLike(const JsonScalar& v) {
  if (v.kind == JsonScalar::Kind::kArray) {
    for (const JsonScalar& item : v.items) {
      if (!IsBoolLike(item) || item.kind == JsonScalar::Kind::kArray) return false;
    }
    return true;
  }
  return v.kind == JsonScalar::Kind::kBool ||
         (v.kind == JsonScalar::Kind::kString &&
          (AsciiEqualsIgnoreCase(v.text, "true") || AsciiEqualsIgnoreCase(v.text, "false")));
}

bool Truthy(const JsonScalar& v) {
  if (v.kind == JsonScalar::Kind::kArray) {
    for (const JsonScalar& item : v.items) {
      if (!Truthy(item)) return false;
    }
    return true;
  }
  return v.kind == JsonScalar::Kind::kBool ? v.boolean
                                           : v.kind == JsonScalar::Kind::kString && AsciiEqualsIgnoreCase(v.text, "true");
}

bool ExactMatch(const PropertyFilter& f, const JsonScalar& property) {
  if (IsBoolLike(f.value)) return Truthy(f.value) == Truthy(property);
  if (f.value.kind == JsonScalar::Kind::kArray) {
    for (const std::string& item : f.unicode_folded_items) {
      if (FoldedEquals(property.text, item)) return true;
    }
    return false;
  }
  return FoldedEquals(property.text, f.unicode_folded);
}

// As Rust's f64::from_str: an optional sign, decimal or exponent forms, inf/infinity/nan;
// no spaces. JSON numbers as they are; booleans and the rest are not numbers.
std::optional<double> Numeric(const JsonScalar& v) {
  if (v.kind == JsonScalar::Kind::kNumber) return v.number;
  if (v.kind != JsonScalar::Kind::kString || v.text.empty()) return std::nullopt;
  std::string_view s = v.text;
  if (s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+' || (s.front() == '-' && v.text.front() == '+')) return std::nullopt;
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return d;
}

// n calendar months before `c`, one month at a time, the day clamped at each step (as the
// flags service's relative dates step back).
int64_t MonthsBefore(CivilTime c, int64_t n) {
  int64_t year = c.year;
  unsigned month = c.month, day = c.day;
  for (int64_t i = 0; i < n; ++i) {
    if (--month == 0) month = 12, --year;
    day = std::min(day, DaysInMonth(year, month));
  }
  int64_t secs = DaysFromCivil(year, month, day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  return secs * 1000000 + c.micros;
}

// "-7d", "-24h", "-2w", "-1m", "-1y" (the '-' optional; below 10000 units): that long before now.
std::optional<int64_t> RelativeDate(std::string_view s, int64_t now_us) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.size() < 2) return std::nullopt;
  const char unit = s.back();
  s.remove_suffix(1);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < 0 || n >= 10000) return std::nullopt;
  constexpr int64_t kHour = 3600LL * 1000000;
  switch (unit) {
    case 'h': return now_us - n * kHour;
    case 'd': return now_us - n * 24 * kHour;
    case 'w': return now_us - n * 7 * 24 * kHour;
    case 'm': return MonthsBefore(ToCivil(now_us), n);
    case 'y': return MonthsBefore(ToCivil(now_us), 12 * n);
    default: return std::nullopt;
  }
}

std::optional<int64_t> ParseDate(std::string_view text, int64_t now_us) {
  if (std::optional<int64_t> relative = RelativeDate(text, now_us)) return relative;
  return ParseIso8601Micros(text);
}

bool CompareDates(const PropertyFilter& f, const JsonScalar& property, int64_t now_us) {
  if (f.value.kind != JsonScalar::Kind::kString) return false;
  std::optional<int64_t> bound = ParseDate(f.value.text, now_us);
  std::optional<int64_t> value;
  // A number, or a string that is one, is a Unix time in seconds.
  if (std::optional<double> seconds = Numeric(property); seconds && property.kind != JsonScalar::Kind::kBool) {
    if (std::isfinite(*seconds) && std::fabs(*seconds) < 1e13) value = static_cast<int64_t>(std::llround(*seconds * 1e6));
  } else if (property.kind == JsonScalar::Kind::kString) {
    value = ParseDate(property.text, now_us);
  }
  if (!bound || !value) return false;
  switch (f.op) {
    case Operator::kIsDateBefore: return *value < *bound;
    case Operator::kIsDateAfter: return *value > *bound;
    default: return *value == *bound;
  }
}

bool CompareNumbers(Operator op, const JsonScalar& value, const JsonScalar& property) {
  std::optional<double> v = Numeric(value);
  std::optional<double> p = Numeric(property);
  if (!v || !p) return false;
  switch (op) {
    case Operator::kGt: return *p > *v;
    case Operator::kGte: return *p >= *v;
    case Operator::kLt: return *p < *v;
    default: return *p <= *v;
  }
}

// What a negative operator answers when the property is absent.
bool WhenMissing(Operator op) {
  return op == Operator::kIsNot || op == Operator::kNotIcontains || op == Operator::kNotRegex ||
         op == Operator::kNotStartsWith || op == Operator::kNotEndsWith || op == Operator::kIsNotSet;
}

}  // namespace

const rapidjson::Value* PropertySource::FindInLayers(std::string_view key) const {
  for (const rapidjson::Value* layer : layers_) {
    if (layer == nullptr) continue;
    auto it = layer->FindMember(rapidjson::StringRef(key.data(), key.size()));
    if (it != layer->MemberEnd()) return &it->value;
  }
  return nullptr;
}

const rapidjson::Value* PropertySource::Find(std::string_view key) const {
  const rapidjson::Value* found = FindInLayers(key);
  constexpr std::string_view kInitial = "$initial_";
  if (found != nullptr || !fill_initial_ || key.substr(0, kInitial.size()) != kInitial) return found;
  std::string_view rest = key.substr(kInitial.size());
  for (std::string_view source : kInitialPropertySources) {
    std::string_view bare = source.front() == '$' ? source.substr(1) : source;
    if (bare == rest) return FindInLayers(source);
  }
  return nullptr;
}

bool MatchProperty(const PropertyFilter& f, const PropertySource& properties, int64_t now_us) {
  const rapidjson::Value* found = properties.Find(f.key);
  if (f.op == Operator::kIsSet) return found != nullptr;
  if (f.op == Operator::kIsNotSet) return found == nullptr;
  if (f.value.kind == JsonScalar::Kind::kNull) return false;  // nothing to compare with
  if (found == nullptr) return WhenMissing(f.op);
  const JsonScalar property = ToScalar(*found);  // a null property compares as "null"
  switch (f.op) {
    case Operator::kExact: return ExactMatch(f, property);
    case Operator::kIsNot: return !ExactMatch(f, property);
    case Operator::kIcontains:
    case Operator::kNotIcontains:
      return AsciiFoldedContains(property.text, f.ascii_folded) == (f.op == Operator::kIcontains);
    case Operator::kStartsWith:
    case Operator::kNotStartsWith: {
      const std::string& prefix = f.ascii_folded;
      bool starts = property.text.size() >= prefix.size() && AsciiFoldedAt(property.text, 0, prefix);
      return starts == (f.op == Operator::kStartsWith);
    }
    case Operator::kEndsWith:
    case Operator::kNotEndsWith: {
      const std::string& suffix = f.ascii_folded;
      bool ends = property.text.size() >= suffix.size() &&
                  AsciiFoldedAt(property.text, property.text.size() - suffix.size(), suffix);
      return ends == (f.op == Operator::kEndsWith);
    }
    case Operator::kRegex:
    case Operator::kNotRegex:
      if (f.regex == nullptr) return false;  // an invalid pattern matches nothing either way
      return RE2::PartialMatch(property.text, *f.regex) == (f.op == Operator::kRegex);
    case Operator::kGt:
    case Operator::kGte:
    case Operator::kLt:
    case Operator::kLte: return CompareNumbers(f.op, f.value, property);
    case Operator::kIsDateBefore:
    case Operator::kIsDateAfter:
    case Operator::kIsDateExact: return CompareDates(f, property, now_us);
    default: return false;  // cohort and flag filters are the evaluator's
  }
}

}  // namespace hedgerow::flags
