// Analytics on a real database: what a conversation records as each step
// happens (the chat functions and the engine on the fake model), and the
// metric definitions on hand-built conversations with known answers:
// handoffs on a DST day, business hours across a closed night, trend
// buckets in two time zones over the same instants, CSAT, bookings through
// the tool, the export, and another business's rows never showing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/analytics/analytics.hpp"
#include "core/billing/plans.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/business_cache.hpp"
#include "core/chat/conversations.hpp"
#include "core/chat/engine.hpp"
#include "core/common/error.hpp"
#include "core/common/executor.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/retriever.hpp"
#include "core/llm/llm.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using nlohmann::json;
using std::chrono::year_month_day;

constexpr const char* kNewYork = "America/New_York";

year_month_day Day(const std::string& text) { return booking::ParseDate(text, "day"); }
TimePoint Utc(const std::string& iso) { return booking::ParseInstantOrDate(iso, "UTC"); }
TimePoint Local(const std::string& text, const std::string& tz) { return booking::ParseStartTime(text, tz); }

std::string Iso(TimePoint t) { return booking::FormatUtc(t); }

// A business open Monday to Friday 09:00-17:00 in `tz`, and helpers that
// hand-build its conversations at given instants through plain SQL, as the
// recording trigger and the status change would have left them.
struct Shop {
  Shop(test::TestDatabase& database, const std::string& slug, const std::string& tz) : db(database) {
    id = db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      const std::string open = R"([["09:00","17:00"]])";
      const std::string weekly = R"({"monday":)" + open + R"(,"tuesday":)" + open + R"(,"wednesday":)" + open +
                                 R"(,"thursday":)" + open + R"(,"friday":)" + open + "}";
      return tx.exec_params1("INSERT INTO businesses (slug, name, timezone, weekly_hours) VALUES ($1, $1, $2, $3::jsonb)"
                             " RETURNING id::text",
                             slug, tz, weekly)[0]
          .as<std::string>();
    });
  }

  // A conversation started at `at` with no messages yet.
  std::string Conversation(TimePoint at, const std::string& channel = "WEBCHAT") {
    return Sql1("INSERT INTO conversations (business_id, channel, created_at, last_message_at) VALUES ($1, $3, $2, $2)"
                " RETURNING id::text",
                Iso(at), channel);
  }
  // A message stored at `at` (the trigger records it).
  void Message(const std::string& conversation, const std::string& role, TimePoint at, const std::string& text = "hi",
               long long tokens = 0, long long cost_micros = 0, const std::string& model = "") {
    Sql1("INSERT INTO messages (business_id, conversation_id, role, content, created_at, prompt_tokens, cost_micros,"
         " model) VALUES ($1, $3::uuid, $4, $5, $2, nullif($6::int, 0), nullif($7::int8, 0), nullif($8, ''))"
         " RETURNING 1",
         Iso(at), conversation, role, text, tokens, cost_micros, model);
    Sql1("UPDATE conversations SET last_message_at = greatest(last_message_at, $2) WHERE business_id = $1"
         " AND id = $3::uuid RETURNING 1",
         Iso(at), conversation);
  }
  void Handoff(const std::string& conversation, TimePoint at, const std::string& reason) {
    Sql1("UPDATE conversations SET status = 'ESCALATED', escalated_at = $2, handoff_at = $2, handoff_reason = $3"
         " WHERE business_id = $1 AND id = $4::uuid RETURNING 1",
         Iso(at), reason, conversation);
  }
  void Resolve(const std::string& conversation, TimePoint at, const std::string& by) {
    Sql1("UPDATE conversations SET status = 'RESOLVED', resolved_at = $2, resolved_by = $3"
         " WHERE business_id = $1 AND id = $4::uuid RETURNING 1",
         Iso(at), by, conversation);
  }

  template <class... Args>
  std::string Sql1(const std::string& sql, Args&&... args) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1(sql, id, std::forward<Args>(args)...)[0].template as<std::string>();
    });
  }

  template <class... Args>
  void Exec(const std::string& sql, Args&&... args) {
    db::WithTransaction(db.pool(), [&](pqxx::work& tx) { tx.exec_params(sql, id, std::forward<Args>(args)...); });
  }

  test::TestDatabase& db;
  std::string id;
};

analytics::DayRange Days(const std::string& first, const std::string& last) { return {Day(first), Day(last)}; }

}  // namespace

