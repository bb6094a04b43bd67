// The operator API of omnid, end to end: the real omnid binary on a
// throwaway database with two businesses. Login (cookie attributes, CSRF
// token, errors that never tell whether an account exists, brute force
// throttled), sessions that expire and end at logout, the set-password
// link's endpoint, each resource (conversations, customers, appointments,
// knowledge, the conversations export, usage, billing, keys and team), and
// the authorization matrix: one row per /v1/console route omnid lists
// (omnid --routes; a route without a row fails), each tried with no
// credential, another business's session and key, each role by session and
// by key, a session without its CSRF token, and every {id} route with
// another business's record, each answered exactly 401, 403 or 404 with no
// data of another business.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <date/date.h>

#include "core/billing/plans.hpp"
#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/chat/notes.hpp"
#include "core/common/clock.hpp"
#include "core/customers/customers.hpp"
#include "core/db/pqxx.hpp"
#include "core/kb/documents.hpp"
#include "core/kb/ingest.hpp"
#include "core/operators/keys.hpp"
#include "core/operators/users.hpp"
#include "tests/support/fake_stripe.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace omni {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using operators::Role;
using test::HttpHeaders;
using test::HttpRequest;
using test::HttpResult;

constexpr const char* kPassword = "correct horse battery";

// The console section every case runs with: login throttled after 3
// failures unless `console` says otherwise.
std::string ConsoleYaml(const std::string& console = "  login_max_failures: 3\n") { return "console:\n" + console; }

// A business open every hour of every day (UTC), so any future hour is a
// bookable start, with one 30-minute service.
std::string BusinessYaml(const std::string& slug) {
  std::string hours;
  for (const char* day : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) {
    hours += std::string("  ") + day + ": [[\"00:00\", \"24:00\"]]\n";
  }
  return "slug: " + slug + "\nname: N\ntimezone: UTC\nplan: ENTERPRISE\nhours:\n" + hours +
         "booking: {slot_interval_min: 60, min_notice_min: 0, advance_days: 60}\n"
         "services:\n  - {name: Cut, duration_min: 30, price: 30}\n";
}

// Two businesses with a user and a key of each role in "salon", an owner
// and a key in "rival", and in both: conversations, a customer, an
// appointment, a knowledge document and an extra agent, every text of them
// holding "<slug> secret" so that a leak shows.
struct Desk {
  Desk() {
    for (const char* slug : {"salon", "rival"}) {
      auto spec = business::ParseBusinessSpec(BusinessYaml(slug), "t.yaml");
      business_ids[slug] = business::Apply(db.pool(), spec).business_id;
    }
    const auto now = DefaultClock().Now();
    for (Role role : {Role::kOwner, Role::kAdmin, Role::kAgent}) {
      const std::string name = operators::RoleName(role);
      operators::AddUser(db.pool(), business_ids["salon"],
                         {.email = name + "@salon.example", .name = name, .role = role, .password = kPassword}, plans, now);
      keys["salon/" + name] = operators::CreateKey(db.pool(), business_ids["salon"], name, role, now).secret;
    }
    operators::AddUser(db.pool(), business_ids["rival"],
                       {.email = "OWNER@rival.example", .name = "", .role = Role::kOwner, .password = kPassword}, plans, now);
    keys["rival/OWNER"] = operators::CreateKey(db.pool(), business_ids["rival"], "rival", Role::kOwner, now).secret;
    for (const char* slug : {"salon", "rival"}) {
      for (int i = 0; i < 3; ++i) {
        chat::OpenRequest open;
        open.channel = chat::Channel::kWebchat;
        open.visitor_id = std::string(slug) + "-visitor-" + std::to_string(i);
        const auto id = chat::Open(db.pool(), business_ids[slug], open).id;
        chat::AddUserMessage(db.pool(), business_ids[slug], id, std::string(slug) + " secret question " + std::to_string(i),
                             now + std::chrono::seconds(i));
        conversations[slug].push_back(id);
      }
      customer[slug] = NewCustomer(slug);
      appointment[slug] = NewAppointment(slug);
      document[slug] = NewDocument(slug);
      extra_user[slug] = NewUser(slug);
    }
  }

  std::string NewCustomer(const std::string& slug) {
    const std::string n = std::to_string(++counter);
    return customers::FindOrCreate(db.pool(), business_ids[slug],
                                   {.name = slug + " secret customer " + n, .email = "c" + n + "@" + slug + ".example"})
        .customer.id;
  }
  // The start of a free hour: each call a later one, two days ahead and on.
  std::string NextStart() {
    const int n = ++slot;
    const auto day = std::chrono::floor<std::chrono::days>(DefaultClock().Now()) + std::chrono::days(2 + n / 20);
    return date::format("%FT%H:00:00Z", day + std::chrono::hours(n % 20));
  }
  std::string NewAppointment(const std::string& slug) {
    booking::CreateRequest request;
    request.service = "Cut";
    request.start = booking::ParseStartTime(NextStart(), "UTC");
    request.customer = {slug + " secret booker", "b" + std::to_string(++counter) + "@" + slug + ".example", ""};
    const auto result = booking::BookingService(db.pool(), DefaultClock()).Create(business_ids[slug], request);
    REQUIRE(result.outcome == booking::BookingResult::kBooked);
    return result.appointment->id;
  }
  std::string NewDocument(const std::string& slug) {
    const std::string external_id = slug + "-doc-" + std::to_string(++counter) + ".md";
    kb::IngestOptions options;
    options.inputs = {"-"};
    options.stdin_id = external_id;
    options.title = slug + " secret policy";
    kb::IngestEnvironment environment;
    environment.read_stdin = [&](std::size_t) { return "# Refunds\n\n" + slug + " secret refund policy: within 30 days.\n"; };
    const auto report = kb::Ingest(db.pool(), business_ids[slug], config::KbSettings{}, options, environment);
    REQUIRE(report.added == 1);
    return kb::GetDocument(db.pool(), business_ids[slug], external_id).id;
  }
  std::string NewUser(const std::string& slug) {
    const std::string n = std::to_string(++counter);
    return operators::AddUser(db.pool(), business_ids[slug],
                              {.email = "u" + n + "@" + slug + ".example", .name = slug + " secret user", .role = Role::kAgent},
                              plans, DefaultClock().Now())
        .user.id;
  }
  std::string NewKey(const std::string& slug) {
    return operators::CreateKey(db.pool(), business_ids[slug], "key " + std::to_string(++counter), Role::kAgent,
                                DefaultClock().Now())
        .key.id;
  }

  test::TestDatabase db;
  const billing::BillingSettings plans;
  int counter = 0;
  int slot = 0;
  std::map<std::string, std::string> business_ids;
  std::map<std::string, std::string> keys;  // "salon/OWNER" -> secret
  std::map<std::string, std::vector<std::string>> conversations;
  std::map<std::string, std::string> customer;
  std::map<std::string, std::string> appointment;
  std::map<std::string, std::string> document;
  std::map<std::string, std::string> extra_user;
};

struct SignedIn {
  std::string cookie;  // "omni_session=..."
  std::string csrf;
  std::string set_cookie;
};

HttpResult PostJson(std::uint16_t port, const std::string& path, const json& body, HttpHeaders headers = {}) {
  headers["Content-Type"] = "application/json";
  return HttpRequest(port, "POST", path, body.dump(), headers);
}

