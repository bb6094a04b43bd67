// `omni book slots|create|list|show|cancel|reschedule|confirm|complete|no-show|ics`:
// appointments of one business (-b). Times show in the business's local
// time; `-o json` adds UTC. Every verb calls booking::BookingService, the
// same API the assistant's tools use.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/common/exit_code.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/db/ids.hpp"

namespace omni::cli {
namespace {

using booking::Appointment;
using booking::BookingResult;
using booking::BookingService;


struct SlotsOptions {
  std::string service;
  std::string date;
  int days = 1;
  std::string resource;
};

struct CreateOptions {
  std::string service;
  std::string start;
  std::string name;
  std::string email;
  std::string phone;
  std::string notes;
  std::string resource;
};

struct ListOptions {
  std::string from;
  std::string to;
  std::string status;
  std::string customer;
  int limit = 200;
};

struct IdOptions {
  std::string id;
};

struct CancelOptions {
  std::string id;
  std::string reason;
};

struct RescheduleOptions {
  std::string id;
  std::string start;
  std::string resource;
};

// The business of -b and a service bound to the command's database.
struct Session {
  explicit Session(Context& ctx) : service(ctx.Database(), DefaultClock()), pool(ctx.Database()) {
    business_id = service.BusinessIdForSlug(ctx.RequireBusiness());
    time_zone = service.TimeZone(business_id);
    phone_region = business::PhoneRegion(business::Get(ctx.Database(), ctx.RequireBusiness()).spec);
  }
  // The full id of the appointment named by `text`, an id or its unique prefix.
  std::string AppointmentId(const std::string& text) {
    return db::ResolveId(pool, db::IdKind::kAppointment, business_id, text);
  }
  BookingService service;
  db::Pool& pool;
  std::string business_id;
  std::string time_zone;
  std::string phone_region;
};

nlohmann::json AppointmentJson(const Appointment& a) {
  return {{"id", a.id},
          {"status", Lower(booking::StatusName(a.status))},
          {"service", a.service_name},
          {"service_id", a.service_id},
          {"customer_id", a.customer_id},
          {"customer_name", a.customer_name},
          {"customer_email", a.customer_email},
          {"customer_phone", a.customer_phone},
          {"resource", a.resource_name},
          {"start_utc", booking::FormatUtc(a.start)},
          {"end_utc", booking::FormatUtc(a.end)},
          {"start_local", booking::FormatLocal(a.start, a.time_zone)},
          {"end_local", booking::FormatLocal(a.end, a.time_zone)},
          {"time_zone", a.time_zone},
          {"sequence", a.sequence},
          {"notes", a.notes},
          {"cancel_reason", a.cancel_reason},
          {"created_at", booking::FormatUtc(a.created_at)},
          {"updated_at", booking::FormatUtc(a.updated_at)}};
}

const std::vector<Column> kAppointmentFields = {
    {"id", "ID"},           {"status", "STATUS"},
    {"service", "SERVICE"}, {"start_local", "START"},
    {"end_local", "END"},   {"time_zone", "TIME ZONE"},
    {"customer_name", "CUSTOMER"}, {"customer_email", "EMAIL"},
    {"customer_phone", "PHONE"},   {"resource", "RESOURCE"},
    {"sequence", "SEQUENCE"},      {"notes", "NOTES"},
    {"cancel_reason", "CANCEL REASON"}};

// An appointment as printed: in a table the phone reads as the business
// reads it; JSON and CSV keep E.164.
nlohmann::json Shown(Context& ctx, const Session& session, const Appointment& a) {
  nlohmann::json record = AppointmentJson(a);
  if (ctx.out().format() == Format::kTable) record["customer_phone"] = phone::Format(a.customer_phone, session.phone_region);
  return record;
}

// Prints a booking outcome: the appointment, or (exit 6) the alternatives.
int ShowResult(Context& ctx, const Session& session, const BookingResult& result, TimePoint wanted,
               const std::string& done) {
  if (result.outcome == BookingResult::kBooked) {
    nlohmann::json record = Shown(ctx, session, *result.appointment);
    record["outcome"] = "booked";
    ctx.out().Record(kAppointmentFields, record);
    ctx.out().Status(ctx.out().Green(done) + " " + result.appointment->id);
    return 0;
  }
  nlohmann::json alternatives = nlohmann::json::array();
  for (TimePoint t : result.alternatives) {
    alternatives.push_back(
        {{"start_utc", booking::FormatUtc(t)}, {"start_local", booking::FormatLocal(t, session.time_zone)}});
  }
  ctx.out().Warn(ctx.out().Red("slot taken:") + " " + booking::FormatLocal(wanted, session.time_zone) + " (" +
                 session.time_zone + ") is no longer free" +
                 (alternatives.empty() ? "; no other start nearby" : "; nearest free starts:"));
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json({{"outcome", "slot_taken"},
                    {"requested_start_utc", booking::FormatUtc(wanted)},
                    {"alternatives", alternatives}});
  } else {
    ctx.out().List({{"start_local", "START"}}, alternatives);
  }
  return kExitConflict;
}

int RunSlots(Context& ctx, const SlotsOptions& opts) {
  Session session(ctx);
  auto first_day = opts.date.empty() ? booking::LocalDate(DefaultClock().Now(), session.time_zone)
                                     : booking::ParseDate(opts.date, "--date");
  auto slots = session.service.Slots(session.business_id, opts.service, first_day, opts.days, opts.resource);
  nlohmann::json rows = nlohmann::json::array();
  for (TimePoint start : slots.starts) {
    TimePoint end = start + std::chrono::minutes{slots.duration_min};
    rows.push_back({{"start_local", booking::FormatLocal(start, slots.time_zone)},
                    {"end_local", booking::FormatLocal(end, slots.time_zone)},
                    {"start_utc", booking::FormatUtc(start)},
                    {"end_utc", booking::FormatUtc(end)},
                    {"time_zone", slots.time_zone},
                    {"service", slots.service_name},
                    {"duration_min", slots.duration_min}});
    if (!opts.resource.empty()) rows.back()["resource"] = opts.resource;
  }
  ctx.out().List({{"start_local", "START"}, {"end_local", "END"}}, rows);
  ctx.out().Status(std::to_string(rows.size()) + " free start" + (rows.size() == 1 ? "" : "s") + " for " +
                   slots.service_name + " (" + std::to_string(slots.duration_min) + " min) from " +
                   booking::FormatDate(first_day) + ", " + std::to_string(opts.days) + " day" +
                   (opts.days == 1 ? "" : "s") + (opts.resource.empty() ? "" : ", on " + opts.resource) +
                   ", times in " + slots.time_zone + (slots.why_none.empty() ? "" : ": " + slots.why_none));
  return 0;
}

int RunCreate(Context& ctx, const CreateOptions& opts) {
  Session session(ctx);
  booking::CreateRequest request;
  request.service = opts.service;
  request.start = booking::ParseStartTime(opts.start, session.time_zone);
  request.customer = {opts.name, opts.email, opts.phone};
  request.notes = opts.notes;
  request.resource = opts.resource;
  auto result = session.service.Create(session.business_id, request);
  return ShowResult(ctx, session, result, request.start, "booked");
}

int RunList(Context& ctx, const ListOptions& opts) {
  Session session(ctx);
  booking::ListFilter filter;
  if (!opts.from.empty()) filter.from = booking::ParseInstantOrDate(opts.from, session.time_zone);
  if (!opts.to.empty()) filter.to = booking::ParseInstantOrDate(opts.to, session.time_zone);
  if (!opts.status.empty()) filter.status = booking::ParseStatus(opts.status);
  // An id prefix names the customer; any other text is searched as before.
  filter.customer =
      db::FindId(session.pool, db::IdKind::kCustomer, session.business_id, opts.customer).value_or(opts.customer);
  if (opts.limit < 1 || opts.limit > 10000) {
    throw InvalidInput("invalid --limit " + std::to_string(opts.limit) + ": expected 1 to 10000");
  }
  filter.limit = opts.limit;
  nlohmann::json rows = nlohmann::json::array();
  for (const Appointment& a : session.service.List(session.business_id, filter)) rows.push_back(AppointmentJson(a));
  ctx.out().List({{"id", "ID"},
                  {"start_local", "START"},
                  {"service", "SERVICE"},
                  {"customer_name", "CUSTOMER"},
                  {"status", "STATUS"}},
                 rows);
  if (!rows.empty()) ctx.out().TimesIn(session.time_zone);
  return 0;
}

int RunShow(Context& ctx, const IdOptions& opts) {
  Session session(ctx);
  ctx.out().Record(kAppointmentFields,
                   Shown(ctx, session, session.service.Get(session.business_id, session.AppointmentId(opts.id))));
  ctx.out().TimesIn(session.time_zone);
  return 0;
}

int RunCancel(Context& ctx, const CancelOptions& opts) {
  Session session(ctx);
  Appointment a = session.service.Cancel(session.business_id, session.AppointmentId(opts.id), opts.reason);
  ctx.out().Record(kAppointmentFields, Shown(ctx, session, a));
  ctx.out().Status(ctx.out().Green("canceled") + " " + a.id + "; the slot is free again");
  return 0;
}

int RunReschedule(Context& ctx, const RescheduleOptions& opts) {
  Session session(ctx);
  TimePoint start = booking::ParseStartTime(opts.start, session.time_zone);
  auto result = session.service.Reschedule(session.business_id, session.AppointmentId(opts.id), start, opts.resource);
  return ShowResult(ctx, session, result, start, "rescheduled");
}

using TransitionFn = Appointment (BookingService::*)(const std::string&, const std::string&);

Command TransitionCommand(const std::string& name, const std::string& summary, const std::string& description,
                          TransitionFn transition, const std::string& done) {
  return MakeCommand<IdOptions>(
      name, summary, description, {"$ omni book " + name + " -b acme 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f"},
      [](IdOptions& o) { return std::vector<Option>{{"id", "appointment id, or its first 6 or more characters", &o.id, true}}; },
      [transition, done](Context& ctx, const IdOptions& opts) {
        Session session(ctx);
        Appointment a = (session.service.*transition)(session.business_id, session.AppointmentId(opts.id));
        ctx.out().Record(kAppointmentFields, Shown(ctx, session, a));
        ctx.out().Status(ctx.out().Green(done) + " " + a.id);
        return 0;
      });
}

int RunIcs(Context& ctx, const IdOptions& opts) {
  Session session(ctx);
  const std::string id = session.AppointmentId(opts.id);
  std::string ics = session.service.Ics(session.business_id, id);
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json({{"id", id}, {"ics", ics}});
  } else {
    ctx.out().Text(ics);
  }
  return 0;
}

}  // namespace

