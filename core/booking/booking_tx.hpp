// Booking reads inside a caller's transaction, for core .cpp files that
// already hold one (the chat engine reads a customer's upcoming
// appointments in the same transaction that stores their message).
// Includes <pqxx/pqxx> through core/db/pqxx.hpp, so public headers must not
// include this one.
#pragma once

#include <string>
#include <vector>

#include "core/booking/booking.hpp"
#include "core/db/pqxx.hpp"

namespace omni::booking {

// The customer's live (SCHEDULED or CONFIRMED) appointments with the
// business that start at or after `from`, ordered by start, at most `limit`.
std::vector<Appointment> Upcoming(pqxx::work& tx, const std::string& business_id, const std::string& customer_id,
                                  TimePoint from, int limit);

// The appointment of the business; InvalidInput for a malformed id,
// NotFound for an unknown one (or one of another business).
Appointment Get(pqxx::work& tx, const std::string& business_id, const std::string& appointment_id);

// The appointment as an RFC 5545 calendar in the business's time zone, as
// `omni book ics` and the confirmation mail carry it: UID "<id>@omni", its
// SEQUENCE, METHOD:CANCEL once cancelled. `stamp` is the DTSTAMP.
std::string AppointmentIcs(pqxx::work& tx, const Appointment& appointment, TimePoint stamp);

}  // namespace omni::booking
