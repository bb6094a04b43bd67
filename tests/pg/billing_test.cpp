// Metering and limits on a real database (core/billing/usage.hpp): the
// business's period, idempotency by key, hard limits and overage,
// concurrency against a hard limit, the effective plan read from the
// subscription columns, conversations, holdings, warnings, the usage
// report, and scoping by business.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/billing/usage.hpp"
#include "core/billing/usage_tx.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/business/business_file.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using test::TestDatabase;
using Plans = billing::BillingSettings;

TimePoint Utc(const std::string& text) { return booking::ParseStartTime(text, "UTC"); }

std::string NewBusinessId(db::Pool& pool, const std::string& slug) {
  business::BusinessSpec spec = business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: UTC\n", "t.yaml");
  return business::Apply(pool, spec).business_id;
}

// Every tier allows `limit` interactions a month, with `overage_cents` per
// interaction past it (0: a hard limit).
Plans EveryTier(std::int64_t limit, std::int64_t overage_cents = 0) {
  Plans plans;
  for (auto& [tier, limits] : plans.plans) {
    limits.interactions_per_month = limit;
    limits.overage_cents_per_interaction = overage_cents;
  }
  return plans;
}

}  // namespace

void Sql(db::Pool& pool, const std::string& sql, const std::string& business_id) {
  db::WithTransaction(pool, [&](pqxx::work& tx) { tx.exec_params(sql, business_id); });
}

TEST_CASE("a business's usage counts in its local calendar month, or in its subscription's period", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  Sql(db.pool(), "UPDATE businesses SET timezone = 'America/New_York' WHERE id = $1", biz);
  const Plans plans = EveryTier(100);
  // 2026-12-01 03:00 UTC is still November 30 in New York.
  billing::MeterInteraction(db.pool(), biz, plans, "late-november", "", Utc("2026-12-01 03:00"));
  billing::MeterInteraction(db.pool(), biz, plans, "december", "", Utc("2026-12-01 06:00"));
  CHECK(billing::InteractionsUsed(db.pool(), biz, Utc("2026-11-30 12:00")) == 1);
  CHECK(billing::InteractionsUsed(db.pool(), biz, Utc("2026-12-15 12:00")) == 1);

  Sql(db.pool(),
      "UPDATE businesses SET subscription_status = 'ACTIVE', plan_tier = 'STARTER',"
      " current_period_start = '2026-12-10T15:00:00Z', current_period_end = '2027-01-10T15:00:00Z' WHERE id = $1",
      biz);
  billing::MeterInteraction(db.pool(), biz, plans, "subscribed", "", Utc("2026-12-11 12:00"));
  CHECK(billing::InteractionsUsed(db.pool(), biz, Utc("2027-01-05 12:00")) == 1);
  CHECK(billing::Usage(db.pool(), biz, plans, Utc("2027-01-05 12:00")).period.key == "2026-12-10");
}

TEST_CASE("the stored subscription decides the plan whose limits a meter applies", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  Plans plans;
  plans.plans[billing::PlanTier::kFree].interactions_per_month = 1;
  plans.plans[billing::PlanTier::kStarter].interactions_per_month = 2;
  plans.plans[billing::PlanTier::kProfessional].interactions_per_month = 3;
  const auto created = billing::LoadSubscriptionState(db.pool(), biz).created_at;
  // A new business is in its trial: STARTER's limit.
  CHECK(billing::MeterInteraction(db.pool(), biz, plans, "a", "", created + std::chrono::hours(1)).limit == 2);
  // After the trial, FREE.
  const auto later = created + std::chrono::days(20);
  CHECK(billing::EntitlementOf(db.pool(), biz, plans, later).tier == billing::PlanTier::kFree);
  Sql(db.pool(), "UPDATE businesses SET subscription_status = 'PAST_DUE', plan_tier = 'PROFESSIONAL',"
                 " past_due_since = created_at + interval '15 days' WHERE id = $1", biz);
  CHECK(billing::MeterInteraction(db.pool(), biz, plans, "b", "", later).limit == 3);
  CHECK(billing::EntitlementOf(db.pool(), biz, plans, later + std::chrono::days(3)).tier ==
        billing::PlanTier::kFree);
  Sql(db.pool(), "UPDATE businesses SET subscription_status = 'CANCELED' WHERE id = $1", biz);
  CHECK(billing::EntitlementOf(db.pool(), biz, plans, later).tier == billing::PlanTier::kFree);
}

