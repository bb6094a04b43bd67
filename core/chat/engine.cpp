// The conversation engine. See engine.hpp.
//
// A turn is a chain of steps on the blocking executor (Prepare, then
// HandleModelResult once per model call), joined by LlmClient calls whose
// callbacks arrive on I/O threads and only forward tokens or post the next
// step. The Turn object lives as long as some step or callback holds it.
#include "core/chat/engine.hpp"

#include <chrono>
#include <cmath>
#include <future>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/billing/usage_tx.hpp"
#include "core/booking/booking_tx.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/chat/booking_dialogue.hpp"
#include "core/chat/business_cache.hpp"
#include "core/chat/confirmation.hpp"
#include "core/chat/conversations_tx.hpp"
#include "core/chat/offline.hpp"
#include "core/chat/tools.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/kb/retriever.hpp"

namespace omni::chat {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct Engine::Impl {
  Impl(db::Pool& pool_in, BusinessCache& businesses_in, kb::Retriever& retriever_in, llm::LlmClient* llm_in,
       BlockingExecutor& executor_in, const Clock& clock_in, EngineSettings settings_in)
      : pool(pool_in),
        businesses(businesses_in),
        retriever(retriever_in),
        llm(llm_in),
        executor(executor_in),
        clock(clock_in),
        settings(std::move(settings_in)),
        booking(pool_in, clock_in) {}

  bool Offline() const { return llm == nullptr || llm::IsOffline(settings.llm); }

  db::Pool& pool;
  BusinessCache& businesses;
  kb::Retriever& retriever;
  llm::LlmClient* llm;
  BlockingExecutor& executor;
  const Clock& clock;
  EngineSettings settings;
  booking::BookingService booking;
};

namespace {

// What the turn may use of the conversation's customer.
enum class CustomerAccess {
  kNone,    // no customer, or one the visitor has not proved to be
  kClaims,  // the visitor's own customer, known only by what they typed
  kProven,  // a verified identity, or a customer an operator named
};

CustomerAccess AccessOf(const TurnRequest& request, const std::optional<customers::Customer>& customer) {
  if (!customer) return CustomerAccess::kNone;
  if (request.caller == Caller::kOperator || customer->id == request.verified_customer_id) {
    return CustomerAccess::kProven;
  }
  return customers::IsClaimsOnly(*customer) ? CustomerAccess::kClaims : CustomerAccess::kNone;
}

struct Turn {
  std::shared_ptr<Engine::Impl> engine;
  TurnRequest request;
  TurnEventCallback on_event;
  TurnDone done;
  std::shared_ptr<http::Cancellation> cancel;
  bool persist = true;

  std::shared_ptr<const business::Business> business;
  std::optional<customers::Customer> customer;  // the conversation's
  CustomerAccess customer_access = CustomerAccess::kNone;
  std::vector<booking::Appointment> upcoming;  // the customer's, for the prompt; kProven only
  std::vector<llm::Message> messages;  // what the next model call sends
  std::vector<Passage> retrieved;      // for the offline responder
  std::optional<DialogueState> dialogue;  // the offline booking dialogue, as the last offline reply left it
  std::vector<Passage> citations;      // [1], [2], ...: retrieved, then searched
  ToolContext tools;
  int rounds = 0;                      // tool rounds run
  std::vector<AppointmentChange> changes;  // appointments the tools booked, moved or cancelled
  std::optional<std::string> pending_escalation;
  HandoffReason pending_handoff = HandoffReason::kToolOrPolicy;  // why, for analytics
  TurnResult result;
  SteadyClock::time_point step_started;
  bool streamed = false;  // text went out since the last reset
  bool finished = false;
};
using TurnPtr = std::shared_ptr<Turn>;

// The customer's next appointments the system prompt lists.
constexpr int kUpcomingInPrompt = 5;
// What the customer is told when a human owns the conversation. The reason
// for the team is kept apart: it may quote the model's notes or an upstream
// error, which the customer must not see.
constexpr const char* kSilentNotice = "A team member is handling this conversation and will reply here.";
constexpr const char* kAiOffNotice = "Thanks for your message! A team member will reply here soon.";
constexpr const char* kHandoffNotice = "A team member will follow up here.";
constexpr const char* kTakenOverReason = "a team member took over this conversation";
constexpr const char* kAiOffReason = "the AI assistant is turned off";
constexpr const char* kPlanLimitReason = "plan limit";

void Emit(Turn& turn, TurnEvent event) {
  if (!turn.on_event) return;
  try {
    turn.on_event(event);
  } catch (const std::exception& e) {
    log::Warn("chat event handler failed", {{"error", e.what()}});
  }
}

void AddStepTime(Turn& turn) {
  turn.result.usage.omni_us +=
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - turn.step_started).count();
  turn.step_started = SteadyClock::now();
}

void Finish(Turn& turn) {
  if (turn.finished) return;
  turn.finished = true;
  AddStepTime(turn);
  TurnEvent event;
  event.kind = TurnEvent::Kind::kDone;
  event.message_id = turn.result.reply_message_id;
  event.usage = turn.result.usage;
  Emit(turn, event);
  turn.done(nullptr, std::move(turn.result));
}

void ResetStream(Turn& turn, const std::string& why);

void Fail(Turn& turn, std::exception_ptr error) {
  if (turn.finished) return;
  turn.finished = true;
  // No reply was stored: the customer must not keep reading one.
  ResetStream(turn, "the turn failed");
  TurnEvent event;
  event.kind = TurnEvent::Kind::kError;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    event.text = e.what();
  } catch (...) {
    event.text = "unknown error";
  }
  Emit(turn, event);
  turn.done(error, {});
}

