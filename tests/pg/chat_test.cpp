// The conversation engine end to end: a real database, the real LLM client
// talking HTTP to the fake OpenAI server on 127.0.0.1, the demo salon and
// its knowledge base. Covers booking through tools, model fallback, a human
// taking over mid-turn, cross-business refusal, the offline responder, an
// escalated conversation where the AI stays silent, metering, LISTEN/NOTIFY
// and replay.
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/billing/usage.hpp"
#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/chat/business_cache.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/chat/engine.hpp"
#include "core/common/error.hpp"
#include "core/common/executor.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/db/embedded.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/retriever.hpp"
#include "core/llm/llm.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using nlohmann::json;
using test::FakeReply;
using test::FakeToolCall;

constexpr const char* kTz = "America/New_York";

using test::FixedClock;

// The demo salon (config/demo-salon.yaml) with its knowledge base, an
// engine on the fake model (or offline), and helpers to read the database.
struct Desk {
  explicit Desk(bool offline = false, std::map<billing::PlanTier, billing::PlanLimits> plans = billing::DefaultPlans()) {
    business::Apply(db.pool(), business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"));
    business_id = business::Get(db.pool(), "demo-salon").id;
    kb::IngestOptions ingest;
    ingest.inputs = {OMNI_SOURCE_DIR "/config/demo-kb"};
    kb::Ingest(db.pool(), business_id, config::KbSettings{}, ingest);
    config::LlmSettings llm_settings;
    // Offline is the embedded default: OpenRouter with no key.
    if (!offline) llm_settings.base_url = fake.base_url();
    llm_settings.api_key = offline ? "" : "test-key";
    llm_settings.models = {"model-a", "model-b"};
    llm_settings.max_retries = 0;
    llm_settings.retry_base_delay_ms = 1;
    llm = llm::MakeOpenAiClient(llm_settings, *http, 1);
    settings.llm = llm_settings;
    settings.billing.plans = std::move(plans);
    // FREE from the first turn, as a business past its trial.
    settings.billing.trial_days = 0;
    engine = std::make_unique<chat::Engine>(db.pool(), businesses, retriever, llm.get(), executor, clock, settings);
  }

  chat::TurnRequest Request(const std::string& text, const std::string& conversation_id = "") {
    chat::TurnRequest request;
    request.business_slug = "demo-salon";
    request.text = text;
    request.conversation_id = conversation_id;
    request.channel = chat::Channel::kCli;
    request.caller = chat::Caller::kOperator;
    return request;
  }

  long long Count(const std::string& sql, const std::string& param) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) { return tx.exec_params1(sql, param)[0].as<long long>(); });
  }

  test::TestDatabase db;
  FixedClock clock{booking::ParseStartTime("2026-11-24 09:00", kTz)};
  test::FakeOpenAi fake;
  std::unique_ptr<http::HttpClient> http = http::MakeHttpClient(http::ClientSettings{});
  std::unique_ptr<llm::LlmClient> llm;
  chat::BusinessCache businesses{db.pool()};
  kb::Retriever retriever{db.pool(), config::KbSettings{}};
  ThreadPoolExecutor executor{2};
  chat::EngineSettings settings;
  std::unique_ptr<chat::Engine> engine;
  std::string business_id;
};

// Records the events of a turn (they arrive on several threads, in order).
struct Events {
  chat::TurnEventCallback Callback() {
    return [this](const chat::TurnEvent& event) {
      std::lock_guard lock(mutex);
      list.push_back(event);
    };
  }
  std::string Tokens() {
    std::lock_guard lock(mutex);
    std::string text;
    for (const auto& event : list) {
      if (event.kind == chat::TurnEvent::Kind::kToken) text += event.text;
    }
    return text;
  }
  // What the customer is left reading: the tokens after the last reset.
  std::string Visible() {
    std::lock_guard lock(mutex);
    std::string text;
    for (const auto& event : list) {
      if (event.kind == chat::TurnEvent::Kind::kReset) text.clear();
      if (event.kind == chat::TurnEvent::Kind::kToken) text += event.text;
    }
    return text;
  }
  std::optional<chat::TurnEvent> Handoff() {
    std::lock_guard lock(mutex);
    for (const auto& event : list) {
      if (event.kind == chat::TurnEvent::Kind::kHandoff) return event;
    }
    return std::nullopt;
  }
  std::vector<std::string> Tools() {
    std::lock_guard lock(mutex);
    std::vector<std::string> tools;
    for (const auto& event : list) {
      if (event.kind == chat::TurnEvent::Kind::kTool) tools.push_back(event.tool_name + ":" + event.tool_status);
    }
    return tools;
  }
  int Count(chat::TurnEvent::Kind kind) {
    std::lock_guard lock(mutex);
    int n = 0;
    for (const auto& event : list) n += event.kind == kind;
    return n;
  }
  std::mutex mutex;
  std::vector<chat::TurnEvent> list;
};

// An outage of one test database: new connections are refused and the
// open ones cut, as while PostgreSQL restarts; `false` ends it.
void CutOff(const test::TestDatabase& db, bool cut) {
  pqxx::connection admin(test::TestCluster().ConnInfo("postgres"));
  pqxx::nontransaction tx(admin);
  tx.exec("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS " + (cut ? "false" : "true"));
  if (cut) tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + tx.quote(db.name()));
}

FakeToolCall Call(std::string id, std::string name, const json& args) {
  const std::string text = args.dump();
  const auto half = text.size() / 2;  // split across two stream chunks
  return {std::move(id), std::move(name), {text.substr(0, half), text.substr(half)}};
}

}  // namespace

TEST_CASE("a scripted model checks availability, then books", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::ToolCallReply(
      {Call("call_1", "check_availability", {{"date", "2026-12-01"}, {"service", "Women's haircut"}})}));
  desk.fake.Enqueue(test::ToolCallReply({Call("call_2", "book_appointment",
                                              {{"date", "2026-12-01"},
                                               {"time", "15:00"},
                                               {"service", "Women's haircut"},
                                               {"customer_name", "Jane Doe"},
                                               {"customer_email", "jane@example.com"}})}));
  desk.fake.Enqueue(test::TextReply({"You're booked for ", "Tuesday, December 1 at 3 pm."}));

  Events events;
  auto request = desk.Request("Can I get a women's haircut next Tuesday at 3pm? I'm Jane, jane@example.com");
  request.customer.email = "jane@example.com";
  const auto result = desk.engine->Turn(request, events.Callback());

  CHECK(result.reply == "You're booked for Tuesday, December 1 at 3 pm.");
  CHECK(events.Tokens() == result.reply);
  CHECK(events.Tools() == std::vector<std::string>{"check_availability:started", "check_availability:finished",
                                                   "book_appointment:started", "book_appointment:finished"});
  CHECK(events.Count(chat::TurnEvent::Kind::kDone) == 1);
  REQUIRE(result.tool_calls.size() == 2);
  CHECK(json::parse(result.tool_calls[0].result_json)["services"][0]["times"].dump().find("\"15:00\"") !=
        std::string::npos);
  CHECK(json::parse(result.tool_calls[1].result_json)["booked"] == true);
  CHECK(result.usage.model_calls == 3);
  CHECK(result.usage.prompt_tokens == 36);
  CHECK(result.usage.cost_micros == 1260);
  CHECK(result.usage.model == "model-a");
  CHECK(result.status == chat::ConversationStatus::kAiActive);

  // The appointment exists, linked to the conversation, at 15:00 local.
  const auto appointments = booking::BookingService(desk.db.pool(), desk.clock).List(desk.business_id, {});
  REQUIRE(appointments.size() == 1);
  CHECK(appointments[0].service_name == "Women's haircut");
  CHECK(booking::FormatLocal(appointments[0].start, kTz) == "2026-12-01 15:00");
  CHECK(appointments[0].customer_email == "jane@example.com");
  CHECK(desk.Count("SELECT count(*) FROM appointments WHERE conversation_id = $1::uuid", result.conversation_id) == 1);

  // Every step is stored: user, two tool-calling steps, two tool results, the reply.
  const auto stored = chat::Messages(desk.db.pool(), desk.business_id, result.conversation_id);
  REQUIRE(stored.size() == 6);
  CHECK(stored[0].role == chat::MessageRole::kUser);
  CHECK(stored[1].role == chat::MessageRole::kAssistant);
  CHECK(json::parse(stored[1].tool_calls_json)[0]["name"] == "check_availability");
  CHECK(stored[1].model == "model-a");
  CHECK(stored[1].prompt_tokens == 12);
  CHECK(stored[1].cost_micros == 420);
  CHECK(stored[2].role == chat::MessageRole::kTool);
  CHECK(stored[2].tool_call_id == "call_1");
  CHECK(json::parse(stored[4].tool_result_json)["booked"] == true);
  CHECK(stored[5].content == result.reply);
  CHECK(stored[5].id == result.reply_message_id);

  // The model saw the tool results, with the calls' ids, and the tools.
  const auto requests = desk.fake.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].json["tools"].size() == 7);
  CHECK(requests[0].json["messages"][0]["role"] == "system");
  CHECK(requests[0].json["messages"][0]["content"].get<std::string>().find("Now: Tuesday 2026-11-24 09:00 EST") !=
        std::string::npos);
  const auto& last = requests[2].json["messages"];
  CHECK(last[last.size() - 1]["role"] == "tool");
  CHECK(last[last.size() - 1]["tool_call_id"] == "call_2");

  // One interaction metered; the customer's contact recorded.
  CHECK(billing::InteractionsUsed(desk.db.pool(), desk.business_id, desk.clock.Now()) == 1);
  CHECK(desk.Count("SELECT visit_count FROM customers WHERE lower(email) = $1", "jane@example.com") >= 1);
}

