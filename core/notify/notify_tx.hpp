// Enqueueing notifications inside the caller's transaction, so that a
// booking is never without its confirmation job, nor the reverse. Includes
// <pqxx/pqxx> through core/db/pqxx.hpp, so public headers must not include
// this one.
#pragma once

#include <string>

#include "core/booking/appointment_events_tx.hpp"
#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"

namespace omni::notify {

using booking::AppointmentChange;

// The customer's mail about the change (confirmation, update or
// cancellation), due now, and for a created or moved appointment one
// reminder per lead time of the business (notifications.reminders) that is
// still ahead: a lead time already passed at `now` gets none. Reminders of
// an earlier sequence stay queued and are skipped when due, since the
// appointment moved or was canceled.
void EnqueueAppointmentNotices(pqxx::work& tx, const std::string& business_id, const std::string& appointment_id,
                               int sequence, TimePoint start, AppointmentChange change, TimePoint now);

// The team's alert that a conversation was handed off, due at once.
void EnqueueHandoffAlert(pqxx::work& tx, const std::string& business_id, const std::string& conversation_id,
                         const std::string& reason);

}  // namespace omni::notify