// Runs `step` on the blocking executor, counting its time as omni's own.
template <class Step>
void Post(const TurnPtr& turn, Step step) {
  turn->engine->executor.Post([turn, step = std::move(step)]() mutable {
    turn->step_started = SteadyClock::now();
    try {
      if (turn->cancel && turn->cancel->IsCancelled()) throw http::Cancelled("chat turn canceled");
      step();
    } catch (...) {
      Fail(*turn, std::current_exception());
    }
  });
}

std::string ToolCallsJson(const std::vector<llm::ToolCall>& calls) {
  json list = json::array();
  for (const auto& call : calls) list.push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments_json}});
  return list.dump();
}

std::vector<llm::ToolCall> ParseToolCalls(const std::string& text) {
  std::vector<llm::ToolCall> calls;
  if (text.empty()) return calls;
  const json list = json::parse(text, nullptr, false);
  if (!list.is_array()) return calls;
  for (const auto& item : list) {
    calls.push_back({item.value("id", ""), item.value("name", ""), item.value("arguments", "")});
  }
  return calls;
}

HistoryMessage ToHistory(const StoredMessage& stored) {
  HistoryMessage message;
  message.content = stored.content;
  switch (stored.role) {
    case MessageRole::kUser: message.role = HistoryMessage::Role::kUser; break;
    case MessageRole::kHuman: {
      message.role = HistoryMessage::Role::kHuman;
      const json metadata = json::parse(stored.metadata_json, nullptr, false);
      if (metadata.is_object()) message.author = metadata.value("author", "");
      break;
    }
    case MessageRole::kTool:
      message.role = HistoryMessage::Role::kTool;
      message.content = stored.tool_result_json;
      message.tool_call_id = stored.tool_call_id;
      break;
    default:
      message.role = HistoryMessage::Role::kAssistant;
      message.tool_calls = ParseToolCalls(stored.tool_calls_json);
      break;
  }
  return message;
}

// The offline booking dialogue the conversation is in: the state stored
// with the last reply, if that reply was the dialogue's. A team member's
// reply or a model's ends it.
std::optional<DialogueState> DialogueIn(const std::vector<StoredMessage>& stored) {
  for (auto it = stored.rbegin(); it != stored.rend(); ++it) {
    if (it->dropped || it->role == MessageRole::kUser || it->role == MessageRole::kTool ||
        it->role == MessageRole::kSystem) {
      continue;
    }
    if (it->role == MessageRole::kAssistant && it->content.empty()) continue;
    if (it->role != MessageRole::kAssistant) return std::nullopt;
    const json metadata = json::parse(it->metadata_json, nullptr, false);
    if (!metadata.is_object() || !metadata.contains("booking_dialogue")) return std::nullopt;
    return StateFromJson(metadata["booking_dialogue"].dump());
  }
  return std::nullopt;
}

std::vector<HistoryMessage> ToHistory(const std::vector<StoredMessage>& stored) {
  std::vector<HistoryMessage> list;
  for (const auto& message : stored) {
    if (message.role != MessageRole::kSystem && !message.dropped) list.push_back(ToHistory(message));
  }
  return list;
}

Passage ToPassage(const kb::SearchHit& hit) {
  return {hit.chunk->id, hit.chunk->title, hit.chunk->source, hit.chunk->text, hit.score};
}

