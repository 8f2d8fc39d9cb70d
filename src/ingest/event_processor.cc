#include "hedgerow/ingest/event_processor.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "elements_chain.h"
#include "event_text.h"
#include "message.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/uuid.h"
#include "person_updates.h"
#include "rows.h"
#include "timestamps.h"

namespace hedgerow::ingest {
namespace {

using rapidjson::Document;
using rapidjson::Value;

constexpr size_t kMaxEventNameChars = 200;
constexpr size_t kMaxDistinctIdChars = 400;
constexpr int kMaxGroups = 5;
constexpr size_t kPoolChunkBytes = 2048;
constexpr size_t kParseStackBytes = 1024;  // rapidjson's default
const Uuid kPersonNamespace = *Uuid::Parse("932979b4-65c3-4424-8467-0b66ec27bc22");

// The state and output of processing one event; the steps below fill it in order.
struct Context {
  persons::PersonTxn* txn = nullptr;  // set for the second phase only
  PendingRows& out;
  int64_t team_id = 0;
  int64_t now = 0;
  int64_t timestamp = 0;
  std::string event;
  std::string distinct_id;
  std::string uuid;

  void Warn(std::string_view type, const std::string& details) {
    out.push_back(WarningRow(team_id, type, details, now));
  }
};

// Adds `distinct_id` to `person` (version 0) and emits the row.
Status AddDistinctId(Context& c, const persons::Person& person, const std::string& distinct_id) {
  persons::DistinctIdRow row{c.team_id, distinct_id, person.id, 0};
  HEDGEROW_RETURN_IF_ERROR(c.txn->SetDistinctId(row));
  c.out.push_back(DistinctIdRowOf{row, person.uuid});
  return Status::Ok();
}

Result<persons::Person> CreatePerson(Context& c, const PersonUpdates& updates, bool identified,
                                     std::initializer_list<std::string> distinct_ids) {
  persons::Person p;
  p.uuid = Uuid::V5(kPersonNamespace, fmt::format("{}:{}", c.team_id, *distinct_ids.begin()));
  p.team_id = c.team_id;
  p.created_at = c.timestamp;
  p.properties = updates.InitialProperties();
  p.is_identified = identified;
  HEDGEROW_RETURN_IF_ERROR(c.txn->Insert(p));
  c.out.push_back(PersonRowOf{});  // the event's person: callers make `p` it
  for (const std::string& id : distinct_ids) HEDGEROW_RETURN_IF_ERROR(AddDistinctId(c, p, id));
  return p;
}

// Applies the event's updates (and identification) to an existing person; one version
// bump and one row when anything changed.
Status UpdatePerson(Context& c, persons::Person& p, const PersonUpdates& updates, bool identify) {
  bool changed = updates.ApplyTo(p.properties);
  if (identify && !p.is_identified) {
    p.is_identified = true;
    changed = true;
  }
  if (!changed) return Status::Ok();
  ++p.version;
  HEDGEROW_RETURN_IF_ERROR(c.txn->Update(p));
  c.out.push_back(PersonRowOf{});  // the event's person: callers make `p` it
  return Status::Ok();
}

// $identify / $create_alias / $merge_dangerously: `other` joins the person of `into`
// (ingestion.md §4). Returns the resulting person, or nullopt when no merge happened.
Result<std::optional<persons::Person>> Merge(Context& c, const std::string& other_id, const std::string& into_id,
                                             const PersonUpdates& updates) {
  if (IsIllegalDistinctId(other_id) || IsIllegalDistinctId(into_id)) {
    c.Warn("cannot_merge_with_illegal_distinct_id",
           Details({{"sourceDistinctId", other_id}, {"targetDistinctId", into_id}, {"eventUuid", c.uuid}}));
    return std::optional<persons::Person>();
  }
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<persons::Person> other, c.txn->FindByDistinctId(c.team_id, other_id));
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<persons::Person> into, c.txn->FindByDistinctId(c.team_id, into_id));
  if (!other && !into) {
    HEDGEROW_ASSIGN_OR_RETURN(persons::Person p, CreatePerson(c, updates, true, {into_id, other_id}));
    return std::optional<persons::Person>(std::move(p));
  }
  if (other && !into) {
    HEDGEROW_RETURN_IF_ERROR(AddDistinctId(c, *other, into_id));
    HEDGEROW_RETURN_IF_ERROR(UpdatePerson(c, *other, updates, true));
    return other;
  }
  if (!other && into) {
    HEDGEROW_RETURN_IF_ERROR(AddDistinctId(c, *into, other_id));
    HEDGEROW_RETURN_IF_ERROR(UpdatePerson(c, *into, updates, true));
    return into;
  }
  if (other->id == into->id) {
    HEDGEROW_RETURN_IF_ERROR(UpdatePerson(c, *into, updates, true));
    return into;
  }
  if (other->is_identified && c.event != "$merge_dangerously") {
    c.Warn("cannot_merge_already_identified",
           Details({{"sourcePersonDistinctId", other_id}, {"targetPersonDistinctId", into_id}, {"eventUuid", c.uuid}}));
    return std::optional<persons::Person>();
  }
  // Both known, two persons: the target keeps its uuid and absorbs the other.
  persons::Person& target = *into;
  target.properties = MergeProperties(other->properties, target.properties);
  updates.ApplyTo(target.properties);
  target.created_at = std::min(target.created_at, other->created_at);
  target.is_identified = true;
  ++target.version;
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<persons::DistinctIdRow> moved, c.txn->DistinctIdsOf(other->id));
  for (persons::DistinctIdRow& row : moved) {
    row.person_id = target.id;
    ++row.version;
    HEDGEROW_RETURN_IF_ERROR(c.txn->SetDistinctId(row));
    c.out.push_back(DistinctIdRowOf{row, target.uuid});
  }
  HEDGEROW_RETURN_IF_ERROR(c.txn->Update(target));
  HEDGEROW_RETURN_IF_ERROR(c.txn->Delete(other->id));
  c.out.push_back(PersonRowOf{});  // the event's person: the target
  persons::Person deleted = std::move(*other);
  deleted.version += 100;
  c.out.push_back(PersonRowOf{std::move(deleted), true});
  return into;
}

