#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::capture {

struct ParseOptions {
  // /engage: an event without a name is a "$identify" (PostHog's legacy people API).
  std::string default_event_name;
  // /s/: session recording snapshots; the first event must carry $session_id and every
  // event $snapshot_data.
  bool snapshots = false;
  // The project anonymizes IPs: drop properties.$ip from the stored event.
  bool strip_ip = false;
};

// One accepted event of a request.
struct CaptureEvent {
  std::string data;  // the event object as JSON: as sent, or re-serialized when changed
  std::string event;
  std::string distinct_id;  // stringified, at most 200 characters
  std::optional<Uuid> uuid;  // the SDK's, when present and valid
  std::string session_id;    // snapshots only
};

// A request's events after validation. Invalid events are counted by reason, not fatal,
// unless every event is invalid (then the caller answers 400 with the first reason).
struct ParsedRequest {
  std::vector<CaptureEvent> events;
  std::string token;    // the one project token of the request
  std::string sent_at;  // the batch object's sent_at, or ""
  size_t total = 0;     // events in the request, valid or not
  std::map<std::string, uint64_t> dropped;  // reason -> count
  std::string first_drop_reason;
  std::string first_drop_detail;
};

// Parses the decoded JSON text of a capture request in any of PostHog's three shapes
// (array of events, {"batch": [...]} object, single event) and resolves its token
// (client-api.md §1.2-1.3).
// kInvalidArgument: not JSON, nested deeper than kMaxJsonDepth (128), not one of the
// shapes, no events, an event whose distinct_id is an object or array, or (snapshots) no
// $session_id. kUnauthenticated: no token, several tokens, or a malformed token.
// Events the parser did not change are stored as the exact text the SDK sent.
Result<ParsedRequest> ParseCaptureRequest(std::string_view json, const ParseOptions& options);

// Token shape check done before any lookup: trimmed, 1..64 ASCII characters, no NUL, not a
// personal API key. Returns the problem, or "" when the token is well formed.
std::string TokenProblem(std::string_view token);

}  // namespace hedgerow::capture
