// Usage reported to Stripe as Billing Meter events, through an outbox.
//
// Each metered interaction of a business with a Stripe customer enqueues a
// job (core/jobs) in the transaction that counts it (meter_tx.hpp), so an
// interaction is reported if and only if it was counted, and a chat turn
// never waits on Stripe. DrainMeterEvents, run by omnid's worker and by
// `omni billing sync`, claims the jobs with SKIP LOCKED and POSTs each to
// /v1/billing/meter_events with omni's usage-event id as both `identifier`
// and Idempotency-Key, so neither two workers nor a retry after a lost
// answer ever count one event twice at Stripe.
// Thread-safe: free functions; concurrent drains share nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::billing {

class StripeClient;

// The jobs queue of meter events.
inline constexpr const char* kMeterQueue = "stripe.meter_events";

struct MeterSettings {
  std::string event_name = "omni_interactions";  // the Stripe meter's event_name
  int batch = 50;                                  // jobs claimed at once
  std::chrono::milliseconds lease{60'000};         // a claim's lease
  std::chrono::milliseconds backoff_base{1'000};   // first retry delay
  std::chrono::milliseconds backoff_cap{600'000};  // longest retry delay
  // Asked between two sends; true ends the drain (shutdown). The jobs left
  // claimed are claimed again when their lease ends.
  std::function<bool()> stop;
};

// The delay before retry number `attempt` (1 for the first): exponential
// from `base`, capped at `cap`, with half of it random (`jitter` in [0, 1))
// so that workers that failed together do not retry together.
std::chrono::milliseconds RetryDelay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                     double jitter);

struct DrainStats {
  int sent = 0;      // accepted by Stripe (or already there)
  int retried = 0;   // failed and due again later
  int failed = 0;    // dead: a permanent error, or out of attempts
  int lost = 0;      // the lease expired under this worker
};

// Claims up to settings.batch due meter events and sends them, one by one.
// Retries connection errors, 409, 429 and 5xx with RetryDelay, and follows
// Stripe-Should-Retry when Stripe sends it; a permanent error kills the job
// with Stripe's type, code and message. An event older than Stripe's 35-day
// window is killed without sending. `clock` gives now; `jitter` returns
// values in [0, 1).
DrainStats DrainMeterEvents(db::Pool& pool, const StripeClient& stripe, const MeterSettings& settings,
                            const Clock& clock, const std::function<double()>& jitter);

}  // namespace omni::billing
