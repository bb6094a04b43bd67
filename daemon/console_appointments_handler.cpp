// Appointments of the caller's business through booking::BookingService,
// as `omni book list|slots|create|reschedule|cancel` and the assistant's
// tools use it. Times in answers are ISO 8601 UTC, with the business's
// time zone beside them; times in requests are ISO 8601 with an offset, or
// local to the business ("2026-12-01 15:00"; a date alone for from/to).
//
// GET /v1/console/appointments (appointments:read)
//   Query (all optional): from, to (start in [from, to)), status, customer
//   (id, email, phone or part of the name), limit (1 to 200, default 50),
//   cursor. 200 {"appointments":[AppointmentJson...],"next_cursor"}.
// GET /v1/console/slots?service=NAME_OR_ID[&date=YYYY-MM-DD][&days=1..14]
//   [&resource=] (appointments:read): 200 {"service","service_id",
//   "duration_min","time_zone","starts":[UTC...],"why_none": string or null}.
// POST /v1/console/appointments {"service","start","customer":{"name",
//   "email","phone"},"notes"?,"resource"?} (appointments:write)
//   201 AppointmentJson.
// POST /v1/console/appointments/{id}/reschedule {"start","resource"?}
//   (appointments:write): 200 AppointmentJson.
// POST /v1/console/appointments/{id}/cancel {"reason"?} (appointments:write):
//   200 AppointmentJson; 409 when it is not live.
// A start taken meanwhile is 409 {"error":{"code":"slot_taken",...},
// "alternatives":[UTC...]} (the nearest free starts), and changes nothing.
#include <nlohmann/json.hpp>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

constexpr int kMaxPage = 200;
constexpr int kMaxSlotDays = 14;
constexpr std::size_t kMaxNotes = 4096;

json AppointmentJson(const booking::Appointment& a, const std::string& region) {
  const auto text = [](const std::string& value) { return value.empty() ? json(nullptr) : json(value); };
  return {{"id", a.id},
          {"status", booking::StatusName(a.status)},
          {"service", a.service_name},
          {"service_id", a.service_id},
          {"customer",
           {{"id", a.customer_id},
            {"name", a.customer_name},
            {"email", text(a.customer_email)},
            {"phone", text(a.customer_phone)},
            {"phone_display", PhoneDisplay(a.customer_phone, region)}}},
          {"resource", text(a.resource_name)},
          {"conversation_id", text(a.conversation_id)},
          {"start", IsoUtc(a.start)},
          {"end", IsoUtc(a.end)},
          {"time_zone", a.time_zone},
          {"sequence", a.sequence},
          {"notes", a.notes},
          {"cancel_reason", text(a.cancel_reason)},
          {"created_at", IsoUtc(a.created_at)},
          {"updated_at", IsoUtc(a.updated_at)}};
}

// The answer to a create or a move: the appointment, or 409 slot_taken.
Response Outcome(const booking::BookingResult& result, int booked_status, const std::string& region) {
  if (result.outcome == booking::BookingResult::kBooked) {
    return Response::Json(booked_status, AppointmentJson(*result.appointment, region));
  }
  auto response = ErrorResponse(409, "slot_taken", "that start is no longer free",
                                "Pick one of the alternatives, or ask GET /v1/console/slots again.");
  json body = json::parse(response.body);
  json alternatives = json::array();
  for (TimePoint t : result.alternatives) alternatives.push_back(IsoUtc(t));
  body["alternatives"] = std::move(alternatives);
  response.body = body.dump();
  return response;
}

asio::awaitable<Response> List(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const int page = PageLimit(request, 50, kMaxPage);
  auto list = co_await RunBlocking(exchange.app().blocking(), [&] {
    booking::BookingService service(pool, DefaultClock());
    const std::string zone = service.TimeZone(business_id);
    booking::ListFilter filter;
    if (const auto from = request.Query("from"); from && !from->empty()) filter.from = booking::ParseInstantOrDate(*from, zone);
    if (const auto to = request.Query("to"); to && !to->empty()) filter.to = booking::ParseInstantOrDate(*to, zone);
    if (const auto status = request.Query("status"); status && !status->empty()) filter.status = booking::ParseStatus(*status);
    const std::string customer = request.Query("customer").value_or("");
    filter.customer = IsUuid(customer) ? Lower(customer) : customer;
    filter.after = request.Query("cursor").value_or("");
    // One more than the page tells whether another page follows.
    filter.limit = page + 1;
    return service.List(business_id, filter);
  });
  json next = nullptr;
  if (static_cast<int>(list.size()) > page) {
    list.resize(static_cast<std::size_t>(page));
    next = booking::NextCursor(list.back());
  }
  json out = json::array();
  for (const auto& a : list) out.push_back(AppointmentJson(a, call.principal.business_phone_region));
  co_return Response::Json(200, {{"appointments", std::move(out)}, {"next_cursor", next}});
}

