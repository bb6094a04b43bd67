// notify's reaction to booking's appointment events (see
// core/booking/appointment_events_tx.hpp): the customer's mail and
// reminders, enqueued in the transaction of the change.
#include "core/booking/appointment_events_tx.hpp"
#include "core/notify/notify_tx.hpp"

namespace omni::booking {

void OnAppointmentChanged(pqxx::work& tx, const AppointmentChanged& event) {
  notify::EnqueueAppointmentNotices(tx, event.business_id, event.appointment_id, event.sequence, event.start,
                                    event.change, event.now);
}

}  // namespace omni::booking
