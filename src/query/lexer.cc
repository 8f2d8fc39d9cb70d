#include "lexer.h"

#include <cctype>

#include <fmt/format.h>

namespace hedgerow::query {
namespace {

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool IsWordChar(char c) { return IsWordStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$'; }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      HEDGEROW_RETURN_IF_ERROR(SkipSpaceAndComments());
      Token t;
      t.position = position_;
      if (at_ >= sql_.size()) {
        tokens.push_back(std::move(t));
        return tokens;
      }
      char c = sql_[at_];
      if (IsWordStart(c) || c == '$') {
        size_t start = at_;
        while (at_ < sql_.size() && IsWordChar(sql_[at_])) Advance();
        t.kind = TokenKind::kBareWord;
        t.text = std::string(sql_.substr(start, at_ - start));
      } else if (IsDigit(c) || (c == '.' && at_ + 1 < sql_.size() && IsDigit(sql_[at_ + 1]) && !AfterName(tokens))) {
        t.kind = TokenKind::kNumber;
        t.text = Number();
      } else if (c == '\'') {
        t.kind = TokenKind::kString;
        HEDGEROW_ASSIGN_OR_RETURN(t.text, Quoted('\'', "string"));
      } else if (c == '"' || c == '`') {
        t.kind = TokenKind::kQuotedName;
        HEDGEROW_ASSIGN_OR_RETURN(t.text, Quoted(c, "quoted name"));
      } else {
        t.kind = TokenKind::kPunct;
        t.text = Punct();
        if (t.text.empty()) {
          return Status::InvalidArgument(fmt::format("Syntax error at line {}, column {}: unexpected character '{}'",
                                                     position_.line, position_.column, Printable(c)));
        }
      }
      tokens.push_back(std::move(t));
    }
  }

 private:
  // After a name or a closing bracket, ".5" is tuple element access (t.1 is t .1 here
  // only when the dot follows a name directly; a number then).
  static bool AfterName(const std::vector<Token>& tokens) {
    if (tokens.empty()) return false;
    const Token& last = tokens.back();
    return last.kind == TokenKind::kBareWord || last.kind == TokenKind::kQuotedName ||
           (last.kind == TokenKind::kPunct && (last.text == ")" || last.text == "]"));
  }

  static std::string Printable(char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }

  void Advance() {
    if (sql_[at_] == '\n') {
      ++position_.line;
      position_.column = 1;
    } else {
      ++position_.column;
    }
    ++at_;
  }

  Status SkipSpaceAndComments() {
    while (at_ < sql_.size()) {
      char c = sql_[at_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        Advance();
      } else if (c == '-' && at_ + 1 < sql_.size() && sql_[at_ + 1] == '-') {
        while (at_ < sql_.size() && sql_[at_] != '\n') Advance();
      } else if (c == '/' && at_ + 1 < sql_.size() && sql_[at_ + 1] == '*') {
        Position start = position_;
        Advance();
        Advance();
        while (at_ + 1 < sql_.size() && !(sql_[at_] == '*' && sql_[at_ + 1] == '/')) Advance();
        if (at_ + 1 >= sql_.size()) {
          return Status::InvalidArgument(fmt::format("Syntax error at line {}, column {}: unterminated comment",
                                                     start.line, start.column));
        }
        Advance();
        Advance();
      } else {
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  std::string Number() {
    size_t start = at_;
    if (sql_[at_] == '0' && at_ + 1 < sql_.size() && (sql_[at_ + 1] == 'x' || sql_[at_ + 1] == 'X')) {
      Advance();
      Advance();
      while (at_ < sql_.size() && std::isxdigit(static_cast<unsigned char>(sql_[at_]))) Advance();
      return std::string(sql_.substr(start, at_ - start));
    }
    while (at_ < sql_.size() && IsDigit(sql_[at_])) Advance();
    if (at_ < sql_.size() && sql_[at_] == '.') {
      Advance();
      while (at_ < sql_.size() && IsDigit(sql_[at_])) Advance();
    }
    if (at_ < sql_.size() && (sql_[at_] == 'e' || sql_[at_] == 'E')) {
      size_t mark = at_;
      Position mark_position = position_;
      Advance();
      if (at_ < sql_.size() && (sql_[at_] == '+' || sql_[at_] == '-')) Advance();
      if (at_ < sql_.size() && IsDigit(sql_[at_])) {
        while (at_ < sql_.size() && IsDigit(sql_[at_])) Advance();
      } else {
        at_ = mark;  // "1e" is 1 followed by the name e
        position_ = mark_position;
      }
    }
    return std::string(sql_.substr(start, at_ - start));
  }

  Result<std::string> Quoted(char quote, const char* what) {
    Position start = position_;
    Advance();
    std::string out;
    while (at_ < sql_.size()) {
      char c = sql_[at_];
      if (c == quote) {
        Advance();
        if (at_ < sql_.size() && sql_[at_] == quote) {  // doubled: one quote
          out += quote;
          Advance();
          continue;
        }
        return out;
      }
      if (c == '\\' && at_ + 1 < sql_.size()) {
        Advance();
        char e = sql_[at_];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '0': out += '\0'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'a': out += '\a'; break;
          case 'v': out += '\v'; break;
          case 'e': out += '\x1b'; break;
          case 'x': {
            // \xHH: two hex digits, as ClickHouse reads them.
            if (at_ + 2 < sql_.size() && std::isxdigit(static_cast<unsigned char>(sql_[at_ + 1])) &&
                std::isxdigit(static_cast<unsigned char>(sql_[at_ + 2]))) {
              out += static_cast<char>(std::stoi(std::string(sql_.substr(at_ + 1, 2)), nullptr, 16));
              Advance();
              Advance();
            } else {
              out += 'x';
            }
            break;
          }
          default: out += e; break;  // \\ \' \" and any other: the character itself
        }
        Advance();
        continue;
      }
      out += c;
      Advance();
    }
    return Status::InvalidArgument(
        fmt::format("Syntax error at line {}, column {}: unterminated {}", start.line, start.column, what));
  }

  std::string Punct() {
    static constexpr std::string_view kTwo[] = {"::", "->", "||", "==", "!=", "<>", "<=", ">="};
    for (std::string_view op : kTwo) {
      if (sql_.substr(at_, 2) == op) {
        Advance();
        Advance();
        return std::string(op);
      }
    }
    static constexpr std::string_view kOne = "()[]{},.;:+-*/%=<>?";
    if (kOne.find(sql_[at_]) == std::string_view::npos) return {};
    std::string out(1, sql_[at_]);
    Advance();
    return out;
  }

  std::string_view sql_;
  size_t at_ = 0;
  Position position_;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view sql) { return Lexer(sql).Run(); }

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd: return "end of query";
    case TokenKind::kString: return "string literal";
    case TokenKind::kNumber: return fmt::format("number {}", token.text);
    case TokenKind::kQuotedName: return fmt::format("name \"{}\"", token.text);
    default: return fmt::format("'{}'", token.text);
  }
}

}  // namespace hedgerow::query
