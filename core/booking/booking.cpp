// The booking service on PostgreSQL. See booking.hpp for the contract.
//
// Races are settled by the appointments_no_overlap exclusion constraint, not
// by reading first: the rules (hours, notice, horizon) are checked in C++,
// then the row is inserted on each candidate resource in turn until the
// constraint accepts one (ON CONFLICT DO NOTHING for an insert, SQLSTATE
// 23P01 in a savepoint for a reschedule); when none does, another booking
// got there first. Finding or creating the customer (core/customers) and
// inserting the appointment share one transaction, so a lost race leaves no
// trace.
#include "core/booking/booking.hpp"
#include "core/booking/booking_tx.hpp"

#include <date/date.h>

#include <algorithm>
#include <cctype>
#include <cmath>


#include "core/booking/appointment_events_tx.hpp"
#include "core/booking/availability.hpp"
#include "core/booking/ics.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business_tx.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/db/pqxx.hpp"

namespace omni::booking {
namespace {

using std::chrono::minutes;

constexpr int kMaxSlotDays = 90;
constexpr int kAlternatives = 3;
// How far around a taken start alternatives are looked for.
constexpr auto kAlternativeSearch = std::chrono::days{14};

// Thrown inside a transaction when no candidate resource takes the booking,
// so that the transaction rolls back (with any customer it created); caught
// by the caller, never escapes.
struct SlotTakenSignal {};

struct BusinessRow {
  AvailabilityRules rules;
  std::string name;
  std::string email;
  std::string address;
};

struct ServiceRow {
  std::string id;
  std::string name;
  ServiceTiming timing;
};

void RequireAppointmentId(const std::string& id) {
  if (!IsUuid(id)) {
    throw InvalidInput("invalid appointment id \"" + id + "\": expected a UUID",
                       "List appointments with `omni book list` to see their ids.");
  }
}

// Timestamps go to the server as ISO-8601 text (microseconds, UTC) and
// come back as microseconds since the epoch, never through local time.
std::string SqlTime(TimePoint t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }
TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }
TimePoint FromEpochSeconds(double seconds) { return FromMicros(std::llround(seconds * 1e6)); }
// SQL reading a timestamptz column as int8 microseconds since the epoch.
std::string EpochMicros(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000000)::int8";
}

BusinessRow LoadBusiness(pqxx::work& tx, const std::string& business_id) {
  business::Schedule schedule = business::LoadSchedule(tx, business_id);
  BusinessRow business;
  business.name = std::move(schedule.name);
  business.email = std::move(schedule.email);
  business.address = std::move(schedule.address);
  AvailabilityRules& rules = business.rules;
  rules.time_zone = std::move(schedule.timezone);
  rules.weekly = std::move(schedule.weekly);
  rules.overrides = std::move(schedule.overrides);
  rules.interval_min = schedule.rules.slot_interval_min;
  rules.min_notice_min = schedule.rules.min_notice_min;
  rules.horizon_days = schedule.rules.advance_days;
  CheckTimeZone(rules.time_zone);
  return business;
}

ServiceRow LoadService(pqxx::work& tx, const std::string& business_id, const std::string& service) {
  auto rows = db::ExecPrepared(
      tx, "omni_booking_service",
      "SELECT id::text, name, duration_min, buffer_before_min, buffer_after_min, bookable, active"
      " FROM services WHERE business_id = $1::uuid AND (id::text = lower($2) OR lower(name) = lower($2))"
      " ORDER BY active DESC LIMIT 1",
      business_id, Trim(service));
  if (rows.empty() || !rows[0][6].as<bool>()) {
    throw NotFound("unknown service \"" + service + "\"",
                   "See the business's services with `omni business show`.");
  }
  const auto& row = rows[0];
  if (!row[5].as<bool>()) {
    throw InvalidInput("service \"" + row[1].as<std::string>() + "\" cannot be booked online",
                       "The business marks it as not bookable; ask the business to book it.");
  }
  return {row[0].as<std::string>(), row[1].as<std::string>(),
          {row[2].as<int>(), row[3].as<int>(), row[4].as<int>()}};
}

struct ResourceRow {
  std::string id;
  std::string name;
};

