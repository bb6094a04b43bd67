// The webchat widget in real headless Chromium: this test starts the
// pieces (a throwaway database, the fake model, omnid) and runs
// tests/browser/widget.test.mjs, which drives Debian's chromium through
// playwright-core, applies the demo business and uses the omni CLI for the
// operator's side. Screenshots land in OMNI_ARTIFACTS_DIR.
#include <date/date.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"
#include "core/operators/users.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using omni::test::TempDir;

using namespace std::chrono_literals;
using nlohmann::json;
using omni::test::FakeReply;
using omni::test::FakeToolCall;
using omni::test::RecordedRequest;

const std::string kBrowserDir = std::string(OMNI_SOURCE_DIR) + "/tests/browser";

// playwright-core from tests/browser's lock file, when a fresh checkout
// lacks it; the browser is Debian's chromium, never a download.
void InstallPlaywright() {
  if (std::filesystem::exists(kBrowserDir + "/node_modules/playwright-core")) return;
  const auto install = omni::test::Run("/bin/sh", {.args = {"-c", "npm ci --no-audit --no-fund"},
                                                   .env = {{"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"}},
                                                   .cwd = kBrowserDir},
                                       300s);
  INFO(install.out << install.err);
  REQUIRE(install.exit_code == 0);
}

// Streams check their session and their client every 2 s, not every 10 s,
// so what a script waits for after a sign-out or a reload comes soon.
const std::string kFastKeepalive = "  sse_keepalive_ms: 2000\n";

// Runs tests/browser/`script` against `omnid`, with the environment every
// script reads and `more`, and echoes what it printed.
omni::test::RunResult RunScript(const std::string& script, const omni::test::OmnidRunner& omnid,
                                std::map<std::string, std::string> more, std::chrono::seconds timeout) {
  const std::string artifacts = OMNI_ARTIFACTS_DIR;
  std::filesystem::create_directories(artifacts);
  more.insert({{"OMNI_URL", omnid.url()},
               {"OMNI_CLI", OMNI_CLI_PATH},
               {"OMNI_CONFIG", omnid.config_path()},
               {"OMNI_SOURCE_DIR", OMNI_SOURCE_DIR},
               {"OMNI_ARTIFACTS_DIR", artifacts},
               {"NO_COLOR", "1"}});
  auto run = omni::test::Run("/usr/bin/node", {.args = {kBrowserDir + "/" + script}, .env = std::move(more), .cwd = kBrowserDir},
                             timeout);
  std::cout << run.out << std::flush;
  return run;
}

std::string Transcript(const omni::test::RunResult& run, omni::test::OmnidRunner& omnid) {
  return "node stdout:\n" + run.out + "\nnode stderr:\n" + run.err + "\nomnid stderr:\n" + omnid.process().Stderr();
}

// A day the demo salon is open, a week or more ahead (past the booking
// notice, clear of the holiday overrides in config/demo-salon.yaml).
std::string OpenDayAhead() {
  static const std::set<std::string> kClosedOrShort = {"2026-11-26", "2026-11-27", "2026-12-24",
                                                      "2026-12-25", "2026-12-31", "2027-01-01"};
  auto day = date::floor<date::days>(std::chrono::system_clock::now()) + date::days{7};
  for (;; day += date::days{1}) {
    const auto weekday = date::weekday{day}.c_encoding();  // 0 Sunday .. 6 Saturday
    const std::string text = date::format("%F", day);
    if (weekday >= 2 && weekday <= 5 && !kClosedOrShort.count(text)) return text;
  }
}

FakeReply Text(std::vector<std::string> pieces, int chunk_delay_ms, int first_byte_delay_ms = 0) {
  auto reply = omni::test::TextReply(std::move(pieces));
  reply.chunk_delay_ms = chunk_delay_ms;
  reply.first_byte_delay_ms = first_byte_delay_ms;
  return reply;
}

// A model thinking for a moment, as a real one does, so that each tool step
// is on screen for a while.
constexpr int kThinkMs = 400;

FakeReply Call(const std::string& id, const std::string& name, const json& args) {
  auto reply = omni::test::ToolCallReply({FakeToolCall{id, name, {args.dump()}}});
  reply.first_byte_delay_ms = kThinkMs;
  return reply;
}