TEST_CASE("parallel tool calls run and are stored in the calls' order", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::ToolCallReply({Call("call_a", "list_services", json::object()),
                                         Call("call_b", "search_knowledge", {{"query", "parking"}}),
                                         Call("call_c", "no_such_tool", json::object())}));
  desk.fake.Enqueue(test::TextReply({"Here is what we offer, and parking is on Court Street."}));

  const auto result = desk.engine->Turn(desk.Request("What do you offer, and where do I park?"));

  const auto stored = chat::Messages(desk.db.pool(), desk.business_id, result.conversation_id);
  REQUIRE(stored.size() == 6);
  std::vector<std::string> ids;
  for (std::size_t i = 2; i <= 4; ++i) {
    CHECK(stored[i].role == chat::MessageRole::kTool);
    ids.push_back(stored[i].tool_call_id);
  }
  CHECK(ids == std::vector<std::string>{"call_a", "call_b", "call_c"});
  CHECK(stored[2].tool_name == "list_services");
  CHECK(json::parse(stored[2].tool_result_json)["services"].size() == 10);
  CHECK(json::parse(stored[2].metadata_json)["ok"] == true);
  CHECK(json::parse(stored[4].metadata_json)["ok"] == false);
  CHECK(stored[4].tool_result_json.find("no_such_tool") != std::string::npos);

  const auto requests = desk.fake.requests();
  REQUIRE(requests.size() == 2);
  const auto& sent = requests[1].json["messages"];
  const auto n = sent.size();
  CHECK(sent[n - 3]["tool_call_id"] == "call_a");
  CHECK(sent[n - 2]["tool_call_id"] == "call_b");
  CHECK(sent[n - 1]["tool_call_id"] == "call_c");
}

TEST_CASE("the turn falls back to the second model", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::ErrorReply(402, "insufficient credits"));
  desk.fake.Enqueue(test::TextReply({"We open at 9 on Tuesdays."}));
  const auto result = desk.engine->Turn(desk.Request("When do you open on Tuesday?"));
  CHECK(result.reply == "We open at 9 on Tuesdays.");
  CHECK(result.usage.model == "model-b");
  const auto requests = desk.fake.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].json["model"] == "model-a");
  CHECK(requests[1].json["model"] == "model-b");
  const auto stored = chat::Messages(desk.db.pool(), desk.business_id, result.conversation_id);
  CHECK(stored.back().model == "model-b");
}

TEST_CASE("a human reply while the model thinks drops the AI's reply", "[chat]") {
  Desk desk;
  FakeReply slow = test::TextReply({"Sure, I can help with that!"});
  slow.first_byte_delay_ms = 600;
  desk.fake.Enqueue(slow);
  const auto conversation = chat::Open(desk.db.pool(), desk.business_id, {});
  std::thread operator_thread([&] {
    while (desk.fake.request_count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    chat::HumanReply(desk.db.pool(), desk.business_id, conversation.id, "Hi, Maria here, I'll take this one.", "maria",
                     DefaultClock().Now());
  });
  Events events;
  const auto result = desk.engine->Turn(desk.Request("I have a question about my color", conversation.id),
                                        events.Callback());
  operator_thread.join();
  CHECK(result.dropped);
  CHECK(result.reply.empty());
  CHECK(result.status == chat::ConversationStatus::kEscalated);
  CHECK(events.Count(chat::TurnEvent::Kind::kHandoff) == 1);
  // The reply streamed before the engine found the human; it is withdrawn.
  CHECK(events.Tokens() == "Sure, I can help with that!");
  CHECK(events.Count(chat::TurnEvent::Kind::kReset) == 1);
  CHECK(events.Visible().empty());
  REQUIRE(events.Handoff());
  CHECK(events.Handoff()->text == "A team member is handling this conversation and will reply here.");
  CHECK(result.handoff_reason == "a team member took over this conversation");
  const auto stored = chat::Messages(desk.db.pool(), desk.business_id, conversation.id);
  REQUIRE(stored.size() == 3);
  CHECK(stored[1].role == chat::MessageRole::kHuman);
  CHECK(stored[2].role == chat::MessageRole::kAssistant);
  CHECK(stored[2].dropped);
  CHECK(stored[2].content == "Sure, I can help with that!");
  // Viewers never see the dropped reply.
  chat::MessageQuery visible;
  visible.include_dropped = false;
  CHECK(chat::Messages(desk.db.pool(), desk.business_id, conversation.id, visible).size() == 2);
  CHECK(chat::Get(desk.db.pool(), desk.business_id, conversation.id).assigned_to == "maria");
}

TEST_CASE("an escalated conversation gets no AI answer", "[chat]") {
  Desk desk;
  const auto conversation = chat::Open(desk.db.pool(), desk.business_id, {});
  chat::Escalate(desk.db.pool(), desk.business_id, conversation.id, "customer asked for a manager");
  Events events;
  const auto result = desk.engine->Turn(desk.Request("Hello? Anyone?", conversation.id), events.Callback());
  CHECK(result.ai_silent);
  CHECK(result.reply_message_id.empty());
  CHECK_THAT(result.reply, Catch::Contains("team member"));
  CHECK(events.Count(chat::TurnEvent::Kind::kHandoff) == 1);
  CHECK(desk.fake.request_count() == 0);
  const auto stored = chat::Messages(desk.db.pool(), desk.business_id, conversation.id);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].content == "Hello? Anyone?");
  // Resolved, then the customer writes again: reopened, and the AI answers.
  chat::Resolve(desk.db.pool(), desk.business_id, conversation.id);
  desk.fake.Enqueue(test::TextReply({"Welcome back!"}));
  const auto again = desk.engine->Turn(desk.Request("Hi again", conversation.id));
  CHECK(again.reply == "Welcome back!");
  CHECK(again.status == chat::ConversationStatus::kReopened);
}

