// notify's reaction to booking's appointment events (see
// core/booking/appointment_events_tx.hpp): the customer's mail and
// reminders, and the business's webhooks, enqueued in the transaction of
// the change.
#include "core/booking/appointment_events_tx.hpp"

#include <date/date.h>

#include <nlohmann/json.hpp>

#include "core/notify/notify_tx.hpp"
#include "core/webhooks/webhooks_tx.hpp"

namespace omni::booking {
namespace {

// The event names: "cancelled" although the status is CANCELED.
const char* EventName(AppointmentChange change) {
  switch (change) {
    case AppointmentChange::kCreated: return "appointment.created";
    case AppointmentChange::kRescheduled: return "appointment.rescheduled";
    case AppointmentChange::kCanceled: return "appointment.cancelled";
  }
  return "appointment.created";
}

std::string IsoTime(TimePoint t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", std::chrono::floor<std::chrono::seconds>(t));
}

}  // namespace

void OnAppointmentChanged(pqxx::work& tx, const AppointmentChanged& event) {
  notify::EnqueueAppointmentNotices(tx, event.business_id, event.appointment_id, event.sequence, event.start,
                                    event.change, event.now);
  webhooks::Publish(tx, event.business_id, EventName(event.change),
                    {{"appointment_id", event.appointment_id},
                     {"service_id", event.service_id},
                     {"customer_id", event.customer_id},
                     {"start", IsoTime(event.start)},
                     {"end", IsoTime(event.end)},
                     {"sequence", event.sequence}},
                    event.now);
}

}  // namespace omni::booking
