// The public chat API of omnid, end to end: the real omnid binary (one or
// two instances on one throwaway database), the fake model, and the omni
// CLI for operator replies. Covers sessions and identity, streamed and JSON
// turns, history, token forgery, expiry and cross-business use, rate
// limits, oversize messages, origins, a slow reader, a human reply
// reaching a visitor's event stream through another instance, and turns
// caught by a PostgreSQL restart.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/embeddings.hpp"
#include "core/kb/ingest.hpp"
#include "core/webchat/token.hpp"
#include "tests/support/fake_embeddings.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace omni {
namespace {

using omni::test::TempDir;

using namespace std::chrono_literals;
using nlohmann::json;
using test::HttpGet;
using test::HttpHeaders;
using test::HttpPost;
using test::HttpRequest;
using test::RawConnection;

constexpr const char* kOrigin = "https://bellahairstudio.example";

// omnid on the test database and the fake model, logging warnings and
// errors as an operator reads them; `server_yaml` adds indented lines under
// `server:`, `sections_yaml` whole sections.
test::OmnidRunner StartOmnid(const std::string& database_url, const std::string& model_url,
                             const std::string& server_yaml = "", const std::string& sections_yaml = "") {
  return test::OmnidRunner(database_url,
                           "llm:\n  base_url: " + model_url +
                               "\n  api_key: test-key\n  models: [fake-model]\n  max_retries: 0\n" + sections_yaml,
                           "  sse_keepalive_ms: 300\n" + server_yaml, {.level = "warn", .format = "text"});
}

// The demo salon and a second business on one database, and the fake model.
struct Desk {
  Desk() {
    auto spec = business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
    business::Apply(db.pool(), spec);
    spec.slug = "other-salon";
    spec.widget.allowed_origins = {};
    business::Apply(db.pool(), spec);
    widget_secret = business::Get(db.pool(), "demo-salon").widget_secret;
    fake.SetFallback([](const test::RecordedRequest&) { return test::TextReply({"Happy ", "to help!"}); });
  }
  test::TestDatabase db;
  test::FakeOpenAi fake;
  std::string widget_secret;
};

HttpHeaders Bearer(const std::string& token, HttpHeaders headers = {}) {
  headers["Authorization"] = "Bearer " + token;
  return headers;
}

json StartSession(std::uint16_t port, const json& body = json::object(), const std::string& slug = "demo-salon") {
  const auto response = HttpPost(port, "/v1/chat/" + slug + "/session", body.dump());
  INFO(response.body);
  REQUIRE(response.status == 200);
  return response.Json();
}

struct SseEvent {
  std::string event;
  json data;
};

std::vector<SseEvent> ParseEvents(const std::string& text) {
  std::vector<SseEvent> events;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    std::string event;
    std::string data;
    std::size_t line_start = start;
    while (line_start < end) {
      std::size_t line_end = text.find('\n', line_start);
      if (line_end == std::string::npos || line_end > end) line_end = end;
      const std::string line = text.substr(line_start, line_end - line_start);
      if (line.starts_with("event: ")) event = line.substr(7);
      if (line.starts_with("data: ")) data += line.substr(6);
      line_start = line_end + 1;
    }
    if (!event.empty()) events.push_back({event, json::parse(data, nullptr, false)});
    start = end + 2;
  }
  return events;
}

std::vector<SseEvent> SendMessage(std::uint16_t port, const std::string& token, const json& body,
                                  std::string* conversation_id = nullptr) {
  const auto response = HttpPost(port, "/v1/chat/demo-salon/messages", body.dump(), Bearer(token));
  INFO(response.body);
  REQUIRE(response.status == 200);
  CHECK(response.Header("Content-Type").value_or("").starts_with("text/event-stream"));
  if (conversation_id != nullptr) *conversation_id = response.Header("X-Conversation-Id").value_or("");
  return ParseEvents(response.body);
}

std::string ReplyText(const std::vector<SseEvent>& events) {
  std::string text;
  for (const auto& e : events) {
    if (e.event == "token") text += e.data.value("text", "");
  }
  return text;
}

// An open events stream, read over a raw connection.
class EventStream {
 public:
  EventStream(std::uint16_t port, const std::string& conversation_id, const std::string& token) : connection_(port) {
    connection_.Send("GET /v1/chat/demo-salon/conversations/" + conversation_id +
                     "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n");
    const std::string head = connection_.ReadUntil("event: status", 15s);
    INFO(head);
    REQUIRE(head.find("200 OK") != std::string::npos);
  }
  // Everything received, once `text` arrived (or after the timeout).
  std::string WaitFor(const std::string& text, std::chrono::milliseconds timeout = 15s) {
    return connection_.ReadUntil(text, timeout);
  }

 private:
  RawConnection connection_;
};

int RunCli(const std::string& config_path, const std::vector<std::string>& args) {
  test::ProcessOptions options;
  options.args = args;
  options.env = {{"OMNI_CONFIG", config_path}, {"NO_COLOR", "1"}};
  const auto result = test::Run(OMNI_CLI_PATH, options);
  INFO("omni " << args.front() << ": " << result.err);
  CHECK(result.exit_code == 0);
  return result.exit_code;
}

}  // namespace

TEST_CASE("a session returns a token, the widget settings and whether the business is open", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());

  const json session = StartSession(omnid.port());
  CHECK(session["token"].get<std::string>().starts_with("v1."));
  CHECK(session["visitor_id"].get<std::string>().starts_with("v_"));
  CHECK(session["conversation_id"].is_null());
  CHECK(session["expires_in_s"] == 86400);
  CHECK(session["business"]["slug"] == "demo-salon");
  CHECK(session["widget"]["title"] == "Bella Hair Studio");
  CHECK(session["widget"]["colors"]["primary"] == "#b4536a");
  CHECK(session["widget"]["position"] == "bottom-right");
  CHECK(session["open_now"].is_boolean());
  CHECK(session["ai_enabled"] == true);

  SECTION("pre-chat fields make a customer of the visitor's own, holding them as claims") {
    StartSession(omnid.port(), {{"name", "Maria Lopez"}, {"email", "maria@example.com"}});
    customers::ListFilter filter;
    filter.search = "maria@example.com";
    const auto found = customers::List(desk.db.pool(), business::FindId(desk.db.pool(), "demo-salon"), filter).customers;
    REQUIRE(found.size() == 1);
    CHECK(found[0].name == "Maria Lopez");
    CHECK(found[0].claimed_email == "maria@example.com");
    CHECK(found[0].email.empty());
    const auto bad = HttpPost(omnid.port(), "/v1/chat/demo-salon/session", json{{"email", "not-an-email"}}.dump());
    CHECK(bad.status == 400);
  }
  SECTION("a verified identity links the customer; a wrong hash is 401") {
    const std::string hash = webchat::HmacSha256Hex(desk.widget_secret, "site-user-7");
    StartSession(omnid.port(), {{"identity", "site-user-7"}, {"identity_hash", hash}, {"email", "u7@example.com"}});
    customers::ListFilter filter;
    filter.search = "u7@example.com";
    const auto found = customers::List(desk.db.pool(), business::FindId(desk.db.pool(), "demo-salon"), filter).customers;
    REQUIRE(found.size() == 1);
    CHECK(found[0].external_id == "site-user-7");
    CHECK(found[0].claimed_email == "u7@example.com");
    const auto wrong = HttpPost(omnid.port(), "/v1/chat/demo-salon/session",
                                json{{"identity", "site-user-8"}, {"identity_hash", hash}}.dump());
    CHECK(wrong.status == 401);
  }
  SECTION("an unknown business is 404") {
    CHECK(HttpPost(omnid.port(), "/v1/chat/no-such-salon/session", "{}").status == 404);
  }
}

