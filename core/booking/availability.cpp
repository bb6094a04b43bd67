// Slot computation. See availability.hpp for the exact semantics and the
// daylight-saving resolution; this file only implements them.
#include "core/booking/availability.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <initializer_list>
#include <optional>

#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"

namespace omni::booking {
namespace {

using std::chrono::minutes;

constexpr int kMinutesPerDay = 24 * 60;
// Longest [from, to) a query may span; keeps one call bounded.
constexpr auto kMaxQuerySpan = std::chrono::days{400};

struct Range {
  TimePoint start;
  TimePoint end;
};

// A window boundary as an instant. Nonexistent local times (a gap) become
// the instant the gap ends, which date/tz returns for either choice;
// repeated ones take the first occurrence for a start and the second for an
// end, so a window keeps the repeated hour.
TimePoint Resolve(const date::time_zone* zone, date::local_days day, int minute_of_day, bool is_end) {
  auto local = day + minutes{minute_of_day};
  auto sys = zone->to_sys(local, is_end ? date::choose::latest : date::choose::earliest);
  return std::chrono::time_point_cast<std::chrono::microseconds>(sys);
}

// Sorts and merges ranges that overlap or touch.
std::vector<Range> Merge(std::vector<Range> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.start < b.start; });
  std::vector<Range> merged;
  for (const Range& r : ranges) {
    if (r.start >= r.end) continue;
    if (!merged.empty() && r.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

// The open windows of the local dates first..last, as merged UTC ranges.
std::vector<Range> OpenRanges(const AvailabilityRules& rules, const date::time_zone* zone,
                              date::local_days first, date::local_days last) {
  std::vector<Range> open;
  for (date::local_days day = first; day <= last; day += date::days{1}) {
    std::chrono::year_month_day ymd{std::chrono::sys_days{day.time_since_epoch()}};
    const business::DayWindows* windows = nullptr;
    if (auto it = rules.overrides.find(ymd); it != rules.overrides.end()) {
      windows = &it->second;
    } else {
      windows = &rules.weekly[std::chrono::weekday{std::chrono::sys_days{ymd}}.iso_encoding() - 1];
    }
    for (const business::TimeWindow& w : *windows) {
      open.push_back({Resolve(zone, day, w.start_min, false), Resolve(zone, day, w.end_min, true)});
    }
  }
  return Merge(std::move(open));
}

// Open ranges minus busy ranges (both merged and sorted).
std::vector<Range> Subtract(const std::vector<Range>& open, const std::vector<Range>& busy) {
  std::vector<Range> free;
  std::size_t first_busy = 0;
  for (const Range& o : open) {
    while (first_busy < busy.size() && busy[first_busy].end <= o.start) ++first_busy;
    TimePoint cursor = o.start;
    for (std::size_t i = first_busy; i < busy.size() && busy[i].start < o.end; ++i) {
      if (busy[i].start > cursor) free.push_back({cursor, busy[i].start});
      cursor = std::max(cursor, busy[i].end);
    }
    if (cursor < o.end) free.push_back({cursor, o.end});
  }
  return free;
}

// Rounds `t` up to a whole minute whose local minute-of-hour is a multiple
// of `unit`. The offset is re-read after moving, in case a transition with a
// sub-hour offset change lies in between.
TimePoint AlignUp(const date::time_zone* zone, TimePoint t, int unit) {
  auto aligned = std::chrono::ceil<minutes>(t);
  if (unit == 1) return aligned;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto offset = zone->get_info(std::chrono::floor<std::chrono::seconds>(aligned)).offset;
    auto local_min = (aligned.time_since_epoch() + std::chrono::floor<minutes>(offset)).count();
    long long minute_of_hour = ((local_min % 60) + 60) % 60;
    long long add = (unit - minute_of_hour % unit) % unit;
    if (add == 0) break;
    aligned += minutes{add};
  }
  return std::chrono::time_point_cast<std::chrono::microseconds>(aligned);
}

void CheckWindows(const business::DayWindows& windows, const std::string& where) {
  for (const business::TimeWindow& w : windows) {
    if (w.start_min < 0 || w.end_min > kMinutesPerDay || w.start_min >= w.end_min) {
      throw ConfigError("invalid hours window " + business::FormatClockTime(w.start_min) +
                            "-" + business::FormatClockTime(w.end_min) + " on " +
                            where + ": the end must be after the start, within 00:00-24:00",
                        "Write windows as [\"09:00\", \"17:00\"]; 24:00 means midnight at the end of the day.");
    }
  }
}

void CheckNonNegative(int value, const std::string& name) {
  if (value < 0) throw ConfigError(name + " is " + std::to_string(value) + ": it must be 0 or more");
}

}  // namespace

int AlignmentMinutes(int interval_min) {
  for (int unit : {60, 30, 20, 15, 10, 5}) {
    if (interval_min % unit == 0) return unit;
  }
  return 1;
}

void ValidateRules(const AvailabilityRules& rules, const ServiceTiming& service) {
  CheckTimeZone(rules.time_zone);
  static const char* const kDayNames[] = {"monday", "tuesday", "wednesday", "thursday",
                                          "friday", "saturday", "sunday"};
  for (int day = 0; day < 7; ++day) CheckWindows(rules.weekly[day], kDayNames[day]);
  for (const auto& [date, windows] : rules.overrides) CheckWindows(windows, FormatDate(date));
  if (rules.interval_min < 1 || rules.interval_min > kMinutesPerDay) {
    throw ConfigError("slot interval is " + std::to_string(rules.interval_min) +
                      " minutes: it must be between 1 and 1440");
  }
  CheckNonNegative(rules.min_notice_min, "minimum notice (minutes)");
  CheckNonNegative(rules.horizon_days, "booking horizon (days)");
  if (service.duration_min < 1 || service.duration_min > kMinutesPerDay) {
    throw ConfigError("service duration is " + std::to_string(service.duration_min) +
                      " minutes: it must be between 1 and 1440");
  }
  CheckNonNegative(service.buffer_before_min, "buffer before (minutes)");
  CheckNonNegative(service.buffer_after_min, "buffer after (minutes)");
}

namespace {

// What every busy list of one query shares: the valid bounds of the starts
// and the open ranges around them.
struct SlotPlan {
  const date::time_zone* zone = nullptr;
  TimePoint lower;
  TimePoint upper;
  std::vector<Range> open;
};

// Validates the inputs; nullopt when no start can fall in the range.
std::optional<SlotPlan> PlanSlots(const AvailabilityRules& rules, const ServiceTiming& service,
                                  const SlotQuery& query) {
  ValidateRules(rules, service);
  if (query.to < query.from) {
    throw InvalidInput("invalid slot range: the end " + FormatUtc(query.to) + " is before the start " +
                       FormatUtc(query.from));
  }
  if (query.to - query.from > kMaxQuerySpan) {
    throw InvalidInput("slot range " + FormatUtc(query.from) + " to " + FormatUtc(query.to) +
                       " is too long: at most 400 days");
  }
  SlotPlan plan;
  plan.lower = std::max(query.from, query.now + minutes{rules.min_notice_min});
  plan.upper = query.to;
  if (rules.horizon_days > 0) plan.upper = std::min(plan.upper, query.now + std::chrono::days{rules.horizon_days});
  if (plan.lower >= plan.upper) return std::nullopt;

  plan.zone = date::locate_zone(rules.time_zone);
  // Windows of the day before reach past midnight into the range, and the
  // free range holding a slot may start on an earlier local day.
  auto first_day = std::chrono::floor<date::days>(plan.zone->to_local(query.from)) - date::days{1};
  auto last_day = std::chrono::floor<date::days>(plan.zone->to_local(query.to)) + date::days{1};
  plan.open = OpenRanges(rules, plan.zone, first_day, last_day);
  return plan;
}

// Appends the starts offered against the busy ranges of all `lists`.
void AppendSlots(const SlotPlan& plan, const AvailabilityRules& rules, const ServiceTiming& service,
                 std::initializer_list<const std::vector<BusyRange>*> lists, std::vector<TimePoint>& slots) {
  std::vector<Range> widened;
  const minutes before{service.buffer_before_min};
  const minutes after{service.buffer_after_min};
  for (const std::vector<BusyRange>* list : lists) {
    for (const BusyRange& b : *list) widened.push_back({b.start - after, b.end + before});
  }
  std::vector<Range> free = Subtract(plan.open, Merge(std::move(widened)));

  const minutes duration{service.duration_min};
  const minutes interval{rules.interval_min};
  const int unit = AlignmentMinutes(rules.interval_min);
  for (const Range& f : free) {
    if (f.end <= plan.lower || f.start >= plan.upper) continue;
    TimePoint s = AlignUp(plan.zone, f.start, unit);
    if (s < plan.lower) {
      // Jump to the first step at or after `lower`; the steps stay the same.
      auto steps = (plan.lower - s + interval - std::chrono::microseconds{1}) / interval;
      s += interval * steps;
    }
    for (; s + duration <= f.end && s < plan.upper; s += interval) slots.push_back(s);
  }
}

}  // namespace

std::vector<TimePoint> ComputeSlots(const AvailabilityRules& rules, const ServiceTiming& service,
                                    const std::vector<BusyRange>& busy, const SlotQuery& query) {
  std::vector<TimePoint> slots;
  if (auto plan = PlanSlots(rules, service, query)) AppendSlots(*plan, rules, service, {&busy}, slots);
  return slots;
}

std::vector<TimePoint> ComputeSlotsAnyResource(const AvailabilityRules& rules, const ServiceTiming& service,
                                               const BusyByResource& busy, const SlotQuery& query) {
  std::vector<TimePoint> slots;
  auto plan = PlanSlots(rules, service, query);
  if (!plan) return slots;
  if (busy.resources.empty()) {
    AppendSlots(*plan, rules, service, {&busy.whole_business}, slots);
    return slots;
  }
  for (const std::vector<BusyRange>& own : busy.resources) {
    AppendSlots(*plan, rules, service, {&busy.whole_business, &own}, slots);
  }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  return slots;
}

StartCheck CheckStart(const AvailabilityRules& rules, const ServiceTiming& service, TimePoint now,
                      TimePoint start) {
  ValidateRules(rules, service);
  if (start < now) return StartCheck::kPast;
  if (start < now + minutes{rules.min_notice_min}) return StartCheck::kTooSoon;
  if (rules.horizon_days > 0 && start >= now + std::chrono::days{rules.horizon_days}) {
    return StartCheck::kBeyondHorizon;
  }
  const date::time_zone* zone = date::locate_zone(rules.time_zone);
  auto day = std::chrono::floor<date::days>(zone->to_local(start));
  TimePoint end = start + minutes{service.duration_min};
  for (const Range& open : OpenRanges(rules, zone, day - date::days{1}, day + date::days{2})) {
    if (open.start <= start && end <= open.end) return StartCheck::kOk;
  }
  return StartCheck::kOutsideHours;
}

NoSlotsReason WhyNoSlots(const AvailabilityRules& rules, const ServiceTiming& service, const BusyByResource& busy,
                         const SlotQuery& query) {
  if (!ComputeSlotsAnyResource(rules, service, busy, query).empty()) return NoSlotsReason::kNone;
  AvailabilityRules timeless = rules;
  timeless.min_notice_min = 0;
  timeless.horizon_days = 0;
  const auto fitting = ComputeSlots(timeless, service, {}, {TimePoint{}, query.from, query.to});
  if (fitting.empty()) return NoSlotsReason::kClosed;
  if (!ComputeSlots(rules, service, {}, query).empty()) return NoSlotsReason::kFullyBooked;
  if (fitting.back() < query.now) return NoSlotsReason::kPast;
  if (rules.horizon_days > 0 && fitting.front() >= query.now + std::chrono::days{rules.horizon_days}) {
    return NoSlotsReason::kBeyondHorizon;
  }
  if (fitting.back() < query.now + minutes{rules.min_notice_min}) return NoSlotsReason::kTooSoon;
  return fitting.front() < query.now ? NoSlotsReason::kPast : NoSlotsReason::kBeyondHorizon;
}

std::string NoSlotsText(NoSlotsReason reason, const AvailabilityRules& rules, int days) {
  switch (reason) {
    case NoSlotsReason::kNone: return "";
    case NoSlotsReason::kClosed: return days == 1 ? "closed that day" : "closed those days";
    case NoSlotsReason::kPast: return "in the past";
    case NoSlotsReason::kTooSoon:
      return "within the " + std::to_string(rules.min_notice_min) + "-minute booking notice";
    case NoSlotsReason::kBeyondHorizon:
      return "beyond the " + std::to_string(rules.horizon_days) + "-day booking window";
    case NoSlotsReason::kFullyBooked: return "fully booked";
  }
  return "";
}

bool IsOfferedStart(const AvailabilityRules& rules, const ServiceTiming& service,
                    const std::vector<BusyRange>& busy, TimePoint now, TimePoint start) {
  auto slots = ComputeSlots(rules, service, busy, {now, start, start + std::chrono::microseconds{1}});
  return !slots.empty() && slots.front() == start;
}

OpenTime::OpenTime(const AvailabilityRules& rules, TimePoint from, TimePoint to) {
  CheckTimeZone(rules.time_zone);
  if (to - from > std::chrono::days{8000}) {
    throw InvalidInput("business hours: a span of more than 8000 days is too long");
  }
  const date::time_zone* zone = date::locate_zone(rules.time_zone);
  // A day either side: a local date's windows may reach into the span from
  // the day before or after it, whatever the offset.
  const auto first = date::floor<date::days>(zone->to_local(from)) - date::days{1};
  const auto last = date::floor<date::days>(zone->to_local(to)) + date::days{1};
  std::chrono::microseconds total{0};
  for (const Range& r : OpenRanges(rules, zone, first, last)) {
    starts_.push_back(r.start);
    ends_.push_back(r.end);
    open_before_.push_back(total);
    total += std::chrono::duration_cast<std::chrono::microseconds>(r.end - r.start);
  }
}

std::chrono::microseconds OpenTime::OpenBefore(TimePoint t) const {
  // The first range that starts after t; the one before it may hold t.
  const auto next = std::upper_bound(starts_.begin(), starts_.end(), t);
  if (next == starts_.begin()) return std::chrono::microseconds{0};
  const auto i = static_cast<std::size_t>(next - starts_.begin()) - 1;
  const auto inside = std::min(t, ends_[i]) - starts_[i];
  return open_before_[i] + std::chrono::duration_cast<std::chrono::microseconds>(inside);
}

std::chrono::microseconds OpenTime::Between(TimePoint a, TimePoint b) const {
  if (b <= a) return std::chrono::microseconds{0};
  return OpenBefore(b) - OpenBefore(a);
}

}  // namespace omni::booking
