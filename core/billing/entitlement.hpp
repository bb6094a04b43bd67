// Entitlement: which plan's limits a business has now, and which billing
// period its usage counts in. The one place that reads a business's
// subscription state (written by the Stripe webhook) into limits; every
// check of a limit (chat turns, conversations, documents, services,
// operators) and `omni usage` ask it.
// Thread-safe: pure functions over values (the time zone database is
// read-only).
#pragma once

#include <optional>
#include <string>

#include "core/billing/plans.hpp"
#include "core/common/clock.hpp"

namespace omni::billing {

// What the businesses table holds about a business's plan and subscription.
struct SubscriptionState {
  PlanTier plan_tier = PlanTier::kFree;  // the subscribed (or assigned) tier
  std::string status = "NONE";           // Stripe's status, upper-cased; NONE before any subscription
  std::string timezone = "UTC";          // IANA name: calendar periods are local months
  TimePoint created_at;                  // starts omni's own trial
  std::optional<TimePoint> trial_ends_at;         // Stripe's trial end, when TRIALING
  std::optional<TimePoint> current_period_start;  // the subscription's period
  std::optional<TimePoint> current_period_end;
  std::optional<TimePoint> past_due_since;        // starts the grace of a PAST_DUE subscription
  std::string stripe_customer_id;                 // "" until a checkout links one; meter events need it
};

// Why a business has the plan it has.
enum class PlanSource {
  kTrial,         // omni's trial of a new business (BillingSettings::trial_plan)
  kSubscription,  // TRIALING or ACTIVE: the subscribed tier
  kGrace,         // PAST_DUE within the grace period: still the subscribed tier
  kAssigned,      // no subscription, and the business file assigns a tier other than FREE
  kFree,          // none of those: FREE
};
// "trial", "subscription", "grace", "assigned", "free".
const char* PlanSourceName(PlanSource source);

// A billing period, half-open [start, end).
struct Period {
  TimePoint start;
  TimePoint end;
  // The local date (business time zone) of `start` as YYYY-MM-DD: the key
  // usage and warnings of the period are stored under.
  std::string key;
  bool subscription = false;  // the subscription's period, else a calendar month
};

struct Entitlement {
  PlanTier tier = PlanTier::kFree;
  PlanSource source = PlanSource::kFree;
  PlanLimits limits;
  std::optional<TimePoint> trial_ends_at;  // omni's trial, or Stripe's when TRIALING
  std::optional<TimePoint> grace_ends_at;  // PAST_DUE only
  Period period;                           // the current period
};

// The plan of `state` at `now`:
//   TRIALING, ACTIVE                 the subscribed tier
//   PAST_DUE                         the subscribed tier until past_due_since
//                                    + past_due_grace_days, then FREE
//   CANCELED, UNPAID,
//   INCOMPLETE_EXPIRED, PAUSED       FREE
//   NONE, INCOMPLETE                 a tier other than FREE assigned by the
//                                    business file; else trial_plan until
//                                    created_at + trial_days; else FREE
// and the period holding `now` (CurrentPeriod). Throws ConfigError for an
// unknown time zone.
Entitlement EffectivePlan(const SubscriptionState& state, const BillingSettings& settings, TimePoint now);

// The subscription's current period when it holds `now`, else the
// calendar month holding `now` in the business's time zone (midnight of
// the 1st to midnight of the next 1st, local). Throws ConfigError for an
// unknown time zone.
Period CurrentPeriod(const SubscriptionState& state, TimePoint now);

// The period `months_back` periods before the current one (0: current).
// A subscription period steps back a calendar month at a time from its
// start (Stripe's monthly billing anchor).
Period PeriodBack(const SubscriptionState& state, TimePoint now, int months_back);

// How many periods back the period starting in local month `year_month`
// ("YYYY-MM") is; throws InvalidInput naming `year_month` when malformed or
// after the current period.
int MonthsBack(const SubscriptionState& state, TimePoint now, const std::string& year_month);

}  // namespace omni::billing
