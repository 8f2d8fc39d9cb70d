#pragma once

#include <string>
#include <string_view>

#include "hedgerow/capture/events.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::capture {

// The request-wide facts every ingestion message of one request carries.
struct MessageContext {
  std::string_view ip;        // empty: null (unknown or anonymized)
  std::string_view site_url;  // scheme://host of the request
  std::string_view now;       // server receive time, ISO 8601 UTC
  std::string_view sent_at;   // the SDK's, or ""
  std::string_view token;
};

// The message capture writes to events_plugin_ingestion for one event, in PostHog's
// format (ingestion.md §1): {"uuid","distinct_id","ip","site_url","now","sent_at","token",
// "data"} with `data` the event object as a JSON string.
std::string BuildIngestionMessage(const CaptureEvent& event, const Uuid& uuid, const MessageContext& context);

// The record key: "<token>:<distinct_id>", so one person's events stay in order on one
// partition.
std::string IngestionKey(std::string_view token, std::string_view distinct_id);

}  // namespace hedgerow::capture