std::vector<Passage> Search(Engine::Impl& engine, const std::string& business_id, const std::string& query, int limit) {
  kb::SearchOptions options;
  options.k = static_cast<std::size_t>(limit);
  options.keyword_fallback = true;
  std::vector<Passage> passages;
  for (const auto& hit : engine.retriever.Search(business_id, query, options)) passages.push_back(ToPassage(hit));
  return passages;
}

// What the prompt says of the customer. A visitor's own claims are all an
// unproven visitor gets: never a record's keys, notes, tags or bookings.
std::optional<CustomerContext> ContextOf(const business::Business& business, const customers::Customer& customer,
                                         CustomerAccess access, const std::vector<booking::Appointment>& upcoming) {
  if (access == CustomerAccess::kNone) return std::nullopt;
  CustomerContext context;
  context.name = customer.name;
  if (access == CustomerAccess::kClaims) {
    context.verified = false;
    context.email = customer.claimed_email;
    context.phone = customer.claimed_phone;
    return context;
  }
  context.email = customer.email;
  context.phone = customer.phone;
  context.visit_count = customer.visit_count;
  context.last_contact_at = customer.last_contact_at;
  context.tags = customer.tags;
  context.notes = customer.notes;
  for (const auto& appointment : upcoming) {
    context.upcoming_appointments.push_back(booking::FormatLocal(appointment.start, business.spec.timezone) + " " +
                                            appointment.service_name + " (appointment_id " + appointment.id + ")");
  }
  return context;
}

// Fills the tool context and the first model messages from what Prepare
// or Replay gathered.
void BuildRequest(Turn& turn, const std::vector<HistoryMessage>& history) {
  auto& engine = *turn.engine;
  const auto& business = *turn.business;
  turn.retrieved = Search(engine, business.id, turn.request.text, engine.settings.knowledge_passages);
  turn.citations = turn.retrieved;
  PromptInput input;
  input.business = &business.spec;
  input.now = engine.clock.Now();
  if (turn.customer) input.customer = ContextOf(business, *turn.customer, turn.customer_access, turn.upcoming);
  input.knowledge = turn.retrieved;
  turn.messages.clear();
  turn.messages.push_back({llm::Role::kSystem, BuildSystemPrompt(input), {}, {}});
  for (auto& message : HistoryForModel(history, static_cast<std::size_t>(std::max(1, engine.settings.llm.history_messages)))) {
    turn.messages.push_back(std::move(message));
  }
  for (const auto& message : turn.messages) turn.result.usage.prompt_chars += message.content.size();

  turn.tools.booking = &engine.booking;
  turn.tools.business = &business;
  turn.tools.conversation_id = turn.result.conversation_id;
  turn.tools.contacts_are_claims = turn.request.caller == Caller::kVisitor;
  if (turn.customer && turn.customer_access != CustomerAccess::kNone) {
    const bool proven = turn.customer_access == CustomerAccess::kProven;
    turn.tools.customer_id = turn.customer->id;
    turn.tools.customer_proven = proven;
    turn.tools.customer_name = turn.customer->name;
    turn.tools.customer_email = proven ? turn.customer->email : turn.customer->claimed_email;
    turn.tools.customer_phone = proven ? turn.customer->phone : turn.customer->claimed_phone;
  }
  turn.tools.search = [&engine, id = business.id](const std::string& query, int limit) {
    return Search(engine, id, query, limit);
  };
  turn.tools.citations = &turn.citations;
  turn.tools.dry_run = !turn.persist;
}

// The passages the reply cites as [n], in order of first citation.
std::vector<CitationRef> CitedIn(const std::string& reply, const std::vector<Passage>& citations) {
  static const std::regex marker(R"(\[(\d{1,3})\])");
  std::vector<CitationRef> cited;
  std::set<int> seen;
  for (auto it = std::sregex_iterator(reply.begin(), reply.end(), marker); it != std::sregex_iterator(); ++it) {
    const int number = std::stoi((*it)[1].str());
    if (number < 1 || number > static_cast<int>(citations.size()) || !seen.insert(number).second) continue;
    cited.push_back({number, citations[number - 1]});
  }
  return cited;
}

json CitationsJson(const std::vector<CitationRef>& cited) {
  json list = json::array();
  for (const auto& ref : cited) {
    list.push_back({{"number", ref.number}, {"chunk_id", ref.passage.chunk_id}, {"title", ref.passage.title},
                    {"source", ref.passage.source}});
  }
  return list;
}

