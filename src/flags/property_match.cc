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

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b) { return AsciiLower(a) == AsciiLower(b); }

// The code point of the UTF-8 sequence at `s[i]` and its length; nullopt when it is not one.
std::optional<std::pair<char32_t, size_t>> DecodeUtf8(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return std::nullopt;
  char32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  return std::make_pair(cp, n);
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Full Unicode lower case (Rust's str::to_lowercase, which exact/is_not use), through
// glibc's C.UTF-8 case tables; bytes that are not UTF-8 are kept.
std::string UnicodeLower(std::string_view s) {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::optional<std::pair<char32_t, size_t>> decoded;
    if (c >= 0x80 && utf8 != static_cast<locale_t>(0)) decoded = DecodeUtf8(s, i);
    if (!decoded) {
      out += static_cast<char>(std::tolower(c));
      ++i;
      continue;
    }
    AppendUtf8(out, static_cast<char32_t>(towlower_l(static_cast<wint_t>(decoded->first), utf8)));
    i += decoded->second;
  }
  return out;
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

bool ExactMatch(const JsonScalar& value, const JsonScalar& property) {
  if (IsBoolLike(value)) return Truthy(value) == Truthy(property);
  const std::string p = UnicodeLower(property.text);
  if (value.kind == JsonScalar::Kind::kArray) {
    for (const JsonScalar& item : value.items) {
      if (UnicodeLower(item.text) == p) return true;
    }
    return false;
  }
  return UnicodeLower(value.text) == p;
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
    case Operator::kExact: return ExactMatch(f.value, property);
    case Operator::kIsNot: return !ExactMatch(f.value, property);
    case Operator::kIcontains:
    case Operator::kNotIcontains:
      return (AsciiLower(property.text).find(AsciiLower(f.value.text)) != std::string::npos) ==
             (f.op == Operator::kIcontains);
    case Operator::kStartsWith:
    case Operator::kNotStartsWith:
      return AsciiLower(property.text).starts_with(AsciiLower(f.value.text)) == (f.op == Operator::kStartsWith);
    case Operator::kEndsWith:
    case Operator::kNotEndsWith:
      return AsciiLower(property.text).ends_with(AsciiLower(f.value.text)) == (f.op == Operator::kEndsWith);
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
