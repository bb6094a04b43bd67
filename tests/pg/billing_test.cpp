// Metering on a real database (core/billing/usage.hpp): the calendar
// period, idempotency by key, hard limits and overage, concurrency against
// a hard limit, and scoping by business.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/billing/usage.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/business/business_file.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using test::TestDatabase;
using Plans = std::map<billing::PlanTier, billing::PlanLimits>;

TimePoint Utc(const std::string& text) { return booking::ParseStartTime(text, "UTC"); }

std::string NewBusinessId(db::Pool& pool, const std::string& slug) {
  business::BusinessSpec spec = business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: UTC\n", "t.yaml");
  return business::Apply(pool, spec).business_id;
}

// Every tier allows `limit` interactions a month, with `overage_cents` per
// interaction past it (0: a hard limit).
Plans EveryTier(std::int64_t limit, std::int64_t overage_cents = 0) {
  Plans plans = billing::DefaultPlans();
  for (auto& [tier, limits] : plans) {
    limits.interactions_per_month = limit;
    limits.overage_cents_per_interaction = overage_cents;
  }
  return plans;
}

}  // namespace

TEST_CASE("a period is the calendar month in UTC", "[billing]") {
  using std::chrono::day;
  using std::chrono::month;
  using std::chrono::year;
  CHECK(billing::PeriodStart(Utc("2026-12-31 23:59")) == year{2026} / month{12} / day{1});
  CHECK(billing::PeriodStart(Utc("2027-01-01 00:00")) == year{2027} / month{1} / day{1});
  CHECK(billing::PeriodStart(Utc("2028-02-29 12:00")) == year{2028} / month{2} / day{1});
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
