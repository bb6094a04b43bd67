// Metering: what a business used in the current billing period (a calendar
// month in UTC), checked against its plan's limits.
//
// Each metered event carries an idempotency key (a message id): metering
// the same key twice counts once, so a retried turn is never billed twice.
// The check and the count happen in one transaction holding the period's
// row lock, so concurrent turns cannot overshoot a hard limit.
// Thread-safe: free functions over a db::Pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "core/billing/plans.hpp"
#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::billing {

inline constexpr const char* kInteractions = "interactions";

// The first day (UTC) of the calendar month holding `now`.
std::chrono::year_month_day PeriodStart(TimePoint now);

struct MeterResult {
  bool counted = false;          // false: the key was already metered
  std::int64_t used = 0;         // in the period, this event included
  std::int64_t limit = 0;        // -1: unlimited
  bool over_limit = false;       // counted as overage (plans that allow it)
};

// Counts one interaction for `business_id` under `idempotency_key`.
// Throws LimitReached (hint: upgrade the plan) when the business's plan has
// a hard limit and the period already holds that many; nothing is counted
// then. Throws NotFound for an unknown business.
MeterResult MeterInteraction(db::Pool& pool, const std::string& business_id,
                             const std::map<PlanTier, PlanLimits>& plans,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now);

// Interactions counted in the period holding `now`.
std::int64_t InteractionsUsed(db::Pool& pool, const std::string& business_id, TimePoint now);

}  // namespace omni::billing