HttpResult Login(std::uint16_t port, const std::string& business, const std::string& email,
                 const std::string& password) {
  return PostJson(port, "/v1/console/login", {{"business", business}, {"email", email}, {"password", password}});
}

SignedIn SignIn(std::uint16_t port, const std::string& business, const std::string& email) {
  const auto response = Login(port, business, email, kPassword);
  INFO(response.body);
  REQUIRE(response.status == 200);
  SignedIn in;
  in.set_cookie = response.Header("Set-Cookie").value_or("");
  in.cookie = in.set_cookie.substr(0, in.set_cookie.find(';'));
  in.csrf = response.Json()["csrf_token"];
  return in;
}

HttpHeaders SessionHeaders(const SignedIn& in, bool with_csrf = true) {
  HttpHeaders headers{{"Cookie", "theme=dark; " + in.cookie}};
  if (with_csrf) headers["X-CSRF-Token"] = in.csrf;
  return headers;
}

HttpHeaders KeyHeaders(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

void CheckError(const HttpResult& response, int status, const std::string& code) {
  INFO(response.status << " " << response.body);
  CHECK(response.status == status);
  const json body = json::parse(response.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body["error"]["code"] == code);
  CHECK(body["error"]["message"].is_string());
}

}  // namespace

TEST_CASE("console login sets a strict session cookie and answers one error for every wrong part", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto ok = Login(port, "salon", "admin@SALON.example", kPassword);
  REQUIRE(ok.status == 200);
  const std::string set_cookie = ok.Header("Set-Cookie").value_or("");
  CHECK(set_cookie.rfind("omni_session=oms_", 0) == 0);
  CHECK(set_cookie.find("; HttpOnly") != std::string::npos);
  CHECK(set_cookie.find("; SameSite=Lax") != std::string::npos);
  CHECK(set_cookie.find("; Path=/") != std::string::npos);
  CHECK(set_cookie.find("Max-Age=43200") != std::string::npos);
  CHECK(set_cookie.find("Secure") == std::string::npos);  // public_url is http
  CHECK(ok.Header("Cache-Control") == "no-store");
  const json me = ok.Json();
  CHECK(me["role"] == "ADMIN");
  CHECK(me["business"]["slug"] == "salon");
  CHECK(me["user"]["email"] == "ADMIN@salon.example");
  CHECK_FALSE(me["csrf_token"].get<std::string>().empty());

  // Wrong password, unknown email, another business, unknown business: the
  // same status and body.
  const auto wrong = Login(port, "salon", "admin@salon.example", "wrong password!");
  CheckError(wrong, 401, "invalid_credentials");
  for (const auto& [business, email] : std::vector<std::pair<std::string, std::string>>{
           {"salon", "nobody@salon.example"}, {"rival", "admin@salon.example"}, {"no-such", "admin@salon.example"}}) {
    const auto other = Login(port, business, email, kPassword);
    CHECK(other.status == 401);
    CHECK(other.body == wrong.body);
  }
  // A form post (no JSON) is refused before anything is checked.
  const auto form = HttpRequest(port, "POST", "/v1/console/login", "business=salon&email=a&password=b",
                                {{"Content-Type", "application/x-www-form-urlencoded"}});
  CheckError(form, 415, "unsupported_media_type");
  CheckError(PostJson(port, "/v1/console/login", {{"business", "salon"}}), 400, "invalid_input");
}

TEST_CASE("console login is throttled per account after repeated failures, right password or not", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  for (int i = 0; i < 3; ++i) CheckError(Login(port, "salon", "agent@salon.example", "guess " + std::to_string(i)), 401, "invalid_credentials");
  const auto throttled = Login(port, "salon", "agent@salon.example", kPassword);
  CheckError(throttled, 429, "rate_limited");
  const int retry_after = std::stoi(throttled.Header("Retry-After").value_or("0"));
  CHECK(retry_after > 800);
  CHECK(retry_after <= 900);
  // An account that does not exist is throttled the same way.
  for (int i = 0; i < 3; ++i) Login(port, "salon", "ghost@salon.example", "guess");
  CheckError(Login(port, "salon", "ghost@salon.example", "guess"), 429, "rate_limited");
  // Another account is unaffected.
  CHECK(Login(port, "salon", "owner@salon.example", kPassword).status == 200);
}

TEST_CASE("console sessions expire, end at logout, and are Secure behind https", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml("  session_ttl_s: 2\n"),
                          "  public_url: https://desk.example.com\n");
  const auto port = omnid.port();
  const SignedIn first = SignIn(port, "salon", "agent@salon.example");
  CHECK(first.set_cookie.find("; Secure") != std::string::npos);
  CHECK(first.set_cookie.find("Max-Age=2") != std::string::npos);
  const auto me = HttpRequest(port, "GET", "/v1/console/me", "", SessionHeaders(first, false));
  REQUIRE(me.status == 200);
  CHECK(me.Json()["csrf_token"] == first.csrf);
  std::this_thread::sleep_for(2200ms);
  const auto expired = HttpRequest(port, "GET", "/v1/console/me", "", SessionHeaders(first, false));
  CheckError(expired, 401, "unauthorized");
  CHECK(expired.Header("Set-Cookie").value_or("").find("Max-Age=0") != std::string::npos);

  const SignedIn second = SignIn(port, "salon", "agent@salon.example");
  CheckError(HttpRequest(port, "POST", "/v1/console/logout", "", SessionHeaders(second, false)), 403, "csrf_failed");
  const auto out = HttpRequest(port, "POST", "/v1/console/logout", "", SessionHeaders(second));
  CHECK(out.status == 204);
  CHECK(out.Header("Set-Cookie").value_or("").find("omni_session=; ") != std::string::npos);
  CheckError(HttpRequest(port, "GET", "/v1/console/me", "", SessionHeaders(second, false)), 401, "unauthorized");
  CheckError(HttpRequest(port, "POST", "/v1/console/logout", "", KeyHeaders(desk.keys["salon/OWNER"])), 400,
             "invalid_input");
}

TEST_CASE("the set-password link's endpoint sets a password once", "[console]") {
  Desk desk;
  const auto invited = operators::AddUser(desk.db.pool(), desk.business_ids["rival"],
                                          {.email = "new@rival.example", .name = "", .role = Role::kAgent},
                                          billing::BillingSettings{}, DefaultClock().Now());
  REQUIRE(invited.set_password);
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  CheckError(Login(port, "rival", "new@rival.example", "a long new password"), 401, "invalid_credentials");
  const json body = {{"token", invited.set_password->token}, {"password", "a long new password"}};
  CheckError(PostJson(port, "/v1/console/password", {{"token", invited.set_password->token}, {"password", "short"}}),
             400, "invalid_input");
  const auto set = PostJson(port, "/v1/console/password", body);
  INFO(set.body);
  REQUIRE(set.status == 200);
  CHECK(set.Json()["email"] == "new@rival.example");
  CHECK(Login(port, "rival", "new@rival.example", "a long new password").status == 200);
  CheckError(PostJson(port, "/v1/console/password", body), 400, "invalid_input");
  CheckError(PostJson(port, "/v1/console/password", {{"token", "omp_forged"}, {"password", "a long new password"}}),
             400, "invalid_input");
}

