#include "hedgerow/capture/message.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace hedgerow::capture {
namespace {

void Put(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

std::string BuildIngestionMessage(const CaptureEvent& event, const Uuid& uuid, const MessageContext& context) {
  rapidjson::StringBuffer buffer;
  buffer.Reserve(event.data.size() + event.data.size() / 8 + 256);
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  Put(w, "uuid", uuid.ToString());
  Put(w, "distinct_id", event.distinct_id);
  w.Key("ip");
  if (context.ip.empty()) {
    w.Null();
  } else {
    w.String(context.ip.data(), static_cast<rapidjson::SizeType>(context.ip.size()));
  }
  Put(w, "site_url", context.site_url);
  Put(w, "now", context.now);
  Put(w, "sent_at", context.sent_at);
  Put(w, "token", context.token);
  Put(w, "data", event.data);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
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
