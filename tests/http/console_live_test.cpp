// The live side of the operator console, end to end with the real omnid
// binary: the inbox's event stream (GET /v1/console/events) fed by
// LISTEN/NOTIFY across two omnid instances on one database and scoped to
// its business, the handoff actions (escalate, reopen, assign, a reply that
// takes a conversation over), private notes that never reach the visitor
// or the model, and the analytics routes answering what core computes.
#include <catch2/catch.hpp>

#include <cctype>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/analytics/analytics.hpp"
#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/booking/booking.hpp"
#include "core/chat/notes.hpp"
#include "core/customers/customers.hpp"
#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"
#include "core/operators/keys.hpp"
#include "core/operators/users.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using operators::Role;
using test::HttpHeaders;
using test::HttpRequest;
using test::HttpResult;

constexpr const char* kPassword = "correct horse battery";

// The demo salon with an owner and an agent, a rival business with an
// owner, a key for each business, and the fake model.
struct Desk {
  Desk() {
    auto spec = business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
    salon = business::Apply(db.pool(), spec).business_id;
    spec.slug = "rival-salon";
    spec.widget.allowed_origins = {};
    rival = business::Apply(db.pool(), spec).business_id;
    const billing::BillingSettings plans;
    const auto now = DefaultClock().Now();
    owner_id = operators::AddUser(db.pool(), salon,
                                  {.email = "owner@salon.example", .name = "Olga", .role = Role::kOwner,
                                   .password = kPassword},
                                  plans, now)
                   .user.id;
    agent_id = operators::AddUser(db.pool(), salon,
                                  {.email = "agent@salon.example", .name = "Ana", .role = Role::kAgent,
                                   .password = kPassword},
                                  plans, now)
                   .user.id;
    rival_user_id = operators::AddUser(db.pool(), rival,
                                       {.email = "owner@rival.example", .name = "Rita", .role = Role::kOwner,
                                        .password = kPassword},
                                       plans, now)
                        .user.id;
    salon_key = operators::CreateKey(db.pool(), salon, "desk", Role::kAgent, now).secret;
    rival_key = operators::CreateKey(db.pool(), rival, "rival", Role::kOwner, now).secret;
    fake.SetFallback([](const test::RecordedRequest&) { return test::TextReply({"Happy ", "to help!"}); });
  }
  test::TestDatabase db;
  test::FakeOpenAi fake;
  std::string salon, rival, owner_id, agent_id, rival_user_id, salon_key, rival_key;
};

// omnid on the desk's database and fake model, logins throttled only far
// beyond what a case tries, and an idle event stream kept alive every
// `sse_keepalive_ms`.
test::OmnidRunner StartOmnid(const Desk& desk, int sse_keepalive_ms = 300) {
  return test::OmnidRunner(desk.db.url(),
                           "llm:\n  base_url: " + desk.fake.base_url() +
                               "\n  api_key: test-key\n  models: [fake-model]\n  max_retries: 0\n"
                               "console:\n  login_max_failures: 50\n",
                           "  sse_keepalive_ms: " + std::to_string(sse_keepalive_ms) + "\n");
}