// The scripted front-desk model: small talk streams slowly enough to see;
// "park" cites the first passage retrieved from the knowledge base; "book"
// runs check_availability, then book_appointment at the first time offered,
// then confirms; "refund" escalates to a human with a note for the team.
FakeReply Respond(const RecordedRequest& request, const std::string& day) {
  const json& last = request.json["messages"].back();
  const std::string role = last.value("role", "");
  const std::string content = last.contains("content") && last["content"].is_string() ? last["content"].get<std::string>() : "";
  if (role == "tool") {
    const json result = json::parse(content, nullptr, false);
    if (result.value("escalated", false)) {
      return Text({"I'm sorry about that. ", "A team member will reply here."}, 50, kThinkMs);
    }
    if (result.value("booked", false)) {
      return Text({"You're all set: ", result.value("service", "") + " on " + result.value("date", "") + " at ",
                   result.value("time", "") + ". See you then!"},
                  50, kThinkMs);
    }
    if (result.contains("services") && !result["services"].empty() && !result["services"][0]["times"].empty()) {
      return Call("call_book", "book_appointment",
                  {{"date", day},
                   {"time", result["services"][0]["times"][0]},
                   {"service", "Women's haircut"},
                   {"customer_name", "Maria Lopez"},
                   {"customer_email", "maria@example.com"}});
    }
    return Text({"Sorry, that did not work."}, 0);
  }
  if (content.find("book") != std::string::npos) {
    return Call("call_slots", "check_availability", {{"date", day}, {"service", "Women's haircut"}});
  }
  if (content.find("refund") != std::string::npos) {
    return Call("call_escalate", "escalate_to_human", {{"reason", "INTERNAL NOTE: refund request from a regular"}});
  }
  if (content.find("park") != std::string::npos) {
    return Text({"Free street parking is on Court Street, ", "and a garage is two blocks away [1]."}, 50);
  }
  if (content.find("long version") != std::string::npos) {
    std::vector<std::string> pieces;
    for (int i = 1; i <= 30; ++i) {
      pieces.push_back("Part " + std::to_string(i) + " of the story, told at length so that it fills the screen.\n\n");
    }
    pieces.push_back("That is the whole story.");
    return Text(pieces, 10);
  }
  if (content.find("markdown") != std::string::npos) {
    return Text({"Here are your **aftercare tips**:\n\n- Wait *48 hours* before washing\n- Use a _sulfate-free_ ",
                 "shampoo\n\nRead [our guide](https://bellahairstudio.example/aftercare) or ",
                 "[click me](javascript:window.__omniPwned=2) <img src=x onerror=\"window.__omniPwned=3\">",
                 "<script>window.__omniPwned=4</script>\nCall us any time [1]."},
                20);
  }
  if (content.find("<img") != std::string::npos) {
    return Text({"You wrote <b>bold</b> <img src=x onerror=\"window.__omniPwned=1\"> and I only show text."}, 0);
  }
  return Text({"We're open ", "Tuesday to Saturday, ", "9am to 7pm on weekdays ", "and 8am to 5pm on Saturdays."},
              250);
}

}  // namespace

TEST_CASE("the widget chats, books, shows a team reply live and resumes after a reload", "[browser]") {
  InstallPlaywright();

  omni::test::TestDatabase db;
  const std::string day = OpenDayAhead();
  omni::test::FakeOpenAi fake;
  fake.SetFallback([day](const RecordedRequest& request) { return Respond(request, day); });

  omni::test::OmnidRunner omnid(db.url(),
                                "llm:\n  base_url: " + fake.base_url() +
                                    "\n  api_key: test-key\n  models: [fake-model]\n  max_retries: 0\n"
                                    "plans:\n  professional:\n    interactions_per_month: 1\n"
                                    "    overage_cents_per_interaction: 0\n",
                                kFastKeepalive);
  const auto run = RunScript("widget.test.mjs", omnid, {{"BOOK_DATE", day}}, 240s);
  INFO(Transcript(run, omnid));
  CHECK(run.exit_code == 0);

  // The model saw both tool results: the widget's booking went through the tools.
  int tool_results = 0;
  for (const auto& request : fake.requests()) {
    if (request.json["messages"].back().value("role", "") == "tool") ++tool_results;
  }
  CHECK(tool_results >= 2);
}

