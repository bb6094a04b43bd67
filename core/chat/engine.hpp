// The conversation engine: one customer message in, one answer out, with
// everything recorded. The same Engine serves `omni chat` and omnid's chat
// routes; each passes an `on_event` callback and renders the events itself.
//
// A turn: find or create the customer and the conversation (a visitor's
// only if it is theirs), store the user message, tell the caller the
// conversation is open, stop there if a human owns the conversation (the
// AI stays silent), meter one interaction, retrieve knowledge (hybrid when
// the retriever has embeddings), build the prompt with recent history,
// then call the model with the tools, running the tool calls it makes (at
// most max_tool_rounds rounds) until it answers. Every
// assistant step, tool result, token count, cost, latency and model is
// stored. The reply is saved only if the AI may still answer (atomic with a
// human taking over); otherwise it is recorded as dropped. With no model
// configured, a message about booking, moving or canceling goes to the
// offline booking dialogue (booking_dialogue.hpp), whose state is stored
// with its replies. Otherwise with no model, or when every model fails,
// the offline responder answers
// (and, on failure, the conversation is escalated if the config says so);
// when every model fails after the tools booked, moved or cancelled an
// appointment, omni tells the customer what was done and hands off.
//
// Threading: the LlmClient calls back on its I/O threads; the engine never
// touches the database there but posts that work to the BlockingExecutor,
// so waiting turns hold no thread. `on_event` runs on executor or I/O
// threads, never concurrently within one turn, and must not block.
// Thread-safe: StartTurn may be called from any thread, concurrently.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/chat/conversations.hpp"
#include "core/chat/prompt.hpp"
#include "core/common/clock.hpp"
#include "core/common/executor.hpp"
#include "core/config/config.hpp"
#include "core/customers/customers.hpp"
#include "core/http/client.hpp"
#include "core/llm/llm.hpp"

namespace omni::business {
struct Business;
}
namespace omni::kb {
class Retriever;
}

