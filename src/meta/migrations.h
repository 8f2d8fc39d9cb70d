#pragma once

#include <span>

namespace hedgerow::meta {

// One schema change of meta.sqlite. Versions are dense from 1; a released migration is
// never edited, only followed by a new one.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

std::span<const Migration> MetaMigrations();

}  // namespace hedgerow::meta
