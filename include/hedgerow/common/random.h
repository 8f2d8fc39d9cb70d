#pragma once

#include <cstddef>
#include <string>

namespace hedgerow {

// Fills `out` with `n` bytes from OpenSSL's CSPRNG. Aborts if the CSPRNG cannot be seeded:
// nothing that needs unguessable tokens may proceed without it. Thread-safe.
void SecureRandomBytes(void* out, size_t n);

// `n` characters drawn uniformly from [A-Za-z0-9], from the CSPRNG: project tokens
// (phc_...) and generated secrets.
std::string RandomAlphanumeric(size_t n);

}  // namespace hedgerow
