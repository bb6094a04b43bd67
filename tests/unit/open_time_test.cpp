// booking::OpenTime: time inside opening hours between two instants, the
// business-hours clock of analytics' response and resolution times.
#include <catch2/catch.hpp>

#include "core/booking/availability.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"

namespace omni {
namespace {

using std::chrono::minutes;

constexpr const char* kNewYork = "America/New_York";

TimePoint Local(const std::string& text) { return booking::ParseStartTime(text, kNewYork); }

// Weekdays 09:00-17:00 in New York, closed on 2026-11-26 (Thanksgiving).
booking::AvailabilityRules WeekdayHours() {
  booking::AvailabilityRules rules;
  rules.time_zone = kNewYork;
  for (int day = 0; day < 5; ++day) rules.weekly[day] = {{9 * 60, 17 * 60}};
  rules.overrides[booking::ParseDate("2026-11-26", "day")] = {};
  return rules;
}

long long Minutes(std::chrono::microseconds us) { return std::chrono::duration_cast<minutes>(us).count(); }

}  // namespace

TEST_CASE("open time counts only the opening hours between two instants", "[analytics][booking]") {
  const booking::OpenTime hours(WeekdayHours(), Local("2026-11-01 00:00"), Local("2026-12-31 00:00"));
  // Across a closed night: 10 minutes on Tuesday, 10 on Wednesday.
  CHECK(Minutes(hours.Between(Local("2026-11-17 16:50"), Local("2026-11-18 09:10"))) == 20);
  // Inside one window, and wholly outside any.
  CHECK(Minutes(hours.Between(Local("2026-11-17 10:00"), Local("2026-11-17 10:45"))) == 45);
  CHECK(Minutes(hours.Between(Local("2026-11-17 18:00"), Local("2026-11-18 08:00"))) == 0);
  // Friday 16:00 to Monday 10:00: the weekend is closed.
  CHECK(Minutes(hours.Between(Local("2026-11-20 16:00"), Local("2026-11-23 10:00"))) == 120);
  // An override closes Thanksgiving.
  CHECK(Minutes(hours.Between(Local("2026-11-25 16:00"), Local("2026-11-27 10:00"))) == 120);
  // Backwards or empty: nothing.
  CHECK(Minutes(hours.Between(Local("2026-11-18 10:00"), Local("2026-11-17 10:00"))) == 0);
}

TEST_CASE("open time stays in local hours across a daylight-saving change", "[analytics][booking]") {
  auto rules = WeekdayHours();
  // Open every day, also overnight on the night New York falls back.
  for (int day = 0; day < 7; ++day) rules.weekly[day] = {{0, 24 * 60}};
  const booking::OpenTime hours(rules, Local("2026-10-01 00:00"), Local("2026-12-01 00:00"));
  // 2026-11-01 has 25 hours; 2026-03-08 would have 23.
  CHECK(Minutes(hours.Between(Local("2026-11-01 00:00"), Local("2026-11-02 00:00"))) == 25 * 60);
  const booking::OpenTime spring(rules, Local("2026-03-01 00:00"), Local("2026-03-31 00:00"));
  CHECK(Minutes(spring.Between(Local("2026-03-08 00:00"), Local("2026-03-09 00:00"))) == 23 * 60);
  CHECK_THROWS_AS(booking::OpenTime([] {
                    booking::AvailabilityRules bad;
                    bad.time_zone = "Mars/Olympus";
                    return bad;
                  }(), Local("2026-03-01 00:00"), Local("2026-03-02 00:00")),
                  ConfigError);
}

}  // namespace omni