TEST_CASE("a tool call naming another business's appointment is refused", "[chat]") {
  Desk desk;
  auto other = business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
  other.slug = "other-salon";
  business::Apply(desk.db.pool(), other);
  const auto other_id = business::Get(desk.db.pool(), "other-salon").id;
  booking::BookingService booking(desk.db.pool(), desk.clock);
  booking::CreateRequest create;
  create.service = "Blowout";
  create.start = booking::ParseStartTime("2026-12-02 15:00", kTz);
  create.customer = {"Eve", "eve@example.com", ""};
  const auto theirs = booking.Create(other_id, create);
  REQUIRE(theirs.appointment);

  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "cancel_appointment", {{"appointment_id", theirs.appointment->id}})}));
  desk.fake.Enqueue(test::TextReply({"I couldn't find that appointment."}));
  const auto result = desk.engine->Turn(desk.Request("cancel appointment " + theirs.appointment->id));
  REQUIRE(result.tool_calls.size() == 1);
  CHECK_FALSE(result.tool_calls[0].ok);
  CHECK(json::parse(result.tool_calls[0].result_json)["error"] ==
        "cancel_appointment: appointment " + theirs.appointment->id + " not found");
  CHECK(booking.Get(other_id, theirs.appointment->id).status == booking::Status::kScheduled);
  CHECK(result.reply == "I couldn't find that appointment.");
}

TEST_CASE("a known customer changes only their own appointments and those booked in the chat", "[chat]") {
  Desk desk;
  booking::BookingService booking(desk.db.pool(), desk.clock);
  booking::CreateRequest create;
  create.service = "Blowout";
  create.start = booking::ParseStartTime("2026-12-02 15:00", kTz);
  create.customer = {"Eve", "eve@example.com", ""};
  const auto eves = booking.Create(desk.business_id, create);
  REQUIRE(eves.appointment);

  // Ann, named by an operator, names Eve's booking by id, then by its date and time.
  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "cancel_appointment", {{"appointment_id", eves.appointment->id}}),
                                         Call("c2", "cancel_appointment", {{"date", "2026-12-02"}, {"time", "15:00"}})}));
  // She books for her son under his own email, in this chat, and moves it.
  desk.fake.Enqueue(test::ToolCallReply({Call("c3", "book_appointment",
                                              {{"date", "2026-12-03"}, {"time", "11:00"}, {"service", "Blowout"},
                                               {"customer_name", "Leo"}, {"customer_email", "leo@example.com"}})}));
  desk.fake.Enqueue(test::ToolCallReply({Call("c4", "reschedule_appointment",
                                              {{"date", "2026-12-03"}, {"time", "11:00"}, {"new_date", "2026-12-03"},
                                               {"new_time", "14:00"}})}));
  desk.fake.Enqueue(test::TextReply({"Done."}));
  auto request = desk.Request("cancel Eve's blowout, then book one for my son Leo");
  request.customer.email = "ann@example.com";
  const auto result = desk.engine->Turn(request);
  REQUIRE(result.tool_calls.size() == 4);
  CHECK_FALSE(result.tool_calls[0].ok);
  CHECK(json::parse(result.tool_calls[0].result_json)["error"] ==
        "cancel_appointment: appointment " + eves.appointment->id + " not found");
  CHECK_FALSE(result.tool_calls[1].ok);
  CHECK(booking.Get(desk.business_id, eves.appointment->id).status == booking::Status::kScheduled);
  CHECK(result.tool_calls[2].ok);
  INFO(result.tool_calls[3].result_json);
  CHECK(result.tool_calls[3].ok);
  CHECK(json::parse(result.tool_calls[3].result_json)["time"] == "14:00");

  // Anonymous, the date, the time and Eve's email prove nothing: anyone can know them.
  desk.fake.Enqueue(test::ToolCallReply({Call("c5", "cancel_appointment", {{"date", "2026-12-02"}, {"time", "15:00"}})}));
  desk.fake.Enqueue(test::TextReply({"A team member can help with that."}));
  const auto anonymous = desk.engine->Turn(desk.Request("I'm Eve, cancel my 3pm blowout on Dec 2, eve@example.com"));
  REQUIRE(anonymous.tool_calls.size() == 1);
  CHECK_FALSE(anonymous.tool_calls[0].ok);
  CHECK(json::parse(anonymous.tool_calls[0].result_json)["error"] ==
        "cancel_appointment: no appointment on 2026-12-02 at 15:00 that this chat may change");
  CHECK(booking.Get(desk.business_id, eves.appointment->id).status == booking::Status::kScheduled);
}

TEST_CASE("a visitor's typed contact is a claim: no existing customer's data, bookings or record", "[chat]") {
  Desk desk;
  booking::BookingService booking(desk.db.pool(), desk.clock);
  customers::CustomerUpdate notes;
  booking::CreateRequest create;
  create.service = "Blowout";
  create.start = booking::ParseStartTime("2026-12-02 15:00", kTz);
  create.customer = {"Eve Victim", "eve@example.com", "+1 415 555 2030"};
  const auto eves = booking.Create(desk.business_id, create);
  REQUIRE(eves.appointment);
  notes.notes = "prefers the quiet chair";
  customers::Update(desk.db.pool(), desk.business_id, eves.appointment->customer_id, notes);

  // A visitor books as "eve@example.com": a customer of their own, holding the email as a claim.
  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "book_appointment",
                                              {{"date", "2026-12-03"}, {"time", "11:00"}, {"service", "Blowout"},
                                               {"customer_name", "Mallory"}, {"customer_email", "EVE@example.com"}})}));
  desk.fake.Enqueue(test::TextReply({"Booked."}));
  auto visitor = desk.Request("book me a blowout on Dec 3 at 11, I'm eve@example.com");
  visitor.caller = chat::Caller::kVisitor;
  visitor.channel = chat::Channel::kWebchat;
  const auto booked = desk.engine->Turn(visitor);
  REQUIRE(booked.tool_calls.size() == 1);
  REQUIRE(booked.tool_calls[0].ok);
  const auto mine = booking.Get(desk.business_id, json::parse(booked.tool_calls[0].result_json)["appointment_id"]);
  CHECK(mine.customer_id != eves.appointment->customer_id);
  const auto claimer = customers::Get(desk.db.pool(), desk.business_id, mine.customer_id);
  CHECK(claimer.email.empty());
  CHECK(claimer.claimed_email == "EVE@example.com");
  CHECK(claimer.name == "Mallory");
  CHECK(mine.customer_email == "EVE@example.com");
  booking::ListFilter by_claim;
  by_claim.customer = "eve@example.com";
  CHECK(booking.List(desk.business_id, by_claim).size() == 2);  // Eve's and the claimer's, for the team to tell apart
  chat::ListFilter conversations_by_claim;
  conversations_by_claim.customer = "eve@EXAMPLE.com";
  CHECK(chat::List(desk.db.pool(), desk.business_id, conversations_by_claim).size() == 1);
  const auto eve = customers::Get(desk.db.pool(), desk.business_id, "eve@example.com");
  CHECK(eve.id == eves.appointment->customer_id);
  CHECK(eve.name == "Eve Victim");
  CHECK(eve.visit_count == 1);

  // In the same conversation: the prompt holds only the visitor's claims,
  // and Eve's booking cannot be reached by its date and time, while the
  // visitor's own booking of this chat can be moved.
  desk.fake.Enqueue(test::ToolCallReply({Call("c2", "cancel_appointment", {{"date", "2026-12-02"}, {"time", "15:00"}}),
                                         Call("c3", "reschedule_appointment",
                                              {{"date", "2026-12-03"}, {"time", "11:00"}, {"new_date", "2026-12-03"},
                                               {"new_time", "14:00"}})}));
  desk.fake.Enqueue(test::TextReply({"Moved yours; the other one is not yours to change."}));
  visitor.text = "also cancel my Dec 2 3pm blowout and move the new one to 2pm";
  visitor.conversation_id = booked.conversation_id;
  const auto second = desk.engine->Turn(visitor);
  REQUIRE(second.tool_calls.size() == 2);
  CHECK_FALSE(second.tool_calls[0].ok);
  CHECK(second.tool_calls[1].ok);
  CHECK(booking.Get(desk.business_id, eves.appointment->id).status == booking::Status::kScheduled);
  CHECK(booking.Get(desk.business_id, mine.id).start == booking::ParseStartTime("2026-12-03 14:00", kTz));
  const auto requests = desk.fake.requests();
  REQUIRE_FALSE(requests.empty());
  const std::string prompt = requests.back().body;
  CHECK(prompt.find("Not verified") != std::string::npos);
  CHECK(prompt.find("Eve Victim") == std::string::npos);
  CHECK(prompt.find("quiet chair") == std::string::npos);
  CHECK(prompt.find("4155552030") == std::string::npos);
  CHECK(prompt.find(eves.appointment->id) == std::string::npos);

  // A visitor cannot name a customer by contact at all.
  auto claiming = desk.Request("hi");
  claiming.caller = chat::Caller::kVisitor;
  claiming.customer.email = "eve@example.com";
  CHECK_THROWS_AS(desk.engine->Turn(claiming), InvalidInput);
}

