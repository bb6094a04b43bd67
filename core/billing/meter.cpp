// Meter events to Stripe through the jobs outbox. See meter.hpp.
#include "core/billing/meter.hpp"
#include "core/billing/meter_tx.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/billing/stripe_client.hpp"
#include "core/common/error.hpp"
#include "core/jobs/jobs.hpp"
#include "core/jobs/jobs_tx.hpp"

namespace omni::billing {
namespace {

// Stripe accepts meter events up to 35 days old; an hour of margin keeps
// a retry near the edge from failing on the way.
constexpr auto kMeterWindow = std::chrono::hours(35 * 24 - 1);
// Enough tries to ride out a Stripe outage of several hours at the cap.
constexpr int kMeterMaxAttempts = 25;

bool Retryable(const StripeResponse& response) {
  if (response.should_retry) return *response.should_retry;
  return response.status == 409 || response.status == 429 || response.status >= 500;
}

}  // namespace

std::chrono::milliseconds RetryDelay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                     double jitter) {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const double full = std::min(static_cast<double>(cap.count()), static_cast<double>(base.count()) * (1LL << doublings));
  const double delay = full / 2 + full / 2 * std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(delay));
}

void EnqueueMeterEvent(pqxx::work& tx, const std::string& business_id, const MeterEvent& event) {
  jobs::NewJob job;
  job.queue = kMeterQueue;
  job.business_id = business_id;
  job.dedupe_key = event.usage_event_id;
  job.payload = {{"usage_event_id", event.usage_event_id},
                 {"value", event.value},
                 {"timestamp", event.timestamp},
                 {"stripe_customer_id", event.stripe_customer_id}};
  // Due at once, whatever clock the caller metered with.
  job.run_at = TimePoint{};
  job.max_attempts = kMeterMaxAttempts;
  jobs::Enqueue(tx, job);
}

DrainStats DrainMeterEvents(db::Pool& pool, const StripeClient& stripe, const MeterSettings& settings,
                            const Clock& clock, const std::function<double()>& jitter) {
  DrainStats stats;
  const auto claimed = jobs::Claim(pool, kMeterQueue, settings.batch, settings.lease, clock.Now());
  for (const auto& job : claimed) {
    if (settings.stop && settings.stop()) break;
    const auto now = clock.Now();
    const std::string usage_event_id = job.payload.value("usage_event_id", "");
    const std::int64_t timestamp = job.payload.value("timestamp", std::int64_t{0});
    const auto count = [&](bool changed, int& counter) { ++(changed ? counter : stats.lost); };
    const auto retry = [&](const std::string& error) {
      const auto at = now + std::chrono::duration_cast<std::chrono::microseconds>(
                                RetryDelay(job.attempts, settings.backoff_base, settings.backoff_cap, jitter()));
      switch (jobs::Fail(pool, job, error, at, now)) {
        case jobs::FailOutcome::kRetrying: ++stats.retried; break;
        case jobs::FailOutcome::kDead: ++stats.failed; break;
        case jobs::FailOutcome::kLeaseLost: ++stats.lost; break;
      }
    };
    if (now - TimePoint{std::chrono::seconds{timestamp}} > kMeterWindow) {
      count(jobs::Kill(pool, job, "usage event is older than Stripe's 35-day window for meter events", now),
            stats.failed);
      continue;
    }
    const nlohmann::json params = {
        {"event_name", settings.event_name},
        {"identifier", usage_event_id},
        {"timestamp", timestamp},
        {"payload",
         {{"stripe_customer_id", job.payload.value("stripe_customer_id", "")},
          {"value", std::to_string(job.payload.value("value", std::int64_t{1}))}}}};
    StripeResponse response;
    try {
      response = stripe.Post("/v1/billing/meter_events", params, usage_event_id);
    } catch (const Unavailable& e) {
      retry(e.what());
      continue;
    }
    // An identifier Stripe already holds was counted by an earlier send
    // whose answer was lost.
    if (response.ok() || response.error_code == "resource_already_exists") {
      count(jobs::Complete(pool, job, clock.Now()), stats.sent);
    } else if (Retryable(response)) {
      retry(response.Describe());
    } else {
      count(jobs::Kill(pool, job, response.Describe(), clock.Now()), stats.failed);
    }
  }
  return stats;
}

}  // namespace omni::billing
