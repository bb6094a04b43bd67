// RFC 5545 rendering of an appointment. See ics.hpp.
#include "core/booking/ics.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>

#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"

namespace omni::booking {
namespace {

constexpr std::size_t kMaxLineOctets = 75;

std::string UtcStamp(TimePoint instant) {
  return date::format("%Y%m%dT%H%M%SZ", std::chrono::floor<std::chrono::seconds>(instant));
}

// A parameter value may not hold DQUOTE, and is quoted when it holds
// ':', ';' or ','. Control characters are dropped.
std::string ParamValue(const std::string& value) {
  std::string clean;
  bool needs_quotes = false;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || u < 0x20 || u == 0x7f) continue;
    if (c == ':' || c == ';' || c == ',') needs_quotes = true;
    clean += c;
  }
  return needs_quotes ? "\"" + clean + "\"" : clean;
}

// An address for a mailto: URI; anything that could break the line is
// dropped.
std::string MailAddress(const std::string& email) {
  std::string clean;
  for (char c : email) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == ';' || c == ',' || c == ':') continue;
    clean += c;
  }
  return clean;
}

void Line(std::string& out, const std::string& content) {
  out += FoldIcsLine(content);
  out += "\r\n";
}

using Seconds = date::sys_seconds;

// Wall time in a zone's offset, as a DATE-TIME without "Z".
std::string LocalStamp(Seconds instant, std::chrono::seconds offset) {
  return date::format("%Y%m%dT%H%M%S", instant + offset);
}

// "+HHMM", or "+HHMMSS" for the odd historical offset.
std::string UtcOffset(std::chrono::seconds offset) {
  long long total = offset.count();
  std::string sign = total < 0 ? "-" : "+";
  total = total < 0 ? -total : total;
  char text[16];
  if (total % 60 == 0) {
    std::snprintf(text, sizeof text, "%s%02lld%02lld", sign.c_str(), total / 3600, total / 60 % 60);
  } else {
    std::snprintf(text, sizeof text, "%s%02lld%02lld%02lld", sign.c_str(), total / 3600, total / 60 % 60, total % 60);
  }
  return text;
}

// The zone's observances around [start, end]: the one in force at the start
// and every later one up to the end, each from the moment it began (RFC 5545
// 3.6.5 with explicit DTSTARTs instead of rules, which the tz database does
// not keep). A zone that never changes gets one STANDARD from 1970.
void TimeZoneBlock(std::string& out, const std::string& time_zone, TimePoint start, TimePoint end) {
  CheckTimeZone(time_zone);
  const date::time_zone* zone = date::locate_zone(time_zone);
  const Seconds first = std::chrono::floor<std::chrono::seconds>(start);
  const Seconds last = std::chrono::floor<std::chrono::seconds>(end);
  Line(out, "BEGIN:VTIMEZONE");
  Line(out, "TZID:" + time_zone);
  date::sys_info info = zone->get_info(first);
  constexpr auto kEpoch = Seconds{};
  while (true) {
    const bool has_begin = info.begin > Seconds{date::sys_days{date::year{1900} / 1 / 1}};
    std::chrono::seconds from = info.offset;
    if (has_begin) from = zone->get_info(info.begin - std::chrono::seconds{1}).offset;
    const char* kind = info.save != std::chrono::minutes{0} ? "DAYLIGHT" : "STANDARD";
    Line(out, std::string("BEGIN:") + kind);
    Line(out, "DTSTART:" + (has_begin ? LocalStamp(info.begin, from) : LocalStamp(kEpoch, std::chrono::seconds{0})));
    Line(out, "TZOFFSETFROM:" + UtcOffset(from));
    Line(out, "TZOFFSETTO:" + UtcOffset(info.offset));
    if (!info.abbrev.empty()) Line(out, "TZNAME:" + EscapeIcsText(info.abbrev));
    Line(out, std::string("END:") + kind);
    if (info.end > last || info.end >= Seconds{date::sys_days{date::year{9999} / 1 / 1}}) break;
    info = zone->get_info(info.end);
  }
  Line(out, "END:VTIMEZONE");
}

// DTSTART or DTEND, in the zone's wall time when there is a zone.
std::string TimeProperty(const std::string& name, TimePoint instant, const std::string& time_zone) {
  if (time_zone.empty()) return name + ":" + UtcStamp(instant);
  const Seconds at = std::chrono::floor<std::chrono::seconds>(instant);
  const auto offset = date::locate_zone(time_zone)->get_info(at).offset;
  return name + ";TZID=" + ParamValue(time_zone) + ":" + LocalStamp(at, offset);
}

}  // namespace

std::string EscapeIcsText(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case ';': out += "\\;"; break;
      case ',': out += "\\,"; break;
      case '\n': out += "\\n"; break;
      case '\r': break;
      default: out += c;
    }
  }
  return out;
}

std::string FoldIcsLine(const std::string& line) {
  std::string out;
  std::size_t pos = 0;
  std::size_t limit = kMaxLineOctets;  // continuation lines spend one on the space
  while (line.size() - pos > limit) {
    std::size_t cut = pos + limit;
    // Back up over UTF-8 continuation bytes (10xxxxxx) so a sequence stays whole.
    while (cut > pos && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    if (cut == pos) cut = pos + limit;
    out.append(line, pos, cut - pos);
    out += "\r\n ";
    pos = cut;
    limit = kMaxLineOctets - 1;
  }
  out.append(line, pos, std::string::npos);
  return out;
}

std::string RenderIcs(const IcsEvent& event) {
  if (event.uid.empty()) throw InvalidInput("calendar event has no uid");
  if (event.end <= event.start) {
    throw InvalidInput("calendar event " + event.uid + " ends before it starts");
  }
  std::string out;
  Line(out, "BEGIN:VCALENDAR");
  Line(out, "VERSION:2.0");
  Line(out, "PRODID:-//omni//booking//EN");
  Line(out, "CALSCALE:GREGORIAN");
  Line(out, event.cancelled ? "METHOD:CANCEL" : "METHOD:REQUEST");
  if (!event.time_zone.empty()) TimeZoneBlock(out, event.time_zone, event.start, event.end);
  Line(out, "BEGIN:VEVENT");
  Line(out, "UID:" + EscapeIcsText(event.uid));
  Line(out, "SEQUENCE:" + std::to_string(event.sequence));
  Line(out, "DTSTAMP:" + UtcStamp(event.stamp));
  Line(out, TimeProperty("DTSTART", event.start, event.time_zone));
  Line(out, TimeProperty("DTEND", event.end, event.time_zone));
  Line(out, "SUMMARY:" + EscapeIcsText(event.summary));
  if (!event.description.empty()) Line(out, "DESCRIPTION:" + EscapeIcsText(event.description));
  if (!event.location.empty()) Line(out, "LOCATION:" + EscapeIcsText(event.location));
  if (!event.organizer_email.empty()) {
    std::string cn = event.organizer_name.empty() ? "" : ";CN=" + ParamValue(event.organizer_name);
    Line(out, "ORGANIZER" + cn + ":mailto:" + MailAddress(event.organizer_email));
  }
  if (!event.attendee_email.empty()) {
    std::string cn = event.attendee_name.empty() ? "" : ";CN=" + ParamValue(event.attendee_name);
    Line(out, "ATTENDEE" + cn + ";ROLE=REQ-PARTICIPANT:mailto:" + MailAddress(event.attendee_email));
  }
  Line(out, event.cancelled ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
  Line(out, "TRANSP:OPAQUE");
  Line(out, "END:VEVENT");
  Line(out, "END:VCALENDAR");
  return out;
}

}  // namespace omni::booking
