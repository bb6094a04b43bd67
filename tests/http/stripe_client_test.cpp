// The Stripe client (core/billing/stripe_client.hpp) against the fake
// Stripe on 127.0.0.1: bearer auth, the pinned Stripe-Version, form bodies,
// an Idempotency-Key on every POST and its replay, Stripe's error shapes,
// and a dropped connection.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/billing/stripe_client.hpp"
#include "core/common/error.hpp"
#include "core/http/client.hpp"
#include "tests/support/fake_stripe.hpp"

namespace omni {
namespace {

using test::FakeStripe;
using test::StripeFault;

billing::StripeClientSettings Settings(const FakeStripe& fake) {
  billing::StripeClientSettings settings;
  settings.api_key = "sk_test_client";
  settings.api_base = fake.base_url() + "/";
  settings.timeout_ms = 5000;
  return settings;
}

}  // namespace

TEST_CASE("stripe client: a POST carries auth, version, form body and idempotency key", "[http][stripe]") {
  FakeStripe fake;
  auto http = http::MakeHttpClient({});
  const billing::StripeClient client(*http, Settings(fake));
  const auto response = client.Post("/v1/checkout/sessions",
                                    {{"mode", "subscription"},
                                     {"client_reference_id", "biz-1"},
                                     {"line_items", {{{"price", "price_starter"}, {"quantity", 1}}}}},
                                    "checkout-1");
  REQUIRE(response.ok());
  CHECK(response.body["url"].get<std::string>().starts_with("https://checkout.stripe.com/"));
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  const auto& request = requests[0];
  CHECK(request.method == "POST");
  CHECK(request.path == "/v1/checkout/sessions");
  CHECK(request.headers.at("authorization") == "Bearer sk_test_client");
  CHECK(request.headers.at("stripe-version") == billing::kStripeApiVersion);
  CHECK(request.headers.at("idempotency-key") == "checkout-1");
  CHECK(request.headers.at("content-type") == "application/x-www-form-urlencoded");
  CHECK(request.form.at("line_items[0][price]") == "price_starter");
  CHECK(request.form.at("line_items[0][quantity]") == "1");
  CHECK(request.form.at("client_reference_id") == "biz-1");
}

TEST_CASE("stripe client: a repeated idempotency key replays, a changed body is an idempotency_error",
          "[http][stripe]") {
  FakeStripe fake;
  auto http = http::MakeHttpClient({});
  const billing::StripeClient client(*http, Settings(fake));
  const nlohmann::json params = {{"customer", "cus_1"}};
  const auto first = client.Post("/v1/billing_portal/sessions", params, "portal-1");
  const auto again = client.Post("/v1/billing_portal/sessions", params, "portal-1");
  CHECK(first.body["url"] == again.body["url"]);
  const auto changed = client.Post("/v1/billing_portal/sessions", {{"customer", "cus_2"}}, "portal-1");
  CHECK(changed.status == 400);
  CHECK(changed.error_type == "idempotency_error");
  CHECK(changed.should_retry == false);
  CHECK_THROWS_AS(client.Post("/v1/billing_portal/sessions", params, ""), InvalidInput);
}

TEST_CASE("stripe client: errors keep Stripe's type, code, message and Stripe-Should-Retry", "[http][stripe]") {
  FakeStripe fake;
  auto http = http::MakeHttpClient({});
  const billing::StripeClient client(*http, Settings(fake));
  fake.FailNext({StripeFault::kRateLimited, StripeFault::kServerError});
  const auto limited = client.Get("/v1/subscriptions/sub_1");
  CHECK(limited.status == 429);
  CHECK(limited.should_retry == true);
  const auto broken = client.Get("/v1/subscriptions/sub_1");
  CHECK(broken.status == 500);
  CHECK(broken.error_type == "api_error");
  CHECK_FALSE(broken.should_retry.has_value());
  const auto missing = client.Get("/v1/subscriptions/sub_1");
  CHECK(missing.status == 404);
  CHECK(missing.error_code == "resource_missing");
  CHECK(missing.Describe() == "stripe answered 404 invalid_request_error/resource_missing: No such subscription: 'sub_1'");
  CHECK_THROWS_AS(billing::RequireOk(missing, "reading subscription sub_1"), InvalidInput);
  CHECK_THROWS_AS(billing::RequireOk(broken, "reading subscription sub_1"), UpstreamError);

  fake.FailNext({StripeFault::kDropBefore});
  CHECK_THROWS_AS(client.Get("/v1/subscriptions/sub_1"), Unavailable);

  auto no_key = Settings(fake);
  no_key.api_key.clear();
  CHECK_THROWS_AS(billing::StripeClient(*http, no_key).Get("/v1/subscriptions/sub_1"), ConfigError);
  auto bad_key = Settings(fake);
  bad_key.api_key = "pk_test_publishable";
  const auto unauthorized = billing::StripeClient(*http, bad_key).Get("/v1/subscriptions/sub_1");
  CHECK(unauthorized.status == 401);
  try {
    billing::RequireOk(unauthorized, "reading subscription sub_1");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("pk_test") == std::string::npos);
  }
}

}  // namespace omni
