// What omni tells the customer itself about the appointments a turn
// changed when no model can phrase it (core/chat/confirmation.hpp).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/chat/confirmation.hpp"

namespace omni::chat {
namespace {

using nlohmann::json;

// A tool result as core/chat/tools.cpp writes it: local date and time.
AppointmentChange Change(const std::string& tool, const std::string& flag, const std::string& date,
                         const std::string& time, const std::string& service = "Blowout") {
  return {tool, json{{"appointment_id", "0b7e3c9e-5d1a-4c2b-9f4e-1a2b3c4d5e6f"},
                     {"service", service},
                     {"date", date},
                     {"time", time},
                     {"end_time", "23:59"},
                     {"status", "SCHEDULED"},
                     {"customer_name", "Ann"},
                     {flag, true}}
                    .dump()};
}

}  // namespace

TEST_CASE("a booking, a move and a cancellation are each told in one sentence", "[chat]") {
  CHECK(ConfirmChanges({Change("book_appointment", "booked", "2026-12-09", "11:00")}) ==
        "You're booked for Wednesday 9 Dec at 11:00 (Blowout).");
  CHECK(ConfirmChanges({Change("reschedule_appointment", "rescheduled", "2027-01-05", "09:30", "Women's haircut")}) ==
        "Your Women's haircut is moved to Tuesday 5 Jan at 09:30.");
  CHECK(ConfirmChanges({Change("cancel_appointment", "canceled", "2026-11-28", "15:00")}) ==
        "Your Blowout on Saturday 28 Nov at 15:00 is canceled.");
}

TEST_CASE("several changes of one turn are told in their order", "[chat]") {
  CHECK(ConfirmChanges({Change("cancel_appointment", "canceled", "2026-12-01", "10:00"),
                        Change("book_appointment", "booked", "2026-12-02", "14:15", "Kids' cut")}) ==
        "Your Blowout on Tuesday 1 Dec at 10:00 is canceled. You're booked for Wednesday 2 Dec at 14:15 (Kids' cut).");
}

TEST_CASE("a result that names no appointment is left out", "[chat]") {
  CHECK(ConfirmChanges({}).empty());
  CHECK(ConfirmChanges({{"book_appointment", "not json"}}).empty());
  CHECK(ConfirmChanges({{"book_appointment", R"({"booked": true, "service": "Blowout", "date": "tomorrow"})"}}).empty());
  CHECK(ConfirmChanges({{"list_services", R"({"services": []})"},
                        Change("book_appointment", "booked", "2026-12-09", "11:00")}) ==
        "You're booked for Wednesday 9 Dec at 11:00 (Blowout).");
}

}  // namespace omni::chat
