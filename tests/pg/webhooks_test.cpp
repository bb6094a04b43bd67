// Outbound webhooks on a real database, delivered to a receiver on
// 127.0.0.1 (tests/http/webhook_receiver) that verifies every delivery
// with the standardwebhooks npm package: the events a business's changes
// publish, the signature and headers, a tampered body refused, retries
// with the same webhook-id, a hanging receiver timed out, no redirect
// followed, private targets refused, the 24-hour disable, replay, secret
// rotation with its overlap of two signatures, and no event or id of one
// business ever reaching or naming another's.
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/booking/booking.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/db/pqxx.hpp"
#include "core/jobs/jobs.hpp"
#include "core/notify/notify.hpp"
#include "core/webhooks/webhooks.hpp"
#include "core/webhooks/webhooks_tx.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace omni {
namespace {

using Json = nlohmann::json;
using db::WithTransaction;
using std::chrono::hours;
using std::chrono::seconds;

const std::string kReceiverDir = std::string(OMNI_SOURCE_DIR) + "/tests/http/webhook_receiver";
// whsec_ and the base64 of 32 bytes.
const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/cPQHQ9ruY8=";
const std::string kNewSecret = "whsec_3Xk1v5u8yC0o9bHq2m7RZt4aWfLJpNdE6sKiGcVxTQo=";

TimePoint RealNow() { return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()); }

class Receiver {
 public:
  // `more_secrets`: also verified under these, in each delivery's verified_by.
  explicit Receiver(const std::string& more_secrets = "") {
    INFO("node or tests/http/webhook_receiver/node_modules is missing: scripts/test.sh installs them with npm ci");
    REQUIRE(std::filesystem::exists(kReceiverDir + "/node_modules/standardwebhooks/package.json"));
    process_ = std::make_unique<test::Process>(
        "/usr/bin/env", test::ProcessOptions{.args = {"node", "receiver.mjs"},
                                             .env = {{"WEBHOOK_SECRET", kSecret},
                                                     {"WEBHOOK_MORE_SECRETS", more_secrets}},
                                             .cwd = kReceiverDir});
    REQUIRE(process_->WaitForStdout("}", std::chrono::seconds(20)));
    port_ = static_cast<std::uint16_t>(Json::parse(process_->Stdout())["port"].get<int>());
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  Json Log() const {
    const auto result = test::HttpGet(port_, "/log");
    REQUIRE(result.status == 200);
    return Json::parse(result.body);
  }

 private:
  std::unique_ptr<test::Process> process_;
  std::uint16_t port_ = 0;
};

std::string AddBusiness(db::Pool& pool, const std::string& slug) {
  return WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params("INSERT INTO businesses (slug, name, timezone, email) VALUES ($1, $1, 'UTC',"
                          " 'owner@' || $1 || '.example') RETURNING id::text",
                          slug)[0][0]
        .as<std::string>();
  });
}

webhooks::DeliverySettings Loopback(int timeout_ms = 5000) {
  webhooks::DeliverySettings settings;
  settings.allow_private_targets = true;
  settings.timeout_ms = timeout_ms;
  return settings;
}

std::string AddEndpoint(db::Pool& pool, const std::string& business_id, const std::string& url,
                        std::vector<std::string> events = {}) {
  return webhooks::AddEndpoint(pool, business_id, {url, kSecret, std::move(events), ""}, true).endpoint.id;
}

void Drain(webhooks::Deliverer& deliverer) {
  for (int i = 0; i < 20 && deliverer.RunOnce() > 0; ++i) {
  }
}

long long Count(db::Pool& pool, const std::string& sql) {
  return WithTransaction(pool, [&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<long long>(); });
}

std::string NewCustomer(db::Pool& pool, const std::string& business_id, const std::string& email) {
  return customers::FindOrCreate(pool, business_id, {"Ann Lee", email, "", ""}).customer.id;
}

}  // namespace

TEST_CASE("every delivery verifies with the standardwebhooks package and a tampered body does not", "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  AddEndpoint(db.pool(), acme, receiver.Url("/tamper/acme"));
  const std::string customer = NewCustomer(db.pool(), acme, "ann@example.com");
  const auto conversation = chat::Open(db.pool(), acme, {"", customer, false, chat::Channel::kWebchat, ""});
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  Drain(deliverer);

  const Json log = receiver.Log();
  std::set<std::string> types;
  std::set<std::string> ids;
  for (const auto& entry : log) {
    INFO(entry.dump());
    CHECK(entry["verified"] == true);
    CHECK(entry["tampered_verified"] == false);
    CHECK(entry["signature"].get<std::string>().rfind("v1,", 0) == 0);
    CHECK(entry["id"].get<std::string>().rfind("evt_", 0) == 0);
    const Json body = Json::parse(entry["body"].get<std::string>());
    types.insert(body["type"].get<std::string>());
    ids.insert(entry["id"].get<std::string>());
    CHECK(body["timestamp"].is_string());
    CHECK(body["data"].is_object());
  }
  CHECK(types == std::set<std::string>{"customer.created", "conversation.created"});
  CHECK(ids.size() == log.size());
  const auto deliveries = webhooks::ListDeliveries(db.pool(), acme);
  REQUIRE(deliveries.size() == 2);
  for (const auto& d : deliveries) {
    CHECK(d.status == 204);
    CHECK(d.error.empty());
    CHECK(d.attempt == 1);
  }
}

