// omni_chat_bench: omni's own time per chat turn, with the model out of the way.
//
// Runs sequential turns of the demo salon (its business file and knowledge
// base) on a throwaway PostgreSQL, against the fake OpenAI server on
// 127.0.0.1 answering at once, through the real LLM client over HTTP. For
// each turn it records the engine's own time (TurnUsage::omni_us: database
// work, retrieval, prompt building, tool execution, result handling: all
// but waiting on the model) and the wall time (which adds the loopback HTTP
// exchange, the fake's work and SSE parsing). It also times retrieval,
// prompt building and each database call of a turn alone (on one growing
// conversation), and writes a typical turn's request body to a file for
// scripts/bench_chat.sh to count its tokens (bench/tokens/count.mjs).
//
//   omni_chat_bench [TURNS] [TOOL_EVERY] [REQUEST_OUT]
//   defaults: 400 turns, every 4th with one tool round, no request file
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/billing/plans.hpp"
#include "core/billing/usage.hpp"
#include "core/booking/booking_tx.hpp"
#include "core/booking/local_time.hpp"
#include "core/chat/conversations.hpp"
#include "core/customers/customers.hpp"
#include "core/business/business.hpp"
#include "core/chat/assistant.hpp"
#include "core/chat/engine.hpp"
#include "core/chat/prompt.hpp"
#include "core/chat/tools.hpp"
#include "core/common/executor.hpp"
#include "core/business/business_file.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/retriever.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/pg_harness.hpp"

namespace {

using namespace omni;
using SteadyClock = std::chrono::steady_clock;

void Complain(const std::string& problem) { std::cerr << "fake model: " << problem << '\n'; }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Summary {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t samples = 0;
};
Summary Summarise(const std::vector<double>& values) {
  return {Percentile(values, 50), Percentile(values, 99), Percentile(values, 100), values.size()};
}

void Print(const char* what, const Summary& s) {
  if (s.samples == 0) {
    std::printf("  %-44s no samples\n", what);
    return;
  }
  std::printf("  %-44s p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms   (%zu)\n", what, s.p50, s.p99, s.max, s.samples);
}

const char* kQuestions[] = {
    "Where can I park?",
    "Do you do balayage, and how long does it take?",
    "What is your cancellation policy?",
    "How much is a men's haircut?",
    "Are you open on Saturday?",
    "How should I care for my hair after a color service?",
    "Do you have time for a blowout on Tuesday afternoon?",
    "Can kids get a cut too?",
};

}  // namespace