TEST_CASE("a verified visitor's prompt and tools reach their own record and bookings", "[chat]") {
  Desk desk;
  booking::BookingService booking(desk.db.pool(), desk.clock);
  booking::CreateRequest create;
  create.service = "Blowout";
  create.start = booking::ParseStartTime("2026-12-02 15:00", kTz);
  create.customer = {"Ann Lee", "ann@example.com", ""};
  const auto anns = booking.Create(desk.business_id, create);
  REQUIRE(anns.appointment);
  chat::OpenRequest open;
  open.customer_id = anns.appointment->customer_id;
  open.channel = chat::Channel::kWebchat;
  const auto conversation = chat::Open(desk.db.pool(), desk.business_id, open).id;

  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "cancel_appointment", {{"date", "2026-12-02"}, {"time", "15:00"}})}));
  desk.fake.Enqueue(test::TextReply({"Cancelled."}));
  auto unproven = desk.Request("cancel my Dec 2 blowout", conversation);
  unproven.caller = chat::Caller::kVisitor;
  const auto refused = desk.engine->Turn(unproven);
  REQUIRE(refused.tool_calls.size() == 1);
  CHECK_FALSE(refused.tool_calls[0].ok);
  CHECK(desk.fake.requests().back().body.find("Ann Lee") == std::string::npos);

  desk.fake.Enqueue(test::ToolCallReply({Call("c2", "cancel_appointment", {{"date", "2026-12-02"}, {"time", "15:00"}})}));
  desk.fake.Enqueue(test::TextReply({"Cancelled."}));
  auto proven = unproven;
  proven.verified_customer_id = anns.appointment->customer_id;
  const auto done = desk.engine->Turn(proven);
  REQUIRE(done.tool_calls.size() == 1);
  CHECK(done.tool_calls[0].ok);
  CHECK(booking.Get(desk.business_id, anns.appointment->id).status == booking::Status::kCanceled);
  CHECK(desk.fake.requests().back().body.find("Ann Lee") != std::string::npos);
}

TEST_CASE("a visitor's turn opens their conversation once, and another's is not found with nothing stored",
          "[chat]") {
  Desk desk;
  const auto customer = db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
    return customers::CreateFromClaims(tx, desk.business_id, {"Mallory", "", ""});
  });
  auto request = desk.Request("Is there parking?");
  request.caller = chat::Caller::kVisitor;
  request.channel = chat::Channel::kWebchat;
  request.business = std::make_shared<const business::Business>(business::Get(desk.db.pool(), "demo-salon"));
  request.business_slug.clear();
  request.visitor = chat::Visitor{"v_mallory", customer.id, false};
  desk.fake.Enqueue(test::TextReply({"Free street parking on Court Street."}));
  desk.fake.Enqueue(test::TextReply({"Yes, on Sundays too."}));
  Events events;
  const auto first = desk.engine->Turn(request, events.Callback());
  REQUIRE_FALSE(events.list.empty());
  CHECK(events.list.front().kind == chat::TurnEvent::Kind::kOpened);
  CHECK(events.list.front().conversation_id == first.conversation_id);
  CHECK(events.Count(chat::TurnEvent::Kind::kOpened) == 1);
  const auto opened = chat::Get(desk.db.pool(), desk.business_id, first.conversation_id);
  CHECK(opened.visitor_id == "v_mallory");
  CHECK(opened.customer_id == customer.id);
  CHECK(opened.channel == "WEBCHAT");

  request.conversation_id = first.conversation_id;
  request.text = "And on Sundays?";
  CHECK(desk.engine->Turn(request).conversation_id == first.conversation_id);

  const auto count = [&] {
    return desk.Count("SELECT count(*) FROM messages WHERE business_id = $1 AND role = 'USER'", desk.business_id);
  };
  const auto stored = count();
  for (const std::string& id : {first.conversation_id, std::string("not-a-uuid"),
                               std::string("00000000-0000-4000-8000-000000000000")}) {
    auto stranger = request;
    stranger.visitor = chat::Visitor{"v_stranger", "", false};
    stranger.conversation_id = id;
    Events seen;
    CHECK_THROWS_WITH(desk.engine->Turn(stranger, seen.Callback()), "conversation " + id + " not found");
    CHECK(seen.Count(chat::TurnEvent::Kind::kOpened) == 0);
  }
  CHECK(count() == stored);
}

TEST_CASE("escalate_to_human hands off after the model's last words", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "escalate_to_human", {{"reason", "complaint about a color"}})}));
  desk.fake.Enqueue(test::TextReply({"I'm sorry. A team member will reply here shortly."}));
  Events events;
  const auto result = desk.engine->Turn(desk.Request("My color came out orange, I'm upset"), events.Callback());
  CHECK(result.reply == "I'm sorry. A team member will reply here shortly.");
  CHECK_FALSE(result.reply_message_id.empty());
  CHECK(result.handoff);
  CHECK(result.status == chat::ConversationStatus::kEscalated);
  CHECK(events.Count(chat::TurnEvent::Kind::kHandoff) == 1);
  // The customer is told a team member follows up; the model's note is for the team.
  REQUIRE(events.Handoff());
  CHECK(events.Handoff()->text == "A team member will follow up here.");
  CHECK(events.Handoff()->reason == "complaint about a color");
  CHECK(result.handoff_reason == "complaint about a color");
  CHECK(events.Visible() == result.reply);
  const auto conversation = chat::Get(desk.db.pool(), desk.business_id, result.conversation_id);
  CHECK(conversation.escalation_reason == "complaint about a color");
}

TEST_CASE("bad arguments go back to the model, which corrects them", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "check_availability", {{"date", "tomorrow"}})}));
  desk.fake.Enqueue(test::ToolCallReply({Call("c2", "check_availability", {{"date", "2026-11-25"}, {"service", "Blowout"}})}));
  desk.fake.Enqueue(test::TextReply({"Tomorrow we have 11:00 free."}));
  const auto result = desk.engine->Turn(desk.Request("Any blowout tomorrow?"));
  REQUIRE(result.tool_calls.size() == 2);
  CHECK_FALSE(result.tool_calls[0].ok);
  CHECK(json::parse(result.tool_calls[0].result_json)["error"] ==
        "check_availability.date: expected YYYY-MM-DD, got \"tomorrow\"");
  CHECK(result.tool_calls[1].ok);
  CHECK(result.reply == "Tomorrow we have 11:00 free.");
}

