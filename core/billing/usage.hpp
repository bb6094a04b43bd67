// Metering and limits: what a business used, checked against the limits of
// its effective plan (entitlement.hpp) in its current billing period.
//
// Interactions and conversations are counted per period; each metered
// event carries an idempotency key, so a retried turn is never billed
// twice. The check and the count happen in one transaction holding the
// period's row lock, so concurrent turns cannot overshoot a hard limit.
// Documents, services and operators are counts of what the business holds.
// At 80% and at 100% of a limit a warning is recorded once per period
// (usage_warnings), and at 100% omni logs a warning naming the business.
// Thread-safe: free functions over a db::Pool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/billing/entitlement.hpp"
#include "core/billing/plans.hpp"
#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::billing {

enum class Metric { kInteractions, kConversations, kDocuments, kServices, kOperators };
// "interactions", "conversations", "documents", "services", "operators".
const char* MetricName(Metric metric);
// The limit of `metric` in `limits` (-1: unlimited).
std::int64_t LimitOf(const PlanLimits& limits, Metric metric);
// "plan FREE allows 5 knowledge documents" (the wording of every refusal).
std::string LimitSentence(PlanTier tier, Metric metric, std::int64_t limit);

struct MeterResult {
  bool counted = false;          // false: the key was already metered
  std::int64_t used = 0;         // in the period, this event included
  std::int64_t limit = 0;        // -1: unlimited
  bool over_limit = false;       // counted as overage (plans that allow it)
};

// Counts one interaction for `business_id` under `idempotency_key` in the
// business's current period. Throws LimitReached (naming plan, limit and
// use; hint: upgrade) when its plan has a hard limit and the period already
// holds that many: nothing is counted then, and the 100% warning is
// recorded when the transaction commits. Throws NotFound for an unknown
// business.
MeterResult MeterInteraction(db::Pool& pool, const std::string& business_id, const BillingSettings& settings,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now);

// Interactions counted in the business's period holding `now`.
std::int64_t InteractionsUsed(db::Pool& pool, const std::string& business_id, TimePoint now);

// The plan of `business_id` now. Throws NotFound for an unknown business.
Entitlement EntitlementOf(db::Pool& pool, const std::string& business_id, const BillingSettings& settings,
                          TimePoint now);

// Records the 80% and 100% warnings that the business's current documents,
// services and operators reach (once per period each). For after the
// command that added them.
void RecordHoldingWarnings(db::Pool& pool, const std::string& business_id, const BillingSettings& settings,
                           TimePoint now);

// One limit in a usage report.
struct LimitUsage {
  Metric metric = Metric::kInteractions;
  std::int64_t used = 0;
  std::int64_t limit = -1;     // -1: unlimited
  std::optional<int> percent;  // used / limit, rounded down; none when unlimited
  std::int64_t overage = 0;    // interactions over a limit that allows overage
  std::int64_t overage_cents = 0;
};

struct UsageWarning {
  Metric metric = Metric::kInteractions;
  int threshold_percent = 80;  // 80 or 100
  PlanTier tier = PlanTier::kFree;
  std::int64_t used = 0;
  std::int64_t limit = 0;
  TimePoint recorded_at;
};

// The business's meter events in kMeterQueue (meter.hpp), whatever the period.
struct MeterEventCounts {
  std::int64_t pending = 0;  // waiting or being sent (PENDING, RUNNING)
  std::int64_t sent = 0;     // DONE
  std::int64_t failed = 0;   // DEAD: Stripe refused it or every retry failed
};

struct UsageReport {
  std::string business_id;
  std::string slug;
  Entitlement entitlement;  // the plan now; its period is the current one
  std::string subscription_status;
  Period period;            // the period reported on
  std::vector<LimitUsage> limits;  // interactions, conversations, documents, services, operators
  std::vector<UsageWarning> warnings;  // of `period`, oldest first
  MeterEventCounts meter_events;
};

// The usage of `business_id` in the period `months_back` periods before the
// current one (PeriodBack). Interactions and conversations are those of that
// period; documents, services and operators are counted now. Limits are
// those of the plan now. Throws NotFound for an unknown business.
UsageReport Usage(db::Pool& pool, const std::string& business_id, const BillingSettings& settings, TimePoint now,
                  int months_back = 0);

// The business's subscription state as stored. Throws NotFound.
SubscriptionState LoadSubscriptionState(db::Pool& pool, const std::string& business_id);

}  // namespace omni::billing
