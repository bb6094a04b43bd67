// The words the model reads: the system prompt built from the business, the
// clock, the customer and the retrieved knowledge, and the conversation
// history mapped to chat roles. Pure: no database, no clock (`now` is an
// argument), so the same inputs always give the same text.
// Thread-safe: functions only read their arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/business/business.hpp"
#include "core/common/clock.hpp"
#include "core/llm/llm.hpp"

namespace omni::chat {

// A knowledge passage shown to the model and cited as [n], n being its
// 1-based position in the list that carries it.
struct Passage {
  std::string chunk_id;
  std::string title;
  std::string source;  // file path or URL; "" when unknown
  std::string text;
  double score = 0;    // retrieval (BM25) score; higher is better
};

// What omni knows about the person writing.
struct CustomerContext {
  // false: a visitor known only by what they typed; the prompt then says
  // so, and lists no history, tags, notes or appointments.
  bool verified = true;
  std::string name;   // each "" when unknown
  std::string email;
  std::string phone;
  int visit_count = 0;
  std::optional<TimePoint> last_contact_at;
  std::vector<std::string> tags;
  std::string notes;
  std::vector<std::string> upcoming_appointments;  // one line each, already formatted
};

struct PromptInput {
  const business::BusinessSpec* business = nullptr;  // required
  TimePoint now;
  std::optional<CustomerContext> customer;  // nullopt: not identified yet
  std::vector<Passage> knowledge;           // numbered [1], [2], ... in order
};

// The system prompt: profile, contact, hours for the next 7 local days and
// the weekly hours, services with durations and prices, the local date,
// time and weekday, the customer, personality and instructions, the
// numbered knowledge passages, and the rules. Throws ConfigError for an
// unknown time zone.
std::string BuildSystemPrompt(const PromptInput& input);

// "Wednesday 2026-11-25 09:30 EST" for `now` in `time_zone`.
std::string FormatLocalNow(TimePoint now, const std::string& time_zone);

// A stored message of the conversation, as history for the model.
struct HistoryMessage {
  enum class Role { kUser, kAssistant, kHuman, kTool };
  Role role = Role::kUser;
  std::string content;
  std::vector<llm::ToolCall> tool_calls;  // kAssistant
  std::string tool_call_id;               // kTool
  std::string author;                     // kHuman: the team member, may be ""
};

// The prefix that marks a team member's message in the model's history.
inline constexpr const char* kHumanPrefix = "[Team member";

// Maps the last `limit` messages (oldest first in `messages`) to chat
// messages: a team member's message becomes an assistant-role message that
// starts with "[Team member NAME, not the assistant]:" so the model never
// takes it for its own words. The cut never starts inside a tool exchange:
// tool results without their calling message are left out, and an
// assistant message whose tool results are missing loses its tool calls.
std::vector<llm::Message> HistoryForModel(const std::vector<HistoryMessage>& messages, std::size_t limit);

// An estimate of the tokens in a request: characters / 4, the usual rule
// of thumb for English with GPT-style tokenizers (tool schemas included).
std::size_t EstimateTokens(const std::vector<llm::Message>& messages, const std::vector<llm::ToolSpec>& tools);

}  // namespace omni::chat