HttpHeaders Key(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

HttpResult Post(std::uint16_t port, const std::string& path, const std::string& key, const json& body = nullptr) {
  HttpHeaders headers = Key(key);
  if (!body.is_null()) headers["Content-Type"] = "application/json";
  return HttpRequest(port, "POST", path, body.is_null() ? "" : body.dump(), headers);
}

std::string SessionCookie(std::uint16_t port, const std::string& business, const std::string& email) {
  const auto response = HttpRequest(port, "POST", "/v1/console/login",
                                    json{{"business", business}, {"email", email}, {"password", kPassword}}.dump(),
                                    {{"Content-Type", "application/json"}});
  INFO(response.body);
  REQUIRE(response.status == 200);
  const std::string set_cookie = response.Header("Set-Cookie").value_or("");
  return set_cookie.substr(0, set_cookie.find(';'));
}

// A visitor's conversation through the public chat: its id and token.
struct Visit {
  std::string token;
  std::string conversation_id;
};

Visit VisitorWrites(std::uint16_t port, const std::string& message, const Visit& continued = {}) {
  Visit visit = continued;
  if (visit.token.empty()) {
    const auto session = test::HttpPost(port, "/v1/chat/demo-salon/session", "{}");
    REQUIRE(session.status == 200);
    visit.token = session.Json()["token"];
  }
  json body = {{"message", message}};
  if (!visit.conversation_id.empty()) body["conversation_id"] = visit.conversation_id;
  const auto response = test::HttpPost(port, "/v1/chat/demo-salon/messages", body.dump(), Key(visit.token));
  INFO(response.body);
  REQUIRE(response.status == 200);
  visit.conversation_id = response.Header("X-Conversation-Id").value_or("");
  REQUIRE_FALSE(visit.conversation_id.empty());
  return visit;
}

// An open inbox stream (GET /v1/console/events) over a raw connection,
// with a session cookie or a key.
class InboxStream {
 public:
  InboxStream(std::uint16_t port, const std::string& credential_header) : connection_(port) {
    connection_.Send("GET /v1/console/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + credential_header + "\r\n\r\n");
    const std::string head = connection_.ReadUntil("event: ready", 15s);
    INFO(head);
    REQUIRE(head.find("200 OK") != std::string::npos);
    REQUIRE(head.find("text/event-stream") != std::string::npos);
  }
  // Everything received so far, once `text` arrived (or after the timeout).
  std::string WaitFor(const std::string& text, std::chrono::milliseconds timeout = 15s) {
    return connection_.ReadUntil(text, timeout);
  }
  // Everything received so far, once `text` arrived `count` times (or after
  // the timeout).
  std::string WaitForCount(const std::string& text, std::size_t count, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string received = connection_.ReadUntil(text, timeout);
    while (Count(received, text) < count && !connection_.closed() && std::chrono::steady_clock::now() < deadline) {
      // Reads what arrives within 100 ms: the sentinel never comes.
      received = connection_.ReadUntil(text + "\x01", 100ms);
    }
    return received;
  }
  static std::size_t Count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
  }

 private:
  test::RawConnection connection_;
};

std::string EventOf(const std::string& conversation_id, const std::string& kind) {
  return json{{"conversation_id", conversation_id}, {"kind", kind}}.dump();
}

}  // namespace

TEST_CASE("an inbox on one omnid sees a handoff made through another within a second, and no other business's",
          "[console][live]") {
  Desk desk;
  auto a = StartOmnid(desk);
  auto b = StartOmnid(desk);
  InboxStream inbox(b.port(), "Cookie: " + SessionCookie(b.port(), "demo-salon", "owner@salon.example"));
  InboxStream rival_inbox(b.port(), "Authorization: Bearer " + desk.rival_key);

  const Visit visit = VisitorWrites(a.port(), "Is my colour appointment at risk?");
  const std::string& id = visit.conversation_id;
  inbox.WaitFor(EventOf(id, "visitor_message"));
  inbox.WaitFor(EventOf(id, "ai_message"));

  const std::string path = "/v1/console/conversations/" + id;
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(Post(a.port(), path + "/escalate", desk.salon_key, {{"reason", "asked for a person"}}).status == 200);
  const std::string seen = inbox.WaitFor(EventOf(id, "handoff"), 5s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE(seen.find(EventOf(id, "handoff")) != std::string::npos);
  CHECK(elapsed < 1s);

  REQUIRE(Post(a.port(), path + "/reply", desk.salon_key, {{"text", "Olga here, checking"}}).status == 200);
  inbox.WaitFor(EventOf(id, "human_message"));
  REQUIRE(Post(a.port(), path + "/assign", desk.salon_key, {{"user_id", desk.agent_id}}).status == 200);
  inbox.WaitFor(EventOf(id, "assign"));
  REQUIRE(Post(a.port(), path + "/notes", desk.salon_key, {{"body", "VIP, handle gently"}}).status == 201);
  inbox.WaitFor(EventOf(id, "note"));
  REQUIRE(Post(a.port(), path + "/resolve", desk.salon_key).status == 200);
  inbox.WaitFor(EventOf(id, "resolve"));
  REQUIRE(Post(a.port(), path + "/reopen", desk.salon_key).status == 200);
  const std::string all = inbox.WaitFor(EventOf(id, "reopen"));
  CHECK(all.find(EventOf(id, "reopen")) != std::string::npos);
  // Kinds and ids only: the text stays in the database.
  CHECK(all.find("colour appointment") == std::string::npos);
  CHECK(all.find("Olga here") == std::string::npos);
  CHECK(all.find("VIP") == std::string::npos);

  // The rival's inbox hears its own handoff, and nothing of the salon's.
  chat::OpenRequest open;
  open.channel = chat::Channel::kWebchat;
  open.visitor_id = "rival-visitor";
  const std::string rival_id = chat::Open(desk.db.pool(), desk.rival, open).id;
  chat::AddUserMessage(desk.db.pool(), desk.rival, rival_id, "rival question", DefaultClock().Now());
  REQUIRE(Post(a.port(), "/v1/console/conversations/" + rival_id + "/escalate", desk.rival_key).status == 200);
  const std::string rival_seen = rival_inbox.WaitFor(EventOf(rival_id, "handoff"));
  CHECK(rival_seen.find(EventOf(rival_id, "handoff")) != std::string::npos);
  CHECK(rival_seen.find(id) == std::string::npos);
  CHECK(inbox.WaitFor("never sent", 300ms).find(rival_id) == std::string::npos);
}

TEST_CASE("the inbox stream refuses a missing or forged credential and a role without conversations", "[console][live]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  for (const HttpHeaders& headers :
       {HttpHeaders{}, HttpHeaders{{"Cookie", "omni_session=oms_forged"}}, Key("omk_forged"), Key("nonsense")}) {
    const auto response = test::HttpGet(omnid.port(), "/v1/console/events", headers);
    CHECK(response.status == 401);
    CHECK(response.Json()["error"]["code"] == "unauthorized");
  }
}