asio::awaitable<Response> Slots(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  const std::string service_name = request.Query("service").value_or("");
  if (service_name.empty()) throw InvalidInput("service: required", "Name a service, e.g. ?service=Haircut.");
  int days = 1;
  if (const auto text = request.Query("days"); text && !text->empty()) {
    if (text->size() > 2 || text->find_first_not_of("0123456789") != std::string::npos || std::stoi(*text) < 1 ||
        std::stoi(*text) > kMaxSlotDays) {
      throw InvalidInput("days: expected 1 to " + std::to_string(kMaxSlotDays) + ", got \"" + *text + "\"");
    }
    days = std::stoi(*text);
  }
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto slots = co_await RunBlocking(exchange.app().blocking(), [&] {
    booking::BookingService service(pool, DefaultClock());
    const std::string zone = service.TimeZone(business_id);
    const std::string date = request.Query("date").value_or("");
    const auto first_day = date.empty() ? booking::LocalDate(DefaultClock().Now(), zone) : booking::ParseDate(date, "date");
    return service.Slots(business_id, service_name, first_day, days, request.Query("resource").value_or(""));
  });
  json starts = json::array();
  for (TimePoint t : slots.starts) starts.push_back(IsoUtc(t));
  co_return Response::Json(200, {{"service", slots.service_name},
                                 {"service_id", slots.service_id},
                                 {"duration_min", slots.duration_min},
                                 {"time_zone", slots.time_zone},
                                 {"starts", std::move(starts)},
                                 {"why_none", slots.why_none.empty() ? json(nullptr) : json(slots.why_none)}});
}

asio::awaitable<Response> Create(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  booking::CreateRequest create;
  create.service = RequiredString(body, "service", 200);
  const std::string start = RequiredString(body, "start", 100);
  if (!body.contains("customer") || !body["customer"].is_object()) {
    throw InvalidInput("customer: expected an object with a name and an email or phone");
  }
  const json& customer = body["customer"];
  create.customer = {OptionalString(customer, "name", 200).value_or(""), OptionalString(customer, "email", 254).value_or(""),
                     OptionalString(customer, "phone", 40).value_or("")};
  create.notes = OptionalString(body, "notes", kMaxNotes).value_or("");
  create.resource = OptionalString(body, "resource", 200).value_or("");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto result = co_await RunBlocking(exchange.app().blocking(), [&] {
    booking::BookingService service(pool, DefaultClock());
    create.start = booking::ParseStartTime(start, service.TimeZone(business_id));
    return service.Create(business_id, create);
  });
  co_return Outcome(result, 201, call.principal.business_phone_region);
}

asio::awaitable<Response> Reschedule(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  const std::string id = RequireIdParam(exchange.request(), "id", "appointment");
  const std::string start = RequiredString(body, "start", 100);
  const std::string resource = OptionalString(body, "resource", 200).value_or("");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto result = co_await RunBlocking(exchange.app().blocking(), [&] {
    booking::BookingService service(pool, DefaultClock());
    // The appointment first, so another business's id is 404 before its
    // start is judged.
    service.Get(business_id, id);
    return service.Reschedule(business_id, id, booking::ParseStartTime(start, service.TimeZone(business_id)), resource);
  });
  co_return Outcome(result, 200, call.principal.business_phone_region);
}

asio::awaitable<Response> Cancel(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  json body = json::object();
  if (!request.body.empty()) {
    if (auto refused = RequireJsonBody(request, body)) co_return *refused;
  }
  const std::string id = RequireIdParam(request, "id", "appointment");
  const std::string reason = OptionalString(body, "reason", 1000).value_or("");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto appointment = co_await RunBlocking(exchange.app().blocking(), [&] {
    return booking::BookingService(pool, DefaultClock()).Cancel(business_id, id, reason);
  });
  co_return Response::Json(200, AppointmentJson(appointment, call.principal.business_phone_region));
}

}  // namespace

asio::awaitable<Response> HandleConsoleAppointments(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAppointmentsRead, &List);
}

asio::awaitable<Response> HandleConsoleSlots(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAppointmentsRead, &Slots);
}

asio::awaitable<Response> HandleConsoleAppointmentCreate(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAppointmentsWrite, &Create);
}

asio::awaitable<Response> HandleConsoleAppointmentReschedule(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAppointmentsWrite, &Reschedule);
}

asio::awaitable<Response> HandleConsoleAppointmentCancel(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAppointmentsWrite, &Cancel);
}

}  // namespace omni::omnid