// The resources a booking may take: the active one named or identified by
// `resource`, or, when it is empty, every active resource in the order
// bookings pick them (case-insensitive name, then id). Empty when the
// business has no active resources: bookings then take the whole business.
std::vector<ResourceRow> LoadResources(pqxx::work& tx, const std::string& business_id, const std::string& resource) {
  auto rows = db::ExecPrepared(
      tx, "omni_booking_resources",
      "SELECT id::text, name FROM resources WHERE business_id = $1::uuid AND active"
      " AND ($2 = '' OR id::text = lower($2) OR lower(name) = lower($2)) ORDER BY lower(name), name, id",
      business_id, Trim(resource));
  if (rows.empty() && !Trim(resource).empty()) {
    throw NotFound("unknown resource \"" + resource + "\"", "See the business's resources with `omni business show`.");
  }
  std::vector<ResourceRow> resources;
  for (const auto& row : rows) resources.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
  return resources;
}

// Live blocked ranges touching [from, to), except `skip_id`'s, split the way
// the exclusion constraint compares them: bookings without a resource block
// every resource; bookings on a resource outside `resources` (another
// resource, or an inactive one) compete with none of them. With no
// resources every live booking blocks the whole business.
BusyByResource LoadBusy(pqxx::work& tx, const std::string& business_id, const std::vector<ResourceRow>& resources,
                        TimePoint from, TimePoint to, const std::string& skip_id) {
  // `blocked &&` lets the exclusion constraint's GiST index find the rows;
  // date_part's float8 is exact to the microsecond for these dates and
  // much cheaper than numeric extract() over a thousand rows.
  auto rows = db::ExecPrepared(
      tx, "omni_booking_busy",
      "SELECT date_part('epoch', blocked_from), date_part('epoch', blocked_to), coalesce(resource_id::text, '')"
      " FROM appointments"
      " WHERE business_id = $1::uuid AND status IN ('SCHEDULED', 'CONFIRMED')"
      " AND blocked && tstzrange($2::timestamptz, $3::timestamptz)"
      " AND (nullif($4, '') IS NULL OR id <> nullif($4, '')::uuid)",
      business_id, SqlTime(from), SqlTime(to), skip_id);
  BusyByResource busy;
  busy.resources.resize(resources.size());
  for (const auto& row : rows) {
    BusyRange range{FromEpochSeconds(row[0].as<double>()), FromEpochSeconds(row[1].as<double>())};
    std::string resource_id = row[2].as<std::string>();
    if (resources.empty() || resource_id.empty()) {
      busy.whole_business.push_back(range);
      continue;
    }
    auto it = std::find_if(resources.begin(), resources.end(),
                           [&](const ResourceRow& r) { return r.id == resource_id; });
    if (it != resources.end()) busy.resources[static_cast<std::size_t>(it - resources.begin())].push_back(range);
  }
  return busy;
}

// Busy ranges that can matter for slots starting in [from, to): a blocked
// range reaches at most a day of duration plus two days of buffers back.
BusyByResource LoadBusyAround(pqxx::work& tx, const std::string& business_id,
                              const std::vector<ResourceRow>& resources, TimePoint from, TimePoint to,
                              const std::string& skip_id) {
  return LoadBusy(tx, business_id, resources, from - std::chrono::days{3}, to + std::chrono::days{3}, skip_id);
}

std::string SelectAppointmentSql(const std::string& where) {
  return "SELECT a.id::text, a.business_id::text, b.timezone, a.service_id::text, s.name, a.customer_id::text,"
         " c.name, coalesce(c.email, c.claimed_email, ''), coalesce(c.phone, c.claimed_phone, ''),"
         " coalesce(r.name, ''), " +
         EpochMicros("a.starts_at") + ", " + EpochMicros("a.ends_at") +
         ", a.status, a.sequence, a.notes, coalesce(a.cancel_reason, ''), " + EpochMicros("a.created_at") + ", " +
         EpochMicros("a.updated_at") + ", coalesce(a.resource_id::text, ''), coalesce(a.conversation_id::text, '')"
         " FROM appointments a"
         " JOIN businesses b ON b.id = a.business_id"
         " JOIN services s ON s.business_id = a.business_id AND s.id = a.service_id"
         " JOIN customers c ON c.business_id = a.business_id AND c.id = a.customer_id"
         " LEFT JOIN resources r ON r.business_id = a.business_id AND r.id = a.resource_id"
         " WHERE a.business_id = $1::uuid " + where;
}