TEST_CASE("a receiver answering 500 twice gets the event a third time with the same webhook-id", "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  AddEndpoint(db.pool(), acme, receiver.Url("/fail-twice/"), {"customer.created"});
  NewCustomer(db.pool(), acme, "ann@example.com");
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  Drain(deliverer);
  CHECK(receiver.Log().size() == 1);
  // Backoff: 5 s after the first failure, then 20 s after the second.
  clock.Set(clock.Now() + seconds{4});
  Drain(deliverer);
  CHECK(receiver.Log().size() == 1);
  clock.Set(clock.Now() + seconds{1});
  Drain(deliverer);
  CHECK(receiver.Log().size() == 2);
  clock.Set(clock.Now() + seconds{20});
  Drain(deliverer);
  const Json log = receiver.Log();
  REQUIRE(log.size() == 3);
  CHECK(log[0]["id"] == log[1]["id"]);
  CHECK(log[1]["id"] == log[2]["id"]);
  CHECK(log[0]["body"] == log[2]["body"]);
  for (const auto& entry : log) CHECK(entry["verified"] == true);
  const auto deliveries = webhooks::ListDeliveries(db.pool(), acme);
  REQUIRE(deliveries.size() == 3);
  CHECK(deliveries[0].status == 204);
  CHECK(deliveries[0].attempt == 3);
  CHECK(deliveries[1].status == 500);
  CHECK(deliveries[1].error.find("HTTP 500") != std::string::npos);
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery' AND state = 'DONE'") == 1);
}

TEST_CASE("a hanging receiver is timed out and retried, and a redirect is not followed", "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  AddEndpoint(db.pool(), acme, receiver.Url("/hang/"), {"customer.created"});
  const std::string beta = AddBusiness(db.pool(), "beta");
  AddEndpoint(db.pool(), beta, receiver.Url("/redirect/"), {"customer.created"});
  NewCustomer(db.pool(), acme, "ann@example.com");
  NewCustomer(db.pool(), beta, "bob@example.com");
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback(300));
  const auto started = std::chrono::steady_clock::now();
  Drain(deliverer);
  CHECK(std::chrono::steady_clock::now() - started < seconds{5});
  const auto hung = webhooks::ListDeliveries(db.pool(), acme);
  REQUIRE(hung.size() == 1);
  CHECK(!hung[0].status);
  CHECK(hung[0].error == "timed out after 300 ms");
  const auto redirected = webhooks::ListDeliveries(db.pool(), beta);
  REQUIRE(redirected.size() == 1);
  CHECK(redirected[0].status == 302);
  CHECK(redirected[0].error.find("redirects are not followed") != std::string::npos);
  // Only the redirect itself reached the receiver, never its target.
  int ok_hits = 0;
  for (const auto& entry : receiver.Log()) ok_hits += entry["path"].get<std::string>().rfind("/ok", 0) == 0;
  CHECK(ok_hits == 0);
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery' AND state = 'PENDING'") == 2);
}

TEST_CASE("hanging receivers of one business do not hold back another business's deliveries", "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string slow = AddBusiness(db.pool(), "slow");
  const std::string fast = AddBusiness(db.pool(), "fast");
  AddEndpoint(db.pool(), slow, receiver.Url("/hang/"), {"customer.created"});
  for (int i = 0; i < 4; ++i) NewCustomer(db.pool(), slow, "c" + std::to_string(i) + "@example.com");
  AddEndpoint(db.pool(), fast, receiver.Url("/ok/fast"), {"customer.created"});
  NewCustomer(db.pool(), fast, "ann@example.com");
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback(2000));
  const auto started = std::chrono::steady_clock::now();
  CHECK(deliverer.RunOnce() == 5);
  // One after the other, the four hanging attempts alone would take 8 s.
  CHECK(std::chrono::steady_clock::now() - started < seconds{6});
  const auto delivered = webhooks::ListDeliveries(db.pool(), fast);
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].status == 204);
  CHECK(delivered[0].duration_ms < 1500);
  CHECK(webhooks::ListDeliveries(db.pool(), slow).size() == 4);
}

