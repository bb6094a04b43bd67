// The offline booking dialogue's steps. See booking_dialogue.hpp.
#include "core/chat/booking_dialogue.hpp"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/chat/offline.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"

namespace omni::chat {
namespace {

using nlohmann::json;
using std::chrono::year_month_day;

constexpr std::size_t kStartsListed = 6;  // "which time?": at most this many starts
constexpr std::size_t kNearestOffered = 3;
constexpr int kDaysSearchedAhead = 14;    // for the nearest free starts after a full day
constexpr int kAppointmentsListed = 8;

struct Flow {
  ToolContext& tools;
  const business::BusinessSpec& spec;
  DateOrder order;
  year_month_day today;
  TimePoint now;
  const DialogueToolEvent& on_tool;
  DialogueState state;
  DialogueReply reply;
};

const std::string& Zone(const Flow& flow) { return flow.spec.timezone; }

int LocalMinutes(const Flow& flow, TimePoint start) {
  const auto text = booking::FormatLocal(start, Zone(flow));  // "YYYY-MM-DD HH:MM"
  return std::stoi(text.substr(11, 2)) * 60 + std::stoi(text.substr(14, 2));
}

std::string When(const Flow& flow, year_month_day day, int minutes) {
  return FormatDay(day) + " at " + FormatClock(minutes, flow.order);
}
std::string When(const Flow& flow, TimePoint start) {
  return When(flow, booking::LocalDate(start, Zone(flow)), LocalMinutes(flow, start));
}

// "A, B or C".
std::string Listing(const std::vector<std::string>& items, const char* last_joint = " or ") {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += i + 1 == items.size() ? last_joint : ", ";
    text += items[i];
  }
  return text;
}

void Ask(Flow& flow, std::string text, Awaiting awaiting) {
  flow.reply.text = std::move(text);
  flow.state.awaiting = awaiting;
}

// The dialogue is over (done, or given up); the contact stays for the next.
void Reset(Flow& flow) {
  DialogueState fresh;
  fresh.name = flow.state.name;
  fresh.email = flow.state.email;
  fresh.phone = flow.state.phone;
  flow.state = std::move(fresh);
}

void HandOff(Flow& flow, std::string text, std::string reason) {
  flow.reply.text = std::move(text);
  flow.reply.handoff = true;
  flow.reply.handoff_reason = std::move(reason);
  Reset(flow);
}

const business::ServiceSpec* FindService(const Flow& flow, const std::string& name) {
  for (const auto& service : flow.spec.services) {
    if (service.active && Lower(service.name) == Lower(name)) return &service;
  }
  return nullptr;
}

std::vector<std::string> BookableNames(const Flow& flow) {
  std::vector<std::string> names;
  for (const auto& service : flow.spec.services) {
    if (service.active && service.bookable) names.push_back(service.name);
  }
  return names;
}

std::string LocalKey(const Flow& flow, TimePoint start) { return booking::FormatLocal(start, Zone(flow)); }

// Offers `starts`: the state remembers them, so "the second one" or "10:30"
// picks one next turn.
std::string Offer(Flow& flow, const std::vector<TimePoint>& starts) {
  flow.state.offered.clear();
  std::vector<std::string> shown;
  bool one_day = true;
  for (const auto& start : starts) {
    one_day = one_day && booking::LocalDate(start, Zone(flow)) == booking::LocalDate(starts.front(), Zone(flow));
  }
  for (const auto& start : starts) {
    flow.state.offered.push_back(LocalKey(flow, start));
    shown.push_back(one_day ? FormatClock(LocalMinutes(flow, start), flow.order) : When(flow, start));
  }
  return (one_day ? "on " + FormatDay(booking::LocalDate(starts.front(), Zone(flow))) + " " : std::string()) +
         "at " + Listing(shown);
}

// The free starts nearest to `target` on its day, else the first ones of
// the next days; ascending.
std::vector<TimePoint> Nearest(Flow& flow, const std::string& service, year_month_day day, TimePoint target) {
  auto starts = flow.tools.booking->Slots(flow.tools.business->id, service, day, 1).starts;
  if (starts.empty()) {
    const year_month_day next{std::chrono::sys_days{day} + std::chrono::days{1}};
    starts = flow.tools.booking->Slots(flow.tools.business->id, service, next, kDaysSearchedAhead).starts;
    if (starts.size() > kNearestOffered) starts.resize(kNearestOffered);
    return starts;
  }
  std::stable_sort(starts.begin(), starts.end(), [&](TimePoint a, TimePoint b) {
    return std::llabs((a - target).count()) < std::llabs((b - target).count());
  });
  if (starts.size() > kNearestOffered) starts.resize(kNearestOffered);
  std::sort(starts.begin(), starts.end());
  return starts;
}

std::optional<TimePoint> StartOf(const Flow& flow, year_month_day day, int minutes) {
  try {
    return booking::ParseStartTime(booking::FormatDate(day) + " " + business::FormatClockTime(minutes), Zone(flow));
  } catch (const InvalidInput&) {
    return std::nullopt;  // a local time that a clock change skips or repeats
  }
}

// Settles the day and time of `service` in the state: true when both are
// set and free; otherwise the reply asks for them (or offers starts).
bool SettleTime(Flow& flow, const std::string& service, const std::string& what) {
  auto& state = flow.state;
  if (!state.date) {
    Ask(flow, "What day would you like " + what + "?", Awaiting::kDate);
    return false;
  }
  if (std::chrono::sys_days{*state.date} < std::chrono::sys_days{flow.today}) {
    state.date.reset();
    Ask(flow, "That day has passed. What day would you like " + what + "?", Awaiting::kDate);
    return false;
  }
  const auto& business_id = flow.tools.business->id;
  const auto day_starts = flow.tools.booking->Slots(business_id, service, *state.date, 1).starts;
  const std::string day = FormatDay(*state.date);
  if (!state.time_min) {
    std::vector<TimePoint> fitting;
    for (const auto& start : day_starts) {
      const int minutes = LocalMinutes(flow, start);
      if (!state.range || (minutes >= state.range->from_min && minutes < state.range->to_min)) fitting.push_back(start);
    }
    if (!fitting.empty()) {
      // A whole day: spread over it rather than its first hours.
      std::vector<TimePoint> shown;
      if (state.range || fitting.size() <= kStartsListed) {
        for (std::size_t i = 0; i < fitting.size() && shown.size() < kStartsListed; ++i) shown.push_back(fitting[i]);
      } else {
        for (std::size_t i = 0; i < kStartsListed; ++i) shown.push_back(fitting[i * (fitting.size() - 1) / (kStartsListed - 1)]);
      }
      Ask(flow, "I can offer " + service + " " + Offer(flow, shown) + ". Which time suits you?", Awaiting::kTime);
      return false;
    }
    const int edge = state.range ? state.range->from_min : 9 * 60;
    const auto target = StartOf(flow, *state.date, std::min(edge, 23 * 60 + 59));
    const auto nearest = Nearest(flow, service, *state.date, target.value_or(booking::LocalMidnight(*state.date, Zone(flow))));
    const std::string when = state.range ? "at that time on " + day : "on " + day;
    state.range.reset();
    if (nearest.empty()) {
      state.date.reset();
      Ask(flow, "Sorry, nothing is free for " + service + " " + when + " or in the two weeks after. Which other day would suit you?",
          Awaiting::kDate);
      return false;
    }
    Ask(flow, "Sorry, nothing is free for " + service + " " + when + ". The nearest free times are " +
                  Offer(flow, nearest) + ". Would one of those work?",
        Awaiting::kTime);
    return false;
  }
  const auto start = StartOf(flow, *state.date, *state.time_min);
  if (start && std::find(day_starts.begin(), day_starts.end(), *start) != day_starts.end()) return true;
  const std::string asked = When(flow, *state.date, *state.time_min);
  const bool past = start && *start < flow.now;
  state.time_min.reset();
  const auto nearest = Nearest(flow, service, *state.date, start.value_or(booking::LocalMidnight(*state.date, Zone(flow))));
  const std::string why = past ? asked + " has already passed." : asked + " isn't free.";
  if (nearest.empty()) {
    state.date.reset();
    Ask(flow, "Sorry, " + why + " Nothing is free for " + service + " that day or in the two weeks after. Which other day would suit you?",
        Awaiting::kDate);
    return false;
  }
  Ask(flow, "Sorry, " + why + " The nearest free times are " + Offer(flow, nearest) + ". Would one of those work?",
      Awaiting::kTime);
  return false;
}

struct ToolRun {
  json result;       // the tool's JSON answer
  bool changed = false;  // it booked, moved or canceled an appointment
  bool dry_run = false;  // replay: nothing was changed
};

// Runs one of the assistant's tools as the model would call it.
ToolRun RunTool(Flow& flow, const std::string& name, const json& args) {
  if (flow.on_tool) flow.on_tool(name, false, true);
  llm::ToolCall call;
  call.id = "offline_" + name;
  call.name = name;
  call.arguments_json = args.dump();
  auto outcome = ExecuteTool(flow.tools, call);
  if (flow.on_tool) flow.on_tool(name, true, outcome.ok);
  ToolRun run;
  run.result = json::parse(outcome.result_json, nullptr, false);
  if (!run.result.is_object()) run.result = json::object();
  run.changed = outcome.ok && !outcome.appointment_id.empty();
  run.dry_run = run.result.value("dry_run", false);
  flow.reply.calls.push_back({name, call.arguments_json, std::move(outcome)});
  return run;
}

// The phone as the business reads it: national at home, else international.
std::string Contact(const Flow& flow) {
  const DialogueState& state = flow.state;
  return state.email.empty() ? phone::Format(state.phone, business::PhoneRegion(flow.spec)) : state.email;
}

// After a confirmation: true when the customer said yes to exactly what was asked.
struct Answer {
  bool confirmed = false;
  bool declined = false;
};

void Book(Flow& flow, const Answer& answer) {
  auto& state = flow.state;
  if (state.service.empty()) {
    if (!state.service_choices.empty()) {
      Ask(flow, "Which would you like: " + Listing(state.service_choices) + "?", Awaiting::kService);
    } else {
      Ask(flow, "Which service would you like to book? We offer " + Listing(BookableNames(flow), " and ") + ".",
          Awaiting::kService);
    }
    return;
  }
  const auto* service = FindService(flow, state.service);
  if (service == nullptr) {
    state.service.clear();
    return Book(flow, answer);
  }
  if (!service->bookable) {
    return HandOff(flow, service->name + " isn't booked online. A team member will follow up here to arrange it.",
                   "the customer asked to book " + service->name + ", which is not bookable online");
  }
  state.service = service->name;
  if (!SettleTime(flow, service->name, "to come in for your " + service->name)) return;
  if (state.name.empty()) state.name = flow.tools.customer_name;
  if (state.email.empty() && state.phone.empty()) {
    state.email = flow.tools.customer_email;
    state.phone = flow.tools.customer_phone;
  }
  if (state.name.empty()) return Ask(flow, "May I have your name?", Awaiting::kName);
  // The phone is kept in E.164, as the tools store it; one that is no
  // valid number is asked for again before anything is confirmed.
  if (!state.phone.empty()) {
    const std::string typed = state.phone;
    try {
      state.phone = phone::ToE164(typed, business::PhoneRegion(flow.spec));
    } catch (const InvalidInput&) {
      state.phone.clear();
      if (state.email.empty()) {
        const std::string region = business::PhoneRegion(flow.spec);
        return Ask(flow,
                   "Sorry, " + typed + " doesn't look like a phone number I can use. Could you write it as you'd dial " +
                       (region.empty() ? std::string("it, with the country code") : "it, with the area code") +
                       ", or give me an email address instead?",
                   Awaiting::kContact);
      }
    }
  }
  if (state.email.empty() && state.phone.empty()) {
    return Ask(flow, "Thanks, " + state.name + ". And an email address or phone number where we can reach you?",
               Awaiting::kContact);
  }
  const std::string when = When(flow, *state.date, *state.time_min);
  if (answer.declined) {
    return Ask(flow, "No problem. What would you like to change: the service, the day or the time?",
               Awaiting::kNothing);
  }
  if (!answer.confirmed) {
    return Ask(flow, "To confirm: " + state.service + " on " + when + ", for " + state.name + " (" + Contact(flow) +
                         "). Shall I book it?",
               Awaiting::kConfirm);
  }
  json args = {{"date", booking::FormatDate(*state.date)},
               {"time", business::FormatClockTime(*state.time_min)},
               {"service", state.service},
               {"customer_name", state.name}};
  if (!state.email.empty()) args["customer_email"] = state.email;
  if (!state.phone.empty()) args["customer_phone"] = state.phone;
  const auto run = RunTool(flow, "book_appointment", args);
  const json& result = run.result;
  if (run.dry_run) {
    flow.reply.text = "I would book " + state.service + " on " + when + " now (replay: nothing was booked).";
    return Reset(flow);
  }
  if (run.changed) {
    flow.reply.text = "You're booked: " + state.service + " on " + when + ", for " + state.name +
                      ". See you then! If you need to change it, just tell me here.";
    return Reset(flow);
  }
  std::vector<TimePoint> alternatives;
  for (const auto& alternative : result.value("alternatives", json::array())) {
    if (auto start = StartOf(flow, booking::ParseDate(alternative.value("date", ""), "date"),
                             business::ParseClockTime(alternative.value("time", ""), "time"))) {
      alternatives.push_back(*start);
    }
  }
  state.time_min.reset();
  if (!alternatives.empty()) {
    return Ask(flow, "Sorry, " + when + " was just taken. The nearest free times are " + Offer(flow, alternatives) +
                         ". Would one of those work?",
               Awaiting::kTime);
  }
  Ask(flow, "Sorry, I couldn't book " + when + ". Which other time would suit you?", Awaiting::kTime);
}

// What the message says about which appointment is meant.
struct Which {
  std::optional<year_month_day> date;
  std::optional<int> time_min;
  std::string service;
  bool Any() const { return date || time_min || !service.empty(); }
};

bool Fits(const Flow& flow, const booking::Appointment& appointment, const Which& which) {
  if (which.date && booking::LocalDate(appointment.start, Zone(flow)) != *which.date) return false;
  if (which.time_min && LocalMinutes(flow, appointment.start) != *which.time_min) return false;
  return which.service.empty() || Lower(which.service) == Lower(appointment.service_name);
}

// Settles which appointment a reschedule or cancel means: true with
// `chosen` set, otherwise the reply asks (or hands off when this chat may
// change none).
bool SettleAppointment(Flow& flow, const Which& which, booking::Appointment& chosen) {
  auto& state = flow.state;
  const auto list = ChangeableAppointments(flow.tools, flow.now, kAppointmentsListed);
  if (list.empty()) {
    const std::string verb = state.intent == BookingIntent::kCancel ? "cancel" : "move";
    HandOff(flow,
            "I can only " + verb + " appointments booked in this chat, or your own when you're signed in, and I "
            "can't find one. A team member will follow up here to help.",
            "the customer asked to " + verb + " an appointment this chat may not change");
    return false;
  }
  if (!state.appointment_id.empty()) {
    for (const auto& appointment : list) {
      if (appointment.id == state.appointment_id) {
        chosen = appointment;
        return true;
      }
    }
    state.appointment_id.clear();
  }
  std::vector<const booking::Appointment*> fitting;
  for (const auto& appointment : list) {
    if (Fits(flow, appointment, which)) fitting.push_back(&appointment);
  }
  if (fitting.size() == 1) {
    chosen = *fitting.front();
    state.appointment_id = chosen.id;
    state.appointment_choices.clear();
    return true;
  }
  state.appointment_choices.clear();
  std::string listed;
  for (std::size_t i = 0; i < list.size(); ++i) {
    state.appointment_choices.push_back(list[i].id);
    listed += "\n" + std::to_string(i + 1) + ". " + list[i].service_name + " on " + When(flow, list[i].start);
  }
  const std::string opening =
      fitting.empty() && which.Any() ? "I can't find that one among the appointments I can change here. "
                                     : std::string();
  Ask(flow, opening + "Which appointment do you mean?" + listed, Awaiting::kAppointment);
  return false;
}

void Reschedule(Flow& flow, const Which& which, const Answer& answer) {
  auto& state = flow.state;
  booking::Appointment appointment;
  if (!SettleAppointment(flow, which, appointment)) return;
  state.service = appointment.service_name;
  const std::string old_when = When(flow, appointment.start);
  // "move it to 3pm": the same day.
  if (!state.date && state.time_min) state.date = booking::LocalDate(appointment.start, Zone(flow));
  if (!SettleTime(flow, appointment.service_name, "to move your " + appointment.service_name + " on " + old_when + " to"))
    return;
  const std::string when = When(flow, *state.date, *state.time_min);
  if (answer.declined) {
    Reset(flow);
    flow.reply.text = "All right, your " + appointment.service_name + " stays on " + old_when + ".";
    return;
  }
  if (!answer.confirmed) {
    return Ask(flow, "To confirm: move your " + appointment.service_name + " from " + old_when + " to " + when + "?",
               Awaiting::kConfirm);
  }
  const auto run = RunTool(flow, "reschedule_appointment",
                              {{"appointment_id", appointment.id},
                               {"new_date", booking::FormatDate(*state.date)},
                               {"new_time", business::FormatClockTime(*state.time_min)}});
  const json& result = run.result;
  if (run.dry_run) {
    flow.reply.text = "I would move your " + appointment.service_name + " to " + when + " now (replay: nothing was changed).";
    return Reset(flow);
  }
  if (run.changed) {
    flow.reply.text = "Done: your " + appointment.service_name + " is now on " + when + ".";
    return Reset(flow);
  }
  if (result.contains("error")) {
    return HandOff(flow, "Sorry, I couldn't move that appointment. A team member will follow up here.",
                   "the offline assistant could not reschedule: " + result.value("error", ""));
  }
  state.time_min.reset();
  Ask(flow, "Sorry, " + when + " was just taken. Which other time would suit you?", Awaiting::kTime);
}

void Cancel(Flow& flow, const Which& which, const Answer& answer) {
  auto& state = flow.state;
  booking::Appointment appointment;
  if (!SettleAppointment(flow, which, appointment)) return;
  const std::string when = When(flow, appointment.start);
  state.date.reset();
  state.time_min.reset();
  state.range.reset();
  if (answer.declined) {
    Reset(flow);
    flow.reply.text = "All right, I've kept your " + appointment.service_name + " on " + when + ".";
    return;
  }
  if (!answer.confirmed) {
    return Ask(flow, "To confirm: cancel your " + appointment.service_name + " on " + when + "?", Awaiting::kConfirm);
  }
  const auto run = RunTool(flow, "cancel_appointment",
                              {{"appointment_id", appointment.id}, {"reason", "canceled by the customer in the chat"}});
  const json& result = run.result;
  if (run.dry_run) {
    flow.reply.text = "I would cancel your " + appointment.service_name + " now (replay: nothing was changed).";
    return Reset(flow);
  }
  if (run.changed) {
    flow.reply.text = "Your " + appointment.service_name + " on " + when + " is canceled.";
    return Reset(flow);
  }
  HandOff(flow, "Sorry, I couldn't cancel that appointment. A team member will follow up here.",
          "the offline assistant could not cancel: " + result.value("error", ""));
}

bool SaysAnything(const BookingSlots& slots) {
  return slots.intent != BookingIntent::kNone || !slots.service.empty() || !slots.services.empty() || slots.date ||
         slots.time_min || slots.range || slots.from_date || slots.from_time_min || !slots.name.empty() ||
         !slots.email.empty() || !slots.phone.empty() || slots.yes || slots.choice || slots.stop;
}

DialogueState WithoutAwaiting(DialogueState state) {
  state.awaiting = Awaiting::kNothing;
  return state;
}

}  // namespace

