// iCalendar (RFC 5545) rendering of one appointment, for `omni book ics` and
// for attaching to confirmation mail. Pure: the caller passes every value,
// including the DTSTAMP instant. Thread-safe.
//
// Output: CRLF line ends; content lines folded at 75 octets without
// splitting a UTF-8 sequence (continuations start with one space); TEXT
// values escaped (\\ \; \, \n). With a time zone, DTSTART and DTEND are
// local times with TZID and the calendar carries a VTIMEZONE for the
// zone's offsets around the event (from the system tz database), so a
// calendar shows the business's wall time; without one they are UTC
// ("...Z"). DTSTAMP is always UTC. A live event is
// METHOD:REQUEST with STATUS:CONFIRMED; a cancelled one is METHOD:CANCEL with
// STATUS:CANCELLED. The UID is stable for the appointment and SEQUENCE grows
// with each reschedule or cancellation, so calendars update the same event.
#pragma once

#include <string>

#include "core/common/clock.hpp"

namespace omni::booking {

struct IcsEvent {
  std::string uid;       // stable per appointment, e.g. "<uuid>@omni"
  int sequence = 0;      // bumped on every reschedule or cancellation
  TimePoint start;
  TimePoint end;
  TimePoint stamp;       // DTSTAMP: when this calendar object was made
  std::string time_zone; // IANA name, e.g. "America/New_York"; "" for UTC
  std::string summary;   // e.g. "Women's haircut at Acme Salon"
  std::string description;
  std::string location;
  std::string organizer_name;   // the business; omitted when email empty
  std::string organizer_email;
  std::string attendee_name;    // the customer; omitted when email empty
  std::string attendee_email;
  bool cancelled = false;
};

// Renders a VCALENDAR holding one VEVENT. Throws InvalidInput when the uid
// is empty or the end is not after the start, ConfigError for a time zone
// the system does not know.
std::string RenderIcs(const IcsEvent& event);

// Escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and
// newlines; carriage returns are dropped.
std::string EscapeIcsText(const std::string& text);

// Folds one content line (without its CRLF) into lines of at most 75
// octets joined by CRLF + space, never inside a UTF-8 sequence.
std::string FoldIcsLine(const std::string& line);

}  // namespace omni::booking