// A customer the team knows (an operator booked them, with notes), with a
// conversation and an upcoming appointment; and a customer signed in
// through the business's site (a verified identity) with a conversation.
struct Victims {
  Victims(Desk& desk, std::uint16_t port) : pool(desk.db.pool()) {
    business_id = business::FindId(pool, "demo-salon");
    booking::BookingService booking(pool, DefaultClock());
    const auto first_day = std::chrono::year_month_day{
        std::chrono::floor<std::chrono::days>(DefaultClock().Now()) + std::chrono::days{2}};
    const auto slots = booking.Slots(business_id, "Blowout", first_day, 14);
    REQUIRE_FALSE(slots.starts.empty());
    booking::CreateRequest create;
    create.service = "Blowout";
    create.start = slots.starts.front();
    create.customer = {"Vera Victim", "victim@example.com", "+1 415 555 9999"};
    const auto booked = booking.Create(business_id, create);
    REQUIRE(booked.appointment);
    appointment_id = booked.appointment->id;
    appointment_local = booking::FormatLocal(booked.appointment->start, "America/New_York");
    known_id = booked.appointment->customer_id;
    customers::CustomerUpdate notes;
    notes.notes = "owes a deposit from March";
    customers::Update(pool, business_id, known_id, notes);
    chat::OpenRequest open;
    open.customer_id = known_id;
    open.channel = chat::Channel::kWebchat;
    open.visitor_id = "v_victim_browser";
    known_conversation = chat::Open(pool, business_id, open).id;
    chat::AddUserMessage(pool, business_id, known_conversation, "my secret question", DefaultClock().Now());

    const std::string hash = webchat::HmacSha256Hex(desk.widget_secret, "victim-1");
    const json session = StartSession(port, {{"identity", "victim-1"}, {"identity_hash", hash},
                                             {"email", "verified-victim@example.com"}});
    verified_token = session["token"];
    verified_visitor = session["visitor_id"];
    std::string conversation;
    SendMessage(port, verified_token, {{"message", "my private verified question"}}, &conversation);
    verified_conversation = conversation;
    verified_id = Row("SELECT customer_id::text FROM conversations WHERE id = $1", verified_conversation);
  }
  // The first column of the first row, "" for none or NULL.
  std::string Row(const std::string& sql, const std::string& param) const {
    return db::WithTransaction(pool, [&](pqxx::work& tx) {
      const auto r = tx.exec_params(sql, param);
      return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
    });
  }
  db::Pool& pool;
  std::string business_id, appointment_id, appointment_local, known_id, known_conversation;
  std::string verified_id, verified_conversation, verified_token, verified_visitor;
};

TEST_CASE("a verified identity with someone else's email takes over neither their record nor their chats",
          "[webchat][security]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  Victims victims(desk, omnid.port());

  for (const std::string email : {"victim@example.com", "verified-victim@example.com"}) {
    const std::string identity = "attacker-" + email.substr(0, 8);
    const std::string hash = webchat::HmacSha256Hex(desk.widget_secret, identity);
    const json session =
        StartSession(omnid.port(), {{"identity", identity}, {"identity_hash", hash}, {"email", email}});
    CHECK(session["conversation_id"].is_null());
    const std::string token = session["token"];
    for (const auto& conversation : {victims.known_conversation, victims.verified_conversation}) {
      const auto history = HttpGet(omnid.port(), "/v1/chat/demo-salon/conversations/" + conversation + "/messages",
                                   Bearer(token));
      CHECK(history.status == 404);
      CHECK(history.body.find("secret") == std::string::npos);
      CHECK(history.body.find("private") == std::string::npos);
      const auto events = HttpGet(omnid.port(), "/v1/chat/demo-salon/conversations/" + conversation + "/events",
                                  Bearer(token));
      CHECK(events.status == 404);
      const auto message = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages",
                                    json{{"message", "hi"}, {"conversation_id", conversation}}.dump(), Bearer(token));
      CHECK(message.status == 404);
    }
    // The attacker's own message lands in a conversation of their own.
    std::string conversation;
    SendMessage(omnid.port(), token, {{"message", "hello"}}, &conversation);
    CHECK(conversation != victims.known_conversation);
    CHECK(conversation != victims.verified_conversation);
    const std::string attacker = victims.Row("SELECT customer_id::text FROM conversations WHERE id = $1", conversation);
    CHECK(attacker != victims.known_id);
    CHECK(attacker != victims.verified_id);
    CHECK(victims.Row("SELECT external_id FROM customers WHERE id = $1", attacker) == identity);
  }
  CHECK(victims.Row("SELECT coalesce(external_id, '') FROM customers WHERE id = $1", victims.known_id).empty());
  CHECK(victims.Row("SELECT external_id FROM customers WHERE id = $1", victims.verified_id) == "victim-1");

  // Signed out of the site, the same browser keeps its visitor id but no
  // longer reaches the verified customer's conversation.
  const json signed_out = StartSession(omnid.port(), {{"token", victims.verified_token}});
  CHECK(signed_out["visitor_id"] == victims.verified_visitor);
  CHECK(signed_out["conversation_id"].is_null());
  const auto history = HttpGet(omnid.port(),
                               "/v1/chat/demo-salon/conversations/" + victims.verified_conversation + "/messages",
                               Bearer(signed_out["token"]));
  CHECK(history.status == 404);
}