// $groupidentify: create or update the group; a row only when it changed.
Status IdentifyGroup(Context& c, const Value& props) {
  std::string_view type = Str(props, "$group_type");
  std::string key;
  if (auto it = props.FindMember("$group_key"); it != props.MemberEnd()) {
    key = it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength()) : WriteJson(it->value);
  }
  if (type.empty() || key.empty()) return Status::Ok();
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<int> index, c.txn->GroupTypeIndex(c.team_id, type, true));
  if (!index) {
    c.Warn("group_type_limit_exceeded", Details({{"groupType", type}, {"eventUuid", c.uuid}}));
    return Status::Ok();
  }
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<persons::Group> existing, c.txn->FindGroup(c.team_id, *index, key));
  persons::Group g = existing ? *existing : persons::Group{c.team_id, *index, key, "{}", c.timestamp, 0};
  std::string before = g.properties;
  if (auto it = props.FindMember("$group_set"); it != props.MemberEnd() && it->value.IsObject()) {
    g.properties = MergeProperties(g.properties, WriteJson(it->value));
  }
  if (existing && g.properties == before) return Status::Ok();
  ++g.version;
  HEDGEROW_RETURN_IF_ERROR(c.txn->UpsertGroup(g));
  c.out.push_back(GroupRowOf{std::move(g)});
  return Status::Ok();
}

}  // namespace

