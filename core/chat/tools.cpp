// Tool definitions and execution. See tools.hpp.
#include "core/chat/tools.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/chat/schema.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"

namespace omni::chat {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxServicesWithoutName = 6;   // check_availability without a service
constexpr int kMaxTimesPerServiceListed = 16;
constexpr int kSearchLimit = 4;

json DateProperty(const std::string& what) {
  return {{"type", "string"}, {"format", "date"}, {"description", what + ", YYYY-MM-DD, in the business's local time"}};
}
json TimeProperty(const std::string& what) {
  return {{"type", "string"}, {"format", "time"}, {"description", what + ", HH:MM (24-hour), local time"}};
}
json Text(const std::string& description, int min_length = 1) {
  return {{"type", "string"}, {"minLength", min_length}, {"description", description}};
}
json Object(json properties, json required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)},
          {"additionalProperties", false}};
}

// Identifies an existing appointment: its id, or its date and time
// (checked in Locate, since either is enough). No contact: a contact typed
// in the chat proves nothing (see MayChange).
json AppointmentLookup() {
  return {{"appointment_id", {{"type", "string"}, {"format", "uuid"}, {"description", "the appointment's id, when known"}}},
          {"date", DateProperty("the appointment's date, when the id is not known")},
          {"time", TimeProperty("the appointment's start time, when the id is not known")}};
}

struct Definition {
  std::string name;
  std::string description;
  json schema;
};

const std::vector<Definition>& Definitions() {
  static const std::vector<Definition> definitions = [] {
    std::vector<Definition> d;
    d.push_back({"check_availability",
                 "Lists the start times that can be booked on a date, for one service or for each bookable service.",
                 Object({{"date", DateProperty("the date to check")},
                         {"service", Text("the service name exactly as listed; omit to check every service")}},
                        {"date"})});
    d.push_back({"book_appointment",
                 "Books a service at a date and time that check_availability offered. Call it only after the "
                 "customer confirmed the service, date, time, their name and an email or phone.",
                 Object({{"date", DateProperty("the appointment date")},
                         {"time", TimeProperty("the start time")},
                         {"service", Text("the service name exactly as listed")},
                         {"customer_name", Text("the customer's full name")},
                         {"customer_phone", Text("the customer's phone number")},
                         {"customer_email", Text("the customer's email address")}},
                        {"date", "time", "service", "customer_name"})});
    json cancel = AppointmentLookup();
    cancel["reason"] = Text("why the customer cancels", 0);
    d.push_back({"cancel_appointment",
                 "Cancels an appointment, named by its id or by its date and time. It reaches only appointments "
                 "booked in this chat and, for a signed-in customer, their own; for any other, offer a team member "
                 "(escalate_to_human). Confirm with the customer first.",
                 Object(cancel, json::array())});
    json reschedule = AppointmentLookup();
    reschedule["new_date"] = DateProperty("the new date");
    reschedule["new_time"] = TimeProperty("the new start time");
    d.push_back({"reschedule_appointment",
                 "Moves an appointment to a new date and time that check_availability offered. Name it by id or "
                 "by its current date and time. It reaches the same appointments as cancel_appointment.",
                 Object(reschedule, {"new_date", "new_time"})});
    d.push_back({"list_services", "Lists the business's services with duration, price and description.",
                 Object(json::object(), json::array())});
    d.push_back({"search_knowledge",
                 "Searches the business's knowledge base (FAQ, policies, documents). Returns numbered passages to "
                 "cite as [n].",
                 Object({{"query", Text("what to look for, in a few words")}}, {"query"})});
    d.push_back({"escalate_to_human",
                 "Hands the conversation to a team member: complaints, refunds, medical or safety concerns, a "
                 "request for a person, or anything you cannot answer.",
                 Object({{"reason", Text("a short reason for the team")},
                         {"customer_asked",
                          {{"type", "boolean"},
                           {"description", "true when the customer asked to talk to a person"}}}},
                        {"reason"})});
    return d;
  }();
  return definitions;
}

// The error a tool returns to the model.
ToolOutcome Failure(const std::string& name, const std::string& message, const std::string& hint = {}) {
  ToolOutcome outcome;
  outcome.name = name;
  outcome.ok = false;
  json body = {{"error", message}};
  if (!hint.empty()) body["hint"] = hint;
  outcome.result_json = body.dump();
  return outcome;
}

