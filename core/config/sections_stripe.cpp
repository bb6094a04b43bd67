// The `stripe` section of omni.yaml: the Stripe account, webhooks and prices.
// The price ids are keyed by plan tier, whose names billing checks.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kStripeKeys = {"api_key",   "api_base",        "webhook_secrets", "webhook_tolerance_s",
                                              "price_ids", "metered_price_id", "meter_event_name",
                                              "meter_poll_ms", "meter_retry_base_ms"};

void ParseStripe(const Parser& parser, const Entry& entry, Config& config) {
  StripeSettings& stripe = config.stripe;
  Section section(parser, entry, kStripeKeys);
  section.String("api_key", &stripe.api_key);
  section.Url("api_base", &stripe.api_base, false);
  section.StringList("webhook_secrets", &stripe.webhook_secrets, true, true);
  section.Integer("webhook_tolerance_s", &stripe.webhook_tolerance_s, 1, 86400);
  if (const Entry* price_ids = section.Find("price_ids")) {
    for (const auto& price : parser.NamedMapping(*price_ids, "a mapping of plan tiers to Stripe price ids")) {
      stripe.price_ids.push_back(
          PriceIdSetting{parser.KeyOf(price, *price_ids), parser.Scalar(price, "a Stripe price id (price_...)")});
    }
  }
  section.String("metered_price_id", &stripe.metered_price_id);
  section.String("meter_event_name", &stripe.meter_event_name);
  section.Integer("meter_poll_ms", &stripe.meter_poll_ms, 10, 3'600'000);
  section.Integer("meter_retry_base_ms", &stripe.meter_retry_base_ms, 10, 600'000);
}

void ShowStripe(const Config& config, const Json& plan_settings, Json& out) {
  const auto& stripe = config.stripe;
  Json secrets = Json::array();
  for (const auto& secret : stripe.webhook_secrets) secrets.push_back(Secret(secret));
  out["stripe"] = Json{{"api_key", Secret(stripe.api_key)},
                       {"api_base", stripe.api_base},
                       {"webhook_secrets", secrets},
                       {"webhook_tolerance_s", stripe.webhook_tolerance_s},
                       {"price_ids", plan_settings.at("price_ids")},
                       {"metered_price_id", stripe.metered_price_id},
                       {"meter_event_name", stripe.meter_event_name},
                       {"meter_poll_ms", stripe.meter_poll_ms},
                       {"meter_retry_base_ms", stripe.meter_retry_base_ms}};
}

}  // namespace

SectionSpec StripeSection() { return {"stripe", {{"stripe", &kStripeKeys}}, ParseStripe, ShowStripe}; }

}  // namespace omni::config::detail