// One message between the two phases. The documents are parsed in place inside `buffer`,
// which never moves (the state lives behind a unique_ptr).
struct PreparedEvent::State {
  std::string_view message;  // the caller keeps it alive until Finish
  std::string buffer;
  // One small pool for both documents, its first chunk inline: a posthog-js message's values
  // take 1-2 KB (more chunks follow when not), and a batch keeps thousands of prepared
  // events alive (rapidjson's default chunk is 64 KB per document; 4 KB here cost
  // ingest_bench 30-70 MB of peak RSS over 2 KB).
  alignas(8) char first_chunk[kPoolChunkBytes];
  rapidjson::MemoryPoolAllocator<> pool{first_chunk, sizeof first_chunk, kPoolChunkBytes, SharedCrtAllocator()};
  Document msg{&pool, kParseStackBytes, SharedCrtAllocator()};  // only for messages ReadMessage leaves to the parser
  MessageFields fields;
  Document ev{&pool, kParseStackBytes, SharedCrtAllocator()};
  PendingRows rows;  // every row of this event but the events row, in emission order
  Context c{nullptr, rows};
  std::optional<Team> team;
  int64_t received = 0;
  enum class Next { kDone, kApps, kPersons } next = Next::kDone;
  bool personless = false;
  std::optional<PersonUpdates> updates;  // what the event does to its person
  std::string elements_chain;
  // The events row, written by Emit (after every other row of the event).
  bool has_event_row = false;
  persons::Person person;  // as the event saw it
  std::string person_mode;
  std::string group_columns[kMaxGroups];
  std::string_view prepare_stage = "ingest:prepare";  // where Prepare is, for its dead letters
  std::string_view finish_stage = "ingest:persons";   // where Finish is, for its dead letters
};

namespace {

// States of events done with, for the next events prepared on the same thread: a state is
// built afresh in place, but keeps its allocation, its buffer's (the unescaped message) and
// its rows', which saves four allocations an event. At most about a batch's worth is kept.
constexpr size_t kMaxSpareStates = 4096;
constexpr size_t kMaxSpareBufferBytes = 16 << 10;  // larger buffers are not kept
thread_local std::vector<std::unique_ptr<PreparedEvent::State>> spare_states;

}  // namespace

PreparedEvent::PreparedEvent() {
  if (spare_states.empty()) {
    state_ = std::make_unique<State>();
    return;
  }
  state_ = std::move(spare_states.back());
  spare_states.pop_back();
}

PreparedEvent::~PreparedEvent() {
  if (state_ == nullptr || spare_states.size() >= kMaxSpareStates) return;
  State* s = state_.get();
  std::string buffer = std::move(s->buffer);
  PendingRows rows = std::move(s->rows);
  s->~State();
  new (s) State();
  if (buffer.capacity() <= kMaxSpareBufferBytes) {
    buffer.clear();
    s->buffer = std::move(buffer);
  }
  rows.clear();
  s->rows = std::move(rows);  // the same member: the context's reference to it holds
  spare_states.push_back(std::move(state_));
}
PreparedEvent::PreparedEvent(PreparedEvent&&) noexcept = default;
PreparedEvent& PreparedEvent::operator=(PreparedEvent&&) noexcept = default;