TEST_CASE("check_availability without a service lists each bookable service's times", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "check_availability", {{"date", "2026-12-01"}})}));
  desk.fake.Enqueue(test::TextReply({"Plenty of times on Tuesday."}));
  const auto result = desk.engine->Turn(desk.Request("What's free on Dec 1?"));
  REQUIRE(result.tool_calls.size() == 1);
  REQUIRE(result.tool_calls[0].ok);
  const json body = json::parse(result.tool_calls[0].result_json);
  const auto business = business::Get(desk.db.pool(), "demo-salon");
  std::vector<std::string> bookable;
  for (const auto& service : business.spec.services) {
    if (service.active && service.bookable && bookable.size() < 6) bookable.push_back(service.name);
  }
  REQUIRE(body["services"].size() == bookable.size());
  booking::BookingService booking(desk.db.pool(), desk.clock);
  for (std::size_t i = 0; i < bookable.size(); ++i) {
    const auto& entry = body["services"][i];
    CHECK(entry["service"] == bookable[i]);
    const auto starts = booking.Slots(desk.business_id, bookable[i], booking::ParseDate("2026-12-01", "date"), 1).starts;
    // At most 16 times each, the rest counted.
    CHECK(entry["times"].size() == std::min<std::size_t>(starts.size(), 16));
    if (starts.size() > 16) CHECK(entry["more_times"] == starts.size() - 16);
    if (!starts.empty()) CHECK(entry["times"][0] == booking::FormatLocal(starts[0], kTz).substr(11));
  }
}

TEST_CASE("the tool loop is bounded", "[chat]") {
  Desk desk;
  for (int i = 0; i < 5; ++i) desk.fake.Enqueue(test::ToolCallReply({Call("c" + std::to_string(i), "list_services", json::object())}));
  desk.fake.Enqueue(test::TextReply({"Here are our services."}));
  const auto result = desk.engine->Turn(desk.Request("services?"));
  CHECK(result.tool_calls.size() == 5);
  CHECK(result.reply == "Here are our services.");
  const auto requests = desk.fake.requests();
  REQUIRE(requests.size() == 6);
  CHECK_FALSE(requests[5].json.contains("tools"));
}

TEST_CASE("when every model fails the customer gets a graceful answer and a human", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::ErrorReply(402, "no credits"));
  desk.fake.Enqueue(test::ErrorReply(402, "no credits"));
  const auto result = desk.engine->Turn(desk.Request("Do you do balayage?"));
  CHECK(result.offline);
  CHECK_THAT(result.reply, Catch::StartsWith("Sorry, I can't give a full answer right now."));
  CHECK(result.handoff);
  CHECK(result.status == chat::ConversationStatus::kEscalated);
  CHECK_THAT(result.handoff_reason, Catch::Contains("no credits"));
}

TEST_CASE("a booking the model cannot confirm is told by omni, and the team takes over", "[chat]") {
  Desk desk;
  const std::string internal = "upstream exploded on gpu-node-7";
  const auto fail_twice = [&] {
    desk.fake.Enqueue(test::ErrorReply(500, internal));  // model-a
    desk.fake.Enqueue(test::ErrorReply(500, internal));  // model-b
  };
  const auto appointments = [&] {
    return booking::BookingService(desk.db.pool(), desk.clock).List(desk.business_id, {});
  };
  const auto check_told = [&](const chat::TurnResult& result, Events& events, const std::string& told) {
    CHECK(result.reply == told);
    CHECK(events.Visible() == told);
    CHECK(events.Count(chat::TurnEvent::Kind::kDone) == 1);
    REQUIRE(events.Handoff());
    CHECK(events.Handoff()->text == "A team member will follow up here.");
    CHECK(result.handoff);
    CHECK(result.status == chat::ConversationStatus::kEscalated);
    CHECK_THAT(result.handoff_reason, Catch::Contains(internal));
    const auto conversation = chat::Get(desk.db.pool(), desk.business_id, result.conversation_id);
    CHECK(conversation.status == chat::ConversationStatus::kEscalated);
    CHECK_THAT(conversation.escalation_reason, Catch::Contains("could not answer") && Catch::Contains(internal));
    // What the customer can read never names the internal error.
    for (const auto& event : events.list) {
      CHECK(event.text.find("gpu-node") == std::string::npos);
      CHECK(event.citation.text.find("gpu-node") == std::string::npos);
    }
    const auto stored = chat::Messages(desk.db.pool(), desk.business_id, result.conversation_id);
    REQUIRE_FALSE(stored.empty());
    CHECK(stored.back().role == chat::MessageRole::kAssistant);
    CHECK(stored.back().content == told);
    CHECK(stored.back().id == result.reply_message_id);
  };

  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "book_appointment",
                                              {{"date", "2026-12-01"}, {"time", "15:00"}, {"service", "Blowout"},
                                               {"customer_name", "Ann"}, {"customer_email", "ann@example.com"}})}));
  fail_twice();
  Events booked_events;
  const auto booked = desk.engine->Turn(desk.Request("A blowout on Dec 1 at 3pm please, ann@example.com"),
                                        booked_events.Callback());
  check_told(booked, booked_events, "You're booked for Tuesday 1 Dec at 15:00 (Blowout).");
  REQUIRE(appointments().size() == 1);
  CHECK(booking::FormatLocal(appointments()[0].start, kTz) == "2026-12-01 15:00");

  desk.fake.Enqueue(test::ToolCallReply({Call("c2", "reschedule_appointment",
                                              {{"date", "2026-12-01"}, {"time", "15:00"}, {"new_date", "2026-12-02"},
                                               {"new_time", "11:00"}})}));
  fail_twice();
  Events moved_events;
  // Ann, named by an operator, reaches her own booking from a new conversation.
  auto move = desk.Request("Move my blowout to Dec 2 at 11");
  move.customer.email = "ann@example.com";
  const auto moved = desk.engine->Turn(move, moved_events.Callback());
  check_told(moved, moved_events, "Your Blowout is moved to Wednesday 2 Dec at 11:00.");
  REQUIRE(appointments().size() == 1);
  CHECK(booking::FormatLocal(appointments()[0].start, kTz) == "2026-12-02 11:00");

  desk.fake.Enqueue(test::ToolCallReply({Call("c3", "cancel_appointment",
                                              {{"date", "2026-12-02"}, {"time", "11:00"}})}));
  fail_twice();
  Events cancelled_events;
  auto cancel = desk.Request("Cancel my blowout on Dec 2");
  cancel.customer.email = "ann@example.com";
  const auto cancelled = desk.engine->Turn(cancel, cancelled_events.Callback());
  check_told(cancelled, cancelled_events, "Your Blowout on Wednesday 2 Dec at 11:00 is canceled.");
  REQUIRE(appointments().size() == 1);
  CHECK(appointments()[0].status == booking::Status::kCanceled);
  CHECK(desk.fake.request_count() == 9);
}

TEST_CASE("a model that fails mid-answer leaves the customer only the fallback answer", "[chat]") {
  Desk desk;
  FakeReply cut = test::TextReply({"We do balay", "age from"});
  cut.cut_stream = true;
  desk.fake.Enqueue(cut);
  desk.fake.Enqueue(cut);
  Events events;
  const auto result = desk.engine->Turn(desk.Request("Do you do balayage?"), events.Callback());
  CHECK(result.offline);
  CHECK(desk.fake.request_count() == 2);
  // Each model's partial answer was withdrawn: after model-a by the client's
  // restart, after model-b by the engine before the offline answer.
  CHECK(events.Count(chat::TurnEvent::Kind::kReset) == 2);
  CHECK(events.Visible() == result.reply);
  // The upstream error is the team's to read, never the customer's.
  REQUIRE(events.Handoff());
  CHECK(events.Handoff()->text == "A team member will follow up here.");
  CHECK_THAT(events.Handoff()->reason, Catch::Contains("model-b"));
  CHECK(result.reply.find("model-") == std::string::npos);
}

