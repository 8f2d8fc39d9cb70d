#pragma once

// Who is asking, for the /api/... routes: a personal API key ("Authorization: Bearer
// phx_..."), or the web UI's session cookie. A request with the cookie must come from the
// server's own origin (browsers send Origin; the capture routes echo any origin for the
// SDKs, so the cookie alone proves nothing), and every write must carry the session's CSRF
// token in X-CSRF-Token.

#include <cstdint>
#include <optional>
#include <string_view>

#include "hedgerow/http/request.h"
#include "hedgerow/http/response.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::api {

// The web UI's session cookie.
inline constexpr std::string_view kSessionCookie = "hedgerow_session";

// The value of cookie `name` in the request's Cookie header; "" when absent.
std::string_view CookieValue(const http::Request& request, std::string_view name);

// True when the request carries no Origin or one naming the server itself (its Host).
bool SameOriginOrNone(const http::Request& request);

// The project of the request's personal API key or UI session, or the 401/403 to answer
// (`what` names the API in the message).
std::optional<int64_t> AuthenticatedProject(const http::Request& request, meta::MetaStore& meta, std::string_view what,
                                            http::Response& refusal);

// The project `id_text` names (a number, or "@current" for the caller's own), when the
// caller may read it; otherwise the 401, 403 or 404 to answer, as PostHog's API answers them.
std::optional<int64_t> AuthorizedProject(const http::Request& request, meta::MetaStore& meta, std::string_view id_text,
                                         std::string_view what, http::Response& refusal);

}  // namespace hedgerow::api