namespace {

using State = PreparedEvent::State;

// Gives up on the message: it goes whole to dead_letter_queue with the stage and the reason,
// and gets no events row. The other rows it decided are dropped, unless `keep_rows`: rows of
// changes already made to the persons transaction (those stay) must reach the store too.
void DeadLetter(State& s, int64_t team_id, std::string_view stage, std::string_view error, bool keep_rows = false) {
  if (!keep_rows) s.rows.clear();
  s.has_event_row = false;
  s.rows.push_back(DeadLetterRow(team_id, s.message, stage, error, s.received));
  s.next = State::Next::kDone;
}

// The project's apps, in order; one that fails leaves the event as it was before it (like
// PostHog). False when the event goes no further: an app dropped it, or left it nameless (a
// dead letter).
bool RunApps(State& s, persons::PersonTxn* txn) {
  Context& c = s.c;
  Document& ev = s.ev;
  AppEnv env{txn, c.team_id, c.distinct_id, s.team->anonymize_ips ? std::string_view() : s.fields.ip};
  for (const auto& app : s.team->apps->apps) {
    std::optional<Document> before;
    if (!app->never_fails()) before.emplace().CopyFrom(ev, before->GetAllocator());
    Result<AppOutcome> outcome = app->Apply(ev, env);
    if (!outcome.ok()) {
      if (before) ev.Swap(*before);
      c.Warn("app_error", Details({{"app", app->kind()}, {"error", outcome.status().message()}, {"eventUuid", c.uuid}}));
      continue;
    }
    if (*outcome == AppOutcome::kDrop) {
      s.next = State::Next::kDone;
      return false;
    }
  }
  std::string_view renamed = Str(ev, "event");
  if (renamed.empty()) {
    DeadLetter(s, s.team->id, "ingest:apps", "an app left the event without a name");
    return false;
  }
  c.event = TruncateChars(renamed, kMaxEventNameChars);
  return true;
}

// After the apps: top-level $set/$set_once join the properties, $ip from capture, the
// timestamp, elements_chain; then the properties are final (Emit writes them as they are).
void Normalize(State& s) {
  Context& c = s.c;
  Document& ev = s.ev;
  auto& alloc = ev.GetAllocator();
  if (!ev.HasMember("properties") || !ev["properties"].IsObject()) {
    Erase(ev, "properties");
    ev.AddMember("properties", Value(rapidjson::kObjectType), alloc);
  }
  Value& props = ev["properties"];
  for (const char* key : {"$set", "$set_once"}) {
    auto top = ev.FindMember(key);
    if (top == ev.MemberEnd() || !top->value.IsObject()) continue;
    if (!props.HasMember(key) || !props[key].IsObject()) {
      Erase(props, key);
      props.AddMember(Value(key, alloc), Value(rapidjson::kObjectType), alloc);
    }
    Value& target = props[key];
    for (auto& m : top->value.GetObject()) {
      if (auto old = target.FindMember(m.name); old != target.MemberEnd()) target.EraseMember(old);
      target.AddMember(Value(m.name, alloc), Value(m.value, alloc), alloc);
    }
  }
  if (s.team->anonymize_ips) {
    Erase(props, "$ip");
  } else if (std::string_view ip = s.fields.ip; !ip.empty() && !props.HasMember("$ip")) {
    props.AddMember("$ip", Value(ip.data(), static_cast<rapidjson::SizeType>(ip.size()), alloc), alloc);
  }

  // Timestamp.
  std::optional<std::string_view> timestamp, sent_at;
  if (ev.HasMember("timestamp") && !ev["timestamp"].IsNull()) {
    timestamp = ev["timestamp"].IsString() ? Str(ev, "timestamp") : std::string_view("invalid");
  }
  bool ignore_sent_at = props.HasMember("$ignore_sent_at") && props["$ignore_sent_at"].IsTrue();
  if (std::string_view sent = s.fields.sent_at; !sent.empty() && !ignore_sent_at) sent_at = sent;
  std::optional<double> offset;
  if (ev.HasMember("offset") && ev["offset"].IsNumber()) offset = ev["offset"].GetDouble();
  EventTime when = ComputeEventTime(c.now, timestamp, sent_at, offset);
  c.timestamp = when.micros;
  if (!when.warning.empty()) {
    c.Warn(when.warning, Details({{"timestamp", timestamp.value_or("")}, {"eventUuid", c.uuid}}));
  }

  // elements_chain: the SDK's string, else built from $elements.
  s.elements_chain = std::string(Str(props, "$elements_chain"));
  if (auto it = props.FindMember("$elements"); it != props.MemberEnd()) {
    if (s.elements_chain.empty()) s.elements_chain = ElementsChain(it->value);
    Erase(props, "$elements");
  }
  if (!s.personless) s.updates.emplace(props);
  s.next = State::Next::kPersons;
}

}  // namespace

PreparedEvent EventProcessor::Prepare(std::string_view message, int64_t received_micros) const {
  PreparedEvent prepared;
  State& s = *prepared.state_;
  s.message = message;
  s.received = received_micros;
  try {
    PrepareSteps(s);
  } catch (const std::exception& e) {
    // Nothing a message holds may stop the pipeline: what no step foresaw is dead-lettered.
    // An app's warnings before it threw stay, as they do when it throws in Finish.
    DeadLetter(s, s.team ? s.team->id : 0, s.prepare_stage, fmt::format("unexpected error: {}", e.what()),
               s.prepare_stage == "ingest:apps");
  }
  return prepared;
}