TEST_CASE("saving a reply again with its id stores it once", "[chat]") {
  Desk desk;
  auto& pool = desk.db.pool();
  const auto conversation = chat::Open(pool, desk.business_id, {});
  chat::AddUserMessage(pool, desk.business_id, conversation.id, "Hello", desk.clock.Now());
  const auto count = [&](const std::string& role) {
    return desk.Count("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid AND role = '" + role + "'",
                      conversation.id);
  };

  // As a retry after a commit whose acknowledgement was lost.
  chat::NewAiMessage reply;
  reply.content = "Hi there!";
  reply.id = chat::NewMessageId();
  const auto first = chat::SaveAiMessage(pool, desk.business_id, conversation.id, reply);
  const auto again = chat::SaveAiMessage(pool, desk.business_id, conversation.id, reply);
  CHECK(first.message_id == reply.id);
  CHECK(again.message_id == reply.id);
  CHECK_FALSE(again.dropped);
  CHECK(again.status == chat::ConversationStatus::kAiActive);
  CHECK(count("ASSISTANT") == 1);

  // The same with a hand-off in the same transaction.
  chat::NewAiMessage goodbye;
  goodbye.content = "A team member will reply here.";
  goodbye.id = chat::NewMessageId();
  CHECK(goodbye.id != reply.id);
  const auto handed = chat::SaveAiMessage(pool, desk.business_id, conversation.id, goodbye, "asked for a manager");
  const auto handed_again = chat::SaveAiMessage(pool, desk.business_id, conversation.id, goodbye, "asked for a manager");
  CHECK(handed.message_id == goodbye.id);
  CHECK(handed_again.message_id == goodbye.id);
  CHECK_FALSE(handed_again.dropped);
  CHECK(handed_again.status == chat::ConversationStatus::kEscalated);
  CHECK(count("ASSISTANT") == 2);

  // Without an id, the database picks one each time.
  chat::NewAiMessage plain;
  plain.content = "Anything else?";
  chat::Resolve(pool, desk.business_id, conversation.id);
  chat::AddUserMessage(pool, desk.business_id, conversation.id, "Back again", desk.clock.Now());
  CHECK(chat::SaveAiMessage(pool, desk.business_id, conversation.id, plain).message_id !=
        chat::SaveAiMessage(pool, desk.business_id, conversation.id, plain).message_id);
  CHECK(count("ASSISTANT") == 4);
}

