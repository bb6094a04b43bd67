// Metering and plan limits against a business's effective plan. See
// usage.hpp and usage_tx.hpp.
#include "core/billing/usage.hpp"

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "core/billing/meter.hpp"
#include "core/billing/meter_tx.hpp"
#include "core/billing/usage_tx.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/db/pqxx.hpp"
#include "core/jobs/jobs.hpp"

namespace omni::billing {
namespace {

constexpr Metric kMetrics[] = {Metric::kInteractions, Metric::kConversations, Metric::kDocuments,
                               Metric::kServices, Metric::kOperators};

std::string Timestamp(TimePoint instant) { return date::format("%FT%TZ", instant); }
TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }

std::optional<TimePoint> OptionalMicros(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return FromMicros(field.as<long long>());
}

// What a limit counts, "1 operator" or "5 operators".
std::string Noun(Metric metric, std::int64_t count) {
  const std::string s = count == 1 ? "" : "s";
  switch (metric) {
    case Metric::kInteractions:
      return "interaction" + s + " a month";
    case Metric::kConversations:
      return "new conversation" + s + " a month";
    case Metric::kDocuments:
      return "knowledge document" + s;
    case Metric::kServices:
      return "active service" + s;
    case Metric::kOperators:
      return "operator" + s;
  }
  return "";
}

bool PerPeriod(Metric metric) { return metric == Metric::kInteractions || metric == Metric::kConversations; }

// Records the 80% and 100% warnings `used` reaches, once per period each
// (the primary key); a warning recorded for the first time is logged.
// `refused`: an action was refused at the limit, which is 100% even of a
// limit of 0.
void RecordThresholds(pqxx::work& tx, const std::string& business_id, const Entitlement& plan, Metric metric,
                      std::int64_t used, bool refused) {
  const std::int64_t limit = LimitOf(plan.limits, metric);
  if (limit < 0) return;
  for (const int threshold : {80, 100}) {
    const bool reached = limit > 0 ? used * 100 >= threshold * limit : refused && threshold == 100;
    if (!reached) continue;
    const auto inserted = db::ExecPrepared(
        tx, "omni_billing_record_warning",
        "INSERT INTO usage_warnings (business_id, period_start, metric, threshold_percent, plan_tier, used,"
        " limit_value) VALUES ($1, $2::date, $3, $4::integer, $5, $6::bigint, $7::bigint)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        business_id, plan.period.key, std::string(MetricName(metric)), threshold,
        std::string(PlanTierName(plan.tier)), static_cast<long long>(used),
        static_cast<long long>(limit));
    if (!inserted.empty()) {
      log::Warn("plan usage warning", {{"business_id", business_id},
                                       {"metric", MetricName(metric)},
                                       {"percent", threshold},
                                       {"plan", PlanTierName(plan.tier)},
                                       {"used", used},
                                       {"limit", limit},
                                       {"period_start", plan.period.key}});
    }
  }
}

Entitlement PlanOf(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings, TimePoint now) {
  return EffectivePlan(LoadSubscriptionState(tx, business_id), settings, now);
}

// Counts one event of a per-period metric. The period row is the lock every
// meter of this business, period and metric queues on; the period's first
// meter creates it.
MeterResult MeterPeriodic(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings,
                          Metric metric, const std::string& idempotency_key, const std::string& conversation_id,
                          TimePoint now) {
  const SubscriptionState state = LoadSubscriptionState(tx, business_id);
  const Entitlement plan = EffectivePlan(state, settings, now);
  const std::string& period = plan.period.key;
  const std::string metric_name = MetricName(metric);
  const auto lock_period = [&] {
    return db::ExecPrepared(
        tx, "omni_billing_period_for_update",
        "SELECT u.quantity,"
        " EXISTS (SELECT 1 FROM usage_events e WHERE e.business_id = $1 AND e.idempotency_key = $4)"
        " FROM usage_periods u WHERE u.business_id = $1 AND u.period_start = $2::date AND u.metric = $3"
        " FOR UPDATE",
        business_id, period, metric_name, idempotency_key);
  };
  auto rows = lock_period();
  if (rows.empty()) {
    db::ExecPrepared(tx, "omni_billing_open_period",
                     "INSERT INTO usage_periods (business_id, period_start, metric) VALUES ($1, $2::date, $3)"
                     " ON CONFLICT DO NOTHING",
                     business_id, period, metric_name);
    rows = lock_period();
  }
  MeterResult result;
  result.limit = LimitOf(plan.limits, metric);
  result.used = rows[0][0].as<long long>();
  if (rows[0][1].as<bool>()) return result;  // already metered
  const bool at_limit = result.limit >= 0 && result.used >= result.limit;
  const bool overage_allowed = metric == Metric::kInteractions && plan.limits.overage_cents_per_interaction > 0;
  if (at_limit && !overage_allowed) {
    RecordThresholds(tx, business_id, plan, metric, result.used, true);
    throw LimitReached(LimitSentence(plan.tier, metric, result.limit) + ", and " + std::to_string(result.used) +
                           (result.used == 1 ? " was" : " were") + " used in the period since " + period,
                       "Upgrade the plan (omni billing checkout) or wait for the next period; `omni usage` shows "
                       "what was used.");
  }
  const auto counted = db::ExecPrepared(
      tx, "omni_billing_count_event",
      "WITH event AS (INSERT INTO usage_events (business_id, metric, occurred_at, idempotency_key, conversation_id)"
      " VALUES ($1, $3, $4::timestamptz, $5, nullif($6, '')::uuid)"
      " RETURNING id::text, quantity, (extract(epoch FROM occurred_at))::int8),"
      " period AS (UPDATE usage_periods SET quantity = quantity + 1, updated_at = now()"
      " WHERE business_id = $1 AND period_start = $2::date AND metric = $3)"
      " SELECT * FROM event",
      business_id, period, metric_name, Timestamp(now), idempotency_key, conversation_id);
  // Stripe's meter counts chat interactions only; other metrics are limits.
  if (metric == Metric::kInteractions && !state.stripe_customer_id.empty()) {
    EnqueueMeterEvent(tx, business_id,
                      MeterEvent{counted[0][0].as<std::string>(), counted[0][1].as<std::int64_t>(),
                                 counted[0][2].as<std::int64_t>(), state.stripe_customer_id});
  }
  result.counted = true;
  result.used += 1;
  result.over_limit = at_limit;
  RecordThresholds(tx, business_id, plan, metric, result.used, false);
  return result;
}

std::int64_t HeldNow(pqxx::transaction_base& tx, const std::string& business_id, Metric metric) {
  const char* sql = nullptr;
  switch (metric) {
    case Metric::kDocuments:
      sql = "SELECT count(*) FROM kb_documents WHERE business_id = $1";
      break;
    case Metric::kServices:
      sql = "SELECT count(*) FROM services WHERE business_id = $1 AND active";
      break;
    case Metric::kOperators:
      sql = "SELECT count(*) FROM users WHERE business_id = $1";
      break;
    default:
      throw InvalidInput(std::string("metric: ") + MetricName(metric) + " is counted per period, not held");
  }
  return tx.exec_params(sql, business_id)[0][0].as<std::int64_t>();
}

void RefuseGrowthPastLimit(const Entitlement& plan, Metric metric, std::int64_t total_before,
                           std::int64_t total_after) {
  const std::int64_t limit = LimitOf(plan.limits, metric);
  if (limit < 0 || total_after <= limit || total_after <= total_before) return;
  throw LimitReached(LimitSentence(plan.tier, metric, limit) + ", and this would make " + std::to_string(total_after),
                     "Upgrade the plan (omni billing checkout) or remove some first; `omni usage` shows what is "
                     "used.");
}

}  // namespace

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kInteractions:
      return "interactions";
    case Metric::kConversations:
      return "conversations";
    case Metric::kDocuments:
      return "documents";
    case Metric::kServices:
      return "services";
    case Metric::kOperators:
      return "operators";
  }
  return "interactions";
}