TEST_CASE("a business's events reach only its own endpoints, for every event type", "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string beta = AddBusiness(db.pool(), "beta");
  AddEndpoint(db.pool(), acme, receiver.Url("/ok/acme"));
  AddEndpoint(db.pool(), beta, receiver.Url("/ok/beta"), {"csat.submitted"});
  const std::string customer = NewCustomer(db.pool(), acme, "ann@example.com");
  const auto conversation = chat::Open(db.pool(), acme, {"", customer, false, chat::Channel::kWebchat, ""});
  chat::AddUserMessage(db.pool(), acme, conversation.id, "hello from the customer", RealNow());
  chat::Escalate(db.pool(), acme, conversation.id, "asked for a person");
  chat::HumanReply(db.pool(), acme, conversation.id, "hello from the team", "op@acme.example", RealNow());
  chat::Resolve(db.pool(), acme, conversation.id);
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  Drain(deliverer);
  std::set<std::string> acme_types;
  std::set<std::string> messages;
  for (const auto& entry : receiver.Log()) {
    INFO(entry.dump());
    CHECK(entry["path"] == "/ok/acme");
    const Json body = Json::parse(entry["body"].get<std::string>());
    acme_types.insert(body["type"].get<std::string>());
    if (body["type"] == "message.created") {
      CHECK(body["data"]["conversation_id"] == conversation.id);
      messages.insert(body["data"]["role"].get<std::string>() + ": " + body["data"]["content"].get<std::string>());
    }
  }
  CHECK(acme_types == std::set<std::string>{"customer.created", "conversation.created", "message.created",
                                            "conversation.escalated", "conversation.resolved"});
  CHECK(messages == std::set<std::string>{"user: hello from the customer", "human: hello from the team"});
  CHECK(webhooks::ListDeliveries(db.pool(), beta).empty());
  // Another business's ids are unknown here.
  const auto acme_endpoint = webhooks::ListEndpoints(db.pool(), acme).at(0).id;
  const auto acme_delivery = webhooks::ListDeliveries(db.pool(), acme).at(0).id;
  CHECK_THROWS_AS(webhooks::GetEndpoint(db.pool(), beta, acme_endpoint), NotFound);
  CHECK_THROWS_AS(webhooks::RemoveEndpoint(db.pool(), beta, acme_endpoint.substr(0, 8)), NotFound);
  CHECK_THROWS_AS(webhooks::ListDeliveries(db.pool(), beta, acme_endpoint), NotFound);
  CHECK_THROWS_AS(webhooks::Replay(db.pool(), beta, acme_delivery, clock.Now()), NotFound);
  CHECK_THROWS_AS(webhooks::SendTest(db.pool(), beta, acme_endpoint, Loopback(), clock.Now()), NotFound);
  CHECK(webhooks::ListEndpoints(db.pool(), acme).size() == 1);
}

TEST_CASE("a visitor's closing and rating publish conversation.resolved and csat.submitted", "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  AddEndpoint(db.pool(), acme, receiver.Url("/ok/"), {"conversation.resolved", "csat.submitted"});
  const chat::Visitor ann{"visitor-ann", "", false};
  chat::OpenRequest open;
  open.channel = chat::Channel::kWebchat;
  open.visitor_id = ann.visitor_id;
  const std::string conversation = chat::Open(db.pool(), acme, open).id;
  chat::AddUserMessage(db.pool(), acme, conversation, "Thanks!", RealNow());
  chat::CloseByVisitor(db.pool(), acme, ann, conversation);
  chat::RateByVisitor(db.pool(), acme, ann, conversation, 4, "quick and kind");
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  Drain(deliverer);
  const Json log = receiver.Log();
  REQUIRE(log.size() == 2);
  std::map<std::string, Json> by_type;
  for (const auto& entry : log) {
    CHECK(entry["verified"] == true);
    const Json body = Json::parse(entry["body"].get<std::string>());
    by_type[body["type"]] = body["data"];
  }
  CHECK(by_type["conversation.resolved"]["conversation_id"] == conversation);
  CHECK(by_type["csat.submitted"]["score"] == 4);
  CHECK(by_type["csat.submitted"]["comment"] == "quick and kind");
}

TEST_CASE("a business without a subscribed endpoint enqueues nothing per message", "[webhooks]") {
  test::TestDatabase db;
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string customer = NewCustomer(db.pool(), acme, "ann@example.com");
  AddEndpoint(db.pool(), acme, "http://127.0.0.1:9/", {"appointment.created"});
  const auto conversation = chat::Open(db.pool(), acme, {"", customer, false, chat::Channel::kWebchat, ""});
  for (int i = 0; i < 5; ++i) chat::AddUserMessage(db.pool(), acme, conversation.id, "m" + std::to_string(i), RealNow());
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery'") == 0);
}

