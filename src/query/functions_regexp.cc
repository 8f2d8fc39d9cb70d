// Regular expressions through RE2, as ClickHouse's: match, extract, extractAll,
// replaceRegexpOne, replaceRegexpAll and multiMatchAny. Patterns must be constants: each is
// compiled once per call, not per row. match, extract and extractAll let '.' match '\n'
// (ClickHouse compiles them with RE_DOT_NL); replaceRegexp* do not.

#include <re2/re2.h>
#include <re2/set.h>

#include "functions_text.h"

namespace hedgerow::query {
namespace {

enum class Kind { kMatch, kExtract, kExtractAll, kReplaceOne, kReplaceAll, kMultiMatchAny };

// ClickHouse keeps at most \0 to \9.
constexpr int kMaxCaptures = 10;

Result<std::unique_ptr<re2::RE2>> Compile(std::string_view function, std::string_view pattern, bool dot_nl) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(dot_nl);
  auto re = std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    return Status::InvalidArgument(
        fmt::format("Function {}: cannot compile re2: {}, error: {}", function, pattern, re->error()));
  }
  return re;
}

// A replacement string as ClickHouse reads it: \0 to \9 insert that capture, a backslash
// before anything else inserts that character.
struct Piece {
  int capture;  // -1: the literal
  std::string literal;
};

Result<std::vector<Piece>> ParseReplacement(std::string_view replacement, int captures) {
  std::vector<Piece> pieces;
  std::string literal;
  for (size_t i = 0; i < replacement.size(); ++i) {
    if (replacement[i] == '\\' && i + 1 < replacement.size()) {
      char next = replacement[++i];
      if (next >= '0' && next <= '9') {
        if (!literal.empty()) pieces.push_back({-1, std::move(literal)});
        literal.clear();
        int n = next - '0';
        if (n >= captures) {
          return Status::InvalidArgument(fmt::format(
              "Invalid replace instruction in replacement string. Id: {}, but regexp has only {} subpatterns", n, captures - 1));
        }
        pieces.push_back({n, {}});
      } else {
        literal += next;
      }
    } else {
      literal += replacement[i];
    }
  }
  if (!literal.empty()) pieces.push_back({-1, std::move(literal)});
  return pieces;
}