TEST_CASE("the inbox stream says ready again when its listening connection comes back, and ends at logout",
          "[console][live]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  const std::string cookie = SessionCookie(omnid.port(), "demo-salon", "agent@salon.example");
  InboxStream inbox(omnid.port(), "Cookie: " + cookie);

  SECTION("a lost LISTEN connection: a second ready, then events again") {
    desk.db.ExecAsSuperuser(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
    const std::string text = inbox.WaitForCount("event: ready", 2);
    CHECK(InboxStream::Count(text, "event: ready") == 2);
    const Visit visit = VisitorWrites(omnid.port(), "hello again");
    CHECK(inbox.WaitFor(EventOf(visit.conversation_id, "visitor_message")).find(
              EventOf(visit.conversation_id, "visitor_message")) != std::string::npos);
  }
  SECTION("logout: signed_out, and the stream closes") {
    const auto me = test::HttpGet(omnid.port(), "/v1/console/me", {{"Cookie", cookie}});
    REQUIRE(me.status == 200);
    const auto out = HttpRequest(omnid.port(), "POST", "/v1/console/logout", "",
                                 {{"Cookie", cookie}, {"X-CSRF-Token", me.Json()["csrf_token"]}});
    REQUIRE(out.status == 204);
    CHECK(inbox.WaitFor("event: signed_out").find("event: signed_out") != std::string::npos);
    // The chunked response's last chunk: the stream is over.
    CHECK(inbox.WaitFor("\r\n0\r\n\r\n").find("\r\n0\r\n\r\n") != std::string::npos);
  }
}

TEST_CASE("console handoff actions: a reply takes over and the AI stays silent, reopen, assign", "[console][live]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  const auto port = omnid.port();
  const Visit visit = VisitorWrites(port, "Do you do balayage?");
  const std::string path = "/v1/console/conversations/" + visit.conversation_id;
  const auto calls = desk.fake.requests().size();

  auto reply = Post(port, path + "/reply", desk.salon_key, {{"text", "A stylist will call you"}});
  REQUIRE(reply.status == 200);
  CHECK(reply.Json()["conversation"]["status"] == "ESCALATED");
  CHECK(reply.Json()["conversation"]["assigned_to"] == "key:desk");
  VisitorWrites(port, "Thanks, when?", visit);
  CHECK(desk.fake.requests().size() == calls);
  const auto history = test::HttpGet(port, "/v1/chat/demo-salon/conversations/" + visit.conversation_id + "/messages",
                                     Key(visit.token));
  REQUIRE(history.status == 200);
  CHECK(history.body.find("A stylist will call you") != std::string::npos);
  CHECK(history.body.find("Happy to help!") != std::string::npos);
  CHECK(history.body.find("Happy to help!", history.body.find("Thanks, when?")) == std::string::npos);

  const auto not_resolved = Post(port, path + "/reopen", desk.salon_key);
  CHECK(not_resolved.status == 409);
  CHECK(not_resolved.Json()["error"]["code"] == "conflict");
  REQUIRE(Post(port, path + "/resolve", desk.salon_key).status == 200);
  const auto reopened = Post(port, path + "/reopen", desk.salon_key);
  REQUIRE(reopened.status == 200);
  CHECK(reopened.Json()["conversation"]["status"] == "REOPENED");

  const auto escalated = Post(port, path + "/escalate", desk.salon_key);
  REQUIRE(escalated.status == 200);
  CHECK(escalated.Json()["conversation"]["status"] == "ESCALATED");

  const auto assigned = Post(port, path + "/assign", desk.salon_key, {{"user_id", desk.agent_id}});
  REQUIRE(assigned.status == 200);
  CHECK(assigned.Json()["conversation"]["assigned_to"] == "Ana");
  const auto rival_user = Post(port, path + "/assign", desk.salon_key, {{"user_id", desk.rival_user_id}});
  CHECK(rival_user.status == 404);
  CHECK(rival_user.body.find("Rita") == std::string::npos);
  CHECK(Post(port, path + "/assign", desk.salon_key, {{"user_id", "Ana"}}).status == 400);
  CHECK(Post(port, path + "/assign", desk.salon_key, json::object()).status == 400);
  CHECK(chat::Get(desk.db.pool(), desk.salon, visit.conversation_id).assigned_to == "Ana");
  const auto unassigned = Post(port, path + "/assign", desk.salon_key, {{"user_id", nullptr}});
  REQUIRE(unassigned.status == 200);
  CHECK(unassigned.Json()["conversation"]["assigned_to"].is_null());

  // Another business's key reaches none of it.
  for (const char* action : {"/escalate", "/reopen", "/resolve"}) {
    CHECK(Post(port, path + action, desk.rival_key).status == 404);
  }
  CHECK(Post(port, path + "/assign", desk.rival_key, {{"user_id", desk.rival_user_id}}).status == 404);
  CHECK(chat::Get(desk.db.pool(), desk.salon, visit.conversation_id).status == chat::ConversationStatus::kEscalated);
}

// The ids of a page of GET /v1/console/conversations.
std::vector<std::string> Listed(const HttpResult& response) {
  INFO(response.body);
  REQUIRE(response.status == 200);
  const json body = response.Json();
  std::vector<std::string> ids;
  for (const auto& c : body["conversations"]) ids.push_back(c["id"].get<std::string>());
  return ids;
}

TEST_CASE("console assignment: any teammate of the business, never another's or one removed, and the inbox filter",
          "[console][live][assign]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  const auto port = omnid.port();
  std::vector<std::string> salon;
  for (int i = 0; i < 3; ++i) salon.push_back(chat::Open(desk.db.pool(), desk.salon, {}).id);
  const std::string theirs = chat::Open(desk.db.pool(), desk.rival, {}).id;
  const auto path = [](const std::string& id) { return "/v1/console/conversations/" + id + "/assign"; };

  // Every role sees who it can assign to: its own business's users only.
  const std::string agent_cookie = SessionCookie(port, "demo-salon", "agent@salon.example");
  const auto teammates = test::HttpGet(port, "/v1/console/teammates", {{"Cookie", agent_cookie}});
  REQUIRE(teammates.status == 200);
  const json team = teammates.Json();
  std::set<std::string> ids;
  for (const auto& u : team["users"]) ids.insert(u["id"].get<std::string>());
  CHECK(ids == std::set<std::string>{desk.owner_id, desk.agent_id});
  CHECK(teammates.body.find("Rita") == std::string::npos);
  CHECK(teammates.body.find("password") == std::string::npos);

  // The agent's key assigns one to the owner, one to the agent (as upper-case id).
  const auto to_owner = Post(port, path(salon[0]), desk.salon_key, {{"user_id", desk.owner_id}});
  REQUIRE(to_owner.status == 200);
  CHECK(to_owner.Json()["conversation"]["assigned_user_id"] == desk.owner_id);
  CHECK(to_owner.Json()["conversation"]["assigned_to"] == "Olga");
  std::string upper = desk.agent_id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(Post(port, path(salon[1]), desk.salon_key, {{"user_id", upper}}).status == 200);

  // Another business's user: 404, the same as no user, with nothing of theirs.
  const auto rival_user = Post(port, path(salon[2]), desk.salon_key, {{"user_id", desk.rival_user_id}});
  CHECK(rival_user.status == 404);
  CHECK(rival_user.Json()["error"]["code"] == "not_found");
  CHECK(rival_user.body.find("Rita") == std::string::npos);
  // Another business's key on our conversation, even with its own user: 404.
  CHECK(Post(port, path(salon[2]), desk.rival_key, {{"user_id", desk.rival_user_id}}).status == 404);
  // Our key on their conversation: 404, and it stays unassigned.
  CHECK(Post(port, path(theirs), desk.salon_key, {{"user_id", desk.owner_id}}).status == 404);
  CHECK(chat::Get(desk.db.pool(), desk.rival, theirs).assigned_user_id.empty());
  CHECK(chat::Get(desk.db.pool(), desk.salon, salon[2]).assigned_user_id.empty());

  // The inbox filter: mine (a session), nobody, a user; never another business's.
  const auto list = [&](const std::string& query, const HttpHeaders& headers) {
    return test::HttpGet(port, "/v1/console/conversations" + query, headers);
  };
  CHECK(Listed(list("?assigned=me", {{"Cookie", agent_cookie}})) == std::vector<std::string>{salon[1]});
  CHECK(Listed(list("?assigned=none", Key(desk.salon_key))) == std::vector<std::string>{salon[2]});
  CHECK(Listed(list("?assigned=" + desk.owner_id, Key(desk.salon_key))) == std::vector<std::string>{salon[0]});
  CHECK(Listed(list("?assigned=all", Key(desk.salon_key))).size() == 3);
  CHECK(Listed(list("?assigned=" + desk.rival_user_id, Key(desk.salon_key))).empty());
  CHECK(Listed(list("?assigned=" + desk.owner_id, Key(desk.rival_key))).empty());
  const auto key_me = list("?assigned=me", Key(desk.salon_key));
  CHECK(key_me.status == 400);
  CHECK(key_me.body.find("needs a signed-in user") != std::string::npos);
  CHECK(list("?assigned=Olga", Key(desk.salon_key)).status == 400);

  // Removing the agent unassigns their conversation; their id is then refused, saying so.
  operators::RemoveUser(desk.db.pool(), desk.salon, desk.agent_id);
  const auto after = test::HttpGet(port, "/v1/console/conversations/" + salon[1], Key(desk.salon_key));
  REQUIRE(after.status == 200);
  CHECK(after.Json()["conversation"]["assigned_user_id"].is_null());
  CHECK(after.Json()["conversation"]["assigned_to"].is_null());
  const auto removed = Post(port, path(salon[1]), desk.salon_key, {{"user_id", desk.agent_id}});
  CHECK(removed.status == 404);
  CHECK(removed.Json()["error"]["message"] == "no team member \"" + desk.agent_id + "\" in this business");
  CHECK(removed.Json()["error"]["hint"].get<std::string>().find("removed") != std::string::npos);
}

TEST_CASE("removing a teammate tells open inboxes at once in one event, and signs their own console out",
          "[console][live][assign]") {
  Desk desk;
  // Keep-alive checks an hour apart: a sign-out seen now is the removal's.
  auto omnid = StartOmnid(desk, 3600000);
  const auto port = omnid.port();
  std::vector<std::string> theirs;
  for (int i = 0; i < 5; ++i) {
    theirs.push_back(chat::Open(desk.db.pool(), desk.salon, {}).id);
    chat::Assign(desk.db.pool(), desk.salon, theirs.back(), desk.agent_id);
  }
  InboxStream owner_inbox(port, "Cookie: " + SessionCookie(port, "demo-salon", "owner@salon.example"));
  InboxStream agent_inbox(port, "Cookie: " + SessionCookie(port, "demo-salon", "agent@salon.example"));
  InboxStream rival_inbox(port, "Authorization: Bearer " + desk.rival_key);

  operators::RemoveUser(desk.db.pool(), desk.salon, "Agent@Salon.example");

  const std::string removed_event = json{{"user_id", desk.agent_id}}.dump();
  const std::string seen = owner_inbox.WaitFor(removed_event, 5s);
  CHECK(seen.find("event: teammate_removed\ndata: " + removed_event) != std::string::npos);
  // One event for the user however many conversations were theirs, and ids only.
  CHECK(InboxStream::Count(owner_inbox.WaitFor("never sent", 300ms), "event: teammate_removed") == 1);
  for (const auto& id : theirs) CHECK(seen.find(id) == std::string::npos);
  CHECK(seen.find("agent@salon.example") == std::string::npos);
  for (const auto& id : theirs) CHECK(chat::Get(desk.db.pool(), desk.salon, id).assigned_user_id.empty());

  const std::string own = agent_inbox.WaitFor("\r\n0\r\n\r\n", 5s);
  CHECK(own.find("event: signed_out") != std::string::npos);
  CHECK(own.find("\r\n0\r\n\r\n") != std::string::npos);

  CHECK(rival_inbox.WaitFor("teammate_removed", 300ms).find("teammate_removed") == std::string::npos);
}

TEST_CASE("private notes reach the team only: never the visitor's history, stream or the model", "[console][live]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  const auto port = omnid.port();
  const Visit visit = VisitorWrites(port, "Can I bring my dog?");
  const std::string path = "/v1/console/conversations/" + visit.conversation_id + "/notes";
  test::RawConnection visitor_stream(port);
  visitor_stream.Send("GET /v1/chat/demo-salon/conversations/" + visit.conversation_id +
                      "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + visit.token + "\r\n\r\n");
  REQUIRE(visitor_stream.ReadUntil("event: status", 15s).find("200 OK") != std::string::npos);

  const auto added = Post(port, path, desk.salon_key, {{"body", "secret: she is allergic to dogs"}});
  REQUIRE(added.status == 201);
  CHECK(added.Json()["note"]["author"] == "key:desk");
  CHECK(added.Json()["note"]["body"] == "secret: she is allergic to dogs");
  const auto listed = test::HttpGet(port, path, Key(desk.salon_key));
  REQUIRE(listed.status == 200);
  REQUIRE(listed.Json()["notes"].size() == 1);
  CHECK(listed.Json()["notes"][0]["id"] == added.Json()["note"]["id"]);

  VisitorWrites(port, "And my cat?", visit);
  for (const auto& request : desk.fake.requests()) CHECK(request.body.find("allergic") == std::string::npos);
  const std::string streamed = visitor_stream.ReadUntil("And my cat?", 15s);
  CHECK(streamed.find("And my cat?") != std::string::npos);
  CHECK(streamed.find("allergic") == std::string::npos);
  const auto history = test::HttpGet(port, "/v1/chat/demo-salon/conversations/" + visit.conversation_id + "/messages",
                                     Key(visit.token));
  REQUIRE(history.status == 200);
  CHECK(history.body.find("allergic") == std::string::npos);

  CHECK(Post(port, path, desk.salon_key, {{"body", "   "}}).status == 400);
  CHECK(Post(port, path, desk.salon_key, {{"body", std::string(chat::kMaxNoteChars + 1, 'x')}}).status == 400);
  CHECK(Post(port, path, desk.rival_key, {{"body", "rival note"}}).status == 404);
  const auto rival_list = test::HttpGet(port, path, Key(desk.rival_key));
  CHECK(rival_list.status == 404);
  CHECK(rival_list.body.find("allergic") == std::string::npos);
  CHECK(chat::Notes(desk.db.pool(), desk.salon, visit.conversation_id).size() == 1);
}

TEST_CASE("console analytics answer what omni analytics computes, for the caller's business only", "[console][live]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  const auto port = omnid.port();
  VisitorWrites(port, "one");
  VisitorWrites(port, "two");
  const std::string owner = SessionCookie(port, "demo-salon", "owner@salon.example");

  const auto summary = test::HttpGet(port, "/v1/console/analytics/summary?since=7d", {{"Cookie", owner}});
  REQUIRE(summary.status == 200);
  const auto body = summary.Json();
  const auto tz = business::Get(desk.db.pool(), "demo-salon").spec.timezone;
  const auto expected = analytics::Summarize(desk.db.pool(), desk.salon, analytics::LastDays(7, tz, DefaultClock().Now()),
                                             DefaultClock().Now());
  CHECK(body["time_zone"] == tz);
  CHECK(body["metrics"]["conversations"]["value"] == 2);
  CHECK(body["metrics"]["conversations"]["value"] == expected.current.conversations);
  CHECK(body["metrics"]["messages_in"]["value"] == expected.current.messages_in);
  CHECK(body["metrics"]["conversations"]["previous"] == 0);
  CHECK(body["metrics"]["conversations"]["change_pct"].is_null());
  CHECK(body["metrics"].contains("handoff_rate"));

  const auto trends =
      test::HttpGet(port, "/v1/console/analytics/trends?metric=conversations&by=day&since=7d", {{"Cookie", owner}});
  REQUIRE(trends.status == 200);
  const auto points = trends.Json()["points"];
  REQUIRE(points.size() == 7);
  double total = 0;
  for (const auto& point : points) total += point["value"].get<double>();
  CHECK(total == 2);

  const auto business_hours = test::HttpGet(
      port, "/v1/console/analytics/trends?metric=first_response_business_time&by=week&since=7d", {{"Cookie", owner}});
  REQUIRE(business_hours.status == 200);
  const auto business_body = business_hours.Json();
  CHECK(business_body["metric"] == "first_response_business_time");
  std::int64_t measured = 0;
  for (const auto& point : business_body["points"]) measured += point["count"].get<std::int64_t>();
  CHECK(measured == expected.current.first_response_business.count);
  CHECK(measured > 0);

  const auto rival = test::HttpGet(port, "/v1/console/analytics/summary?since=7d", Key(desk.rival_key));
  REQUIRE(rival.status == 200);
  CHECK(rival.Json()["metrics"]["conversations"]["value"] == 0);

  CHECK(test::HttpGet(port, "/v1/console/analytics/trends?metric=nonsense", {{"Cookie", owner}}).status == 400);
  CHECK(test::HttpGet(port, "/v1/console/analytics/trends", {{"Cookie", owner}}).status == 400);
  CHECK(test::HttpGet(port, "/v1/console/analytics/summary?since=7d&from=2026-01-01", {{"Cookie", owner}}).status ==
        400);
  CHECK(test::HttpGet(port, "/v1/console/analytics/summary?from=2026-13-01", {{"Cookie", owner}}).status == 400);
}

}  // namespace omni

namespace omni {

TEST_CASE("omnid serves the console from its binary under a strict policy, and its front page leads to it",
          "[console][live]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  const auto port = omnid.port();

  const auto index = test::HttpGet(port, "/");
  REQUIRE(index.status == 200);
  CHECK(index.body.find("<a class=\"team\" href=\"/console\">Team sign-in</a>") != std::string::npos);
  CHECK(index.body.find("/chat/demo-salon") != std::string::npos);

  const auto page = test::HttpGet(port, "/console");
  REQUIRE(page.status == 200);
  CHECK(page.Header("Content-Type").value_or("").rfind("text/html", 0) == 0);
  const std::string csp = page.Header("Content-Security-Policy").value_or("");
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("script-src 'self';") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.body.find("<script src=\"/console/console.js\" defer></script>") != std::string::npos);
  // No inline script or style, and nothing from another host.
  CHECK(page.body.find("<script>") == std::string::npos);
  CHECK(page.body.find("<style") == std::string::npos);
  CHECK(page.body.find("http") == std::string::npos);

  for (const auto& [path, type] : {std::pair{"/console/console.js", "application/javascript"},
                                   std::pair{"/console/console.css", "text/css"}}) {
    INFO(path);
    const auto asset = test::HttpGet(port, path);
    REQUIRE(asset.status == 200);
    CHECK(asset.Header("Content-Type").value_or("").rfind(type, 0) == 0);
    CHECK(asset.body.find("https://") == std::string::npos);
    const std::string etag = asset.Header("ETag").value_or("");
    REQUIRE_FALSE(etag.empty());
    CHECK(test::HttpGet(port, path, {{"If-None-Match", etag}}).status == 304);
  }
  for (const char* path : {"/admin", "/dashboard"}) {
    const auto moved = test::HttpGet(port, path);
    CHECK(moved.status == 302);
    CHECK(moved.Header("Location") == "/console");
  }

  const auto chart = test::HttpGet(port, "/v1/console/analytics/chart?metric=handoff_rate&since=7d",
                                   {{"Cookie", SessionCookie(port, "demo-salon", "owner@salon.example")}});
  REQUIRE(chart.status == 200);
  CHECK(chart.Header("Content-Type") == "image/svg+xml");
  CHECK(chart.Header("Content-Security-Policy") == "default-src 'none'");
  CHECK(chart.body.rfind("<svg", 0) == 0);
  CHECK(chart.body.find("Handoff rate per day") != std::string::npos);
  CHECK(chart.body.find("<script") == std::string::npos);
}

}  // namespace omni

