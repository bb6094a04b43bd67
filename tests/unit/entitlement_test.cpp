// The effective plan and billing period (core/billing/entitlement.hpp) on a
// fixed clock: trial, subscription statuses, PAST_DUE grace, an assigned
// tier, and periods in the business's time zone or the subscription's.
#include <catch2/catch.hpp>

#include "core/billing/entitlement.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"
#include "tests/support/fixed_clock.hpp"

namespace omni {
namespace {

using billing::PlanSource;
using billing::PlanTier;
using std::chrono::days;

TimePoint Utc(const std::string& text) { return booking::ParseStartTime(text, "UTC"); }

billing::SubscriptionState NewBusiness(TimePoint created_at) {
  billing::SubscriptionState state;
  state.created_at = created_at;
  return state;
}

}  // namespace

TEST_CASE("a new business has a trial of STARTER, then FREE", "[billing]") {
  test::FixedClock clock(Utc("2026-12-03 10:00"));
  const auto state = NewBusiness(clock.Now());
  const billing::BillingSettings settings;
  auto plan = billing::EffectivePlan(state, settings, clock.Now());
  CHECK(plan.tier == PlanTier::kStarter);
  CHECK(plan.source == PlanSource::kTrial);
  CHECK(plan.limits.interactions_per_month == 1000);
  CHECK(plan.trial_ends_at == Utc("2026-12-17 10:00"));
  clock.Set(Utc("2026-12-17 09:59"));
  CHECK(billing::EffectivePlan(state, settings, clock.Now()).tier == PlanTier::kStarter);
  clock.Set(Utc("2026-12-17 10:00"));
  plan = billing::EffectivePlan(state, settings, clock.Now());
  CHECK(plan.tier == PlanTier::kFree);
  CHECK(plan.source == PlanSource::kFree);
  CHECK(plan.limits.interactions_per_month == 100);
  CHECK_FALSE(plan.trial_ends_at);
}

TEST_CASE("the trial's length and plan come from the settings; 0 days is no trial", "[billing]") {
  const auto now = Utc("2026-12-03 10:00");
  billing::BillingSettings settings;
  settings.trial_days = 30;
  settings.trial_plan = PlanTier::kProfessional;
  const auto plan = billing::EffectivePlan(NewBusiness(now), settings, now + days(29));
  CHECK(plan.tier == PlanTier::kProfessional);
  CHECK(plan.limits.documents == 500);
  settings.trial_days = 0;
  CHECK(billing::EffectivePlan(NewBusiness(now), settings, now).tier == PlanTier::kFree);
}

TEST_CASE("the subscription status decides the plan", "[billing]") {
  const auto now = Utc("2026-12-03 10:00");
  const billing::BillingSettings settings;
  auto state = NewBusiness(now - days(100));
  state.plan_tier = PlanTier::kProfessional;
  for (const char* status : {"TRIALING", "ACTIVE"}) {
    state.status = status;
    const auto plan = billing::EffectivePlan(state, settings, now);
    CHECK(plan.tier == PlanTier::kProfessional);
    CHECK(plan.source == PlanSource::kSubscription);
  }
  for (const char* status : {"CANCELED", "UNPAID", "INCOMPLETE_EXPIRED", "PAUSED"}) {
    state.status = status;
    CHECK(billing::EffectivePlan(state, settings, now).tier == PlanTier::kFree);
  }
  // Canceled during omni's trial: still FREE, the trial is for businesses
  // that never subscribed.
  auto young = NewBusiness(now - days(1));
  young.plan_tier = PlanTier::kStarter;
  young.status = "CANCELED";
  CHECK(billing::EffectivePlan(young, settings, now).tier == PlanTier::kFree);
  // Stripe's trial end is shown while TRIALING.
  state.status = "TRIALING";
  state.trial_ends_at = now + days(3);
  CHECK(billing::EffectivePlan(state, settings, now).trial_ends_at == now + days(3));
}

TEST_CASE("PAST_DUE keeps the plan through the grace period, then FREE", "[billing]") {
  test::FixedClock clock(Utc("2026-12-03 10:00"));
  billing::BillingSettings settings;
  auto state = NewBusiness(Utc("2026-01-01 00:00"));
  state.plan_tier = PlanTier::kStarter;
  state.status = "PAST_DUE";
  state.past_due_since = Utc("2026-12-01 10:00");
  auto plan = billing::EffectivePlan(state, settings, clock.Now());
  CHECK(plan.tier == PlanTier::kStarter);
  CHECK(plan.source == PlanSource::kGrace);
  CHECK(plan.grace_ends_at == Utc("2026-12-08 10:00"));
  clock.Set(Utc("2026-12-08 10:00"));
  CHECK(billing::EffectivePlan(state, settings, clock.Now()).tier == PlanTier::kFree);
  settings.past_due_grace_days = 10;
  CHECK(billing::EffectivePlan(state, settings, clock.Now()).tier == PlanTier::kStarter);
}

TEST_CASE("a tier the business file assigns holds without a subscription", "[billing]") {
  const auto now = Utc("2026-12-03 10:00");
  auto state = NewBusiness(now - days(100));
  state.plan_tier = PlanTier::kEnterprise;
  const auto plan = billing::EffectivePlan(state, billing::BillingSettings{}, now);
  CHECK(plan.tier == PlanTier::kEnterprise);
  CHECK(plan.source == PlanSource::kAssigned);
  CHECK(plan.limits.interactions_per_month == -1);
}

TEST_CASE("the period is the business's local calendar month without a subscription period", "[billing]") {
  auto state = NewBusiness(Utc("2026-01-01 00:00"));
  state.timezone = "America/New_York";
  // 03:00 UTC on December 1 is still November 30 in New York.
  auto period = billing::CurrentPeriod(state, Utc("2026-12-01 03:00"));
  CHECK(period.key == "2026-11-01");
  CHECK(period.start == Utc("2026-11-01 04:00"));
  CHECK(period.end == Utc("2026-12-01 05:00"));
  CHECK_FALSE(period.subscription);
  CHECK(billing::CurrentPeriod(state, Utc("2026-12-01 06:00")).key == "2026-12-01");
  CHECK(billing::PeriodBack(state, Utc("2026-12-01 06:00"), 1).key == "2026-11-01");
  CHECK(billing::PeriodBack(state, Utc("2026-01-15 06:00"), 1).key == "2025-12-01");
  state.timezone = "UTC";
  CHECK(billing::CurrentPeriod(state, Utc("2028-02-29 12:00")).key == "2028-02-01");
}

TEST_CASE("the subscription's current period is the period while it holds now", "[billing]") {
  auto state = NewBusiness(Utc("2026-01-01 00:00"));
  state.status = "ACTIVE";
  state.timezone = "Europe/Berlin";
  state.current_period_start = Utc("2026-11-20 12:00");
  state.current_period_end = Utc("2026-12-20 12:00");
  auto period = billing::CurrentPeriod(state, Utc("2026-12-03 10:00"));
  CHECK(period.subscription);
  CHECK(period.key == "2026-11-20");
  CHECK(period.start == Utc("2026-11-20 12:00"));
  CHECK(period.end == Utc("2026-12-20 12:00"));
  const auto previous = billing::PeriodBack(state, Utc("2026-12-03 10:00"), 1);
  CHECK(previous.start == Utc("2026-10-20 12:00"));
  CHECK(previous.end == Utc("2026-11-20 12:00"));
  CHECK(billing::MonthsBack(state, Utc("2026-12-03 10:00"), "2026-10") == 1);
  // Past its end (the renewal's webhook has not come): the calendar month.
  CHECK(billing::CurrentPeriod(state, Utc("2026-12-21 10:00")).key == "2026-12-01");
}

TEST_CASE("a month for --period is checked", "[billing]") {
  const auto state = NewBusiness(Utc("2026-01-01 00:00"));
  const auto now = Utc("2026-12-03 10:00");
  CHECK(billing::MonthsBack(state, now, "2026-12") == 0);
  CHECK(billing::MonthsBack(state, now, "2025-12") == 12);
  CHECK_THROWS_AS(billing::MonthsBack(state, now, "2027-01"), InvalidInput);
  CHECK_THROWS_AS(billing::MonthsBack(state, now, "2026-13"), InvalidInput);
  CHECK_THROWS_AS(billing::MonthsBack(state, now, "last"), InvalidInput);
}

}  // namespace omni
