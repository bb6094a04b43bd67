// RFC 5545 rendering of an appointment. See ics.hpp.
#include "core/booking/ics.hpp"

#include <date/date.h>

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
  Line(out, "BEGIN:VEVENT");
  Line(out, "UID:" + EscapeIcsText(event.uid));
  Line(out, "SEQUENCE:" + std::to_string(event.sequence));
  Line(out, "DTSTAMP:" + UtcStamp(event.stamp));
  Line(out, "DTSTART:" + UtcStamp(event.start));
  Line(out, "DTEND:" + UtcStamp(event.end));
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
