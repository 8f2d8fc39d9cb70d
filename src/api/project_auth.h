#pragma once

// Personal API key checks shared by the /api/projects/:id/... routes.

#include <cstdint>
#include <optional>
#include <string_view>

#include "hedgerow/http/request.h"
#include "hedgerow/http/response.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::api {

// The project of the request's "Authorization: Bearer phx_..." key, or the 401 to answer
// (`what` names the API in the message).
std::optional<int64_t> BearerKeyProject(const http::Request& request, meta::MetaStore& meta, std::string_view what,
                                        http::Response& refusal);

// The project `id_text` names (a number, or "@current" for the key's own), when the key may
// read it; otherwise the 401, 403 or 404 to answer, as PostHog's API answers them.
std::optional<int64_t> AuthorizedProject(const http::Request& request, meta::MetaStore& meta, std::string_view id_text,
                                         std::string_view what, http::Response& refusal);

}  // namespace hedgerow::api
