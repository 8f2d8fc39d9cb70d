#include "hedgerow/capture/capture_service.h"

#include <algorithm>
#include <atomic>
#include <charconv>

#include <fmt/format.h>

#include "hedgerow/capture/events.h"
#include "hedgerow/capture/message.h"
#include "hedgerow/capture/payload.h"
#include "hedgerow/capture/remote_config.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/limits.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::capture {
namespace {

constexpr const char* kEventsTopic = "events_plugin_ingestion";
constexpr const char* kSnapshotsTopic = "session_recording_snapshot_item_events";
// 2021-01-01 in ms: a smaller `_` is a seconds value from an old SDK, not a send time.
constexpr int64_t kMinSentAtMs = 1609459200000;

// sent_at from the `_` or `sent_at` query parameter (ms since epoch), as ISO 8601.
std::string SentAtFromQuery(const http::Request& request) {
  for (const char* name : {"_", "sent_at"}) {
    std::optional<std::string> v = request.QueryParam(name);
    if (!v) continue;
    int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
    if (ec == std::errc() && ptr == v->data() + v->size() && ms >= kMinSentAtMs) {
      return FormatIso8601Micros(ms * 1000);
    }
  }
  return {};
}

// The first address of X-Forwarded-For, without a port.
std::string FirstForwardedFor(std::string_view header) {
  std::string_view first = header.substr(0, header.find(','));
  while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
  while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
  if (!first.empty() && first.front() == '[') {  // [v6]:port
    size_t close = first.find(']');
    return std::string(close == std::string_view::npos ? first : first.substr(1, close - 1));
  }
  if (std::count(first.begin(), first.end(), ':') == 1) first = first.substr(0, first.find(':'));  // v4:port
  return std::string(first);
}

std::string ErrorCode(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnauthenticated: return "invalid_api_key";
    case StatusCode::kTooLarge: return "payload_too_large";
    default: return "invalid_payload";
  }
}

}  // namespace

// Bytes handed to the log and not yet completed by it. Thread-safe: HTTP threads reserve,
// the log's sync thread releases.
class CaptureService::InflightBytes {
 public:
  InflightBytes(size_t limit, Gauge& gauge) : limit_(limit), gauge_(gauge) {}

