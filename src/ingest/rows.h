#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hedgerow/ingest/event_processor.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

// The JSON rows of the clickhouse_* topics (ingestion.md §6). Timestamps are
// "YYYY-MM-DD HH:MM:SS.ffffff" UTC, as ClickHouse's JSONEachRow input takes them.

OutputRow PersonRow(const persons::Person& person, bool is_deleted);
OutputRow DistinctIdRow(const persons::DistinctIdRow& row, const Uuid& person_uuid);
OutputRow GroupRow(const persons::Group& group);
OutputRow WarningRow(int64_t team_id, std::string_view type, std::string_view details_json, int64_t timestamp);
OutputRow DeadLetterRow(int64_t team_id, std::string_view raw_message, std::string_view error, int64_t now);

}  // namespace hedgerow::ingest