TEST_CASE("private and loopback targets are refused unless allowed, also when reached by name", "[webhooks]") {
  test::TestDatabase db;
  const std::string acme = AddBusiness(db.pool(), "acme");
  for (const std::string url : {"http://127.0.0.1:8080/", "http://localhost/x", "https://10.1.2.3/", "http://[::1]/",
                                "http://169.254.169.254/latest/meta-data", "http://192.168.0.1/", "http://0.0.0.0/",
                                "http://[::ffff:127.0.0.1]/"}) {
    INFO(url);
    CHECK_THROWS_WITH(webhooks::AddEndpoint(db.pool(), acme, {url, "", {}, ""}, false),
                      Catch::Contains("is not a public address"));
  }
  CHECK_THROWS_WITH(webhooks::AddEndpoint(db.pool(), acme, {"ftp://example.com/", "", {}, ""}, false),
                    Catch::Contains("only http:// and https://"));
  CHECK_THROWS_WITH(webhooks::AddEndpoint(db.pool(), acme, {"https://u:p@example.com/", "", {}, ""}, false),
                    Catch::Contains("user name or password"));
  CHECK_THROWS_WITH(webhooks::AddEndpoint(db.pool(), acme, {"https://example.com/", "whsec_short", {}, ""}, false),
                    Catch::Contains("invalid webhook secret"));
  CHECK_THROWS_WITH(webhooks::AddEndpoint(db.pool(), acme, {"https://example.com/", "", {"message.deleted"}, ""}, false),
                    Catch::Contains("unknown webhook event \"message.deleted\""));
  // A public-looking name that resolves to loopback is refused when connecting.
  const auto endpoint = webhooks::AddEndpoint(db.pool(), acme, {"http://localtest.me:9/", "", {}, ""}, false);
  CHECK(endpoint.secret.rfind("whsec_", 0) == 0);
  CHECK(endpoint.endpoint.secret_prefix == endpoint.secret.substr(0, 10));
  webhooks::DeliverySettings strict;
  strict.timeout_ms = 2000;
  const auto refused = webhooks::SendTest(db.pool(), acme, endpoint.endpoint.id, strict, RealNow());
  if (refused.error.find("Could not resolve") == std::string::npos) {  // no DNS in this sandbox
    CHECK(refused.error.find("is not public") != std::string::npos);
  }
  webhooks::NewEndpoint by_ip{"http://127.0.0.2:9/", "", {}, ""};
  const auto allowed = webhooks::AddEndpoint(db.pool(), acme, by_ip, true);
  const auto blocked = webhooks::SendTest(db.pool(), acme, allowed.endpoint.id, strict, RealNow());
  CHECK(blocked.error == "refused: the target address 127.0.0.2 is not public (webhooks.allow_private_targets is off)");
}

TEST_CASE("an endpoint failing for 24 hours is disabled, its owner told once, and replay resends the same id",
          "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string endpoint = AddEndpoint(db.pool(), acme, "http://127.0.0.1:9/closed", {"customer.created"});
  NewCustomer(db.pool(), acme, "ann@example.com");
  test::FixedClock clock(RealNow());
  std::vector<webhooks::DisabledEndpoint> disabled;
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback(),
                                [&](const webhooks::DisabledEndpoint& d) {
                                  disabled.push_back(d);
                                  notify::EnqueueWebhookDisabledAlert(db.pool(), d.business_id, d.endpoint_id, d.url,
                                                                      d.reason, clock.Now());
                                });
  const TimePoint start = clock.Now();
  int attempts = 0;
  while (clock.Now() <= start + hours{25} && disabled.empty()) {
    Drain(deliverer);
    attempts = static_cast<int>(webhooks::ListDeliveries(db.pool(), acme).size());
    clock.Set(clock.Now() + std::chrono::minutes{10});
  }
  REQUIRE(disabled.size() == 1);
  CHECK(disabled[0].endpoint_id == endpoint);
  CHECK(disabled[0].business_id == acme);
  CHECK(attempts >= 8);
  const auto listed = webhooks::GetEndpoint(db.pool(), acme, endpoint);
  CHECK_FALSE(listed.enabled);
  CHECK(listed.disabled_reason.find("failing for 24 hours") != std::string::npos);
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery' AND state = 'DEAD'") == 1);
  // The owner is told, by e-mail when it is configured.
  notify::Notifier notifier(db.pool(), clock, {"Omni <notify@omni.example>", 16, 60000}, nullptr);
  while (notifier.RunOnce() > 0) {
  }
  const auto notices = notify::ListNotifications(db.pool(), acme);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].kind == "webhook_disabled");
  CHECK(notices[0].recipient == "owner@acme.example");
  CHECK(notices[0].subject == "Webhook disabled: http://127.0.0.1:9/closed");
  CHECK(notices[0].status == "NOT_SENT");
  // Disabled: new events are not queued for it, and its deliveries cannot be replayed.
  NewCustomer(db.pool(), acme, "bob@example.com");
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery'") == 1);
  const auto last = webhooks::ListDeliveries(db.pool(), acme).at(0);
  CHECK_THROWS_AS(webhooks::Replay(db.pool(), acme, last.id, clock.Now()), Conflict);

  // A working endpoint: replay queues the same event again with its id.
  const std::string good = AddEndpoint(db.pool(), acme, receiver.Url("/ok/"), {"customer.created"});
  NewCustomer(db.pool(), acme, "cy@example.com");
  clock.Set(RealNow());
  Drain(deliverer);
  const auto first = webhooks::ListDeliveries(db.pool(), acme, good).at(0);
  CHECK(first.status == 204);
  webhooks::Replay(db.pool(), acme, first.id, clock.Now());
  Drain(deliverer);
  const Json log = receiver.Log();
  REQUIRE(log.size() == 2);
  CHECK(log[0]["id"] == log[1]["id"]);
  CHECK(log[1]["verified"] == true);
  CHECK(log[0]["id"] == first.event_id);
}