std::int64_t LimitOf(const PlanLimits& limits, Metric metric) {
  switch (metric) {
    case Metric::kInteractions:
      return limits.interactions_per_month;
    case Metric::kConversations:
      return limits.conversations_per_month;
    case Metric::kDocuments:
      return limits.documents;
    case Metric::kServices:
      return limits.services;
    case Metric::kOperators:
      return limits.operators;
  }
  return -1;
}

std::string LimitSentence(PlanTier tier, Metric metric, std::int64_t limit) {
  return "plan " + std::string(PlanTierName(tier)) + " allows " + LimitText(limit) + " " + Noun(metric, limit);
}

SubscriptionState LoadSubscriptionState(pqxx::transaction_base& tx, const std::string& business_id) {
  const auto rows = db::ExecPrepared(
      tx, "omni_billing_subscription_state",
      "SELECT plan_tier, subscription_status, timezone, (extract(epoch FROM created_at) * 1000000)::bigint,"
      " (extract(epoch FROM trial_ends_at) * 1000000)::bigint,"
      " (extract(epoch FROM current_period_start) * 1000000)::bigint,"
      " (extract(epoch FROM current_period_end) * 1000000)::bigint,"
      " (extract(epoch FROM past_due_since) * 1000000)::bigint, coalesce(stripe_customer_id, '')"
      " FROM businesses WHERE id = $1::uuid",
      business_id);
  if (rows.empty()) throw NotFound("business " + business_id + " not found");
  const auto& row = rows[0];
  SubscriptionState state;
  state.plan_tier = ParsePlanTier(row[0].as<std::string>()).value_or(PlanTier::kFree);
  state.status = row[1].as<std::string>();
  state.timezone = row[2].as<std::string>();
  state.created_at = FromMicros(row[3].as<long long>());
  state.trial_ends_at = OptionalMicros(row[4]);
  state.current_period_start = OptionalMicros(row[5]);
  state.current_period_end = OptionalMicros(row[6]);
  state.past_due_since = OptionalMicros(row[7]);
  state.stripe_customer_id = row[8].as<std::string>();
  return state;
}