TEST_CASE("a handoff at 23:30 local time on the day DST starts counts on that local day", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "dst-shop", kNewYork);
  // 2026-03-08 is 23 hours long in New York; 23:30 EDT is 03:30Z on the 9th.
  const auto start = Local("2026-03-08 23:20", kNewYork);
  const auto conversation = shop.Conversation(start);
  shop.Message(conversation, "USER", start);
  shop.Message(conversation, "ASSISTANT", start + std::chrono::seconds(4));
  shop.Message(conversation, "USER", Local("2026-03-08 23:29", kNewYork), "I want to talk to a person");
  const auto handoff = Local("2026-03-08 23:30", kNewYork);
  CHECK(Iso(handoff) == "2026-03-09T03:30:00Z");
  shop.Handoff(conversation, handoff, "HUMAN_REQUESTED");

  const auto now = Utc("2026-03-20T12:00:00Z");
  auto summary = analytics::Summarize(db.pool(), shop.id, Days("2026-03-08", "2026-03-08"), now);
  CHECK(summary.current.conversations == 1);
  CHECK(summary.current.handoffs == 1);
  CHECK(summary.current.handoff_rate == 1.0);
  CHECK(summary.current.handoffs_by_reason.at("HUMAN_REQUESTED") == 1);
  CHECK(summary.current.handoffs_by_reason.at("MODEL_FAILURE") == 0);
  CHECK(summary.current.unattended_handoffs == 1);
  CHECK(summary.current.time_to_human.count == 0);
  CHECK(summary.current.messages_in == 2);
  CHECK(summary.current.messages_out == 1);
  CHECK(summary.current.first_response.mean_s == 4.0);
  // Handed off, so never an AI resolution, even idle for days.
  CHECK(summary.current.ai_resolved == 0);
  // The next local day has none of it.
  CHECK(analytics::Summarize(db.pool(), shop.id, Days("2026-03-09", "2026-03-09"), now).current.handoffs == 0);

  // A team member answers 20 minutes later, after local midnight.
  shop.Message(conversation, "HUMAN", Local("2026-03-08 23:50", kNewYork));
  summary = analytics::Summarize(db.pool(), shop.id, Days("2026-03-08", "2026-03-08"), now);
  CHECK(summary.current.unattended_handoffs == 0);
  CHECK(summary.current.time_to_human.count == 1);
  CHECK(summary.current.time_to_human.mean_s == 1200.0);

  const auto trend = analytics::Trend(db.pool(), shop.id, "handoffs", analytics::Bucket::kDay,
                                      Days("2026-03-07", "2026-03-09"), now);
  REQUIRE(trend.size() == 3);
  CHECK(booking::FormatDate(trend[1].bucket) == "2026-03-08");
  CHECK(trend[0].value == 0);
  CHECK(trend[1].value == 1);
  CHECK(trend[2].value == 0);
  // Midnight EST, then midnight EDT 23 hours later.
  CHECK(Iso(trend[1].start) == "2026-03-08T05:00:00Z");
  CHECK(Iso(trend[2].start) == "2026-03-09T04:00:00Z");
}

TEST_CASE("trend buckets of Auckland and New York over the same instants follow each local calendar", "[analytics]") {
  test::TestDatabase db;
  Shop auckland(db, "auckland", "Pacific/Auckland");
  Shop new_york(db, "new-york", kNewYork);
  // Auckland leaves daylight time at 03:00 on 2026-04-05 (UTC+13 to +12).
  for (const char* instant : {"2026-04-04T10:30:00Z", "2026-04-04T12:30:00Z", "2026-04-05T11:30:00Z"}) {
    for (Shop* shop : {&auckland, &new_york}) shop->Message(shop->Conversation(Utc(instant)), "USER", Utc(instant));
  }
  const auto now = Utc("2026-05-01T00:00:00Z");
  const auto range = Days("2026-04-03", "2026-04-06");
  const auto in_auckland = analytics::Trend(db.pool(), auckland.id, "conversations", analytics::Bucket::kDay, range, now);
  const auto in_new_york = analytics::Trend(db.pool(), new_york.id, "conversations", analytics::Bucket::kDay, range, now);
  REQUIRE(in_auckland.size() == 4);
  REQUIRE(in_new_york.size() == 4);
  // 10:30Z is 23:30 on the 4th in Auckland; 12:30Z is 01:30 on the 5th
  // there; 11:30Z on the 5th is 23:30 NZST. New York sees all three by day.
  CHECK(std::vector<double>{in_auckland[0].value, in_auckland[1].value, in_auckland[2].value, in_auckland[3].value} ==
        std::vector<double>{0, 1, 2, 0});
  CHECK(std::vector<double>{in_new_york[0].value, in_new_york[1].value, in_new_york[2].value, in_new_york[3].value} ==
        std::vector<double>{0, 2, 1, 0});
  // The 5th in Auckland is 25 hours long.
  CHECK(Iso(in_auckland[2].start) == "2026-04-04T11:00:00Z");
  CHECK(Iso(in_auckland[3].start) == "2026-04-05T12:00:00Z");
  CHECK(Iso(in_new_york[1].start) == "2026-04-04T04:00:00Z");

  // Weeks start on Monday in local time: 2026-03-30 and 2026-04-06.
  const auto weekly = analytics::Trend(db.pool(), auckland.id, "conversations", analytics::Bucket::kWeek, range, now);
  REQUIRE(weekly.size() == 2);
  CHECK(booking::FormatDate(weekly[0].bucket) == "2026-03-30");
  CHECK(weekly[0].value == 3);
  CHECK(weekly[1].value == 0);
  const auto monthly =
      analytics::Trend(db.pool(), new_york.id, "conversations", analytics::Bucket::kMonth, Days("2026-02-10", "2026-04-06"), now);
  REQUIRE(monthly.size() == 3);
  CHECK(monthly[2].value == 3);
  CHECK(monthly[0].value == 0);

  CHECK_THROWS_AS(analytics::Trend(db.pool(), auckland.id, "vibes", analytics::Bucket::kDay, range, now), InvalidInput);
}

