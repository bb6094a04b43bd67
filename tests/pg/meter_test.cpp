// Usage metered to Stripe through the outbox (core/billing/meter.hpp) on a
// real database, against the fake Stripe: the job is enqueued with the
// count or not at all, its request carries what Stripe's Billing Meter
// needs, transient failures are retried with backoff, permanent ones are
// recorded with Stripe's error, and concurrent drainers send each event
// once under injected failures.
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/billing/meter.hpp"
#include "core/billing/stripe_client.hpp"
#include "core/billing/usage.hpp"
#include "core/billing/usage_tx.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/jobs/jobs.hpp"
#include "tests/support/fake_stripe.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using jobs::JobState;
using test::FakeStripe;
using test::StripeFault;
using test::TestDatabase;
using std::chrono::seconds;

const TimePoint kNow = TimePoint{std::chrono::seconds{1'796'000'000}};

std::string NewBusiness(db::Pool& pool, const std::string& slug, const std::string& customer) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name, stripe_customer_id) VALUES ($1, 'Biz', nullif($2, ''))"
                           " RETURNING id",
                           slug, customer)[0]
        .as<std::string>();
  });
}

// Every tier (the trial's too) allows `limit` interactions, as a hard limit.
billing::BillingSettings Plans(std::int64_t limit) {
  billing::BillingSettings plans;
  for (auto& [tier, limits] : plans.plans) {
    limits.interactions_per_month = limit;
    limits.overage_cents_per_interaction = 0;
  }
  return plans;
}

struct Drainer {
  explicit Drainer(const FakeStripe& fake) : http(http::MakeHttpClient({})), client(*http, Settings(fake)) {}
  static billing::StripeClientSettings Settings(const FakeStripe& fake) {
    billing::StripeClientSettings settings;
    settings.api_key = "sk_test_meter";
    settings.api_base = fake.base_url();
    settings.timeout_ms = 5000;
    return settings;
  }
  billing::DrainStats Drain(db::Pool& pool, const Clock& clock, billing::MeterSettings settings = {}) {
    settings.event_name = "omni_interactions";
    return billing::DrainMeterEvents(pool, client, settings, clock, [] { return 0.0; });
  }
  std::unique_ptr<http::HttpClient> http;
  billing::StripeClient client;
};

std::map<JobState, std::int64_t> Counts(db::Pool& pool, const std::string& business) {
  return jobs::CountByState(pool, billing::kMeterQueue, business);
}

}  // namespace

TEST_CASE("a metered interaction enqueues its meter event only with a Stripe customer", "[meter]") {
  TestDatabase db;
  const std::string linked = NewBusiness(db.pool(), "linked", "cus_1");
  const std::string local = NewBusiness(db.pool(), "local", "");
  const auto plans = Plans(2);
  billing::MeterInteraction(db.pool(), linked, plans, "m1", "", kNow);
  billing::MeterInteraction(db.pool(), linked, plans, "m1", "", kNow);  // already metered
  billing::MeterInteraction(db.pool(), linked, plans, "m2", "", kNow);
  CHECK_THROWS_AS(billing::MeterInteraction(db.pool(), linked, plans, "m3", "", kNow), LimitReached);
  billing::MeterInteraction(db.pool(), local, plans, "m1", "", kNow);
  CHECK(Counts(db.pool(), linked)[JobState::kPending] == 2);
  CHECK(Counts(db.pool(), local)[JobState::kPending] == 0);

  // Rolled back with the count.
  CHECK_THROWS_AS(db::WithTransaction(db.pool(),
                                      [&](pqxx::work& tx) {
                                        billing::MeterInteraction(tx, linked, Plans(100), "m4", "", kNow);
                                        throw Conflict("turn failed");
                                      }),
                  Conflict);
  CHECK(Counts(db.pool(), linked)[JobState::kPending] == 2);
}

TEST_CASE("a drained meter event carries event name, customer, value, identifier and timestamp", "[meter]") {
  TestDatabase db;
  FakeStripe fake;
  const std::string biz = NewBusiness(db.pool(), "acme", "cus_1");
  billing::MeterInteraction(db.pool(), biz, Plans(100), "m1", "", kNow);
  test::FixedClock clock(kNow + seconds{1});
  Drainer drainer(fake);
  const auto stats = drainer.Drain(db.pool(), clock);
  CHECK(stats.sent == 1);
  const auto events = fake.meter_events();
  REQUIRE(events.size() == 1);
  const auto& form = events[0].form;
  CHECK(form.at("event_name") == "omni_interactions");
  CHECK(form.at("payload[stripe_customer_id]") == "cus_1");
  CHECK(form.at("payload[value]") == "1");
  CHECK(form.at("timestamp") == "1796000000");
  const std::string usage_event_id = db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    return tx.exec_params1("SELECT id FROM usage_events WHERE business_id = $1", biz)[0].as<std::string>();
  });
  CHECK(form.at("identifier") == usage_event_id);
  CHECK(events[0].headers.at("idempotency-key") == usage_event_id);
  CHECK(Counts(db.pool(), biz)[JobState::kDone] == 1);
  CHECK(drainer.Drain(db.pool(), clock).sent == 0);
}