Appointment ReadAppointment(const pqxx::row& row) {
  Appointment a;
  a.id = row[0].as<std::string>();
  a.business_id = row[1].as<std::string>();
  a.time_zone = row[2].as<std::string>();
  a.service_id = row[3].as<std::string>();
  a.service_name = row[4].as<std::string>();
  a.customer_id = row[5].as<std::string>();
  a.customer_name = row[6].as<std::string>();
  a.customer_email = row[7].as<std::string>();
  a.customer_phone = row[8].as<std::string>();
  a.resource_name = row[9].as<std::string>();
  a.start = FromMicros(row[10].as<long long>());
  a.end = FromMicros(row[11].as<long long>());
  a.status = ParseStatus(row[12].as<std::string>());
  a.sequence = row[13].as<int>();
  a.notes = row[14].as<std::string>();
  a.cancel_reason = row[15].as<std::string>();
  a.created_at = FromMicros(row[16].as<long long>());
  a.updated_at = FromMicros(row[17].as<long long>());
  a.resource_id = row[18].as<std::string>();
  a.conversation_id = row[19].as<std::string>();
  return a;
}

Appointment LoadAppointment(pqxx::work& tx, const std::string& business_id, const std::string& id,
                            bool for_update = false) {
  auto rows = tx.exec_params(SelectAppointmentSql("AND a.id = $2::uuid") + (for_update ? " FOR UPDATE OF a" : ""),
                             business_id, id);
  if (rows.empty()) {
    throw NotFound("appointment " + id + " not found", "List appointments with `omni book list`.");
  }
  return ReadAppointment(rows[0]);
}

// Email or phone is required to find or create the customer; the
// customers module normalises and validates both.
customers::CustomerContact ContactOf(const CustomerInfo& in) {
  customers::CustomerContact contact{Trim(in.name), Trim(in.email), Trim(in.phone), ""};
  if (contact.email.empty() && contact.phone.empty()) {
    throw InvalidInput("a booking needs the customer's email or phone",
                       "Pass --email or --phone so the business can reach the customer.");
  }
  if (!contact.email.empty()) contact.email = customers::NormalizeEmail(contact.email);
  return contact;
}

InvalidInput StartRejected(StartCheck check, const AvailabilityRules& rules, const ServiceRow& service,
                           TimePoint start) {
  std::string when = FormatLocal(start, rules.time_zone) + " (" + rules.time_zone + ")";
  std::string hint = "See the open times with `omni book slots`.";
  switch (check) {
    case StartCheck::kPast:
      return InvalidInput("start " + when + " is in the past", hint);
    case StartCheck::kTooSoon:
      return InvalidInput("start " + when + " is too soon: bookings need " + std::to_string(rules.min_notice_min) +
                              " minutes notice",
                          hint);
    case StartCheck::kBeyondHorizon:
      return InvalidInput("start " + when + " is too far ahead: bookings open " +
                              std::to_string(rules.horizon_days) + " days in advance",
                          hint);
    case StartCheck::kOutsideHours:
    case StartCheck::kOk:
      break;
  }
  return InvalidInput("start " + when + " is outside the opening hours for " + service.name + " (" +
                          std::to_string(service.timing.duration_min) + " minutes)",
                      hint);
}

// Up to kAlternatives offered starts nearest to `wanted`, nearest first
// (the earlier one on a tie).
std::vector<TimePoint> Nearest(std::vector<TimePoint> starts, TimePoint wanted) {
  auto distance = [wanted](TimePoint t) { return t < wanted ? wanted - t : t - wanted; };
  std::stable_sort(starts.begin(), starts.end(),
                   [&](TimePoint a, TimePoint b) { return distance(a) < distance(b); });
  if (starts.size() > kAlternatives) starts.resize(kAlternatives);
  return starts;
}

// Up to kAlternatives free starts of `service_id` nearest to `wanted`, as
// Slots offers them for `resource` ("" for any active resource), counting
// `skip_id`'s own range as free (a reschedule moves it).
std::vector<TimePoint> NearestFree(db::Pool& pool, const std::string& business_id, const std::string& service_id,
                                   const std::string& resource, const std::string& skip_id, TimePoint wanted,
                                   TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    BusinessRow business = LoadBusiness(tx, business_id);
    ServiceRow service = LoadService(tx, business_id, service_id);
    TimePoint from = wanted - kAlternativeSearch;
    TimePoint to = wanted + kAlternativeSearch;
    auto busy = LoadBusyAround(tx, business_id, LoadResources(tx, business_id, resource), from, to, skip_id);
    return Nearest(ComputeSlotsAnyResource(business.rules, service.timing, busy, {now, from, to}), wanted);
  });
}