TEST_CASE("a business-hours response time skips the closed night", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "hours-shop", kNewYork);
  // Tuesday 16:50, answered Wednesday 09:10: 16 h 20 min on the clock,
  // 20 minutes of opening hours (09:00-17:00).
  const auto asked = Local("2026-11-17 16:50", kNewYork);
  const auto conversation = shop.Conversation(asked);
  shop.Message(conversation, "USER", asked);
  shop.Message(conversation, "HUMAN", Local("2026-11-18 09:10", kNewYork));
  shop.Handoff(conversation, Local("2026-11-18 09:10", kNewYork), "OPERATOR");
  shop.Resolve(conversation, Local("2026-11-18 10:00", kNewYork), "HUMAN");

  const auto summary =
      analytics::Summarize(db.pool(), shop.id, Days("2026-11-17", "2026-11-17"), Utc("2026-11-30T00:00:00Z"));
  CHECK(summary.current.first_response.mean_s == 16 * 3600 + 20 * 60);
  CHECK(summary.current.first_response_business.mean_s == 20 * 60);
  CHECK(summary.current.first_response_business.median_s == 20 * 60);
  // Resolution: 10 minutes on Tuesday, 60 on Wednesday.
  CHECK(summary.current.resolution.mean_s == 17 * 3600 + 10 * 60);
  CHECK(summary.current.resolution_business.mean_s == 70 * 60);
  CHECK(summary.current.resolved_by_human == 1);
}

TEST_CASE("a business-hours trend counts only open time, in the local day the conversation started", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "hours-trend", kNewYork);
  Shop rival(db, "hours-rival", kNewYork);
  // Tuesday 16:50, answered Wednesday 09:10 across the closed night: 20
  // minutes open; resolved at 10:00: 70 minutes open.
  const auto asked = Local("2026-11-17 16:50", kNewYork);
  const auto across = shop.Conversation(asked);
  shop.Message(across, "USER", asked);
  shop.Message(across, "HUMAN", Local("2026-11-18 09:10", kNewYork));
  shop.Resolve(across, Local("2026-11-18 10:00", kNewYork), "HUMAN");
  // Tuesday 23:30 local is Wednesday 04:30Z; answered at 09:30: 30 minutes
  // open, counted on Tuesday.
  const auto late = Local("2026-11-17 23:30", kNewYork);
  CHECK(Iso(late) == "2026-11-18T04:30:00Z");
  const auto night = shop.Conversation(late);
  shop.Message(night, "USER", late);
  shop.Message(night, "ASSISTANT", Local("2026-11-18 09:30", kNewYork));
  // Wednesday 10:00, answered at 10:05, all of it open.
  const auto day = shop.Conversation(Local("2026-11-18 10:00", kNewYork));
  shop.Message(day, "USER", Local("2026-11-18 10:00", kNewYork));
  shop.Message(day, "ASSISTANT", Local("2026-11-18 10:05", kNewYork));
  // Another business's conversation of the same day never shows.
  const auto other = rival.Conversation(asked);
  rival.Message(other, "USER", asked);
  rival.Message(other, "ASSISTANT", asked + std::chrono::minutes(10));

  const auto now = Utc("2026-11-30T00:00:00Z");
  const auto range = Days("2026-11-16", "2026-11-19");
  const auto response =
      analytics::Trend(db.pool(), shop.id, "first_response_business_time", analytics::Bucket::kDay, range, now);
  REQUIRE(response.size() == 4);
  CHECK(std::vector<double>{response[0].value, response[1].value, response[2].value, response[3].value} ==
        std::vector<double>{0, (20 * 60 + 30 * 60) / 2.0, 5 * 60, 0});
  CHECK(std::vector<std::int64_t>{response[0].count, response[1].count, response[2].count, response[3].count} ==
        std::vector<std::int64_t>{0, 2, 1, 0});
  // The wall-clock trend of the same conversations keeps the night.
  const auto clock = analytics::Trend(db.pool(), shop.id, "first_response_time", analytics::Bucket::kDay, range, now);
  CHECK(clock[1].value == ((16 * 3600 + 20 * 60) + 10 * 3600) / 2.0);

  const auto resolution =
      analytics::Trend(db.pool(), shop.id, "resolution_business_time", analytics::Bucket::kDay, range, now);
  REQUIRE(resolution.size() == 4);
  CHECK(resolution[1].value == 70 * 60);
  CHECK(resolution[1].count == 1);
  CHECK(resolution[2].count == 0);

  // The trend and the summary of the same day agree.
  const auto summary = analytics::Summarize(db.pool(), shop.id, Days("2026-11-17", "2026-11-17"), now);
  CHECK(summary.current.first_response_business.mean_s == response[1].value);
  CHECK(summary.current.first_response_business.count == response[1].count);
  CHECK(summary.current.resolution_business.mean_s == resolution[1].value);

  const auto rivals =
      analytics::Trend(db.pool(), rival.id, "first_response_business_time", analytics::Bucket::kDay, range, now);
  CHECK(rivals[1].count == 1);
  CHECK(rivals[1].value == 10 * 60);
  CHECK_THROWS_AS(analytics::Trend(db.pool(), shop.id, "first_response_business_time", analytics::Bucket::kDay, range,
                                   now, "openai/gpt-4o-mini"),
                  InvalidInput);
}