int main(int argc, char** argv) {
  const int turns = argc > 1 ? std::max(10, std::atoi(argv[1])) : 400;
  const int tool_every = argc > 2 ? std::max(0, std::atoi(argv[2])) : 4;
  const std::string request_out = argc > 3 ? argv[3] : "";
  const int warmup = 20;

  test::TestDatabase db;
  business::Apply(db.pool(), business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"));
  const auto business = business::Get(db.pool(), "demo-salon");
  kb::IngestOptions ingest;
  ingest.inputs = {OMNI_SOURCE_DIR "/config/demo-kb"};
  const auto report = kb::Ingest(db.pool(), business.id, config::KbSettings{}, ingest);

  test::FakeOpenAi fake(test::FakeOpenAiOptions{}, &Complain);
  int call = 0;
  fake.SetFallback([&](const test::RecordedRequest& request) {
    ++call;
    const auto& messages = request.json["messages"];
    const bool after_tool = !messages.empty() && messages.back()["role"] == "tool";
    if (tool_every > 0 && !after_tool && request.json.contains("tools") && call % tool_every == 0) {
      return test::ToolCallReply({{"call_" + std::to_string(call), "check_availability",
                                   {R"({"date":"2026-12-01","service":"Blowout"})"}}});
    }
    return test::TextReply({"Happy to help! ", "Free street parking is on Court Street [1]."});
  });

  config::Config config;
  config.llm.base_url = fake.base_url();
  config.llm.api_key = "bench";
  config.llm.models = {"bench-model"};
  config::PlanLimitsOverride unlimited_free;
  unlimited_free.tier.name = "FREE";
  unlimited_free.interactions_per_month = -1;
  unlimited_free.conversations_per_month = -1;
  config.plans.push_back(unlimited_free);
  config.billing.trial_days = 0;  // FREE, unlimited above, from the first turn
  ThreadPoolExecutor executor(2);
  class PinnedClock final : public Clock {
   public:
    TimePoint Now() const override { return booking::ParseStartTime("2026-11-24 09:00", "America/New_York"); }
  } clock;
  chat::Assistant assistant(config, db.pool(), executor, clock, "omni-bench/0.1");
  const auto billing_settings = billing::ResolveBillingSettings(config);
  chat::Engine& engine = assistant.engine();
  kb::Retriever& retriever = assistant.retriever();

  std::vector<double> omni_ms, wall_ms, omni_tool_ms, retrieval_ms, prompt_ms;
  std::string conversation;
  std::size_t system_chars = 0, tools_chars = 0, history_messages = 0;
  for (int i = 0; i < warmup + turns; ++i) {
    if (i % 10 == 0) conversation.clear();  // ten turns per conversation: history grows, then resets
    chat::TurnRequest request;
    request.business_slug = "demo-salon";
    request.text = kQuestions[i % (sizeof kQuestions / sizeof *kQuestions)];
    request.conversation_id = conversation;
    request.caller = chat::Caller::kOperator;
    request.customer.email = "guest" + std::to_string(i / 10) + "@example.com";
    request.channel = chat::Channel::kApi;
    const auto started = SteadyClock::now();
    const auto result = engine.Turn(request);
    const double wall = std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
    conversation = result.conversation_id;
    if (i < warmup) continue;
    (result.tool_calls.empty() ? omni_ms : omni_tool_ms).push_back(static_cast<double>(result.usage.omni_us) / 1000.0);
    if (result.tool_calls.empty()) wall_ms.push_back(wall);
  }

  // A typical turn's request: the first call of a conversation's fifth turn
  // or later (system prompt, history, the new message).
  for (const auto& request : fake.requests()) {
    const auto& messages = request.json["messages"];
    if (messages.size() < 10 || messages.back()["role"] != "user") continue;
    system_chars = messages[0]["content"].get<std::string>().size();
    tools_chars = request.json.contains("tools") ? request.json["tools"].dump().size() : 0;
    history_messages = messages.size() - 1;
    if (!request_out.empty()) std::ofstream(request_out) << request.body;
    break;
  }

  // Retrieval and prompt building alone, on the same inputs.
  for (int i = 0; i < turns; ++i) {
    const std::string question = kQuestions[i % (sizeof kQuestions / sizeof *kQuestions)];
    auto started = SteadyClock::now();
    kb::SearchOptions options;
    options.k = 4;
    const auto hits = retriever.Search(business.id, question, options);
    retrieval_ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count());
    chat::PromptInput input;
    input.business = &business.spec;
    input.now = clock.Now();
    for (const auto& hit : hits) input.knowledge.push_back({hit.chunk->id, hit.chunk->title, hit.chunk->source, hit.chunk->text, hit.score});
    started = SteadyClock::now();
    const auto prompt = chat::BuildSystemPrompt(input);
    prompt_ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count());
  }

  // The database calls of a turn, one by one, on one conversation.
  std::map<std::string, std::vector<double>> calls;
  const auto timed = [&](const std::string& name, auto&& fn) {
    const auto started = SteadyClock::now();
    fn();
    calls[name].push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count());
  };
  for (int i = 0; i < 100; ++i) {
    customers::CustomerContact contact;
    contact.email = "breakdown@example.com";
    std::string customer_id, conversation_id;
    timed("customers::FindOrCreate", [&] { customer_id = customers::FindOrCreate(db.pool(), business.id, contact).customer.id; });
    timed("chat::Open", [&] {
      chat::OpenRequest open;
      open.customer_id = customer_id;
      open.latest_of_customer = true;
      conversation_id = chat::Open(db.pool(), business.id, open).id;
    });
    std::string message_id;
    timed("chat::AddUserMessage", [&] {
      message_id = chat::AddUserMessage(db.pool(), business.id, conversation_id, "Where can I park?", clock.Now()).message.id;
    });
    timed("billing::MeterInteraction", [&] {
      billing::MeterInteraction(db.pool(), business.id, billing_settings, message_id, conversation_id, clock.Now());
    });
    timed("chat::Messages (history)", [&] {
      chat::MessageQuery query;
      query.last = 20;
      chat::Messages(db.pool(), business.id, conversation_id, query);
    });
    timed("booking::Upcoming", [&] {
      db::WithTransaction(db.pool(), [&](pqxx::work& tx) { booking::Upcoming(tx, business.id, customer_id, clock.Now(), 5); });
    });
    timed("chat::SaveAiMessage", [&] {
      chat::NewAiMessage reply;
      reply.content = "Free street parking on Court Street.";
      chat::SaveAiMessage(db.pool(), business.id, conversation_id, reply);
    });
  }

  std::printf("omni_chat_bench: %d measured turns (%d warm-up), demo-salon, %zu knowledge chunks, fake model answering at once\n",
              turns, warmup, report.chunks_written);
  Print("omni time per turn, no tool call", Summarise(omni_ms));
  Print("omni time per turn, one tool round", Summarise(omni_tool_ms));
  Print("wall time per turn incl. loopback HTTP + fake", Summarise(wall_ms));
  Print("  of which: retrieval (BM25, in memory)", Summarise(retrieval_ms));
  Print("  of which: system prompt building", Summarise(prompt_ms));
  std::printf("  database calls of a turn, each alone:\n");
  for (const auto& [name, values] : calls) Print(("    " + name).c_str(), Summarise(values));
  std::printf("  typical request (a conversation's fifth turn): system prompt %zu chars, %zu messages after it, "
              "tool schemas %zu chars\n",
              system_chars, history_messages, tools_chars);
  nlohmann::json line = {{"turns", turns},
                         {"omni_ms_p50", Summarise(omni_ms).p50},
                         {"omni_ms_p99", Summarise(omni_ms).p99},
                         {"omni_tool_ms_p50", Summarise(omni_tool_ms).p50},
                         {"omni_tool_ms_p99", Summarise(omni_tool_ms).p99},
                         {"wall_ms_p50", Summarise(wall_ms).p50},
                         {"wall_ms_p99", Summarise(wall_ms).p99}};
  std::printf("%s\n", line.dump().c_str());
  return 0;
}
