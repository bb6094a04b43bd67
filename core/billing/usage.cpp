// Interaction metering against plan limits. See usage.hpp.
#include "core/billing/usage.hpp"
#include "core/billing/usage_tx.hpp"

#include <date/date.h>

#include "core/billing/meter_tx.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"

namespace omni::billing {
namespace {

std::string Day(std::chrono::year_month_day day) {
  return date::format("%Y-%m-%d", date::year_month_day{std::chrono::sys_days{day}});
}

}  // namespace

std::chrono::year_month_day PeriodStart(TimePoint now) {
  const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  return today.year() / today.month() / std::chrono::day{1};
}

MeterResult MeterInteraction(pqxx::work& tx, const std::string& business_id,
                             const std::map<PlanTier, PlanLimits>& plans,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now) {
  const std::string period = Day(PeriodStart(now));
  // The period row is the lock every meter of this business and month
  // queues on; the month's first meter creates it.
  const auto lock_period = [&] {
    return db::ExecPrepared(
        tx, "omni_billing_period_for_update",
        "SELECT b.plan_tier, u.quantity,"
        " EXISTS (SELECT 1 FROM usage_events e WHERE e.business_id = $1 AND e.idempotency_key = $4)"
        " FROM businesses b JOIN usage_periods u ON u.business_id = b.id AND u.period_start = $2::date"
        " AND u.metric = $3 WHERE b.id = $1 FOR UPDATE OF u",
        business_id, period, std::string(kInteractions), idempotency_key);
  };
  auto rows = lock_period();
  if (rows.empty()) {
    db::ExecPrepared(tx, "omni_billing_open_period",
                     "INSERT INTO usage_periods (business_id, period_start, metric) SELECT id, $2::date, $3"
                     " FROM businesses WHERE id = $1 ON CONFLICT DO NOTHING",
                     business_id, period, std::string(kInteractions));
    rows = lock_period();
  }
  if (rows.empty()) throw NotFound("business " + business_id + " not found");
  const auto tier = ParsePlanTier(rows[0][0].as<std::string>()).value_or(PlanTier::kFree);
  const auto plan = plans.count(tier) ? plans.at(tier) : PlanLimits{};
  MeterResult result;
  result.limit = plan.interactions_per_month;
  result.used = rows[0][1].as<long long>();
  if (rows[0][2].as<bool>()) return result;  // already metered
  const bool at_limit = result.limit >= 0 && result.used >= result.limit;
  if (at_limit && plan.overage_cents_per_interaction == 0) {
    throw LimitReached("plan " + std::string(PlanTierName(tier)) + " allows " +
                           std::to_string(result.limit) + " interactions a month, and " +
                           std::to_string(result.used) + " were used since " + period,
                       "Upgrade the plan (plan: in the business file, then `omni business apply`) or wait for "
                       "next month.");
  }
  db::ExecPrepared(
      tx, "omni_billing_count_interaction",
      "WITH event AS (INSERT INTO usage_events (business_id, metric, occurred_at, idempotency_key, conversation_id)"
      " VALUES ($1, $3, $4::timestamptz, $5, nullif($6, '')::uuid))"
      " UPDATE usage_periods SET quantity = quantity + 1, updated_at = now()"
      " WHERE business_id = $1 AND period_start = $2::date AND metric = $3",
      business_id, period, std::string(kInteractions), date::format("%Y-%m-%dT%H:%M:%SZ", now), idempotency_key,
      conversation_id);
  EnqueueMeterEvent(tx, business_id, idempotency_key);
  result.counted = true;
  result.used += 1;
  result.over_limit = at_limit;
  return result;
}

MeterResult MeterInteraction(db::Pool& pool, const std::string& business_id,
                             const std::map<PlanTier, PlanLimits>& plans,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return MeterInteraction(tx, business_id, plans, idempotency_key, conversation_id, now); });
}

std::int64_t InteractionsUsed(db::Pool& pool, const std::string& business_id, TimePoint now) {
  const std::string period = Day(PeriodStart(now));
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT quantity FROM usage_periods WHERE business_id = $1 AND period_start = $2::date AND metric = $3",
        business_id, period, std::string(kInteractions));
    return rows.empty() ? std::int64_t{0} : rows[0][0].as<std::int64_t>();
  });
}

}  // namespace omni::billing