TEST_CASE("80% and 100% of a limit are recorded once per period, and a refusal records 100%", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const std::string other = NewBusinessId(db.pool(), "other");
  const auto now = Utc("2026-12-03 10:00");
  const Plans plans = EveryTier(5);
  for (int i = 0; i < 4; ++i) billing::MeterInteraction(db.pool(), biz, plans, "m" + std::to_string(i), "", now);
  auto report = billing::Usage(db.pool(), biz, plans, now);
  REQUIRE(report.warnings.size() == 1);
  CHECK(report.warnings[0].threshold_percent == 80);
  CHECK(report.warnings[0].metric == billing::Metric::kInteractions);
  CHECK(report.warnings[0].used == 4);
  billing::MeterInteraction(db.pool(), biz, plans, "m4", "", now);
  CHECK_THROWS_AS(billing::MeterInteraction(db.pool(), biz, plans, "m5", "", now), LimitReached);
  CHECK_THROWS_AS(billing::MeterInteraction(db.pool(), biz, plans, "m6", "", now), LimitReached);
  report = billing::Usage(db.pool(), biz, plans, now);
  REQUIRE(report.warnings.size() == 2);
  CHECK(report.warnings[1].threshold_percent == 100);
  CHECK(report.limits[0].used == 5);
  CHECK(report.limits[0].percent == 100);
  // Another business's report shows none of them; a new period starts clean.
  CHECK(billing::Usage(db.pool(), other, plans, now).warnings.empty());
  CHECK(billing::Usage(db.pool(), biz, plans, Utc("2027-01-02 10:00")).warnings.empty());
  CHECK(billing::Usage(db.pool(), biz, plans, Utc("2027-01-02 10:00"), 1).warnings.size() == 2);

  // A limit of 0 refuses at once, and the refusal is the 100% warning.
  Plans none = EveryTier(0);
  CHECK_THROWS_AS(billing::MeterInteraction(db.pool(), other, none, "x", "", now), LimitReached);
  CHECK(billing::Usage(db.pool(), other, none, now).warnings.size() == 1);
}

TEST_CASE("a conversation counts once per period against conversations_per_month", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto now = Utc("2026-12-03 10:00");
  Plans plans = EveryTier(100);
  for (auto& [tier, limits] : plans.plans) limits.conversations_per_month = 2;
  const auto meter = [&](const std::string& id) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return billing::MeterConversation(tx, biz, plans, id, now);
    });
  };
  CHECK(meter("11111111-1111-1111-1111-111111111111").counted);
  CHECK_FALSE(meter("11111111-1111-1111-1111-111111111111").counted);
  CHECK(meter("22222222-2222-2222-2222-222222222222").used == 2);
  CHECK_THROWS_WITH(meter("33333333-3333-3333-3333-333333333333"),
                    Catch::Contains("plan STARTER allows 2 new conversations a month"));
  CHECK(billing::Usage(db.pool(), biz, plans, now).limits[1].used == 2);
}

TEST_CASE("holdings are checked against the plan: services, documents and operators", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto now = billing::LoadSubscriptionState(db.pool(), biz).created_at + std::chrono::days(30);
  const Plans plans;  // FREE after the trial: 5 documents, 5 services, 1 operator
  const auto check = [&](billing::Metric metric, std::int64_t total) {
    db::WithTransaction(db.pool(),
                        [&](pqxx::work& tx) { billing::CheckHolding(tx, biz, plans, metric, 0, total, now); });
  };
  // A dry run checks without recording a warning.
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    billing::CheckHolding(tx, biz, plans, billing::Metric::kDocuments, 0, 5, now, /*record_warnings=*/false);
  });
  CHECK(billing::Usage(db.pool(), biz, plans, now).warnings.empty());
  check(billing::Metric::kServices, 5);
  CHECK(billing::Usage(db.pool(), biz, plans, now).warnings.size() == 2);
  CHECK_THROWS_WITH(check(billing::Metric::kServices, 6),
                    "plan FREE allows 5 active services, and this would make 6");
  CHECK_THROWS_AS(check(billing::Metric::kDocuments, 6), LimitReached);
  check(billing::Metric::kOperators, 1);
  CHECK_THROWS_WITH(check(billing::Metric::kOperators, 2), Catch::Contains("plan FREE allows 1 operator, and this would make 2"));
  CHECK_THROWS_AS(check(billing::Metric::kInteractions, 1), InvalidInput);
  // Over the limit after a downgrade: changes that do not add are allowed.
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    billing::CheckHolding(tx, biz, plans, billing::Metric::kServices, 8, 8, now);
    CHECK_THROWS_AS(billing::CheckHolding(tx, biz, plans, billing::Metric::kServices, 8, 9, now), LimitReached);
  });
  // Operators count as the business's users.
  Sql(db.pool(), "INSERT INTO users (business_id, email) VALUES ($1, 'owner@acme.example')", biz);
  CHECK(billing::Usage(db.pool(), biz, plans, now).limits[4].used == 1);
  CHECK(billing::Usage(db.pool(), biz, plans, now).limits[4].percent == 100);
}

