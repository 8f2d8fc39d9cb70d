#pragma once

// The admin password's hash: PBKDF2-HMAC-SHA256 (OpenSSL) in Django's format,
// "pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>".

#include <string>
#include <string_view>

#include "hedgerow/common/status.h"

namespace hedgerow::ui {

// The longest password accepted: PBKDF2 hashes it once per iteration.
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMinPasswordBytes = 8;

Result<std::string> HashPassword(std::string_view password, int iterations);

// True when `password` hashes to `stored`. False for a stored value that is not in the
// format, or whose iteration count is not in 1..10,000,000 (a bound on the work one
// sign-in may cost).
bool VerifyPassword(std::string_view password, std::string_view stored);

}  // namespace hedgerow::ui