TEST_CASE("console conversations page by cursor without repeats and show the transcript", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto headers = KeyHeaders(desk.keys["salon/AGENT"]);
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    const auto page = HttpRequest(port, "GET", "/v1/console/conversations?limit=2" +
                                                   (cursor.empty() ? "" : "&cursor=" + cursor), "", headers);
    INFO(page.body);
    REQUIRE(page.status == 200);
    const json body = page.Json();
    for (const auto& c : body["conversations"]) seen.push_back(c["id"]);
    cursor = body["next_cursor"].is_null() ? "" : body["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 2);
  CHECK(seen == std::vector<std::string>(desk.conversations["salon"].rbegin(), desk.conversations["salon"].rend()));
  CheckError(HttpRequest(port, "GET", "/v1/console/conversations?cursor=nonsense", "", headers), 400, "invalid_input");
  CheckError(HttpRequest(port, "GET", "/v1/console/conversations?limit=0", "", headers), 400, "invalid_input");
  CheckError(HttpRequest(port, "GET", "/v1/console/conversations?status=bogus", "", headers), 400, "invalid_input");

  const std::string id = desk.conversations["salon"][0];
  const auto reply = PostJson(port, "/v1/console/conversations/" + id + "/reply", {{"text", "Maria here"}}, headers);
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  CHECK(reply.Json()["conversation"]["status"] == "ESCALATED");
  const auto shown = HttpRequest(port, "GET", "/v1/console/conversations/" + id, "", headers);
  REQUIRE(shown.status == 200);
  const json transcript = shown.Json()["messages"];
  REQUIRE(transcript.size() == 2);
  CHECK(transcript[0]["role"] == "USER");
  CHECK(transcript[0]["content"] == "salon secret question 0");
  CHECK(transcript[1]["role"] == "HUMAN");
  CHECK(transcript[1]["author"] == "key:AGENT");
  const auto resolved = HttpRequest(port, "POST", "/v1/console/conversations/" + id + "/resolve", "", headers);
  REQUIRE(resolved.status == 200);
  CHECK(resolved.Json()["conversation"]["status"] == "RESOLVED");
  CHECK(chat::Get(desk.db.pool(), desk.business_ids["salon"], id).status == chat::ConversationStatus::kResolved);
}

// One row per /v1/console route: who may call it, what it answers them,
// and how to aim it at a record of a business. Destructive routes get a
// fresh target on every call, so that each call is judged on its own.
struct Target {
  std::string path;
  std::string body;  // JSON; "" for none
};
struct MatrixRow {
  std::string method;
  std::string pattern;        // as in omnid's route table
  std::set<std::string> roles;  // roles allowed; empty: a public route (login, password)
  int ok = 200;               // the status an allowed caller gets
  bool names_record = false;  // the path names a record of the business
  bool session_only = false;  // needs a session (logout)
  std::function<Target(Desk&, const std::string& slug)> target;
  // A stream that stays open; its credentials are tried in
  // tests/http/console_live_test.cpp.
  bool streams = false;
};

const std::set<std::string> kEveryone = {"OWNER", "ADMIN", "AGENT"};
const std::set<std::string> kManagers = {"OWNER", "ADMIN"};
const std::set<std::string> kOwners = {"OWNER"};

std::vector<MatrixRow> MatrixRows() {
  const auto fixed = [](std::string path, std::string body = "") {
    return [path, body](Desk&, const std::string&) { return Target{path, body}; };
  };
  const std::string base = "/v1/console";
  return {
      {"POST", base + "/login", {}, 200, false, false, fixed(base + "/login")},
      {"POST", base + "/password", {}, 200, false, false, fixed(base + "/password")},
      {"POST", base + "/logout", kEveryone, 204, false, true, fixed(base + "/logout")},
      {"GET", base + "/me", kEveryone, 200, false, false, fixed(base + "/me")},
      {"GET", base + "/conversations", kEveryone, 200, false, false, fixed(base + "/conversations")},
      {"GET", base + "/conversations/{id}", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/conversations/" + d.conversations[slug][1], ""}; }},
      {"POST", base + "/conversations/{id}/reply", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/conversations/" + d.conversations[slug][1] + "/reply", R"({"text":"hello"})"};
       }},
      {"POST", base + "/conversations/{id}/resolve", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/conversations/" + d.conversations[slug][1] + "/resolve", ""}; }},
      // After resolve: each role's pass finds the conversation resolved, so
      // reopening it succeeds.
      {"POST", base + "/conversations/{id}/reopen", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/conversations/" + d.conversations[slug][1] + "/reopen", ""};
       }},
      {"POST", base + "/conversations/{id}/escalate", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/conversations/" + d.conversations[slug][1] + "/escalate", R"({"reason":"needs a person"})"};
       }},
      {"POST", base + "/conversations/{id}/assign", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/conversations/" + d.conversations[slug][1] + "/assign", R"({"user_id":null})"};
       }},
      {"GET", base + "/teammates", kEveryone, 200, false, false, fixed(base + "/teammates")},
      {"GET", base + "/conversations/{id}/notes", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/conversations/" + d.conversations[slug][1] + "/notes", ""};
       }},
      {"POST", base + "/conversations/{id}/notes", kEveryone, 201, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/conversations/" + d.conversations[slug][1] + "/notes", R"({"body":"call back"})"};
       }},
      {"GET", base + "/conversations/{id}/customer", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/conversations/" + d.conversations[slug][1] + "/customer", ""};
       }},
      {"GET", base + "/events", kEveryone, 200, false, false, fixed(base + "/events"), true},
      {"GET", base + "/analytics/summary", kManagers, 200, false, false, fixed(base + "/analytics/summary?since=7d")},
      {"GET", base + "/analytics/trends", kManagers, 200, false, false,
       fixed(base + "/analytics/trends?metric=conversations&since=7d")},
      {"GET", base + "/analytics/chart", kManagers, 200, false, false,
       fixed(base + "/analytics/chart?metric=handoff_rate&since=7d")},
      {"GET", base + "/team", kOwners, 200, false, false, fixed(base + "/team")},
      {"POST", base + "/team", kOwners, 201, false, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/team", json{{"email", "new" + std::to_string(++d.counter) + "@" + slug + ".example"},
                                            {"role", "AGENT"}}.dump()};
       }},
      {"PATCH", base + "/team/{id}", kOwners, 200, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/team/" + d.extra_user[slug], R"({"role":"AGENT"})"}; }},
      {"DELETE", base + "/team/{id}", kOwners, 204, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/team/" + d.NewUser(slug), ""}; }},
      {"GET", base + "/keys", kOwners, 200, false, false, fixed(base + "/keys")},
      {"POST", base + "/keys", kOwners, 201, false, false,
       [=](Desk& d, const std::string&) {
         return Target{base + "/keys", json{{"name", "made " + std::to_string(++d.counter)}, {"role", "AGENT"}}.dump()};
       }},
      {"DELETE", base + "/keys/{id}", kOwners, 204, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/keys/" + d.NewKey(slug), ""}; }},
      {"GET", base + "/customers", kEveryone, 200, false, false, fixed(base + "/customers")},
      {"GET", base + "/customers/{id}", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/customers/" + d.customer[slug], ""}; }},
      {"PATCH", base + "/customers/{id}", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/customers/" + d.customer[slug], R"({"notes":"changed"})"}; }},
      {"POST", base + "/customers/{id}/tags", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/customers/" + d.customer[slug] + "/tags", R"({"add":["vip"]})"}; }},
      {"POST", base + "/customers/{id}/merge", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/customers/" + d.customer[slug] + "/merge", json{{"other", d.NewCustomer(slug)}}.dump()};
       }},
      {"GET", base + "/appointments", kEveryone, 200, false, false, fixed(base + "/appointments")},
      {"GET", base + "/slots", kEveryone, 200, false, false, fixed(base + "/slots?service=Cut")},
      {"POST", base + "/appointments", kEveryone, 201, false, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/appointments",
                       json{{"service", "Cut"}, {"start", d.NextStart()},
                            {"customer", {{"name", "Walk In"}, {"email", "walkin@" + slug + ".example"}}}}.dump()};
       }},
      {"POST", base + "/appointments/{id}/reschedule", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) {
         return Target{base + "/appointments/" + d.appointment[slug] + "/reschedule", json{{"start", d.NextStart()}}.dump()};
       }},
      {"POST", base + "/appointments/{id}/cancel", kEveryone, 200, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/appointments/" + d.NewAppointment(slug) + "/cancel", ""}; }},
      {"GET", base + "/knowledge", kEveryone, 200, false, false, fixed(base + "/knowledge")},
      {"POST", base + "/knowledge", kManagers, 201, false, false,
       fixed(base + "/knowledge", R"({"title":"Parking","text":"Free parking behind the shop."})")},
      {"DELETE", base + "/knowledge/{id}", kManagers, 204, true, false,
       [=](Desk& d, const std::string& slug) { return Target{base + "/knowledge/" + d.NewDocument(slug), ""}; }},
      {"GET", base + "/knowledge/search", kEveryone, 200, false, false, fixed(base + "/knowledge/search?q=refund")},
      {"GET", base + "/analytics/conversations", kManagers, 200, false, false, fixed(base + "/analytics/conversations")},
      {"GET", base + "/usage", kOwners, 200, false, false, fixed(base + "/usage")},
      {"GET", base + "/billing", kOwners, 200, false, false, fixed(base + "/billing")},
      // omnid runs here without stripe.api_key: an owner gets through to 503.
      {"POST", base + "/billing/portal", kOwners, 503, false, false, fixed(base + "/billing/portal")},
  };
}

std::vector<std::pair<std::string, std::string>> RoutesOfOmnid() {
  test::Process process(OMNID_PATH, test::ProcessOptions{.args = {"--routes"}});
  REQUIRE(process.Wait(30s) == 0);
  std::vector<std::pair<std::string, std::string>> routes;
  std::istringstream lines(process.Stdout());
  std::string method;
  std::string pattern;
  while (lines >> method >> pattern) routes.emplace_back(method, pattern);
  return routes;
}

TEST_CASE("the authorization matrix has a row for every /v1/console route omnid serves, and no other", "[console]") {
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& route : RoutesOfOmnid()) {
    if (route.second.rfind("/v1/console/", 0) == 0) served.insert(route);
  }
  std::set<std::pair<std::string, std::string>> rows;
  for (const auto& row : MatrixRows()) rows.insert({row.method, row.pattern});
  CHECK(served.size() > 30);
  for (const auto& route : served) {
    INFO("served but not in the matrix: " << route.first << " " << route.second);
    CHECK(rows.count(route) == 1);
  }
  for (const auto& row : rows) {
    INFO("in the matrix but not served: " << row.first << " " << row.second);
    CHECK(served.count(row) == 1);
  }
}

