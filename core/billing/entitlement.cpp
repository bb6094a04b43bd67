// The effective plan and billing period of a business. See entitlement.hpp.
#include "core/billing/entitlement.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <sstream>

#include "core/common/error.hpp"

namespace omni::billing {
namespace {

using std::chrono::days;
using std::chrono::microseconds;

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    throw ConfigError("time zone \"" + name + "\" is unknown",
                      "Set the business's timezone to an IANA name such as Europe/Berlin and apply it again.");
  }
}

// The first instant of local midnight starting `day` (after a DST gap when
// midnight does not exist there).
TimePoint LocalMidnight(date::year_month_day day, const date::time_zone* zone) {
  const date::local_days local{day};
  return std::chrono::time_point_cast<microseconds>(
      date::zoned_time<microseconds>(zone, date::local_time<microseconds>(local), date::choose::earliest)
          .get_sys_time());
}

date::year_month_day LocalDay(TimePoint instant, const date::time_zone* zone) {
  return date::year_month_day{date::floor<days>(date::zoned_time<microseconds>(zone, instant).get_local_time())};
}

std::string Key(TimePoint start, const date::time_zone* zone) { return date::format("%F", LocalDay(start, zone)); }

Period CalendarMonth(const date::time_zone* zone, TimePoint now, int months_back) {
  const auto today = LocalDay(now, zone);
  const date::year_month month = date::year_month{today.year(), today.month()} - date::months{months_back};
  Period period;
  period.start = LocalMidnight(month / date::day{1}, zone);
  period.end = LocalMidnight((month + date::months{1}) / date::day{1}, zone);
  period.key = Key(period.start, zone);
  return period;
}

// `instant` moved by whole calendar months in UTC, the day clamped to the
// month's last (Stripe's monthly anchor on the 31st bills on the 30th).
TimePoint AddMonths(TimePoint instant, int months) {
  const auto day = date::floor<days>(instant);
  const date::year_month_day ymd{day};
  date::year_month_day moved = ymd + date::months{months};
  if (!moved.ok()) moved = moved.year() / moved.month() / date::last;
  return TimePoint{date::sys_days{moved}} + (instant - day);
}

bool SubscriptionGivesPlan(const std::string& status) {
  return status == "TRIALING" || status == "ACTIVE" || status == "PAST_DUE";
}

}  // namespace

const char* PlanSourceName(PlanSource source) {
  switch (source) {
    case PlanSource::kTrial:
      return "trial";
    case PlanSource::kSubscription:
      return "subscription";
    case PlanSource::kGrace:
      return "grace";
    case PlanSource::kAssigned:
      return "assigned";
    case PlanSource::kFree:
      return "free";
  }
  return "free";
}

Period CurrentPeriod(const SubscriptionState& state, TimePoint now) { return PeriodBack(state, now, 0); }

Period PeriodBack(const SubscriptionState& state, TimePoint now, int months_back) {
  const date::time_zone* zone = Zone(state.timezone);
  // A period Stripe no longer covers (the webhook for the next one has not
  // come, or the subscription ended) counts in calendar months instead.
  const bool in_subscription_period = state.current_period_start && state.current_period_end &&
                                      *state.current_period_start <= now && now < *state.current_period_end;
  if (!in_subscription_period) return CalendarMonth(zone, now, months_back);
  Period period;
  period.subscription = true;
  period.start = AddMonths(*state.current_period_start, -months_back);
  period.end = months_back == 0 ? *state.current_period_end : AddMonths(*state.current_period_start, 1 - months_back);
  period.key = Key(period.start, zone);
  return period;
}

int MonthsBack(const SubscriptionState& state, TimePoint now, const std::string& year_month) {
  std::istringstream in(year_month);
  date::year_month wanted;
  in >> date::parse("%Y-%m", wanted);
  if (in.fail() || year_month.size() != 7 || !wanted.ok()) {
    throw InvalidInput("period: \"" + year_month + "\" is not current, previous or a month YYYY-MM",
                       "Give --period current, --period previous or --period 2026-11.");
  }
  const date::time_zone* zone = Zone(state.timezone);
  const auto start = LocalDay(CurrentPeriod(state, now).start, zone);
  const int back = (date::year_month{start.year(), start.month()} - wanted).count();
  if (back < 0) {
    throw InvalidInput("period: " + year_month + " is after the current period",
                       "Give the current month or an earlier one.");
  }
  return back;
}

Entitlement EffectivePlan(const SubscriptionState& state, const BillingSettings& settings, TimePoint now) {
  Entitlement result;
  result.period = CurrentPeriod(state, now);
  const std::string& status = state.status;
  if (SubscriptionGivesPlan(status)) {
    result.tier = state.plan_tier;
    result.source = PlanSource::kSubscription;
    if (status == "TRIALING") result.trial_ends_at = state.trial_ends_at;
    if (status == "PAST_DUE") {
      // A PAST_DUE with no recorded start counts from now: the grace is
      // never shortened by a missing timestamp.
      const TimePoint since = state.past_due_since.value_or(now);
      result.grace_ends_at = since + days{settings.past_due_grace_days};
      result.source = PlanSource::kGrace;
      if (now >= *result.grace_ends_at) {
        result.tier = PlanTier::kFree;
        result.source = PlanSource::kFree;
      }
    }
  } else if ((status == "NONE" || status == "INCOMPLETE") && state.plan_tier != PlanTier::kFree) {
    result.tier = state.plan_tier;
    result.source = PlanSource::kAssigned;
  } else if (status == "NONE" || status == "INCOMPLETE") {
    const TimePoint trial_end = state.created_at + days{settings.trial_days};
    if (settings.trial_days > 0 && now < trial_end) {
      result.tier = settings.trial_plan;
      result.source = PlanSource::kTrial;
      result.trial_ends_at = trial_end;
    }
  }
  result.limits = LimitsOf(settings, result.tier);
  return result;
}

}  // namespace omni::billing