SubscriptionState LoadSubscriptionState(db::Pool& pool, const std::string& business_id) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return LoadSubscriptionState(tx, business_id); });
}

MeterResult MeterInteraction(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now) {
  return MeterPeriodic(tx, business_id, settings, Metric::kInteractions, idempotency_key, conversation_id, now);
}

MeterResult MeterConversation(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings,
                              const std::string& conversation_id, TimePoint now) {
  return MeterPeriodic(tx, business_id, settings, Metric::kConversations, "conversation:" + conversation_id,
                       conversation_id, now);
}

MeterResult MeterInteraction(db::Pool& pool, const std::string& business_id, const BillingSettings& settings,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now) {
  // A refusal commits the 100% warning it recorded.
  std::exception_ptr refused;
  auto result = db::WithTransaction(pool, [&](pqxx::work& tx) {
    refused = nullptr;
    try {
      return MeterInteraction(tx, business_id, settings, idempotency_key, conversation_id, now);
    } catch (const LimitReached&) {
      refused = std::current_exception();
      return MeterResult{};
    }
  });
  if (refused) std::rethrow_exception(refused);
  return result;
}

std::int64_t InteractionsUsed(db::Pool& pool, const std::string& business_id, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const std::string period = CurrentPeriod(LoadSubscriptionState(tx, business_id), now).key;
    const auto rows = tx.exec_params(
        "SELECT quantity FROM usage_periods WHERE business_id = $1 AND period_start = $2::date AND metric = $3",
        business_id, period, std::string(MetricName(Metric::kInteractions)));
    return rows.empty() ? std::int64_t{0} : rows[0][0].as<std::int64_t>();
  });
}

Entitlement EntitlementOf(db::Pool& pool, const std::string& business_id, const BillingSettings& settings,
                          TimePoint now) {
  return EffectivePlan(LoadSubscriptionState(pool, business_id), settings, now);
}

Entitlement NewBusinessEntitlement(const BillingSettings& settings, const std::string& timezone, TimePoint now) {
  SubscriptionState state;
  state.timezone = timezone.empty() ? "UTC" : timezone;
  state.created_at = now;
  return EffectivePlan(state, settings, now);
}

void CheckHolding(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings, Metric metric,
                  std::int64_t total_before, std::int64_t total_after, TimePoint now, bool record_warnings) {
  if (PerPeriod(metric)) {
    throw InvalidInput(std::string("metric: ") + MetricName(metric) + " is counted per period, not held");
  }
  const Entitlement plan = PlanOf(tx, business_id, settings, now);
  RefuseGrowthPastLimit(plan, metric, total_before, total_after);
  if (record_warnings) RecordThresholds(tx, business_id, plan, metric, total_after, false);
}