TEST_CASE("authorization matrix: every operator endpoint by credential, business, role and CSRF", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml("  login_max_failures: 50\n"));
  const auto port = omnid.port();
  std::vector<MatrixRow> rows = MatrixRows();
  std::erase_if(rows, [](const MatrixRow& row) { return row.roles.empty() || row.streams; });

  const auto call = [&](const Target& t, const MatrixRow& row, HttpHeaders headers) {
    if (!t.body.empty()) headers["Content-Type"] = "application/json";
    return HttpRequest(port, row.method, t.path, t.body, headers);
  };
  // Nothing of the other business's may appear in an answer, beyond the id
  // the request itself named (a 404 message repeats it).
  const auto check_no_leak = [&](const HttpResult& response, const std::string& other, const Target& target) {
    for (const auto& id : desk.conversations[other]) {
      if (target.path.find(id) == std::string::npos) CHECK(response.body.find(id) == std::string::npos);
    }
    for (const auto* id : {&desk.customer[other], &desk.appointment[other], &desk.document[other], &desk.extra_user[other]}) {
      if (target.path.find(*id) == std::string::npos) CHECK(response.body.find(*id) == std::string::npos);
    }
    CHECK(response.body.find(other + " secret") == std::string::npos);
    CHECK(response.body.find("@" + other + ".example") == std::string::npos);
    CHECK(response.body.find(desk.business_ids[other]) == std::string::npos);
  };

  SECTION("no credential, a forged one, or a revoked key: 401") {
    const auto revoked = operators::CreateKey(desk.db.pool(), desk.business_ids["salon"], "gone", Role::kOwner,
                                              DefaultClock().Now());
    operators::RevokeKey(desk.db.pool(), desk.business_ids["salon"], "gone", DefaultClock().Now());
    for (const auto& row : rows) {
      INFO(row.method << " " << row.pattern);
      for (const HttpHeaders& headers :
           {HttpHeaders{}, HttpHeaders{{"Cookie", "omni_session=oms_forged"}, {"X-CSRF-Token", "x"}},
            KeyHeaders("omk_forged"), KeyHeaders(revoked.secret), HttpHeaders{{"Authorization", "Basic YTpi"}}}) {
        const Target target = row.target(desk, "salon");
        const auto response = call(target, row, headers);
        CheckError(response, 401, "unauthorized");
        CHECK(response.Header("WWW-Authenticate").has_value());
        check_no_leak(response, "salon", target);
      }
    }
  }

  SECTION("each role, by session and by key: exactly its permissions") {
    std::map<std::string, SignedIn> sessions;
    for (const std::string role : {"OWNER", "ADMIN", "AGENT"}) sessions[role] = SignIn(port, "salon", role + "@salon.example");
    for (const std::string role : {"OWNER", "ADMIN", "AGENT"}) {
      for (const bool by_key : {false, true}) {
        for (const auto& row : rows) {
          if (by_key && row.session_only) continue;  // a key has no session
          INFO(role << (by_key ? " key " : " session ") << row.method << " " << row.pattern);
          // Logging out ends the session: it gets one of its own.
          const SignedIn in = row.session_only ? SignIn(port, "salon", role + "@salon.example") : sessions[role];
          const Target target = row.target(desk, "salon");
          const auto response = call(target, row, by_key ? KeyHeaders(desk.keys["salon/" + role]) : SessionHeaders(in));
          INFO(response.body);
          if (row.roles.count(role) == 0) {
            CheckError(response, 403, "forbidden");
          } else {
            CHECK(response.status == row.ok);
          }
          check_no_leak(response, "rival", target);
        }
      }
    }
  }

  SECTION("another business's session or key: 404 for our records, its own data only, nothing of ours changed") {
    const SignedIn rival = SignIn(port, "rival", "owner@rival.example");
    for (const bool by_key : {false, true}) {
      for (const auto& row : rows) {
        if (by_key && row.session_only) continue;
        INFO((by_key ? "rival key " : "rival session ") << row.method << " " << row.pattern);
        const SignedIn in = row.session_only ? SignIn(port, "rival", "owner@rival.example") : rival;
        const Target target = row.target(desk, row.names_record ? "salon" : "rival");
        const auto response = call(target, row, by_key ? KeyHeaders(desk.keys["rival/OWNER"]) : SessionHeaders(in));
        INFO(response.body);
        if (row.names_record) {
          CheckError(response, 404, "not_found");
        } else {
          CHECK(response.status == row.ok);
        }
        check_no_leak(response, "salon", target);
      }
    }
    const std::string& salon = desk.business_ids["salon"];
    const std::string ours = desk.conversations["salon"][1];
    CHECK(chat::Get(desk.db.pool(), salon, ours).status == chat::ConversationStatus::kAiActive);
    CHECK(chat::Messages(desk.db.pool(), salon, ours).size() == 1);
    CHECK(chat::Notes(desk.db.pool(), salon, ours).empty());
    const auto customer = customers::Get(desk.db.pool(), salon, desk.customer["salon"]);
    CHECK(customer.notes.empty());
    CHECK(customer.tags.empty());
    CHECK(booking::BookingService(desk.db.pool(), DefaultClock()).Get(salon, desk.appointment["salon"]).sequence == 0);
    CHECK(operators::GetUser(desk.db.pool(), salon, desk.extra_user["salon"]).role == Role::kAgent);
  }

  SECTION("our owner aimed at another business's records: 404, and nothing of theirs changes") {
    const SignedIn owner = SignIn(port, "salon", "owner@salon.example");
    for (const bool by_key : {false, true}) {
      for (const auto& row : rows) {
        if (!row.names_record) continue;
        INFO((by_key ? "key " : "session ") << row.method << " " << row.pattern);
        const Target target = row.target(desk, "rival");
        const auto response = call(target, row, by_key ? KeyHeaders(desk.keys["salon/OWNER"]) : SessionHeaders(owner));
        CheckError(response, 404, "not_found");
        check_no_leak(response, "rival", target);
      }
    }
    const std::string& rival = desk.business_ids["rival"];
    CHECK(customers::Get(desk.db.pool(), rival, desk.customer["rival"]).notes.empty());
    CHECK(chat::Messages(desk.db.pool(), rival, desk.conversations["rival"][1]).size() == 1);
    CHECK(booking::BookingService(desk.db.pool(), DefaultClock()).Get(rival, desk.appointment["rival"]).sequence == 0);
  }

  SECTION("a session's unsafe request without its CSRF token: 403, and nothing changes") {
    const SignedIn owner = SignIn(port, "salon", "owner@salon.example");
    const SignedIn other = SignIn(port, "salon", "agent@salon.example");
    const std::size_t documents_before = kb::ListDocuments(desk.db.pool(), desk.business_ids["salon"]).size();
    for (const auto& row : rows) {
      if (row.method == "GET") continue;
      INFO(row.method << " " << row.pattern);
      const Target target = row.target(desk, "salon");
      CheckError(call(target, row, SessionHeaders(owner, false)), 403, "csrf_failed");
      HttpHeaders wrong = SessionHeaders(owner, false);
      wrong["X-CSRF-Token"] = other.csrf;  // another session's token
      CheckError(call(target, row, wrong), 403, "csrf_failed");
    }
    const std::string& salon = desk.business_ids["salon"];
    const std::string& ours = desk.conversations["salon"][1];
    CHECK(chat::Get(desk.db.pool(), salon, ours).status == chat::ConversationStatus::kAiActive);
    CHECK(chat::Get(desk.db.pool(), salon, ours).assigned_to.empty());
    CHECK(chat::Notes(desk.db.pool(), salon, ours).empty());
    CHECK(customers::Get(desk.db.pool(), salon, desk.customer["salon"]).notes.empty());
    // The document made as DELETE's target is still there, and POST added none.
    CHECK(kb::ListDocuments(desk.db.pool(), salon).size() == documents_before + 1);
    CHECK(HttpRequest(port, "GET", "/v1/console/me", "", SessionHeaders(owner, false)).status == 200);
  }
}