TEST_CASE("an unverified pre-chat email binds the visitor to no one: no private data, no changing their bookings",
          "[webchat][security]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  Victims victims(desk, omnid.port());

  const json session = StartSession(omnid.port(), {{"name", "Mallory"}, {"email", "VICTIM@example.com"}});
  CHECK(session["conversation_id"].is_null());
  const std::string date = victims.appointment_local.substr(0, 10);
  const std::string time = victims.appointment_local.substr(11, 5);
  desk.fake.Enqueue(test::ToolCallReply(
      {{"c1", "cancel_appointment", {json{{"date", date}, {"time", time}}.dump()}},
       {"c2", "cancel_appointment", {json{{"appointment_id", victims.appointment_id}}.dump()}}}));
  desk.fake.Enqueue(test::TextReply({"A team member can help with that."}));
  const std::size_t before = desk.fake.request_count();
  const auto events = SendMessage(omnid.port(), session["token"],
                                  {{"message", "cancel my blowout on " + date + " at " + time}});
  CHECK(ReplyText(events) == "A team member can help with that.");
  const auto requests = desk.fake.requests();
  REQUIRE(requests.size() == before + 2);
  for (std::size_t i = before; i < requests.size(); ++i) {
    const std::string& sent = requests[i].body;
    CHECK(sent.find("Vera") == std::string::npos);
    CHECK(sent.find("0109999") == std::string::npos);
    CHECK(sent.find("deposit") == std::string::npos);
    CHECK(sent.find("secret question") == std::string::npos);
  }
  const std::string tool_results = requests.back().body;
  CHECK(tool_results.find("that this chat may change") != std::string::npos);
  CHECK(tool_results.find("appointment " + victims.appointment_id + " not found") != std::string::npos);
  CHECK(victims.Row("SELECT status FROM appointments WHERE id = $1", victims.appointment_id) == "SCHEDULED");
  CHECK(victims.Row("SELECT name FROM customers WHERE id = $1", victims.known_id) == "Vera Victim");
}

TEST_CASE("a message streams typed events, and the history resumes the conversation", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const json session = StartSession(omnid.port());
  const std::string token = session["token"];

  std::string conversation_id;
  const auto events = SendMessage(omnid.port(), token, {{"message", "Do you do balayage?"}}, &conversation_id);
  REQUIRE(!events.empty());
  CHECK(ReplyText(events) == "Happy to help!");
  CHECK(events.back().event == "done");
  CHECK(events.back().data["conversation_id"] == conversation_id);
  CHECK(events.back().data["reply"] == "Happy to help!");
  CHECK(events.back().data["status"] == "AI_ACTIVE");

  const auto history = HttpGet(omnid.port(), "/v1/chat/demo-salon/conversations/" + conversation_id + "/messages",
                               Bearer(token));
  REQUIRE(history.status == 200);
  const json messages = history.Json()["messages"];
  REQUIRE(messages.size() == 2);
  CHECK(messages[0]["role"] == "user");
  CHECK(messages[0]["content"] == "Do you do balayage?");
  CHECK(messages[1]["role"] == "assistant");
  CHECK(messages[1]["content"] == "Happy to help!");

  // A new session with the old token resumes the same visitor and conversation.
  const json renewed = StartSession(omnid.port(), {{"token", token}});
  CHECK(renewed["visitor_id"] == session["visitor_id"]);
  CHECK(renewed["conversation_id"] == conversation_id);

  // The JSON variant continues it.
  const auto plain = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages?stream=false",
                              json{{"message", "And highlights?"}, {"conversation_id", conversation_id}}.dump(),
                              Bearer(token));
  REQUIRE(plain.status == 200);
  CHECK(plain.Header("Content-Type").value_or("").starts_with("application/json"));
  CHECK(plain.Json()["reply"] == "Happy to help!");
  CHECK(plain.Json()["conversation_id"] == conversation_id);

  // Another visitor sees none of it.
  const std::string stranger = StartSession(omnid.port())["token"];
  CHECK(HttpGet(omnid.port(), "/v1/chat/demo-salon/conversations/" + conversation_id + "/messages", Bearer(stranger))
            .status == 404);
  const auto hijack = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages",
                               json{{"message", "hi"}, {"conversation_id", conversation_id}}.dump(), Bearer(stranger));
  CHECK(hijack.status == 404);
}

TEST_CASE("with embeddings configured, a visitor's question finds the knowledge that only its meaning matches",
          "[webchat][kb]") {
  Desk desk;
  test::FakeEmbeddings embeddings;
  // "car" is in no document: only the embeddings relate it to parking.
  TempDir dir;
  dir.Write("parking.txt", "Free parking behind the salon.");
  dir.Write("colour.txt", "We do balayage and colour.");
  dir.Write("prices.txt", "Our price list is on the wall.");
  auto http = http::MakeHttpClient({});
  auto embedder = kb::MakeEmbeddingsClient(embeddings.Settings(), *http, desk.db.pool());
  kb::IngestOptions ingest;
  ingest.inputs = {dir.path().string()};
  kb::IngestEnvironment environment;
  environment.embedder = embedder.get();
  REQUIRE(kb::Ingest(desk.db.pool(), business::Get(desk.db.pool(), "demo-salon").id, config::KbSettings{}, ingest,
                     environment)
              .added == 3);
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url(), "",
                          "embeddings:\n  base_url: " + embeddings.Settings().base_url +
                              "\n  api_key: test-key\n  model: fake/concepts-5\n");

  const std::string question = "Where do I leave my car?";
  const auto events = SendMessage(omnid.port(), StartSession(omnid.port())["token"], {{"message", question}});
  CHECK(events.back().event == "done");
  const auto inputs = embeddings.Inputs();
  CHECK(std::find(inputs.begin(), inputs.end(), question) != inputs.end());
  const auto requests = desk.fake.requests();
  REQUIRE(requests.size() == 1);
  const std::string system_prompt = requests[0].json["messages"][0].value("content", "");
  CHECK(system_prompt.find("Free parking behind the salon.") != std::string::npos);

  // The embeddings service down (every retry): the turn still answers, from
  // keyword matches alone.
  embeddings.Fail(std::vector<int>(40, 503));
  const auto degraded =
      SendMessage(omnid.port(), StartSession(omnid.port())["token"], {{"message", "What is on the price list?"}});
  CHECK(degraded.back().event == "done");
  REQUIRE(desk.fake.requests().size() == 2);
  const std::string keyword_prompt = desk.fake.requests()[1].json["messages"][0].value("content", "");
  CHECK(keyword_prompt.find("Our price list is on the wall.") != std::string::npos);
}

