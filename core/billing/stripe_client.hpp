// The Stripe API client: bearer auth, form bodies with Stripe's bracket
// nesting, an Idempotency-Key on every POST, and a pinned Stripe-Version,
// over omni's HttpClient (core/http/client.hpp). stripe.api_base points it
// at a fake Stripe on 127.0.0.1 in tests.
//
// Non-2xx answers are StripeResponses, not errors: the caller decides what
// to retry (see meter.hpp). A request that never got an answer throws
// Unavailable (http::Timeout included). The API key is never logged nor
// put in an error message. Thread-safe: calls share nothing but the
// HttpClient, which is thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace omni::http {
class HttpClient;
}
namespace omni::config {
struct StripeSettings;
}

namespace omni::billing {

// The API version omni reads and writes: subscription periods on items,
// invoices' subscription under parent.subscription_details.
inline constexpr const char* kStripeApiVersion = "2025-03-31.basil";

struct StripeClientSettings {
  std::string api_key;                          // sk_... or rk_...; secret
  std::string api_base = "https://api.stripe.com";
  int timeout_ms = 30000;                       // connect, and first byte
};

// The client settings of omni.yaml's `stripe` section.
StripeClientSettings StripeClientSettingsFor(const config::StripeSettings& stripe);

// Stripe's application/x-www-form-urlencoded body for `params` (a JSON
// object): nested objects as a[b]=v, arrays as a[0]=v, booleans as
// true/false, nulls left out; keys in sorted order, so that equal params
// give equal bytes (Idempotency-Key replays compare them).
std::string FormEncode(const nlohmann::json& params);

struct StripeResponse {
  int status = 0;
  nlohmann::json body;              // null when the body is not JSON
  std::optional<bool> should_retry;  // the Stripe-Should-Retry header, when sent
  std::string request_id;            // the Request-Id header
  // From body.error on a non-2xx answer; "" when absent.
  std::string error_type;
  std::string error_code;
  std::string error_message;

  bool ok() const { return status >= 200 && status < 300; }
  // "stripe answered 400 invalid_request_error/resource_missing: No such
  // customer: 'cus_1'", for records and messages.
  std::string Describe() const;
};

class StripeClient {
 public:
  // Keeps a reference to `http`, which must outlive the client.
  StripeClient(http::HttpClient& http, StripeClientSettings settings);

  // POSTs `params` form-encoded to `path` ("/v1/checkout/sessions") under
  // `idempotency_key`, so that a retry is never applied twice. Throws
  // InvalidInput for an empty key, ConfigError when no API key is set,
  // Unavailable when no answer came.
  StripeResponse Post(const std::string& path, const nlohmann::json& params,
                      const std::string& idempotency_key) const;
  // GETs `path`, with `query` (a JSON object or null) form-encoded.
  StripeResponse Get(const std::string& path, const nlohmann::json& query = nullptr) const;

 private:
  StripeResponse Send(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& idempotency_key) const;

  http::HttpClient& http_;
  StripeClientSettings settings_;
};

// The body of a 2xx `response`; otherwise throws UpstreamError "<what>:
// <Describe()>" (InvalidInput for a 400 that names a bad parameter or a
// missing resource, so the caller sees it was the request).
nlohmann::json RequireOk(const StripeResponse& response, const std::string& what);

}  // namespace omni::billing
