#pragma once

// The reference answers of clickhouse-server 18.16 in tests/query/testdata/ (made by
// tests/query/reference/clickhouse_answers.sh): lines of "query<TAB>answer".

#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <string>

namespace hedgerow::query::testing {

// Calls `check(sql, expected)` for every line of the file; returns how many there were.
inline size_t ForEachReference(const std::string& file,
                               const std::function<void(const std::string&, const std::string&)>& check) {
  std::ifstream in(std::string(HEDGEROW_QUERY_TESTDATA) + "/" + file);
  REQUIRE(in);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    check(line.substr(0, tab), line.substr(tab + 1));
    ++lines;
  }
  return lines;
}

}  // namespace hedgerow::query::testing