void EmitCitations(Turn& turn) {
  for (const auto& ref : turn.result.citations) {
    TurnEvent event;
    event.kind = TurnEvent::Kind::kCitation;
    event.citation_number = ref.number;
    event.citation = ref.passage;
    Emit(turn, event);
  }
}

void EmitHandoff(Turn& turn, const std::string& notice, const std::string& reason) {
  turn.result.handoff = true;
  turn.result.handoff_reason = reason;
  TurnEvent event;
  event.kind = TurnEvent::Kind::kHandoff;
  event.text = notice;
  event.reason = reason;
  Emit(turn, event);
}

// Stores an AI message, retrying for up to settings.reply_save_retry_ms
// while the database is unreachable (a restart, a failover): the customer
// has usually read the reply already, and it must not vanish from the
// history. The id chosen here makes a retry after a commit whose answer was
// lost store nothing twice. It blocks an executor thread meanwhile, as the
// database calls it waits on would.
SaveResult SaveWithRetry(const Turn& turn, NewAiMessage message, const std::optional<std::string>& escalation,
                         HandoffReason handoff) {
  auto& engine = *turn.engine;
  message.id = NewMessageId();
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(engine.settings.reply_save_retry_ms);
  auto delay = std::chrono::milliseconds(50);
  for (;;) {
    try {
      return SaveAiMessage(engine.pool, turn.business->id, turn.result.conversation_id, message, escalation, handoff);
    } catch (const Unavailable& e) {
      if (SteadyClock::now() + delay > deadline) throw;
      log::Warn("storing an AI message failed, retrying", {{"conversation_id", turn.result.conversation_id},
                                                           {"error", e.what()},
                                                           {"retry_in_ms", delay.count()}});
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
    }
  }
}

// Withdraws the text streamed so far, which is not the reply after all.
void ResetStream(Turn& turn, const std::string& why) {
  if (!turn.streamed) return;
  turn.streamed = false;
  TurnEvent event;
  event.kind = TurnEvent::Kind::kReset;
  event.text = why;
  Emit(turn, event);
}

// A human took over while the model was thinking: the reply was stored as
// dropped, and what streamed of it is withdrawn.
void Dropped(Turn& turn, const SaveResult& save) {
  turn.result.dropped = true;
  turn.result.reply.clear();
  turn.result.reply_message_id.clear();
  turn.result.status = save.status;
  ResetStream(turn, kTakenOverReason);
  EmitHandoff(turn, kSilentNotice, kTakenOverReason);
  Finish(turn);
}

// With no model, a booking is a dialogue (booking_dialogue.hpp) rather than
// a handoff; nullopt when the message is not about booking.
std::optional<DialogueReply> BookingDialogue(const TurnPtr& turn) {
  auto& engine = *turn->engine;
  auto reply = ContinueBookingDialogue(
      turn->tools, turn->dialogue, turn->request.text, turn->retrieved, engine.clock.Now(),
      [&turn](const std::string& tool, bool finished, bool ok) {
        TurnEvent event;
        event.kind = TurnEvent::Kind::kTool;
        event.tool_name = tool;
        event.tool_status = !finished ? "started" : ok ? "finished" : "failed";
        Emit(*turn, event);
      });
  if (!reply.engaged) return std::nullopt;
  for (const auto& call : reply.calls) {
    const auto& outcome = call.outcome;
    turn->result.tool_calls.push_back({"offline_" + call.name, call.name, call.arguments_json, outcome.result_json,
                                       outcome.ok, outcome.latency_ms});
    if (!outcome.appointment_id.empty()) turn->changes.push_back({call.name, outcome.result_json});
    if (!outcome.customer_id.empty() && !turn->customer && turn->persist) {
      AttachCustomer(engine.pool, turn->business->id, turn->result.conversation_id, outcome.customer_id);
    }
  }
  return reply;
}

