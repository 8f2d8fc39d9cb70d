#include "hedgerow/flags/definition.h"

#include <cmath>
#include <cwctype>
#include <locale.h>

#include <fmt/format.h>
#include <re2/re2.h>

#include "hedgerow/common/json.h"

namespace hedgerow::flags {
namespace {

constexpr std::pair<std::string_view, Operator> kOperators[] = {
    {"exact", Operator::kExact},
    {"is_not", Operator::kIsNot},
    {"icontains", Operator::kIcontains},
    {"not_icontains", Operator::kNotIcontains},
    {"starts_with", Operator::kStartsWith},
    {"not_starts_with", Operator::kNotStartsWith},
    {"ends_with", Operator::kEndsWith},
    {"not_ends_with", Operator::kNotEndsWith},
    {"regex", Operator::kRegex},
    {"not_regex", Operator::kNotRegex},
    {"gt", Operator::kGt},
    {"gte", Operator::kGte},
    {"lt", Operator::kLt},
    {"lte", Operator::kLte},
    {"is_set", Operator::kIsSet},
    {"is_not_set", Operator::kIsNotSet},
    {"is_date_before", Operator::kIsDateBefore},
    {"is_date_after", Operator::kIsDateAfter},
    {"is_date_exact", Operator::kIsDateExact},
    {"in", Operator::kIn},
    {"not_in", Operator::kNotIn},
    {"flag_evaluates_to", Operator::kFlagEvaluatesTo},
};

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

Status Invalid(std::string message) { return Status::InvalidArgument(std::move(message)); }

Result<rapidjson::Document> ParseBoundedJson(std::string_view text, std::string_view what) {
  if (text.size() > kMaxFiltersBytes) return Invalid(fmt::format("{} are larger than {} bytes", what, kMaxFiltersBytes));
  if (JsonNestsDeeperThan(text, 32)) return Invalid(fmt::format("{} nest deeper than 32 levels", what));
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) return Invalid(fmt::format("{} are not JSON", what));
  return doc;
}

// A number, or a string holding one (PostHog's API accepts both for percentages and ids).
std::optional<double> NumberOf(const rapidjson::Value& v) {
  if (v.IsNumber()) return v.GetDouble();
  if (v.IsString()) {
    std::string s(v.GetString(), v.GetStringLength());
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

Result<std::optional<double>> RolloutOf(const rapidjson::Value& holder, std::string_view where) {
  auto it = holder.FindMember("rollout_percentage");
  if (it == holder.MemberEnd() || it->value.IsNull()) return std::optional<double>();
  std::optional<double> pct = NumberOf(it->value);
  if (!pct || *pct < 0 || *pct > 100) return Invalid(fmt::format("{}: rollout_percentage must be a number from 0 to 100", where));
  return pct;
}

Result<std::optional<int>> GroupTypeIndexOf(const rapidjson::Value& holder, const char* name, std::string_view where) {
  auto it = holder.FindMember(name);
  if (it == holder.MemberEnd() || it->value.IsNull()) return std::optional<int>();
  if (!it->value.IsInt() || it->value.GetInt() < 0 || it->value.GetInt() > 4) {
    return Invalid(fmt::format("{}: {} must be a group type index from 0 to 4", where, name));
  }
  return std::optional<int>(it->value.GetInt());
}

Result<PropertyFilter> CompileFilter(const rapidjson::Value& v, std::string_view where) {
  if (!v.IsObject()) return Invalid(fmt::format("{}: a property filter must be an object", where));
  PropertyFilter f;
  auto key = v.FindMember("key");
  if (key == v.MemberEnd() || !(key->value.IsString() || key->value.IsNumber())) {
    return Invalid(fmt::format("{}: a property filter needs a \"key\"", where));
  }
  f.key = ToScalar(key->value).text;
  std::string_view type = "person";
  if (auto t = v.FindMember("type"); t != v.MemberEnd() && t->value.IsString()) type = t->value.GetString();
  if (type == "person") {
    f.type = FilterType::kPerson;
  } else if (type == "group") {
    f.type = FilterType::kGroup;
    HEDGEROW_ASSIGN_OR_RETURN(std::optional<int> index, GroupTypeIndexOf(v, "group_type_index", where));
    f.group_type_index = index.value_or(-1);
  } else if (type == "cohort") {
    f.type = FilterType::kCohort;
  } else if (type == "flag") {
    f.type = FilterType::kFlag;
  } else {
    return Invalid(fmt::format("{}: property filters of type \"{}\" cannot be used in feature flags", where, type));
  }
  f.op = f.type == FilterType::kCohort ? Operator::kIn
         : f.type == FilterType::kFlag ? Operator::kFlagEvaluatesTo
                                       : Operator::kExact;
  if (auto op = v.FindMember("operator"); op != v.MemberEnd() && !op->value.IsNull()) {
    if (!op->value.IsString()) return Invalid(fmt::format("{}: \"operator\" must be a string", where));
    std::optional<Operator> parsed = ParseOperator(op->value.GetString());
    if (!parsed) return Invalid(fmt::format("{}: unknown operator \"{}\"", where, op->value.GetString()));
    f.op = *parsed;
  }
  const bool cohort_op = f.op == Operator::kIn || f.op == Operator::kNotIn;
  if (cohort_op != (f.type == FilterType::kCohort) ||
      (f.op == Operator::kFlagEvaluatesTo) != (f.type == FilterType::kFlag)) {
    return Invalid(fmt::format("{}: operator \"{}\" cannot be used on a {} filter", where, OperatorName(f.op), type));
  }
  if (auto value = v.FindMember("value"); value != v.MemberEnd()) f.value = ToScalar(value->value);
  f.ascii_folded = AsciiLower(f.value.text);
  f.unicode_folded = UnicodeLower(f.value.text);
  for (const JsonScalar& item : f.value.items) f.unicode_folded_items.push_back(UnicodeLower(item.text));
  if (auto neg = v.FindMember("negation"); neg != v.MemberEnd() && neg->value.IsBool()) f.negation = neg->value.GetBool();
  if (f.type == FilterType::kCohort) {
    auto value = v.FindMember("value");
    std::optional<double> id = value == v.MemberEnd() ? std::nullopt : NumberOf(value->value);
    if (!id || *id != std::floor(*id)) return Invalid(fmt::format("{}: a cohort filter's value must be a cohort id", where));
    f.cohort_id = static_cast<int64_t>(*id);
  }
  if (f.op == Operator::kRegex || f.op == Operator::kNotRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    auto regex = std::make_shared<const re2::RE2>(f.value.text, options);
    if (regex->ok()) f.regex = std::move(regex);
  }
  return f;
}

Status CompileFilters(const rapidjson::Value& holder, std::vector<PropertyFilter>& out, std::string_view where) {
  auto props = holder.FindMember("properties");
  if (props == holder.MemberEnd() || props->value.IsNull()) return Status::Ok();
  if (!props->value.IsArray()) return Invalid(fmt::format("{}: \"properties\" must be an array", where));
  if (props->value.Size() > kMaxPropertiesPerGroup) {
    return Invalid(fmt::format("{}: more than {} property filters", where, kMaxPropertiesPerGroup));
  }
  for (const rapidjson::Value& p : props->value.GetArray()) {
    HEDGEROW_ASSIGN_OR_RETURN(PropertyFilter f, CompileFilter(p, where));
    out.push_back(std::move(f));
  }
  return Status::Ok();
}

Result<PropertyGroup> CompileGroup(const rapidjson::Value& v, size_t depth) {
  if (depth > kMaxCohortNesting) return Invalid(fmt::format("cohort groups nest deeper than {}", kMaxCohortNesting));
  if (!v.IsObject()) return Invalid("a cohort property group must be an object");
  PropertyGroup group;
  if (auto type = v.FindMember("type"); type != v.MemberEnd() && type->value.IsString()) {
    std::string_view t = type->value.GetString();
    if (t != "AND" && t != "OR" && t != "property") {
      return Invalid(fmt::format("cohort group type must be AND or OR, not \"{}\"", t));
    }
    group.any = t == "OR";
  }
  auto values = v.FindMember("values");
  if (values == v.MemberEnd()) return group;
  if (!values->value.IsArray() || values->value.Size() > kMaxPropertiesPerGroup) {
    return Invalid(fmt::format("a cohort group's \"values\" must be an array of at most {}", kMaxPropertiesPerGroup));
  }
  for (const rapidjson::Value& child : values->value.GetArray()) {
    // Either every child is a nested group (it has "values") or every child is a filter.
    if (child.IsObject() && child.HasMember("values")) {
      HEDGEROW_ASSIGN_OR_RETURN(PropertyGroup nested, CompileGroup(child, depth + 1));
      group.groups.push_back(std::move(nested));
    } else {
      HEDGEROW_ASSIGN_OR_RETURN(PropertyFilter f, CompileFilter(child, "cohort"));
      group.filters.push_back(std::move(f));
    }
  }
  return group;
}

Status CompileVariants(const rapidjson::Value& filters, FlagDefinition& flag) {
  auto mv = filters.FindMember("multivariate");
  if (mv == filters.MemberEnd() || mv->value.IsNull()) return Status::Ok();
  auto variants = mv->value.IsObject() ? mv->value.FindMember("variants") : mv->value.MemberEnd();
  if (!mv->value.IsObject() || variants == mv->value.MemberEnd() || !variants->value.IsArray()) {
    return Invalid("multivariate must be an object with a \"variants\" array");
  }
  if (variants->value.Size() > kMaxVariants) return Invalid(fmt::format("more than {} variants", kMaxVariants));
  for (const rapidjson::Value& v : variants->value.GetArray()) {
    auto key = v.IsObject() ? v.FindMember("key") : v.MemberEnd();
    if (!v.IsObject() || key == v.MemberEnd() || !key->value.IsString()) return Invalid("every variant needs a string \"key\"");
    Variant variant{key->value.GetString(), "", 0};
    if (auto name = v.FindMember("name"); name != v.MemberEnd() && name->value.IsString()) variant.name = name->value.GetString();
    auto pct = v.FindMember("rollout_percentage");
    std::optional<double> p = pct == v.MemberEnd() ? std::nullopt : NumberOf(pct->value);
    if (!p || *p < 0 || *p > 100) return Invalid(fmt::format("variant \"{}\": rollout_percentage must be 0 to 100", variant.key));
    variant.rollout_percentage = *p;
    for (const Variant& seen : flag.variants) {
      if (seen.key == variant.key) return Invalid(fmt::format("variant \"{}\" is defined twice", variant.key));
    }
    flag.variants.push_back(std::move(variant));
  }
  return Status::Ok();
}

bool HasVariant(const FlagDefinition& flag, std::string_view key) {
  for (const Variant& v : flag.variants) {
    if (v.key == key) return true;
  }
  return false;
}

void NoteDependencies(const std::vector<PropertyFilter>& filters, FlagDefinition& flag) {
  for (const PropertyFilter& f : filters) {
    if (f.type == FilterType::kCohort) flag.cohort_ids.push_back(f.cohort_id);
    if (f.type == FilterType::kFlag) flag.flag_dependencies.push_back(f.key);
  }
}

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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

std::optional<Operator> ParseOperator(std::string_view name) {
  for (const auto& [n, op] : kOperators) {
    if (n == name) return op;
  }
  return std::nullopt;
}

std::string_view OperatorName(Operator op) {
  for (const auto& [n, o] : kOperators) {
    if (o == op) return n;
  }
  return "?";
}

JsonScalar ToScalar(const rapidjson::Value& value) {
  JsonScalar s;
  switch (value.GetType()) {
    case rapidjson::kNullType: s.kind = JsonScalar::Kind::kNull; s.text = "null"; break;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      s.kind = JsonScalar::Kind::kBool;
      s.boolean = value.GetBool();
      s.text = s.boolean ? "true" : "false";
      break;
    case rapidjson::kNumberType:
      s.kind = JsonScalar::Kind::kNumber;
      s.number = value.GetDouble();
      s.text = WriteJson(value, 24);
      break;
    case rapidjson::kStringType:
      s.kind = JsonScalar::Kind::kString;
      s.text.assign(value.GetString(), value.GetStringLength());
      break;
    case rapidjson::kArrayType:
      s.kind = JsonScalar::Kind::kArray;
      s.text = WriteJson(value);
      for (const rapidjson::Value& item : value.GetArray()) s.items.push_back(ToScalar(item));
      break;
    case rapidjson::kObjectType: s.kind = JsonScalar::Kind::kObject; s.text = WriteJson(value); break;
  }
  return s;
}

Status CheckFlagKey(std::string_view key) {
  if (key.empty() || key.size() > 400) return Invalid("a flag key must have 1 to 400 characters");
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return Invalid("Only letters, numbers, hyphens (\"-\") & underscores (\"_\") are allowed.");
    }
  }
  return Status::Ok();
}

Result<FlagDefinition> CompileFlag(const meta::FeatureFlagRow& row) {
  HEDGEROW_ASSIGN_OR_RETURN(rapidjson::Document filters, ParseBoundedJson(row.filters, "a flag's filters"));
  if (!filters.IsObject()) return Invalid("filters must be a JSON object");
  FlagDefinition flag;
  flag.row = row;
  AppendJsonString(flag.key_json, row.key);
  flag.metadata_json = "\"metadata\":{\"id\":" + std::to_string(row.id) + ",\"version\":" + std::to_string(row.version) +
                       ",\"description\":null,\"payload\":";
  HEDGEROW_ASSIGN_OR_RETURN(flag.aggregation_group_type_index,
                            GroupTypeIndexOf(filters, "aggregation_group_type_index", "filters"));
  HEDGEROW_RETURN_IF_ERROR(CompileVariants(filters, flag));
  if (auto groups = filters.FindMember("groups"); groups != filters.MemberEnd() && !groups->value.IsNull()) {
    if (!groups->value.IsArray()) return Invalid("filters.groups must be an array of condition sets");
    if (groups->value.Size() > kMaxConditions) return Invalid(fmt::format("more than {} condition sets", kMaxConditions));
    for (const rapidjson::Value& g : groups->value.GetArray()) {
      std::string where = fmt::format("condition set {}", flag.conditions.size() + 1);
      if (!g.IsObject()) return Invalid(fmt::format("{} must be an object", where));
      Condition c;
      HEDGEROW_RETURN_IF_ERROR(CompileFilters(g, c.properties, where));
      HEDGEROW_ASSIGN_OR_RETURN(c.rollout_percentage, RolloutOf(g, where));
      c.has_own_aggregation = g.HasMember("aggregation_group_type_index");
      HEDGEROW_ASSIGN_OR_RETURN(c.aggregation_group_type_index, GroupTypeIndexOf(g, "aggregation_group_type_index", where));
      if (auto v = g.FindMember("variant"); v != g.MemberEnd() && !v->value.IsNull()) {
        if (!v->value.IsString()) return Invalid(fmt::format("{}: a variant override must be a string", where));
        c.variant = v->value.GetString();
      }
      NoteDependencies(c.properties, flag);
      flag.conditions.push_back(std::move(c));
    }
  }
  if (auto payloads = filters.FindMember("payloads"); payloads != filters.MemberEnd() && !payloads->value.IsNull()) {
    if (!payloads->value.IsObject()) return Invalid("filters.payloads must be an object");
    for (const auto& m : payloads->value.GetObject()) {
      std::string key(m.name.GetString(), m.name.GetStringLength());
      if (key != "true" && !HasVariant(flag, key)) {
        return Invalid(fmt::format("payload key \"{}\" is neither \"true\" nor a variant of the flag", key));
      }
      if (m.value.IsNull()) continue;
      // Stored as PostHog stores them: the payload's JSON, as a string.
      const std::string& payload = flag.payloads[key] =
          m.value.IsString() ? std::string(m.value.GetString(), m.value.GetStringLength()) : WriteJson(m.value);
      AppendJsonString(flag.payloads_json[key], payload);
    }
  }
  return flag;
}

Status CheckFlagForWrite(const FlagDefinition& flag) {
  for (size_t i = 0; i < flag.conditions.size(); ++i) {
    const std::optional<std::string>& v = flag.conditions[i].variant;
    if (v && !HasVariant(flag, *v)) {
      return Invalid(fmt::format("condition set {}: variant override \"{}\" is not one of the flag's variants", i + 1, *v));
    }
  }
  double sum = 0;
  for (const Variant& v : flag.variants) sum += v.rollout_percentage;
  if (!flag.variants.empty() && std::fabs(sum - 100) > 1e-9) {
    return Invalid("Invalid variant definitions: Variant rollout percentages must sum to 100.");
  }
  return Status::Ok();
}

Result<PropertyGroup> CompileCohort(std::string_view filters_json) {
  HEDGEROW_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseBoundedJson(filters_json, "a cohort's filters"));
  // PostHog keeps {"properties": {...group...}}; local evaluation ships the group itself.
  if (doc.IsObject()) {
    if (auto props = doc.FindMember("properties"); props != doc.MemberEnd() && props->value.IsObject()) {
      return CompileGroup(props->value, 1);
    }
  }
  return CompileGroup(doc, 1);
}

}  // namespace hedgerow::flags