TEST_CASE("an endpoint disabled after 24 hours of failures is enabled again with its id, secret and a fresh streak",
          "[webhooks][enable]") {
  test::TestDatabase db;
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string other = AddBusiness(db.pool(), "other");
  const std::string endpoint = AddEndpoint(db.pool(), acme, "http://127.0.0.1:9/closed", {"customer.created"});
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  // Events take the database's time: the clock follows them.
  NewCustomer(db.pool(), acme, "ann@example.com");
  clock.Set(RealNow());
  Drain(deliverer);
  clock.Set(clock.Now() + hours{25});
  NewCustomer(db.pool(), acme, "bob@example.com");
  Drain(deliverer);
  REQUIRE_FALSE(webhooks::GetEndpoint(db.pool(), acme, endpoint).enabled);

  // Another business's id is not found, and changes nothing.
  CHECK_THROWS_AS(webhooks::SetEnabled(db.pool(), other, endpoint, true, clock.Now()), NotFound);
  CHECK_FALSE(webhooks::GetEndpoint(db.pool(), acme, endpoint).enabled);

  const auto enabled = webhooks::SetEnabled(db.pool(), acme, endpoint.substr(0, 8), true, clock.Now());
  CHECK(enabled.id == endpoint);
  CHECK(enabled.enabled);
  CHECK_FALSE(enabled.failing_since);
  CHECK_FALSE(enabled.disabled_at);
  CHECK(enabled.disabled_reason.empty());
  CHECK(Count(db.pool(), "SELECT count(*) FROM webhook_endpoints WHERE secret = '" + kSecret + "'") == 1);
  // The next failure starts a new streak instead of disabling it again at once.
  NewCustomer(db.pool(), acme, "cy@example.com");
  Drain(deliverer);
  const auto after = webhooks::GetEndpoint(db.pool(), acme, endpoint);
  CHECK(after.enabled);
  REQUIRE(after.failing_since);
  CHECK(*after.failing_since == clock.Now());
}

TEST_CASE("an endpoint disabled for maintenance gets no events, and once enabled is signed with the same secret",
          "[webhooks][enable]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string other = AddBusiness(db.pool(), "other");
  const std::string endpoint = AddEndpoint(db.pool(), acme, receiver.Url("/ok/"), {"customer.created"});
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());

  CHECK_THROWS_AS(webhooks::SetEnabled(db.pool(), other, endpoint, false, clock.Now()), NotFound);
  CHECK(webhooks::GetEndpoint(db.pool(), acme, endpoint).enabled);
  const auto disabled = webhooks::SetEnabled(db.pool(), acme, endpoint, false, clock.Now(), "moving servers");
  CHECK_FALSE(disabled.enabled);
  CHECK(disabled.disabled_reason == "moving servers");
  CHECK(disabled.disabled_at == clock.Now());
  CHECK(webhooks::SetEnabled(db.pool(), acme, endpoint, false, clock.Now()).disabled_reason == "moving servers");
  NewCustomer(db.pool(), acme, "ann@example.com");
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery'") == 0);

  webhooks::SetEnabled(db.pool(), acme, endpoint, true, clock.Now());
  NewCustomer(db.pool(), acme, "bob@example.com");
  clock.Set(RealNow());
  Drain(deliverer);
  const Json log = receiver.Log();
  REQUIRE(log.size() == 1);
  CHECK(log[0]["verified"] == true);
  CHECK(Json::parse(log[0]["body"].get<std::string>())["data"]["email"] == "bob@example.com");
}

