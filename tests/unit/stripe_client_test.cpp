// The Stripe client's pure parts: form encoding with Stripe's bracket
// nesting (core/billing/stripe_client.hpp) and the meter worker's retry
// delay (core/billing/meter.hpp).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/billing/meter.hpp"
#include "core/billing/stripe_client.hpp"
#include "core/common/error.hpp"

namespace omni {

TEST_CASE("stripe form encoding nests objects and arrays in brackets", "[billing][stripe]") {
  const nlohmann::json params = {
      {"mode", "subscription"},
      {"line_items", {{{"price", "price_1"}, {"quantity", 1}}}},
      {"subscription_data", {{"metadata", {{"business_id", "b-1"}}}}},
      {"allow_promotion_codes", true},
      {"customer", nullptr},
      {"success_url", "https://example.com/ok?session={CHECKOUT_SESSION_ID}&x=a b"}};
  CHECK(billing::FormEncode(params) ==
        "allow_promotion_codes=true&line_items[0][price]=price_1&line_items[0][quantity]=1&mode=subscription"
        "&subscription_data[metadata][business_id]=b-1"
        "&success_url=https%3A%2F%2Fexample.com%2Fok%3Fsession%3D%7BCHECKOUT_SESSION_ID%7D%26x%3Da%20b");
  CHECK(billing::FormEncode(nullptr).empty());
  CHECK(billing::FormEncode({{"payload", {{"value", "1"}, {"stripe_customer_id", "cus_1"}}}}) ==
        "payload[stripe_customer_id]=cus_1&payload[value]=1");
  CHECK_THROWS_AS(billing::FormEncode(nlohmann::json::array({1})), InvalidInput);
}

TEST_CASE("retry delays double from the base up to the cap, half of them random", "[billing][stripe]") {
  using std::chrono::milliseconds;
  const milliseconds base{1000};
  const milliseconds cap{60'000};
  CHECK(billing::RetryDelay(1, base, cap, 0.0) == milliseconds{500});
  CHECK(billing::RetryDelay(1, base, cap, 0.999999) == milliseconds{999});
  CHECK(billing::RetryDelay(2, base, cap, 0.0) == milliseconds{1000});
  CHECK(billing::RetryDelay(4, base, cap, 1.0) == milliseconds{8000});
  CHECK(billing::RetryDelay(10, base, cap, 0.0) == milliseconds{30'000});
  CHECK(billing::RetryDelay(10, base, cap, 1.0) == milliseconds{60'000});
  CHECK(billing::RetryDelay(1000, base, cap, 1.0) == milliseconds{60'000});
}

}  // namespace omni