TEST_CASE("an escalation tells the visitor a team member follows up, never the team's reason", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const std::string token = StartSession(omnid.port())["token"];
  const std::string reason = "angry about a refund; flagged as a chargeback risk";
  desk.fake.Enqueue(test::ToolCallReply({{"c1", "escalate_to_human", {json{{"reason", reason}}.dump()}}}));
  desk.fake.Enqueue(test::TextReply({"I'm sorry about that. ", "A team member will reply here."}));
  const auto events = SendMessage(omnid.port(), token, {{"message", "I want my money back"}});
  CHECK(ReplyText(events) == "I'm sorry about that. A team member will reply here.");
  int handoffs = 0;
  for (const auto& e : events) {
    CHECK(e.data.dump().find("chargeback") == std::string::npos);
    if (e.event != "handoff") continue;
    ++handoffs;
    CHECK(e.data["message"] == "A team member will follow up here.");
  }
  CHECK(handoffs == 1);
  REQUIRE(events.back().event == "done");
  CHECK(events.back().data["status"] == "ESCALATED");
  CHECK(events.back().data["handoff"] == true);
}

TEST_CASE("at a plan limit the visitor reads the business's message, never the limit, and the team gets the chat",
          "[webchat]") {
  Desk desk;
  auto spec = business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
  spec.widget.limit_message = "Our chat is resting today. Leave your email and we'll write back.";
  business::Apply(desk.db.pool(), spec);
  // Both businesses are in their trial: STARTER, here one interaction a month.
  auto omnid =
      StartOmnid(desk.db.url(), desk.fake.base_url(), "", "plans:\n  starter:\n    interactions_per_month: 1\n");
  const std::string token = StartSession(omnid.port())["token"];
  std::string conversation_id;
  SendMessage(omnid.port(), token, {{"message", "Where can I park?"}}, &conversation_id);
  const auto events =
      SendMessage(omnid.port(), token, {{"message", "Are you open on Sunday?"}, {"conversation_id", conversation_id}});
  int handoffs = 0;
  for (const auto& e : events) {
    INFO(e.event << " " << e.data.dump());
    CHECK(e.event != "error");
    for (const char* internal : {"plan", "STARTER", "interactions", "limit", "upgrade"}) {
      CHECK(Lower(e.data.dump()).find(Lower(internal)) == std::string::npos);
    }
    if (e.event != "handoff") continue;
    ++handoffs;
    CHECK(e.data["message"] == "Our chat is resting today. Leave your email and we'll write back.");
  }
  CHECK(handoffs == 1);
  REQUIRE(events.back().event == "done");
  CHECK(events.back().data["status"] == "ESCALATED");
  CHECK(events.back().data["handoff"] == true);
  CHECK(events.back().data["reply"] == "Our chat is resting today. Leave your email and we'll write back.");

  // Without streaming, a new visitor reads the same.
  const std::string second_token = StartSession(omnid.port())["token"];
  const auto plain = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages?stream=false",
                              json{{"message", "Hello?"}}.dump(), Bearer(second_token));
  INFO(plain.body);
  CHECK(plain.status == 200);
  CHECK(plain.Json()["reply"] == "Our chat is resting today. Leave your email and we'll write back.");
  CHECK(Lower(plain.body).find("plan") == std::string::npos);

  // The team sees why; omnid's log names the business.
  const auto conversation = chat::Get(desk.db.pool(), business::Get(desk.db.pool(), "demo-salon").id, conversation_id);
  CHECK(conversation.status == chat::ConversationStatus::kEscalated);
  CHECK_THAT(conversation.escalation_reason, Catch::StartsWith("plan limit: plan STARTER allows 1 interaction a month"));
  CHECK_THAT(omnid.process().Stderr(), Catch::Contains("plan limit reached") && Catch::Contains("business=demo-salon"));

  // Another business's limit is its own: its first message is answered.
  const std::string other_token = StartSession(omnid.port(), json::object(), "other-salon")["token"];
  const auto other = HttpPost(omnid.port(), "/v1/chat/other-salon/messages?stream=false",
                              json{{"message", "Where can I park?"}}.dump(), Bearer(other_token));
  CHECK(other.status == 200);
  CHECK(other.Json()["reply"] == "Happy to help!");
}

TEST_CASE("a citation of a file reaches the visitor with its title but not its path", "[webchat]") {
  Desk desk;
  const auto business_id = business::Get(desk.db.pool(), "demo-salon").id;
  kb::IngestOptions ingest;
  ingest.inputs = {OMNI_SOURCE_DIR "/config/demo-kb/location-and-parking.md"};
  kb::Ingest(desk.db.pool(), business_id, config::KbSettings{}, ingest);
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const std::string token = StartSession(omnid.port())["token"];
  desk.fake.Enqueue(test::TextReply({"Street parking is on Court Street [1]."}));
  std::string conversation_id;
  const auto events = SendMessage(omnid.port(), token, {{"message", "Where can I park?"}}, &conversation_id);
  std::optional<json> citation;
  for (const auto& e : events) {
    if (e.event == "citation") citation = e.data;
  }
  REQUIRE(citation);
  CHECK((*citation)["title"] == "Location, hours and parking");
  CHECK((*citation)["source"] == "");
  const auto history = HttpGet(omnid.port(), "/v1/chat/demo-salon/conversations/" + conversation_id + "/messages",
                               Bearer(token));
  REQUIRE(history.status == 200);
  INFO(history.body);
  CHECK(history.body.find("location-and-parking.md") == std::string::npos);
  CHECK(history.Json()["messages"][1]["citations"][0]["title"] == "Location, hours and parking");
}

