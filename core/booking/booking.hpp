// The booking service: slots, appointments and their life cycle on the
// database. `omni book` and the assistant's tools both call this API.
//
// Every call is scoped by a business id: rows of other businesses are never
// read or changed. The database decides races: an exclusion constraint over
// each live booking's blocked range (per business and resource) makes a
// double booking impossible, and a request that loses comes back as
// kSlotTaken with up to three nearest alternatives, not as an error. Time
// is read only from the Clock given at construction.
//
// Resources (chairs, providers; the business file's `resources`): without
// active resources a booking takes the whole business. With them, every
// booking takes one resource, bookings on different resources coexist, and
// a booking without a resource (made before resources existed) still blocks
// them all. Slots lists a start when at least one active resource is free
// for it (availability.hpp); Create takes the first free resource in name
// order (case-insensitive, then id) unless the request names one.
//
// Statuses: SCHEDULED -> CONFIRMED; SCHEDULED or CONFIRMED -> CANCELED (frees
// the slot), COMPLETED or NO_SHOW (once the start has passed). Asking for
// the status an appointment already has changes nothing.
// Thread-safe: a BookingService holds references only; each call leases its own
// connection.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::booking {

enum class Status { kScheduled, kConfirmed, kCompleted, kCanceled, kNoShow };
// "SCHEDULED", "CONFIRMED", "COMPLETED", "CANCELED", "NO_SHOW".
const char* StatusName(Status status);
// Parses a status case-insensitively; accepts "cancelled" and "no-show".
// Throws InvalidInput listing the valid names.
Status ParseStatus(const std::string& text);

struct Appointment {
  std::string id;
  std::string business_id;
  std::string time_zone;          // the business's, to show local times
  std::string service_id;
  std::string service_name;
  std::string customer_id;
  std::string customer_name;
  std::string customer_email;     // the key, else the claimed one; "" when unknown
  std::string customer_phone;
  std::string resource_id;        // "" when the booking takes the whole business
  std::string resource_name;
  std::string conversation_id;    // the chat that booked it; "" when booked otherwise
  TimePoint start;
  TimePoint end;
  Status status = Status::kScheduled;
  int sequence = 0;               // ICS SEQUENCE
  std::string notes;
  std::string cancel_reason;
  TimePoint created_at;
  TimePoint updated_at;
};

struct SlotList {
  std::string time_zone;
  std::string service_id;
  std::string service_name;
  int duration_min = 0;
  std::vector<TimePoint> starts;  // ascending, UTC
  // Why `starts` is empty (availability.hpp's NoSlotsText: "fully booked",
  // "beyond the 60-day booking window", ...); "" when it is not.
  std::string why_none;
};

struct CustomerInfo {
  std::string name;
  std::string email;  // email or phone is required; a customer of the
  std::string phone;  // business with either is reused, else one is created
};

struct CreateRequest {
  std::string service;        // name (case-insensitive) or id
  TimePoint start;
  CustomerInfo customer;
  std::string notes;
  std::string resource;       // resource name or id; "" takes the first free one
  std::string conversation_id;  // optional: the chat that booked it
  // A public chat's booking: `customer` is what the visitor typed, a claim.
  // The booking is then for `customer_id` (the chat's own customer), or a
  // new customer holding the claims when "", and never for a customer
  // matched by the contact.
  bool contact_is_claim = false;
  std::string customer_id;
};

struct BookingResult {
  enum Outcome { kBooked, kSlotTaken };
  Outcome outcome = kBooked;
  std::optional<Appointment> appointment;  // set when kBooked
  std::vector<TimePoint> alternatives;     // kSlotTaken: up to 3, nearest first
};

struct ListFilter {
  std::optional<TimePoint> from;    // appointments starting at or after
  std::optional<TimePoint> to;      // ... and before
  std::optional<Status> status;
  std::string customer;             // id, email, phone (claimed ones too), or part of the name
  std::string conversation_id;      // only those the chat with this id booked
  int limit = 200;
  std::string after;                // NextCursor of a page's last appointment: the ones after it
};

