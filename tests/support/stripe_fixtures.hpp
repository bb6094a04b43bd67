// Stripe event payloads in the shape Stripe sends them (API version
// 2025-03-31 and later: the period on subscription items), for the pg, http
// and bench code that feeds omni events.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/billing/plans.hpp"

namespace omni::test::stripe_fixtures {

// A fixed `created` base (2026-11-28T...Z) for scripts.
inline constexpr std::int64_t kT0 = 1'796'000'000;

// The prices the fixtures use: STARTER price_starter, PROFESSIONAL price_pro.
inline std::map<billing::PlanTier, std::string> PriceIds() {
  return {{billing::PlanTier::kStarter, "price_starter"}, {billing::PlanTier::kProfessional, "price_pro"}};
}

inline nlohmann::json Event(const std::string& id, const std::string& type, std::int64_t created,
                            nlohmann::json object) {
  return {{"id", id},
          {"object", "event"},
          {"api_version", "2025-03-31.basil"},
          {"created", created},
          {"livemode", false},
          {"pending_webhooks", 1},
          {"type", type},
          {"data", {{"object", std::move(object)}}}};
}

// checkout.session.completed in subscription mode; business_id "" leaves
// client_reference_id null.
inline nlohmann::json Checkout(const std::string& id, const std::string& business_id, const std::string& customer,
                               const std::string& subscription) {
  nlohmann::json session = {{"id", "cs_" + id},
                            {"object", "checkout.session"},
                            {"mode", "subscription"},
                            {"status", "complete"},
                            {"customer", customer},
                            {"subscription", subscription},
                            {"client_reference_id", nullptr},
                            {"metadata", nlohmann::json::object()}};
  if (!business_id.empty()) session["client_reference_id"] = business_id;
  return Event(id, "checkout.session.completed", kT0, session);
}

// A customer.subscription.* event with one item of `price`, its period
// starting at kT0 and lasting 30 days.
inline nlohmann::json Subscription(const std::string& id, const std::string& type, std::int64_t created,
                                   const std::string& subscription, const std::string& customer,
                                   const std::string& status, const std::string& price) {
  nlohmann::json item = {{"id", "si_" + subscription},
                         {"object", "subscription_item"},
                         {"price", {{"id", price}, {"object", "price"}}},
                         {"quantity", 1},
                         {"current_period_start", kT0},
                         {"current_period_end", kT0 + 30 * 86400}};
  nlohmann::json object = {{"id", subscription},
                           {"object", "subscription"},
                           {"customer", customer},
                           {"status", status},
                           {"cancel_at_period_end", false},
                           {"trial_end", nullptr},
                           {"metadata", nlohmann::json::object()},
                           {"items", {{"object", "list"}, {"data", nlohmann::json::array({item})}}}};
  return Event(id, type, created, object);
}

}  // namespace omni::test::stripe_fixtures
