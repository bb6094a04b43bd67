// The offline booking dialogue's language (core/chat/offline_booking.hpp):
// phrasings of requests, answers and corrections, each with the slots it
// must fill, read on Tuesday 2026-11-24 with the demo salon's services.
#include <catch2/catch.hpp>

#include "core/booking/local_time.hpp"
#include "core/chat/offline_booking.hpp"

namespace omni::chat {
namespace {

const std::vector<std::string> kServiceNames = {"Women's haircut", "Men's haircut",       "Kids' cut",
                                            "Blowout",         "Single-process color", "Partial highlights",
                                            "Balayage",        "Deep conditioning treatment", "Color consultation",
                                            "Keratin smoothing"};

struct Phrasing {
  const char* text;
  Awaiting awaiting;
  DateOrder order;
  BookingIntent intent;
  const char* service;   // "" none; "A|B" several to pick from
  const char* date;      // "YYYY-MM-DD" or ""
  const char* time;      // "HH:MM" or ""
  const char* range;     // "HH:MM-HH:MM" or ""
  const char* name;
  const char* email;
  const char* phone;
  int yes;               // -1 unsaid, 0 no, 1 yes
  int choice;            // 0 unsaid, -1 "last"
  const char* from_date;
};

constexpr auto N = Awaiting::kNothing;
constexpr auto US = DateOrder::kMonthFirst;
constexpr auto EU = DateOrder::kDayFirst;
constexpr auto kNone = BookingIntent::kNone;
constexpr auto kBook = BookingIntent::kBook;
constexpr auto kMove = BookingIntent::kReschedule;
constexpr auto kCancel = BookingIntent::kCancel;

const Phrasing kPhrasings[] = {
    // Requests.
    {"I'd like to book a women's haircut tomorrow at 10", N, US, kBook, "Women's haircut", "2026-11-25", "10:00", "", "", "", "", -1, 0, ""},
    {"Can I book a blowout on Saturday at 9?", N, US, kBook, "Blowout", "2026-11-28", "09:00", "", "", "", "", -1, 0, ""},
    {"book a men's haircut next Tuesday at 2pm", N, US, kBook, "Men's haircut", "2026-12-01", "14:00", "", "", "", "", -1, 0, ""},
    {"Do you have anything on Dec 9 for balayage?", N, US, kBook, "Balayage", "2026-12-09", "", "", "", "", "", -1, 0, ""},
    {"Women’s Haircuts on 9/12 at 10am please", N, US, kNone, "Women's haircut", "2027-09-12", "10:00", "", "", "", "", -1, 0, ""},
    {"women's haircut on 9/12 at 10am", N, EU, kNone, "Women's haircut", "2026-12-09", "10:00", "", "", "", "", -1, 0, ""},
    {"kids cut for my son thursday at 4", N, US, kNone, "Kids' cut", "2026-11-26", "16:00", "", "", "", "", -1, 0, ""},
    {"blow out on friday morning", N, US, kNone, "Blowout", "2026-11-27", "", "00:00-12:00", "", "", "", -1, 0, ""},
    {"Balayge on 12/3", N, US, kNone, "Balayage", "2026-12-03", "", "", "", "", "", -1, 0, ""},
    {"any openings for HIGHLIGHTS next saturday?", N, US, kBook, "Partial highlights", "2026-11-28", "", "", "", "", "", -1, 0, ""},
    {"I want a haircut", N, US, kBook, "Women's haircut|Men's haircut", "", "", "", "", "", "", -1, 0, ""},
    {"single process colour on sunday", N, US, kNone, "Single-process color", "2026-11-29", "", "", "", "", "", -1, 0, ""},
    {"deep conditioning the day after tomorrow at 11:30", N, US, kNone, "Deep conditioning treatment", "2026-11-26", "11:30", "", "", "", "", -1, 0, ""},
    {"something with color", N, US, kNone, "Single-process color|Color consultation", "", "", "", "", "", "", -1, 0, ""},
    {"is there availability today at noon?", N, US, kBook, "", "2026-11-24", "12:00", "", "", "", "", -1, 0, ""},
    {"December 24th at 9:15 am for a blowout", N, US, kNone, "Blowout", "2026-12-24", "09:15", "", "", "", "", -1, 0, ""},
    {"24 December at 9.15", N, EU, kNone, "", "2026-12-24", "09:15", "", "", "", "", -1, 0, ""},
    {"tues 10.30", N, US, kNone, "", "2026-11-24", "10:30", "", "", "", "", -1, 0, ""},
    {"2026-12-09 14:00", N, US, kNone, "", "2026-12-09", "14:00", "", "", "", "", -1, 0, ""},
    {"anything Saturday afternoon?", N, US, kNone, "", "2026-11-28", "", "12:00-17:00", "", "", "", -1, 0, ""},
    {"between 2 and 4 on wednesday", N, US, kNone, "", "2026-11-25", "", "14:00-16:00", "", "", "", -1, 0, ""},
    {"before 3 on Thursday", N, US, kNone, "", "2026-11-26", "", "00:00-15:00", "", "", "", -1, 0, ""},
    {"Saturday after 5", N, US, kNone, "", "2026-11-28", "", "17:00-24:00", "", "", "", -1, 0, ""},
    {"in the evening", N, US, kNone, "", "", "", "17:00-24:00", "", "", "", -1, 0, ""},
    {"at 7pm", N, US, kNone, "", "", "19:00", "", "", "", "", -1, 0, ""},
    {"Where can I park?", N, US, kNone, "", "", "", "", "", "", "", -1, 0, ""},
    {"How much is a blowout?", N, US, kNone, "Blowout", "", "", "", "", "", "", -1, 0, ""},
    {"can I get a refund", N, US, kNone, "", "", "", "", "", "", "", -1, 0, ""},
    {"I need to cancel my appointment", N, US, kCancel, "", "", "", "", "", "", "", -1, 0, ""},
    {"can't make it tomorrow, please cancel", N, US, kCancel, "", "2026-11-25", "", "", "", "", "", -1, 0, ""},
    {"Can I reschedule to Friday at 3?", N, US, kMove, "", "2026-11-27", "15:00", "", "", "", "", -1, 0, ""},
    {"move my Dec 9 appointment to Dec 10 at 3", N, US, kMove, "", "2026-12-10", "15:00", "", "", "", "", -1, 0, "2026-12-09"},
    {"I need a different time for my blowout", N, US, kMove, "Blowout", "", "", "", "", "", "", -1, 0, ""},
    {"can I get a blow dry on friday at 4?", N, US, kBook, "Blowout", "2026-11-27", "16:00", "", "", "", "", -1, 0, ""},
    {"Ladies cuts next wed", N, US, kNone, "Women's haircut", "2026-11-25", "", "", "", "", "", -1, 0, ""},
    // Answers to the question asked.
    {"10", Awaiting::kTime, US, kNone, "", "", "10:00", "", "", "", "", -1, 0, ""},
    {"3", Awaiting::kTime, US, kNone, "", "", "15:00", "", "", "", "", -1, 0, ""},
    {"half past two", Awaiting::kTime, US, kNone, "", "", "14:30", "", "", "", "", -1, 0, ""},
    {"quarter to five", Awaiting::kTime, US, kNone, "", "", "16:45", "", "", "", "", -1, 0, ""},
    {"the second one", Awaiting::kTime, US, kNone, "", "", "", "", "", "", "", -1, 2, ""},
    {"the last one please", Awaiting::kTime, US, kNone, "", "", "", "", "", "", "", -1, -1, ""},
    {"2", Awaiting::kAppointment, US, kNone, "", "", "", "", "", "", "", -1, 2, ""},
    {"the 9th", Awaiting::kDate, US, kNone, "", "2026-12-09", "", "", "", "", "", -1, 0, ""},
    {"Sunday", Awaiting::kDate, US, kNone, "", "2026-11-29", "", "", "", "", "", -1, 0, ""},
    {"Maria Lopez", Awaiting::kName, US, kNone, "", "", "", "", "Maria Lopez", "", "", -1, 0, ""},
    {"It's Jane Doe, jane.doe@example.com", Awaiting::kName, US, kNone, "", "", "", "", "Jane Doe", "jane.doe@example.com", "", -1, 0, ""},
    {"my name is Ann Lee and my email is Ann@Example.com", N, US, kNone, "", "", "", "", "Ann Lee", "Ann@Example.com", "", -1, 0, ""},
    {"I'm Tom, 555-010-2030", Awaiting::kName, US, kNone, "", "", "", "", "Tom", "", "555-010-2030", -1, 0, ""},
    {"this is Priya Shah", N, US, kNone, "", "", "", "", "Priya Shah", "", "", -1, 0, ""},
    {"+1 (718) 555-0142", Awaiting::kContact, US, kNone, "", "", "", "", "", "", "+1 (718) 555-0142", -1, 0, ""},
    {"you can email me at jo@example.org", Awaiting::kContact, US, kNone, "", "", "", "", "", "jo@example.org", "", -1, 0, ""},
    {"I'm free on Friday", N, US, kNone, "", "2026-11-27", "", "", "", "", "", -1, 0, ""},
    {"yes", Awaiting::kConfirm, US, kNone, "", "", "", "", "", "", "", 1, 0, ""},
    {"Yep, book it!", Awaiting::kConfirm, US, kBook, "", "", "", "", "", "", "", 1, 0, ""},
    {"sounds good", Awaiting::kConfirm, US, kNone, "", "", "", "", "", "", "", 1, 0, ""},
    {"Nope", Awaiting::kConfirm, US, kNone, "", "", "", "", "", "", "", 0, 0, ""},
    // Corrections.
    {"no, make it 11", Awaiting::kConfirm, US, kNone, "", "", "11:00", "", "", "", "", 0, 0, ""},
    {"actually Saturday instead", Awaiting::kConfirm, US, kNone, "", "2026-11-28", "", "", "", "", "", -1, 0, ""},
    {"sorry, I meant a men's haircut", Awaiting::kConfirm, US, kNone, "Men's haircut", "", "", "", "", "", "", -1, 0, ""},
    {"no wait, 10:30 am", Awaiting::kConfirm, US, kNone, "", "", "10:30", "", "", "", "", 0, 0, ""},
};

std::string Clock(std::optional<int> minutes) {
  if (!minutes) return "";
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", *minutes / 60, *minutes % 60);
  return text;
}

std::string Day(const std::optional<std::chrono::year_month_day>& day) {
  return day ? booking::FormatDate(*day) : "";
}

const std::chrono::year_month_day kToday = booking::ParseDate("2026-11-24", "today");

ParseContext Context(Awaiting awaiting, DateOrder order = DateOrder::kMonthFirst) {
  ParseContext context;
  for (const auto& name : kServiceNames) context.services.push_back({name, {}});
  // As config/demo-salon.yaml has them.
  context.services[0].aliases = {"ladies cut"};
  context.services[3].aliases = {"blow dry", "blow-dry"};
  context.today = kToday;
  context.date_order = order;
  context.awaiting = awaiting;
  return context;
}

}  // namespace

TEST_CASE("the offline dialogue reads requests, answers and corrections into slots", "[chat][offline-booking]") {
  STATIC_REQUIRE(sizeof(kPhrasings) / sizeof(kPhrasings[0]) >= 40);
  for (const auto& p : kPhrasings) {
    INFO("message: " << p.text);
    const auto slots = ParseBookingMessage(p.text, Context(p.awaiting, p.order));
    CHECK(IntentName(slots.intent) == std::string(IntentName(p.intent)));
    std::string service = slots.service;
    for (const auto& name : slots.services) service += (service.empty() ? "" : "|") + name;
    CHECK(service == p.service);
    CHECK(Day(slots.date) == p.date);
    CHECK(Clock(slots.time_min) == p.time);
    CHECK((slots.range ? Clock(slots.range->from_min) + "-" + Clock(slots.range->to_min) : "") == p.range);
    CHECK(slots.name == p.name);
    CHECK(slots.email == p.email);
    CHECK(slots.phone == p.phone);
    CHECK((slots.yes ? int(*slots.yes) : -1) == p.yes);
    CHECK(slots.choice.value_or(0) == p.choice);
    CHECK(Day(slots.from_date) == p.from_date);
  }
}

TEST_CASE("the answer to \"your name?\" is a name only when it looks like one", "[chat][offline-booking]") {
  CHECK(ParseBookingMessage("maria lopez", Context(Awaiting::kName)).name == "maria lopez");
  CHECK(ParseBookingMessage("hmm?", Context(Awaiting::kName)).name.empty());
  CHECK(ParseBookingMessage("what", Context(Awaiting::kName)).name.empty());
  CHECK(ParseBookingMessage("Where can I park", Context(Awaiting::kName)).name.empty());
  CHECK(ParseBookingMessage("I'm looking for a blowout", Context(Awaiting::kNothing)).name.empty());
}

TEST_CASE("a date without a year is the next one, and never a past one", "[chat][offline-booking]") {
  CHECK(Day(ParseBookingMessage("Nov 3", Context(Awaiting::kDate)).date) == "2027-11-03");
  CHECK(Day(ParseBookingMessage("Nov 24", Context(Awaiting::kDate)).date) == "2026-11-24");
  CHECK(Day(ParseBookingMessage("Feb 30", Context(Awaiting::kDate)).date).empty());
  CHECK(Day(ParseBookingMessage("Tuesday", Context(Awaiting::kDate)).date) == "2026-11-24");
  CHECK(Day(ParseBookingMessage("next Tuesday", Context(Awaiting::kDate)).date) == "2026-12-01");
}

TEST_CASE("a reply picking among a few services matches loosely", "[chat][offline-booking]") {
  auto context = Context(Awaiting::kService);
  context.services = {{"Women's haircut", {}}, {"Men's haircut", {}}};
  CHECK(ParseBookingMessage("men's", context).service == "Men's haircut");
  CHECK(ParseBookingMessage("the womens one", context).service == "Women's haircut");
  CHECK(ParseBookingMessage("2", context).choice == 2);
}

TEST_CASE("slots fold into the dialogue's state, corrections replacing what was said", "[chat][offline-booking]") {
  const auto read = [](const char* text, const DialogueState& state) {
    return MergeSlots(state, ParseBookingMessage(text, Context(state.awaiting)));
  };
  auto state = read("I'd like to book a women's haircut tomorrow at 10", {});
  CHECK(state.intent == BookingIntent::kBook);
  CHECK(state.service == "Women's haircut");
  state.name = "Maria Lopez";
  state.email = "maria@example.com";
  state.awaiting = Awaiting::kConfirm;
  state = read("no, make it 11", state);
  CHECK(Clock(state.time_min) == "11:00");
  CHECK(Day(state.date) == "2026-11-25");
  state = read("actually Saturday instead", state);
  CHECK(Day(state.date) == "2026-11-28");
  CHECK(Clock(state.time_min) == "11:00");

  // A service and a day name a booking even without the word.
  CHECK(read("blowout on friday at 2", {}).intent == BookingIntent::kBook);
  CHECK(read("How much is a blowout?", {}).intent == BookingIntent::kNone);

  // Offered starts: picked by position, or by a time only one of them has.
  DialogueState offered;
  offered.intent = BookingIntent::kBook;
  offered.service = "Blowout";
  offered.awaiting = Awaiting::kTime;
  offered.offered = {"2026-11-25 10:00", "2026-11-26 10:30", "2026-11-27 11:00"};
  auto picked = read("the second one", offered);
  CHECK(Day(picked.date) == "2026-11-26");
  CHECK(Clock(picked.time_min) == "10:30");
  CHECK(picked.offered.empty());
  picked = read("11am works", offered);
  CHECK(Day(picked.date) == "2026-11-27");
  picked = read("the last one", offered);
  CHECK(Clock(picked.time_min) == "11:00");

  // Another intent starts over and keeps the contact; "never mind" stops.
  auto cancel = read("actually, cancel my appointment", state);
  CHECK(cancel.intent == BookingIntent::kCancel);
  CHECK(cancel.service.empty());
  CHECK_FALSE(cancel.date);
  CHECK(cancel.name == "Maria Lopez");
  auto stopped = read("never mind", state);
  CHECK(stopped.intent == BookingIntent::kNone);
  CHECK(stopped.email == "maria@example.com");
  CHECK(read("never mind, cancel my appointment", state).intent == BookingIntent::kCancel);

  // Booking words during a reschedule ("any openings after 5?") continue it.
  DialogueState moving;
  moving.intent = BookingIntent::kReschedule;
  moving.appointment_id = "a1";
  moving.awaiting = Awaiting::kTime;
  auto still = read("any openings after 5?", moving);
  CHECK(still.intent == BookingIntent::kReschedule);
  CHECK(still.appointment_id == "a1");
  REQUIRE(still.range);
  CHECK(still.range->from_min == 17 * 60);
}

TEST_CASE("the dialogue's state survives its JSON form", "[chat][offline-booking]") {
  DialogueState state;
  state.intent = BookingIntent::kReschedule;
  state.service = "Blowout";
  state.service_choices = {"A", "B"};
  state.date = booking::ParseDate("2026-12-09", "date");
  state.time_min = 14 * 60 + 30;
  state.range = TimeRange{17 * 60, 24 * 60};
  state.name = "Maria";
  state.email = "m@example.com";
  state.phone = "+1 555 0100";
  state.appointment_id = "0b7e0e0e-1111-4111-8111-000000000001";
  state.appointment_choices = {"x", "y"};
  state.offered = {"2026-12-09 10:00"};
  state.awaiting = Awaiting::kConfirm;
  const auto back = StateFromJson(StateToJson(state));
  REQUIRE(back);
  CHECK(*back == state);
  CHECK_FALSE(StateFromJson("{}"));
  CHECK_FALSE(StateFromJson("not json"));
  CHECK_FALSE(StateFromJson(R"({"intent": "book", "date": "2026-13-40"})"));
}

TEST_CASE("the business's time zone decides how 9/12 reads, and times are shown its way", "[chat][offline-booking]") {
  CHECK(DateOrderFor("America/New_York") == DateOrder::kMonthFirst);
  CHECK(DateOrderFor("America/Indiana/Indianapolis") == DateOrder::kMonthFirst);
  CHECK(DateOrderFor("Pacific/Honolulu") == DateOrder::kMonthFirst);
  CHECK(DateOrderFor("Europe/London") == DateOrder::kDayFirst);
  CHECK(DateOrderFor("America/Toronto") == DateOrder::kDayFirst);
  CHECK(DateOrderFor("Australia/Sydney") == DateOrder::kDayFirst);
  CHECK(FormatClock(14 * 60 + 30, DateOrder::kMonthFirst) == "2:30 PM");
  CHECK(FormatClock(0, DateOrder::kMonthFirst) == "12:00 AM");
  CHECK(FormatClock(12 * 60, DateOrder::kMonthFirst) == "12:00 PM");
  CHECK(FormatClock(9 * 60 + 5, DateOrder::kDayFirst) == "09:05");
  CHECK(FormatDay(booking::ParseDate("2026-12-09", "d")) == "Wednesday, December 9");
}

TEST_CASE("typos are measured with swaps counting once", "[chat][offline-booking]") {
  CHECK(EditDistance("balayage", "balayage") == 0);
  CHECK(EditDistance("balayge", "balayage") == 1);
  CHECK(EditDistance("blowuot", "blowout") == 1);
  CHECK(EditDistance("colour", "color") == 1);
  CHECK(EditDistance("men", "women") == 2);
  CHECK(EditDistance("", "abc") == 3);
}

TEST_CASE("a very long message is read only at its start, without exhausting the stack", "[chat][offline-booking]") {
  const std::string digits(100000, '5');
  std::string spaced;
  for (int i = 0; i < 50000; ++i) spaced += "1 ";
  const auto long_tail = "book a blowout tomorrow at 10 " + std::string(100000, 'a');
  CHECK(ParseBookingMessage(digits, Context(Awaiting::kContact)).phone.size() <= 1000);
  CHECK(ParseBookingMessage(spaced, Context(Awaiting::kTime)).date == std::nullopt);
  const auto slots = ParseBookingMessage(long_tail, Context(Awaiting::kNothing));
  CHECK(slots.service == "Blowout");
  CHECK(Clock(slots.time_min) == "10:00");
}

}  // namespace omni::chat
