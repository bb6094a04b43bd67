// The cryptography of operator credentials, all through libsodium: Argon2id
// password hashes, random tokens, the SHA-256 under which tokens and keys
// are stored, constant-time comparison, and the CSRF token of a session.
// Nothing here is done by hand.
// Thread-safe: pure functions apart from the system's random source.
#pragma once

#include <string>

namespace omni::operators {

// Checks a new password: 10 to 1024 bytes, not all whitespace. Throws
// InvalidInput saying which rule it breaks (never quoting the password).
void CheckPasswordRules(const std::string& password);

// An Argon2id hash in libsodium's self-describing string form
// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"), with libsodium's
// interactive cost. Throws Unavailable when the memory cannot be had.
std::string HashPassword(const std::string& password);

// True when `password` matches `hash` (from HashPassword). A malformed or
// empty hash matches nothing.
bool VerifyPassword(const std::string& password, const std::string& hash);

// Spends as long as VerifyPassword on a real hash and returns false: for a
// login whose account does not exist, so that its timing does not tell.
bool VerifyAgainstDummy(const std::string& password);

// `prefix` followed by `bytes` random bytes in unpadded base64url.
std::string RandomToken(const std::string& prefix, int bytes);

// `length` random lower-case letters and digits.
std::string RandomAlphanumeric(int length);

// Lower-case hex SHA-256 of `secret`: how tokens and keys are stored.
std::string SecretHash(const std::string& secret);

// True when `a` and `b` are equal, in time independent of where they
// differ (it depends only on their lengths).
bool ConstantTimeEquals(const std::string& a, const std::string& b);

// The CSRF token that goes with a session token: unpadded base64url
// HMAC-SHA256 of a fixed label under the session token. A page learns it
// from login or `me`; a cross-site attacker, who cannot read the HttpOnly
// cookie, cannot compute it.
std::string CsrfTokenFor(const std::string& session_token);

}  // namespace omni::operators
