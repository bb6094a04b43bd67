// The offline booking dialogue's language: how omni, with no model, reads
// what a customer writes about booking (the intent, which service, the date
// and time, their name and contact, yes or no) into slots, and the state of
// the dialogue that the slots fill across turns. The database steps (free
// starts, booking, cancelling) live in the engine; this part is pure, so
// every phrasing is a unit test.
//
// Dates are the business's local dates: `today` comes from the caller, who
// reads the clock in the business's time zone. Numeric dates ("9/12") are
// read in the order of the business's locale, which omni takes from its
// time zone (DateOrderFor): a business file has no locale field, and the
// zone names the country closely enough for the one question that matters.
// Thread-safe: functions only read their arguments.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace omni::chat {

enum class BookingIntent { kNone, kBook, kReschedule, kCancel };
// "none", "book", "reschedule", "cancel".
const char* IntentName(BookingIntent intent);

// The order of day and month in "9/12".
enum class DateOrder { kMonthFirst, kDayFirst };
// Month first for the United States' zones (America/New_York, Chicago,
// Denver, Phoenix, Los_Angeles, Anchorage, Detroit, Boise, Indiana/...,
// Kentucky/..., North_Dakota/..., Pacific/Honolulu and the like) and the
// Philippines (Asia/Manila); day first everywhere else.
DateOrder DateOrderFor(const std::string& time_zone);

// A part of the day, local minutes [from_min, to_min): "morning", "after 5".
struct TimeRange {
  int from_min = 0;
  int to_min = 24 * 60;
  bool operator==(const TimeRange&) const = default;
};

// What the last question asked, so that a bare answer ("10", "Maria
// Lopez", "yes", "2") reads as that.
enum class Awaiting { kNothing, kService, kDate, kTime, kName, kContact, kConfirm, kAppointment };

// What one message says. Empty or unset: the message does not say it.
struct BookingSlots {
  BookingIntent intent = BookingIntent::kNone;
  std::string service;                  // one service's name, as the business spells it
  std::vector<std::string> services;    // several fit ("a haircut"): the customer must pick
  std::optional<std::chrono::year_month_day> date;
  std::optional<int> time_min;          // local minutes since midnight
  std::optional<TimeRange> range;       // a part of the day instead of a time
  // "move my Tuesday 10am to Thursday": the appointment being changed.
  std::optional<std::chrono::year_month_day> from_date;
  std::optional<int> from_time_min;
  std::string name;
  std::string email;
  std::string phone;
  std::optional<bool> yes;              // an answer to a yes-or-no question
  std::optional<int> choice;            // "the second one": 1-based
  bool stop = false;                    // "never mind"
};

// A service as customers may name it.
struct ServiceNames {
  std::string name;
  std::vector<std::string> aliases;  // ServiceSpec::aliases
};

struct ParseContext {
  std::vector<ServiceNames> services;   // the business's active services
  std::chrono::year_month_day today;    // the business's local date
  DateOrder date_order = DateOrder::kMonthFirst;
  Awaiting awaiting = Awaiting::kNothing;
};

// Reads one message. Services match by name or alias, ignoring case, apostrophes,
// plurals and a small typo per word (Damerau-Levenshtein distance 1 for
// words of 4 to 9 letters, 2 from 10); one distinctive word of 5 letters or
// more ("balayage", "highlights") is enough, and a word several services
// share ("haircut") gives them all in `services`. Dates: "today",
// "tomorrow", weekdays ("Saturday" is the next one, today included; "next
// Saturday" the next one after today), "Dec 9", "9th of December", "9/12"
// (context.date_order), "2026-12-09", "the 9th"; a date without a year is
// the next one on or after today. Times: "10am", "10:30", "14:00", "at 10",
// "half past two", "quarter to five", "noon"; an hour without am or pm is
// afternoon from 1 to 7 and morning from 8 to 11. Ranges: "morning"
// (before 12:00), "afternoon" (12:00 to 17:00), "evening" (from 17:00),
// "after 5", "before 3", "between 2 and 4". Only the first 1000 bytes
// of a message are read.
BookingSlots ParseBookingMessage(const std::string& text, const ParseContext& context);

// The dialogue so far, stored with each of its replies (see StateToJson).
struct DialogueState {
  BookingIntent intent = BookingIntent::kNone;
  std::string service;
  std::vector<std::string> service_choices;  // asked to pick one of these
  std::optional<std::chrono::year_month_day> date;
  std::optional<int> time_min;
  std::optional<TimeRange> range;
  std::string name;
  std::string email;
  std::string phone;
  std::string appointment_id;                // reschedule, cancel: the one chosen
  std::vector<std::string> appointment_choices;  // asked to pick one of these ids
  std::vector<std::string> offered;          // starts offered, "YYYY-MM-DD HH:MM" local
  Awaiting awaiting = Awaiting::kNothing;
  bool operator==(const DialogueState&) const = default;
};

// Folds a message's slots into the state. A slot said again replaces the
// old one (a correction: "no, make it 11", "Saturday instead" keeps the
// time); a new service, date or time drops the starts offered, and a time
// alone picks the day of the one offered start at that time. "the second
// one" picks from the offered starts, services or appointments (whichever
// was asked). `stop`, and another intent (but booking words during a
// reschedule), start over with this message's slots; the name and contact
// are kept.
DialogueState MergeSlots(DialogueState state, const BookingSlots& slots);

// The state as a JSON object's text, and back; nullopt for text that is
// not a state (a reply stored before this dialogue existed).
std::string StateToJson(const DialogueState& state);
std::optional<DialogueState> StateFromJson(const std::string& text);

// "Tuesday, December 9".
std::string FormatDay(std::chrono::year_month_day day);
// "10:00 AM" (month-first locales) or "10:00".
std::string FormatClock(int minutes, DateOrder order);

// The optimal-string-alignment Damerau-Levenshtein distance (a swap of
// two neighbours counts one), for typos.
int EditDistance(const std::string& a, const std::string& b);

}  // namespace omni::chat