TEST_CASE("a weekly business-hours trend across a DST change buckets by local week and counts open time",
          "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "hours-dst", kNewYork);
  // New York moves to EDT on Sunday 2026-03-08. Friday 16:30 EST, answered
  // Monday 09:30 EDT: 64 hours on the clock, 60 minutes open.
  const auto friday = Local("2026-03-06 16:30", kNewYork);
  const auto weekend = shop.Conversation(friday);
  shop.Message(weekend, "USER", friday);
  shop.Message(weekend, "HUMAN", Local("2026-03-09 09:30", kNewYork));
  shop.Resolve(weekend, Local("2026-03-09 10:00", kNewYork), "HUMAN");
  // Sunday 23:30 EDT is Monday 03:30Z: still the week of the 2nd.
  const auto sunday = Local("2026-03-08 23:30", kNewYork);
  CHECK(Iso(sunday) == "2026-03-09T03:30:00Z");
  const auto late = shop.Conversation(sunday);
  shop.Message(late, "USER", sunday);
  shop.Message(late, "ASSISTANT", Local("2026-03-09 09:15", kNewYork));
  // Monday 00:30 EDT (04:30Z) opens the week of the 9th; at a fixed EST
  // offset it would still read as Sunday.
  const auto monday = Local("2026-03-09 00:30", kNewYork);
  CHECK(Iso(monday) == "2026-03-09T04:30:00Z");
  const auto early = shop.Conversation(monday);
  shop.Message(early, "USER", monday);
  shop.Message(early, "ASSISTANT", Local("2026-03-09 09:45", kNewYork));

  const auto now = Utc("2026-03-20T12:00:00Z");
  const auto range = Days("2026-03-02", "2026-03-15");
  const auto weekly =
      analytics::Trend(db.pool(), shop.id, "first_response_business_time", analytics::Bucket::kWeek, range, now);
  REQUIRE(weekly.size() == 2);
  CHECK(booking::FormatDate(weekly[0].bucket) == "2026-03-02");
  CHECK(Iso(weekly[0].start) == "2026-03-02T05:00:00Z");
  CHECK(Iso(weekly[1].start) == "2026-03-09T04:00:00Z");
  CHECK(weekly[0].count == 2);
  CHECK(weekly[0].value == (60 * 60 + 15 * 60) / 2.0);
  CHECK(weekly[1].count == 1);
  CHECK(weekly[1].value == 45 * 60);
  const auto clock = analytics::Trend(db.pool(), shop.id, "first_response_time", analytics::Bucket::kWeek, range, now);
  CHECK(clock[0].value == (64 * 3600 + (9 * 3600 + 45 * 60)) / 2.0);

  // Resolved Monday 10:00: 30 minutes on Friday and 60 on Monday.
  const auto resolution =
      analytics::Trend(db.pool(), shop.id, "resolution_business_time", analytics::Bucket::kWeek, range, now);
  REQUIRE(resolution.size() == 2);
  CHECK(resolution[0].value == 90 * 60);
  CHECK(resolution[0].count == 1);
  CHECK(resolution[1].count == 0);
}