TEST_CASE("forged, expired and cross-business tokens get 401", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url(), "  token_ttl_s: 2\n");
  const std::string token = StartSession(omnid.port())["token"];
  const json message = {{"message", "hello"}};

  CHECK(HttpPost(omnid.port(), "/v1/chat/demo-salon/messages", message.dump()).status == 401);
  std::string forged = token;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'a' ? 'b' : 'a';
  const auto forged_response = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages", message.dump(), Bearer(forged));
  CHECK(forged_response.status == 401);
  CHECK(forged_response.Json()["error"]["message"] == "invalid visitor token");

  // Signed with a secret of our own: the server's is in its database.
  webchat::VisitorClaims claims;
  claims.business_id = business::FindId(desk.db.pool(), "demo-salon");
  claims.visitor_id = "v_forged";
  claims.expires_at_s = 4102444800;
  const auto self_signed = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages", message.dump(),
                                    Bearer(webchat::SignVisitorToken(claims, "attacker-secret-123")));
  CHECK(self_signed.status == 401);

  const auto cross = HttpPost(omnid.port(), "/v1/chat/other-salon/messages", message.dump(), Bearer(token));
  CHECK(cross.status == 401);
  CHECK(cross.Json()["error"]["message"] == "visitor token is for another business");

  std::this_thread::sleep_for(2100ms);
  const auto expired = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages", message.dump(), Bearer(token));
  CHECK(expired.status == 401);
  CHECK(expired.Json()["error"]["message"] == "visitor token expired");
  CHECK(expired.Header("WWW-Authenticate") == "Bearer");
  CHECK(desk.fake.request_count() == 0);
}

TEST_CASE("rate limits answer 429 with Retry-After, and long messages 413", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url(),
                          "  visitor_rate_per_min: 1\n  visitor_burst: 3\n  ip_rate_per_min: 1\n  ip_burst: 8\n"
                          "  max_message_chars: 20\n");
  const std::string token = StartSession(omnid.port())["token"];  // IP token 1

  // An oversize message still counts against both buckets.
  const auto too_long = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages",
                                 json{{"message", std::string(21, 'x')}}.dump(), Bearer(token));  // 2, visitor 1
  CHECK(too_long.status == 413);
  CHECK(too_long.Json()["error"]["code"] == "message_too_long");
  // 20 characters of two bytes each are fine.
  std::string accents;
  for (int i = 0; i < 20; ++i) accents += "\xC3\xA9";
  SendMessage(omnid.port(), token, {{"message", accents}});                // 3, visitor 2
  SendMessage(omnid.port(), token, {{"message", "second"}});               // 4, visitor 3
  const auto limited = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages", json{{"message", "third"}}.dump(),
                                Bearer(token));  // 5
  CHECK(limited.status == 429);
  CHECK(std::stoi(limited.Header("Retry-After").value_or("0")) >= 1);
  CHECK(limited.Json()["error"]["code"] == "rate_limited");

  // Another visitor is not limited by the first one's bucket, only by the IP's.
  const std::string other = StartSession(omnid.port())["token"];  // 6
  SendMessage(omnid.port(), other, {{"message", "hi"}});          // 7
  HttpPost(omnid.port(), "/v1/chat/demo-salon/session", "{}");    // 8
  const auto ip_limited = HttpPost(omnid.port(), "/v1/chat/demo-salon/session", "{}");
  CHECK(ip_limited.status == 429);
  CHECK(ip_limited.Header("Retry-After").has_value());
}

TEST_CASE("an origin not allowed gets a readable 403 with CORS headers, and the log names origin and business",
          "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());

  const auto preflight = HttpRequest(omnid.port(), "OPTIONS", "/v1/chat/demo-salon/messages", "",
                                     {{"Origin", kOrigin}, {"Access-Control-Request-Method", "POST"}});
  CHECK(preflight.status == 204);
  CHECK(preflight.Header("Access-Control-Allow-Origin") == kOrigin);
  CHECK(preflight.Header("Access-Control-Allow-Headers").value_or("").find("Authorization") != std::string::npos);

  // The preflight passes, so that the browser lets the page read the 403
  // of the request itself.
  const auto evil = HttpRequest(omnid.port(), "OPTIONS", "/v1/chat/demo-salon/messages", "",
                                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(evil.status == 204);
  CHECK(evil.Header("Access-Control-Allow-Origin") == "https://evil.example");

  const auto allowed = HttpPost(omnid.port(), "/v1/chat/demo-salon/session", "{}", {{"Origin", kOrigin}});
  CHECK(allowed.status == 200);
  CHECK(allowed.Header("Access-Control-Allow-Origin") == kOrigin);
  const auto refused =
      HttpPost(omnid.port(), "/v1/chat/demo-salon/session", "{}", {{"Origin", "https://evil.example"}});
  CHECK(refused.status == 403);
  CHECK(refused.Header("Access-Control-Allow-Origin") == "https://evil.example");
  const json error = refused.Json()["error"];
  CHECK(error["code"] == "origin_not_allowed");
  CHECK(error["message"] == "origin https://evil.example may not use the chat of demo-salon");
  CHECK(error["hint"].get<std::string>().find("widget.allowed_origins") != std::string::npos);
  const std::string log = omnid.process().Stderr();
  const auto line_start = log.find("origin not allowed");
  REQUIRE(line_start != std::string::npos);
  const std::string line = log.substr(line_start, log.find('\n', line_start) - line_start);
  CHECK(line.find("https://evil.example") != std::string::npos);
  CHECK(line.find("demo-salon") != std::string::npos);
  // A message from it is refused before its token is even read.
  const auto refused_message = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages", R"({"message":"hi"})",
                                        {{"Origin", "https://evil.example"}});
  CHECK(refused_message.status == 403);
  CHECK(refused_message.Header("Access-Control-Allow-Origin") == "https://evil.example");

  // The full-page chat is served by omnid itself: its own origin is always allowed.
  const std::string own_origin = "http://127.0.0.1:" + std::to_string(omnid.port());
  const auto own = HttpPost(omnid.port(), "/v1/chat/demo-salon/session", "{}", {{"Origin", own_origin}});
  CHECK(own.status == 200);
  CHECK(own.Header("Access-Control-Allow-Origin") == own_origin);
  const auto other_port = HttpPost(omnid.port(), "/v1/chat/demo-salon/session", "{}",
                                   {{"Origin", "http://127.0.0.1:" + std::to_string(omnid.port() + 1)}});
  CHECK(other_port.status == 403);

  // A business with no list accepts any origin.
  const auto any = HttpPost(omnid.port(), "/v1/chat/other-salon/session", "{}", {{"Origin", "https://evil.example"}});
  CHECK(any.status == 200);
  CHECK(any.Header("Access-Control-Allow-Origin") == "https://evil.example");
}