TEST_CASE("a reply finished while the database is away is stored once it is back", "[chat]") {
  Desk desk;
  FakeReply slow = test::TextReply({"We open at ", "9 on Tuesdays."});
  slow.first_byte_delay_ms = 300;
  desk.fake.Enqueue(slow);
  std::thread outage([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (desk.fake.request_count() == 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CutOff(desk.db, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    CutOff(desk.db, false);
  });
  Events events;
  std::optional<chat::TurnResult> result;
  CHECK_NOTHROW(result = desk.engine->Turn(desk.Request("When do you open on Tuesday?"), events.Callback()));
  outage.join();
  REQUIRE(result);
  CHECK(result->reply == "We open at 9 on Tuesdays.");
  CHECK(events.Visible() == result->reply);
  CHECK(events.Count(chat::TurnEvent::Kind::kError) == 0);
  const auto stored = chat::Messages(desk.db.pool(), desk.business_id, result->conversation_id);
  REQUIRE(stored.size() == 2);
  CHECK(stored[1].content == result->reply);
  CHECK(stored[1].id == result->reply_message_id);
}

TEST_CASE("a reply that cannot be stored is withdrawn, and its question marked failed", "[chat]") {
  Desk desk;
  auto settings = desk.settings;
  settings.reply_save_retry_ms = 200;
  chat::Engine engine(desk.db.pool(), desk.businesses, desk.retriever, desk.llm.get(), desk.executor, desk.clock,
                      settings);
  FakeReply slow = test::TextReply({"We open at ", "9 on Tuesdays."});
  slow.first_byte_delay_ms = 300;
  desk.fake.Enqueue(slow);
  std::thread outage([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (desk.fake.request_count() == 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CutOff(desk.db, true);
  });
  Events events;
  CHECK_THROWS_AS(engine.Turn(desk.Request("When do you open on Tuesday?"), events.Callback()), Unavailable);
  outage.join();
  CutOff(desk.db, false);
  // The text streamed, then was withdrawn before the error: the customer is left with nothing.
  CHECK(events.Tokens() == "We open at 9 on Tuesdays.");
  CHECK(events.Visible().empty());
  REQUIRE_FALSE(events.list.empty());
  CHECK(events.list.back().kind == chat::TurnEvent::Kind::kError);
  CHECK(events.list[events.list.size() - 2].kind == chat::TurnEvent::Kind::kReset);

  const auto conversations = chat::List(desk.db.pool(), desk.business_id);
  REQUIRE(conversations.size() == 1);
  const auto stored = chat::Messages(desk.db.pool(), desk.business_id, conversations[0].id);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].role == chat::MessageRole::kUser);
  CHECK(chat::MarkUnanswered(desk.db.pool(), desk.business_id, 0) == 1);
  CHECK(json::parse(chat::Messages(desk.db.pool(), desk.business_id, conversations[0].id)[0].metadata_json)["failed"] ==
        true);
}

TEST_CASE("only customer messages a turn left without a reply are marked failed", "[chat]") {
  auto plans = billing::DefaultPlans();
  plans[billing::PlanTier::kFree].interactions_per_month = 4;
  Desk desk(/*offline=*/true, plans);
  auto& pool = desk.db.pool();
  const auto failed = [&](const std::string& message_id) {
    return desk.Count("SELECT count(*) FROM messages WHERE id = $1::uuid AND metadata->>'failed' = 'true'", message_id);
  };
  // A turn that stored and metered its question, then stopped: the database went away, or omni stopped.
  const auto stranded = [&](const std::string& conversation_id, const std::string& text) {
    const auto added = chat::AddUserMessage(pool, desk.business_id, conversation_id, text, desk.clock.Now());
    billing::MeterInteraction(pool, desk.business_id, desk.settings.billing, added.message.id, conversation_id,
                              desk.clock.Now());
    return added.message.id;
  };

  const auto answered = desk.engine->Turn(desk.Request("Where can I park?"));
  const auto lost = stranded(chat::Open(pool, desk.business_id, {}).id, "Are you open on Sunday?");
  const auto team_owned = chat::Open(pool, desk.business_id, {}).id;
  const auto waits_for_team = stranded(team_owned, "Can I talk to Maria?");
  chat::Escalate(pool, desk.business_id, team_owned, "customer asked for Maria");
  // Over the plan's limit: kept for the team, never meant to be answered.
  const auto refused_conversation = desk.engine->Turn(desk.Request("Where can I park?")).conversation_id;
  CHECK_THROWS_AS(desk.engine->Turn(desk.Request("And on Sunday?", refused_conversation)), LimitReached);

  CHECK(chat::MarkUnanswered(pool, desk.business_id, 3600) == 0);
  CHECK(chat::MarkUnanswered(pool, desk.business_id, 0) == 1);
  CHECK(failed(lost) == 1);
  CHECK(failed(answered.user_message_id) == 0);
  CHECK(failed(waits_for_team) == 0);
  CHECK(desk.Count("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid AND metadata ? 'failed'",
                   refused_conversation) == 0);
  // Marking is done once.
  CHECK(chat::MarkUnanswered(pool, desk.business_id, 0) == 0);
}

TEST_CASE("the offline responder answers from the knowledge base with a citation", "[chat]") {
  Desk desk(/*offline=*/true);
  Events events;
  const auto result = desk.engine->Turn(desk.Request("Where can I park?"), events.Callback());
  CHECK(result.offline);
  CHECK_FALSE(result.handoff);
  REQUIRE(result.citations.size() == 1);
  CHECK(result.citations[0].passage.source.find("location-and-parking.md") != std::string::npos);
  CHECK_THAT(result.reply, Catch::Contains(" [1]"));
  CHECK(result.citations[0].number == 1);
  CHECK(events.Count(chat::TurnEvent::Kind::kCitation) == 1);
  CHECK(result.status == chat::ConversationStatus::kAiActive);
  CHECK(desk.fake.request_count() == 0);

  const auto unclear = desk.engine->Turn(desk.Request("I want to speak with the manager about my refund", result.conversation_id));
  CHECK(unclear.offline);
  CHECK(unclear.handoff);
  CHECK_THAT(unclear.reply, Catch::Contains("a team member will follow up"));
  CHECK(unclear.status == chat::ConversationStatus::kEscalated);
  CHECK(desk.Count("SELECT count(*) FROM appointments WHERE business_id = $1::uuid", desk.business_id) == 0);
}

TEST_CASE("interactions are metered once per message and capped by the plan", "[chat]") {
  auto plans = billing::DefaultPlans();
  plans[billing::PlanTier::kFree].interactions_per_month = 2;
  Desk desk(/*offline=*/true, plans);
  const auto first = desk.engine->Turn(desk.Request("Where can I park?"));
  desk.engine->Turn(desk.Request("Where can I park?", first.conversation_id));
  CHECK_THROWS_AS(desk.engine->Turn(desk.Request("Where can I park?", first.conversation_id)), LimitReached);
  CHECK(billing::InteractionsUsed(desk.db.pool(), desk.business_id, desk.clock.Now()) == 2);
  // The refused message is kept for the team, unanswered.
  CHECK(desk.Count("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid AND role = 'USER'",
                   first.conversation_id) == 3);
  CHECK(desk.Count("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid AND role = 'ASSISTANT'",
                   first.conversation_id) == 2);
  // Metering the same message again is a no-op.
  const auto again = billing::MeterInteraction(desk.db.pool(), desk.business_id, desk.settings.billing, first.user_message_id,
                                               first.conversation_id, desk.clock.Now());
  CHECK_FALSE(again.counted);
}

TEST_CASE("a NUL in the message or the customer's contact is refused whole and never cut", "[chat]") {
  Desk desk(/*offline=*/true);
  const std::string nul(1, '\0');
  CHECK_THROWS_MATCHES(desk.engine->Turn(desk.Request("Where can I park?" + nul + " Ignore this")), InvalidInput,
                       Catch::Message("message: contains a NUL character (\\u0000)"));
  for (const std::string field : {"name", "email", "phone", "external_id"}) {
    auto request = desk.Request("Where can I park?");
    request.customer = {"Ann", "ann@example.com", "+1 415 555 0199", "user-42"};
    auto& value = field == "name"    ? request.customer.name
                  : field == "email" ? request.customer.email
                  : field == "phone" ? request.customer.phone
                                     : request.customer.external_id;
    value += nul + "x";
    CHECK_THROWS_MATCHES(desk.engine->Turn(request), InvalidInput,
                         Catch::Message(field + ": contains a NUL character (\\u0000)"));
  }
  CHECK(desk.Count("SELECT count(*) FROM messages WHERE business_id = $1::uuid", desk.business_id) == 0);
  CHECK(desk.Count("SELECT count(*) FROM customers WHERE business_id = $1::uuid", desk.business_id) == 0);
}

TEST_CASE("the prompt lists the customer's own live upcoming appointments", "[chat]") {
  Desk desk;
  booking::BookingService booking(desk.db.pool(), desk.clock);
  const auto book = [&](const std::string& service, const std::string& local_start, const std::string& email) {
    booking::CreateRequest request;
    request.service = service;
    request.start = booking::ParseStartTime(local_start, kTz);
    request.customer = {"", email, ""};
    const auto result = booking.Create(desk.business_id, request);
    REQUIRE(result.outcome == booking::BookingResult::kBooked);
    return *result.appointment;
  };
  const auto kept = book("Women's haircut", "2026-12-01 10:00", "jane@example.com");
  const auto cancelled = book("Men's haircut", "2026-12-02 11:00", "jane@example.com");
  booking.Cancel(desk.business_id, cancelled.id, "changed plans");
  const auto someone_elses = book("Kids' cut", "2026-12-03 14:00", "bob@example.com");
  desk.fake.Enqueue(test::TextReply({"See you on Tuesday!"}));

  auto request = desk.Request("When is my next appointment?");
  request.customer.email = "jane@example.com";
  desk.engine->Turn(request);

  REQUIRE(desk.fake.requests().size() == 1);
  const auto system = desk.fake.requests()[0].json["messages"][0]["content"].get<std::string>();
  CHECK_THAT(system, Catch::Contains("Upcoming appointments:"));
  CHECK_THAT(system, Catch::Contains("2026-12-01 10:00") && Catch::Contains("Women's haircut (appointment_id " + kept.id + ")"));
  CHECK_THAT(system, !Catch::Contains(cancelled.id) && !Catch::Contains(someone_elses.id));
}

TEST_CASE("status changes and human replies are announced with NOTIFY", "[chat]") {
  Desk desk;
  const auto conversation = chat::Open(desk.db.pool(), desk.business_id, {});
  pqxx::connection listener(desk.db.url());
  std::vector<json> payloads;
  struct Receiver : pqxx::notification_receiver {
    Receiver(pqxx::connection_base& c, std::vector<json>& out) : pqxx::notification_receiver(c, chat::kNotifyChannel), out_(out) {}
    void operator()(const std::string& payload, int) override { out_.push_back(json::parse(payload)); }
    std::vector<json>& out_;
  } receiver(listener, payloads);
  const auto message = chat::HumanReply(desk.db.pool(), desk.business_id, conversation.id, "Hello from Maria", "maria", DefaultClock().Now());
  chat::Resolve(desk.db.pool(), desk.business_id, conversation.id);
  for (int i = 0; i < 50 && payloads.size() < 3; ++i) listener.await_notification(0, 100000);
  REQUIRE(payloads.size() == 3);
  CHECK(payloads[0] == json{{"business_id", desk.business_id}, {"conversation_id", conversation.id},
                            {"message_id", message.id}, {"role", "HUMAN"}});
  CHECK(payloads[1]["status"] == "ESCALATED");
  CHECK(payloads[2]["status"] == "RESOLVED");
  CHECK_THROWS_AS(chat::Reopen(desk.db.pool(), desk.business_id, chat::Open(desk.db.pool(), desk.business_id, {}).id),
                  Conflict);
  CHECK(chat::List(desk.db.pool(), desk.business_id, {chat::ConversationStatus::kResolved, "", 50}).size() == 1);
  CHECK_THROWS_AS(chat::Get(desk.db.pool(), desk.business_id, "00000000-0000-0000-0000-000000000000"), NotFound);
}

TEST_CASE("replay re-runs customer messages without storing anything", "[chat]") {
  Desk desk;
  desk.fake.Enqueue(test::TextReply({"We're at 214 Court Street."}));
  const auto first = desk.engine->Turn(desk.Request("Where are you?"));
  const auto before = desk.Count("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid", first.conversation_id);
  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "book_appointment",
                                              {{"date", "2026-12-01"}, {"time", "15:00"}, {"service", "Blowout"},
                                               {"customer_name", "Al"}, {"customer_email", "al@example.com"}})}));
  desk.fake.Enqueue(test::TextReply({"Court Street, Brooklyn [1]."}));
  const auto steps = desk.engine->Replay("demo-salon", first.conversation_id);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].user_text == "Where are you?");
  CHECK(steps[0].old_reply == "We're at 214 Court Street.");
  CHECK(steps[0].old_author == "ai");
  CHECK(steps[0].now.reply == "Court Street, Brooklyn [1].");
  CHECK(json::parse(steps[0].now.tool_calls[0].result_json)["dry_run"] == true);
  CHECK(desk.Count("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid", first.conversation_id) == before);
  CHECK(desk.Count("SELECT count(*) FROM appointments WHERE business_id = $1::uuid", desk.business_id) == 0);
}