TEST_CASE("AI resolution counts resolved or idle conversations without a human, and the period before", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "ai-shop", kNewYork);
  const auto day = Local("2026-06-10 10:00", kNewYork);
  // Resolved by the AI; idle for 2 days; idle only 1 hour; handed off and resolved.
  const auto resolved = shop.Conversation(day);
  shop.Message(resolved, "USER", day);
  shop.Message(resolved, "ASSISTANT", day + std::chrono::seconds(3));
  shop.Resolve(resolved, day + std::chrono::minutes(5), "AI");
  const auto idle = shop.Conversation(day);
  shop.Message(idle, "USER", day);
  shop.Message(idle, "ASSISTANT", day + std::chrono::seconds(5));
  const auto recent = shop.Conversation(day + std::chrono::hours(47));
  shop.Message(recent, "USER", day + std::chrono::hours(47));
  const auto human = shop.Conversation(day);
  shop.Message(human, "USER", day);
  shop.Handoff(human, day + std::chrono::minutes(1), "MODEL_FAILURE");
  shop.Message(human, "HUMAN", day + std::chrono::minutes(30));
  shop.Resolve(human, day + std::chrono::hours(1), "HUMAN");
  // The week before: one conversation.
  shop.Message(shop.Conversation(day - std::chrono::days(7)), "USER", day - std::chrono::days(7));

  const auto now = day + std::chrono::hours(48);
  const auto summary = analytics::Summarize(db.pool(), shop.id, Days("2026-06-08", "2026-06-14"), now);
  CHECK(summary.current.conversations == 4);
  CHECK(summary.current.ai_resolved == 2);
  CHECK(summary.current.ai_resolution_rate == 0.5);
  CHECK(summary.current.resolved == 2);
  CHECK(summary.current.resolved_by_ai == 1);
  CHECK(summary.current.handoffs_by_reason.at("MODEL_FAILURE") == 1);
  CHECK(summary.current.first_response.count == 3);
  CHECK(summary.current.first_response.median_s == 5);
  CHECK(booking::FormatDate(summary.previous.first) == "2026-06-01");
  CHECK(booking::FormatDate(summary.previous.last) == "2026-06-07");
  CHECK(summary.before.conversations == 1);
}

TEST_CASE("a conversation resolved by a human after an AI answer records both, as they happen", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "live-shop", kNewYork);
  auto& pool = db.pool();
  const auto conversation = chat::Open(pool, shop.id, {}).id;
  chat::AddUserMessage(pool, shop.id, conversation, "Do you sell gift cards?", DefaultClock().Now());
  chat::NewAiMessage reply;
  reply.content = "Yes, at the front desk.";
  reply.model = "model-a";
  reply.prompt_tokens = 100;
  reply.completion_tokens = 20;
  reply.cost_micros = 1500;
  chat::SaveAiMessage(pool, shop.id, conversation, reply);
  chat::HumanReply(pool, shop.id, conversation, "Also online, here is the link.", "maria", DefaultClock().Now());
  chat::Resolve(pool, shop.id, conversation);
  // Another, answered and resolved by the AI alone.
  const auto by_ai = chat::Open(pool, shop.id, {}).id;
  chat::AddUserMessage(pool, shop.id, by_ai, "Are you open Sunday?", DefaultClock().Now());
  chat::SaveAiMessage(pool, shop.id, by_ai, reply);
  chat::Resolve(pool, shop.id, by_ai);

  const auto row = db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1(
        "SELECT messages_in, messages_out, human_messages, handoff_reason, resolved_by,"
        " first_response_at < first_human_reply_at, first_message_at < first_response_at, prompt_tokens, cost_micros"
        " FROM conversations WHERE id = $1::uuid",
        conversation);
  });
  CHECK(row[0].as<int>() == 1);
  CHECK(row[1].as<int>() == 2);
  CHECK(row[2].as<int>() == 1);
  CHECK(row[3].as<std::string>() == "OPERATOR");
  CHECK(row[4].as<std::string>() == "HUMAN");
  CHECK(row[5].as<bool>());
  CHECK(row[6].as<bool>());
  CHECK(row[7].as<int>() == 100);
  CHECK(row[8].as<int>() == 1500);

  const auto now = DefaultClock().Now();
  const auto summary = analytics::Summarize(pool, shop.id, analytics::LastDays(1, kNewYork, now), now);
  CHECK(summary.current.conversations == 2);
  CHECK(summary.current.resolved == 2);
  CHECK(summary.current.resolved_by_ai == 1);
  CHECK(summary.current.resolved_by_human == 1);
  CHECK(summary.current.ai_resolved == 1);
  CHECK(summary.current.handoffs_by_reason.at("OPERATOR") == 1);
  CHECK(summary.current.time_to_human.count == 1);
  CHECK(summary.current.first_response.count == 2);
  REQUIRE(summary.current.usage_by_model.size() == 1);
  CHECK(summary.current.usage_by_model[0].model == "model-a");
  CHECK(summary.current.usage_by_model[0].calls == 2);
  CHECK(summary.current.prompt_tokens == 200);
  CHECK(summary.current.completion_tokens == 40);
  CHECK(summary.current.cost_micros == 3000);
  // Per model and day: another model's usage the same day stays apart.
  reply.model = "model-b";
  reply.prompt_tokens = 7;
  reply.completion_tokens = 0;
  chat::SaveAiMessage(pool, shop.id, by_ai, reply);
  const auto today = analytics::LastDays(1, kNewYork, now);
  CHECK(analytics::Trend(pool, shop.id, "tokens", analytics::Bucket::kDay, today, now, "model-a").at(0).value == 240);
  CHECK(analytics::Trend(pool, shop.id, "tokens", analytics::Bucket::kDay, today, now, "model-b").at(0).value == 7);
  CHECK(analytics::Trend(pool, shop.id, "tokens", analytics::Bucket::kDay, today, now).at(0).value == 247);
  CHECK(analytics::Trend(pool, shop.id, "model_calls", analytics::Bucket::kDay, today, now).at(0).value == 3);
  CHECK_THROWS_AS(analytics::Trend(pool, shop.id, "conversations", analytics::Bucket::kDay, today, now, "model-a"),
                  InvalidInput);

  // Reopened by the customer: no longer resolved, and by nobody.
  chat::AddUserMessage(pool, shop.id, by_ai, "One more thing", now);
  CHECK(analytics::Summarize(pool, shop.id, analytics::LastDays(1, kNewYork, now), now).current.resolved_by_ai == 0);
}