TEST_CASE("deliveries and finished delivery jobs past retention are pruned in batches, of every business only them",
          "[webhooks][retention]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string other = AddBusiness(db.pool(), "other");
  AddEndpoint(db.pool(), acme, receiver.Url("/ok/acme"), {"customer.created"});
  AddEndpoint(db.pool(), other, receiver.Url("/ok/other"), {"customer.created"});
  NewCustomer(db.pool(), acme, "ann@example.com");
  NewCustomer(db.pool(), acme, "bob@example.com");
  NewCustomer(db.pool(), other, "cy@example.com");
  const TimePoint start = RealNow();
  test::FixedClock clock(start);
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  Drain(deliverer);
  // A finished job of another queue, and a delivery still waiting, are not the pruner's.
  const auto meter = jobs::Enqueue(db.pool(), {"stripe.meter_events", acme, Json::object(), start, "", 3}).id;
  const auto claimed = jobs::Claim(db.pool(), "stripe.meter_events", 1, std::chrono::minutes{1}, start);
  REQUIRE(claimed.size() == 1);
  jobs::Complete(db.pool(), claimed[0], start);
  const auto waiting =
      jobs::Enqueue(db.pool(), {webhooks::kDeliveryQueue, acme, Json::object(), start + hours{24 * 365}, "", 3}).id;

  clock.Set(start + hours{24 * 20});
  NewCustomer(db.pool(), acme, "dee@example.com");
  Drain(deliverer);
  REQUIRE(webhooks::ListDeliveries(db.pool(), acme).size() == 3);
  REQUIRE(webhooks::ListDeliveries(db.pool(), other).size() == 1);
  // The receiver refuses a timestamp 20 days ahead of its own clock, so that delivery ends DEAD: finished too.
  REQUIRE(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery'"
                           " AND state IN ('DONE', 'DEAD')") == 4);

  clock.Set(start + hours{24 * 31});
  const TimePoint before = clock.Now() - hours{24 * 30};
  const auto first = webhooks::Prune(db.pool(), before, 2);
  CHECK(first.deliveries == 2);
  CHECK(first.jobs == 2);
  const auto second = webhooks::Prune(db.pool(), before, 2);
  CHECK(second.deliveries == 1);
  CHECK(second.jobs == 1);
  const auto third = webhooks::Prune(db.pool(), before, 2);
  CHECK(third.deliveries == 0);
  CHECK(third.jobs == 0);

  const auto kept = webhooks::ListDeliveries(db.pool(), acme);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].at == start + hours{24 * 20});
  CHECK(webhooks::ListDeliveries(db.pool(), other).empty());
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE id = " + std::to_string(meter)) == 1);
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE id = " + std::to_string(waiting)) == 1);
  CHECK(Count(db.pool(), "SELECT count(*) FROM jobs WHERE queue = 'webhooks.delivery'") == 2);
  // The delivery that is kept still has its event to replay.
  CHECK(webhooks::Replay(db.pool(), acme, kept[0].id, clock.Now()) > 0);
}

TEST_CASE("appointment events carry the issue's names, cancelled included, in the booking's transaction",
          "[webhooks]") {
  test::TestDatabase db;
  Receiver receiver;
  const std::string acme = WithTransaction(db.pool(), [&](pqxx::work& tx) {
    const std::string day = R"([["00:00","23:59"]])";
    std::string weekly = "{";
    for (const char* name : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}) {
      weekly += std::string(weekly.size() > 1 ? "," : "") + "\"" + name + "\":" + day;
    }
    weekly += "}";
    const std::string id = tx.exec_params("INSERT INTO businesses (slug, name, timezone, email, weekly_hours,"
                                          " min_notice_min) VALUES ('acme', 'Acme', 'UTC', 'owner@acme.example',"
                                          " $1::jsonb, 0) RETURNING id::text",
                                          weekly)[0][0]
                               .as<std::string>();
    tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, 'Cut', 60)", id);
    return id;
  });
  AddEndpoint(db.pool(), acme, receiver.Url("/ok/"),
              {"appointment.created", "appointment.rescheduled", "appointment.cancelled"});
  test::FixedClock clock(RealNow());
  booking::BookingService service(db.pool(), clock);
  booking::CreateRequest request;
  request.service = "Cut";
  // 10:00 UTC two days ahead: the move to noon stays inside the day's
  // hours whatever the time the test runs.
  request.start = std::chrono::floor<std::chrono::days>(clock.Now()) + hours{48 + 10};
  request.customer = {"Ann Lee", "ann@example.com", ""};
  const auto booked = service.Create(acme, request);
  REQUIRE(booked.outcome == booking::BookingResult::kBooked);
  const std::string id = booked.appointment->id;
  REQUIRE(service.Reschedule(acme, id, request.start + hours{2}).outcome == booking::BookingResult::kBooked);
  service.Cancel(acme, id, "ill");
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  Drain(deliverer);
  std::vector<std::string> types;
  for (const auto& entry : receiver.Log()) {
    CHECK(entry["verified"] == true);
    const Json body = Json::parse(entry["body"].get<std::string>());
    types.push_back(body["type"]);
    CHECK(body["data"]["appointment_id"] == id);
  }
  std::sort(types.begin(), types.end());
  CHECK(types == std::vector<std::string>{"appointment.cancelled", "appointment.created", "appointment.rescheduled"});
}

}  // namespace omni

