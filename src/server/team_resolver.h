#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "hedgerow/ingest/apps.h"
#include "hedgerow/ingest/event_processor.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::server {

// Resolves project tokens to the pipeline's Team, with each project's app chain built once
// and rebuilt when meta.sqlite changes (also from `hedgerow apps` in another process; the
// change counter is polled at most once a second). Thread-safe. `meta` must outlive it.
class TeamResolver {
 public:
  TeamResolver(meta::MetaStore* meta, ingest::AppResources resources)
      : meta_(meta), resources_(std::move(resources)) {}
  std::optional<ingest::Team> Resolve(std::string_view token);

 private:
  std::shared_ptr<const ingest::AppChain> AppsOf(int64_t project_id);

  meta::MetaStore* const meta_;
  const ingest::AppResources resources_;
  std::mutex mu_;
  std::map<int64_t, std::shared_ptr<const ingest::AppChain>> chains_;  // guarded by mu_
  int64_t seen_changes_ = -1;                                            // guarded by mu_
  std::chrono::steady_clock::time_point next_check_{};                   // guarded by mu_
};

}  // namespace hedgerow::server
