#include "hedgerow/capture/events.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <set>

#include "json_spans.h"

#include <fmt/format.h>

#include "hedgerow/common/json.h"

namespace hedgerow::capture {
namespace {

using rapidjson::Value;

constexpr size_t kMaxDistinctIdChars = 200;

const Value* Member(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string_view StringOf(const Value* v) {
  if (v == nullptr || !v->IsString()) return {};
  return std::string_view(v->GetString(), v->GetStringLength());
}

// Strings as they are; numbers and booleans as their JSON (PostHog stringifies `23` to
// "23"); NUL becomes U+FFFD; at most 200 characters. Objects and arrays never get here.
std::string DistinctIdText(const Value& v) {
  std::string raw = v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : WriteJson(v);
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < raw.size() && chars < kMaxDistinctIdChars; ++chars) {
    auto c = static_cast<uint8_t>(raw[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : 4;
    if (c == 0) {
      out += "\xef\xbf\xbd";
    } else {
      out.append(raw, i, n);
    }
    i += n;
  }
  return out;
}

std::string EventToken(const Value& event) {
  for (const char* name : {"token", "api_key", "$token"}) {
    if (auto t = StringOf(Member(event, name)); !t.empty()) return std::string(t);
  }
  if (const Value* props = Member(event, "properties")) {
    if (auto t = StringOf(Member(*props, "token")); !t.empty()) return std::string(t);
  }
  return {};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string TokenProblem(std::string_view token) {
  if (token.empty()) return "it is empty";
  if (token.size() > 64) return "it is longer than 64 characters";
  for (char c : token) {
    if (c == '\0') return "it contains a NUL byte";
    if (static_cast<uint8_t>(c) >= 0x80) return "it is not ASCII";
  }
  if (token.substr(0, 4) == "phx_") return "it is a personal API key; send the project token (phc_...)";
  return "";
}

Result<ParsedRequest> ParseCaptureRequest(std::string_view json, const ParseOptions& options) {
  // Checked before rapidjson sees the text: what is refused here never reaches a recursive
  // routine (our writer, the pipeline's readers), whatever the parser's own mode.
  if (JsonNestsDeeperThan(json, kMaxJsonDepth)) {
    return Status::InvalidArgument(
        fmt::format("capture: failed to parse request: JSON nested deeper than {} levels", kMaxJsonDepth));
  }
  // Parsed in place in a copy (rapidjson's insitu mode copies no string). Its SSE2 scanning
  // loads aligned 16-byte blocks and may read up to 15 bytes past the terminating NUL;
  // padding keeps those reads inside the buffer.
  std::string buffer;
  buffer.reserve(json.size() + 16);
  buffer.append(json);
  buffer.append(16, '\0');
  rapidjson::Document doc;
  // Iterative: the parser's stack is on the heap, so no input can overflow the thread's.
  // Text after the value is an error, as in PostHog's capture (serde_json: "trailing characters").
  doc.ParseInsitu<rapidjson::kParseIterativeFlag>(buffer.data());
  if (doc.HasParseError()) {
    return Status::InvalidArgument(fmt::format("capture: failed to parse request: {} at offset {}",
                                               rapidjson::GetParseError_En(doc.GetParseError()), doc.GetErrorOffset()));
  }
  ParsedRequest out;
  Value* events = nullptr;
  Value single(rapidjson::kArrayType);
  std::string batch_token;
  if (doc.IsArray()) {
    events = &doc;
  } else if (doc.IsObject() && doc.HasMember("batch")) {
    Value& batch = doc["batch"];
    if (!batch.IsArray()) return Status::InvalidArgument("capture: failed to parse request: \"batch\" must be an array");
    events = &batch;
    for (const char* name : {"api_key", "token"}) {
      if (auto t = StringOf(Member(doc, name)); !t.empty() && batch_token.empty()) batch_token = std::string(t);
    }
    out.sent_at = std::string(StringOf(Member(doc, "sent_at")));
  } else if (doc.IsObject()) {
    // A single event: move it into a one-element array (rapidjson moves, no copy).
    single.PushBack(doc.Move(), doc.GetAllocator());
    events = &single;
  } else {
    return Status::InvalidArgument("capture: failed to parse request: expected an event object, an array of events or "
                                   "{\"batch\": [...]}");
  }
  out.total = events->Size();
  if (out.total == 0) return Status::InvalidArgument("capture: request holds no event");
  std::optional<std::vector<TextSpan>> spans;
  spans = EventSpans(json, events == &doc || events == &single ? "" : "batch");
  if (spans && spans->size() != out.total) spans.reset();

  // The token: the batch's, else the one token the events agree on.
  std::string token = batch_token;
  if (token.empty()) {
    std::set<std::string> tokens;
    for (const Value& e : events->GetArray()) {
      if (std::string t = EventToken(e); !t.empty()) tokens.insert(std::move(t));
    }
    if (tokens.size() > 1) return Status::Unauthenticated("capture: batch submitted with inconsistent api_key values");
    if (!tokens.empty()) token = *tokens.begin();
  }
  token = std::string(Trim(token));
  if (token.empty()) return Status::Unauthenticated("capture: event submitted without an api_key");
  if (std::string problem = TokenProblem(token); !problem.empty()) {
    return Status::Unauthenticated(fmt::format("capture: API key is not valid: {}", problem));
  }
  out.token = token;

  if (options.snapshots) {
    const Value& first = (*events)[0];
    const Value* props = Member(first, "properties");
    auto session = StringOf(props == nullptr ? nullptr : Member(*props, "$session_id"));
    if (session.empty() || session.size() > 100) {
      return Status::InvalidArgument("capture: snapshot request needs properties.$session_id (1 to 100 characters)");
    }
  }

  auto drop = [&](size_t index, const char* reason, std::string detail) {
    if (out.dropped.empty()) {
      out.first_drop_reason = reason;
      out.first_drop_detail = fmt::format("capture: event {}: {}", index, detail);
    }
    out.dropped[reason]++;
  };

  auto& allocator = doc.GetAllocator();
  size_t index = 0;
  for (Value& e : events->GetArray()) {
    size_t i = index++;
    if (!e.IsObject()) {
      drop(i, "not_an_object", "each event must be a JSON object");
      continue;
    }
    CaptureEvent ce;
    bool changed = false;
    if (const Value* name = Member(e, "event"); name != nullptr && name->IsString() && name->GetStringLength() > 0) {
      ce.event = std::string(name->GetString(), name->GetStringLength());
    } else if (!options.default_event_name.empty() && (name == nullptr || name->IsNull())) {
      ce.event = options.default_event_name;
      e.RemoveMember("event");
      e.AddMember("event", Value(ce.event.c_str(), allocator), allocator);
      changed = true;
    } else {
      drop(i, "missing_event_name", "\"event\" must be a non-empty string");
      continue;
    }
    Value* props = e.HasMember("properties") ? &e["properties"] : nullptr;
    if (props != nullptr && !props->IsObject() && !props->IsNull()) {
      drop(i, "invalid_properties", "\"properties\" must be an object");
      continue;
    }
    const Value* id = Member(e, "distinct_id");
    if (id == nullptr || id->IsNull()) id = Member(e, "$distinct_id");
    if ((id == nullptr || id->IsNull()) && props != nullptr) id = Member(*props, "distinct_id");
    if (id != nullptr && (id->IsObject() || id->IsArray())) {
      // Fails the whole request, not just this event, as PostHog's capture does: its v1
      // batch API types distinct_id as a string, so an object or array fails the request's
      // deserialization (400), and its v0 handler stops a request at its first invalid
      // event. (v0 itself stringifies such ids; a person named `{"id":1}` is a client bug,
      // a user object sent for its id, better refused where the client sees it.)
      return Status::InvalidArgument(fmt::format("capture: event {}: \"distinct_id\" must be a string or a number, "
                                                 "not an {}",
                                                 i, id->IsObject() ? "object" : "array"));
    }
    if (id != nullptr && !id->IsNull()) ce.distinct_id = DistinctIdText(*id);
    if (ce.distinct_id.empty()) {
      drop(i, "missing_distinct_id", "no distinct_id (top level or in properties)");
      continue;
    }
    if (auto uuid_text = StringOf(Member(e, "uuid")); !uuid_text.empty()) ce.uuid = Uuid::Parse(uuid_text);
    if (options.snapshots) {
      const Value* data = props == nullptr ? nullptr : Member(*props, "$snapshot_data");
      if (data == nullptr || !(data->IsArray() || data->IsObject())) {
        drop(i, "invalid_snapshot", "properties.$snapshot_data must be an array or object");
        continue;
      }
      ce.session_id = std::string(StringOf(Member(*props, "$session_id")));
      if (ce.session_id.empty()) ce.session_id = std::string(StringOf(Member((*events)[0]["properties"], "$session_id")));
    }
    if (options.strip_ip && props != nullptr && props->IsObject()) changed |= props->RemoveMember("$ip");
    if (spans && !changed) {
      ce.data = std::string(json.substr((*spans)[i].begin, (*spans)[i].end - (*spans)[i].begin));
    } else {
      ce.data = WriteJson(e);
    }
    out.events.push_back(std::move(ce));
  }
  return out;
}

}  // namespace hedgerow::capture