TEST_CASE("connection errors, 409, 429 and 5xx are retried with backoff until sent", "[meter]") {
  TestDatabase db;
  FakeStripe fake;
  const std::string biz = NewBusiness(db.pool(), "acme", "cus_1");
  billing::MeterInteraction(db.pool(), biz, Plans(100), "m1", "", kNow);
  test::FixedClock clock(kNow);
  Drainer drainer(fake);
  fake.FailNext({StripeFault::kDropBefore, StripeFault::kConflict, StripeFault::kRateLimited,
                 StripeFault::kServerError, StripeFault::kDropAfter});
  TimePoint at = kNow;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    INFO("attempt " << attempt);
    CHECK(drainer.Drain(db.pool(), clock).retried == 1);
    const auto pending = jobs::List(db.pool(), {billing::kMeterQueue, biz, JobState::kPending, 1});
    REQUIRE(pending.size() == 1);
    CHECK_FALSE(pending[0].last_error.empty());
    // Not due before its backoff (half of base * 2^(attempt-1) with no jitter).
    const auto delay = std::chrono::milliseconds(500LL << (attempt - 1));
    CHECK(pending[0].run_at == at + delay);
    at += delay;
    clock.Set(at - std::chrono::milliseconds(1));
    CHECK(drainer.Drain(db.pool(), clock).retried == 0);
    clock.Set(at);
  }
  // The last failure lost an answer after Stripe had recorded the event:
  // the retry's same Idempotency-Key replays it, and it is counted once.
  CHECK(drainer.Drain(db.pool(), clock).sent == 1);
  CHECK(fake.meter_events().size() == 1);
  CHECK(fake.duplicate_meter_events() == 0);
}

TEST_CASE("a permanent error kills the event with Stripe's type, code and message", "[meter]") {
  TestDatabase db;
  FakeStripe fake;
  const std::string gone = NewBusiness(db.pool(), "gone", "cus_deleted");
  const std::string other = NewBusiness(db.pool(), "other", "cus_2");
  fake.RejectCustomer("cus_deleted");
  billing::MeterInteraction(db.pool(), gone, Plans(100), "m1", "", kNow);
  billing::MeterInteraction(db.pool(), other, Plans(100), "m1", "", kNow);
  test::FixedClock clock(kNow);
  Drainer drainer(fake);
  const auto stats = drainer.Drain(db.pool(), clock);
  CHECK(stats.failed == 1);
  CHECK(stats.sent == 1);
  const auto dead = jobs::List(db.pool(), {billing::kMeterQueue, gone, JobState::kDead, 1});
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].last_error ==
        "stripe answered 400 invalid_request_error/resource_missing: No such customer: 'cus_deleted'");
  CHECK(Counts(db.pool(), other)[JobState::kDone] == 1);

  // Stripe-Should-Retry: false wins over the status.
  billing::MeterInteraction(db.pool(), other, Plans(100), "m2", "", kNow);
  fake.FailNext({StripeFault::kIdempotencyError});
  CHECK(drainer.Drain(db.pool(), clock).failed == 1);
  const auto idempotency = jobs::List(db.pool(), {billing::kMeterQueue, other, JobState::kDead, 1});
  REQUIRE(idempotency.size() == 1);
  CHECK(idempotency[0].last_error.starts_with("stripe answered 400 idempotency_error: Keys for idempotent"));
}

TEST_CASE("an event older than Stripe's 35-day window is not sent", "[meter]") {
  TestDatabase db;
  FakeStripe fake;
  const std::string biz = NewBusiness(db.pool(), "acme", "cus_1");
  billing::MeterInteraction(db.pool(), biz, Plans(100), "m1", "", kNow);
  test::FixedClock clock(kNow + std::chrono::hours(35 * 24));
  Drainer drainer(fake);
  CHECK(drainer.Drain(db.pool(), clock).failed == 1);
  CHECK(fake.requests().empty());
  const auto dead = jobs::List(db.pool(), {billing::kMeterQueue, biz, JobState::kDead, 1});
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].last_error == "usage event is older than Stripe's 35-day window for meter events");
}

TEST_CASE("concurrent drainers send every meter event exactly once under injected failures", "[meter]") {
  TestDatabase db;
  FakeStripe fake;
  const std::string acme = NewBusiness(db.pool(), "acme", "cus_1");
  const std::string other = NewBusiness(db.pool(), "other", "cus_2");
  constexpr int kEvents = 150;
  for (int i = 0; i < kEvents; ++i) {
    billing::MeterInteraction(db.pool(), i % 2 ? acme : other, Plans(1000), "m" + std::to_string(i), "", kNow);
  }
  fake.FailRandomly(0.3,
                    {StripeFault::kRateLimited, StripeFault::kServerError, StripeFault::kConflict,
                     StripeFault::kDropBefore, StripeFault::kDropAfter},
                    42);
  test::FixedClock clock(kNow);
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      Drainer drainer(fake);
      billing::MeterSettings settings;
      settings.batch = 7;
      settings.backoff_base = std::chrono::milliseconds(1);
      settings.backoff_cap = std::chrono::milliseconds(4);
      while (!done) {
        drainer.Drain(db.pool(), clock, settings);
        clock.Set(clock.Now() + std::chrono::milliseconds(5));
      }
    });
  }
  for (int i = 0; i < 600 && (Counts(db.pool(), acme)[JobState::kDone] + Counts(db.pool(), other)[JobState::kDone]) <
                                 kEvents;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  done = true;
  for (auto& thread : threads) thread.join();
  CHECK(Counts(db.pool(), acme)[JobState::kDone] + Counts(db.pool(), other)[JobState::kDone] == kEvents);
  const auto events = fake.meter_events();
  std::set<std::string> identifiers;
  for (const auto& event : events) identifiers.insert(event.form.at("identifier"));
  CHECK(events.size() == kEvents);
  CHECK(identifiers.size() == kEvents);
  CHECK(fake.duplicate_meter_events() == 0);
}

}  // namespace omni
