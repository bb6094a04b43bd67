// Stripe webhook signature verification, as Stripe specifies it: pure, no
// I/O, time passed in.
//
// The Stripe-Signature header is "t=<unix seconds>,v1=<hex>[,v1=<hex>...]",
// items split on ',' and each on its first '='. Each v1 is the hex
// HMAC-SHA256 of "<t>." followed by the raw body bytes, keyed by the whole
// signing secret ("whsec_..." included). The event is authentic when any v1
// matches any configured secret (several during a rotation), compared in
// constant time, and now - t <= tolerance. Items of other schemes (v0) are
// ignored; an item is never trimmed, so "t=1, v1=..." has no v1.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::billing {

struct SignatureRejection {
  // Stable, for clients and tests: "missing_signature", "malformed_signature",
  // "no_v1_signature", "signature_mismatch", "stale_timestamp", "empty_body".
  std::string code;
  std::string message;  // lower-case, names the reason; never a secret or signature
};

// Checks `header` (the Stripe-Signature value; nullopt when absent) against
// `body`, byte for byte as received. nullopt when authentic; otherwise why
// not. `secrets` must not be empty (an unconfigured endpoint is the
// caller's to refuse).
std::optional<SignatureRejection> VerifyStripeSignature(const std::optional<std::string>& header,
                                                        std::string_view body,
                                                        const std::vector<std::string>& secrets,
                                                        std::int64_t tolerance_s, TimePoint now);

// The hex v1 signature of `body` at `timestamp_s` under `secret`: what Stripe
// sends, for the fake Stripe and the tests' own headers.
std::string StripeSignatureV1(std::string_view secret, std::int64_t timestamp_s, std::string_view body);

}  // namespace omni::billing
