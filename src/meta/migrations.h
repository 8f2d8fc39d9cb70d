#pragma once

#include <span>

#include "hedgerow/common/sqlite.h"

namespace hedgerow::meta {

// The schema of meta.sqlite, in order.
std::span<const SqliteMigration> MetaMigrations();

}  // namespace hedgerow::meta
