// ClickHouse's URL functions: protocol, domain, domainWithoutWWW, topLevelDomain, path,
// pathFull, queryString, fragment, cutQueryString, extractURLParameter and
// extractURLParameters. Like ClickHouse's (src/Functions/URL/), they scan bytes for a few
// delimiters and never decode or validate: a string that is not a URL gives '' or a piece
// of itself, never an error.

#include <algorithm>
#include <cstring>

#include "functions_text.h"

namespace hedgerow::query {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsAlpha(c) || (c >= '0' && c <= '9'); }

// The first of `symbols` in `s` from `from`, or s.size().
size_t FindFirst(std::string_view s, std::string_view symbols, size_t from = 0) {
  size_t at = s.find_first_of(symbols, from);
  return at == std::string_view::npos ? s.size() : at;
}

// getURLScheme: a letter, then letters, digits, '+', '-', '.'.
std::string_view Scheme(std::string_view url) {
  if (url.empty() || !IsAlpha(url[0])) return {};
  size_t n = 1;
  while (n < url.size() && (IsAlnum(url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.')) ++n;
  return url.substr(0, n);
}

std::string_view Protocol(std::string_view url) {
  std::string_view scheme = Scheme(url);
  // ClickHouse wants at least "://" and one more byte after the scheme.
  if (scheme.empty() || url.size() - scheme.size() < 4 || url[scheme.size()] != ':') return {};
  return scheme;
}

// Bytes no host contains: ClickHouse's getURLHost gives up when it meets one.
bool IsRestricted(char c) {
  switch (c) {
    case ' ': case '\t': case '<': case '>': case '%': case '{': case '}': case '|': case '\\':
    case '^': case '~': case '[': case ']': case ';': case '=': case '&':
      return true;
    default:
      return false;
  }
}

// ClickHouse's getURLHost: after "//" or a scheme of under 16 bytes and "://" (else from
// the start), up to ':', '/', '?' or '#', after any '@'; it must hold a dot with something
// after it that is not a delimiter.
std::string_view Host(std::string_view url) {
  size_t pos = 0;
  if (url.size() >= 2 && url[0] == '/' && url[1] == '/') {
    pos = 2;
  } else if (!url.empty()) {
    const size_t scheme_end = std::min<size_t>(url.size(), 16);
    for (pos = 1; pos < scheme_end; ++pos) {
      char c = url[pos];
      if (IsAlnum(c) || c == '.' || c == '-' || c == '+') continue;
      if (IsRestricted(c)) return {};
      break;
    }
    if (scheme_end - pos > 2 && url[pos] == ':' && url[pos + 1] == '/' && url[pos + 2] == '/') {
      pos += 3;
    } else {
      pos = 0;
    }
  }
  size_t start = pos, dot = std::string_view::npos;
  for (; pos < url.size(); ++pos) {
    char c = url[pos];
    if (c == '.') {
      dot = pos;
    } else if (c == ':' || c == '/' || c == '?' || c == '#') {
      break;
    } else if (c == '@') {
      start = pos + 1;
    } else if (IsRestricted(c)) {
      return {};
    }
  }
  if (dot == std::string_view::npos || start >= pos || pos - dot == 1) return {};
  char after_dot = url[dot + 1];
  if (after_dot == ':' || after_dot == '/' || after_dot == '?' || after_dot == '#') return {};
  return url.substr(start, pos - start);
}

std::string_view TopLevelDomain(std::string_view url) {
  std::string_view host = Host(url);
  if (host.empty()) return {};
  if (host.back() == '.') host.remove_suffix(1);
  size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= host.size()) return {};
  if (host[dot + 1] >= '0' && host[dot + 1] <= '9') return {};  // an IPv4 address
  return host.substr(dot + 1);
}

// ExtractPath: from the first '/' that does not start "//" (after "//", from the next '/').
std::string_view Path(std::string_view url, bool full) {
  size_t pos = url.find('/');
  if (pos == std::string_view::npos) return {};
  if (pos + 1 < url.size() && url[pos + 1] == '/') {
    pos = url.find('/', pos + 2);
    if (pos == std::string_view::npos) return {};
  }
  std::string_view rest = url.substr(pos);
  return full ? rest : rest.substr(0, FindFirst(rest, "?#"));
}

// From '?' up to '#' (the '?' included when `with_mark`).
std::string_view QueryString(std::string_view url, bool with_mark) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return {};
  size_t end = FindFirst(url, "#", q);
  size_t begin = with_mark ? q : q + 1;
  return url.substr(begin, end - begin);
}

std::string_view Fragment(std::string_view url) {
  size_t h = url.find('#');
  return h == std::string_view::npos ? std::string_view() : url.substr(h + 1);
}

// ExtractURLParameterImpl: the value of the first `name=` right after '?', '#' or '&' in
// the query string or fragment, up to '&' or '#' (and, as ClickHouse's strlen, a zero byte).
std::string_view UrlParameter(std::string_view url, std::string_view name_eq) {
  size_t begin = FindFirst(url, "?#");
  if (begin + 1 >= url.size()) return {};
  size_t at = begin + 1;
  while (true) {
    at = url.find(name_eq, at);
    if (at == std::string_view::npos) return {};
    char before = url[at - 1];
    at += name_eq.size();
    if (before == '?' || before == '#' || before == '&') break;
  }
  size_t end = FindFirst(url, "&#", at);
  std::string_view value = url.substr(at, end - at);
  if (end == url.size()) value = value.substr(0, value.find('\0'));
  return value;
}

// ExtractURLParametersImpl: the "name=value" (or "name") pairs of the query string and
// fragment.
void UrlParameters(std::string_view url, Column& out) {
  size_t pos = FindFirst(url, "?#");
  if (pos + 1 >= url.size()) return;
  ++pos;
  while (true) {
    size_t begin = pos;
    while (true) {
      pos = FindFirst(url, "=&#?", pos);
      if (pos == url.size()) return;
      if (url[pos] != '?') break;
      begin = ++pos;
    }
    size_t end;
    if (url[pos] == '&' || url[pos] == '#') {
      end = pos++;
    } else {
      pos = FindFirst(url, "&#", pos + 1);
      end = pos;
      if (pos != url.size()) ++pos;
    }
    out.chars.append(url.substr(begin, end - begin));
    out.offsets.push_back(out.chars.size());
    ++out.rows;
    if (end == url.size()) return;
  }
}

enum class Kind { kProtocol, kDomain, kDomainWithoutWww, kTopLevelDomain, kPath, kPathFull, kQueryString, kFragment,
                  kCutQueryString, kParameter, kParameters };

class UrlFunction final : public Function {
 public:
  UrlFunction(const char* name, Kind kind) : name_(name), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const size_t arity = kind_ == Kind::kParameter ? 2 : 1;
    if (args.size() != arity) return WrongArgumentCount(name_, args.size(), arity == 2 ? "2" : "1");
    for (const DataTypePtr& a : args) {
      if (a->id != TypeId::kString) return IllegalTypes(name_, args);
    }
    return kind_ == Kind::kParameters ? MakeArray(MakeType(TypeId::kString)) : MakeType(TypeId::kString);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& urls = *args[0];
    auto out = MakeEmpty(result);
    out->offsets.reserve(rows);
    if (kind_ == Kind::kParameters) {
      auto pairs = MakeEmpty(result->nested[0]);
      for (size_t r = 0; r < rows; ++r) {
        UrlParameters(urls.StringAt(r), *pairs);
        out->offsets.push_back(pairs->rows);
      }
      out->nested[0] = std::move(pairs);
      out->rows = rows;
      return ColumnPtr(std::move(out));
    }
    std::string name_eq;
    for (size_t r = 0; r < rows; ++r) {
      std::string_view url = urls.StringAt(r);
      switch (kind_) {
        case Kind::kProtocol: out->chars.append(Protocol(url)); break;
        case Kind::kDomain: out->chars.append(Host(url)); break;
        case Kind::kDomainWithoutWww: {
          std::string_view host = Host(url);
          if (host.size() > 4 && host.substr(0, 4) == "www.") host.remove_prefix(4);
          out->chars.append(host);
          break;
        }
        case Kind::kTopLevelDomain: out->chars.append(TopLevelDomain(url)); break;
        case Kind::kPath: out->chars.append(Path(url, false)); break;
        case Kind::kPathFull: out->chars.append(Path(url, true)); break;
        case Kind::kQueryString: out->chars.append(QueryString(url, false)); break;
        case Kind::kFragment: out->chars.append(Fragment(url)); break;
        case Kind::kCutQueryString: {
          std::string_view cut = QueryString(url, true);
          if (cut.empty()) {
            out->chars.append(url);
          } else {
            size_t at = static_cast<size_t>(cut.data() - url.data());
            out->chars.append(url.substr(0, at));
            out->chars.append(url.substr(at + cut.size()));
          }
          break;
        }
        default:
          name_eq.assign(args[1]->StringAt(r));
          name_eq += '=';
          out->chars.append(UrlParameter(url, name_eq));
      }
      out->offsets.push_back(out->chars.size());
    }
    out->rows = rows;
    return ColumnPtr(std::move(out));
  }

 private:
  const char* name_;
  Kind kind_;
};

}  // namespace

void RegisterUrlFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Kind> kFunctions[] = {
      {"protocol", Kind::kProtocol},       {"domain", Kind::kDomain},
      {"domainWithoutWWW", Kind::kDomainWithoutWww}, {"topLevelDomain", Kind::kTopLevelDomain},
      {"path", Kind::kPath},               {"pathFull", Kind::kPathFull},
      {"queryString", Kind::kQueryString}, {"fragment", Kind::kFragment},
      {"cutQueryString", Kind::kCutQueryString}, {"extractURLParameter", Kind::kParameter},
      {"extractURLParameters", Kind::kParameters}};
  for (const auto& [name, kind] : kFunctions) functions.emplace(name, std::make_unique<UrlFunction>(name, kind));
}

}  // namespace hedgerow::query
