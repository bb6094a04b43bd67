// Interaction metering against plan limits. See usage.hpp.
#include "core/billing/usage.hpp"

#include <date/date.h>

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

MeterResult MeterInteraction(db::Pool& pool, const std::string& business_id,
                             const std::map<config::PlanTier, config::PlanLimits>& plans,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now) {
  const std::string period = Day(PeriodStart(now));
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto business = tx.exec_params("SELECT plan_tier FROM businesses WHERE id = $1", business_id);
    if (business.empty()) throw NotFound("business " + business_id + " not found");
    const auto tier = config::ParsePlanTier(business[0][0].as<std::string>()).value_or(config::PlanTier::kFree);
    const auto plan = plans.count(tier) ? plans.at(tier) : config::PlanLimits{};

    // The period row is the lock every meter of this business and month
    // queues on.
    tx.exec_params(
        "INSERT INTO usage_periods (business_id, period_start, metric) VALUES ($1, $2::date, $3)"
        " ON CONFLICT DO NOTHING",
        business_id, period, std::string(kInteractions));
    MeterResult result;
    result.limit = plan.interactions_per_month;
    result.used = tx.exec_params1(
                        "SELECT quantity FROM usage_periods WHERE business_id = $1 AND period_start = $2::date"
                        " AND metric = $3 FOR UPDATE",
                        business_id, period, std::string(kInteractions))[0]
                      .as<long long>();
    const bool seen = !tx.exec_params("SELECT 1 FROM usage_events WHERE business_id = $1 AND idempotency_key = $2",
                                      business_id, idempotency_key)
                           .empty();
    if (seen) return result;
    const bool at_limit = result.limit >= 0 && result.used >= result.limit;
    if (at_limit && plan.overage_cents_per_interaction == 0) {
      throw LimitReached("plan " + std::string(config::PlanTierName(tier)) + " allows " +
                             std::to_string(result.limit) + " interactions a month, and " +
                             std::to_string(result.used) + " were used since " + period,
                         "Upgrade the plan (plan: in the business file, then `omni business apply`) or wait for "
                         "next month.");
    }
    tx.exec_params(
        "INSERT INTO usage_events (business_id, metric, occurred_at, idempotency_key, conversation_id)"
        " VALUES ($1, $2, $3::timestamptz, $4, nullif($5, '')::uuid)",
        business_id, std::string(kInteractions), date::format("%Y-%m-%dT%H:%M:%SZ", now), idempotency_key,
        conversation_id);
    tx.exec_params(
        "UPDATE usage_periods SET quantity = quantity + 1, updated_at = now()"
        " WHERE business_id = $1 AND period_start = $2::date AND metric = $3",
        business_id, period, std::string(kInteractions));
    result.counted = true;
    result.used += 1;
    result.over_limit = at_limit;
    return result;
  });
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