TEST_CASE("a chat turn records its messages in its own conversation updates, and other writers through the "
          "trigger, each once", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "counted-shop", kNewYork);
  auto& pool = db.pool();
  const auto conversation = chat::Open(pool, shop.id, {}).id;
  const auto first = chat::AddUserMessage(pool, shop.id, conversation, "Hello", DefaultClock().Now());
  chat::AddUserMessage(pool, shop.id, conversation, "Anyone there?", DefaultClock().Now());
  const auto row = db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1(
        "SELECT c.messages_in, c.first_message_at = m.created_at,"
        " (SELECT bool_and(counted) FROM messages WHERE conversation_id = c.id AND role = 'USER')"
        " FROM conversations c JOIN messages m ON m.conversation_id = c.id AND m.id = $2::uuid WHERE c.id = $1::uuid",
        conversation, first.message.id);
  });
  CHECK(row[0].as<int>() == 2);
  CHECK(row[1].as<bool>());
  CHECK(row[2].as<bool>());

  // The AI's reply, saved twice with one id (a retried save), counts once.
  chat::NewAiMessage reply;
  reply.id = chat::NewMessageId();
  reply.content = "Yes, how can I help?";
  reply.model = "model-a";
  reply.prompt_tokens = 100;
  reply.completion_tokens = 20;
  reply.cost_micros = 1500;
  chat::SaveAiMessage(pool, shop.id, conversation, reply);
  chat::SaveAiMessage(pool, shop.id, conversation, reply);
  const auto replied = db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1(
        "SELECT c.messages_out, c.first_response_at = m.created_at, c.prompt_tokens, c.completion_tokens,"
        " c.cost_micros, m.counted, (SELECT calls FROM llm_usage_daily WHERE business_id = c.business_id)"
        " FROM conversations c JOIN messages m ON m.conversation_id = c.id AND m.id = $2::uuid WHERE c.id = $1::uuid",
        conversation, reply.id);
  });
  CHECK(replied[0].as<int>() == 1);
  CHECK(replied[1].as<bool>());
  CHECK(replied[2].as<int>() == 100);
  CHECK(replied[3].as<int>() == 20);
  CHECK(replied[4].as<int>() == 1500);
  CHECK(replied[5].as<bool>());
  CHECK(replied[6].as<int>() == 1);

  // A writer that does not count (an import, a channel) is still counted by the trigger.
  const auto raw = db::WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO messages (business_id, conversation_id, role, content) VALUES ($1, $2, 'USER', 'hi')",
                   shop.id, conversation);
    return tx.exec_params1("SELECT messages_in FROM conversations WHERE id = $1::uuid", conversation)[0].as<int>();
  });
  CHECK(raw == 3);
}

