// What omni tells the customer itself about the appointments a turn booked,
// moved or cancelled, when no model can phrase the answer: the change is
// made and stands, so the customer must learn of it, or they will likely
// book again. Pure.
// Thread-safe: functions only read their arguments.
#pragma once

#include <string>
#include <vector>

namespace omni::chat {

// One tool call of the turn that changed an appointment (its ToolOutcome
// had an appointment_id).
struct AppointmentChange {
  std::string tool;         // book_appointment, reschedule_appointment or cancel_appointment
  std::string result_json;  // the tool's result: service, date and time local to the business
};

// One sentence per change, in order, joined by spaces:
//   You're booked for Tuesday 9 Dec at 11:00 (Blowout).
//   Your Blowout is moved to Wednesday 10 Dec at 14:00.
//   Your Blowout on Tuesday 9 Dec at 11:00 is cancelled.
// A result that is not one of these, or lacks a valid date, time or
// service, is left out; "" when none is left.
std::string ConfirmChanges(const std::vector<AppointmentChange>& changes);

}  // namespace omni::chat