namespace {

HttpResult Send(std::uint16_t port, const std::string& method, const std::string& path, const json& body,
                HttpHeaders headers) {
  if (!body.is_null()) headers["Content-Type"] = "application/json";
  return HttpRequest(port, method, path, body.is_null() ? "" : body.dump(), headers);
}

std::vector<std::string> Ids(const json& list) {
  std::vector<std::string> ids;
  for (const auto& item : list) ids.push_back(item["id"]);
  return ids;
}

}  // namespace

TEST_CASE("console customers: search, tag filters, cursor paging, update, tags and merge", "[console]") {
  Desk desk;
  const std::string& salon = desk.business_ids["salon"];
  const std::string vip = desk.NewCustomer("salon");
  const std::string regular = desk.NewCustomer("salon");
  customers::Update(desk.db.pool(), salon, vip, {.add_tags = {"vip", "color"}});
  customers::Update(desk.db.pool(), salon, regular, {.add_tags = {"color"}});
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto key = KeyHeaders(desk.keys["salon/AGENT"]);

  // Paging one at a time visits every customer of the business once.
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 20; ++pages) {
    const auto page = HttpRequest(port, "GET", "/v1/console/customers?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor), "", key);
    REQUIRE(page.status == 200);
    for (const auto& id : Ids(page.Json()["customers"])) seen.push_back(id);
    if (page.Json()["next_cursor"].is_null()) break;
    cursor = page.Json()["next_cursor"];
  }
  const auto all = customers::List(desk.db.pool(), salon, {.limit = 100}).customers;
  CHECK(seen.size() == all.size());
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == all.size());
  CHECK(std::find(seen.begin(), seen.end(), desk.customer["rival"]) == seen.end());

  CHECK(Ids(HttpRequest(port, "GET", "/v1/console/customers?tags=vip,color", "", key).Json()["customers"]) ==
        std::vector<std::string>{vip});
  const auto any = Ids(HttpRequest(port, "GET", "/v1/console/customers?any_tags=vip,color", "", key).Json()["customers"]);
  CHECK(std::set<std::string>(any.begin(), any.end()) == std::set<std::string>{vip, regular});
  const auto found = HttpRequest(port, "GET", "/v1/console/customers?q=secret%20customer%20" + std::to_string(desk.counter - 1), "", key);
  CHECK(Ids(found.Json()["customers"]) == std::vector<std::string>{vip});
  CheckError(HttpRequest(port, "GET", "/v1/console/customers?cursor=garbage", "", key), 400, "invalid_input");

  const auto shown = HttpRequest(port, "GET", "/v1/console/customers/" + desk.customer["salon"], "", key);
  REQUIRE(shown.status == 200);
  CHECK(shown.Json()["upcoming"].is_array());
  // A prefix is the CLI's convenience; the API takes full ids.
  CheckError(HttpRequest(port, "GET", "/v1/console/customers/" + vip.substr(0, 8), "", key), 404, "not_found");

  const auto patched = Send(port, "PATCH", "/v1/console/customers/" + vip,
                            {{"notes", "likes tea"}, {"phone", "+1 415 555 0130"}, {"metadata", {{"floor", "2"}}}}, key);
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  CHECK(patched.Json()["notes"] == "likes tea");
  CHECK(patched.Json()["metadata"]["floor"] == "2");
  CheckError(Send(port, "PATCH", "/v1/console/customers/" + regular, {{"phone", "+1 415 555 0130"}}, key), 409, "conflict");
  CheckError(Send(port, "PATCH", "/v1/console/customers/" + vip, {{"tags", {"x"}}}, key), 400, "invalid_input");

  const auto tagged = Send(port, "POST", "/v1/console/customers/" + vip + "/tags", {{"add", {"Gold"}}, {"remove", {"color"}}}, key);
  REQUIRE(tagged.status == 200);
  CHECK(tagged.Json()["tags"] == json{"gold", "vip"});

  const auto merged = Send(port, "POST", "/v1/console/customers/" + vip + "/merge", {{"other", regular}}, key);
  INFO(merged.body);
  REQUIRE(merged.status == 200);
  CHECK(merged.Json()["customer"]["id"] == vip);
  CHECK(merged.Json()["removed_id"] == regular);
  CHECK(merged.Json()["customer"]["tags"] == json{"color", "gold", "vip"});
  CheckError(HttpRequest(port, "GET", "/v1/console/customers/" + regular, "", key), 404, "not_found");
  CheckError(Send(port, "POST", "/v1/console/customers/" + vip + "/merge", {{"other", vip}}, key), 400, "invalid_input");
  // Another business's customer is never merged in.
  CheckError(Send(port, "POST", "/v1/console/customers/" + vip + "/merge", {{"other", desk.customer["rival"]}}, key), 404,
             "not_found");
  CHECK(customers::Get(desk.db.pool(), desk.business_ids["rival"], desk.customer["rival"]).id == desk.customer["rival"]);
}