std::string Str(const json& args, const char* key) {
  auto it = args.find(key);
  return it != args.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string LocalTime(TimePoint instant, const std::string& zone) {
  return booking::FormatLocal(instant, zone).substr(11);  // "YYYY-MM-DD HH:MM" -> "HH:MM"
}
std::string LocalDay(TimePoint instant, const std::string& zone) {
  return booking::FormatLocal(instant, zone).substr(0, 10);
}

const std::string& Zone(const ToolContext& context) { return context.business->spec.timezone; }

json AppointmentJson(const booking::Appointment& appointment, const std::string& zone) {
  return {{"appointment_id", appointment.id},
          {"service", appointment.service_name},
          {"date", LocalDay(appointment.start, zone)},
          {"time", LocalTime(appointment.start, zone)},
          {"end_time", LocalTime(appointment.end, zone)},
          {"status", booking::StatusName(appointment.status)},
          {"customer_name", appointment.customer_name}};
}

json Alternatives(const std::vector<TimePoint>& starts, const std::string& zone) {
  json list = json::array();
  for (const auto& start : starts) list.push_back({{"date", LocalDay(start, zone)}, {"time", LocalTime(start, zone)}});
  return list;
}

std::string ServiceNames(const business::BusinessSpec& spec) {
  std::string names;
  for (const auto& service : spec.services) {
    if (service.active && service.bookable) names += (names.empty() ? "" : ", ") + service.name;
  }
  return names;
}

ToolOutcome Ok(const std::string& name, json body) {
  ToolOutcome outcome;
  outcome.name = name;
  outcome.result_json = body.dump();
  return outcome;
}

ToolOutcome CheckAvailability(ToolContext& context, const json& args) {
  const auto& zone = Zone(context);
  const auto date = booking::ParseDate(Str(args, "date"), "date");
  std::vector<std::string> names;
  std::size_t max_times = std::numeric_limits<std::size_t>::max();
  if (const auto service = Str(args, "service"); !service.empty()) {
    names.push_back(service);
  } else {
    max_times = kMaxTimesPerServiceListed;
    for (const auto& service : context.business->spec.services) {
      if (service.active && service.bookable && names.size() < kMaxServicesWithoutName) names.push_back(service.name);
    }
  }
  json services = json::array();
  if (!names.empty()) {
    for (const auto& slots : context.booking->SlotsForEach(context.business->id, names, date, 1)) {
      json times = json::array();
      for (const auto& start : slots.starts) {
        if (times.size() == max_times) break;
        times.push_back(LocalTime(start, zone));
      }
      json entry = {{"service", slots.service_name}, {"duration_min", slots.duration_min}, {"times", times}};
      if (slots.starts.size() > max_times) entry["more_times"] = slots.starts.size() - max_times;
      services.push_back(std::move(entry));
    }
  }
  bool any = false;
  for (const auto& entry : services) any = any || !entry["times"].empty();
  json body = {{"date", Str(args, "date")}, {"services", services}};
  if (!any) body["note"] = "nothing can be booked on this date; suggest another date";
  return Ok("check_availability", std::move(body));
}

ToolOutcome BookAppointment(ToolContext& context, const json& args) {
  const auto& zone = Zone(context);
  booking::CreateRequest request;
  request.service = Str(args, "service");
  request.start = booking::ParseStartTime(Str(args, "date") + " " + Str(args, "time"), zone);
  request.customer.name = Str(args, "customer_name");
  request.customer.email = Str(args, "customer_email");
  request.customer.phone = Str(args, "customer_phone");
  if (request.customer.email.empty() && request.customer.phone.empty()) {
    request.customer.email = context.customer_email;
    request.customer.phone = context.customer_phone;
  }
  if (request.customer.email.empty() && request.customer.phone.empty()) {
    return Failure("book_appointment", "book_appointment: customer_email or customer_phone is required",
                   "Ask the customer for an email address or phone number, then call again.");
  }
  request.conversation_id = context.conversation_id;
  request.contact_is_claim = context.contacts_are_claims;
  if (context.contacts_are_claims) request.customer_id = context.customer_id;
  const auto result = context.booking->Create(context.business->id, request);
  if (result.outcome == booking::BookingResult::kSlotTaken) {
    return Ok("book_appointment", {{"booked", false},
                                   {"reason", "that time was just taken"},
                                   {"alternatives", Alternatives(result.alternatives, zone)}});
  }
  json body = AppointmentJson(*result.appointment, zone);
  body["booked"] = true;
  auto outcome = Ok("book_appointment", std::move(body));
  outcome.appointment_id = result.appointment->id;
  outcome.customer_id = result.appointment->customer_id;
  return outcome;
}

// Whether this conversation may change `appointment`: one booked in this
// chat, or one of a customer the visitor proved to be. A date, a time and
// an email are no proof: a stranger can know all three.
bool MayChange(const ToolContext& context, const booking::Appointment& appointment) {
  if (!context.conversation_id.empty() && appointment.conversation_id == context.conversation_id) return true;
  return context.customer_proven && !context.customer_id.empty() && appointment.customer_id == context.customer_id;
}

constexpr const char* kNotYoursHint =
    "Only appointments booked in this chat, or a signed-in customer's own, can be changed here. Check the date "
    "and time with the customer, or offer to have a team member help (escalate_to_human).";

// The live appointment the arguments name, in this business only.
booking::Appointment Locate(ToolContext& context, const std::string& tool, const json& args) {
  if (const auto id = Str(args, "appointment_id"); !id.empty()) {
    std::optional<booking::Appointment> found;
    try {
      found = context.booking->Get(context.business->id, id);
    } catch (const NotFound&) {
    }
    // Someone else's appointment reads as missing: its existence is not the visitor's to learn.
    if (!found || !MayChange(context, *found)) {
      throw NotFound(tool + ": appointment " + id + " not found", kNotYoursHint);
    }
    return *found;
  }
  const auto date = Str(args, "date");
  const auto time = Str(args, "time");
  if (date.empty() || time.empty()) {
    throw InvalidInput(tool + ": give appointment_id, or date and time",
                       "Ask the customer when the appointment is.");
  }
  const auto start = booking::ParseStartTime(date + " " + time, Zone(context));
  booking::ListFilter filter;
  filter.from = start;
  filter.to = start + std::chrono::minutes(1);
  for (const auto& appointment : context.booking->List(context.business->id, filter)) {
    const bool live =
        appointment.status == booking::Status::kScheduled || appointment.status == booking::Status::kConfirmed;
    if (live && MayChange(context, appointment)) return appointment;
  }
  throw NotFound(tool + ": no appointment on " + date + " at " + time + " that this chat may change", kNotYoursHint);
}

ToolOutcome CancelAppointment(ToolContext& context, const json& args) {
  const auto appointment = Locate(context, "cancel_appointment", args);
  const auto cancelled = context.booking->Cancel(context.business->id, appointment.id, Str(args, "reason"),
                                                  context.conversation_id);
  json body = AppointmentJson(cancelled, Zone(context));
  body["canceled"] = true;
  auto outcome = Ok("cancel_appointment", std::move(body));
  outcome.appointment_id = cancelled.id;
  return outcome;
}

ToolOutcome RescheduleAppointment(ToolContext& context, const json& args) {
  const auto& zone = Zone(context);
  const auto appointment = Locate(context, "reschedule_appointment", args);
  const auto new_start = booking::ParseStartTime(Str(args, "new_date") + " " + Str(args, "new_time"), zone);
  const auto result = context.booking->Reschedule(context.business->id, appointment.id, new_start, "",
                                                   context.conversation_id);
  if (result.outcome == booking::BookingResult::kSlotTaken) {
    return Ok("reschedule_appointment", {{"rescheduled", false},
                                         {"reason", "that time is taken"},
                                         {"alternatives", Alternatives(result.alternatives, zone)}});
  }
  json body = AppointmentJson(*result.appointment, zone);
  body["rescheduled"] = true;
  auto outcome = Ok("reschedule_appointment", std::move(body));
  outcome.appointment_id = result.appointment->id;
  return outcome;
}

ToolOutcome ListServices(ToolContext& context) {
  json services = json::array();
  for (const auto& service : context.business->spec.services) {
    if (!service.active) continue;
    services.push_back({{"name", service.name},
                        {"duration_min", service.duration_min},
                        {"price", FormatCents(service.price_cents)},
                        {"description", service.description},
                        {"bookable_online", service.bookable}});
  }
  return Ok("list_services", {{"services", services}});
}

ToolOutcome SearchKnowledge(ToolContext& context, const json& args) {
  const auto query = Str(args, "query");
  std::vector<Passage> found;
  if (context.search) found = context.search(query, kSearchLimit);
  auto& citations = *context.citations;
  json results = json::array();
  std::vector<int> numbers;
  for (auto& passage : found) {
    int number = 0;
    for (std::size_t i = 0; i < citations.size(); ++i) {
      if (!passage.chunk_id.empty() && citations[i].chunk_id == passage.chunk_id) number = static_cast<int>(i) + 1;
    }
    if (number == 0) {
      citations.push_back(passage);
      number = static_cast<int>(citations.size());
    }
    numbers.push_back(number);
    results.push_back({{"citation", number}, {"title", passage.title}, {"source", passage.source}, {"text", passage.text}});
  }
  json body = {{"results", results}};
  if (results.empty()) body["note"] = "nothing in the knowledge base matches; do not guess";
  auto outcome = Ok("search_knowledge", std::move(body));
  outcome.cited = std::move(numbers);
  return outcome;
}

ToolOutcome EscalateToHuman(const json& args) {
  auto outcome = Ok("escalate_to_human",
                    {{"escalated", true},
                     {"note", "a team member now owns this conversation; tell the customer they will reply here"}});
  outcome.escalation_reason = Str(args, "reason");
  outcome.customer_asked = args.value("customer_asked", false);
  return outcome;
}

ToolOutcome Dispatch(ToolContext& context, const std::string& name, const json& args) {
  if (context.dry_run && name != "check_availability" && name != "list_services" && name != "search_knowledge") {
    return Ok(name, {{"dry_run", true}, {"note", "replay: nothing was changed"}});
  }
  if (name == "check_availability") return CheckAvailability(context, args);
  if (name == "book_appointment") return BookAppointment(context, args);
  if (name == "cancel_appointment") return CancelAppointment(context, args);
  if (name == "reschedule_appointment") return RescheduleAppointment(context, args);
  if (name == "list_services") return ListServices(context);
  if (name == "search_knowledge") return SearchKnowledge(context, args);
  return EscalateToHuman(args);
}

}  // namespace