Command MakeBookCommand() {
  const std::string start_help =
      "start in the business's local time (\"2026-12-01 15:00\") or ISO-8601 with an offset "
      "(\"2026-12-01T15:00:00-05:00\")";
  return MakeGroup(
      "book", "find free slots and manage appointments",
      "Appointments of the business chosen with -b. Free slots come from the business's weekly hours and date "
      "overrides in its time zone, the service's duration and buffers, the minimum notice and the booking "
      "horizon. Times show in the business's local time; -o json adds UTC. The database refuses overlapping "
      "bookings, so two people can never get the same slot: the loser gets the nearest free starts and exit "
      "code 6. A business with resources (chairs, rooms, providers) takes one booking per resource at a time; "
      "a booking without a resource blocks them all.",
      {
          MakeCommand<SlotsOptions>(
              "slots", "list free start times for a service",
              "Lists the start times a service can be booked at, day by day from --date (default: today in "
              "the business's time zone) for --days days. Each slot leaves room for the service's buffers "
              "around existing bookings. When the business has resources, a start is listed while at least one "
              "of them is free, or while --resource is.",
              {"$ omni book slots -b acme --service \"Women's haircut\" --date 2026-12-01",
               "$ omni book slots -b acme --service \"Women's haircut\" --date 2026-12-01 --days 7 -o json",
               "$ omni book slots -b acme --service \"Women's haircut\" --date 2026-12-01 --resource \"Chair 2\""},
              [](SlotsOptions& o) {
                return std::vector<Option>{
                    {"--service", "service name (or id)", &o.service, true},
                    {"--date", "first local date, YYYY-MM-DD (default: today)", &o.date},
                    {"--days", "number of days, 1 to 90 (default 1)", &o.days},
                    {"--resource", "only starts this resource (chair, room, provider) has free", &o.resource},
                };
              },
              RunSlots),
          MakeCommand<CreateOptions>(
              "create", "book an appointment",
              "Books a service at a start time for a customer, found by email or phone within the business or "
              "created. The start must be inside the opening hours, after the minimum notice and within the "
              "booking horizon. When the business has resources, it takes the first free one by name, or "
              "--resource. When the slot was just taken, prints the nearest free starts and exits 6.",
              {"$ omni book create -b acme --service \"Women's haircut\" --start \"2026-12-01 15:00\" "
               "--name \"Ann Lee\" --email ann@example.com",
               "$ omni book create -b acme --service Blowout --start 2026-12-01T15:00:00-05:00 --phone "
               "\"+1 555 010 2030\""},
              [start_help](CreateOptions& o) {
                return std::vector<Option>{
                    {"--service", "service name (or id)", &o.service, true},
                    {"--start", start_help, &o.start, true},
                    {"--name", "customer name", &o.name},
                    {"--email", "customer email (email or phone is required)", &o.email},
                    {"--phone", "customer phone", &o.phone},
                    {"--notes", "notes for the business", &o.notes},
                    {"--resource", "resource (chair, room, provider) to book; default: the first free one",
                     &o.resource},
                };
              },
              RunCreate),
          MakeCommand<ListOptions>(
              "list", "list appointments",
              "Lists appointments by start time, optionally only those starting in [--from, --to) (dates are "
              "local midnights), with a status, or of a customer (id, email, phone or part of the name).",
              {"$ omni book list -b acme --from 2026-12-01 --to 2026-12-08",
               "$ omni book list -b acme --status confirmed --customer ann@example.com -o json"},
              [](ListOptions& o) {
                return std::vector<Option>{
                    {"--from", "earliest start: YYYY-MM-DD, local time or ISO-8601", &o.from},
                    {"--to", "start before: YYYY-MM-DD, local time or ISO-8601", &o.to},
                    {"--status", "scheduled, confirmed, completed, canceled or no_show", &o.status},
                    {"--customer", "customer id (or its first 6 or more characters), email, phone or part of the name", &o.customer},
                    {"--limit", "at most this many (default 200)", &o.limit},
                };
              },
              RunList),
          MakeCommand<IdOptions>(
              "show", "show one appointment", "Shows an appointment with its customer, times and status.",
              {"$ omni book show -b acme 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "appointment id, or its first 6 or more characters", &o.id, true}}; }, RunShow),
          MakeCommand<CancelOptions>(
              "cancel", "cancel an appointment and free its slot",
              "Cancels a scheduled or confirmed appointment: its slot is free again at once, and its calendar "
              "event becomes a cancellation (a higher SEQUENCE).",
              {"$ omni book cancel -b acme 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f --reason \"client is ill\""},
              [](CancelOptions& o) {
                return std::vector<Option>{{"id", "appointment id, or its first 6 or more characters", &o.id, true},
                                           {"--reason", "why it was canceled", &o.reason}};
              },
              RunCancel),
          MakeCommand<RescheduleOptions>(
              "reschedule", "move an appointment to another start",
              "Moves a scheduled or confirmed appointment atomically: the new slot is taken and the old one "
              "freed together, or nothing changes. With --resource it moves to that resource; otherwise it "
              "keeps its own when that is free at the new start, else takes the first free one. When the new "
              "slot is taken, prints the nearest free starts and exits 6.",
              {"$ omni book reschedule -b acme 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f --start \"2026-12-02 10:00\"",
               "$ omni book reschedule -b acme 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f --start \"2026-12-02 10:00\" "
               "--resource \"Chair 2\""},
              [start_help](RescheduleOptions& o) {
                return std::vector<Option>{{"id", "appointment id, or its first 6 or more characters", &o.id, true},
                                           {"--start", "new " + start_help, &o.start, true},
                                           {"--resource", "resource (chair, room, provider) to move it to; default: "
                                                          "its own when free, else the first free one",
                                            &o.resource}};
              },
              RunReschedule),
          TransitionCommand("confirm", "confirm a scheduled appointment",
                            "Marks a scheduled appointment as confirmed by the customer.", &BookingService::Confirm,
                            "confirmed"),
          TransitionCommand("complete", "mark an appointment as completed",
                            "Marks a scheduled or confirmed appointment as completed, once it has started.",
                            &BookingService::Complete, "completed"),
          TransitionCommand("no-show", "mark an appointment as a no-show",
                            "Marks a scheduled or confirmed appointment whose customer did not come, once it has "
                            "started.",
                            &BookingService::MarkNoShow, "marked as no-show"),
          MakeCommand<IdOptions>(
              "ics", "print an appointment as an iCalendar file",
              "Prints the appointment as an RFC 5545 calendar (.ics) to import or attach to an email: UTC "
              "times, a stable UID, and METHOD:CANCEL once canceled.",
              {"$ omni book ics -b acme 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f > appointment.ics"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "appointment id, or its first 6 or more characters", &o.id, true}}; }, RunIcs),
      });
}

}  // namespace omni::cli
