// Stripe webhook signatures. See webhook.hpp.
#include "core/billing/webhook.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>

namespace omni::billing {
namespace {

std::optional<std::int64_t> ParseTimestamp(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Equal-length strings compare in time independent of where they differ;
// the length of a signature is public (64 hex digits).
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SignatureRejection Reject(std::string code, std::string message) {
  return SignatureRejection{std::move(code), std::move(message)};
}

}  // namespace

std::string StripeSignatureV1(std::string_view secret, std::int64_t timestamp_s, std::string_view body) {
  std::string signed_payload = std::to_string(timestamp_s) + ".";
  signed_payload.append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_payload.data()), signed_payload.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::optional<SignatureRejection> VerifyStripeSignature(const std::optional<std::string>& header,
                                                        std::string_view body,
                                                        const std::vector<std::string>& secrets,
                                                        std::int64_t tolerance_s, TimePoint now) {
  if (!header || header->empty()) {
    return Reject("missing_signature", "the Stripe-Signature header is missing");
  }
  std::optional<std::int64_t> timestamp;
  std::vector<std::string_view> v1;
  std::string_view rest = *header;
  for (;;) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Reject("malformed_signature", "the Stripe-Signature header has an item without '='");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      if (timestamp) return Reject("malformed_signature", "the Stripe-Signature header has more than one t=");
      timestamp = ParseTimestamp(value);
      if (!timestamp) {
        return Reject("malformed_signature", "the Stripe-Signature header's t= is not a unix time in seconds");
      }
    } else if (key == "v1") {
      v1.push_back(value);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!timestamp) return Reject("malformed_signature", "the Stripe-Signature header has no t= timestamp");
  if (v1.empty()) return Reject("no_v1_signature", "the Stripe-Signature header has no v1 signature");
  if (body.empty()) return Reject("empty_body", "the webhook request has an empty body");
  bool matched = false;
  // Every pair is compared, so the time taken says nothing about which
  // secret or signature came close.
  for (const auto& secret : secrets) {
    const std::string expected = StripeSignatureV1(secret, *timestamp, body);
    for (const auto& candidate : v1) matched |= ConstantTimeEquals(expected, candidate);
  }
  if (!matched) {
    return Reject("signature_mismatch", "no v1 signature matches the body under a configured webhook secret");
  }
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (now_s - *timestamp > tolerance_s) {
    return Reject("stale_timestamp", "the signed timestamp is " + std::to_string(now_s - *timestamp) +
                                         " s old, more than the " + std::to_string(tolerance_s) +
                                         " s stripe.webhook_tolerance_s allows");
  }
  return std::nullopt;
}

}  // namespace omni::billing
