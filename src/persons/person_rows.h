#pragma once

#include <optional>

#include "hedgerow/common/sqlite.h"
#include "hedgerow/common/status.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::persons {

// Steps `stmt`, a SELECT of id, uuid, team_id, created_at, properties, is_identified, version
// FROM person, and reads the row; nullopt when there is none.
Result<std::optional<Person>> ReadPersonRow(SqliteStatement& stmt);

}  // namespace hedgerow::persons
