// `omni chat`: talk to a business's assistant from the terminal, through
// the same chat::Engine as the webchat. Interactive by default (tokens
// stream as they arrive, tool calls show as they happen), one turn with
// -m for scripts, and `omni chat replay ID` to re-run a past conversation
// against today's knowledge and prompt without storing anything.
#include <unistd.h>

#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/chat/assistant.hpp"
#include "core/business/business.hpp"
#include "core/chat/engine.hpp"
#include "core/common/error.hpp"
#include "core/common/executor.hpp"
#include "core/db/ids.hpp"

namespace omni::cli {
namespace {

using nlohmann::json;

struct ChatOptions {
  std::string message;
  std::string customer;
  std::string name;
  std::string conversation;
};

// Everything a turn needs, built from the config once per command.
struct Session {
  explicit Session(Context& ctx)
      : executor(2), assistant(ctx.Config(), ctx.Database(), executor, DefaultClock(), "omni/0.1") {
    if (assistant.offline()) {
      ctx.out().Status("no LLM API key is configured: the offline responder answers from the knowledge base");
    }
  }
  ThreadPoolExecutor executor;
  chat::Assistant assistant;
};

customers::CustomerContact Contact(const ChatOptions& options) {
  customers::CustomerContact contact;
  contact.name = options.name;
  if (options.customer.find('@') != std::string::npos) {
    contact.email = options.customer;
  } else {
    contact.phone = options.customer;
  }
  return contact;
}

json ResultJson(const chat::TurnResult& result) {
  json tools = json::array();
  for (const auto& call : result.tool_calls) {
    const json arguments = json::parse(call.arguments_json, nullptr, false);
    tools.push_back({{"id", call.id},
                     {"name", call.name},
                     {"arguments", arguments.is_discarded() ? json(call.arguments_json) : arguments},
                     {"ok", call.ok},
                     {"result", json::parse(call.result_json, nullptr, false)},
                     {"latency_ms", call.latency_ms}});
  }
  json citations = json::array();
  for (const auto& ref : result.citations) {
    citations.push_back({{"number", ref.number}, {"title", ref.passage.title}, {"source", ref.passage.source},
                         {"chunk_id", ref.passage.chunk_id}});
  }
  return {{"conversation_id", result.conversation_id},
          {"message_id", result.reply_message_id.empty() ? json(nullptr) : json(result.reply_message_id)},
          {"reply", result.reply},
          {"status", chat::StatusName(result.status)},
          {"handoff", result.handoff},
          {"handoff_reason", result.handoff_reason.empty() ? json(nullptr) : json(result.handoff_reason)},
          {"offline", result.offline},
          {"dropped", result.dropped},
          {"ai_silent", result.ai_silent},
          {"tool_calls", tools},
          {"citations", citations},
          {"usage",
           {{"model", result.usage.model},
            {"model_calls", result.usage.model_calls},
            {"prompt_tokens", result.usage.prompt_tokens},
            {"completion_tokens", result.usage.completion_tokens},
            {"cost_usd", static_cast<double>(result.usage.cost_micros) / 1e6},
            {"model_latency_ms", result.usage.model_latency_ms},
            {"omni_ms", static_cast<double>(result.usage.omni_us) / 1000.0}}}};
}

// Runs one turn, streaming to the terminal unless the output is JSON.
chat::TurnResult RunTurn(Context& ctx, Session& session, chat::TurnRequest request) {
  const bool stream = ctx.out().format() != Format::kJson;
  std::mutex mutex;
  bool wrote_text = false;
  auto on_event = [&](const chat::TurnEvent& event) {
    if (!stream) return;
    std::lock_guard lock(mutex);
    switch (event.kind) {
      case chat::TurnEvent::Kind::kToken:
        std::cout << event.text << std::flush;
        wrote_text = true;
        break;
      case chat::TurnEvent::Kind::kReset:
        if (wrote_text) std::cout << '\n';
        ctx.out().Status("(the model was retried; the answer starts again)");
        wrote_text = false;
        break;
      case chat::TurnEvent::Kind::kTool:
        if (wrote_text) std::cout << '\n' << std::flush;
        wrote_text = false;
        if (event.tool_status == "started") {
          ctx.out().Status("  ... " + event.tool_name);
        } else {
          ctx.out().Status(event.tool_status == "finished" ? ctx.out().Green("  ok  " + event.tool_name)
                                                           : ctx.out().Red("  err " + event.tool_name));
        }
        break;
      default:
        break;
    }
  };
  const auto result = session.assistant.engine().Turn(std::move(request), on_event);
  if (!stream) {
    ctx.out().Record({}, ResultJson(result));
    return result;
  }
  if (result.ai_silent) std::cout << result.reply;
  if (wrote_text || result.ai_silent) std::cout << '\n';
  for (const auto& ref : result.citations) {
    std::cout << "[" << ref.number << "] " << ref.passage.title
              << (ref.passage.source.empty() ? "" : " (" + ref.passage.source + ")") << '\n';
  }
  if (result.dropped) ctx.out().Status("a team member took over; the AI's reply was dropped");
  if (result.handoff && !result.dropped) ctx.out().Status("handed off to a team member: " + result.handoff_reason);
  return result;
}

// The full id of the conversation named by `text`, an id or its unique prefix.
std::string ConversationId(Context& ctx, const std::string& text) {
  const std::string business_id = business::FindId(ctx.Database(), ctx.RequireBusiness());
  return db::ResolveId(ctx.Database(), db::IdKind::kConversation, business_id, text);
}

struct ReplayOptions {
  std::string conversation_id;
};

int RunReplay(Context& ctx, const ReplayOptions& options) {
  Session session(ctx);
  const auto steps = session.assistant.engine().Replay(ctx.RequireBusiness(), ConversationId(ctx, options.conversation_id));
  json rows = json::array();
  int turn = 0;
  for (const auto& step : steps) {
    rows.push_back({{"turn", ++turn},
                    {"customer", step.user_text},
                    {"before", step.old_reply},
                    {"before_by", step.old_author},
                    {"now", step.now.reply},
                    {"changed", step.old_reply != step.now.reply},
                    {"tool_calls", ResultJson(step.now)["tool_calls"]}});
  }
  ctx.out().List({{"turn", "TURN"}, {"customer", "CUSTOMER"}, {"before", "BEFORE"}, {"now", "NOW"}}, rows);
  ctx.out().Status("replayed " + std::to_string(steps.size()) + " customer message" + (steps.size() == 1 ? "" : "s") +
                   "; nothing was stored");
  return 0;
}

int RunChat(Context& ctx, const ChatOptions& options) {
  Session session(ctx);
  chat::TurnRequest request;
  request.business_slug = ctx.RequireBusiness();
  request.channel = chat::Channel::kCli;
  request.caller = chat::Caller::kOperator;
  if (!options.conversation.empty()) request.conversation_id = ConversationId(ctx, options.conversation);
  if (!options.customer.empty()) {
    request.customer = Contact(options);
    request.continue_latest = options.conversation.empty();
  }
  if (!options.message.empty()) {
    request.text = options.message;
    const auto result = RunTurn(ctx, session, request);
    ctx.out().Status("conversation " + result.conversation_id);
    return 0;
  }
  const bool tty = isatty(STDIN_FILENO) != 0;
  if (tty) ctx.out().Status("chatting with " + request.business_slug + "; an empty line or Ctrl-D ends the session");
  std::string line;
  for (;;) {
    if (tty) std::cerr << "you> " << std::flush;
    if (!std::getline(std::cin, line) || (tty && line.empty())) break;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    request.text = line;
    const auto result = RunTurn(ctx, session, request);
    request.conversation_id = result.conversation_id;
    request.continue_latest = false;
  }
  if (!request.conversation_id.empty()) ctx.out().Status("conversation " + request.conversation_id);
  return 0;
}

}  // namespace

Command MakeChatCommand() {
  Command chat = MakeCommand<ChatOptions>(
      "chat", "talk to the business's assistant",
      "Talks to the assistant of the business chosen with -b, as a customer would, through the same engine as "
      "the webchat: it reads the knowledge base, checks availability and books with its tools, and records "
      "the conversation. Interactive by default: the answer streams as it is written and tool calls show on "
      "stderr as they happen. -m sends one message (for scripts); -o json prints the reply, tool calls, "
      "citations and usage. --customer continues that customer's latest conversation; --conversation picks "
      "one. Without an API key for OpenRouter or OpenAI the offline responder answers from the knowledge base "
      "and hands off the rest. `omni chat replay` checks a change of knowledge or prompt against past conversations.",
      {"$ omni chat -b demo-salon", "$ omni chat -b demo-salon --customer ann@example.com",
       "$ omni chat -b demo-salon -m \"Do you have parking?\" -o json"},
      [](ChatOptions& o) {
        return std::vector<Option>{
            {"-m,--message", "send one message and exit", &o.message},
            {"--customer", "the customer's email or phone (found or created)", &o.customer},
            {"--name", "the customer's name, with --customer", &o.name},
            {"--conversation", "continue this conversation (its id or first 6 or more characters)", &o.conversation},
        };
      },
      RunChat);
  chat.subcommands.push_back(MakeCommand<ReplayOptions>(
      "replay", "re-run a past conversation against today's knowledge and prompt",
      "Re-runs a past conversation's customer messages, one by one with the history before each, against "
      "today's knowledge base, business file and prompt, and shows each old answer next to the new one, so "
      "that a change can be checked before it ships. It stores nothing, and tools that would change "
      "something (book, cancel, reschedule, escalate) run dry. -o json adds each new answer's tool calls.",
      {"$ omni chat replay 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 -b demo-salon",
       "$ omni chat replay 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 -b demo-salon -o json"},
      [](ReplayOptions& o) {
        return std::vector<Option>{{"conversation_id", "the conversation to replay (its id or first 6 or more characters)", &o.conversation_id, true}};
      },
      RunReplay));
  return chat;
}

}  // namespace omni::cli