void AnswerOffline(const TurnPtr& turn, OfflineReason reason, const std::string& why) {
  auto& engine = *turn->engine;
  // The tools changed appointments before the model failed: those changes
  // stand, so omni says what was done (an apology would have the customer
  // book again) and the team takes over whatever else was asked.
  const std::string told = reason == OfflineReason::kModelFailed ? ConfirmChanges(turn->changes) : "";
  std::optional<DialogueReply> dialogue;
  if (reason == OfflineReason::kNoModel) dialogue = BookingDialogue(turn);
  const auto reply = dialogue ? OfflineReply{dialogue->text, dialogue->citation, dialogue->handoff}
                     : told.empty() ? OfflineAnswer(turn->request.text, turn->retrieved, reason)
                                    : OfflineReply{told, {}, true};
  std::optional<std::string> escalation;
  HandoffReason handoff = HandoffReason::kModelFailure;
  if (reply.handoff) {
    escalation = dialogue ? dialogue->handoff_reason : "the assistant could not answer offline";
    if (dialogue) handoff = HandoffReason::kToolOrPolicy;
  }
  if (reason == OfflineReason::kModelFailed && engine.settings.llm.escalate_on_failure) {
    escalation = "the AI could not answer: " + why;
  }
  if (turn->pending_escalation) {
    escalation = turn->pending_escalation;
    handoff = turn->pending_handoff;
  }
  if (!told.empty()) {
    escalation = (turn->pending_escalation ? *turn->pending_escalation + "; " : std::string()) +
                 "the AI could not answer after changing appointments: " + why;
  }
  turn->result.offline = true;
  if (reply.citation) turn->result.citations.push_back({1, *reply.citation});
  if (turn->persist) {
    NewAiMessage message;
    message.content = reply.text;
    message.model = "offline";
    json metadata = {{"offline", true}, {"citations", CitationsJson(turn->result.citations)}};
    // The dialogue's state lives with its reply, so the next turn (or a
    // reload, or another omnid) continues where this one stopped.
    if (dialogue) metadata["booking_dialogue"] = json::parse(StateToJson(dialogue->state));
    message.metadata_json = metadata.dump();
    const auto save = SaveWithRetry(*turn, message, escalation, handoff);
    if (save.dropped) return Dropped(*turn, save);
    turn->result.reply_message_id = save.message_id;
    turn->result.status = save.status;
  }
  turn->result.reply = reply.text;
  // A model that failed mid-answer may have streamed part of one.
  ResetStream(*turn, "the model failed; the offline responder answers");
  TurnEvent token;
  token.kind = TurnEvent::Kind::kToken;
  token.text = reply.text;
  Emit(*turn, token);
  EmitCitations(*turn);
  if (escalation) EmitHandoff(*turn, kHandoffNotice, *escalation);
  Finish(*turn);
}

void HandleModelResult(const TurnPtr& turn, std::exception_ptr error, llm::ChatResult chat);

void CallModel(const TurnPtr& turn) {
  auto& engine = *turn->engine;
  llm::ChatRequest request;
  request.messages = turn->messages;
  // After the last tool round the model must answer in words.
  if (turn->rounds < engine.settings.llm.max_tool_rounds) request.tools = ToolSpecs();
  request.stream = true;
  AddStepTime(*turn);
  engine.llm->StartChat(
      std::move(request),
      [turn](const llm::StreamEvent& event) {
        if (event.kind == llm::StreamEvent::Kind::kTextDelta && !event.text.empty()) {
          turn->streamed = true;
          TurnEvent out;
          out.kind = TurnEvent::Kind::kToken;
          out.text = event.text;
          Emit(*turn, out);
        } else if (event.kind == llm::StreamEvent::Kind::kRestart) {
          ResetStream(*turn, event.reason);
        }
      },
      [turn](std::exception_ptr error, llm::ChatResult chat) {
        Post(turn, [turn, error, chat = std::move(chat)]() mutable { HandleModelResult(turn, error, std::move(chat)); });
      },
      turn->cancel);
}

void RunTools(const TurnPtr& turn, const std::vector<llm::ToolCall>& calls) {
  auto& engine = *turn->engine;
  std::vector<ToolResultRecord> records;
  for (const auto& call : calls) {
    TurnEvent started;
    started.kind = TurnEvent::Kind::kTool;
    started.tool_name = call.name;
    started.tool_status = "started";
    Emit(*turn, started);
    const auto outcome = ExecuteTool(turn->tools, call);
    if (outcome.escalation_reason) {
      turn->pending_escalation = *outcome.escalation_reason;
      turn->pending_handoff = outcome.customer_asked ? HandoffReason::kHumanRequested : HandoffReason::kToolOrPolicy;
    }
    if (!outcome.appointment_id.empty()) turn->changes.push_back({call.name, outcome.result_json});
    if (!outcome.customer_id.empty() && !turn->customer && turn->persist) {
      AttachCustomer(engine.pool, turn->business->id, turn->result.conversation_id, outcome.customer_id);
    }
    turn->result.tool_calls.push_back({call.id, call.name, call.arguments_json, outcome.result_json, outcome.ok,
                                       outcome.latency_ms});
    records.push_back({call.id, call.name, outcome.result_json, outcome.ok, outcome.latency_ms});
    turn->messages.push_back({llm::Role::kTool, outcome.result_json, {}, call.id});
    TurnEvent finished;
    finished.kind = TurnEvent::Kind::kTool;
    finished.tool_name = call.name;
    finished.tool_status = outcome.ok ? "finished" : "failed";
    Emit(*turn, finished);
  }
  if (turn->persist) SaveToolResults(engine.pool, turn->business->id, turn->result.conversation_id, records);
}

