// The event booking raises when an appointment is created, moved or
// canceled, inside the transaction of that change. Booking declares it and
// knows nothing of what follows; the module that reacts (core/notify:
// confirmation mail, reminders, webhooks) defines OnAppointmentChanged. So
// notify depends on booking (it reads appointments) and never the reverse.
// Includes <pqxx/pqxx> through core/db/pqxx.hpp, so public headers must not
// include this one.
#pragma once

#include <string>

#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"

namespace omni::booking {

enum class AppointmentChange { kCreated, kRescheduled, kCanceled };

struct AppointmentChanged {
  AppointmentChange change = AppointmentChange::kCreated;
  std::string business_id;
  std::string appointment_id;
  std::string service_id;
  std::string customer_id;
  int sequence = 0;   // after the change (ICS SEQUENCE)
  TimePoint start;    // after the change; a cancellation keeps the old one
  TimePoint end;
  TimePoint now;      // when the change was made
};

// Reacts to `event` within `tx`: whatever it enqueues commits or rolls
// back with the change. Throws as the reaction's own writes do; booking
// lets that abort the change.
void OnAppointmentChanged(pqxx::work& tx, const AppointmentChanged& event);

}  // namespace omni::booking