TEST_CASE("a visitor's CSAT rating counts once resolved or closed, only for their own conversation", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "csat-shop", kNewYork);
  Shop other(db, "csat-other", kNewYork);
  auto& pool = db.pool();
  const chat::Visitor ann{"visitor-ann", "", false};
  const chat::Visitor bob{"visitor-bob", "", false};
  chat::OpenRequest open;
  open.channel = chat::Channel::kWebchat;
  open.visitor_id = ann.visitor_id;
  const auto rated = chat::Open(pool, shop.id, open).id;
  chat::AddUserMessage(pool, shop.id, rated, "Thanks!", DefaultClock().Now());
  const auto unrated = chat::Open(pool, shop.id, open).id;
  chat::AddUserMessage(pool, shop.id, unrated, "Bye", DefaultClock().Now());
  const auto still_open = chat::Open(pool, shop.id, open).id;
  chat::AddUserMessage(pool, shop.id, still_open, "Hello?", DefaultClock().Now());

  // Open: no survey yet.
  CHECK_THROWS_AS(chat::RateByVisitor(pool, shop.id, ann, rated, 5, ""), Conflict);
  chat::CloseByVisitor(pool, shop.id, ann, rated);
  chat::Resolve(pool, shop.id, unrated);
  // Someone else's conversation, another business's, a bad score.
  CHECK_THROWS_AS(chat::RateByVisitor(pool, shop.id, bob, rated, 1, "spam"), NotFound);
  CHECK_THROWS_AS(chat::RateByVisitor(pool, other.id, ann, rated, 1, "spam"), NotFound);
  CHECK_THROWS_AS(chat::CloseByVisitor(pool, shop.id, bob, still_open), NotFound);
  CHECK_THROWS_AS(chat::RateByVisitor(pool, shop.id, ann, rated, 6, ""), InvalidInput);
  CHECK_THROWS_AS(chat::RateByVisitor(pool, shop.id, ann, rated, 4, std::string(2001, 'x')), InvalidInput);
  chat::RateByVisitor(pool, shop.id, ann, rated, 2, "slow");
  chat::RateByVisitor(pool, shop.id, ann, rated, 4, "quick and kind");

  const auto now = DefaultClock().Now();
  const auto summary = analytics::Summarize(pool, shop.id, analytics::LastDays(1, kNewYork, now), now);
  CHECK(summary.current.csat_offered == 2);
  CHECK(summary.current.csat_responses == 1);
  CHECK(summary.current.csat_score == 4.0);
  CHECK(summary.current.csat_response_rate == 0.5);
  CHECK(analytics::Summarize(pool, other.id, analytics::LastDays(1, kNewYork, now), now).current.csat_offered == 0);

  std::vector<analytics::ConversationRow> rows;
  analytics::ExportConversations(pool, shop.id, analytics::LastDays(1, kNewYork, now),
                                 [&](const analytics::ConversationRow& row) { rows.push_back(row); });
  REQUIRE(rows.size() == 3);
  const auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.id == rated; });
  REQUIRE(it != rows.end());
  CHECK(it->csat_score == 4);
  CHECK(it->csat_comment == "quick and kind");
  CHECK(it->ended_at.has_value());
  CHECK(it->resolved_by == "AI");
}

TEST_CASE("the export pages through every conversation of the range, and only the business's", "[analytics]") {
  test::TestDatabase db;
  Shop shop(db, "export-shop", kNewYork);
  Shop other(db, "export-other", kNewYork);
  const auto start = Local("2026-07-01 08:00", kNewYork);
  // More than a page, several at the same instant (ties broken by id).
  shop.Exec("INSERT INTO conversations (business_id, created_at)"
            " SELECT $1, $2::timestamptz + (g / 3) * interval '1 minute' FROM generate_series(1, 2502) g",
            Iso(start));
  other.Conversation(start);
  shop.Conversation(Local("2026-07-03 00:00", kNewYork));  // the day after the range
  std::set<std::string> ids;
  const auto written = analytics::ExportConversations(db.pool(), shop.id, Days("2026-07-01", "2026-07-02"),
                                                      [&](const analytics::ConversationRow& row) { ids.insert(row.id); });
  CHECK(written == 2502);
  CHECK(ids.size() == 2502);
}

namespace {

// The demo salon on the fake model, as a visitor's chat reaches it.
struct Desk {
  Desk() {
    business::Apply(db.pool(), business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"));
    business_id = business::Get(db.pool(), "demo-salon").id;
    config::LlmSettings llm_settings;
    llm_settings.base_url = fake.base_url();
    llm_settings.api_key = "test-key";
    llm_settings.models = {"model-a"};
    llm_settings.max_retries = 0;
    llm_settings.retry_base_delay_ms = 1;
    llm_settings.escalate_on_failure = true;
    llm = llm::MakeOpenAiClient(llm_settings, *http, 1);
    chat::EngineSettings settings;
    settings.llm = llm_settings;
    settings.billing.trial_days = 0;
    settings.billing.plans[billing::PlanTier::kFree].interactions_per_month = 3;
    engine = std::make_unique<chat::Engine>(db.pool(), businesses, retriever, llm.get(), executor, clock, settings);
  }
  chat::TurnRequest Request(const std::string& text, const std::string& conversation_id = "") {
    chat::TurnRequest request;
    request.business_slug = "demo-salon";
    request.text = text;
    request.conversation_id = conversation_id;
    request.caller = chat::Caller::kOperator;
    return request;
  }
  std::string Reason(const std::string& conversation_id) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1("SELECT coalesce(handoff_reason, '') FROM conversations WHERE id = $1::uuid",
                             conversation_id)[0]
          .as<std::string>();
    });
  }

  test::TestDatabase db;
  test::FixedClock clock{booking::ParseStartTime("2026-11-24 09:00", kNewYork)};
  test::FakeOpenAi fake;
  std::unique_ptr<http::HttpClient> http = http::MakeHttpClient(http::ClientSettings{});
  std::unique_ptr<llm::LlmClient> llm;
  chat::BusinessCache businesses{db.pool()};
  kb::Retriever retriever{db.pool(), config::KbSettings{}};
  ThreadPoolExecutor executor{2};
  std::unique_ptr<chat::Engine> engine;
  std::string business_id;
};