class RegexpFunction final : public Function {
 public:
  RegexpFunction(const char* name, Kind kind) : name_(name), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const size_t arity = kind_ == Kind::kReplaceOne || kind_ == Kind::kReplaceAll ? 3 : 2;
    if (args.size() != arity) return WrongArgumentCount(name_, args.size(), arity == 3 ? "3" : "2");
    for (size_t i = 0; i < args.size(); ++i) {
      bool ok = args[i]->id == TypeId::kString;
      if (kind_ == Kind::kMultiMatchAny && i == 1) {
        ok = args[i]->id == TypeId::kArray && args[i]->nested[0]->id == TypeId::kString;
      }
      if (!ok) return IllegalTypes(name_, args);
    }
    switch (kind_) {
      case Kind::kMatch:
      case Kind::kMultiMatchAny: return MakeType(TypeId::kUInt8);
      case Kind::kExtractAll: return MakeArray(MakeType(TypeId::kString));
      default: return MakeType(TypeId::kString);
    }
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    for (size_t i = 1; i < args.size(); ++i) {
      if (!args[i]->is_const) {
        return Status::InvalidArgument(fmt::format("Illegal column of argument {} of function {}: must be constant", i + 1, name_));
      }
    }
    const Column& s = *args[0];
    if (kind_ == Kind::kMultiMatchAny) return MultiMatchAny(s, *args[1], result, rows);
    const bool replace = kind_ == Kind::kReplaceOne || kind_ == Kind::kReplaceAll;
    if (replace && args[1]->StringAt(0).empty()) return args[0];  // newer ClickHouse; 18.16 refuses it
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<re2::RE2> re, Compile(name_, args[1]->StringAt(0), !replace));
    const int captures = std::min(re->NumberOfCapturingGroups() + 1, kMaxCaptures);
    re2::StringPiece groups[kMaxCaptures];
    if (kind_ == Kind::kMatch) {
      std::vector<uint8_t> out(rows);
      for (size_t r = 0; r < rows; ++r) {
        std::string_view v = s.StringAt(r);
        out[r] = re->Match(re2::StringPiece(v.data(), v.size()), 0, v.size(), re2::RE2::UNANCHORED, nullptr, 0);
      }
      return NumberColumn(result, out);
    }
    // extract and extractAll take the first group when there is one, else the whole match.
    const int wanted = captures > 1 ? 1 : 0;
    auto out = MakeEmpty(result);
    out->offsets.reserve(rows);
    if (kind_ == Kind::kExtractAll) {
      auto found = MakeEmpty(result->nested[0]);
      for (size_t r = 0; r < rows; ++r) {
        std::string_view v = s.StringAt(r);
        // Each search starts a new text, so '^' matches where the last match ended, as in
        // ClickHouse; an empty match ends the row.
        for (size_t pos = 0; pos <= v.size();) {
          re2::StringPiece rest(v.data() + pos, v.size() - pos);
          if (!re->Match(rest, 0, rest.size(), re2::RE2::UNANCHORED, groups, wanted + 1) || groups[0].empty()) break;
          found->chars.append(groups[wanted].data() == nullptr ? std::string_view() : std::string_view(groups[wanted].data(), groups[wanted].size()));
          found->offsets.push_back(found->chars.size());
          ++found->rows;
          pos = static_cast<size_t>(groups[0].data() + groups[0].size() - v.data());
        }
        out->offsets.push_back(found->rows);
      }
      out->nested[0] = std::move(found);
      out->rows = rows;
      return ColumnPtr(std::move(out));
    }
    std::vector<Piece> pieces;
    if (replace) {
      HEDGEROW_ASSIGN_OR_RETURN(pieces, ParseReplacement(args[2]->StringAt(0), captures));
    }
    for (size_t r = 0; r < rows; ++r) {
      std::string_view v = s.StringAt(r);
      re2::StringPiece text(v.data(), v.size());
      if (!replace) {
        if (re->Match(text, 0, v.size(), re2::RE2::UNANCHORED, groups, wanted + 1) && groups[wanted].data() != nullptr) {
          out->chars.append(groups[wanted].data(), groups[wanted].size());
        }
      } else {
        ReplaceIn(*re, text, pieces, captures, out->chars);
      }
      out->offsets.push_back(out->chars.size());
    }
    out->rows = rows;
    return ColumnPtr(std::move(out));
  }

 private:
  // ClickHouse's ReplaceRegexpImpl::processString: after a match the search goes on from its
  // end; an empty match (or replaceRegexpOne's first) ends it. An empty string stays empty.
  void ReplaceIn(const re2::RE2& re, re2::StringPiece text, const std::vector<Piece>& pieces, int captures,
                 std::string& out) const {
    re2::StringPiece groups[kMaxCaptures];
    size_t pos = 0;
    while (pos < text.size()) {
      if (!re.Match(text, pos, text.size(), re2::RE2::UNANCHORED, groups, captures)) break;
      const size_t match_at = static_cast<size_t>(groups[0].data() - text.data());
      out.append(text.data() + pos, match_at - pos);
      pos = match_at + groups[0].size();
      for (const Piece& p : pieces) {
        if (p.capture < 0) {
          out.append(p.literal);
        } else if (groups[p.capture].data() != nullptr) {
          out.append(groups[p.capture].data(), groups[p.capture].size());
        }
      }
      if (kind_ == Kind::kReplaceOne || groups[0].empty()) break;
    }
    if (pos < text.size()) out.append(text.data() + pos, text.size() - pos);
  }

  // multiMatchAny(s, [patterns]): whether any pattern matches (ClickHouse uses Hyperscan;
  // RE2::Set gives the same answers for RE2's syntax).
  Result<ColumnPtr> MultiMatchAny(const Column& s, const Column& patterns, const DataTypePtr& result, size_t rows) const {
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(true);
    re2::RE2::Set set(options, re2::RE2::UNANCHORED);
    const Column& elements = *patterns.nested[0];
    const uint64_t begin = 0, end = patterns.offsets[0];
    for (uint64_t i = begin; i < end; ++i) {
      std::string_view p = elements.StringAt(i);
      std::string error;
      if (set.Add(re2::StringPiece(p.data(), p.size()), &error) < 0) {
        return Status::InvalidArgument(fmt::format("Function {}: cannot compile re2: {}, error: {}", name_, p, error));
      }
    }
    std::vector<uint8_t> out(rows);
    if (end == begin) return NumberColumn(result, out);
    if (!set.Compile()) return Status::InvalidArgument(fmt::format("Function {}: the patterns are too large", name_));
    for (size_t r = 0; r < rows; ++r) {
      std::string_view v = s.StringAt(r);
      out[r] = set.Match(re2::StringPiece(v.data(), v.size()), nullptr);
    }
    return NumberColumn(result, out);
  }

  const char* name_;
  Kind kind_;
};

}  // namespace

void RegisterRegexpFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Kind> kFunctions[] = {
      {"match", Kind::kMatch},           {"extract", Kind::kExtract},         {"extractAll", Kind::kExtractAll},
      {"replaceRegexpOne", Kind::kReplaceOne}, {"replaceRegexpAll", Kind::kReplaceAll},
      {"multiMatchAny", Kind::kMultiMatchAny}};
  for (const auto& [name, kind] : kFunctions) functions.emplace(name, std::make_unique<RegexpFunction>(name, kind));
}

}  // namespace hedgerow::query