// The offered starts of each service in `query`'s range. The resources and
// the busy ranges are read once: they do not depend on the service.
std::vector<SlotList> ComputeSlotLists(pqxx::work& tx, const BusinessRow& business, const std::string& business_id,
                                       const std::vector<std::string>& services, const std::string& resource,
                                       const SlotQuery& query) {
  std::vector<ServiceRow> rows;
  for (const auto& service : services) rows.push_back(LoadService(tx, business_id, service));
  const auto busy = LoadBusyAround(tx, business_id, LoadResources(tx, business_id, resource), query.from, query.to, "");
  std::vector<SlotList> lists;
  for (const auto& row : rows) {
    SlotList list{business.rules.time_zone, row.id, row.name, row.timing.duration_min, {}, {}};
    list.starts = ComputeSlotsAnyResource(business.rules, row.timing, busy, query);
    if (list.starts.empty()) {
      // A local day lasts 23 to 25 hours across daylight saving changes.
      const auto hours = std::chrono::duration_cast<std::chrono::hours>(query.to - query.from).count();
      list.why_none = NoSlotsText(WhyNoSlots(business.rules, row.timing, busy, query), business.rules,
                                  hours <= 25 ? 1 : 2);
    }
    lists.push_back(std::move(list));
  }
  return lists;
}

}  // namespace

const char* StatusName(Status status) {
  switch (status) {
    case Status::kScheduled: return "SCHEDULED";
    case Status::kConfirmed: return "CONFIRMED";
    case Status::kCompleted: return "COMPLETED";
    case Status::kCanceled: return "CANCELED";
    case Status::kNoShow: return "NO_SHOW";
  }
  return "SCHEDULED";
}

Status ParseStatus(const std::string& text) {
  std::string key = Lower(Trim(text));
  std::replace(key.begin(), key.end(), '-', '_');
  if (key == "scheduled") return Status::kScheduled;
  if (key == "confirmed") return Status::kConfirmed;
  if (key == "completed") return Status::kCompleted;
  if (key == "canceled" || key == "cancelled") return Status::kCanceled;
  if (key == "no_show" || key == "noshow") return Status::kNoShow;
  throw InvalidInput("invalid status \"" + text + "\"",
                     "Use one of scheduled, confirmed, completed, canceled, no_show.");
}

std::string BookingService::BusinessIdForSlug(const std::string& slug) {
  return db::WithTransaction(pool_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params("SELECT id::text FROM businesses WHERE slug = $1", slug);
    if (rows.empty()) {
      throw NotFound("business \"" + slug + "\" not found", "List businesses with `omni business list`.");
    }
    return rows[0][0].as<std::string>();
  });
}

std::string BookingService::TimeZone(const std::string& business_id) {
  return db::WithTransaction(pool_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params("SELECT timezone FROM businesses WHERE id = $1::uuid", business_id);
    if (rows.empty()) throw NotFound("business " + business_id + " not found");
    return rows[0][0].as<std::string>();
  });
}

SlotList BookingService::Slots(const std::string& business_id, const std::string& service,
                               std::chrono::year_month_day first_day, int days, const std::string& resource) {
  return SlotsForEach(business_id, {service}, first_day, days, resource).front();
}

std::vector<SlotList> BookingService::SlotsForEach(const std::string& business_id,
                                                   const std::vector<std::string>& services,
                                                   std::chrono::year_month_day first_day, int days,
                                                   const std::string& resource) {
  if (days < 1 || days > kMaxSlotDays) {
    throw InvalidInput("invalid number of days " + std::to_string(days) + ": expected 1 to " +
                       std::to_string(kMaxSlotDays));
  }
  const TimePoint now = clock_.Now();
  const auto last_day = std::chrono::year_month_day{std::chrono::sys_days{first_day} + std::chrono::days{days}};
  return db::WithTransaction(pool_, [&](pqxx::work& tx) {
    const BusinessRow business = LoadBusiness(tx, business_id);
    const TimePoint from = LocalMidnight(first_day, business.rules.time_zone);
    const TimePoint to = LocalMidnight(last_day, business.rules.time_zone);
    return ComputeSlotLists(tx, business, business_id, services, resource, {now, from, to});
  });
}

