// The assistant's tools: their definitions (JSON Schemas the model sees),
// argument validation, and execution on the booking and knowledge APIs.
//
// Every tool acts on the conversation's business only, whatever the model
// writes: the business id comes from the ToolContext, never from the
// arguments, so an appointment of another business is simply "not found".
// A tool never throws: malformed JSON, arguments that break the schema, an
// unknown tool name and any omni::Error become a ToolOutcome with ok =
// false and {"error": ..., "hint": ...} for the model to read and correct.
// Thread-safe: ToolSpecs is immutable; ExecuteTool blocks on the database
// and must run on a blocking executor, one call at a time per context.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/business/business.hpp"
#include "core/chat/prompt.hpp"
#include "core/llm/llm.hpp"

namespace omni::booking {
class BookingService;
struct Appointment;
}

namespace omni::chat {

// check_availability, book_appointment, cancel_appointment,
// reschedule_appointment, list_services, search_knowledge,
// escalate_to_human, in that order.
const std::vector<llm::ToolSpec>& ToolSpecs();

// Knowledge search within the conversation's business: the best `limit`
// passages for `query`, best first.
using KnowledgeSearch = std::function<std::vector<Passage>(const std::string& query, int limit)>;

struct ToolContext {
  booking::BookingService* booking = nullptr;              // required
  const business::Business* business = nullptr;     // the conversation's business; required
  std::string conversation_id;
  // The conversation's customer, when the turn may act for them; "" when
  // none. Cancel and reschedule reach the appointments booked in this
  // conversation and, when customer_proven, the customer's own. A date, a
  // time or a contact typed in the chat proves nothing.
  std::string customer_id;
  bool customer_proven = false;  // a verified identity, or named by an operator
  // A public chat: contacts the model passes are the visitor's claims, so a
  // booking is for customer_id (or a new customer holding the claims),
  // never for a customer matched by the contact.
  bool contacts_are_claims = false;
  std::string customer_name;   // the customer's name, email and phone (claimed
  std::string customer_email;  // ones when not proven), used when the model
  std::string customer_phone;  // leaves the contact out of a booking
  KnowledgeSearch search;      // may be empty: search_knowledge then finds nothing
  // The passages cited so far in this turn ([1] is the first); search
  // results are appended (once each) and numbered after them. Required.
  std::vector<Passage>* citations = nullptr;
  // Replay: the tools that change something (book, cancel, reschedule,
  // escalate) validate their arguments but do nothing and return
  // {"dry_run": true}; reading tools run as usual.
  bool dry_run = false;
};

struct ToolOutcome {
  std::string name;              // as the model called it
  bool ok = true;                // false: the result is a tool error
  std::string result_json;       // the tool message content for the model
  std::optional<std::string> escalation_reason;  // escalate_to_human was called
  bool customer_asked = false;   // ... because the customer asked for a person
  std::vector<int> cited;        // citation numbers search_knowledge returned
  std::string appointment_id;    // booked, rescheduled or cancelled; "" otherwise
  std::string customer_id;       // the customer a booking created or matched
  std::int64_t latency_ms = 0;
};

// Validates `call` against its schema and runs it. Never throws (see above).
ToolOutcome ExecuteTool(ToolContext& context, const llm::ToolCall& call);

// The live appointments starting at or after `from` that cancel_appointment
// and reschedule_appointment would reach for this context (booked in this
// conversation, or the proven customer's own), by start, at most `limit`.
// For the offline dialogue, which must offer exactly what the tools allow.
std::vector<booking::Appointment> ChangeableAppointments(ToolContext& context, TimePoint from, int limit);

// The schema of a tool by name, or nullptr when unknown (for tests).
const nlohmann::json* ToolSchema(const std::string& name);

}  // namespace omni::chat