const std::vector<llm::ToolSpec>& ToolSpecs() {
  static const std::vector<llm::ToolSpec> specs = [] {
    std::vector<llm::ToolSpec> list;
    for (const auto& definition : Definitions()) {
      list.push_back({definition.name, definition.description, definition.schema.dump()});
    }
    return list;
  }();
  return specs;
}

std::vector<booking::Appointment> ChangeableAppointments(ToolContext& context, TimePoint from, int limit) {
  std::vector<booking::Appointment> found;
  auto gather = [&](booking::ListFilter filter) {
    filter.from = from;
    for (auto& appointment : context.booking->List(context.business->id, filter)) {
      const bool live =
          appointment.status == booking::Status::kScheduled || appointment.status == booking::Status::kConfirmed;
      const bool seen = std::any_of(found.begin(), found.end(), [&](const auto& a) { return a.id == appointment.id; });
      if (live && !seen && MayChange(context, appointment)) found.push_back(std::move(appointment));
    }
  };
  if (!context.conversation_id.empty()) {
    booking::ListFilter in_chat;
    in_chat.conversation_id = context.conversation_id;
    gather(in_chat);
  }
  if (context.customer_proven && !context.customer_id.empty()) {
    booking::ListFilter own;
    own.customer = context.customer_id;
    gather(own);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  if (found.size() > static_cast<std::size_t>(std::max(0, limit))) found.resize(static_cast<std::size_t>(std::max(0, limit)));
  return found;
}

const nlohmann::json* ToolSchema(const std::string& name) {
  for (const auto& definition : Definitions()) {
    if (definition.name == name) return &definition.schema;
  }
  return nullptr;
}

ToolOutcome ExecuteTool(ToolContext& context, const llm::ToolCall& call) {
  const auto started = std::chrono::steady_clock::now();
  ToolOutcome outcome = [&] {
    const json* schema = ToolSchema(call.name);
    if (schema == nullptr) {
      std::string names;
      for (const auto& definition : Definitions()) names += (names.empty() ? "" : ", ") + definition.name;
      return Failure(call.name, "unknown tool \"" + call.name + "\"", "Use one of: " + names + ".");
    }
    json args = call.arguments_json.empty() ? json::object() : json::parse(call.arguments_json, nullptr, false);
    if (args.is_discarded()) {
      return Failure(call.name, call.name + ": arguments are not valid JSON",
                     "Send the arguments as one JSON object.");
    }
    const auto errors = ValidateJson(*schema, args, call.name);
    if (!errors.empty()) {
      std::string message;
      for (const auto& error : errors) message += (message.empty() ? "" : "; ") + error;
      return Failure(call.name, message, "Fix the arguments and call the tool again.");
    }
    try {
      return Dispatch(context, call.name, args);
    } catch (const NotFound& e) {
      std::string hint = e.hint();
      if (call.name == "check_availability" || call.name == "book_appointment") {
        hint = "Bookable services: " + ServiceNames(context.business->spec) + ".";
      }
      return Failure(call.name, e.what(), hint);
    } catch (const Error& e) {
      return Failure(call.name, e.what(), e.hint());
    } catch (const std::exception& e) {
      return Failure(call.name, call.name + " failed: " + e.what());
    }
  }();
  outcome.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return outcome;
}

}  // namespace omni::chat