TEST_CASE("a slow reader still gets every event of a long answer", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const std::string token = StartSession(omnid.port())["token"];
  constexpr int kPieces = 4000;
  std::vector<std::string> pieces;
  for (int i = 0; i < kPieces; ++i) pieces.push_back("<" + std::to_string(i) + std::string(40, '.') + ">");
  desk.fake.Enqueue(test::TextReply(pieces));

  // A tiny receive buffer and pauses between small reads.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  const int rcvbuf = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(omnid.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string body = json{{"message", "tell me everything"}}.dump();
  const std::string request = "POST /v1/chat/demo-salon/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                              "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string received;
  char buffer[1024];
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
    std::this_thread::sleep_for(1ms);
  }
  close(fd);
  // Chunk framing aside, every piece arrives once and in order.
  std::size_t at = 0;
  for (int i = 0; i < kPieces; ++i) {
    const std::size_t found = received.find("<" + std::to_string(i) + ".", at);
    REQUIRE(found != std::string::npos);
    at = found;
  }
  CHECK(received.find("event: done") != std::string::npos);
  CHECK(received.size() > 4000u * 40u);
}

TEST_CASE("a human reply from the CLI reaches the visitor through another omnid, and the AI stays silent",
          "[webchat]") {
  Desk desk;
  auto a = StartOmnid(desk.db.url(), desk.fake.base_url());
  auto b = StartOmnid(desk.db.url(), desk.fake.base_url());
  const std::string token = StartSession(a.port())["token"];
  std::string conversation_id;
  SendMessage(a.port(), token, {{"message", "I want to speak to someone"}}, &conversation_id);
  REQUIRE(!conversation_id.empty());
  const std::size_t model_calls = desk.fake.request_count();

  EventStream stream(a.port(), conversation_id, token);
  RunCli(a.config_path(), {"conversations", "reply", conversation_id, "Hi, Maria here!", "-b", "demo-salon",
                           "--as", "Maria"});
  const std::string pushed = stream.WaitFor("Maria here");
  INFO(pushed);
  const auto events = ParseEvents(pushed.substr(pushed.find("event:")));
  bool got_human = false;
  bool got_escalated = false;
  for (const auto& e : events) {
    if (e.event == "message" && e.data.value("role", "") == "human") {
      got_human = true;
      CHECK(e.data["content"] == "Hi, Maria here!");
      CHECK(e.data["author"] == "Maria");
    }
    if (e.event == "status" && e.data.value("status", "") == "ESCALATED") got_escalated = true;
  }
  CHECK(got_human);
  CHECK(got_escalated);

  // The visitor writes through B (with a token A issued): the AI is silent,
  // and A's stream shows the visitor's message.
  const auto silent = SendMessage(b.port(), token, {{"message", "Thanks Maria"}, {"conversation_id", conversation_id}});
  bool handoff = false;
  for (const auto& e : silent) handoff = handoff || e.event == "handoff";
  CHECK(handoff);
  CHECK(desk.fake.request_count() == model_calls);
  CHECK(stream.WaitFor("Thanks Maria").find("Thanks Maria") != std::string::npos);

  // The listener survives losing its connection.
  desk.db.ExecAsSuperuser(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
  std::this_thread::sleep_for(1500ms);
  RunCli(a.config_path(), {"conversations", "reply", conversation_id, "Still here after a reconnect", "-b",
                           "demo-salon", "--as", "Maria"});
  CHECK(stream.WaitFor("after a reconnect").find("after a reconnect") != std::string::npos);
}

TEST_CASE("a number out of range in a JSON body is a 400 and the log never holds it whole", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const std::string token = StartSession(omnid.port())["token"];
  const std::string digits(5000, '7');
  for (const std::string& number : {std::string("1e999999"), std::string("-1e999999"), digits, "-" + digits}) {
    INFO(number.substr(0, 20));
    const auto session =
        HttpPost(omnid.port(), "/v1/chat/demo-salon/session", R"({"name":"Ann","age":)" + number + "}");
    CHECK(session.status == 400);
    CHECK(session.Json()["error"]["code"] == "invalid_input");
    CHECK(session.Json()["error"]["message"] == "request body: a number is out of range");
    CHECK(session.body.size() < 400);
    for (const char* target : {"/v1/chat/demo-salon/messages", "/v1/chat/demo-salon/messages?stream=false"}) {
      const auto message =
          HttpPost(omnid.port(), target, R"({"message":"Is there parking?","n":[)" + number + "]}", Bearer(token));
      CHECK(message.status == 400);
      CHECK(message.Json()["error"]["message"] == "request body: a number is out of range");
    }
  }
  CHECK(omnid.process().Stderr().find(digits.substr(0, 100)) == std::string::npos);
}

TEST_CASE("a pre-chat phone is kept in E.164, and one that is no number is refused with how to write it",
          "[webchat][phone]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const auto business_id = business::Get(desk.db.pool(), "demo-salon").id;
  const auto claimed_phones = [&] {
    return db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
      std::vector<std::string> phones;
      for (const auto& row : tx.exec_params("SELECT claimed_phone FROM customers WHERE business_id = $1::uuid "
                                            "AND claimed_phone IS NOT NULL ORDER BY created_at",
                                            business_id)) {
        phones.push_back(row[0].as<std::string>());
      }
      return phones;
    });
  };
  const auto refused = HttpPost(omnid.port(), "/v1/chat/demo-salon/session",
                                json{{"name", "Ann"}, {"phone", "555 010 2030"}}.dump());
  INFO(refused.body);
  CHECK(refused.status == 400);
  CHECK(refused.Json()["error"]["code"] == "invalid_input");
  CHECK(refused.Json()["error"]["message"] == "the phone number \"555 010 2030\" is not one we can call");
  CHECK(refused.Json()["error"]["hint"] ==
        "A US number reads like (201) 555-0123; write another country's with its code, such as +44 20 7946 0018.");
  CHECK(claimed_phones().empty());

  StartSession(omnid.port(), {{"name", "Ann"}, {"phone", "(718) 555-0199"}});
  StartSession(omnid.port(), {{"name", "Bea"}, {"phone", "+44 20 7946 0018"}});
  CHECK(claimed_phones() == std::vector<std::string>{"+17185550199", "+442079460018"});
}