void HandleModelResult(const TurnPtr& turn, std::exception_ptr error, llm::ChatResult chat) {
  auto& engine = *turn->engine;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const http::Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      log::Warn("every model failed", {{"conversation_id", turn->result.conversation_id}, {"error", e.what()}});
      return AnswerOffline(turn, OfflineReason::kModelFailed, e.what());
    }
  }
  auto& usage = turn->result.usage;
  usage.model_calls += 1;
  usage.prompt_tokens += chat.usage.prompt_tokens;
  usage.completion_tokens += chat.usage.completion_tokens;
  const std::int64_t cost_micros = chat.usage.cost_usd ? std::llround(*chat.usage.cost_usd * 1e6) : 0;
  usage.cost_micros += cost_micros;
  usage.model_latency_ms += chat.latency_ms;
  usage.model = chat.model;

  const bool tools_offered = turn->rounds < engine.settings.llm.max_tool_rounds;
  const bool calls_tools = tools_offered && !chat.message.tool_calls.empty();
  if (!calls_tools && chat.message.content.empty()) {
    return AnswerOffline(turn, OfflineReason::kModelFailed, "the model returned an empty reply");
  }
  NewAiMessage message;
  message.content = chat.message.content;
  message.prompt_tokens = chat.usage.prompt_tokens;
  message.completion_tokens = chat.usage.completion_tokens;
  message.cost_micros = cost_micros;
  message.latency_ms = chat.latency_ms;
  message.model = chat.model;
  std::optional<std::string> escalation;
  if (calls_tools) {
    message.tool_calls_json = ToolCallsJson(chat.message.tool_calls);
    message.metadata_json = json{{"finish_reason", chat.finish_reason}}.dump();
  } else {
    turn->result.citations = CitedIn(chat.message.content, turn->citations);
    message.metadata_json =
        json{{"finish_reason", chat.finish_reason}, {"citations", CitationsJson(turn->result.citations)}}.dump();
    escalation = turn->pending_escalation;
  }
  if (turn->persist) {
    const auto save = SaveWithRetry(*turn, message, escalation, turn->pending_handoff);
    if (save.dropped) return Dropped(*turn, save);
    turn->result.status = save.status;
    if (!calls_tools) turn->result.reply_message_id = save.message_id;
  }
  if (calls_tools) {
    turn->messages.push_back({llm::Role::kAssistant, chat.message.content, chat.message.tool_calls, {}});
    turn->rounds += 1;
    RunTools(turn, chat.message.tool_calls);
    return CallModel(turn);
  }
  turn->result.reply = chat.message.content;
  EmitCitations(*turn);
  if (escalation) EmitHandoff(*turn, kHandoffNotice, *escalation);
  Finish(*turn);
}

// The plan's limits stopped the AI: the visitor reads the business's
// message, the team gets the conversation with the limit as its reason,
// and the log names the business.
void AnswerAtLimit(Turn& turn, const std::exception_ptr& limit) {
  const auto& business = *turn.business;
  std::string reason;
  try {
    std::rethrow_exception(limit);
  } catch (const LimitReached& e) {
    reason = std::string(kPlanLimitReason) + ": " + e.what();
  }
  log::Warn("plan limit reached", {{"business", business.spec.slug},
                                   {"business_id", business.id},
                                   {"conversation_id", turn.result.conversation_id},
                                   {"error", reason}});
  turn.result.ai_silent = true;
  turn.result.reply = business.spec.widget.limit_message;
  turn.result.status = ConversationStatus::kEscalated;  // in the transaction that met the limit
  EmitHandoff(turn, business.spec.widget.limit_message, reason);
  Finish(turn);
}

