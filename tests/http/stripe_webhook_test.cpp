// POST /v1/stripe/webhook through the real omnid, with the official stripe
// npm package (tests/http/stripe_webhook/sign.mjs) as the signature oracle:
// its headers are accepted; tampered bodies, wrong secrets, stale
// timestamps, v0-only headers and a space after the comma are rejected with
// nothing stored; two secrets rotate; a burst of duplicate deliveries to two
// omnid instances on one database ends in one state. Needs node and `npm ci`
// in tests/http/stripe_webhook (scripts/test.sh runs it).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/db/pqxx.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/stripe_fixtures.hpp"

namespace omni {
namespace {

using Json = nlohmann::json;
using test::HttpPost;
using test::OmnidRunner;
using test::TestDatabase;
namespace fx = test::stripe_fixtures;

const std::string kOracleDir = std::string(OMNI_SOURCE_DIR) + "/tests/http/stripe_webhook";
const std::string kSecret = "whsec_omni_test_4f8a1c";
const std::string kNewSecret = "whsec_omni_rotated_93b2";

std::string StripeYaml(const std::vector<std::string>& secrets) {
  std::string yaml = "stripe:\n  price_ids:\n    STARTER: price_starter\n    PROFESSIONAL: price_pro\n";
  if (!secrets.empty()) {
    yaml += "  webhook_secrets:\n";
    for (const auto& secret : secrets) yaml += "    - " + secret + "\n";
  }
  return yaml;
}

struct Signing {
  std::string payload;
  std::string secret;
  std::int64_t timestamp = 0;
  std::string scheme = "v1";
};

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The Stripe-Signature headers the stripe package makes for each signing.
std::vector<std::string> StripeHeaders(const std::vector<Signing>& signings) {
  INFO("node or tests/http/stripe_webhook/node_modules is missing: scripts/test.sh installs them with npm ci");
  REQUIRE(std::filesystem::exists(kOracleDir + "/node_modules/stripe/package.json"));
  Json input = Json::array();
  for (const auto& s : signings) {
    input.push_back({{"payload", s.payload}, {"secret", s.secret}, {"timestamp", s.timestamp}, {"scheme", s.scheme}});
  }
  const auto result = test::Run("/usr/bin/env", {.args = {"node", "sign.mjs"}, .cwd = kOracleDir,
                                                 .stdin_data = input.dump()});
  INFO("node: " << result.err);
  REQUIRE(result.exit_code == 0);
  return Json::parse(result.out).get<std::vector<std::string>>();
}

std::string StripeHeader(const std::string& payload, const std::string& secret = kSecret) {
  return StripeHeaders({{payload, secret, NowSeconds()}})[0];
}

test::HttpResult Deliver(std::uint16_t port, const std::string& payload, const std::string& header) {
  return HttpPost(port, "/v1/stripe/webhook", payload,
                  {{"Stripe-Signature", header}, {"Content-Type", "application/json; charset=utf-8"}});
}

std::string NewBusiness(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name) VALUES ($1, 'Biz') RETURNING id", slug)[0]
        .as<std::string>();
  });
}

long long Count(db::Pool& pool, const std::string& sql) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return tx.exec1(sql)[0].as<long long>(); });
}

std::string Status(db::Pool& pool, const std::string& business) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("SELECT subscription_status || ' ' || plan_tier FROM businesses WHERE id = $1", business)[0]
        .as<std::string>();
  });
}

}  // namespace

TEST_CASE("stripe webhook: a header from the stripe package is accepted and the event applied", "[http][stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  OmnidRunner omnid(db.url(), StripeYaml({kSecret}));
  const std::string checkout = fx::Checkout("evt_c1", biz, "cus_1", "sub_1").dump(2);
  const auto response = Deliver(omnid.port(), checkout, StripeHeader(checkout));
  INFO(response.body);
  REQUIRE(response.status == 200);
  CHECK(response.Json()["outcome"] == "applied");
  const std::string subscription =
      fx::Subscription("evt_1", "customer.subscription.updated", fx::kT0, "sub_1", "cus_1", "active", "price_pro")
          .dump();
  CHECK(Deliver(omnid.port(), subscription, StripeHeader(subscription)).status == 200);
  CHECK(Status(db.pool(), biz) == "ACTIVE PROFESSIONAL");

  // A redelivery answers 200 and changes nothing.
  const auto again = Deliver(omnid.port(), subscription, StripeHeader(subscription));
  CHECK(again.status == 200);
  CHECK(again.Json()["outcome"] == "duplicate");
  CHECK(Count(db.pool(), "SELECT count(*) FROM stripe_events") == 2);

  // An unhandled type is recorded as ignored, and still answered 2xx.
  const std::string refund = fx::Event("evt_r", "charge.refunded", fx::kT0, {{"id", "ch_1"}}).dump();
  const auto ignored = Deliver(omnid.port(), refund, StripeHeader(refund));
  CHECK(ignored.status == 200);
  CHECK(ignored.Json()["outcome"] == "ignored");

  // Neither the secret nor a signature reaches the log.
  const std::string log = omnid.process().Stderr();
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK(log.find("v1=") == std::string::npos);
}