TEST_CASE("a NUL character is refused with a 400 naming the field and nothing is stored", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const auto business_id = business::Get(desk.db.pool(), "demo-salon").id;
  const auto count = [&](const std::string& table) {
    return db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1("SELECT count(*) FROM " + table + " WHERE business_id = $1::uuid", business_id)[0]
          .as<long long>();
    });
  };
  const std::string token = StartSession(omnid.port())["token"];
  const std::string with_nul = std::string("Is there parking?") + '\0' + " Ignore this";

  for (const char* target : {"/v1/chat/demo-salon/messages", "/v1/chat/demo-salon/messages?stream=false"}) {
    const auto sent = HttpPost(omnid.port(), target, json{{"message", with_nul}}.dump(), Bearer(token));
    INFO(sent.body);
    CHECK(sent.status == 400);
    CHECK(sent.Json()["error"]["code"] == "invalid_input");
    CHECK(sent.Json()["error"]["message"] == "message: contains a NUL character (\\u0000)");
  }
  CHECK(count("messages") == 0);
  CHECK(count("conversations") == 0);

  for (const char* field : {"name", "email", "phone"}) {
    json body = {{"name", "Ann"}, {"email", "ann@example.com"}, {"phone", "+1 415 555 0199"}};
    body[field] = body[field].get<std::string>() + std::string(1, '\0') + "x";
    const auto started = HttpPost(omnid.port(), "/v1/chat/demo-salon/session", body.dump());
    INFO(started.body);
    CHECK(started.status == 400);
    CHECK(started.Json()["error"]["message"] == std::string(field) + ": contains a NUL character (\\u0000)");
  }
  CHECK(count("customers") == 0);
}

namespace {

// One visitor's turn sent while the database restarts, and what came back.
struct RestartTurn {
  std::string text;
  bool json = false;  // Accept: application/json; else the event stream
  std::string token;
  int status = 0;
  std::string body;
  std::string conversation_id;
  std::vector<SseEvent> events;
  std::string failure;  // the request itself failed: no answer at all
};

void SendDuringRestart(std::uint16_t port, RestartTurn& turn) {
  HttpHeaders headers = Bearer(turn.token);
  if (turn.json) headers["Accept"] = "application/json";
  try {
    const auto response =
        HttpPost(port, "/v1/chat/demo-salon/messages", json{{"message", turn.text}}.dump(), headers, 30s);
    turn.status = response.status;
    turn.body = response.body;
    turn.conversation_id = response.Header("X-Conversation-Id").value_or("");
    if (!turn.json && response.status == 200) turn.events = ParseEvents(response.body);
  } catch (const std::exception& e) {
    turn.failure = e.what();
  }
}

// The model names the question it answers, so that every reply can be found.
std::string ReplyTo(const std::string& question) { return "About \"" + question + "\": yes."; }

}  // namespace