void EventProcessor::PrepareSteps(PreparedEvent::State& s) const {
  const std::string_view message = s.message;
  // Capture refuses bigger, deeper or malformed input, but the log may hold records written
  // by anything (an older version, a producer of its own), and one must never crash or stall
  // the steps below: rapidjson's parser and writers recurse once per level.
  if (message.size() > kMaxMessageBytes) {
    DeadLetter(s, 0, "ingest:parse", fmt::format("message is larger than {} bytes", kMaxMessageBytes));
    return;
  }
  if (!IsValidUtf8(message)) {
    DeadLetter(s, 0, "ingest:parse", "message is not valid UTF-8");
    return;
  }
  MessageFields& f = s.fields;
  if (!ReadMessage(message, s.buffer, f)) {
    if (JsonNestsDeeperThan(message)) {
      DeadLetter(s, 0, "ingest:parse", fmt::format("message nests deeper than {} levels", kMaxJsonDepth));
      return;
    }
    // Not as capture writes messages: parsed in place in a padded copy (see capture/events.cc).
    s.buffer.assign(message);
    s.buffer.append(16, '\0');
    Document& msg = s.msg;
    msg.ParseInsitu<rapidjson::kParseStopWhenDoneFlag>(s.buffer.data());
    if (msg.HasParseError() || !msg.IsObject()) {
      DeadLetter(s, 0, "ingest:parse", "message is not a JSON object");
      return;
    }
    // Capture writes every field as a string (or null): anything else was not written by it.
    for (const char* name : {"token", "distinct_id", "uuid", "ip", "now", "sent_at", "data"}) {
      auto it = msg.FindMember(name);
      if (it != msg.MemberEnd() && !it->value.IsString() && !it->value.IsNull()) {
        DeadLetter(s, 0, "ingest:parse", fmt::format("message field \"{}\" is not a string", name));
        return;
      }
    }
    // Insitu strings are NUL-terminated, with the padding after the last.
    f = MessageFields{.token = Str(msg, "token"),
                      .distinct_id = Str(msg, "distinct_id"),
                      .uuid = Str(msg, "uuid"),
                      .ip = Str(msg, "ip"),
                      .now = Str(msg, "now"),
                      .sent_at = Str(msg, "sent_at"),
                      .data = Str(msg, "data")};
  }
  s.team = teams_(f.token);
  if (!s.team) {
    // Capture checked the token; one that no longer resolves (a deleted project) is kept.
    DeadLetter(s, 0, "ingest:team", "token does not resolve to a project");
    return;
  }

  Document& ev = s.ev;
  std::string_view data = f.data;
  if (data.empty()) {
    DeadLetter(s, s.team->id, "ingest:parse", "message has no data");
    return;
  }
  if (JsonNestsDeeperThan(data)) {
    DeadLetter(s, s.team->id, "ingest:parse", fmt::format("data nests deeper than {} levels", kMaxJsonDepth));
    return;
  }
  // `data` is NUL-terminated inside `buffer`: parse it in place too.
  ev.ParseInsitu<rapidjson::kParseStopWhenDoneFlag>(const_cast<char*>(data.data()));
  std::string_view name = Str(ev, "event");
  if (ev.HasParseError() || !ev.IsObject() || name.empty()) {
    DeadLetter(s, s.team->id, "ingest:parse", "data is not an event object with a name");
    return;
  }
  std::optional<int64_t> now = ParseIso8601Micros(f.now);
  Context& c = s.c;
  c.team_id = s.team->id;
  c.now = now.value_or(s.received);
  c.event = TruncateChars(name, kMaxEventNameChars);
  c.distinct_id = std::string(f.distinct_id);
  c.uuid = std::string(f.uuid);
  if (!Uuid::Parse(c.uuid)) {
    DeadLetter(s, s.team->id, "ingest:parse", "message has no valid uuid");
    return;
  }
  if (c.distinct_id.empty() || CountChars(c.distinct_id) > kMaxDistinctIdChars) {
    c.Warn("skipping_event_invalid_distinct_id", Details({{"distinctId", TruncateChars(c.distinct_id, 100)},
                                                          {"eventUuid", c.uuid}}));
    return;
  }

  // Normalize (1): properties is an object.
  if (!ev.HasMember("properties") || !ev["properties"].IsObject()) {
    Erase(ev, "properties");
    ev.AddMember("properties", Value(rapidjson::kObjectType), ev.GetAllocator());
  }

  // Personless events never touch persons (ingestion.md §2).
  const Value& raw_props = ev["properties"];
  s.personless = raw_props.HasMember("$process_person_profile") && raw_props["$process_person_profile"].IsFalse();
  if (s.personless && (c.event == "$identify" || c.event == "$create_alias" || c.event == "$merge_dangerously" ||
                       c.event == "$groupidentify")) {
    c.Warn("invalid_event_when_process_person_profile_is_false",
           Details({{"eventUuid", c.uuid}, {"event", c.event}, {"distinctId", c.distinct_id}}));
    return;
  }
  if (s.team->apps) {
    // Apps that read persons state (first_time_event) wait for the transaction; the others
    // run here, where the pipeline's workers run in parallel.
    if (s.team->apps->reads_persons()) {
      s.next = State::Next::kApps;
      return;
    }
    s.prepare_stage = "ingest:apps";
    if (!RunApps(s, nullptr)) return;
    s.prepare_stage = "ingest:prepare";
  }
  Normalize(s);
}

