// Slot computation: which appointment starts a business can offer, from its
// weekly hours in its IANA time zone, date overrides, live bookings and the
// service's timing. Pure: no database, no clock; `now` is an argument.
// Thread-safe: every function here only reads its arguments.
//
// Semantics (issue 5; tests/cases/*.json pin them down):
// - Windows are local [start, end) minutes of a local date; 24:00 is the next
//   local midnight. An override's windows replace its date's weekly windows
//   and an empty override closes the date. Windows that touch merge, also
//   across midnight.
// - A booking blocks [start - before, end + after). A candidate s needs
//   [s, s + duration) inside the open windows and its own blocked range
//   [s - before, s + duration + after) clear of every live blocked range.
//   All intervals are half-open.
// - Starts: free ranges are the open windows minus busy time widened by the
//   candidate's buffers. In each free range [a, b), a is rounded up to a
//   local minute-of-hour that is a multiple of u (the first of 60, 30, 20,
//   15, 10, 5 dividing the interval, else 1), then a, a + interval, ... are
//   stepped in absolute minutes while s + duration <= b.
// - Then a start is kept when from <= s < to, s >= now + notice (inclusive)
//   and, with a horizon, s < now + horizon_days * 24 h.
//
// Daylight saving time (how a local window boundary becomes an instant):
// - A local time inside a spring-forward gap (02:30 on 2026-03-08 in
//   America/New_York) does not exist; it resolves to the first instant after
//   the gap (03:00 EDT, 07:00Z), for starts and ends alike.
// - A local time that occurs twice (01:30 on 2026-11-01 in New York) resolves
//   to its earliest occurrence for a window start and its latest for a window
//   end, so a window never loses the repeated hour: 00:00-02:00 that night is
//   three hours long, and 01:00-01:30 runs from 01:00 EDT to 01:30 EST.
// - Slots step in absolute minutes, so a slot lasts exactly its duration
//   across a transition.
//
// Resources (chairs, rooms, providers; see BusyByResource):
// - A business without active resources is one resource: every live
//   booking is busy time, as above.
// - With active resources, each resource is a separate calendar whose busy
//   time is its own bookings plus every booking without a resource (such a
//   booking blocks the whole business). Bookings on other or inactive
//   resources do not count. A start is offered when at least one resource
//   offers it by the rules above applied to that resource alone: the slots
//   are the union of the resources' slots, so each is bookable on some
//   resource exactly as the database constraint will accept it.
// - Restricting to one resource is the same with that resource alone.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/business/business.hpp"
#include "core/common/clock.hpp"