TEST_CASE("console customers carry phone_display: a home phone in national format, a foreign one international",
          "[console]") {
  Desk desk;
  const std::string& salon = desk.business_ids["salon"];
  db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE businesses SET phone_region = 'US' WHERE id = $1::uuid", salon);
  });
  const auto with_phone = [&](const std::string& phone) {
    return customers::FindOrCreate(desk.db.pool(), salon, {.name = "caller", .phone = phone}).customer.id;
  };
  const std::string home = with_phone("+1 212 555 0123");
  const std::string abroad = with_phone("+44 20 7946 0018");
  const std::string& conversation = desk.conversations["salon"][0];
  db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE conversations SET customer_id = $3::uuid WHERE business_id = $1::uuid AND id = $2::uuid",
                   salon, conversation, abroad);
  });
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto key = KeyHeaders(desk.keys["salon/AGENT"]);

  const auto shown = HttpRequest(port, "GET", "/v1/console/customers/" + home, "", key);
  REQUIRE(shown.status == 200);
  CHECK(shown.Json()["phone"] == "+12125550123");
  CHECK(shown.Json()["phone_display"] == "(212) 555-0123");
  const auto listed = HttpRequest(port, "GET", "/v1/console/customers?q=caller", "", key);
  REQUIRE(listed.status == 200);
  const json listed_body = listed.Json();
  std::map<std::string, json> displayed;
  for (const auto& c : listed_body["customers"]) displayed[c["id"].get<std::string>()] = c["phone_display"];
  CHECK(displayed[home] == "(212) 555-0123");
  CHECK(displayed[abroad] == "+44 20 7946 0018");
  const auto no_phone = HttpRequest(port, "GET", "/v1/console/customers/" + desk.customer["salon"], "", key);
  CHECK(no_phone.Json()["phone_display"].is_null());

  const auto panel = HttpRequest(port, "GET", "/v1/console/conversations/" + conversation + "/customer", "", key);
  REQUIRE(panel.status == 200);
  CHECK(panel.Json()["customer"]["phone"] == "+442079460018");
  CHECK(panel.Json()["customer"]["phone_display"] == "+44 20 7946 0018");
  const auto listing = HttpRequest(port, "GET", "/v1/console/conversations/" + conversation, "", key);
  REQUIRE(listing.status == 200);
  CHECK(listing.Json()["conversation"]["customer"]["phone_display"] == "+44 20 7946 0018");

  // Another business's key reaches neither.
  const auto rival = KeyHeaders(desk.keys["rival/OWNER"]);
  CheckError(HttpRequest(port, "GET", "/v1/console/customers/" + home, "", rival), 404, "not_found");
  CheckError(HttpRequest(port, "GET", "/v1/console/conversations/" + conversation + "/customer", "", rival), 404,
             "not_found");
}

TEST_CASE("console appointments: range and cursor, slots, booking, a taken slot's alternatives, reschedule, cancel",
          "[console]") {
  Desk desk;
  std::vector<std::string> booked = {desk.appointment["salon"]};
  for (int i = 0; i < 3; ++i) booked.push_back(desk.NewAppointment("salon"));
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto key = KeyHeaders(desk.keys["salon/AGENT"]);

  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page =
        HttpRequest(port, "GET", "/v1/console/appointments?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), "", key);
    INFO(page.body);
    REQUIRE(page.status == 200);
    for (const auto& id : Ids(page.Json()["appointments"])) seen.push_back(id);
    if (page.Json()["next_cursor"].is_null()) break;
    cursor = page.Json()["next_cursor"];
  }
  CHECK(seen == booked);  // by start, each once, none of rival's
  const auto listed = HttpRequest(port, "GET", "/v1/console/appointments", "", key).Json()["appointments"];
  const std::string first_start = listed[0]["start"];
  const std::string second_start = listed[1]["start"];
  const auto later = HttpRequest(port, "GET", "/v1/console/appointments?from=" + second_start, "", key);
  CHECK(Ids(later.Json()["appointments"]) == std::vector<std::string>(booked.begin() + 1, booked.end()));
  CheckError(HttpRequest(port, "GET", "/v1/console/appointments?cursor=12.nope", "", key), 400, "invalid_input");

  const std::string day = desk.NextStart().substr(0, 10);
  const auto slots = HttpRequest(port, "GET", "/v1/console/slots?service=Cut&date=" + day, "", key);
  INFO(slots.body);
  REQUIRE(slots.status == 200);
  CHECK(slots.Json()["time_zone"] == "UTC");
  CHECK(slots.Json()["starts"].size() >= 20);
  CheckError(HttpRequest(port, "GET", "/v1/console/slots?service=Nope", "", key), 404, "not_found");
  CheckError(HttpRequest(port, "GET", "/v1/console/slots", "", key), 400, "invalid_input");

  const std::string start = desk.NextStart();
  const json request = {{"service", "Cut"}, {"start", start}, {"customer", {{"name", "Ines"}, {"email", "ines@salon.example"}}}};
  const auto made = Send(port, "POST", "/v1/console/appointments", request, key);
  INFO(made.body);
  REQUIRE(made.status == 201);
  CHECK(made.Json()["start"] == start);
  CHECK(made.Json()["status"] == "SCHEDULED");
  const std::string id = made.Json()["id"];
  const auto taken = Send(port, "POST", "/v1/console/appointments", request, key);
  CheckError(taken, 409, "slot_taken");
  CHECK_FALSE(taken.Json()["alternatives"].empty());

  const std::string moved_to = desk.NextStart();
  const auto moved = Send(port, "POST", "/v1/console/appointments/" + id + "/reschedule", {{"start", moved_to}}, key);
  REQUIRE(moved.status == 200);
  CHECK(moved.Json()["start"] == moved_to);
  CHECK(moved.Json()["sequence"] == 1);
  CheckError(Send(port, "POST", "/v1/console/appointments/" + id + "/reschedule", {{"start", first_start}}, key), 409, "slot_taken");

  const auto canceled = Send(port, "POST", "/v1/console/appointments/" + id + "/cancel", {{"reason", "sick"}}, key);
  REQUIRE(canceled.status == 200);
  CHECK(canceled.Json()["status"] == "CANCELED");
  CHECK(canceled.Json()["cancel_reason"] == "sick");
  CheckError(Send(port, "POST", "/v1/console/appointments/" + id + "/reschedule", {{"start", desk.NextStart()}}, key), 409,
             "conflict");
}

