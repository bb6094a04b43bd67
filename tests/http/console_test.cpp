// The operator API of omnid, end to end: the real omnid binary on a
// throwaway database with two businesses. Login (cookie attributes, CSRF
// token, errors that never tell whether an account exists, brute force
// throttled), sessions that expire and end at logout, the set-password
// link's endpoint, cursor paging, and the authorization matrix: every
// operator endpoint with no credential, another business's session and
// key, each role by session and by key, and a session without its CSRF
// token, each answered exactly 401, 403 or 404 with no data of another
// business.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/chat/notes.hpp"
#include "core/common/clock.hpp"
#include "core/operators/keys.hpp"
#include "core/operators/users.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace omni {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using operators::Role;
using test::HttpHeaders;
using test::HttpRequest;
using test::HttpResult;

constexpr const char* kPassword = "correct horse battery";

class Omnid {
 public:
  Omnid(const std::string& database_url, const std::string& sections_yaml) {
    config_path_ = (dir_.path() / "omni.yaml").string();
    std::ofstream out(config_path_);
    out << "database:\n  url: \"" << database_url << "\"\n"
        << "logging:\n  level: warn\n" << sections_yaml;
    out.close();
    process_.emplace(OMNID_PATH, test::ProcessOptions{.args = {"--config", config_path_}});
    const bool started = process_->WaitForStdout("omnid listening on http://127.0.0.1:", 60s);
    INFO("stderr: " << process_->Stderr());
    REQUIRE(started);
    std::smatch match;
    const std::string text = process_->Stdout();
    REQUIRE(std::regex_search(text, match, std::regex(R"(http://127\.0\.0\.1:(\d+))")));
    port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
  }
  std::uint16_t port() const { return port_; }

 private:
  test::TempDir dir_;
  std::string config_path_;
  std::optional<test::Process> process_;
  std::uint16_t port_ = 0;
};

std::string ListenYaml(const std::string& extra_server = "", const std::string& console = "") {
  return "server:\n  listen: 127.0.0.1:0\n" + extra_server + "console:\n" +
         (console.empty() ? "  login_max_failures: 3\n" : console);
}

// Two businesses with a user and a key of each role in "salon", an owner
// and a key in "rival", and conversations in both.
struct Desk {
  Desk() {
    for (const char* slug : {"salon", "rival"}) {
      auto spec = business::ParseBusinessSpec(std::string("slug: ") + slug + "\nname: N\ntimezone: UTC\nplan: STARTER\n",
                                              "t.yaml");
      business_ids[slug] = business::Apply(db.pool(), spec).business_id;
    }
    const billing::BillingSettings plans;
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
    }
  }
  test::TestDatabase db;
  std::map<std::string, std::string> business_ids;
  std::map<std::string, std::string> keys;  // "salon/OWNER" -> secret
  std::map<std::string, std::vector<std::string>> conversations;
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
  Omnid omnid(desk.db.url(), ListenYaml());
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
  Omnid omnid(desk.db.url(), ListenYaml());
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
  Omnid omnid(desk.db.url(), ListenYaml("  public_url: https://desk.example.com\n", "  session_ttl_s: 2\n"));
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
  Omnid omnid(desk.db.url(), ListenYaml());
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
  Omnid omnid(desk.db.url(), ListenYaml());
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