DialogueReply ContinueBookingDialogue(ToolContext& context, const std::optional<DialogueState>& previous,
                                      const std::string& text, const std::vector<Passage>& knowledge, TimePoint now,
                                      const DialogueToolEvent& on_tool) {
  const auto& spec = context.business->spec;
  const DialogueState before = previous.value_or(DialogueState{});
  ParseContext parse;
  for (const auto& service : spec.services) {
    if (service.active) parse.services.push_back({service.name, service.aliases});
  }
  // Picking among a few services just offered: read the answer against those.
  if (before.awaiting == Awaiting::kService && !before.service_choices.empty()) {
    std::vector<ServiceNames> offered;
    for (const auto& names : parse.services) {
      if (std::count(before.service_choices.begin(), before.service_choices.end(), names.name)) offered.push_back(names);
    }
    parse.services = std::move(offered);
  }
  parse.today = booking::LocalDate(now, spec.timezone);
  parse.date_order = DateOrderFor(spec.timezone);
  parse.awaiting = before.awaiting;
  auto slots = ParseBookingMessage(text, parse);

  Flow flow{context, spec, parse.date_order, parse.today, now, on_tool, {}, {}};
  const bool active = before.intent != BookingIntent::kNone;
  const bool starts = slots.intent != BookingIntent::kNone ||
                      (!slots.service.empty() && (slots.date || slots.time_min || slots.range));
  if (!active && !starts) return flow.reply;
  flow.reply.engaged = true;

  // A message that says nothing the dialogue can use: answer it from the
  // knowledge base if that clearly can, then ask again.
  std::string preface;
  if (active && !SaysAnything(slots)) {
    const auto answer = OfflineAnswer(text, knowledge, OfflineReason::kNoModel);
    preface = answer.handoff ? "Sorry, I didn't catch that. " : answer.text + "\n\n";
    flow.reply.citation = answer.citation;
  }
  if (slots.stop) {
    flow.state = MergeSlots(before, slots);
    flow.reply.text = "No problem, I've stopped there. Is there anything else I can help with?";
    flow.reply.state = flow.state;
    return flow.reply;
  }

  // Which appointment a reschedule or cancel means: the part before "to"
  // ("from Tuesday to Thursday"), or, for a cancel or an answer to "which
  // one?", the date and time given.
  Which which;
  which.date = slots.from_date;
  which.time_min = slots.from_time_min;
  const BookingIntent intent = slots.intent != BookingIntent::kNone && !(slots.intent == BookingIntent::kBook &&
                                                                         before.intent == BookingIntent::kReschedule)
                                   ? slots.intent
                                   : before.intent;
  const bool choosing = intent != BookingIntent::kBook && before.appointment_id.empty();
  if (choosing && (intent == BookingIntent::kCancel || before.awaiting == Awaiting::kAppointment)) {
    if (!which.date) which.date = slots.date;
    if (!which.time_min) which.time_min = slots.time_min;
    slots.date.reset();
    slots.time_min.reset();
  }
  // "move my Dec 9 appointment": a day (and time) that one of the
  // appointments has names it, rather than the new time.
  if (choosing && intent == BookingIntent::kReschedule && !which.date && slots.date) {
    for (const auto& appointment : ChangeableAppointments(context, now, kAppointmentsListed)) {
      if (booking::LocalDate(appointment.start, spec.timezone) != *slots.date) continue;
      if (slots.time_min && LocalMinutes(flow, appointment.start) != *slots.time_min) continue;
      which.date = slots.date;
      which.time_min = slots.time_min;
      slots.date.reset();
      slots.time_min.reset();
      break;
    }
  }
  if (choosing) {
    which.service = slots.service;
    slots.service.clear();
  }
  flow.state = MergeSlots(before, slots);
  const bool same = WithoutAwaiting(flow.state) == WithoutAwaiting(before);
  Answer answer;
  if (before.awaiting == Awaiting::kConfirm && same && slots.yes) {
    answer.confirmed = *slots.yes;
    answer.declined = !*slots.yes;
  }
  switch (flow.state.intent) {
    case BookingIntent::kReschedule:
      Reschedule(flow, which, answer);
      break;
    case BookingIntent::kCancel:
      Cancel(flow, which, answer);
      break;
    default:
      flow.state.intent = BookingIntent::kBook;
      Book(flow, answer);
      break;
  }
  flow.reply.text = preface + flow.reply.text;
  flow.reply.state = flow.state;
  return flow.reply;
}

}  // namespace omni::chat