namespace omni::chat {

class BusinessCache;

struct EngineSettings {
  config::LlmSettings llm;  // models, history_messages, max_tool_rounds, escalate_on_failure
  billing::BillingSettings billing;  // plans, trial and grace: which limits each business has
  int knowledge_passages = 4;   // passages retrieved into the prompt
  // An AI message is stored retrying this long while the database is
  // unreachable; past it the turn fails and what streamed is withdrawn.
  int reply_save_retry_ms = 5000;
};

// Who writes a turn's message, which decides what proves who the customer is.
enum class Caller {
  // A visitor of a public chat (the default). What they type is a claim:
  // the conversation's customer counts as proven only when it is
  // TurnRequest::verified_customer_id. Otherwise the prompt gets only the
  // visitor's own claims, and the tools change only what this chat booked.
  kVisitor,
  // An operator (omni chat, replay): `customer` names a customer the
  // operator vouches for, found or created by contact.
  kOperator,
};

struct TurnRequest {
  std::string business_slug;         // required unless `business` is given
  // The business as the caller already loaded it; null: read by
  // business_slug through the engine's BusinessCache.
  std::shared_ptr<const business::Business> business;
  std::string text;                  // the customer's message; required
  std::string conversation_id;       // continue it; "" starts one (see continue_latest)
  Caller caller = Caller::kVisitor;
  customers::CustomerContact customer;  // kOperator only (InvalidInput otherwise); empty: anonymous
  std::string verified_customer_id;  // kVisitor: the customer a verified identity proved; "" when none
  bool continue_latest = false;      // no id, known customer: continue their latest conversation
  Channel channel = Channel::kApi;
  // A public chat's visitor: conversation_id must be a conversation they
  // may continue (VisitorConversation; NotFound otherwise, and nothing is
  // stored), and a new conversation carries their visitor id and customer.
  std::optional<Visitor> visitor;
};

struct ToolCallRecord {
  std::string id;
  std::string name;
  std::string arguments_json;
  std::string result_json;
  bool ok = true;
  std::int64_t latency_ms = 0;
};

struct TurnUsage {
  std::int64_t prompt_tokens = 0;      // summed over the turn's model calls
  std::int64_t completion_tokens = 0;
  std::int64_t cost_micros = 0;        // US dollars * 1e6, when the service reports cost
  std::int64_t model_latency_ms = 0;
  std::string model;                   // the model that wrote the reply
  int model_calls = 0;
  std::int64_t omni_us = 0;            // omni's own time: everything but waiting on the model
  std::size_t prompt_chars = 0;        // system prompt and history of the first call
};

struct TurnEvent {
  enum class Kind {
    kOpened,    // conversation_id: the conversation is open and the message stored; comes first
    kToken,     // text: a delta of the reply
    kReset,     // discard the text streamed so far: a model restarted, or the reply was withdrawn
    kTool,      // tool_name, tool_status "started" | "finished" | "failed"
    kCitation,  // citation_number, citation
    kHandoff,   // text: what to tell the customer; reason: why, for the team only
    kDone,      // the turn ended: message_id, usage (details in the TurnResult)
    kError,     // text: what failed; a kReset before it withdraws any text streamed
  };
  Kind kind = Kind::kToken;
  std::string conversation_id;  // kOpened
  std::string text;
  std::string reason;  // kHandoff
  std::string tool_name;
  std::string tool_status;
  int citation_number = 0;
  Passage citation;
  std::string message_id;  // kDone: the stored reply, "" when none
  TurnUsage usage;         // kDone
};

struct CitationRef {
  int number = 0;  // as cited in the reply: [number]
  Passage passage;
};

struct TurnResult {
  std::string conversation_id;
  std::string user_message_id;
  std::string reply_message_id;  // "" when no reply was stored
  std::string reply;             // what the customer reads ("" when dropped)
  ConversationStatus status = ConversationStatus::kAiActive;  // after the turn
  std::vector<ToolCallRecord> tool_calls;
  std::vector<CitationRef> citations;  // the passages the reply cites
  TurnUsage usage;
  bool offline = false;    // the offline responder answered
  bool handoff = false;    // a human owns the conversation after this turn
  std::string handoff_reason;  // why, for the team: it may name internal errors, so never show it to the customer
  bool dropped = false;    // a human took over while the model was thinking
  bool ai_silent = false;  // a human already owned it: the AI did not answer
};

using TurnEventCallback = std::function<void(const TurnEvent& event)>;
// Called exactly once, after kDone or kError.
using TurnDone = std::function<void(std::exception_ptr error, TurnResult result)>;

struct ReplayStep {
  std::string user_text;
  std::string old_reply;   // what the customer got then (AI or team member)
  std::string old_author;  // "ai", "human" or "" when unanswered
  TurnResult now;          // the answer today (not persisted)
};

class Engine {
 public:
  // `llm` may be null: then, as when settings.llm has no API key, the
  // offline responder answers. Everything referenced must outlive the engine.
  Engine(db::Pool& pool, BusinessCache& businesses, kb::Retriever& retriever, llm::LlmClient* llm,
         BlockingExecutor& executor, const Clock& clock, EngineSettings settings);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts a turn and returns at once. Errors (NotFound business or
  // visitor's conversation, InvalidInput contact, LimitReached,
  // Unavailable, http::Cancelled) reach `done`; one that comes before
  // kOpened stored nothing. `cancel` may be null.
  void StartTurn(TurnRequest request, TurnEventCallback on_event, TurnDone done,
                 std::shared_ptr<http::Cancellation> cancel = nullptr);

  // StartTurn and wait; rethrows the turn's error. Not from an executor
  // thread or the LLM client's I/O thread.
  TurnResult Turn(TurnRequest request, TurnEventCallback on_event = {},
                  std::shared_ptr<http::Cancellation> cancel = nullptr);

  // Re-runs each customer message of a past conversation against today's
  // knowledge and prompt, with the history as it was, and returns old and
  // new answers side by side. Stores nothing, meters nothing; tools that
  // change something run dry. Blocking, like Turn.
  std::vector<ReplayStep> Replay(const std::string& business_slug, const std::string& conversation_id);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace omni::chat