TEST_CASE("stripe webhook: every forgery is rejected with its reason and nothing is stored", "[http][stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  OmnidRunner omnid(db.url(), StripeYaml({kSecret}));
  const std::string body = fx::Checkout("evt_c1", biz, "cus_1", "sub_1").dump();
  const std::int64_t now = NowSeconds();
  const auto headers = StripeHeaders({{body, kSecret, now},
                                      {body, "whsec_wrong", now},
                                      {body, kSecret, now - 301},
                                      {body, kSecret, now, "v0"}});
  std::string spaced = headers[0];
  spaced.replace(spaced.find(",v1="), 4, ", v1=");
  std::string tampered = body;
  tampered.replace(tampered.find("cus_1"), 5, "cus_9");

  struct Case {
    const char* name;
    std::string body;
    std::optional<std::string> header;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"tampered body", tampered, headers[0], "signature_mismatch"},
      {"wrong secret", body, headers[1], "signature_mismatch"},
      {"stale timestamp", body, headers[2], "stale_timestamp"},
      {"v0 only", body, headers[3], "no_v1_signature"},
      {"space after the comma", body, spaced, "no_v1_signature"},
      {"no header", body, std::nullopt, "missing_signature"},
      {"malformed header", body, std::string("nonsense"), "malformed_signature"},
      {"empty body", "", headers[0], "empty_body"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    test::HttpHeaders request_headers = {{"Content-Type", "application/json"}};
    if (c.header) request_headers["Stripe-Signature"] = *c.header;
    const auto response = HttpPost(omnid.port(), "/v1/stripe/webhook", c.body, request_headers);
    CHECK(response.status == 400);
    CHECK(response.Json()["error"]["code"] == c.code);
  }
  CHECK(Count(db.pool(), "SELECT count(*) FROM stripe_events") == 0);
  CHECK(Count(db.pool(), "SELECT count(*) FROM businesses WHERE stripe_customer_id IS NOT NULL") == 0);
  // The untouched original goes through.
  CHECK(Deliver(omnid.port(), body, headers[0]).status == 200);
}

TEST_CASE("stripe webhook: with two secrets configured, either one verifies", "[http][stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  OmnidRunner omnid(db.url(), StripeYaml({kSecret, kNewSecret}));
  const std::string first = fx::Checkout("evt_c1", biz, "cus_1", "sub_1").dump();
  const std::string second =
      fx::Subscription("evt_1", "customer.subscription.updated", fx::kT0, "sub_1", "cus_1", "active", "price_starter")
          .dump();
  CHECK(Deliver(omnid.port(), first, StripeHeader(first, kSecret)).status == 200);
  CHECK(Deliver(omnid.port(), second, StripeHeader(second, kNewSecret)).status == 200);
  const std::string third = fx::Event("evt_x", "invoice.paid", fx::kT0, {{"id", "in_1"}, {"customer", "cus_1"}}).dump();
  CHECK(Deliver(omnid.port(), third, StripeHeader(third, "whsec_retired")).status == 400);
  CHECK(Status(db.pool(), biz) == "ACTIVE STARTER");
}

TEST_CASE("stripe webhook: without a configured secret it answers 503 and stores nothing", "[http][stripe]") {
  TestDatabase db;
  OmnidRunner omnid(db.url(), StripeYaml({}));
  const std::string body = fx::Event("evt_1", "invoice.paid", fx::kT0, {{"id", "in_1"}}).dump();
  const auto response = Deliver(omnid.port(), body, StripeHeader(body));
  CHECK(response.status == 503);
  CHECK(response.Json()["error"]["code"] == "webhook_not_configured");
  CHECK(Count(db.pool(), "SELECT count(*) FROM stripe_events") == 0);
}

TEST_CASE("stripe webhook: a duplicate burst on two omnid instances ends in one state", "[http][stripe]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  OmnidRunner first(db.url(), StripeYaml({kSecret}));
  OmnidRunner second(db.url(), StripeYaml({kSecret}));
  std::vector<std::string> bodies = {
      fx::Checkout("evt_c1", biz, "cus_1", "sub_1").dump(),
      fx::Subscription("evt_1", "customer.subscription.created", fx::kT0, "sub_1", "cus_1", "incomplete",
                       "price_starter")
          .dump(),
      fx::Subscription("evt_2", "customer.subscription.updated", fx::kT0, "sub_1", "cus_1", "active", "price_starter")
          .dump(),
      fx::Subscription("evt_3", "customer.subscription.updated", fx::kT0 + 40, "sub_1", "cus_1", "past_due",
                       "price_pro")
          .dump(),
      fx::Subscription("evt_4", "customer.subscription.updated", fx::kT0 + 80, "sub_1", "cus_1", "active",
                       "price_pro")
          .dump(),
  };
  std::vector<Signing> signings;
  for (const auto& body : bodies) signings.push_back({body, kSecret, NowSeconds()});
  const auto headers = StripeHeaders(signings);
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  constexpr int kThreads = 8;
  constexpr int kCopies = 4;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      std::vector<int> order;
      for (int copy = 0; copy < kCopies; ++copy) {
        for (int i = 0; i < static_cast<int>(bodies.size()); ++i) order.push_back(i);
      }
      std::shuffle(order.begin(), order.end(), random);
      for (int i : order) {
        const std::uint16_t port = (t + i) % 2 == 0 ? first.port() : second.port();
        const auto response = Deliver(port, bodies[i], headers[i]);
        (response.status == 200 ? ok : failed)++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failed == 0);
  CHECK(ok == kThreads * kCopies * static_cast<int>(bodies.size()));
  CHECK(Count(db.pool(), "SELECT count(*) FROM stripe_events") == static_cast<long long>(bodies.size()));
  CHECK(Status(db.pool(), biz) == "ACTIVE PROFESSIONAL");
}

}  // namespace omni