TEST_CASE("console knowledge: add a document, list, search what the assistant would retrieve, remove", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto admin = KeyHeaders(desk.keys["salon/ADMIN"]);
  const auto added = Send(port, "POST", "/v1/console/knowledge",
                          {{"title", "Parking"}, {"text", "# Parking\n\nFree parking behind the shop, entrance on Elm Street."},
                           {"type", "POLICY"}, {"tags", {"visit"}}},
                          admin);
  INFO(added.body);
  REQUIRE(added.status == 201);
  const std::string id = added.Json()["id"];
  CHECK(added.Json()["title"] == "Parking");
  CHECK(added.Json()["type"] == "POLICY");
  CHECK(added.Json()["chunks"].get<int>() >= 1);
  // Another add without an external id is another document; with the same
  // external id it updates that one.
  const json named = {{"title", "Hours"}, {"text", "Open late on Thursdays."}, {"external_id", "hours"}};
  CHECK(Send(port, "POST", "/v1/console/knowledge", named, admin).status == 201);
  json changed = named;
  changed["text"] = "Open late on Thursdays and Fridays.";
  const auto updated = Send(port, "POST", "/v1/console/knowledge", changed, admin);
  CHECK(updated.status == 200);
  CheckError(Send(port, "POST", "/v1/console/knowledge", {{"title", "x"}, {"text", "y"}, {"format", "pdf"}}, admin), 400,
             "invalid_input");
  // The title the operator typed names the document, not the text's own heading.
  const auto titled = Send(port, "POST", "/v1/console/knowledge",
                           {{"title", "Getting here"}, {"text", "# Directions\n\nTake the 12 bus to Elm Street."},
                            {"external_id", "directions"}},
                           admin);
  CHECK(titled.Json()["title"] == "Getting here");
  CHECK(HttpRequest(port, "DELETE", "/v1/console/knowledge/" + titled.Json()["id"].get<std::string>(), "", admin).status ==
        204);

  const auto listed = HttpRequest(port, "GET", "/v1/console/knowledge?limit=2", "", admin);
  REQUIRE(listed.status == 200);
  CHECK(listed.Json()["documents"].size() == 2);
  const auto rest = HttpRequest(port, "GET", "/v1/console/knowledge?limit=2&cursor=" + listed.Json()["next_cursor"].get<std::string>(), "", admin);
  CHECK(rest.Json()["documents"].size() == 1);
  CHECK(rest.Json()["next_cursor"].is_null());

  const auto search = HttpRequest(port, "GET", "/v1/console/knowledge/search?q=where%20can%20I%20park", "", KeyHeaders(desk.keys["salon/AGENT"]));
  INFO(search.body);
  REQUIRE(search.status == 200);
  REQUIRE_FALSE(search.Json()["hits"].empty());
  CHECK(search.Json()["hits"][0]["document_id"] == id);
  CHECK(search.Json()["hits"][0]["score"].get<double>() > 0);
  CHECK(search.Json()["hits"][0]["rank"] == 1);
  CheckError(HttpRequest(port, "GET", "/v1/console/knowledge/search?q=", "", admin), 400, "invalid_input");

  CHECK(HttpRequest(port, "DELETE", "/v1/console/knowledge/" + id, "", admin).status == 204);
  CheckError(HttpRequest(port, "DELETE", "/v1/console/knowledge/" + id, "", admin), 404, "not_found");
  const auto after = HttpRequest(port, "GET", "/v1/console/knowledge/search?q=parking", "", admin);
  const json hits = after.Json()["hits"];
  for (const auto& hit : hits) CHECK(hit["document_id"] != id);
}

TEST_CASE("console analytics export streams every conversation of the range as csv or json", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto key = KeyHeaders(desk.keys["salon/ADMIN"]);
  const auto as_json = HttpRequest(port, "GET", "/v1/console/analytics/conversations", "", key);
  INFO(as_json.body);
  REQUIRE(as_json.status == 200);
  CHECK(as_json.Header("Content-Type") == "application/json");
  CHECK(as_json.Header("Transfer-Encoding") == "chunked");
  const json rows = as_json.Json();
  REQUIRE(rows.size() == 3);
  std::set<std::string> ids;
  for (const auto& row : rows) ids.insert(row["id"]);
  CHECK(ids == std::set<std::string>(desk.conversations["salon"].begin(), desk.conversations["salon"].end()));
  CHECK(rows[0]["messages_in"] == 1);

  HttpHeaders csv_headers = key;
  csv_headers["Accept"] = "text/csv";
  const auto as_csv = HttpRequest(port, "GET", "/v1/console/analytics/conversations", "", csv_headers);
  REQUIRE(as_csv.status == 200);
  CHECK(as_csv.Header("Content-Type") == "text/csv; charset=utf-8");
  CHECK(as_csv.body.rfind("id,channel,customer_id,customer_name,started_at,", 0) == 0);
  CHECK(std::count(as_csv.body.begin(), as_csv.body.end(), '\n') == 4);
  for (const auto& id : desk.conversations["salon"]) CHECK(as_csv.body.find(id) != std::string::npos);
  CHECK(HttpRequest(port, "GET", "/v1/console/analytics/conversations?format=csv", "", key).body == as_csv.body);

  const auto none = HttpRequest(port, "GET", "/v1/console/analytics/conversations?from=2020-01-01&to=2020-01-31", "", key);
  CHECK(none.Json() == json::array());
  CheckError(HttpRequest(port, "GET", "/v1/console/analytics/conversations?from=2026-02-01&to=2026-01-01", "", key), 400,
             "invalid_input");
  CheckError(HttpRequest(port, "GET", "/v1/console/analytics/conversations?format=xml", "", key), 400, "invalid_input");
}