namespace omni::booking {

// When and how a business takes bookings.
struct AvailabilityRules {
  std::string time_zone;  // IANA name, e.g. "America/New_York"
  // Weekly windows as the business keeps them: [0] Monday ... [6] Sunday;
  // an empty day is closed.
  std::array<business::DayWindows, 7> weekly;
  // Local date -> windows replacing that date's weekly ones; empty closes it.
  std::map<std::chrono::year_month_day, business::DayWindows> overrides;
  int interval_min = 30;     // distance between offered starts
  int min_notice_min = 0;    // earliest start is now + this
  int horizon_days = 0;      // latest start is before now + this; 0: no limit
};

// The timing of the service being booked.
struct ServiceTiming {
  int duration_min = 30;
  int buffer_before_min = 0;
  int buffer_after_min = 0;
};

// An existing booking's blocked range [start - before, end + after), i.e.
// already widened by its own service's buffers. Only live bookings
// (SCHEDULED, CONFIRMED) belong here.
struct BusyRange {
  TimePoint start;
  TimePoint end;
};

// Live busy ranges of a business, split by what the bookings hold.
struct BusyByResource {
  // Bookings without a resource: busy time for every resource (and, with
  // no resources, all of the business's busy time).
  std::vector<BusyRange> whole_business;
  // One entry per active resource considered; each holds that resource's
  // bookings only. Empty: the business has no resources.
  std::vector<std::vector<BusyRange>> resources;
};

struct SlotQuery {
  TimePoint now;
  TimePoint from;  // slot starts in [from, to), UTC
  TimePoint to;
};

// Returns the offered slot starts, ascending, without duplicates.
// Throws ConfigError when the rules or the service timing are invalid
// (see ValidateRules) and InvalidInput when query.to < query.from.
std::vector<TimePoint> ComputeSlots(const AvailabilityRules& rules, const ServiceTiming& service,
                                    const std::vector<BusyRange>& busy, const SlotQuery& query);

// Offered starts when at least one resource is free (see the file
// comment): the union, ascending and without duplicates, of ComputeSlots
// over each resource's busy time; with no resources, ComputeSlots over
// busy.whole_business. Same errors as ComputeSlots.
std::vector<TimePoint> ComputeSlotsAnyResource(const AvailabilityRules& rules, const ServiceTiming& service,
                                               const BusyByResource& busy, const SlotQuery& query);

// Whether `start` would be offered by ComputeSlots for a range that holds
// it. Same errors as ComputeSlots.
bool IsOfferedStart(const AvailabilityRules& rules, const ServiceTiming& service,
                    const std::vector<BusyRange>& busy, TimePoint now, TimePoint start);

// Why a requested start cannot be booked, before looking at other bookings.
enum class StartCheck {
  kOk,
  kPast,           // start < now
  kTooSoon,        // start < now + notice
  kBeyondHorizon,  // start >= now + horizon
  kOutsideHours,   // [start, start + duration) not inside the open windows
};

// Checks `start` against hours, notice and horizon (not alignment, not other
// bookings: the database's exclusion constraint decides those). Throws like
// ValidateRules.
StartCheck CheckStart(const AvailabilityRules& rules, const ServiceTiming& service, TimePoint now,
                      TimePoint start);

// Why a range offers no start, in the order they are told apart.
enum class NoSlotsReason {
  kNone,           // the range offers starts
  kClosed,         // no opening in the range fits the service, whatever the time
  kPast,           // the openings that fit have all begun
  kTooSoon,        // those left start within the minimum notice
  kBeyondHorizon,  // those left are beyond the booking window
  kFullyBooked,    // free openings exist, and bookings take them all
};

// Why ComputeSlotsAnyResource(rules, service, busy, query) is empty, or
// kNone when it is not. Same errors as ComputeSlots.
NoSlotsReason WhyNoSlots(const AvailabilityRules& rules, const ServiceTiming& service, const BusyByResource& busy,
                         const SlotQuery& query);

// The reason as a customer or operator reads it, lower-case, naming the
// notice or window from `rules`: "closed that day" (for a range of one
// local day, else "closed those days"), "beyond the 60-day booking
// window"; "" for kNone.
std::string NoSlotsText(NoSlotsReason reason, const AvailabilityRules& rules, int days = 1);

// Checks the rules and timing: known time zone, windows within the day and
// non-empty, interval >= 1, notice, horizon and buffers >= 0, duration >= 1.
// Throws ConfigError naming the field and the problem.
void ValidateRules(const AvailabilityRules& rules, const ServiceTiming& service);

// The alignment unit for an interval: the first of 60, 30, 20, 15, 10, 5
// that divides it, else 1.
int AlignmentMinutes(int interval_min);

// Time inside a business's opening hours (rules.time_zone, weekly windows
// and overrides, with the daylight-saving resolution above), for response
// and resolution times counted in business hours. Built once for a span,
// then each question costs a binary search.
class OpenTime {
 public:
  // Covers instants in [from, to), at most 8000 days (InvalidInput beyond). Throws ConfigError for
  // an unknown time zone.
  OpenTime(const AvailabilityRules& rules, TimePoint from, TimePoint to);
  // The open time within [a, b), clamped to the covered span; zero when
  // b <= a.
  std::chrono::microseconds Between(TimePoint a, TimePoint b) const;

 private:
  std::chrono::microseconds OpenBefore(TimePoint t) const;
  std::vector<TimePoint> starts_;   // merged open ranges, ascending
  std::vector<TimePoint> ends_;
  std::vector<std::chrono::microseconds> open_before_;  // open time before starts_[i]
};

}  // namespace omni::booking