Status EventProcessor::Finish(PreparedEvent& prepared, persons::PersonTxn& txn) const {
  State& s = *prepared.state_;
  try {
    return FinishSteps(s, txn);
  } catch (const std::exception& e) {
    // Changes the event made to the transaction before this stay (they are the person's as
    // far as the event went), and so do the rows that show them.
    DeadLetter(s, s.team ? s.team->id : 0, s.finish_stage, fmt::format("unexpected error: {}", e.what()), true);
    return Status::Ok();
  }
}

Status EventProcessor::FinishSteps(PreparedEvent::State& s, persons::PersonTxn& txn) const {
  Context& c = s.c;
  c.txn = &txn;
  if (s.next == State::Next::kApps) {
    s.finish_stage = "ingest:apps";
    if (!RunApps(s, &txn)) return Status::Ok();
    Normalize(s);
    s.finish_stage = "ingest:persons";
  }
  if (s.next != State::Next::kPersons) return Status::Ok();
  const bool merge_event = c.event == "$identify" || c.event == "$create_alias" || c.event == "$merge_dangerously";
  Value& props = s.ev["properties"];

  // Groups.
  std::string* group_columns = s.group_columns;
  if (auto it = props.FindMember("$groups"); it != props.MemberEnd() && it->value.IsObject()) {
    for (const auto& m : it->value.GetObject()) {
      std::string_view type(m.name.GetString(), m.name.GetStringLength());
      HEDGEROW_ASSIGN_OR_RETURN(std::optional<int> index, txn.GroupTypeIndex(c.team_id, type, true));
      if (!index) {
        c.Warn("group_type_limit_exceeded", Details({{"groupType", type}, {"eventUuid", c.uuid}}));
        continue;
      }
      group_columns[*index] = m.value.IsString() ? std::string(m.value.GetString(), m.value.GetStringLength())
                                                 : WriteJson(m.value);
    }
  }
  if (c.event == "$groupidentify") HEDGEROW_RETURN_IF_ERROR(IdentifyGroup(c, props));

  // Persons.
  persons::Person person;
  std::string person_mode = "full";
  if (s.personless) {
    person_mode = "propertyless";
    HEDGEROW_ASSIGN_OR_RETURN(std::optional<persons::Person> existing, txn.FindByDistinctId(c.team_id, c.distinct_id));
    person.uuid = existing ? existing->uuid : Uuid::V5(kPersonNamespace, fmt::format("{}:{}", c.team_id, c.distinct_id));
    person.properties = "{}";
    person.created_at = 0;
  } else {
    const PersonUpdates& updates = *s.updates;
    std::optional<persons::Person> merged;
    std::string other_id(c.event == "$identify" ? Str(props, "$anon_distinct_id") : merge_event ? Str(props, "alias") : "");
    if (!other_id.empty() && other_id != c.distinct_id) {
      HEDGEROW_ASSIGN_OR_RETURN(merged, Merge(c, other_id, c.distinct_id, updates));
    }
    if (merged) {
      person = std::move(*merged);
    } else {
      HEDGEROW_ASSIGN_OR_RETURN(std::optional<persons::Person> existing, txn.FindByDistinctId(c.team_id, c.distinct_id));
      if (existing) {
        person = std::move(*existing);
        HEDGEROW_RETURN_IF_ERROR(UpdatePerson(c, person, updates, c.event == "$identify"));
      } else {
        HEDGEROW_ASSIGN_OR_RETURN(person, CreatePerson(c, updates, c.event == "$identify", {c.distinct_id}));
      }
    }
  }

  s.person = std::move(person);
  s.person_mode = std::move(person_mode);
  s.has_event_row = true;
  return Status::Ok();
}