namespace omni {
namespace {

std::vector<std::string> Signatures(const Json& entry) {
  std::vector<std::string> out;
  std::string text = entry["signature"].get<std::string>();
  for (std::size_t from = 0; from <= text.size();) {
    const std::size_t space = std::min(text.find(' ', from), text.size());
    out.push_back(text.substr(from, space - from));
    from = space + 1;
  }
  return out;
}

std::string Expected(const std::string& secret, const Json& entry) {
  return webhooks::Sign(secret, entry["id"], std::stoll(entry["timestamp"].get<std::string>()),
                        entry["body"].get<std::string>());
}

long long SecretRows(db::Pool& pool, const std::string& secret) {
  return WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params("SELECT count(*) FROM webhook_endpoints WHERE secret = $1 OR previous_secret = $1",
                          secret)[0][0]
        .as<long long>();
  });
}

}  // namespace

TEST_CASE("during a rotation's overlap deliveries and retries verify under the old and the new secret, after it "
          "only under the new one, and the old one is erased",
          "[webhooks][rotation]") {
  test::TestDatabase db;
  Receiver receiver(kNewSecret);
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string endpoint = AddEndpoint(db.pool(), acme, receiver.Url("/fail-twice/"), {"customer.created"});
  NewCustomer(db.pool(), acme, "ann@example.com");
  test::FixedClock clock(RealNow());
  webhooks::Deliverer deliverer(db.pool(), clock, Loopback());
  Drain(deliverer);
  {
    const Json log = receiver.Log();
    REQUIRE(log.size() == 1);
    CHECK(log[0]["verified_by"] == Json::array({true, false}));
    CHECK(Signatures(log[0]) == std::vector<std::string>{Expected(kSecret, log[0])});
  }

  const TimePoint rotated_at = clock.Now();
  const auto rotated = webhooks::RotateSecret(db.pool(), acme, endpoint, kNewSecret, seconds{60}, rotated_at);
  CHECK(rotated.secret == kNewSecret);
  CHECK(rotated.endpoint.secret_prefix == kNewSecret.substr(0, 10));
  CHECK(rotated.endpoint.previous_secret_prefix == kSecret.substr(0, 10));
  CHECK(rotated.endpoint.previous_secret_expires_at == rotated_at + seconds{60});

  // The event's retries after the rotation are signed with both secrets, the new one first.
  clock.Set(rotated_at + seconds{5});
  Drain(deliverer);
  clock.Set(rotated_at + seconds{25});
  Drain(deliverer);
  const auto test_delivery = webhooks::SendTest(db.pool(), acme, endpoint, Loopback(), clock.Now());
  {
    const Json log = receiver.Log();
    REQUIRE(log.size() == 4);
    for (std::size_t i = 1; i < 4; ++i) {
      INFO(log[i].dump());
      CHECK(log[i]["verified_by"] == Json::array({true, true}));
      CHECK(Signatures(log[i]) == std::vector<std::string>{Expected(kNewSecret, log[i]), Expected(kSecret, log[i])});
    }
    CHECK(log[2]["id"] == log[0]["id"]);
  }
  CHECK(webhooks::ListDeliveries(db.pool(), acme, endpoint, 10).at(1).status == 204);
  CHECK(test_delivery.status == 500);  // fail-twice: the test event's first try
  const auto listed = webhooks::ListEndpoints(db.pool(), acme).at(0);
  CHECK(listed.previous_secret_prefix == kSecret.substr(0, 10));
  CHECK(listed.previous_secret_expires_at == rotated_at + seconds{60});
  CHECK(SecretRows(db.pool(), kSecret) == 1);

  // From the overlap's end on, only the new secret signs, and the old one is gone from the database.
  clock.Set(rotated_at + seconds{60});
  NewCustomer(db.pool(), acme, "bob@example.com");
  Drain(deliverer);
  CHECK(SecretRows(db.pool(), kSecret) == 0);
  const Json log = receiver.Log();
  REQUIRE(log.size() == 5);
  CHECK(log[4]["verified_by"] == Json::array({false, true}));
  CHECK(Signatures(log[4]) == std::vector<std::string>{Expected(kNewSecret, log[4])});
  const auto after = webhooks::GetEndpoint(db.pool(), acme, endpoint);
  CHECK(after.previous_secret_prefix.empty());
  CHECK_FALSE(after.previous_secret_expires_at);
}