namespace omni {

TEST_CASE("the customer panel shows a conversation's customer: tags, notes, appointments, past conversations",
          "[console][live]") {
  Desk desk;
  auto omnid = StartOmnid(desk);
  const auto port = omnid.port();
  auto& pool = desk.db.pool();
  booking::BookingService booking(pool, DefaultClock());
  const auto first_day =
      std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(DefaultClock().Now()) + std::chrono::days{2}};
  const auto slots = booking.Slots(desk.salon, "Blowout", first_day, 14);
  REQUIRE_FALSE(slots.starts.empty());
  booking::CreateRequest create;
  create.service = "Blowout";
  create.start = slots.starts.front();
  create.customer = {"Vera Lane", "vera@example.com", "+1 415 555 0177"};
  const auto booked = booking.Create(desk.salon, create);
  REQUIRE(booked.appointment);
  const std::string customer_id = booked.appointment->customer_id;
  customers::CustomerUpdate update;
  update.notes = "likes the window seat";
  update.add_tags = {"vip", "colour"};
  customers::Update(pool, desk.salon, customer_id, update);
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    chat::OpenRequest open;
    open.customer_id = customer_id;
    open.channel = chat::Channel::kWebchat;
    open.visitor_id = "v_vera_" + std::to_string(i);
    ids.push_back(chat::Open(pool, desk.salon, open).id);
    chat::AddUserMessage(pool, desk.salon, ids.back(), "question " + std::to_string(i), DefaultClock().Now());
  }

  const auto panel = test::HttpGet(port, "/v1/console/conversations/" + ids[1] + "/customer", Key(desk.salon_key));
  REQUIRE(panel.status == 200);
  const auto body = panel.Json();
  CHECK(body["customer"]["id"] == customer_id);
  CHECK(body["customer"]["name"] == "Vera Lane");
  CHECK(body["customer"]["email"] == "vera@example.com");
  CHECK(body["customer"]["tags"] == json::array({"colour", "vip"}));
  CHECK(body["customer"]["notes"] == "likes the window seat");
  REQUIRE(body["upcoming"].size() == 1);
  CHECK(body["upcoming"][0]["id"] == booked.appointment->id);
  CHECK(body["upcoming"][0]["service"] == "Blowout");
  CHECK(body["conversations"].size() == 2);

  const Visit anonymous = VisitorWrites(port, "just browsing");
  const auto nobody = test::HttpGet(port, "/v1/console/conversations/" + anonymous.conversation_id + "/customer",
                                    Key(desk.salon_key));
  REQUIRE(nobody.status == 200);
  CHECK(nobody.Json()["customer"].is_null());

  const auto rival = test::HttpGet(port, "/v1/console/conversations/" + ids[1] + "/customer", Key(desk.rival_key));
  CHECK(rival.status == 404);
  CHECK(rival.body.find("Vera") == std::string::npos);
  CHECK(rival.body.find("window seat") == std::string::npos);
}

}  // namespace omni
