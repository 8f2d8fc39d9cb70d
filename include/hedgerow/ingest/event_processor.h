#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/limits.h"
#include "hedgerow/common/status.h"
#include "hedgerow/ingest/apps.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

// What the pipeline needs of a project.
struct Team {
  int64_t id = 0;
  bool anonymize_ips = false;
  std::shared_ptr<const AppChain> apps;  // may be null: no apps
};
// Finds the team of a project token; nullopt for an unknown token.
using TeamResolver = std::function<std::optional<Team>(std::string_view token)>;

// A row for a clickhouse_* topic (or dead_letter_queue), as JSON.
struct OutputRow {
  std::string_view topic;  // one of those names, a literal: a row makes no copy of it
  std::string key;
  std::string value;
};

// Where Emit puts rows: the hot ones (events, the event's person) straight into the
// caller's buffer for their topic and key when it has one (the log's payloads), so that
// they are never strings of their own; the others whole.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // The string to append the JSON of a row of `topic` keyed `key` to, then EndRow(); or
  // null: the row then comes whole to Add.
  virtual std::string* BeginRow(std::string_view topic, std::string_view key) = 0;
  virtual void EndRow() = 0;
  virtual void Add(OutputRow&& row) = 0;
};

class EventProcessor;

// A message after the steps that need no persons state (EventProcessor::Prepare). Opaque.
class PreparedEvent {
 public:
  ~PreparedEvent();
  PreparedEvent(PreparedEvent&&) noexcept;
  PreparedEvent& operator=(PreparedEvent&&) noexcept;
  struct State;

 private:
  friend class EventProcessor;
  PreparedEvent();
  std::unique_ptr<State> state_;
};

// The steps of PostHog's ingestion pipeline for one message of events_plugin_ingestion
// (ingestion.md §2-§7): team, personless rules, normalization, timestamp, persons and
// merges, groups, and the events row. Deterministic from (message, persons state), so a
// replay from the same state emits the same rows.
// Thread-safe if the resolver is; each call works inside the caller's transaction.
class EventProcessor {
 public:
  explicit EventProcessor(TeamResolver teams) : teams_(std::move(teams)) {}

  // Processes one message, appending its rows to `out`. Bad data (unparseable message,
  // illegal distinct id, ...) is not an error: it yields warning or dead-letter rows.
  // Errors are outages of the person store only, and the caller retries the batch.
  Status Process(std::string_view message, persons::PersonTxn& txn, std::vector<OutputRow>& out) const;

  // Process in three phases, so that only the work that needs persons state runs inside the
  // persons transaction and pipeline workers overlap the rest:
  //   Prepare: parsing, validation, normalization, timestamps, elements_chain, the person
  //            updates' JSON (apps wait for Finish: they may read persons);
  //   Finish:  apps, groups, persons and merges, inside the transaction; decides the rows;
  //   Emit:    writes the rows' JSON, after the transaction (exactly the rows Process
  //            would append, in the same order).
  // `message` must outlive Emit. `received_micros`: when it was read (the messages of a
  // batch share one clock reading); the time of an event whose message has no `now`.
  // A message that no step can process (larger than kMaxMessageBytes, not UTF-8, JSON that
  // does not parse or nests deeper than kMaxJsonDepth, a token that no longer resolves, a
  // field of the wrong type, an exception in any step) yields one dead_letter_queue row with
  // the raw message, the stage and the reason, and nothing else.
  PreparedEvent Prepare(std::string_view message, int64_t received_micros) const;
  Status Finish(PreparedEvent& event, persons::PersonTxn& txn) const;
  void Emit(PreparedEvent& event, RowSink& out) const;

  static constexpr size_t kMaxMessageBytes = kMaxEventMessageBytes;

 private:
  void PrepareSteps(PreparedEvent::State& s) const;
  Status FinishSteps(PreparedEvent::State& s, persons::PersonTxn& txn) const;
  TeamResolver teams_;
};

}  // namespace hedgerow::ingest