TEST_CASE("with no model key, the widget books, moves and cancels through the offline dialogue", "[browser]") {
  InstallPlaywright();
  omni::test::TestDatabase db;
  // No API key: no model, so the offline responder and its booking dialogue answer.
  omni::test::OmnidRunner omnid(db.url(), "llm:\n  api_key: \"\"\n", kFastKeepalive);
  const auto run = RunScript("offline_booking.test.mjs", omnid, {{"BOOK_DATE", OpenDayAhead()}}, 180s);
  INFO(Transcript(run, omnid));
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("offline booking browser test passed") != std::string::npos);
}

namespace {

// The console test's model: a visitor asking for a person is handed off
// with escalate_to_human (customer_asked), anything else gets a short answer.
FakeReply ConsoleRespond(const RecordedRequest& request) {
  const json& last = request.json["messages"].back();
  const std::string role = last.value("role", "");
  const std::string content =
      last.contains("content") && last["content"].is_string() ? last["content"].get<std::string>() : "";
  if (role == "tool") return Text({"A team member ", "will reply here."}, 20);
  if (content.find("human") != std::string::npos) {
    return omni::test::ToolCallReply(
        {FakeToolCall{"call_escalate", "escalate_to_human", {R"({"reason":"visitor asked for a person","customer_asked":true})"}}});
  }
  return Text({"Happy ", "to help!"}, 20);
}

}  // namespace

TEST_CASE("the operator console: a handoff appears live, the reply reaches the visitor, the dashboard draws", "[browser]") {
  InstallPlaywright();
  omni::test::TestDatabase db;
  omni::test::FakeOpenAi fake;
  fake.SetFallback(ConsoleRespond);

  // The demo salon, an agent and an owner, and three weeks of conversations
  // for the dashboard: one a day, every third handed off and resolved.
  const auto business_id =
      omni::business::Apply(db.pool(), omni::business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"))
          .business_id;
  const omni::billing::BillingSettings plans;
  const auto now = omni::DefaultClock().Now();
  for (const auto& [email, role] : {std::pair{"agent@bella.example", omni::operators::Role::kAgent},
                                    std::pair{"owner@bella.example", omni::operators::Role::kOwner}}) {
    omni::operators::AddUser(db.pool(), business_id,
                             {.email = email, .name = role == omni::operators::Role::kAgent ? "Sam" : "Bella",
                              .role = role, .password = "correct horse battery"},
                             plans, now);
  }
  for (int day = 1; day <= 21; ++day) {
    omni::chat::OpenRequest open;
    open.channel = omni::chat::Channel::kWebchat;
    open.visitor_id = "seed-" + std::to_string(day);
    const auto id = omni::chat::Open(db.pool(), business_id, open).id;
    omni::chat::AddUserMessage(db.pool(), business_id, id, "Seeded question " + std::to_string(day), now);
    if (day % 3 == 0) {
      omni::chat::Escalate(db.pool(), business_id, id, "seeded");
      omni::chat::Resolve(db.pool(), business_id, id);
    }
    db.ExecAsSuperuser("UPDATE conversations SET created_at = now() - interval '" + std::to_string(day) +
                       " days', last_message_at = now() - interval '" + std::to_string(day) +
                       " days' WHERE id = '" + id + "'");
  }

  omni::test::OmnidRunner omnid(
      db.url(), "llm:\n  base_url: " + fake.base_url() + "\n  api_key: test-key\n  models: [fake-model]\n  max_retries: 0\n",
      kFastKeepalive);
  const auto run = RunScript("console.test.mjs", omnid, {}, 180s);
  INFO(Transcript(run, omnid));
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("console browser test passed") != std::string::npos);

  // Once the agent had replied, the model was never asked about the
  // visitor's later message: the AI stayed silent.
  int asked_after_takeover = 0;
  for (const auto& request : fake.requests()) {
    for (const auto& message : request.json["messages"]) {
      if (message.value("role", "") == "user" && message.value("content", "").find("Thanks, see you") != std::string::npos) {
        ++asked_after_takeover;
      }
    }
  }
  CHECK(asked_after_takeover == 0);
}