void Prepare(const TurnPtr& turn) {
  auto& engine = *turn->engine;
  auto& request = turn->request;
  if (request.text.find_first_not_of(" \t\r\n") == std::string::npos) throw InvalidInput("message: it is empty");
  RejectNul("message", request.text);
  const auto& contact = request.customer;
  const bool named = !contact.email.empty() || !contact.phone.empty() || !contact.external_id.empty();
  if (named && request.caller != Caller::kOperator) {
    throw InvalidInput("customer: a visitor's contact details are claims and cannot name a customer",
                       "Start a webchat session with them, or name the customer as an operator.");
  }
  turn->business = request.business ? request.business : engine.businesses.Get(request.business_slug);
  const auto& business = *turn->business;
  OpenRequest open;
  open.conversation_id = request.conversation_id;
  open.latest_of_customer = request.continue_latest;
  open.channel = request.channel;
  if (request.visitor) open.visitor_id = request.visitor->visitor_id;
  const auto now = engine.clock.Now();
  // The turn's opening (customer, conversation, the message, the meter,
  // the history and the customer's upcoming appointments) is one
  // transaction: this phase runs before every model call, and each
  // transaction costs round trips and a commit. A plan-limit refusal
  // (LimitReached) is raised before the meter writes and leaves the
  // transaction usable, so the customer's message is still kept.
  struct Opening {
    std::optional<customers::Customer> customer;
    CustomerAccess access = CustomerAccess::kNone;
    std::string conversation_id;
    UserMessageResult added;
    std::exception_ptr meter_error;
    std::vector<StoredMessage> history;
    std::vector<booking::Appointment> upcoming;
  };
  const bool ai_enabled = business.spec.ai.enabled;
  Opening opening = db::WithTransaction(engine.pool, [&](pqxx::work& tx) {
    Opening result;
    if (named) result.customer = customers::FindOrCreate(tx, business.id, contact).customer;
    Conversation conversation;
    if (request.visitor && !request.conversation_id.empty()) {
      conversation = VisitorConversation(tx, business.id, *request.visitor, request.conversation_id);
    } else {
      OpenRequest scoped = open;
      // A visitor's new conversation is theirs: their visitor id and customer.
      scoped.customer_id = result.customer ? result.customer->id : request.visitor ? request.visitor->customer_id : "";
      conversation = Open(tx, business.id, scoped);
    }
    result.conversation_id = conversation.id;
    if (!result.customer && !conversation.customer_id.empty()) {
      result.customer = customers::Get(tx, business.id, conversation.customer_id);
    }
    result.access = AccessOf(request, result.customer);
    result.added = AddUserMessage(tx, business.id, conversation.id, request.text, now);
    if (!AiMayAnswer(result.added.status) || !ai_enabled) return result;
    try {
      // A conversation counts in the period of its first message.
      if (conversation.message_count == 0) {
        billing::MeterConversation(tx, business.id, engine.settings.billing, conversation.id, now);
      }
      billing::MeterInteraction(tx, business.id, engine.settings.billing, result.added.message.id, conversation.id,
                                now);
    } catch (const LimitReached& e) {
      // Nobody else will answer: the team owns it, and analytics count why.
      result.meter_error = std::current_exception();
      Escalate(tx, business.id, conversation.id, std::string(kPlanLimitReason) + ": " + e.what(),
               HandoffReason::kPlanLimit);
      return result;
    }
    MessageQuery query;
    query.last = static_cast<std::size_t>(std::max(1, engine.settings.llm.history_messages));
    query.include_dropped = false;
    result.history = Messages(tx, business.id, conversation.id, query);
    if (result.access == CustomerAccess::kProven) {
      result.upcoming = booking::Upcoming(tx, business.id, result.customer->id, now, kUpcomingInPrompt);
    }
    return result;
  });
  turn->customer = std::move(opening.customer);
  turn->customer_access = opening.access;
  turn->upcoming = std::move(opening.upcoming);
  turn->result.conversation_id = opening.conversation_id;
  const auto& added = opening.added;
  turn->result.user_message_id = added.message.id;
  turn->result.status = added.status;
  TurnEvent opened;
  opened.kind = TurnEvent::Kind::kOpened;
  opened.conversation_id = opening.conversation_id;
  Emit(*turn, opened);

  if (!AiMayAnswer(added.status)) {
    turn->result.ai_silent = true;
    turn->result.reply = kSilentNotice;
    EmitHandoff(*turn, kSilentNotice, "a team member owns this conversation");
    return Finish(*turn);
  }
  if (!ai_enabled) {
    turn->result.ai_silent = true;
    turn->result.reply = kAiOffNotice;
    turn->result.status =
        Escalate(engine.pool, business.id, opening.conversation_id, kAiOffReason, HandoffReason::kToolOrPolicy).status;
    EmitHandoff(*turn, kAiOffNotice, kAiOffReason);
    return Finish(*turn);
  }
  if (opening.meter_error) {
    // An operator is told the limit; a visitor only that the team will answer.
    if (request.caller == Caller::kOperator) std::rethrow_exception(opening.meter_error);
    return AnswerAtLimit(*turn, opening.meter_error);
  }
  const auto history = ToHistory(opening.history);
  turn->dialogue = DialogueIn(opening.history);
  BuildRequest(*turn, history);
  if (engine.Offline()) return AnswerOffline(turn, OfflineReason::kNoModel, "");
  CallModel(turn);
}

