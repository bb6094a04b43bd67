// Stripe events on a real database (core/billing/stripe_events.hpp):
// storage by id and redelivery, checkout linking, subscription snapshots in
// any order, grace start, ignored events, isolation between businesses, and
// reconciliation from a snapshot read back from Stripe.
#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/billing/stripe_events.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/stripe_fixtures.hpp"

namespace omni {
namespace {

using billing::EventOutcome;
using test::TestDatabase;
using Json = nlohmann::json;
namespace fx = test::stripe_fixtures;

const TimePoint kNow = TimePoint{std::chrono::seconds{fx::kT0 + 3600}};

std::string NewBusiness(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name) VALUES ($1, 'Biz') RETURNING id", slug)[0]
        .as<std::string>();
  });
}

struct State {
  std::string plan, status, customer, subscription, period_end, past_due_since;
  bool cancel_at_period_end = false;
};

State Read(db::Pool& pool, const std::string& business) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto row = tx.exec_params1(
        "SELECT plan_tier, subscription_status, coalesce(stripe_customer_id, ''), coalesce(stripe_subscription_id, ''),"
        " coalesce(extract(epoch FROM current_period_end)::int8::text, ''),"
        " coalesce(extract(epoch FROM past_due_since)::int8::text, ''), cancel_at_period_end"
        " FROM businesses WHERE id = $1",
        business);
    return State{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                 row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(), row[6].as<bool>()};
  });
}

billing::EventResult Apply(db::Pool& pool, const Json& event) {
  return billing::ApplyStripeEvent(pool, event.dump(), fx::PriceIds(), kNow);
}

long long EventCount(db::Pool& pool) {
  return db::WithTransaction(pool, [](pqxx::work& tx) {
    return tx.exec1("SELECT count(*) FROM stripe_events")[0].as<long long>();
  });
}

}  // namespace

TEST_CASE("checkout links the customer and subscription named by client_reference_id", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  const std::string other = NewBusiness(db.pool(), "other");
  const auto result = Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  CHECK(result.outcome == EventOutcome::kApplied);
  CHECK(result.business_id == biz);
  const State state = Read(db.pool(), biz);
  CHECK(state.customer == "cus_1");
  CHECK(state.subscription == "sub_1");
  CHECK(Read(db.pool(), other).customer.empty());

  // Another business cannot take over a linked customer.
  const auto stolen = Apply(db.pool(), fx::Checkout("evt_c2", other, "cus_1", "sub_9"));
  CHECK(stolen.outcome == EventOutcome::kIgnored);
  CHECK(Read(db.pool(), other).customer.empty());

  // metadata.business_id serves when client_reference_id is absent.
  Json by_metadata = fx::Checkout("evt_c3", "", "cus_2", "sub_2");
  by_metadata["data"]["object"]["metadata"] = {{"business_id", other}};
  CHECK(Apply(db.pool(), by_metadata).outcome == EventOutcome::kApplied);
  CHECK(Read(db.pool(), other).customer == "cus_2");

  CHECK(Apply(db.pool(), fx::Checkout("evt_c4", "00000000-0000-4000-8000-000000000000", "cus_3", "sub_3")).outcome ==
        EventOutcome::kIgnored);
}

TEST_CASE("a redelivered event is a no-op", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  const auto event = fx::Subscription("evt_1", "customer.subscription.updated", fx::kT0 + 10, "sub_1", "cus_1",
                                      "active", "price_starter");
  CHECK(Apply(db.pool(), event).outcome == EventOutcome::kApplied);
  CHECK(Apply(db.pool(), event).outcome == EventOutcome::kDuplicate);
  CHECK(EventCount(db.pool()) == 2);
  CHECK(Read(db.pool(), biz).status == "ACTIVE");
}

TEST_CASE("a subscription sets plan, status, period and cancel_at_period_end", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  auto event = fx::Subscription("evt_1", "customer.subscription.created", fx::kT0, "sub_1", "cus_1", "trialing",
                                "price_pro");
  event["data"]["object"]["cancel_at_period_end"] = true;
  CHECK(Apply(db.pool(), event).outcome == EventOutcome::kApplied);
  const State state = Read(db.pool(), biz);
  CHECK(state.plan == "PROFESSIONAL");
  CHECK(state.status == "TRIALING");
  CHECK(state.period_end == std::to_string(fx::kT0 + 30 * 86400));
  CHECK(state.cancel_at_period_end);
}

TEST_CASE("updated before created ends in the updated state", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  const auto created =
      fx::Subscription("evt_1", "customer.subscription.created", fx::kT0, "sub_1", "cus_1", "incomplete", "price_starter");
  const auto updated =
      fx::Subscription("evt_2", "customer.subscription.updated", fx::kT0, "sub_1", "cus_1", "active", "price_pro");
  CHECK(Apply(db.pool(), updated).outcome == EventOutcome::kApplied);
  CHECK(Apply(db.pool(), created).outcome == EventOutcome::kStale);
  const State state = Read(db.pool(), biz);
  CHECK(state.status == "ACTIVE");
  CHECK(state.plan == "PROFESSIONAL");
}

