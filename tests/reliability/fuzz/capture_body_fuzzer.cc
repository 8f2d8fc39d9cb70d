// Capture request bodies in every form the SDKs send (JSON, base64, form data=, gzip, lz64),
// decoded and parsed as capture does, then turned into the ingestion messages it writes.

#include "fuzz_input.h"
#include "hedgerow/capture/events.h"
#include "hedgerow/capture/message.h"
#include "hedgerow/capture/payload.h"

using namespace hedgerow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  const uint8_t form = input.TakeByte();
  static constexpr std::string_view kContentTypes[] = {"application/json", "text/plain",
                                                       "application/x-www-form-urlencoded", ""};
  static constexpr std::string_view kCompressions[] = {"gzip-js", "lz64", "base64", "gzip"};
  capture::PayloadSource source;
  source.content_type = kContentTypes[form & 3];
  if (form & 4) source.query_compression = std::string(kCompressions[(form >> 3) & 3]);
  if (form & 32) source.query_data = std::string(input.TakeLine());
  source.legacy_path = (form & 64) != 0;
  source.body = input.rest();
  Result<std::string> json = capture::DecodePayload(source, 1 << 20);
  if (!json.ok()) return 0;
  capture::ParseOptions options;
  options.snapshots = (form & 128) != 0;
  options.strip_ip = (form & 16) != 0;
  Result<capture::ParsedRequest> parsed = capture::ParseCaptureRequest(*json, options);
  if (!parsed.ok()) return 0;
  capture::MessageContext context{.ip = "127.0.0.1", .site_url = "http://127.0.0.1", .now = "2026-12-07T00:00:00Z",
                                  .sent_at = parsed->sent_at, .token = parsed->token};
  for (const capture::CaptureEvent& event : parsed->events) {
    capture::BuildIngestionMessage(event, event.uuid.value_or(Uuid{}), context);
  }
  return 0;
}