TEST_CASE("rotating a secret: generated or given, again during an overlap, at once, refused inputs, another "
          "business's endpoint not found",
          "[webhooks][rotation]") {
  test::TestDatabase db;
  const std::string acme = AddBusiness(db.pool(), "acme");
  const std::string other = AddBusiness(db.pool(), "other");
  const std::string endpoint = AddEndpoint(db.pool(), acme, "http://127.0.0.1:9/", {"customer.created"});
  const std::string others = AddEndpoint(db.pool(), other, "http://127.0.0.1:9/other", {"customer.created"});
  const TimePoint now = RealNow();

  // Another business's endpoint, by id or prefix, is not found and keeps its secret.
  CHECK_THROWS_AS(webhooks::RotateSecret(db.pool(), other, endpoint, "", hours{24}, now), NotFound);
  CHECK_THROWS_AS(webhooks::RotateSecret(db.pool(), acme, others.substr(0, 8), kNewSecret, hours{24}, now), NotFound);
  CHECK(SecretRows(db.pool(), kSecret) == 2);
  CHECK(SecretRows(db.pool(), kNewSecret) == 0);

  // Refused: the same secret, a malformed one, an overlap out of range. Nothing changes.
  CHECK_THROWS_WITH(webhooks::RotateSecret(db.pool(), acme, endpoint, kSecret, hours{24}, now),
                    Catch::Contains("is the endpoint's current secret"));
  CHECK_THROWS_WITH(webhooks::RotateSecret(db.pool(), acme, endpoint, "whsec_short", hours{24}, now),
                    Catch::Contains("invalid webhook secret"));
  CHECK_THROWS_AS(webhooks::RotateSecret(db.pool(), acme, endpoint, "", hours{24 * 30 + 1}, now), InvalidInput);
  CHECK_THROWS_AS(webhooks::RotateSecret(db.pool(), acme, endpoint, "", seconds{-1}, now), InvalidInput);
  CHECK(webhooks::GetEndpoint(db.pool(), acme, endpoint).previous_secret_prefix.empty());
  CHECK(SecretRows(db.pool(), kSecret) == 2);

  // Generated, by id prefix: the old one signs for the overlap.
  const auto first = webhooks::RotateSecret(db.pool(), acme, endpoint.substr(0, 8), "", hours{24}, now);
  CHECK(first.endpoint.id == endpoint);
  CHECK(first.secret.rfind("whsec_", 0) == 0);
  CHECK(first.secret != kSecret);
  CHECK(first.endpoint.secret_prefix == first.secret.substr(0, 10));
  CHECK(first.endpoint.previous_secret_prefix == kSecret.substr(0, 10));
  CHECK(first.endpoint.previous_secret_expires_at == now + hours{24});

  // Again during the overlap: the pending old secret is replaced by the current one.
  const auto second = webhooks::RotateSecret(db.pool(), acme, endpoint, kNewSecret, hours{2}, now + hours{1});
  CHECK(second.endpoint.secret_prefix == kNewSecret.substr(0, 10));
  CHECK(second.endpoint.previous_secret_prefix == first.secret.substr(0, 10));
  CHECK(second.endpoint.previous_secret_expires_at == now + hours{3});
  CHECK(SecretRows(db.pool(), kSecret) == 1);  // only the other business's
  CHECK(SecretRows(db.pool(), first.secret) == 1);
  const auto shown = webhooks::GetEndpoint(db.pool(), acme, endpoint);
  CHECK(shown.previous_secret_prefix == first.secret.substr(0, 10));
  CHECK(shown.previous_secret_expires_at == now + hours{3});
  CHECK(webhooks::GetEndpoint(db.pool(), other, others).previous_secret_prefix.empty());

  // Erasing at an instant erases only the overlaps over by then, of every business.
  webhooks::RotateSecret(db.pool(), other, others, "", hours{10}, now);
  CHECK(webhooks::EraseExpiredSecrets(db.pool(), now + hours{3} - seconds{1}) == 0);
  CHECK(webhooks::EraseExpiredSecrets(db.pool(), now + hours{3}) == 1);
  CHECK(SecretRows(db.pool(), first.secret) == 0);
  CHECK(SecretRows(db.pool(), kSecret) == 1);
  CHECK(webhooks::EraseExpiredSecrets(db.pool(), now + hours{10}) == 1);
  CHECK(SecretRows(db.pool(), kSecret) == 0);

  // A zero overlap stops the old secret at once.
  webhooks::RotateSecret(db.pool(), acme, endpoint, "", hours{24}, now);
  const auto immediate = webhooks::RotateSecret(db.pool(), acme, endpoint, kSecret, seconds{0}, now);
  CHECK(immediate.endpoint.previous_secret_prefix.empty());
  CHECK_FALSE(immediate.endpoint.previous_secret_expires_at);
  CHECK(SecretRows(db.pool(), kNewSecret) == 0);
  CHECK(WithTransaction(db.pool(), [&](pqxx::work& tx) {
          return tx.exec("SELECT count(*) FROM webhook_endpoints WHERE previous_secret IS NOT NULL"
                         " OR previous_secret_expires_at IS NOT NULL")[0][0]
              .as<int>();
        }) == 0);
}

}  // namespace omni