namespace {

// The ids of `business_id`'s rows, as the query orders them.
json Ids(omni::test::TestDatabase& db, const std::string& sql, const std::string& business_id) {
  return omni::db::WithConnection(db.pool(), [&](pqxx::nontransaction& tx) {
    json ids = json::array();
    for (const auto& row : tx.exec_params(sql, business_id)) ids.push_back(row[0].as<std::string>());
    return ids;
  });
}

}  // namespace

TEST_CASE("the operator console pages the inbox and knowledge, and assigns conversations to teammates", "[browser]") {
  InstallPlaywright();
  omni::test::TestDatabase db;
  const auto salon =
      omni::business::Apply(db.pool(), omni::business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"))
          .business_id;
  const auto rival = omni::business::Apply(db.pool(), omni::business::ParseBusinessSpec(
                                                          "slug: rival\nname: Rival\ntimezone: UTC\n", "rival.yaml"))
                         .business_id;
  const omni::billing::BillingSettings plans;
  const auto now = omni::DefaultClock().Now();
  omni::operators::AddUser(db.pool(), salon,
                           {.email = "owner@bella.example", .name = "Bella", .role = omni::operators::Role::kOwner,
                            .password = "correct horse battery"},
                           plans, now);
  omni::operators::AddUser(db.pool(), salon,
                           {.email = "agent@bella.example", .name = "Sam", .role = omni::operators::Role::kAgent,
                            .password = "correct horse battery"},
                           plans, now);
  omni::operators::AddUser(db.pool(), salon,
                           {.email = "lee@bella.example", .name = "Lee", .role = omni::operators::Role::kAgent,
                            .password = "correct horse battery"},
                           plans, now);
  omni::operators::AddUser(db.pool(), rival,
                           {.email = "rita@rival.example", .name = "Rita", .role = omni::operators::Role::kOwner,
                            .password = "correct horse battery"},
                           plans, now);
  // More than two pages of each in both businesses, seeded in one statement
  // each: the rival's rows interleave the salon's in time and in name.
  for (const auto& [id, count] : {std::pair{salon, 123}, std::pair{rival, 60}}) {
    db.ExecAsSuperuser("INSERT INTO conversations (business_id, visitor_id, last_message_at, created_at)"
                       " SELECT '" + id + "', 'page-' || n, now() - n * interval '1 minute' - interval '" +
                       (id == rival ? "30" : "0") + " seconds', now() - interval '1 day'"
                       " FROM generate_series(1, " + std::to_string(count) + ") n");
    db.ExecAsSuperuser("INSERT INTO kb_documents (business_id, external_id, title, content_hash)"
                       " SELECT '" + id + "', 'page-' || lpad(n::text, 3, '0') || '" + (id == rival ? "r" : "") +
                       "', '" + (id == rival ? "Rival" : "Salon") + " document ' || n, 'seeded'"
                       " FROM generate_series(1, " + std::to_string(count) + ") n");
  }
  TempDir dir;
  const std::string expected_path = (dir.path() / "expected.json").string();
  std::ofstream(expected_path) << json{
      {"conversations", Ids(db, "SELECT id FROM conversations WHERE business_id = $1"
                                " ORDER BY last_message_at DESC", salon)},
      {"documents", Ids(db, "SELECT id FROM kb_documents WHERE business_id = $1 ORDER BY external_id COLLATE \"C\"", salon)},
      {"rival_conversations", Ids(db, "SELECT id FROM conversations WHERE business_id = $1", rival)},
      {"rival_documents", Ids(db, "SELECT id FROM kb_documents WHERE business_id = $1", rival)}}.dump();

  omni::test::OmnidRunner omnid(db.url(), "llm:\n  api_key: \"\"\n", kFastKeepalive);
  const auto run = RunScript("console_lists.test.mjs", omnid, {{"OMNI_EXPECTED", expected_path}}, 180s);
  INFO(Transcript(run, omnid));
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("console lists browser test passed") != std::string::npos);
}