TEST_CASE("authorization matrix: every operator endpoint by credential, business, role and CSRF", "[console]") {
  Desk desk;
  Omnid omnid(desk.db.url(), ListenYaml("", "  login_max_failures: 50\n"));
  const auto port = omnid.port();
  const std::string ours = desk.conversations["salon"][1];

  struct Endpoint {
    std::string method;
    std::string path;
    std::string body;
    bool owner_only = false;
    bool names_conversation = false;  // a salon conversation in the path
    bool agent_denied = false;        // owners and admins only
    int ok_status = 200;
  };
  const std::vector<Endpoint> endpoints = {
      {"GET", "/v1/console/me", ""},
      {"GET", "/v1/console/conversations", ""},
      {"GET", "/v1/console/conversations/" + ours, "", false, true},
      {"POST", "/v1/console/conversations/" + ours + "/reply", R"({"text":"hello"})", false, true},
      {"POST", "/v1/console/conversations/" + ours + "/resolve", "", false, true},
      // In this order each role's pass finds the conversation resolved, so
      // reopening it succeeds.
      {"POST", "/v1/console/conversations/" + ours + "/reopen", "", false, true},
      {"POST", "/v1/console/conversations/" + ours + "/escalate", R"({"reason":"needs a person"})", false, true},
      {"POST", "/v1/console/conversations/" + ours + "/assign", R"({"user_id":null})", false, true},
      {"GET", "/v1/console/conversations/" + ours + "/notes", "", false, true},
      {"GET", "/v1/console/conversations/" + ours + "/customer", "", false, true},
      {"POST", "/v1/console/conversations/" + ours + "/notes", R"({"body":"call back"})", false, true, false, 201},
      {"GET", "/v1/console/analytics/summary?since=7d", "", false, false, true},
      {"GET", "/v1/console/analytics/trends?metric=conversations&since=7d", "", false, false, true},
      {"GET", "/v1/console/analytics/chart?metric=handoff_rate&since=7d", "", false, false, true},
      {"GET", "/v1/console/team", "", true},
      {"POST", "/v1/console/logout", ""},
  };
  const auto call = [&](const Endpoint& e, HttpHeaders headers) {
    if (!e.body.empty()) headers["Content-Type"] = "application/json";
    return HttpRequest(port, e.method, e.path, e.body, headers);
  };
  // Nothing of the other business's may appear in an answer, beyond the id
  // the request itself named (a 404 message repeats it).
  const auto check_no_leak = [&](const HttpResult& response, const std::string& other) {
    for (const auto& id : desk.conversations[other]) {
      if (id != ours) CHECK(response.body.find(id) == std::string::npos);
    }
    CHECK(response.body.find(other + " secret question") == std::string::npos);
    CHECK(response.body.find("@" + other + ".example") == std::string::npos);
    CHECK(response.body.find(desk.business_ids[other]) == std::string::npos);
  };

  SECTION("no credential, a forged one, or a revoked key: 401") {
    const auto revoked = operators::CreateKey(desk.db.pool(), desk.business_ids["salon"], "gone", Role::kOwner,
                                              DefaultClock().Now());
    operators::RevokeKey(desk.db.pool(), desk.business_ids["salon"], "gone", DefaultClock().Now());
    for (const auto& e : endpoints) {
      INFO(e.method << " " << e.path);
      for (const HttpHeaders& headers :
           {HttpHeaders{}, HttpHeaders{{"Cookie", "omni_session=oms_forged"}, {"X-CSRF-Token", "x"}},
            KeyHeaders("omk_forged"), KeyHeaders(revoked.secret), HttpHeaders{{"Authorization", "Basic YTpi"}}}) {
        const auto response = call(e, headers);
        CheckError(response, 401, "unauthorized");
        CHECK(response.Header("WWW-Authenticate").has_value());
        check_no_leak(response, "salon");
      }
    }
  }

  SECTION("each role, by session and by key: exactly its permissions") {
    for (const std::string role : {"OWNER", "ADMIN", "AGENT"}) {
      for (const bool by_key : {false, true}) {
        for (const auto& e : endpoints) {
          if (by_key && e.path == "/v1/console/logout") continue;  // a key has no session
          INFO(role << (by_key ? " key " : " session ") << e.method << " " << e.path);
          const SignedIn in = by_key ? SignedIn{} : SignIn(port, "salon", role + "@salon.example");
          const auto response = call(e, by_key ? KeyHeaders(desk.keys["salon/" + role]) : SessionHeaders(in));
          if ((e.owner_only && role != "OWNER") || (e.agent_denied && role == "AGENT")) {
            CheckError(response, 403, "forbidden");
          } else {
            CHECK(response.status == (e.path == "/v1/console/logout" ? 204 : e.ok_status));
          }
          check_no_leak(response, "rival");
        }
      }
    }
  }

  SECTION("another business's session or key: 404 for our ids, and only its own data") {
    const SignedIn rival = SignIn(port, "rival", "owner@rival.example");
    for (const bool by_key : {false, true}) {
      for (const auto& e : endpoints) {
        if (by_key && e.path == "/v1/console/logout") continue;
        INFO((by_key ? "rival key " : "rival session ") << e.method << " " << e.path);
        const auto response = call(e, by_key ? KeyHeaders(desk.keys["rival/OWNER"]) : SessionHeaders(rival));
        if (e.names_conversation) {
          CheckError(response, 404, "not_found");
        } else if (e.path == "/v1/console/logout") {
          CHECK(response.status == 204);
        } else {
          CHECK(response.status == e.ok_status);
        }
        check_no_leak(response, "salon");
      }
    }
    const auto listed = HttpRequest(port, "GET", "/v1/console/conversations", "", KeyHeaders(desk.keys["rival/OWNER"]));
    CHECK(listed.Json()["conversations"].size() == 3);
    CHECK(chat::Get(desk.db.pool(), desk.business_ids["salon"], ours).status == chat::ConversationStatus::kAiActive);
    CHECK(chat::Messages(desk.db.pool(), desk.business_ids["salon"], ours).size() == 1);
    CHECK(chat::Notes(desk.db.pool(), desk.business_ids["salon"], ours).empty());
  }

  SECTION("a session's unsafe request without its CSRF token: 403, and nothing changes") {
    const SignedIn owner = SignIn(port, "salon", "owner@salon.example");
    const SignedIn other = SignIn(port, "salon", "agent@salon.example");
    for (const auto& e : endpoints) {
      if (e.method != "POST") continue;
      INFO(e.method << " " << e.path);
      CheckError(call(e, SessionHeaders(owner, false)), 403, "csrf_failed");
      HttpHeaders wrong = SessionHeaders(owner, false);
      wrong["X-CSRF-Token"] = other.csrf;  // another session's token
      CheckError(call(e, wrong), 403, "csrf_failed");
    }
    CHECK(chat::Get(desk.db.pool(), desk.business_ids["salon"], ours).status == chat::ConversationStatus::kAiActive);
    CHECK(chat::Get(desk.db.pool(), desk.business_ids["salon"], ours).assigned_to.empty());
    CHECK(chat::Notes(desk.db.pool(), desk.business_ids["salon"], ours).empty());
    CHECK(HttpRequest(port, "GET", "/v1/console/me", "", SessionHeaders(owner, false)).status == 200);
  }
}

}  // namespace omni
