#include "hedgerow/capture/message.h"

#include "hedgerow/common/json.h"

namespace hedgerow::capture {

std::string BuildIngestionMessage(const CaptureEvent& event, const Uuid& uuid, const MessageContext& context) {
  // Built by hand rather than through a JSON writer: `data` is the event's JSON escaped as a
  // string, the largest part of every message, and AppendJsonString copies it in runs.
  std::string out;
  out.reserve(event.data.size() + event.data.size() / 8 + 256);
  out += "{\"uuid\":\"";
  out += uuid.ToString();
  out += "\",\"distinct_id\":";
  AppendJsonString(out, event.distinct_id);
  out += ",\"ip\":";
  if (context.ip.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, context.ip);
  }
  out += ",\"site_url\":";
  AppendJsonString(out, context.site_url);
  out += ",\"now\":";
  AppendJsonString(out, context.now);
  out += ",\"sent_at\":";
  AppendJsonString(out, context.sent_at);
  out += ",\"token\":";
  AppendJsonString(out, context.token);
  out += ",\"data\":";
  AppendJsonString(out, event.data);
  out += '}';
  return out;
}

std::string IngestionKey(std::string_view token, std::string_view distinct_id) {
  std::string key;
  key.reserve(token.size() + 1 + distinct_id.size());
  key += token;
  key += ':';
  key += distinct_id;
  return key;
}

}  // namespace hedgerow::capture