  // Takes `n` bytes unless that would pass the limit while others wait: a request larger
  // than the limit still goes through alone.
  bool TryReserve(size_t n) {
    size_t current = bytes_.load();
    do {
      if (current > 0 && current + n > limit_) return false;
    } while (!bytes_.compare_exchange_weak(current, current + n));
    gauge_.Add(static_cast<double>(n));
    return true;
  }
  void Release(size_t n) {
    bytes_.fetch_sub(n);
    gauge_.Add(-static_cast<double>(n));
  }
  size_t bytes() const { return bytes_.load(); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  Gauge& gauge_;  // lives in the metrics registry, which outlives the log's callbacks
  std::atomic<size_t> bytes_{0};
};

CaptureService::CaptureService(CaptureOptions options, meta::MetaStore* meta, log::Log* log, MetricsRegistry* metrics)
    : options_(std::move(options)),
      meta_(meta),
      log_(log),
      metrics_(metrics),
      inflight_(std::make_shared<InflightBytes>(
          options_.max_inflight_bytes,
          metrics->GetGauge("hedgerow_capture_inflight_bytes", "Bytes of accepted events waiting for the log"))),
      shed_requests_(metrics->GetCounter("hedgerow_capture_requests_shed_total",
                                         "Requests answered 503 because max_inflight_bytes already waited for the log")) {}

void CaptureService::AddRoutes(http::Router& router) {
  struct Path {
    const char* pattern;
    Endpoint endpoint;
    const char* name;
  };
  static const Path kPaths[] = {
      {"/e/", Endpoint::kLegacyEvents, "e"},      {"/i/v0/e/", Endpoint::kEvents, "i/v0/e"},
      {"/capture/", Endpoint::kLegacyEvents, "capture"}, {"/track/", Endpoint::kLegacyEvents, "track"},
      {"/engage/", Endpoint::kEngage, "engage"},  {"/batch/", Endpoint::kBatch, "batch"},
      {"/s/", Endpoint::kSnapshots, "s"},
  };
  for (const Path& p : kPaths) {
    Route route{p.endpoint, p.name,
                &metrics_->GetCounter("hedgerow_capture_bytes_total", "Request bytes received by capture (after gzip)",
                                      {{"endpoint", p.name}}),
                &metrics_->GetCounter("hedgerow_capture_events_accepted_total", "Events durably logged by capture",
                                      {{"endpoint", p.name}})};
    router.Add("GET,POST", p.pattern, [this, route](http::Request request, http::Reply reply) {
      HandleEvents(std::move(request), std::move(reply), route);
    });
  }
  router.Add("GET", "/array/:token/config", [this](http::Request request, http::Reply reply) {
    HandleRemoteConfig(request, std::move(reply), false);
  });
  router.Add("GET", "/array/:token/config.js", [this](http::Request request, http::Reply reply) {
    HandleRemoteConfig(request, std::move(reply), true);
  });
}

bool CaptureService::FromTrustedProxy(const http::Request& request) const {
  return std::find(options_.trusted_proxies.begin(), options_.trusted_proxies.end(), request.remote_address) !=
         options_.trusted_proxies.end();
}

std::string CaptureService::ClientIp(const http::Request& request) const {
  if (FromTrustedProxy(request)) {
    std::string forwarded = FirstForwardedFor(request.Header("X-Forwarded-For"));
    if (!forwarded.empty()) return forwarded;
  }
  return request.remote_address;
}

std::string CaptureService::SiteUrl(const http::Request& request) const {
  bool proxied = FromTrustedProxy(request);
  std::string_view proto = proxied ? request.Header("X-Forwarded-Proto") : std::string_view();
  std::string_view host = proxied ? request.Header("X-Forwarded-Host") : std::string_view();
  if (host.empty()) host = request.Header("Host");
  if (host.empty()) return {};
  return fmt::format("{}://{}", proto.empty() ? "http" : proto, host);
}

void CaptureService::CountDropped(const std::string& reason, uint64_t n) {
  metrics_->GetCounter("hedgerow_capture_events_dropped_total", "Events capture refused, by reason", {{"reason", reason}})
      .Inc(n);
}

void CaptureService::HandleEvents(http::Request request, http::Reply reply, const Route& route) {
  const int64_t now_us = NowMicros();
  const Endpoint endpoint = route.endpoint;
  const std::string& name = route.name;
  route.bytes->Inc(request.body.size());
  auto fail = [&](const Status& s, std::string_view code) {
    LogDebug("capture", "request refused", {{"request_id", request.id}, {"endpoint", name}, {"error", s.message()}});
    reply(http::Response::Error(s, code));
  };

  PayloadSource source;
  source.body = request.body;
  source.content_type = request.Header("Content-Type");
  source.query_data = request.QueryParam("data");
  source.query_compression = request.QueryParam("compression");
  source.legacy_path = endpoint == Endpoint::kLegacyEvents || endpoint == Endpoint::kEngage;
  Result<std::string> text = DecodePayload(source, options_.max_payload_bytes);
  if (!text.ok()) {
    CountDropped(ErrorCode(text.status()), 1);
    return fail(text.status(), ErrorCode(text.status()));
  }

  ParseOptions parse;
  parse.default_event_name = endpoint == Endpoint::kEngage ? "$identify" : "";
  parse.snapshots = endpoint == Endpoint::kSnapshots;
  // Parsing consumes its copy of the text; keep the original only for the rare re-parse.
  Result<ParsedRequest> parsed = ParseCaptureRequest(*text, parse);
  if (!parsed.ok()) {
    std::string code = parsed.status().message().find("without an api_key") != std::string::npos
                           ? "missing_api_key"
                           : ErrorCode(parsed.status());
    CountDropped(code, 1);
    return fail(parsed.status(), code);
  }
  std::optional<meta::Project> project = meta_->FindProjectByToken(parsed->token);
  if (!project) {
    CountDropped("invalid_token", parsed->total);
    std::string prefix = parsed->token.substr(0, 8);
    return fail(Status::Unauthenticated(fmt::format("capture: unknown project token \"{}...\"", prefix)),
                "invalid_api_key");
  }
  if (project->anonymize_ips) {
    parse.strip_ip = true;
    parsed = ParseCaptureRequest(*text, parse);  // same text, same outcome, without $ip
    if (!parsed.ok()) return fail(parsed.status(), ErrorCode(parsed.status()));
  }
  for (const auto& [reason, count] : parsed->dropped) CountDropped(reason, count);
  if (parsed->events.empty()) {
    return reply(http::Response::Error(400, "validation_error", parsed->first_drop_reason, parsed->first_drop_detail));
  }

  std::string ip = project->anonymize_ips ? std::string() : ClientIp(request);
  std::string site_url = SiteUrl(request);
  std::string now = FormatIso8601Micros(now_us);
  std::string sent_at = !parsed->sent_at.empty() ? parsed->sent_at : SentAtFromQuery(request);
  MessageContext context{ip, site_url, now, sent_at, parsed->token};
  const bool snapshots = endpoint == Endpoint::kSnapshots;
  std::vector<log::OutgoingRecord> records;
  records.reserve(parsed->events.size());
  size_t record_bytes = 0;
  for (const CaptureEvent& e : parsed->events) {
    Uuid uuid = e.uuid ? *e.uuid : Uuid::V7();
    log::OutgoingRecord r;
    r.topic = snapshots ? kSnapshotsTopic : kEventsTopic;
    r.record.key = IngestionKey(parsed->token, snapshots ? e.session_id : e.distinct_id);
    r.record.value = BuildIngestionMessage(e, uuid, context);
    r.record.timestamp_ms = now_us / 1000;
    if (!snapshots && r.record.value.size() > kMaxEventMessageBytes) {
      // As PostHog's capture answers its producer's MessageSizeTooLarge: nothing is logged.
      CountDropped("event_too_big", parsed->total);
      return reply(http::Response::Error(
          413, "invalid_request", "event_too_big",
          fmt::format("capture: event {} is {} bytes as an ingestion message; the limit is {}",
                      &e - parsed->events.data(), r.record.value.size(), kMaxEventMessageBytes)));
    }
    record_bytes += r.record.key.size() + r.record.value.size();
    records.push_back(std::move(r));
  }
  if (!inflight_->TryReserve(record_bytes)) {
    shed_requests_.Inc();
    http::Response r = http::Response::Error(
        503, "server_error", "overloaded",
        fmt::format("capture: {} bytes of events already wait for the log (max-inflight-bytes {}); retry later",
                    inflight_->bytes(), inflight_->limit()));
    r.SetHeader("Retry-After", "1");
    return reply(std::move(r));
  }

  const size_t accepted = records.size();
  const size_t dropped = parsed->total - accepted;
  const bool beacon = request.QueryParam("beacon") == "1";
  std::string drop_summary;
  if (dropped > 0) {
    std::string reasons;
    for (const auto& [reason, count] : parsed->dropped) {
      reasons += fmt::format("{}{}:{}", reasons.empty() ? "" : ",", http::JsonQuote(reason), count);
    }
    drop_summary = fmt::format(R"(,"dropped":{},"drop_reasons":{{{}}},"detail":{})", dropped, reasons,
                               http::JsonQuote(parsed->first_drop_detail));
  }
  Counter& accepted_counter = *route.accepted;
  uint64_t request_id = request.id;
  log_->Append(std::move(records), {},
               [reply = std::move(reply), accepted, beacon, drop_summary = std::move(drop_summary), request_id,
                &accepted_counter, inflight = inflight_, record_bytes](Result<std::vector<log::RecordPosition>> result) {
                 // Runs on the log's sync thread: answer and return.
                 inflight->Release(record_bytes);
                 if (!result.ok()) {
                   LogWarn("capture", "log refused events",
                           {{"request_id", request_id}, {"error", result.status().message()}});
                   http::Response r = http::Response::Error(503, "server_error", "unavailable",
                                                            "capture: transient error, please retry");
                   r.SetHeader("Retry-After", "1");
                   return reply(std::move(r));
                 }
                 accepted_counter.Inc(accepted);
                 if (beacon) {
                   http::Response r;
                   r.status = 204;
                   return reply(std::move(r));
                 }
                 reply(http::Response::Json(200, fmt::format(R"({{"status":1{}}})", drop_summary)));
               });
}

void CaptureService::HandleRemoteConfig(const http::Request& request, http::Reply reply, bool javascript) {
  const std::string& token = request.path_params.at("token");
  if (!TokenProblem(token).empty()) {
    return reply(http::Response::Error(400, "validation_error", "invalid_api_key",
                                       "capture: the token in the path is malformed"));
  }
  std::optional<meta::Project> project = meta_->FindProjectByToken(token);
  if (!project) {
    return reply(http::Response::Error(404, "invalid_request", "not_found",
                                       fmt::format("capture: no project has token \"{}...\"", token.substr(0, 8))));
  }
  bool has_flags = options_.has_feature_flags && options_.has_feature_flags(project->id);
  std::string config = RemoteConfigJson(token, has_flags);
  http::Response r = javascript ? http::Response::Text(200, RemoteConfigScript(token, config), "application/javascript")
                                : http::Response::Json(200, std::move(config));
  r.SetHeader("Cache-Control", "public, max-age=300");
  reply(std::move(r));
}

}  // namespace hedgerow::capture
