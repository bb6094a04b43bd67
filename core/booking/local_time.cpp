// Local wall time <-> UTC for booking, through date/tz. See local_time.hpp.
#include "core/booking/local_time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cctype>
#include <optional>

#include "core/common/error.hpp"

namespace omni::booking {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const date::time_zone* Zone(const std::string& time_zone) {
  try {
    return date::locate_zone(time_zone);
  } catch (const std::runtime_error&) {
    throw ConfigError("unknown time zone \"" + time_zone + "\"",
                      "Use an IANA time zone name such as America/New_York or Europe/Paris.");
  }
}

// Reads exactly `count` digits at `pos`; nullopt when they are not there.
std::optional<int> Digits(const std::string& text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<std::chrono::year_month_day> DateAt(const std::string& text) {
  auto y = Digits(text, 0, 4);
  auto m = Digits(text, 5, 2);
  auto d = Digits(text, 8, 2);
  if (!y || !m || !d || text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                   std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

date::local_days ToLocalDays(std::chrono::year_month_day date) {
  return date::local_days{std::chrono::sys_days{date}.time_since_epoch()};
}

InvalidInput BadStart(const std::string& text) {
  return InvalidInput("invalid start time \"" + text + "\": expected \"YYYY-MM-DD HH:MM\" or ISO-8601",
                      "Give the business's local time, e.g. \"2026-12-01 15:00\", or a time with an "
                      "offset, e.g. \"2026-12-01T15:00:00-05:00\".");
}

}  // namespace

void CheckTimeZone(const std::string& time_zone) { Zone(time_zone); }

std::chrono::year_month_day ParseDate(const std::string& text, const std::string& what) {
  auto date = text.size() == 10 ? DateAt(text) : std::nullopt;
  if (!date) {
    throw InvalidInput("invalid " + what + " \"" + text + "\": expected a date as YYYY-MM-DD",
                       "Write dates like 2026-12-01.");
  }
  return *date;
}

TimePoint LocalMidnight(std::chrono::year_month_day date, const std::string& time_zone) {
  auto sys = Zone(time_zone)->to_sys(ToLocalDays(date), date::choose::earliest);
  return std::chrono::time_point_cast<std::chrono::microseconds>(sys);
}

std::chrono::year_month_day LocalDate(TimePoint instant, const std::string& time_zone) {
  auto local = Zone(time_zone)->to_local(instant);
  auto days = std::chrono::floor<date::days>(local);
  return std::chrono::year_month_day{std::chrono::sys_days{days.time_since_epoch()}};
}

TimePoint ParseStartTime(const std::string& text, const std::string& time_zone) {
  auto date = DateAt(text);
  if (!date || text.size() < 16 || (text[10] != ' ' && text[10] != 'T')) throw BadStart(text);
  auto hour = Digits(text, 11, 2);
  auto minute = Digits(text, 14, 2);
  if (!hour || !minute || text[13] != ':' || *hour > 23 || *minute > 59) throw BadStart(text);
  std::size_t pos = 16;
  int second = 0;
  if (pos < text.size() && text[pos] == ':') {
    auto s = Digits(text, pos + 1, 2);
    if (!s || *s > 59) throw BadStart(text);
    second = *s;
    pos += 3;
  }
  auto local = ToLocalDays(*date) + std::chrono::hours{*hour} + minutes{*minute} + seconds{second};
  std::string zone_part = text.substr(pos);
  if (zone_part.empty()) {
    const date::time_zone* zone = Zone(time_zone);
    auto info = zone->get_info(local);
    std::string shown = text + " in " + time_zone;
    if (info.result == date::local_info::nonexistent) {
      throw InvalidInput("start time " + shown + " does not exist: the clocks skip it for daylight saving",
                         "Pick a time after the change, or give an explicit UTC offset.");
    }
    if (info.result == date::local_info::ambiguous) {
      throw InvalidInput("start time " + shown + " is ambiguous: it occurs twice as the clocks fall back",
                         "Add the UTC offset you mean, e.g. \"" + text.substr(0, 10) + "T" +
                             text.substr(11, 5) + "-04:00\".");
    }
    return std::chrono::time_point_cast<std::chrono::microseconds>(zone->to_sys(local));
  }
  int offset_min = 0;
  if (zone_part == "Z" || zone_part == "z") {
    offset_min = 0;
  } else if (zone_part[0] == '+' || zone_part[0] == '-') {
    auto oh = Digits(zone_part, 1, 2);
    std::optional<int> om = 0;
    if (zone_part.size() == 6 && zone_part[3] == ':') {
      om = Digits(zone_part, 4, 2);
    } else if (zone_part.size() == 5) {
      om = Digits(zone_part, 3, 2);
    } else if (zone_part.size() != 3) {
      throw BadStart(text);
    }
    if (!oh || !om || *oh > 23 || *om > 59) throw BadStart(text);
    offset_min = (*oh * 60 + *om) * (zone_part[0] == '-' ? -1 : 1);
  } else {
    throw BadStart(text);
  }
  auto utc = std::chrono::sys_seconds{local.time_since_epoch()} - minutes{offset_min};
  return std::chrono::time_point_cast<std::chrono::microseconds>(utc);
}

TimePoint ParseInstantOrDate(const std::string& text, const std::string& time_zone) {
  if (text.size() == 10) return LocalMidnight(ParseDate(text, "date"), time_zone);
  return ParseStartTime(text, time_zone);
}

std::string FormatLocal(TimePoint instant, const std::string& time_zone) {
  auto local = Zone(time_zone)->to_local(std::chrono::floor<minutes>(instant));
  return date::format("%Y-%m-%d %H:%M", local);
}

std::string FormatUtc(TimePoint instant) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", std::chrono::floor<seconds>(instant));
}

std::string FormatDate(std::chrono::year_month_day date) {
  return date::format("%Y-%m-%d", date::year_month_day{std::chrono::sys_days{date}});
}

}  // namespace omni::booking
