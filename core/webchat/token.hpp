// Visitor tokens and identity checks for the public chat API: pure
// functions over HMAC-SHA256 (OpenSSL), no I/O.
//
// A visitor token is "v1.<payload>.<signature>": the payload is base64url
// JSON {"b": business id, "v": visitor id, "c": customer id or "",
// "i": 1 when the customer came from a verified identity, "e": expiry in
// Unix seconds}, the signature base64url HMAC-SHA256 of "v1.<payload>"
// under the server's token secret. A token is thus valid for exactly one
// business and one visitor; the caller compares the business.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/clock.hpp"

namespace omni::webchat {

struct VisitorClaims {
  std::string business_id;
  std::string visitor_id;
  std::string customer_id;        // "" for an anonymous visitor
  bool verified = false;          // the customer was proven by identity_hash
  std::int64_t expires_at_s = 0;  // Unix seconds
};

// The signed token for `claims`. `secret` must not be empty.
std::string SignVisitorToken(const VisitorClaims& claims, const std::string& secret);

enum class TokenCheck {
  kValid,
  kMalformed,     // not a token of ours
  kBadSignature,  // forged or signed under another secret
  kExpired,       // signature good, but past expires_at_s
};

struct TokenVerdict {
  TokenCheck check = TokenCheck::kMalformed;
  VisitorClaims claims;  // filled for kValid and kExpired
};

// Checks the signature (in constant time) and the expiry against `now`.
TokenVerdict VerifyVisitorToken(std::string_view token, const std::string& secret, TimePoint now);

// An expired token still carries its visitor over to a new session for
// this long after it expired.
inline constexpr std::int64_t kResumeWindowS = 30 * 86400;

// The claims of an earlier token (`previous`, sent to start a new session)
// that the session keeps: those of a token of `business_id` that is valid,
// or expired less than kResumeWindowS ago. nullopt for a forged, malformed
// or too old token, or one of another business.
std::optional<VisitorClaims> ResumableClaims(std::string_view previous, const std::string& secret,
                                             const std::string& business_id, TimePoint now);

// HMAC-SHA256 of `message` under `key`, as 64 lower-case hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// Compares without an early exit, so timing reveals nothing of the content.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// True when `identity_hash` is HmacSha256Hex(widget_secret, identity), hex
// digits in any case; false for an empty identity or secret.
bool IdentityMatches(const std::string& identity, const std::string& identity_hash, const std::string& widget_secret);

// `bytes` random bytes from OpenSSL's CSPRNG as lower-case hex.
std::string RandomHex(std::size_t bytes);

}  // namespace omni::webchat