TEST_CASE("offline answers from the demo knowledge read well and match the question", "[chat][offline]") {
  Desk desk(/*offline=*/true);
  struct Case {
    std::string question;
    std::vector<std::string> quoted;      // each must appear in the reply
    std::vector<std::string> not_quoted;  // none may
  };
  const std::vector<Case> cases = {
      {"Can I bring my kids?",
       {"Yes. Kids' cuts are for children 12 and under and take about 30 minutes. Children who are not being "
        "served are welcome in the waiting area with an adult. [1]"},
       {"wedding", "60 days"}},
      {"Do you do balayage?",
       {"Our colorists hand-paint soft, natural-looking highlights that grow out gracefully"},
       {"gracefully\n", "patch test before"}},
      {"Is street parking free on Sundays?", {"free on Sundays"}, {"free on\nSundays"}},
  };
  for (const auto& c : cases) {
    INFO(c.question);
    Events events;
    const auto result = desk.engine->Turn(desk.Request(c.question), events.Callback());
    INFO(result.reply);
    CHECK(result.offline);
    CHECK_FALSE(result.handoff);
    for (const auto& text : c.quoted) CHECK_THAT(result.reply, Catch::Contains(text));
    for (const auto& text : c.not_quoted) CHECK_THAT(result.reply, !Catch::Contains(text));
  }

  Events events;
  const auto dog = desk.engine->Turn(desk.Request("Can I bring my dog?"), events.Callback());
  INFO(dog.reply);
  CHECK(dog.offline);
  CHECK(dog.handoff);
  CHECK(dog.citations.empty());
  CHECK_THAT(dog.reply, Catch::Contains("I couldn't find a clear answer to that in our information"));
  CHECK_THAT(dog.reply, !Catch::Contains("Kids"));
}

TEST_CASE("conversation lists page by cursor, and one that moves to the top is not listed twice", "[chat]") {
  test::TestDatabase db;
  business::Apply(db.pool(), business::ParseBusinessSpec("slug: acme\nname: N\ntimezone: UTC\n", "t.yaml"));
  business::Apply(db.pool(), business::ParseBusinessSpec("slug: other\nname: N\ntimezone: UTC\n", "t.yaml"));
  const auto biz = business::Get(db.pool(), "acme").id;
  const auto other = business::Get(db.pool(), "other").id;
  const TimePoint start = std::chrono::sys_days{std::chrono::year{2026} / 5 / 4};
  std::vector<std::string> ids;  // oldest message first
  for (int i = 0; i < 5; ++i) {
    chat::OpenRequest open;
    open.visitor_id = "v" + std::to_string(i);
    ids.push_back(chat::Open(db.pool(), biz, open).id);
    chat::AddUserMessage(db.pool(), biz, ids.back(), "hi", start + std::chrono::minutes(i));
  }
  chat::OpenRequest theirs;
  theirs.visitor_id = "x";
  chat::AddUserMessage(db.pool(), other, chat::Open(db.pool(), other, theirs).id, "hi", start);

  chat::ListFilter filter;
  filter.limit = 2;
  const auto first = chat::List(db.pool(), biz, filter);
  REQUIRE(first.size() == 2);
  CHECK(first[0].id == ids[4]);
  CHECK(first[1].id == ids[3]);
  // The oldest conversation gets a new message and moves to the top.
  chat::AddUserMessage(db.pool(), biz, ids[0], "again", start + std::chrono::minutes(10));
  filter.cursor = chat::NextCursor(first.back());
  const auto second = chat::List(db.pool(), biz, filter);
  REQUIRE(second.size() == 2);
  CHECK(second[0].id == ids[2]);
  CHECK(second[1].id == ids[1]);
  filter.cursor = chat::NextCursor(second.back());
  CHECK(chat::List(db.pool(), biz, filter).empty());
  for (const char* bad : {"x", "12.not-a-uuid", "-1.00000000-0000-0000-0000-000000000000"}) {
    filter.cursor = bad;
    CHECK_THROWS_AS(chat::List(db.pool(), biz, filter), InvalidInput);
  }
}


TEST_CASE("a visitor at the plan's limit reads the business's message and the team gets the conversation", "[chat]") {
  auto plans = billing::DefaultPlans();
  plans[billing::PlanTier::kFree].interactions_per_month = 1;
  Desk desk(/*offline=*/true, plans);
  auto visitor = [&](const std::string& text, const std::string& conversation_id) {
    auto request = desk.Request(text, conversation_id);
    request.caller = chat::Caller::kVisitor;
    request.channel = chat::Channel::kWebchat;
    return request;
  };
  const auto first = desk.engine->Turn(visitor("Where can I park?", ""));
  CHECK_FALSE(first.handoff);
  Events events;
  const auto limited = desk.engine->Turn(visitor("Are you open on Sunday?", first.conversation_id), events.Callback());
  CHECK(limited.reply == "We can't chat right now. Leave your email and the team will get back to you.");
  CHECK(limited.handoff);
  CHECK(limited.ai_silent);
  CHECK(limited.status == chat::ConversationStatus::kEscalated);
  CHECK(events.Count(chat::TurnEvent::Kind::kHandoff) == 1);
  CHECK(events.Count(chat::TurnEvent::Kind::kError) == 0);
  const auto conversation = chat::Get(desk.db.pool(), desk.business_id, first.conversation_id);
  CHECK(conversation.status == chat::ConversationStatus::kEscalated);
  CHECK_THAT(conversation.escalation_reason, Catch::StartsWith("plan limit: plan FREE allows 1 interaction a month"));
  // The visitor's question is kept for the team.
  CHECK(desk.Count("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid AND role = 'USER'",
                   first.conversation_id) == 2);
}

TEST_CASE("a new conversation past conversations_per_month gets the limit's message and goes to the team", "[chat]") {
  auto plans = billing::DefaultPlans();
  plans[billing::PlanTier::kFree].conversations_per_month = 1;
  Desk desk(/*offline=*/true, plans);
  auto visitor = [&](const std::string& text, const std::string& conversation_id) {
    auto request = desk.Request(text, conversation_id);
    request.caller = chat::Caller::kVisitor;
    request.channel = chat::Channel::kWebchat;
    return request;
  };
  const auto first = desk.engine->Turn(visitor("Where can I park?", ""));
  // Further turns of a counted conversation are not new conversations.
  CHECK_FALSE(desk.engine->Turn(visitor("And on Sunday?", first.conversation_id)).handoff);
  const auto second = desk.engine->Turn(visitor("Where can I park?", ""));
  CHECK(second.handoff);
  CHECK(second.reply == "We can't chat right now. Leave your email and the team will get back to you.");
  CHECK_THAT(chat::Get(desk.db.pool(), desk.business_id, second.conversation_id).escalation_reason,
             Catch::Contains("plan FREE allows 1 new conversation a month, and 1 was used"));
  // An operator is told the limit itself.
  CHECK_THROWS_AS(desk.engine->Turn(desk.Request("Where can I park?")), LimitReached);
}

}  // namespace omni
