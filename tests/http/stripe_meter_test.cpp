// The meter outbox drained by omnid (daemon/meter_worker.cpp) against the
// fake Stripe: two omnid instances on one database send every meter event
// exactly once under injected failures, and a metered interaction never
// waits on Stripe.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "core/billing/meter.hpp"
#include "core/billing/usage.hpp"
#include "core/db/pqxx.hpp"
#include "core/jobs/jobs.hpp"
#include "tests/support/fake_stripe.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using test::FakeStripe;
using test::OmnidRunner;
using test::StripeFault;
using test::TestDatabase;

std::string NewBusiness(db::Pool& pool, const std::string& slug, const std::string& customer) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name, stripe_customer_id) VALUES ($1, 'Biz', $2) RETURNING id",
                           slug, customer)[0]
        .as<std::string>();
  });
}

std::string MeterYaml(const FakeStripe& fake) {
  return "stripe:\n  api_key: sk_test_meter_secret_77\n  api_base: " + fake.base_url() +
         "\n  meter_event_name: omni_test_interactions\n  meter_poll_ms: 50\n  meter_retry_base_ms: 20\n";
}

billing::BillingSettings Unlimited() {
  billing::BillingSettings plans;
  for (auto& [tier, limits] : plans.plans) limits.interactions_per_month = -1;
  return plans;
}

std::int64_t Done(db::Pool& pool) {
  return jobs::CountByState(pool, billing::kMeterQueue, "").at(jobs::JobState::kDone);
}

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()); }

}  // namespace

TEST_CASE("stripe meter: two omnid instances send every event exactly once under failures", "[http][stripe]") {
  TestDatabase db;
  FakeStripe fake;
  fake.FailRandomly(0.3,
                    {StripeFault::kRateLimited, StripeFault::kServerError, StripeFault::kConflict,
                     StripeFault::kDropBefore, StripeFault::kDropAfter},
                    7);
  const std::string acme = NewBusiness(db.pool(), "acme", "cus_acme");
  const std::string other = NewBusiness(db.pool(), "other", "cus_other");
  OmnidRunner first(db.url(), MeterYaml(fake));
  OmnidRunner second(db.url(), MeterYaml(fake));
  constexpr int kEvents = 200;
  for (int i = 0; i < kEvents; ++i) {
    billing::MeterInteraction(db.pool(), i % 3 ? acme : other, Unlimited(), "turn-" + std::to_string(i), "", Now());
  }
  for (int i = 0; i < 1200 && Done(db.pool()) < kEvents; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(Done(db.pool()) == kEvents);
  const auto events = fake.meter_events();
  std::set<std::string> identifiers;
  std::size_t acme_events = 0;
  for (const auto& event : events) {
    identifiers.insert(event.form.at("identifier"));
    CHECK(event.form.at("event_name") == "omni_test_interactions");
    if (event.form.at("payload[stripe_customer_id]") == "cus_acme") ++acme_events;
  }
  CHECK(events.size() == kEvents);
  CHECK(identifiers.size() == kEvents);
  CHECK(acme_events == kEvents - (kEvents + 2) / 3);
  CHECK(fake.duplicate_meter_events() == 0);
  // The API key never reached either log.
  for (auto* omnid : {&first, &second}) {
    CHECK(omnid->process().Stderr().find("sk_test_meter_secret_77") == std::string::npos);
  }
}

TEST_CASE("stripe meter: a metered interaction never waits on a slow Stripe", "[http][stripe]") {
  TestDatabase db;
  FakeStripe fake;
  fake.SetDelay(1500);
  const std::string acme = NewBusiness(db.pool(), "acme", "cus_acme");
  OmnidRunner omnid(db.url(), MeterYaml(fake));
  billing::MeterInteraction(db.pool(), acme, Unlimited(), "warm-up", "", Now());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the worker is now inside a slow send
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    billing::MeterInteraction(db.pool(), acme, Unlimited(), "turn-" + std::to_string(i), "", Now());
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited < std::chrono::milliseconds(1000));
  for (int i = 0; i < 400 && Done(db.pool()) < 6; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(Done(db.pool()) == 6);
}

}  // namespace omni