TurnPtr NewTurn(const std::shared_ptr<Engine::Impl>& engine, TurnRequest request, TurnEventCallback on_event,
                TurnDone done, std::shared_ptr<http::Cancellation> cancel) {
  auto turn = std::make_shared<Turn>();
  turn->engine = engine;
  turn->request = std::move(request);
  turn->on_event = std::move(on_event);
  turn->done = std::move(done);
  turn->cancel = std::move(cancel);
  return turn;
}

template <class Start>
TurnResult Wait(Start start) {
  auto promise = std::make_shared<std::promise<TurnResult>>();
  auto future = promise->get_future();
  start([promise](std::exception_ptr error, TurnResult result) {
    if (error) {
      promise->set_exception(error);
    } else {
      promise->set_value(std::move(result));
    }
  });
  return future.get();
}

}  // namespace

Engine::Engine(db::Pool& pool, BusinessCache& businesses, kb::Retriever& retriever, llm::LlmClient* llm,
               BlockingExecutor& executor, const Clock& clock, EngineSettings settings)
    : impl_(std::make_shared<Impl>(pool, businesses, retriever, llm, executor, clock, std::move(settings))) {}

Engine::~Engine() = default;

void Engine::StartTurn(TurnRequest request, TurnEventCallback on_event, TurnDone done,
                       std::shared_ptr<http::Cancellation> cancel) {
  auto turn = NewTurn(impl_, std::move(request), std::move(on_event), std::move(done), std::move(cancel));
  Post(turn, [turn] { Prepare(turn); });
}

TurnResult Engine::Turn(TurnRequest request, TurnEventCallback on_event, std::shared_ptr<http::Cancellation> cancel) {
  return Wait([&](TurnDone done) { StartTurn(std::move(request), std::move(on_event), std::move(done), cancel); });
}

std::vector<ReplayStep> Engine::Replay(const std::string& business_slug, const std::string& conversation_id) {
  auto business = impl_->businesses.Get(business_slug);
  const auto conversation = Get(impl_->pool, business->id, conversation_id);
  std::optional<customers::Customer> customer;
  std::vector<booking::Appointment> upcoming;
  if (!conversation.customer_id.empty()) {
    customer = customers::Get(impl_->pool, business->id, conversation.customer_id);
    upcoming = db::WithTransaction(impl_->pool, [&](pqxx::work& tx) {
      return booking::Upcoming(tx, business->id, conversation.customer_id, impl_->clock.Now(), kUpcomingInPrompt);
    });
  }
  MessageQuery query;
  query.include_dropped = false;
  const auto stored = Messages(impl_->pool, business->id, conversation.id, query);

  std::vector<ReplayStep> steps;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].role != MessageRole::kUser) continue;
    ReplayStep step;
    step.user_text = stored[i].content;
    for (std::size_t j = i + 1; j < stored.size() && stored[j].role != MessageRole::kUser; ++j) {
      const bool ai = stored[j].role == MessageRole::kAssistant && !stored[j].content.empty() &&
                      stored[j].tool_calls_json.empty();
      if (ai || stored[j].role == MessageRole::kHuman) {
        step.old_reply = stored[j].content;
        step.old_author = ai ? "ai" : "human";
        break;
      }
    }
    const std::vector<StoredMessage> before(stored.begin(), stored.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    TurnRequest request;
    request.business_slug = business_slug;
    request.text = step.user_text;
    request.conversation_id = conversation.id;
    request.caller = Caller::kOperator;
    step.now = Wait([&](TurnDone done) {
      auto turn = NewTurn(impl_, request, {}, std::move(done), nullptr);
      turn->persist = false;
      turn->business = business;
      turn->customer = customer;
      turn->customer_access = AccessOf(request, customer);
      turn->upcoming = upcoming;
      turn->result.conversation_id = conversation.id;
      turn->dialogue = DialogueIn(before);
      Post(turn, [turn, history = ToHistory(before)] {
        BuildRequest(*turn, history);
        if (turn->engine->Offline()) return AnswerOffline(turn, OfflineReason::kNoModel, "");
        CallModel(turn);
      });
    });
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace omni::chat
