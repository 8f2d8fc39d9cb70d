// The SQL parser on any text: a statement or a syntax error, however deep the nesting.

#include "hedgerow/query/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  hedgerow::query::ParseStatement(sql);
  hedgerow::query::ParseExpression(sql);
  return 0;
}