SlotList BookingService::SlotsBetween(const std::string& business_id, const std::string& service, TimePoint from,
                                      TimePoint to, const std::string& resource) {
  if (to < from) {
    throw InvalidInput("invalid range: the end " + FormatUtc(to) + " is before the start " + FormatUtc(from));
  }
  const TimePoint now = clock_.Now();
  return db::WithTransaction(pool_, [&](pqxx::work& tx) {
    const BusinessRow business = LoadBusiness(tx, business_id);
    return ComputeSlotLists(tx, business, business_id, {service}, resource, {now, from, to}).front();
  });
}

namespace {

// Records a change of an appointment with the chat that made it ("" for an
// operator), in the transaction of the change; a booking also counts on
// its conversation, for analytics.
void RecordEvent(pqxx::work& tx, const std::string& business_id, const std::string& appointment_id,
                 const std::string& conversation_id, const char* action) {
  db::ExecPrepared(tx, "omni_booking_event",
                   "WITH e AS (INSERT INTO appointment_events (business_id, appointment_id, conversation_id, action)"
                   " VALUES ($1::uuid, $2::uuid, nullif($3, '')::uuid, $4))"
                   " UPDATE conversations SET bookings_made = bookings_made + 1"
                   " WHERE $4 = 'BOOKED' AND business_id = $1::uuid AND id = nullif($3, '')::uuid",
                   business_id, appointment_id, conversation_id, std::string(action));
}

}  // namespace

BookingResult BookingService::Create(const std::string& business_id, const CreateRequest& request) {
  customers::CustomerContact contact = ContactOf(request.customer);
  if (!request.conversation_id.empty() && !IsUuid(request.conversation_id)) {
    throw InvalidInput("invalid conversation id \"" + request.conversation_id + "\": expected a UUID");
  }
  TimePoint now = clock_.Now();
  std::string service_id;
  try {
    std::string id = db::WithTransaction(pool_, [&](pqxx::work& tx) {
      BusinessRow business = LoadBusiness(tx, business_id);
      ServiceRow service = LoadService(tx, business_id, request.service);
      service_id = service.id;
      std::vector<ResourceRow> resources = LoadResources(tx, business_id, request.resource);
      StartCheck check = CheckStart(business.rules, service.timing, now, request.start);
      if (check != StartCheck::kOk) throw StartRejected(check, business.rules, service, request.start);
      std::string customer_id;
      if (!request.contact_is_claim) {
        customer_id = customers::FindOrCreate(tx, business_id, contact).customer.id;
      } else if (request.customer_id.empty()) {
        customer_id = customers::CreateFromClaims(tx, business_id, contact).id;
      } else {
        customer_id = customers::AddClaims(tx, business_id, request.customer_id, contact).id;
      }
      customers::RecordContact(tx, business_id, customer_id, now);
      TimePoint end = request.start + minutes{service.timing.duration_min};
      // Each resource in turn, in the order LoadResources gives: the first
      // the constraint accepts is the first free one. ON CONFLICT DO NOTHING
      // waits for a concurrent insert on the same resource to finish and
      // then inserts nothing if that one won, so the loop needs no
      // savepoints and a lost race moves on to the next resource.
      std::vector<std::string> candidates;
      for (const ResourceRow& r : resources) candidates.push_back(r.id);
      if (candidates.empty()) candidates.push_back("");
      for (const std::string& resource_id : candidates) {
        auto rows = db::ExecPrepared(
            tx, "omni_booking_insert",
            "INSERT INTO appointments (business_id, service_id, customer_id, resource_id, conversation_id,"
            " starts_at, ends_at, blocked_from, blocked_to, notes)"
            " VALUES ($1::uuid, $2::uuid, $3::uuid, nullif($4, '')::uuid, nullif($5, '')::uuid, $6::timestamptz,"
            " $7::timestamptz, $8::timestamptz, $9::timestamptz, $10)"
            " ON CONFLICT DO NOTHING RETURNING id::text",
            business_id, service.id, customer_id, resource_id, request.conversation_id, SqlTime(request.start),
            SqlTime(end), SqlTime(request.start - minutes{service.timing.buffer_before_min}),
            SqlTime(end + minutes{service.timing.buffer_after_min}), request.notes);
        if (rows.empty()) continue;
        const std::string id = rows[0][0].as<std::string>();
        RecordEvent(tx, business_id, id, request.conversation_id, "BOOKED");
        OnAppointmentChanged(tx, {AppointmentChange::kCreated, business_id, id, service.id, customer_id, 0,
                                  request.start, end, now});
        return id;
      }
      throw SlotTakenSignal{};
    });
    BookingResult result;
    result.appointment = Get(business_id, id);
    return result;
  } catch (const SlotTakenSignal&) {
    BookingResult result;
    result.outcome = BookingResult::kSlotTaken;
    result.alternatives = NearestFree(pool_, business_id, service_id, request.resource, "", request.start, now);
    return result;
  }
}