namespace {

// A sink without buffers of its own: every row whole, in order.
class RowVector : public RowSink {
 public:
  explicit RowVector(std::vector<OutputRow>& rows) : rows_(rows) {}
  std::string* BeginRow(std::string_view, std::string_view) override { return nullptr; }
  void EndRow() override {}
  void Add(OutputRow&& row) override { rows_.push_back(std::move(row)); }

 private:
  std::vector<OutputRow>& rows_;
};

void EmitPersonRow(const persons::Person& person, std::string_view properties_literal, RowSink& out) {
  char key[Uuid::kChars];
  person.uuid.Format(key);
  if (std::string* target = out.BeginRow("clickhouse_person", std::string_view(key, sizeof key))) {
    RowWriter row(*target, kPersonRowBytes + properties_literal.size());
    WritePersonColumns(row, person, false, properties_literal);
    row.End();
    out.EndRow();
    return;
  }
  out.Add(PersonRow(person, false, properties_literal));
}

}  // namespace

void EventProcessor::Emit(PreparedEvent& prepared, RowSink& out) const {
  State& s = *prepared.state_;
  const persons::Person& person = s.person;
  // The person's properties as a JSON string literal, escaped once for the events row and
  // for the person row this event wrote, if any.
  thread_local std::string person_properties;
  person_properties.clear();
  if (s.has_event_row) AppendJsonString(person_properties, person.properties);
  for (PendingRow& r : s.rows) {
    const auto* person_row = std::get_if<PersonRowOf>(&r);
    if (person_row != nullptr && !person_row->person) {
      // Without the events row, Finish failed before the person was done: no state to show.
      if (s.has_event_row) EmitPersonRow(person, person_properties, out);
    } else {
      out.Add(Build(std::move(r)));
    }
  }
  s.rows.clear();
  if (!s.has_event_row) return;
  s.has_event_row = false;
  Context& c = s.c;
  const size_t reserve = 512 + s.message.size() * 5 / 4 + person_properties.size();
  std::string* target = out.BeginRow("clickhouse_events_json", c.uuid);
  RowWriter row = target != nullptr ? RowWriter(*target, reserve) : RowWriter(reserve);
  row.Str("uuid", c.uuid)
      .Str("event", c.event)
      .Json("properties", s.ev["properties"])
      .Time("timestamp", c.timestamp)
      .Int("team_id", c.team_id)
      .Str("distinct_id", c.distinct_id)
      .Str("elements_chain", s.elements_chain)
      .Time("created_at", c.now)
      .Id("person_id", person.uuid)
      .Literal("person_properties", person_properties)
      .Time("person_created_at", person.created_at)
      .Str("person_mode", s.person_mode);
  static constexpr std::string_view kGroupColumns[kMaxGroups] = {"$group_0", "$group_1", "$group_2", "$group_3", "$group_4"};
  for (int i = 0; i < kMaxGroups; ++i) row.Str(kGroupColumns[i], s.group_columns[i]);
  if (target != nullptr) {
    row.End();
    out.EndRow();
  } else {
    out.Add({"clickhouse_events_json", std::move(c.uuid), row.Done()});  // the event's last use of it
  }
}

Status EventProcessor::Process(std::string_view message, persons::PersonTxn& txn, std::vector<OutputRow>& out) const {
  PreparedEvent prepared = Prepare(message, NowMicros());
  Status status = Finish(prepared, txn);
  RowVector rows(out);
  Emit(prepared, rows);  // the rows decided before a failure too, as they were decided
  return status;
}

}  // namespace hedgerow::ingest
