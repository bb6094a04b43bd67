// Conversions between UTC instants and a business's local wall time (IANA
// zones through date/tz), and the parsing of dates and times that users
// type. Thread-safe: the time zone database is read-only once loaded.
#pragma once

#include <chrono>
#include <string>

#include "core/common/clock.hpp"

namespace omni::booking {

// Throws ConfigError when `time_zone` is not an IANA zone name known to
// the system's database (/usr/share/zoneinfo).
void CheckTimeZone(const std::string& time_zone);

// Parses "YYYY-MM-DD" into a calendar date; throws InvalidInput naming
// `what` when malformed or not a real date.
std::chrono::year_month_day ParseDate(const std::string& text, const std::string& what);

// The instant of local midnight starting `date` in `time_zone` (the first
// instant after a gap when midnight does not exist there).
TimePoint LocalMidnight(std::chrono::year_month_day date, const std::string& time_zone);

// The local calendar date of an instant.
std::chrono::year_month_day LocalDate(TimePoint instant, const std::string& time_zone);

// Parses a start time a user typed: "YYYY-MM-DD HH:MM" (or with a T, and
// optional :SS) as local time in `time_zone`, or ISO-8601 with "Z" or an
// offset ("2026-12-01T15:00:00-05:00"). Throws InvalidInput when malformed,
// and when a local time falls in a daylight-saving gap or repeats at a
// fall-back (the hint shows how to name the offset).
TimePoint ParseStartTime(const std::string& text, const std::string& time_zone);

// Parses an instant given as ISO-8601 with "Z" or an offset, or a bare date
// (then local midnight in `time_zone`). For --from/--to filters.
TimePoint ParseInstantOrDate(const std::string& text, const std::string& time_zone);

// "2026-12-01 15:00" in the zone's local time.
std::string FormatLocal(TimePoint instant, const std::string& time_zone);
// "2026-12-01T20:00:00Z" (seconds precision, UTC).
std::string FormatUtc(TimePoint instant);
// "YYYY-MM-DD".
std::string FormatDate(std::chrono::year_month_day date);

}  // namespace omni::booking