test::FakeToolCall Call(std::string id, std::string name, const json& args) {
  return {std::move(id), std::move(name), {args.dump()}};
}

}  // namespace

TEST_CASE("a booking, a move and a cancellation through the tools are recorded with their conversation", "[analytics]") {
  Desk desk;
  desk.fake.Enqueue(test::ToolCallReply({Call("c1", "book_appointment",
                                              {{"date", "2026-12-01"},
                                               {"time", "15:00"},
                                               {"service", "Women's haircut"},
                                               {"customer_name", "Jane Doe"},
                                               {"customer_email", "jane@example.com"}})}));
  desk.fake.Enqueue(test::TextReply({"Booked for December 1 at 3 pm."}));
  const auto booked = desk.engine->Turn(desk.Request("Book me a haircut Dec 1 at 3pm, Jane, jane@example.com"));
  const auto appointment_id = json::parse(booked.tool_calls.at(0).result_json).at("appointment_id").get<std::string>();
  desk.fake.Enqueue(test::ToolCallReply({Call("c2", "reschedule_appointment",
                                              {{"appointment_id", appointment_id},
                                               {"new_date", "2026-12-02"},
                                               {"new_time", "15:00"}})}));
  desk.fake.Enqueue(test::ToolCallReply({Call("c3", "cancel_appointment", {{"appointment_id", appointment_id}})}));
  desk.fake.Enqueue(test::TextReply({"Moved, then canceled."}));
  desk.engine->Turn(desk.Request("Move it to the 2nd, no, cancel it", booked.conversation_id));
  // A conversation that only asks.
  desk.fake.Enqueue(test::TextReply({"We open at 9."}));
  desk.engine->Turn(desk.Request("When do you open?"));

  // Steps are stamped by the database's clock, not the engine's.
  const auto now = DefaultClock().Now();
  const auto range = analytics::LastDays(1, kNewYork, now);
  const auto summary = analytics::Summarize(desk.db.pool(), desk.business_id, range, now);
  CHECK(summary.current.conversations == 2);
  CHECK(summary.current.bookings_made == 1);
  CHECK(summary.current.bookings_rescheduled == 1);
  CHECK(summary.current.bookings_canceled == 1);
  CHECK(summary.current.converted == 1);
  CHECK(summary.current.booking_conversion_rate == 0.5);
  // The fake reports usage and cost on every call: six calls of model-a.
  REQUIRE(summary.current.usage_by_model.size() == 1);
  CHECK(summary.current.usage_by_model[0].calls == 6);
  CHECK(summary.current.cost_micros > 0);

  std::vector<analytics::ConversationRow> rows;
  analytics::ExportConversations(desk.db.pool(), desk.business_id, range,
                                 [&](const analytics::ConversationRow& row) { rows.push_back(row); });
  REQUIRE(rows.size() == 2);
  const auto& first = rows[0].id == booked.conversation_id ? rows[0] : rows[1];
  CHECK(first.booked_appointment_ids == std::vector<std::string>{appointment_id});
  CHECK(first.messages_in == 2);
  CHECK(first.messages_out == 2);
  CHECK(first.customer_name == "Jane Doe");
  CHECK(first.prompt_tokens > 0);
}

TEST_CASE("each way a chat reaches a human records its reason", "[analytics]") {
  Desk desk;
  desk.fake.Enqueue(test::ToolCallReply(
      {Call("e1", "escalate_to_human", {{"reason", "wants a person"}, {"customer_asked", true}})}));
  desk.fake.Enqueue(test::TextReply({"A team member will reply here."}));
  CHECK(desk.Reason(desk.engine->Turn(desk.Request("Can I talk to a person?")).conversation_id) == "HUMAN_REQUESTED");

  desk.fake.Enqueue(test::ToolCallReply({Call("e2", "escalate_to_human", {{"reason", "refund request"}})}));
  desk.fake.Enqueue(test::TextReply({"A team member will reply here."}));
  CHECK(desk.Reason(desk.engine->Turn(desk.Request("I want a refund")).conversation_id) == "TOOL_OR_POLICY");

  desk.fake.Enqueue(test::ErrorReply(500, "upstream exploded"));
  CHECK(desk.Reason(desk.engine->Turn(desk.Request("Hello?")).conversation_id) == "MODEL_FAILURE");

  // The plan allows 3 interactions; the fourth message goes to the team.
  std::string limited;
  try {
    desk.engine->Turn(desk.Request("And now?"), [&](const chat::TurnEvent& event) {
      if (event.kind == chat::TurnEvent::Kind::kOpened) limited = event.conversation_id;
    });
    FAIL("the plan's limit was not reached");
  } catch (const LimitReached&) {
  }
  CHECK(desk.Reason(limited) == "PLAN_LIMIT");
  CHECK(chat::Get(desk.db.pool(), desk.business_id, limited).status == chat::ConversationStatus::kEscalated);
}

}  // namespace omni