TEST_CASE("metering one key twice counts once, and a new month starts at zero", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto now = Utc("2026-12-03 10:00");
  const Plans plans = EveryTier(100);
  const auto first = billing::MeterInteraction(db.pool(), biz, plans, "message-1", "", now);
  CHECK(first.counted);
  CHECK(first.used == 1);
  CHECK(first.limit == 100);
  const auto again = billing::MeterInteraction(db.pool(), biz, plans, "message-1", "", now);
  CHECK_FALSE(again.counted);
  CHECK(again.used == 1);
  billing::MeterInteraction(db.pool(), biz, plans, "message-2", "", now);
  CHECK(billing::InteractionsUsed(db.pool(), biz, now) == 2);
  CHECK(billing::InteractionsUsed(db.pool(), biz, Utc("2027-01-01 00:00")) == 0);
  CHECK(billing::MeterInteraction(db.pool(), biz, plans, "message-3", "", Utc("2027-01-01 00:00")).used == 1);
  CHECK(billing::InteractionsUsed(db.pool(), biz, now) == 2);
}

TEST_CASE("a hard limit refuses and counts nothing; overage counts past it", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto now = Utc("2026-12-03 10:00");
  const Plans hard = EveryTier(2);
  billing::MeterInteraction(db.pool(), biz, hard, "m1", "", now);
  billing::MeterInteraction(db.pool(), biz, hard, "m2", "", now);
  CHECK_THROWS_AS(billing::MeterInteraction(db.pool(), biz, hard, "m3", "", now), LimitReached);
  CHECK(billing::InteractionsUsed(db.pool(), biz, now) == 2);
  // A key already counted is not refused: a retried turn stays answered.
  CHECK_FALSE(billing::MeterInteraction(db.pool(), biz, hard, "m2", "", now).counted);

  const auto over = billing::MeterInteraction(db.pool(), biz, EveryTier(2, 5), "m3", "", now);
  CHECK(over.counted);
  CHECK(over.over_limit);
  CHECK(over.used == 3);
  CHECK(billing::MeterInteraction(db.pool(), biz, EveryTier(-1), "m4", "", now).limit == -1);
}

TEST_CASE("concurrent turns never overshoot a hard limit", "[billing]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto now = Utc("2026-12-03 10:00");
  const Plans plans = EveryTier(10);
  std::atomic<int> counted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        try {
          if (billing::MeterInteraction(db.pool(), biz, plans, std::to_string(t) + "-" + std::to_string(i), "", now)
                  .counted) {
            ++counted;
          }
        } catch (const LimitReached&) {
          ++refused;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(counted == 10);
  CHECK(refused == 22);
  CHECK(billing::InteractionsUsed(db.pool(), biz, now) == 10);
}

TEST_CASE("usage is per business, and an unknown business is not found", "[billing]") {
  TestDatabase db;
  const std::string acme = NewBusinessId(db.pool(), "acme");
  const std::string beta = NewBusinessId(db.pool(), "beta");
  const auto now = Utc("2026-12-03 10:00");
  const Plans plans = EveryTier(1);
  billing::MeterInteraction(db.pool(), acme, plans, "same-key", "", now);
  // The same key in another business is another event, under its own limit.
  CHECK(billing::MeterInteraction(db.pool(), beta, plans, "same-key", "", now).counted);
  CHECK_THROWS_AS(billing::MeterInteraction(db.pool(), acme, plans, "other", "", now), LimitReached);
  CHECK(billing::InteractionsUsed(db.pool(), beta, now) == 1);
  CHECK_THROWS_AS(
      billing::MeterInteraction(db.pool(), "00000000-0000-0000-0000-000000000000", plans, "k", "", now), NotFound);
}

}  // namespace omni