void CheckNewHolding(const BillingSettings& settings, const std::string& timezone, Metric metric,
                     std::int64_t total_after, TimePoint now) {
  RefuseGrowthPastLimit(NewBusinessEntitlement(settings, timezone, now), metric, 0, total_after);
}

void RecordHoldingWarnings(db::Pool& pool, const std::string& business_id, const BillingSettings& settings,
                           TimePoint now) {
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    const Entitlement plan = PlanOf(tx, business_id, settings, now);
    for (const Metric metric : {Metric::kDocuments, Metric::kServices, Metric::kOperators}) {
      RecordThresholds(tx, business_id, plan, metric, HeldNow(tx, business_id, metric), false);
    }
  });
}

UsageReport Usage(db::Pool& pool, const std::string& business_id, const BillingSettings& settings, TimePoint now,
                  int months_back) {
  UsageReport report = db::WithTransaction(pool, [&](pqxx::work& tx) {
    const SubscriptionState state = LoadSubscriptionState(tx, business_id);
    UsageReport report;
    report.business_id = business_id;
    report.slug = tx.exec_params("SELECT slug FROM businesses WHERE id = $1::uuid", business_id)[0][0].as<std::string>();
    report.subscription_status = state.status;
    report.entitlement = EffectivePlan(state, settings, now);
    report.period = PeriodBack(state, now, months_back);
    std::map<std::string, std::int64_t> counted;
    for (const auto& row : tx.exec_params(
             "SELECT metric, quantity FROM usage_periods WHERE business_id = $1::uuid AND period_start = $2::date",
             business_id, report.period.key)) {
      counted[row[0].as<std::string>()] = row[1].as<std::int64_t>();
    }
    const PlanLimits& limits = report.entitlement.limits;
    for (const Metric metric : kMetrics) {
      LimitUsage usage;
      usage.metric = metric;
      usage.limit = LimitOf(limits, metric);
      usage.used = PerPeriod(metric) ? counted[MetricName(metric)] : HeldNow(tx, business_id, metric);
      if (usage.limit > 0) usage.percent = static_cast<int>(usage.used * 100 / usage.limit);
      if (usage.limit == 0) usage.percent = usage.used > 0 ? 100 : 0;
      if (metric == Metric::kInteractions && usage.limit >= 0 && usage.used > usage.limit) {
        usage.overage = usage.used - usage.limit;
        usage.overage_cents = usage.overage * limits.overage_cents_per_interaction;
      }
      report.limits.push_back(usage);
    }
    for (const auto& row : tx.exec_params(
             "SELECT metric, threshold_percent, plan_tier, used, limit_value,"
             " (extract(epoch FROM recorded_at) * 1000000)::bigint FROM usage_warnings"
             " WHERE business_id = $1::uuid AND period_start = $2::date ORDER BY recorded_at, metric, threshold_percent",
             business_id, report.period.key)) {
      UsageWarning warning;
      const std::string metric = row[0].as<std::string>();
      for (const Metric known : kMetrics) {
        if (metric == MetricName(known)) warning.metric = known;
      }
      warning.threshold_percent = row[1].as<int>();
      warning.tier = ParsePlanTier(row[2].as<std::string>()).value_or(PlanTier::kFree);
      warning.used = row[3].as<std::int64_t>();
      warning.limit = row[4].as<std::int64_t>();
      warning.recorded_at = FromMicros(row[5].as<long long>());
      report.warnings.push_back(warning);
    }
    return report;
  });
  const auto states = jobs::CountByState(pool, kMeterQueue, business_id);
  const auto count = [&](jobs::JobState state) {
    const auto it = states.find(state);
    return it == states.end() ? std::int64_t{0} : it->second;
  };
  report.meter_events.pending = count(jobs::JobState::kPending) + count(jobs::JobState::kRunning);
  report.meter_events.sent = count(jobs::JobState::kDone);
  report.meter_events.failed = count(jobs::JobState::kDead);
  return report;
}

}  // namespace omni::billing
