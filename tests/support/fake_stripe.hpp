// A fake Stripe API on 127.0.0.1 for the Stripe client, the meter worker
// and `omni billing`: it records every request (method, path, decoded form
// body, headers), answers the endpoints omni calls in Stripe's shapes, and
// injects the failures Stripe has: 429 with Stripe-Should-Retry, 500, 400
// idempotency_error, and a dropped connection.
//
// Like Stripe, it replays the stored answer for a repeated Idempotency-Key
// with the same body, answers 400 idempotency_error when the body differs,
// and records a meter event once per identifier.
// Thread-safe: script and inspect from any thread while it serves.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/support/loopback_server.hpp"

namespace omni::test {

struct FakeStripeRequest {
  std::string method;
  std::string path;                           // without the query
  std::map<std::string, std::string> form;    // decoded body (or query), "payload[value]" -> "1"
  std::map<std::string, std::string> headers; // names lower-cased
};

enum class StripeFault {
  kRateLimited,       // 429 rate_limit_error, Stripe-Should-Retry: true
  kServerError,       // 500 api_error
  kIdempotencyError,  // 400 idempotency_error, Stripe-Should-Retry: false
  kDropBefore,        // connection dropped before the request is applied
  kDropAfter,         // applied, then the connection dropped (the answer is lost)
  kConflict,          // 409 lock_timeout
};

class FakeStripe {
 public:
  FakeStripe();

  // For stripe.api_base.
  std::string base_url() const;

  // Answers the next requests with these faults, in order, then normally.
  void FailNext(std::vector<StripeFault> faults);
  // From now on each request fails with probability `rate`, with a fault
  // drawn from `faults` (deterministic for a seed).
  void FailRandomly(double rate, std::vector<StripeFault> faults, unsigned seed);
  // Every answer waits this long first (a slow Stripe).
  void SetDelay(int delay_ms);
  // GET /v1/subscriptions/{id} answers this object (404 resource_missing
  // for an unknown id).
  void SetSubscription(const nlohmann::json& subscription);
  // POST /v1/billing/meter_events for this customer answers 400
  // resource_missing, as for a deleted customer.
  void RejectCustomer(const std::string& customer_id);

  std::vector<FakeStripeRequest> requests() const;
  // Meter events recorded (one per identifier), in order.
  std::vector<FakeStripeRequest> meter_events() const;
  // Meter events refused because their identifier was already recorded
  // under another Idempotency-Key: an event sent twice.
  int duplicate_meter_events() const;

 private:
  LoopbackResponse Answer(const LoopbackRequest& request);
  LoopbackResponse Apply(const FakeStripeRequest& request);

  mutable std::mutex mutex_;
  std::vector<StripeFault> next_faults_;
  double fail_rate_ = 0;
  std::vector<StripeFault> random_faults_;
  std::mt19937 random_;
  std::map<std::string, nlohmann::json> subscriptions_;
  std::vector<std::string> rejected_customers_;
  std::vector<FakeStripeRequest> requests_;
  std::vector<FakeStripeRequest> meter_events_;
  std::map<std::string, std::string> meter_identifiers_;  // identifier -> idempotency key
  int duplicate_meter_events_ = 0;
  // Idempotency-Key -> (body, answer) of its first request.
  std::map<std::string, std::pair<std::string, LoopbackResponse>> idempotent_;
  int next_id_ = 1;
  int delay_ms_ = 0;
  LoopbackServer server_;
};

}  // namespace omni::test