// The cursor naming `appointment`'s place in List's order (start, id), for
// ListFilter::after: opaque to callers.
std::string NextCursor(const Appointment& appointment);

class BookingService {
 public:
  BookingService(db::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // The id of the business with `slug`; NotFound when there is none.
  std::string BusinessIdForSlug(const std::string& slug);

  // The business's IANA time zone, for reading and showing local times.
  // NotFound for an unknown business.
  std::string TimeZone(const std::string& business_id);

  // Offered starts of `service` (name or id) over `days` local dates from
  // `first_day`: starts at which at least one active resource is free, or
  // only `resource` (name or id) when given. Throws NotFound for an unknown
  // service or resource, InvalidInput when the service is not bookable or
  // days is outside 1..90, ConfigError for invalid stored hours or time zone.
  SlotList Slots(const std::string& business_id, const std::string& service,
                 std::chrono::year_month_day first_day, int days, const std::string& resource = "");
  // Slots for each of `services`, in their order, read in one transaction
  // (the assistant's "what is free on Friday?" asks for several at once).
  // Throws as Slots does for the first service that fails.
  std::vector<SlotList> SlotsForEach(const std::string& business_id, const std::vector<std::string>& services,
                                     std::chrono::year_month_day first_day, int days,
                                     const std::string& resource = "");
  // The same over an explicit UTC range [from, to).
  SlotList SlotsBetween(const std::string& business_id, const std::string& service, TimePoint from,
                        TimePoint to, const std::string& resource = "");

  // Checks the request against the rules (InvalidInput naming the problem:
  // past, notice, horizon, outside the hours, missing contact; NotFound for
  // an unknown resource), finds or creates the customer and inserts the
  // appointment on the requested resource or the first free one, in one
  // transaction. A start no candidate resource has free returns kSlotTaken
  // with the nearest starts Slots would offer for the same resource choice,
  // and changes nothing.
  BookingResult Create(const std::string& business_id, const CreateRequest& request);

  // Moves a live appointment to `new_start` atomically (the new range is
  // taken and the old one freed in one statement) and bumps its sequence.
  // With `resource` (name or id) it moves to that resource; otherwise it
  // keeps its own when that is free at the new start, else takes the first
  // free active one. kSlotTaken (alternatives for the same resource choice)
  // leaves it as it was. Conflict when it is not live, NotFound for an
  // unknown resource.
  // `via_conversation_id` names the chat that asks ("" for an operator);
  // each booking, move and cancellation is recorded with it in
  // appointment_events, in the transaction of the change, for analytics.
  BookingResult Reschedule(const std::string& business_id, const std::string& appointment_id,
                           TimePoint new_start, const std::string& resource = "",
                           const std::string& via_conversation_id = "");

  // Life-cycle transitions; each returns the updated appointment. Conflict
  // for a transition the rules forbid, NotFound for an unknown id.
  Appointment Cancel(const std::string& business_id, const std::string& appointment_id,
                     const std::string& reason, const std::string& via_conversation_id = "");
  Appointment Confirm(const std::string& business_id, const std::string& appointment_id);
  Appointment Complete(const std::string& business_id, const std::string& appointment_id);
  Appointment MarkNoShow(const std::string& business_id, const std::string& appointment_id);

  // Appointments ordered by start, then id. InvalidInput when to < from or
  // for a malformed cursor.
  std::vector<Appointment> List(const std::string& business_id, const ListFilter& filter);
  // NotFound for an unknown id (or one of another business).
  Appointment Get(const std::string& business_id, const std::string& appointment_id);
  // The appointment as an RFC 5545 calendar (METHOD:CANCEL once cancelled).
  std::string Ics(const std::string& business_id, const std::string& appointment_id);

 private:
  Appointment Transition(const std::string& business_id, const std::string& appointment_id, Status target,
                         const std::string& reason, const std::string& via_conversation_id = "");

  db::Pool& pool_;
  const Clock& clock_;
};

}  // namespace omni::booking