BookingResult BookingService::Reschedule(const std::string& business_id, const std::string& appointment_id,
                                         TimePoint new_start, const std::string& resource,
                                         const std::string& via_conversation_id) {
  RequireAppointmentId(appointment_id);
  if (!via_conversation_id.empty() && !IsUuid(via_conversation_id)) {
    throw InvalidInput("invalid conversation id \"" + via_conversation_id + "\": expected a UUID");
  }
  TimePoint now = clock_.Now();
  std::string service_id;
  try {
    db::WithTransaction(pool_, [&](pqxx::work& tx) {
      BusinessRow business = LoadBusiness(tx, business_id);
      Appointment current = LoadAppointment(tx, business_id, appointment_id, true);
      if (current.status != Status::kScheduled && current.status != Status::kConfirmed) {
        throw Conflict("appointment " + appointment_id + " is " + StatusName(current.status) +
                       ": only scheduled or confirmed appointments can be rescheduled");
      }
      ServiceRow service = LoadService(tx, business_id, current.service_id);
      const ServiceTiming& timing = service.timing;
      service_id = service.id;
      StartCheck check = CheckStart(business.rules, service.timing, now, new_start);
      if (check != StartCheck::kOk) throw StartRejected(check, business.rules, service, new_start);
      TimePoint end = new_start + minutes{timing.duration_min};
      // Without a requested resource, the appointment keeps its own when
      // that is free at the new start (or it has none, as in a business
      // without resources), else it takes the first free active resource,
      // as Create would.
      std::vector<ResourceRow> resources = LoadResources(tx, business_id, resource);
      bool keeps_own = Trim(resource).empty() &&
                       (current.resource_id.empty() ||
                        std::any_of(resources.begin(), resources.end(),
                                    [&](const ResourceRow& r) { return r.id == current.resource_id; }));
      std::vector<std::string> candidates;
      if (keeps_own) candidates.push_back(current.resource_id);
      for (const ResourceRow& r : resources) {
        if (!keeps_own || r.id != current.resource_id) candidates.push_back(r.id);
      }
      if (candidates.empty()) candidates.push_back("");
      // One UPDATE moves the row: the constraint checks the new range
      // against every other live booking, and the old range is gone with
      // it. Each try runs in a savepoint, so a 23P01 undoes only that try.
      for (const std::string& resource_id : candidates) {
        tx.exec("SAVEPOINT omni_reschedule");
        try {
          tx.exec_params(
              "UPDATE appointments SET starts_at = $3::timestamptz, ends_at = $4::timestamptz,"
              " blocked_from = $5::timestamptz, blocked_to = $6::timestamptz, resource_id = nullif($7, '')::uuid,"
              " sequence = sequence + 1"
              " WHERE business_id = $1::uuid AND id = $2::uuid",
              business_id, appointment_id, SqlTime(new_start), SqlTime(end),
              SqlTime(new_start - minutes{timing.buffer_before_min}), SqlTime(end + minutes{timing.buffer_after_min}),
              resource_id);
          tx.exec("RELEASE SAVEPOINT omni_reschedule");
          RecordEvent(tx, business_id, appointment_id, via_conversation_id, "RESCHEDULED");
          OnAppointmentChanged(tx, {AppointmentChange::kRescheduled, business_id, appointment_id, current.service_id,
                                    current.customer_id, current.sequence + 1, new_start, end, now});
          return;
        } catch (const pqxx::sql_error& e) {
          if (db::SqlState(e) != "23P01") throw;
        }
        tx.exec("ROLLBACK TO SAVEPOINT omni_reschedule");
      }
      throw SlotTakenSignal{};
    });
    BookingResult result;
    result.appointment = Get(business_id, appointment_id);
    return result;
  } catch (const SlotTakenSignal&) {
    BookingResult result;
    result.outcome = BookingResult::kSlotTaken;
    result.alternatives = NearestFree(pool_, business_id, service_id, resource, appointment_id, new_start, now);
    return result;
  }
}