TEST_CASE("a late updated after deleted leaves the subscription canceled", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  Apply(db.pool(), fx::Subscription("evt_1", "customer.subscription.created", fx::kT0, "sub_1", "cus_1", "active",
                                    "price_starter"));
  CHECK(Apply(db.pool(), fx::Subscription("evt_3", "customer.subscription.deleted", fx::kT0 + 60, "sub_1", "cus_1",
                                          "canceled", "price_starter"))
            .outcome == EventOutcome::kApplied);
  CHECK(Apply(db.pool(), fx::Subscription("evt_2", "customer.subscription.updated", fx::kT0 + 30, "sub_1", "cus_1",
                                          "past_due", "price_starter"))
            .outcome == EventOutcome::kStale);
  // Even within the same second, deleted outranks updated.
  CHECK(Apply(db.pool(), fx::Subscription("evt_4", "customer.subscription.updated", fx::kT0 + 60, "sub_1", "cus_1",
                                          "active", "price_starter"))
            .outcome == EventOutcome::kStale);
  CHECK(Read(db.pool(), biz).status == "CANCELED");
}

TEST_CASE("every order of one script ends in the same state, with or without metadata", "[stripe]") {
  std::vector<Json> script = {
      fx::Checkout("evt_c1", "", "cus_1", "sub_1"),
      fx::Subscription("evt_1", "customer.subscription.created", fx::kT0, "sub_1", "cus_1", "incomplete", "price_starter"),
      fx::Subscription("evt_2", "customer.subscription.updated", fx::kT0, "sub_1", "cus_1", "active", "price_starter"),
      fx::Subscription("evt_3", "customer.subscription.updated", fx::kT0 + 50, "sub_1", "cus_1", "past_due", "price_pro"),
      fx::Subscription("evt_4", "customer.subscription.updated", fx::kT0 + 90, "sub_1", "cus_1", "active", "price_pro"),
      fx::Subscription("evt_5", "customer.subscription.deleted", fx::kT0 + 120, "sub_1", "cus_1", "canceled", "price_pro"),
  };
  std::mt19937 random(7);
  for (int round = 0; round < 12; ++round) {
    TestDatabase db;
    const std::string biz = NewBusiness(db.pool(), "acme");
    // Odd rounds: the subscriptions carry no metadata, so the business is
    // known only once the checkout links it.
    for (auto& event : script) {
      if (event["type"] == "checkout.session.completed") event["data"]["object"]["client_reference_id"] = biz;
      event["data"]["object"]["metadata"] = Json::object();
      if (round % 2 == 0) event["data"]["object"]["metadata"]["business_id"] = biz;
    }
    std::vector<Json> order = script;
    std::shuffle(order.begin(), order.end(), random);
    for (const auto& event : order) Apply(db.pool(), event);
    const State state = Read(db.pool(), biz);
    CHECK(state.status == "CANCELED");
    CHECK(state.plan == "PROFESSIONAL");
    CHECK(state.customer == "cus_1");
    CHECK(state.subscription == "sub_1");
    CHECK(state.past_due_since.empty());
  }
}

TEST_CASE("past_due starts the grace once and anything else clears it", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  Apply(db.pool(), fx::Subscription("evt_1", "customer.subscription.updated", fx::kT0 + 10, "sub_1", "cus_1",
                                    "past_due", "price_starter"));
  CHECK(Read(db.pool(), biz).past_due_since == std::to_string(fx::kT0 + 10));
  Apply(db.pool(), fx::Subscription("evt_2", "customer.subscription.updated", fx::kT0 + 20, "sub_1", "cus_1",
                                    "past_due", "price_starter"));
  CHECK(Read(db.pool(), biz).past_due_since == std::to_string(fx::kT0 + 10));
  Apply(db.pool(), fx::Subscription("evt_3", "customer.subscription.updated", fx::kT0 + 30, "sub_1", "cus_1",
                                    "active", "price_starter"));
  CHECK(Read(db.pool(), biz).past_due_since.empty());
}

TEST_CASE("unknown types and unknown customers are recorded as ignored", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Json unknown = fx::Event("evt_u", "charge.refunded", fx::kT0, {{"id", "ch_1"}, {"object", "charge"}});
  CHECK(Apply(db.pool(), unknown).outcome == EventOutcome::kIgnored);
  CHECK(Apply(db.pool(), fx::Subscription("evt_s", "customer.subscription.updated", fx::kT0, "sub_x", "cus_x",
                                          "active", "price_starter"))
            .outcome == EventOutcome::kIgnored);
  CHECK(EventCount(db.pool()) == 2);
  CHECK(Read(db.pool(), biz).status == "NONE");
  CHECK_THROWS_AS(billing::ApplyStripeEvent(db.pool(), "not json", fx::PriceIds(), kNow), InvalidInput);
  CHECK_THROWS_AS(billing::ApplyStripeEvent(db.pool(), R"({"id":"evt_x"})", fx::PriceIds(), kNow), InvalidInput);
  CHECK(EventCount(db.pool()) == 2);
}