TEST_CASE("a turn caught by a database restart is answered and stored once, or withdrawn and marked failed",
          "[webchat]") {
  test::RestartableDatabase database;
  auto& pool = database.pool();
  business::Apply(pool, business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"));
  const auto business_id = business::FindId(pool, "demo-salon");
  test::FakeOpenAi fake;
  // The model thinks long enough for the database to go away meanwhile.
  fake.SetFallback([](const test::RecordedRequest& request) {
    const std::string question = request.json["messages"].back().value("content", "");
    auto reply = test::TextReply({"About \"", question, "\": yes."});
    reply.first_byte_delay_ms = 1000;
    return reply;
  });
  // Longer than any turn here takes (the longest, about 7 s, outlasts the
  // engine's retries), so that no turn in progress is marked.
  auto omnid = StartOmnid(database.url(), fake.base_url(), "  unanswered_after_s: 9\n");

  const auto count = [&](const std::string& sql, const std::string& text) {
    return db::WithTransaction(pool, [&](pqxx::work& tx) {
      return tx.exec_params1(sql, business_id, text)[0].as<long long>();
    });
  };
  std::vector<std::string> unanswered;  // questions stored, with no reply stored
  // Checks what the visitor got against what the history holds; true when they got a reply.
  const auto check = [&](const RestartTurn& turn) {
    INFO(turn.text << (turn.json ? " (JSON)" : " (SSE)") << ": " << turn.status << " " << turn.body << turn.failure);
    REQUIRE(turn.failure.empty());
    CHECK((turn.status == 200 || turn.status == 503));
    std::string reply;
    bool got_reply = false;
    if (turn.json && turn.status == 200) {
      reply = json::parse(turn.body).value("reply", "");
      got_reply = true;
    }
    if (!turn.json && turn.status == 200) {
      REQUIRE_FALSE(turn.events.empty());
      const auto& last = turn.events.back();
      CHECK((last.event == "done" || last.event == "error"));
      // What the visitor is left reading: the tokens after the last reset.
      std::string visible;
      for (const auto& e : turn.events) {
        if (e.event == "reset") visible.clear();
        if (e.event == "token") visible += e.data.value("text", "");
      }
      if (last.event == "done") {
        reply = last.data.value("reply", "");
        got_reply = true;
        CHECK(visible == reply);
      } else {
        CHECK(visible.empty());
        const std::string message = last.data.value("message", "");
        CHECK_THAT(message, Catch::Contains("could not be answered"));
        for (const char* internal : {"database", "postgres", "/tmp", "socket", "5432"}) {
          CHECK(message.find(internal) == std::string::npos);
        }
      }
    }
    const auto questions = count(
        "SELECT count(*) FROM messages WHERE business_id = $1 AND role = 'USER' AND content = $2", turn.text);
    const auto replies = count(
        "SELECT count(*) FROM messages WHERE business_id = $1 AND role = 'ASSISTANT' AND NOT dropped"
        " AND content = $2", ReplyTo(turn.text));
    CHECK(questions <= 1);
    if (got_reply) {
      CHECK(reply == ReplyTo(turn.text));
      CHECK(questions == 1);
      CHECK(replies == 1);
    } else {
      CHECK(replies == 0);
      if (questions == 1) unanswered.push_back(turn.text);
    }
    return got_reply;
  };
  const auto new_turn = [&](const std::string& text, bool json_only) {
    RestartTurn turn;
    turn.text = text;
    turn.json = json_only;
    turn.token = StartSession(omnid.port())["token"];
    return turn;
  };
  const auto wait_for_model_calls = [&](std::size_t calls) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (fake.request_count() < calls && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    REQUIRE(fake.request_count() == calls);
  };

  // A restart shorter than the engine's retries: turns in flight, waiting
  // on the model, and turns sent while the database is down.
  constexpr int kInFlight = 6;
  constexpr int kDuringOutage = 2;
  std::vector<RestartTurn> turns;
  for (int i = 0; i < kInFlight + kDuringOutage; ++i) turns.push_back(new_turn("question " + std::to_string(i), i % 2 == 0));
  std::vector<std::thread> senders;
  for (int i = 0; i < kInFlight; ++i) senders.emplace_back([&, i] { SendDuringRestart(omnid.port(), turns[i]); });
  wait_for_model_calls(kInFlight);
  database.Stop();
  for (int i = kInFlight; i < kInFlight + kDuringOutage; ++i) {
    senders.emplace_back([&, i] { SendDuringRestart(omnid.port(), turns[i]); });
  }
  std::this_thread::sleep_for(1500ms);
  database.Start();
  for (auto& sender : senders) sender.join();
  senders.clear();
  int answered = 0;
  for (const auto& turn : turns) answered += check(turn) ? 1 : 0;
  // The turns in flight outlast the restart: their replies are stored.
  CHECK(answered >= kInFlight);
  const auto unanswered_in_restart = static_cast<long long>(unanswered.size());

  // An outage longer than the engine's retries: the replies are never stored.
  std::vector<RestartTurn> lost = {new_turn("lost question 0", true), new_turn("lost question 1", false)};
  const std::size_t calls_before = fake.request_count();
  for (auto& turn : lost) senders.emplace_back([&, t = &turn] { SendDuringRestart(omnid.port(), *t); });
  wait_for_model_calls(calls_before + lost.size());
  database.Stop();
  for (auto& sender : senders) sender.join();
  database.Start();
  for (const auto& turn : lost) {
    CHECK_FALSE(check(turn));
    CHECK(turn.status == (turn.json ? 503 : 200));
  }
  REQUIRE(unanswered.size() >= lost.size());

  // omnid's sweep marks the questions stored but never answered.
  const auto marked = [&] {
    for (const auto& text : unanswered) {
      if (count("SELECT count(*) FROM messages WHERE business_id = $1 AND role = 'USER' AND content = $2"
                " AND metadata @> '{\"failed\": true}'",
                text) == 0) {
        return false;
      }
    }
    return true;
  };
  const auto sweep_deadline = std::chrono::steady_clock::now() + 30s;
  while (!marked() && std::chrono::steady_clock::now() < sweep_deadline) std::this_thread::sleep_for(200ms);
  CHECK(marked());
  CHECK(count("SELECT count(*) FROM messages WHERE business_id = $1 AND role = 'USER' AND content LIKE $2"
              " AND metadata ? 'failed'",
              "question %") == unanswered_in_restart);
  test::ProcessOptions show;
  show.args = {"conversations", "show", lost[1].conversation_id, "-b", "demo-salon"};
  show.env = {{"OMNI_CONFIG", omnid.config_path()}, {"NO_COLOR", "1"}};
  const auto shown = test::Run(OMNI_CLI_PATH, show);
  INFO(shown.err);
  CHECK(shown.exit_code == 0);
  CHECK_THAT(shown.out, Catch::Contains("customer (not answered)\tlost question 1"));

  // omnid serves on after the restarts.
  const auto after = SendMessage(omnid.port(), StartSession(omnid.port())["token"], {{"message", "after the restart"}});
  REQUIRE_FALSE(after.empty());
  CHECK(after.back().event == "done");
  CHECK(ReplyText(after) == ReplyTo("after the restart"));
}

TEST_CASE("a visitor who closes the tab is not a warning in the log", "[webchat]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());  // logs warnings and errors only
  const json session = StartSession(omnid.port());
  const std::string token = session["token"];
  std::string conversation_id;
  SendMessage(omnid.port(), token, {{"message", "Do you do balayage?"}}, &conversation_id);
  {
    EventStream stream(omnid.port(), conversation_id, token);
  }  // the tab closes
  // Keep-alive comments go out every 300 ms: the next ones find the socket closed.
  std::this_thread::sleep_for(1500ms);
  const std::string log = omnid.process().Stderr();
  INFO(log);
  CHECK(log.find("client connection closed") == std::string::npos);
  CHECK(log.find("stream failed") == std::string::npos);
  CHECK(log.find("request failed") == std::string::npos);
  // omnid still serves.
  CHECK(HttpGet(omnid.port(), "/healthz").status == 200);
}

TEST_CASE("a visitor ends their conversation and rates it, and no one else can", "[webchat][analytics]") {
  Desk desk;
  auto omnid = StartOmnid(desk.db.url(), desk.fake.base_url());
  const std::string token = StartSession(omnid.port())["token"];
  const auto turn = HttpPost(omnid.port(), "/v1/chat/demo-salon/messages?stream=false",
                             json{{"message", "Do you do balayage?"}}.dump(), Bearer(token));
  REQUIRE(turn.status == 200);
  const std::string id = turn.Json()["conversation_id"];
  const std::string close = "/v1/chat/demo-salon/conversations/" + id + "/close";
  const std::string rating = "/v1/chat/demo-salon/conversations/" + id + "/rating";
  const auto rate = [&](const json& body, const std::string& as, const std::string& path) {
    return HttpPost(omnid.port(), path, body.dump(), Bearer(as));
  };

  // Still open: nothing to rate yet.
  CHECK(rate({{"score", 5}}, token, rating).status == 409);
  // Another visitor, and a visitor of another business, find no such conversation.
  const std::string stranger = StartSession(omnid.port())["token"];
  CHECK(rate(json::object(), stranger, close).status == 404);
  CHECK(rate({{"score", 1}}, stranger, rating).status == 404);
  const std::string elsewhere = StartSession(omnid.port(), json::object(), "other-salon")["token"];
  CHECK(rate({{"score", 1}}, elsewhere, "/v1/chat/other-salon/conversations/" + id + "/rating").status == 404);
  CHECK(rate({{"score", 1}}, elsewhere, rating).status == 401);
  CHECK(HttpPost(omnid.port(), rating, json{{"score", 1}}.dump()).status == 401);

  const auto closed = rate(json::object(), token, close);
  REQUIRE(closed.status == 200);
  CHECK(closed.Json()["status"] == "RESOLVED");
  CHECK(closed.Json()["csat"] == true);
  CHECK(rate({{"score", 0}}, token, rating).status == 400);
  CHECK(rate({{"score", "5"}}, token, rating).status == 400);
  CHECK(rate({{"score", 4}, {"comment", std::string(2001, 'x')}}, token, rating).status == 400);
  const auto rated = rate({{"score", 5}, {"comment", "Lovely, thanks"}}, token, rating);
  REQUIRE(rated.status == 200);
  CHECK(rated.Json()["score"] == 5);
  const auto stored = db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
    return tx.exec_params1("SELECT r.score, r.comment, c.csat_score, c.closed_at IS NOT NULL FROM csat_ratings r"
                           " JOIN conversations c ON c.id = r.conversation_id WHERE r.conversation_id = $1::uuid",
                           id);
  });
  CHECK(stored[0].as<int>() == 5);
  CHECK(stored[1].as<std::string>() == "Lovely, thanks");
  CHECK(stored[2].as<int>() == 5);
  CHECK(stored[3].as<bool>());
}

}  // namespace omni