Appointment BookingService::Transition(const std::string& business_id, const std::string& appointment_id,
                                       Status target, const std::string& reason,
                                       const std::string& via_conversation_id) {
  RequireAppointmentId(appointment_id);
  if (!via_conversation_id.empty() && !IsUuid(via_conversation_id)) {
    throw InvalidInput("invalid conversation id \"" + via_conversation_id + "\": expected a UUID");
  }
  TimePoint now = clock_.Now();
  db::WithTransaction(pool_, [&](pqxx::work& tx) {
    Appointment current = LoadAppointment(tx, business_id, appointment_id, true);
    if (current.status == target) return;
    bool live = current.status == Status::kScheduled || current.status == Status::kConfirmed;
    if (!live) {
      throw Conflict("appointment " + appointment_id + " is already " + StatusName(current.status) +
                     ": it cannot become " + StatusName(target));
    }
    if ((target == Status::kCompleted || target == Status::kNoShow) && now < current.start) {
      throw Conflict("appointment " + appointment_id + " has not started yet: it cannot be marked " +
                         StatusName(target),
                     "Cancel it instead if it will not take place.");
    }
    tx.exec_params(
        "UPDATE appointments SET status = $3,"
        " sequence = sequence + CASE WHEN $3 = 'CANCELED' THEN 1 ELSE 0 END,"
        " canceled_at = CASE WHEN $3 = 'CANCELED' THEN $4::timestamptz ELSE canceled_at END,"
        " cancel_reason = CASE WHEN $3 = 'CANCELED' THEN nullif($5, '') ELSE cancel_reason END"
        " WHERE business_id = $1::uuid AND id = $2::uuid",
        business_id, appointment_id, std::string(StatusName(target)), SqlTime(now), reason);
    if (target == Status::kCanceled) {
      RecordEvent(tx, business_id, appointment_id, via_conversation_id, "CANCELED");
      OnAppointmentChanged(tx, {AppointmentChange::kCanceled, business_id, appointment_id, current.service_id,
                                current.customer_id, current.sequence + 1, current.start, current.end, now});
    }
  });
  return Get(business_id, appointment_id);
}

Appointment BookingService::Cancel(const std::string& business_id, const std::string& appointment_id,
                                   const std::string& reason, const std::string& via_conversation_id) {
  return Transition(business_id, appointment_id, Status::kCanceled, reason, via_conversation_id);
}

Appointment BookingService::Confirm(const std::string& business_id, const std::string& appointment_id) {
  return Transition(business_id, appointment_id, Status::kConfirmed, "");
}

Appointment BookingService::Complete(const std::string& business_id, const std::string& appointment_id) {
  return Transition(business_id, appointment_id, Status::kCompleted, "");
}

Appointment BookingService::MarkNoShow(const std::string& business_id, const std::string& appointment_id) {
  return Transition(business_id, appointment_id, Status::kNoShow, "");
}

std::vector<Appointment> BookingService::List(const std::string& business_id, const ListFilter& filter) {
  if (filter.from && filter.to && *filter.to < *filter.from) {
    throw InvalidInput("invalid range: --to " + FormatUtc(*filter.to) + " is before --from " +
                       FormatUtc(*filter.from));
  }
  int limit = std::clamp(filter.limit, 1, 10000);
  if (!filter.conversation_id.empty() && !IsUuid(filter.conversation_id)) {
    throw InvalidInput("invalid conversation id \"" + filter.conversation_id + "\": expected a UUID");
  }
  std::string customer = Trim(filter.customer);
  std::string pattern;
  for (char c : customer) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  // A cursor is "<start in microseconds since the epoch>.<id>".
  std::string after_micros;
  std::string after_id;
  if (!filter.after.empty()) {
    const auto dot = filter.after.find('.');
    after_micros = filter.after.substr(0, dot);
    after_id = dot == std::string::npos ? "" : filter.after.substr(dot + 1);
    if (after_micros.empty() || after_micros.size() > 19 ||
        after_micros.find_first_not_of("0123456789") != std::string::npos || !IsUuid(after_id)) {
      throw InvalidInput("invalid cursor \"" + filter.after + "\"", "Pass the cursor a previous page gave, unchanged.");
    }
  }
  return db::WithTransaction(pool_, [&](pqxx::work& tx) {
    const customers::PhoneKeys phone = customers::PhoneKeysOf(tx, business_id, customer);
    auto rows = tx.exec_params(
        SelectAppointmentSql(
            "AND ($2 = '' OR a.starts_at >= nullif($2, '')::timestamptz)"
            " AND ($3 = '' OR a.starts_at < nullif($3, '')::timestamptz)"
            " AND ($4 = '' OR a.status = $4)"
            " AND ($5 = '' OR c.id::text = lower($5) OR lower(c.email) = lower($5)"
            "      OR lower(c.claimed_email) = lower($5)"
            "      OR c.phone_normalized IN (nullif($11, ''), nullif($12, ''))"
            "      OR regexp_replace(c.claimed_phone, '[^0-9]', '', 'g') IN (nullif($11, ''), nullif($12, ''))"
            "      OR c.name ILIKE '%' || $6 || '%')"
            " AND ($8 = '' OR a.conversation_id = nullif($8, '')::uuid)"
            " AND ($9 = '' OR (a.starts_at, a.id) > (timestamptz 'epoch' + nullif($9, '')::bigint"
            "      * interval '1 microsecond', nullif($10, '')::uuid))"
            " ORDER BY a.starts_at, a.id LIMIT $7"),
        business_id, filter.from ? SqlTime(*filter.from) : "", filter.to ? SqlTime(*filter.to) : "",
        filter.status ? std::string(StatusName(*filter.status)) : "", customer, pattern, limit,
        filter.conversation_id, after_micros, after_id, phone.e164_digits, phone.typed_digits);
    std::vector<Appointment> list;
    for (const auto& row : rows) list.push_back(ReadAppointment(row));
    return list;
  });
}

