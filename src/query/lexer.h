#pragma once

// Tokens of ClickHouse's SQL: identifiers (bare, "double-quoted" or `back-quoted`), numbers,
// 'strings' (backslash escapes and doubled quotes), operators and punctuation. Comments
// (-- to the end of the line, /* ... */) and whitespace separate tokens.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"

namespace hedgerow::query {

enum class TokenKind : uint8_t {
  kBareWord,      // identifier or keyword, as written
  kQuotedName,    // "name" or `name`: never a keyword
  kNumber,        // text as written: 1, 1.5, 1e10, 0x1F, .5
  kString,        // unescaped value
  kPunct,         // text: ( ) [ ] { } , . ; : :: -> + - * / % || = == != <> < > <= >= ?
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // for strings and quoted names, the unescaped value
  Position position;
};

// Every token of `sql`, ending with kEnd. InvalidArgument naming line and column for an
// unterminated string, quoted name or comment, or a character that starts no token.
Result<std::vector<Token>> Tokenize(std::string_view sql);

// A short description of a token for "expected X, got Y" messages.
std::string Describe(const Token& token);

}  // namespace hedgerow::query
