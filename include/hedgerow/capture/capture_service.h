#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hedgerow/common/metrics.h"
#include "hedgerow/http/router.h"
#include "hedgerow/log/log.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::capture {

struct CaptureOptions {
  // Peers whose X-Forwarded-For (first entry), X-Forwarded-Proto and X-Forwarded-Host are
  // believed.
  std::vector<std::string> trusted_proxies;
  size_t max_payload_bytes = 20u << 20;  // decoded text of one request
  // Bytes of accepted events handed to the log and not yet durable (waiting for its group
  // commit). A request that would take more is answered 503 with Retry-After instead of
  // queueing: when the disk falls behind, memory stays bounded and SDKs retry later. One
  // request is always let through when nothing waits, however large, so none starves.
  size_t max_inflight_bytes = 128u << 20;
  // Whether a project has active feature flags, for the remote config's hasFeatureFlags
  // (the flags module answers; capture does not depend on it). False when unset.
  std::function<bool(int64_t project_id)> has_feature_flags;
};

// The capture API: every SDK-facing event endpoint and the remote config posthog-js loads.
// A request is acknowledged (200 {"status":1}) only after the log's group commit made all
// its accepted events durable; if the log refuses, or max_inflight_bytes already wait for
// it, 503 with Retry-After.
// Thread-safe; `meta`, `log` and `metrics` must outlive it and the routes it added.
class CaptureService {
 public:
  CaptureService(CaptureOptions options, meta::MetaStore* meta, log::Log* log, MetricsRegistry* metrics);

  // /e/ /i/v0/e/ /capture/ /track/ /engage/ /batch/ /s/ (GET and POST),
  // /array/:token/config and /array/:token/config.js.
  void AddRoutes(http::Router& router);

  // The client's address: the first X-Forwarded-For entry when the peer is a trusted proxy,
  // else the peer (flags use it for GeoIP too).
  std::string ClientIp(const http::Request& request) const;

 private:
  enum class Endpoint { kEvents, kLegacyEvents, kEngage, kBatch, kSnapshots };
  // One capture path, with its metric series looked up once.
  struct Route {
    Endpoint endpoint;
    std::string name;
    Counter* bytes;
    Counter* accepted;
  };
  void HandleEvents(http::Request request, http::Reply reply, const Route& route);
  void HandleRemoteConfig(const http::Request& request, http::Reply reply, bool javascript);
  std::string SiteUrl(const http::Request& request) const;
  bool FromTrustedProxy(const http::Request& request) const;
  void CountDropped(const std::string& reason, uint64_t n);

  class InflightBytes;  // shared with the log's callbacks, which may outlive this service

  const CaptureOptions options_;
  meta::MetaStore* const meta_;
  log::Log* const log_;
  MetricsRegistry* const metrics_;
  const std::shared_ptr<InflightBytes> inflight_;
  Counter& shed_requests_;
};

}  // namespace hedgerow::capture
