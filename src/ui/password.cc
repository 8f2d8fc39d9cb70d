#include "password.h"

#include <charconv>
#include <cstdint>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hedgerow/common/base64.h"
#include "hedgerow/common/random.h"

namespace hedgerow::ui {
namespace {

constexpr std::string_view kAlgorithm = "pbkdf2_sha256";
constexpr int kMaxIterations = 10'000'000;

std::string DeriveKey(std::string_view password, std::string_view salt, int iterations) {
  unsigned char key[32];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), sizeof key, key) != 1) {
    return {};
  }
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, int iterations) {
  if (iterations < 1 || iterations > kMaxIterations) return Status::InvalidArgument("PBKDF2 iterations out of range");
  std::string salt = RandomAlphanumeric(22);  // Django's salt: 22 characters, ~131 bits
  std::string key = DeriveKey(password, salt, iterations);
  if (key.empty()) return Status::Internal("OpenSSL's PBKDF2 failed");
  return fmt::format("{}${}${}${}", kAlgorithm, iterations, salt, key);
}

bool VerifyPassword(std::string_view password, std::string_view stored) {
  size_t a = stored.find('$');
  size_t b = a == std::string_view::npos ? a : stored.find('$', a + 1);
  size_t c = b == std::string_view::npos ? b : stored.find('$', b + 1);
  if (c == std::string_view::npos || stored.substr(0, a) != kAlgorithm) return false;
  std::string_view count = stored.substr(a + 1, b - a - 1);
  int iterations = 0;
  auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), iterations);
  if (error != std::errc() || end != count.data() + count.size() || iterations < 1 || iterations > kMaxIterations) {
    return false;
  }
  std::string_view expected = stored.substr(c + 1);
  std::string derived = DeriveKey(password, stored.substr(b + 1, c - b - 1), iterations);
  return !derived.empty() && derived.size() == expected.size() &&
         CRYPTO_memcmp(derived.data(), expected.data(), derived.size()) == 0;
}

}  // namespace hedgerow::ui