TEST_CASE("console team and keys: invite with a set-password link, change a role, remove; keys made, listed and revoked",
          "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml(), "  public_url: https://desk.example.com\n");
  const auto port = omnid.port();
  const auto owner = KeyHeaders(desk.keys["salon/OWNER"]);
  const auto invited = Send(port, "POST", "/v1/console/team", {{"email", "nina@salon.example"}, {"role", "admin"}}, owner);
  INFO(invited.body);
  REQUIRE(invited.status == 201);
  CHECK(invited.Json()["user"]["status"] == "invited");
  CHECK(invited.Json()["user"]["role"] == "ADMIN");
  const std::string link = invited.Json()["set_password_url"];
  CHECK(link.rfind("https://desk.example.com/console/set-password#token=omp_", 0) == 0);
  const std::string token = link.substr(link.find("token=") + 6);
  CHECK(PostJson(port, "/v1/console/password", {{"token", token}, {"password", "a long new password"}}).status == 200);
  CHECK(Login(port, "salon", "nina@salon.example", "a long new password").status == 200);
  CheckError(Send(port, "POST", "/v1/console/team", {{"email", "NINA@salon.example"}, {"role", "AGENT"}}, owner), 409, "conflict");
  CheckError(Send(port, "POST", "/v1/console/team", {{"email", "x@salon.example"}, {"role", "king"}}, owner), 400, "invalid_input");

  const std::string nina = invited.Json()["user"]["id"];
  const auto demoted = Send(port, "PATCH", "/v1/console/team/" + nina, {{"role", "AGENT"}}, owner);
  REQUIRE(demoted.status == 200);
  CHECK(demoted.Json()["role"] == "AGENT");
  const std::string owner_id = operators::GetUser(desk.db.pool(), desk.business_ids["salon"], "OWNER@salon.example").id;
  CheckError(Send(port, "PATCH", "/v1/console/team/" + owner_id, {{"role", "AGENT"}}, owner), 409, "conflict");
  CheckError(HttpRequest(port, "DELETE", "/v1/console/team/" + owner_id, "", owner), 409, "conflict");
  CHECK(HttpRequest(port, "DELETE", "/v1/console/team/" + nina, "", owner).status == 204);
  CheckError(Login(port, "salon", "nina@salon.example", "a long new password"), 401, "invalid_credentials");

  const auto made = Send(port, "POST", "/v1/console/keys", {{"name", "zapier"}, {"role", "AGENT"}}, owner);
  INFO(made.body);
  REQUIRE(made.status == 201);
  const std::string secret = made.Json()["secret"];
  CHECK(secret.rfind(made.Json()["prefix"].get<std::string>(), 0) == 0);
  CHECK(HttpRequest(port, "GET", "/v1/console/me", "", KeyHeaders(secret)).Json()["role"] == "AGENT");
  const auto keys = HttpRequest(port, "GET", "/v1/console/keys", "", owner);
  CHECK(keys.body.find(secret) == std::string::npos);
  CHECK(keys.body.find("zapier") != std::string::npos);
  CheckError(Send(port, "POST", "/v1/console/keys", {{"name", "zapier"}, {"role", "AGENT"}}, owner), 409, "conflict");
  CHECK(HttpRequest(port, "DELETE", "/v1/console/keys/" + made.Json()["id"].get<std::string>(), "", owner).status == 204);
  CheckError(HttpRequest(port, "GET", "/v1/console/me", "", KeyHeaders(secret)), 401, "unauthorized");
}

TEST_CASE("console usage and billing show the owner the plan and its limits", "[console]") {
  Desk desk;
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const auto owner = KeyHeaders(desk.keys["salon/OWNER"]);
  const auto usage = HttpRequest(port, "GET", "/v1/console/usage", "", owner);
  INFO(usage.body);
  REQUIRE(usage.status == 200);
  CHECK(usage.Json()["plan"] == "ENTERPRISE");
  std::map<std::string, json> limits;
  const json report = usage.Json();
  for (const auto& limit : report["limits"]) limits[limit["metric"].get<std::string>()] = limit;
  CHECK(limits.at("operators")["used"] == 4);
  CHECK(limits.at("operators")["limit"].is_null());
  CHECK(limits.at("documents")["used"] == 1);
  const auto billing = HttpRequest(port, "GET", "/v1/console/billing", "", owner);
  REQUIRE(billing.status == 200);
  CHECK(billing.Json()["linked"] == false);
  const auto portal = HttpRequest(port, "POST", "/v1/console/billing/portal", "", owner);
  CheckError(portal, 503, "unavailable");
  // The owner learns why there is no portal, so the console can say so.
  CHECK(portal.Json()["error"]["message"] == "billing is not set up on this server");
  CHECK(portal.Json()["error"]["hint"].get<std::string>().find("stripe.api_key") != std::string::npos);
}

TEST_CASE("console billing portal opens Stripe's portal for the caller's business's own customer only", "[console]") {
  Desk desk;
  test::FakeStripe stripe;
  db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE businesses SET stripe_customer_id = 'cus_salon' WHERE id = $1", desk.business_ids["salon"]);
  });
  test::OmnidRunner omnid(
      desk.db.url(), ConsoleYaml() + "stripe:\n  api_key: sk_test_console\n  api_base: " + stripe.base_url() + "\n",
      "  public_url: https://desk.example.com\n");
  const auto port = omnid.port();
  const auto portal = HttpRequest(port, "POST", "/v1/console/billing/portal", "", KeyHeaders(desk.keys["salon/OWNER"]));
  INFO(portal.body);
  REQUIRE(portal.status == 200);
  CHECK(portal.Json()["url"].get<std::string>().starts_with("https://billing.stripe.com/p/session/"));
  REQUIRE(stripe.requests().size() == 1);
  CHECK(stripe.requests()[0].form.at("customer") == "cus_salon");
  CHECK(stripe.requests()[0].form.at("return_url") == "https://desk.example.com/");
  // A business without a Stripe customer yet gets 409 and Stripe hears nothing.
  CheckError(HttpRequest(port, "POST", "/v1/console/billing/portal", "", KeyHeaders(desk.keys["rival/OWNER"])), 409, "conflict");
  CHECK(stripe.requests().size() == 1);
  CheckError(HttpRequest(port, "POST", "/v1/console/billing/portal", "", KeyHeaders(desk.keys["salon/ADMIN"])), 403, "forbidden");
  CHECK(stripe.requests().size() == 1);
}

namespace {

long ResidentKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

TEST_CASE("console analytics export holds little memory while its client stalls, and then sends every row",
          "[console]") {
  constexpr int kConversations = 40000;  // about 25 MB of JSON, as read with no flow control
  Desk desk;
  db::WithTransaction(desk.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO conversations (business_id, channel, created_at)"
                   " SELECT $1, 'WEBCHAT', now() - make_interval(secs => g) FROM generate_series(1, $2) AS g",
                   desk.business_ids["salon"], kConversations);
  });
  test::OmnidRunner omnid(desk.db.url(), ConsoleYaml());
  const auto port = omnid.port();
  const std::string key = desk.keys["salon/ADMIN"];
  // Warm up every code path with a small export, then measure.
  REQUIRE(HttpRequest(port, "GET", "/v1/console/analytics/conversations?from=2020-01-01&to=2020-01-02", "",
                      KeyHeaders(key)).status == 200);
  const long baseline_kib = ResidentKib(omnid.process().pid());
  REQUIRE(baseline_kib > 0);

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string request = "GET /v1/console/analytics/conversations HTTP/1.1\r\nHost: x\r\n"
                              "Authorization: Bearer " + key + "\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  // The client reads nothing for a while: omnid must wait for it, not read
  // the whole export into memory. (A slow machine can only make this pass
  // too easily, never fail.)
  long peak_kib = baseline_kib;
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(100ms);
    peak_kib = std::max(peak_kib, ResidentKib(omnid.process().pid()));
  }
  CHECK(peak_kib - baseline_kib < 4 * 1024);

  std::string received;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  CHECK(received.rfind("HTTP/1.1 200", 0) == 0);
  std::size_t rows = 0;
  for (std::size_t at = received.find("\"channel\":\"WEBCHAT\""); at != std::string::npos;
       at = received.find("\"channel\":\"WEBCHAT\"", at + 1)) {
    ++rows;
  }
  // Every seeded conversation, and the three of the desk, in the last 30 days.
  CHECK(rows == kConversations + 3);
}

}  // namespace omni
