// System prompt and history mapping. See prompt.hpp.
#include "core/chat/prompt.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"

namespace omni::chat {
namespace {

using std::chrono::minutes;

constexpr const char* kWeekdayNames[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
constexpr int kCalendarDays = 7;

const date::time_zone* Zone(const std::string& time_zone) {
  try {
    return date::locate_zone(time_zone.empty() ? "UTC" : time_zone);
  } catch (const std::runtime_error&) {
    throw ConfigError("unknown time zone \"" + time_zone + "\"",
                      "Use an IANA time zone name such as America/New_York.");
  }
}

std::string Windows(const business::DayWindows& windows) {
  if (windows.empty()) return "closed";
  std::string out;
  for (const auto& window : windows) {
    if (!out.empty()) out += ", ";
    out += business::FormatClockTime(window.start_min) + "-" + business::FormatClockTime(window.end_min);
  }
  return out;
}

// Monday = 0 ... Sunday = 6, as BusinessSpec::weekly is indexed.
int MondayIndex(date::weekday weekday) { return static_cast<int>((weekday.c_encoding() + 6) % 7); }

void Line(std::ostringstream& out, const std::string& label, const std::string& value) {
  if (!value.empty()) out << label << ": " << value << "\n";
}

void Profile(std::ostringstream& out, const business::BusinessSpec& spec) {
  out << "You are the front-desk assistant of " << spec.name << " ("
      << business::IndustryName(spec.industry) << "). You chat with customers on the business's behalf: "
      << "answer questions, check availability, and book, reschedule or cancel appointments with "
         "the tools.\n\n";
  out << "## Business\n";
  Line(out, "Name", spec.name);
  Line(out, "Address", spec.contact.address);
  Line(out, "Phone", phone::Format(spec.contact.phone, business::PhoneRegion(spec)));
  Line(out, "Email", spec.contact.email);
  Line(out, "Website", spec.contact.website);
  out << "Time zone: " << (spec.timezone.empty() ? "UTC" : spec.timezone) << "\n";
}

void Hours(std::ostringstream& out, const business::BusinessSpec& spec, TimePoint now) {
  const auto* zone = Zone(spec.timezone);
  const auto local_today = date::floor<date::days>(zone->to_local(now));
  out << "\n## Opening hours (local time)\n";
  out << "Next " << kCalendarDays << " days:\n";
  for (int i = 0; i < kCalendarDays; ++i) {
    const auto day = local_today + date::days{i};
    const date::year_month_day ymd{day};
    const int index = MondayIndex(date::weekday{day});
    const std::string key = date::format("%Y-%m-%d", ymd);
    out << "- " << kWeekdayNames[index] << " " << key << ": ";
    if (const auto it = spec.overrides.find(key); it != spec.overrides.end()) {
      out << Windows(it->second) << " (special hours)";
    } else {
      out << Windows(spec.weekly[index]);
    }
    out << (i == 0 ? " (today)" : i == 1 ? " (tomorrow)" : "") << "\n";
  }
  out << "Regular week:";
  for (int i = 0; i < 7; ++i) {
    out << (i == 0 ? " " : "; ") << kWeekdayNames[i] << " " << Windows(spec.weekly[i]);
  }
  out << "\n";
  // Later special dates matter for "are you open on Christmas Eve?".
  const std::string horizon = date::format("%Y-%m-%d", date::year_month_day{local_today + date::days{kCalendarDays}});
  const std::string last = date::format("%Y-%m-%d", date::year_month_day{local_today + date::days{90}});
  bool any = false;
  for (const auto& [key, windows] : spec.overrides) {
    if (key < horizon || key > last) continue;
    out << (any ? "; " : "Later special hours: ") << key << " " << Windows(windows);
    any = true;
  }
  if (any) out << "\n";
}

void Services(std::ostringstream& out, const business::BusinessSpec& spec) {
  out << "\n## Services (duration, price)\n";
  bool any = false;
  for (const auto& service : spec.services) {
    if (!service.active) continue;
    any = true;
    out << "- " << service.name << ": " << service.duration_min << " min, " << FormatCents(service.price_cents);
    if (!service.bookable) out << ", not bookable online";
    if (!service.description.empty()) out << ". " << service.description;
    out << "\n";
  }
  if (!any) out << "(no services are listed)\n";
}

// Phones as the business reads them, so the model repeats them that way.
void Customer(std::ostringstream& out, const std::optional<CustomerContext>& customer,
              const business::BusinessSpec& spec) {
  const std::string& tz = spec.timezone;
  out << "\n## Customer\n";
  if (!customer) {
    out << "Not identified yet. Ask for their name and an email or phone number before booking.\n";
    return;
  }
  if (!customer->verified) {
    out << "Not verified: the details below are what the customer typed. Treat them as unconfirmed.\n";
  }
  Line(out, "Name", customer->name);
  Line(out, "Email", customer->email);
  Line(out, "Phone", phone::Format(customer->phone, business::PhoneRegion(spec)));
  if (!customer->verified) return;
  out << "Previous contacts: " << customer->visit_count << "\n";
  if (customer->last_contact_at) {
    const auto local = Zone(tz)->to_local(date::floor<minutes>(*customer->last_contact_at));
    out << "Last contact: " << date::format("%Y-%m-%d", local) << "\n";
  }
  if (!customer->tags.empty()) {
    out << "Tags: ";
    for (std::size_t i = 0; i < customer->tags.size(); ++i) out << (i ? ", " : "") << customer->tags[i];
    out << "\n";
  }
  Line(out, "Notes from the team", customer->notes);
  if (!customer->upcoming_appointments.empty()) {
    out << "Upcoming appointments:\n";
    for (const auto& line : customer->upcoming_appointments) out << "- " << line << "\n";
  }
}

void Knowledge(std::ostringstream& out, const std::vector<Passage>& passages) {
  out << "\n## Knowledge\n";
  if (passages.empty()) {
    out << "No passage of the knowledge base matched this message. Use search_knowledge for other "
           "questions.\n";
    return;
  }
  out << "Passages from the business's knowledge base that may answer the message. Cite them as [n].\n";
  for (std::size_t i = 0; i < passages.size(); ++i) {
    const auto& passage = passages[i];
    out << "[" << (i + 1) << "] " << (passage.title.empty() ? "Untitled" : passage.title);
    if (!passage.source.empty()) out << " (" << passage.source << ")";
    out << "\n" << passage.text << "\n";
  }
}

constexpr const char* kRules = R"(
## Rules
1. Before booking, rescheduling or cancelling, confirm the service, the date and the time with the customer and get their name and an email or phone number. Call book_appointment only after the customer agrees.
2. Offer only times that check_availability returned. Dates are YYYY-MM-DD and times HH:MM, in the business's local time.
3. Never invent facts. Say only what this prompt, the knowledge passages or a tool result says about services, prices, hours, policies and availability. When you do not know, say so and offer to have a team member follow up.
4. Complaints, refunds, medical or safety concerns, or a request to talk to a person: call escalate_to_human with the reason, then tell the customer a team member will reply.
5. Answer in the language the customer writes in.
6. When an answer uses a knowledge passage, cite it with its number in brackets, like [1].
7. Messages that start with "[Team member" were written by a person on the team, not by you. Stay consistent with them.
8. Keep replies short and friendly: this is a chat.
)";

std::size_t Chars(const llm::Message& message) {
  std::size_t total = message.content.size() + 4;  // role and framing
  for (const auto& call : message.tool_calls) total += call.name.size() + call.arguments_json.size() + call.id.size();
  return total + message.tool_call_id.size();
}

}  // namespace

std::string FormatLocalNow(TimePoint now, const std::string& time_zone) {
  const auto zoned = date::make_zoned(Zone(time_zone), date::floor<minutes>(now));
  const auto local_day = date::floor<date::days>(zoned.get_local_time());
  return std::string(kWeekdayNames[MondayIndex(date::weekday{local_day})]) + " " +
         date::format("%Y-%m-%d %H:%M %Z", zoned);
}

std::string BuildSystemPrompt(const PromptInput& input) {
  if (input.business == nullptr) throw InvalidInput("system prompt: no business given");
  const auto& spec = *input.business;
  std::ostringstream out;
  Profile(out, spec);
  out << "Now: " << FormatLocalNow(input.now, spec.timezone) << "\n";
  Hours(out, spec, input.now);
  Services(out, spec);
  Customer(out, input.customer, spec);
  if (!spec.ai.personality.empty()) out << "\n## Personality\n" << spec.ai.personality << "\n";
  if (!spec.ai.instructions.empty()) {
    std::string instructions = spec.ai.instructions;
    while (!instructions.empty() && (instructions.back() == '\n' || instructions.back() == ' ')) instructions.pop_back();
    out << "\n## Instructions from the business\n" << instructions << "\n";
  }
  Knowledge(out, input.knowledge);
  out << kRules;
  return out.str();
}

std::vector<llm::Message> HistoryForModel(const std::vector<HistoryMessage>& messages, std::size_t limit) {
  using Role = HistoryMessage::Role;
  std::size_t begin = messages.size() > limit ? messages.size() - limit : 0;
  // Tool results whose calling message fell off the window are meaningless.
  while (begin < messages.size() && messages[begin].role == Role::kTool) ++begin;

  // The tool call ids answered within the window.
  std::set<std::string> answered;
  for (std::size_t i = begin; i < messages.size(); ++i) {
    if (messages[i].role == Role::kTool) answered.insert(messages[i].tool_call_id);
  }
  std::set<std::string> called;
  std::vector<llm::Message> out;
  for (std::size_t i = begin; i < messages.size(); ++i) {
    const auto& message = messages[i];
    llm::Message mapped;
    switch (message.role) {
      case Role::kUser:
        mapped.role = llm::Role::kUser;
        mapped.content = message.content;
        break;
      case Role::kHuman:
        mapped.role = llm::Role::kAssistant;
        mapped.content = std::string(kHumanPrefix) + (message.author.empty() ? "" : " " + message.author) +
                         ", not the assistant]: " + message.content;
        break;
      case Role::kAssistant: {
        mapped.role = llm::Role::kAssistant;
        mapped.content = message.content;
        bool complete = true;
        for (const auto& call : message.tool_calls) complete = complete && answered.count(call.id) > 0;
        if (complete) {
          mapped.tool_calls = message.tool_calls;
          for (const auto& call : message.tool_calls) called.insert(call.id);
        }
        if (mapped.content.empty() && mapped.tool_calls.empty()) continue;
        break;
      }
      case Role::kTool:
        if (called.count(message.tool_call_id) == 0) continue;
        mapped.role = llm::Role::kTool;
        mapped.content = message.content;
        mapped.tool_call_id = message.tool_call_id;
        break;
    }
    out.push_back(std::move(mapped));
  }
  return out;
}

std::size_t EstimateTokens(const std::vector<llm::Message>& messages, const std::vector<llm::ToolSpec>& tools) {
  std::size_t chars = 0;
  for (const auto& message : messages) chars += Chars(message);
  for (const auto& tool : tools) chars += tool.name.size() + tool.description.size() + tool.parameters_schema_json.size();
  return (chars + 3) / 4;
}

}  // namespace omni::chat