TEST_CASE("a subscription event changes only its own business", "[stripe]") {
  TestDatabase db;
  const std::string acme = NewBusiness(db.pool(), "acme");
  const std::string other = NewBusiness(db.pool(), "other");
  Apply(db.pool(), fx::Checkout("evt_c1", acme, "cus_1", "sub_1"));
  Apply(db.pool(), fx::Checkout("evt_c2", other, "cus_2", "sub_2"));
  // A subscription of cus_2 claiming acme in its metadata cannot move cus_2's
  // subscription onto acme.
  auto hostile = fx::Subscription("evt_h", "customer.subscription.updated", fx::kT0, "sub_2", "cus_2", "canceled",
                                  "price_starter");
  hostile["data"]["object"]["metadata"] = {{"business_id", acme}};
  CHECK(Apply(db.pool(), hostile).outcome == EventOutcome::kIgnored);
  CHECK(Read(db.pool(), acme).subscription == "sub_1");
  CHECK(Read(db.pool(), other).status == "NONE");
  Apply(db.pool(), fx::Subscription("evt_2", "customer.subscription.updated", fx::kT0, "sub_2", "cus_2", "active",
                                    "price_pro"));
  CHECK(Read(db.pool(), other).plan == "PROFESSIONAL");
  CHECK(Read(db.pool(), acme).plan == "FREE");
}

TEST_CASE("invoices are recorded for their business", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  const auto paid = Apply(db.pool(), fx::Event("evt_i1", "invoice.paid", fx::kT0,
                                               {{"id", "in_1"}, {"customer", "cus_1"}, {"amount_paid", 2900},
                                                {"currency", "usd"}}));
  CHECK(paid.outcome == EventOutcome::kApplied);
  CHECK(paid.business_id == biz);
  CHECK(paid.detail == "invoice in_1 paid 29.00 usd");
  const auto failed = Apply(db.pool(), fx::Event("evt_i2", "invoice.payment_failed", fx::kT0,
                                                 {{"id", "in_2"}, {"customer", "cus_1"}, {"amount_due", 2900},
                                                  {"attempt_count", 2}}));
  CHECK(failed.detail == "invoice in_2 payment failed for 29.00 (attempt 2)");
  const auto recent = billing::RecentStripeEvents(db.pool(), biz, 10);
  REQUIRE(recent.size() == 3);
  CHECK(recent[0].outcome == "APPLIED");
}

TEST_CASE("concurrent duplicate deliveries end in one state", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  std::vector<Json> script = {
      fx::Checkout("evt_c1", biz, "cus_1", "sub_1"),
      fx::Subscription("evt_1", "customer.subscription.created", fx::kT0, "sub_1", "cus_1", "incomplete", "price_starter"),
      fx::Subscription("evt_2", "customer.subscription.updated", fx::kT0 + 5, "sub_1", "cus_1", "active", "price_pro"),
  };
  std::vector<std::thread> threads;
  std::atomic<int> applied{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        const auto& event = script[(i + t) % 3];
        if (Apply(db.pool(), event).outcome != EventOutcome::kDuplicate) ++applied;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(applied == 3);
  CHECK(EventCount(db.pool()) == 3);
  const State state = Read(db.pool(), biz);
  CHECK(state.status == "ACTIVE");
  CHECK(state.plan == "PROFESSIONAL");
}

TEST_CASE("sync writes what Stripe says, reports it, and a second run changes nothing", "[stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  Apply(db.pool(), fx::Checkout("evt_c1", biz, "cus_1", "sub_1"));
  const auto snapshot = billing::ParseSubscription(
      fx::Subscription("evt_x", "customer.subscription.updated", fx::kT0, "sub_1", "cus_1", "active", "price_pro")
          ["data"]["object"],
      fx::PriceIds());
  const auto dry = billing::SyncSubscription(db.pool(), biz, snapshot, true, kNow);
  CHECK_FALSE(dry.empty());
  CHECK(Read(db.pool(), biz).status == "NONE");
  const auto changes = billing::SyncSubscription(db.pool(), biz, snapshot, false, kNow);
  CHECK(changes.size() == dry.size());
  const auto status_change = std::find_if(changes.begin(), changes.end(),
                                          [](const auto& c) { return c.field == "subscription_status"; });
  REQUIRE(status_change != changes.end());
  CHECK(status_change->from == "NONE");
  CHECK(status_change->to == "ACTIVE");
  CHECK(Read(db.pool(), biz).plan == "PROFESSIONAL");
  CHECK(billing::SyncSubscription(db.pool(), biz, snapshot, false, kNow + std::chrono::seconds{5}).empty());
  // An event older than the sync is stale.
  CHECK(Apply(db.pool(), fx::Subscription("evt_old", "customer.subscription.updated", fx::kT0 + 100, "sub_1", "cus_1",
                                          "past_due", "price_pro"))
            .outcome == EventOutcome::kStale);
}

}  // namespace omni