std::string NextCursor(const Appointment& appointment) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(appointment.start.time_since_epoch()).count()) +
         "." + appointment.id;
}

std::vector<Appointment> Upcoming(pqxx::work& tx, const std::string& business_id, const std::string& customer_id,
                                  TimePoint from, int limit) {
  const auto rows = db::ExecPrepared(
      tx, "omni_booking_upcoming",
      SelectAppointmentSql("AND a.customer_id = $2::uuid AND a.starts_at >= $3::timestamptz"
                           " AND a.status IN ('SCHEDULED', 'CONFIRMED') ORDER BY a.starts_at, a.id LIMIT $4"),
      business_id, customer_id, SqlTime(from), std::clamp(limit, 1, 10000));
  std::vector<Appointment> list;
  for (const auto& row : rows) list.push_back(ReadAppointment(row));
  return list;
}

Appointment BookingService::Get(const std::string& business_id, const std::string& appointment_id) {
  RequireAppointmentId(appointment_id);
  return db::WithTransaction(pool_,
                             [&](pqxx::work& tx) { return LoadAppointment(tx, business_id, appointment_id); });
}

Appointment Get(pqxx::work& tx, const std::string& business_id, const std::string& appointment_id) {
  RequireAppointmentId(appointment_id);
  return LoadAppointment(tx, business_id, appointment_id);
}

std::string AppointmentIcs(pqxx::work& tx, const Appointment& appointment, TimePoint stamp) {
  const BusinessRow business = LoadBusiness(tx, appointment.business_id);
  IcsEvent event;
  event.uid = appointment.id + "@omni";
  event.sequence = appointment.sequence;
  event.start = appointment.start;
  event.end = appointment.end;
  event.stamp = stamp;
  event.time_zone = business.rules.time_zone;
  event.summary = appointment.service_name + " at " + business.name;
  event.description = "Booked for " + (appointment.customer_name.empty() ? "you" : appointment.customer_name) +
                      " at " + business.name + ".";
  if (!appointment.notes.empty()) event.description += "\nNotes: " + appointment.notes;
  if (appointment.status == Status::kCanceled && !appointment.cancel_reason.empty()) {
    event.description += "\nCanceled: " + appointment.cancel_reason;
  }
  event.location = business.address;
  event.organizer_name = business.name;
  event.organizer_email = business.email;
  event.attendee_name = appointment.customer_name;
  event.attendee_email = appointment.customer_email;
  event.cancelled = appointment.status == Status::kCanceled;
  return RenderIcs(event);
}

std::string BookingService::Ics(const std::string& business_id, const std::string& appointment_id) {
  RequireAppointmentId(appointment_id);
  const TimePoint now = clock_.Now();
  return db::WithTransaction(pool_, [&](pqxx::work& tx) {
    return AppointmentIcs(tx, LoadAppointment(tx, business_id, appointment_id), now);
  });
}

}  // namespace omni::booking
