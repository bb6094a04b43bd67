// Usage and billing of the caller's business (billing: owners only),
// through the same core functions as `omni usage` and `omni billing
// status|portal`:
//
// GET /v1/console/usage: the current period's limits and what is used:
//   200 {"plan","plan_source","subscription_status","trial_ends_at",
//   "grace_ends_at","period":{"start","end","kind"},"limits":[{"metric",
//   "used","limit" (null: unlimited),"percent"}],"overage":{"interactions",
//   "cents"},"warnings":[...]}.
// GET /v1/console/billing: the Stripe subscription as stored:
//   200 {"linked","plan","status","period_start","period_end","trial_end",
//   "past_due_since","cancel_at_period_end"}.
// POST /v1/console/billing/portal {"return_url"?}: a Stripe customer-portal
//   session: 200 {"url"}. 409 when the business has no Stripe customer yet,
//   503 when omnid has no stripe.api_key (its message says so).
#include <nlohmann/json.hpp>

#include "core/billing/entitlement.hpp"
#include "core/billing/plans.hpp"
#include "core/billing/stripe_account.hpp"
#include "core/billing/usage.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

json Time(const std::optional<TimePoint>& t) { return t ? json(IsoUtc(*t)) : json(nullptr); }

asio::awaitable<Response> Usage(Exchange& exchange, ConsoleCall& call) {
  App& app = exchange.app();
  auto& pool = app.pool();
  const auto report = co_await RunBlocking(app.blocking(), [&] {
    return billing::Usage(pool, call.principal.business_id, billing::ResolveBillingSettings(app.config()),
                          DefaultClock().Now());
  });
  const auto& plan = report.entitlement;
  json limits = json::array();
  std::int64_t overage = 0;
  std::int64_t overage_cents = 0;
  for (const auto& limit : report.limits) {
    limits.push_back({{"metric", billing::MetricName(limit.metric)},
                      {"used", limit.used},
                      {"limit", limit.limit < 0 ? json(nullptr) : json(limit.limit)},
                      {"percent", limit.percent ? json(*limit.percent) : json(nullptr)}});
    overage += limit.overage;
    overage_cents += limit.overage_cents;
  }
  json warnings = json::array();
  for (const auto& warning : report.warnings) {
    warnings.push_back({{"metric", billing::MetricName(warning.metric)},
                        {"threshold_percent", warning.threshold_percent},
                        {"used", warning.used},
                        {"limit", warning.limit},
                        {"recorded_at", IsoUtc(warning.recorded_at)}});
  }
  co_return Response::Json(200, {{"plan", billing::PlanTierName(plan.tier)},
                                 {"plan_source", billing::PlanSourceName(plan.source)},
                                 {"subscription_status", report.subscription_status},
                                 {"trial_ends_at", Time(plan.trial_ends_at)},
                                 {"grace_ends_at", Time(plan.grace_ends_at)},
                                 {"period", {{"start", IsoUtc(report.period.start)},
                                             {"end", IsoUtc(report.period.end)},
                                             {"kind", report.period.subscription ? "subscription" : "calendar_month"}}},
                                 {"limits", std::move(limits)},
                                 {"overage", {{"interactions", overage}, {"cents", overage_cents}}},
                                 {"warnings", std::move(warnings)}});
}

asio::awaitable<Response> Billing(Exchange& exchange, ConsoleCall& call) {
  auto& pool = exchange.app().pool();
  const auto status = co_await RunBlocking(exchange.app().blocking(), [&] {
    return billing::GetAccountStatus(pool, call.principal.business_slug, 0);
  });
  co_return Response::Json(200, {{"linked", !status.customer_id.empty()},
                                 {"plan", status.plan_tier.empty() ? json(nullptr) : json(status.plan_tier)},
                                 {"status", status.status},
                                 {"period_start", Time(status.period_start)},
                                 {"period_end", Time(status.period_end)},
                                 {"trial_end", Time(status.trial_end)},
                                 {"past_due_since", Time(status.past_due_since)},
                                 {"cancel_at_period_end", status.cancel_at_period_end}});
}

asio::awaitable<Response> Portal(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  json body = json::object();
  if (!request.body.empty()) {
    if (auto refused = RequireJsonBody(request, body)) co_return *refused;
  }
  App& app = exchange.app();
  std::string return_url = OptionalString(body, "return_url", 2000).value_or("");
  if (return_url.empty()) return_url = config::PublicBaseUrl(app.config().server) + "/";
  if (return_url.rfind("https://", 0) != 0 && return_url.rfind("http://", 0) != 0) {
    throw InvalidInput("return_url: expected an http or https URL");
  }
  const billing::StripeClient* stripe = app.stripe();
  // Said in full, unlike an Unavailable thrown from below (which may be about
  // infrastructure): it names only a setting, and the console shows it to the owner.
  if (stripe == nullptr) {
    co_return ErrorResponse(503, "unavailable", "billing is not set up on this server",
                            "Its administrator sets stripe.api_key in omni.yaml.");
  }
  auto& pool = app.pool();
  const std::string url = co_await RunBlocking(app.blocking(), [&] {
    return billing::CreatePortal(pool, *stripe, call.principal.business_slug, return_url);
  });
  co_return Response::Json(200, {{"url", url}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleUsage(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kBilling, &Usage);
}

asio::awaitable<Response> HandleConsoleBilling(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kBilling, &Billing);
}

asio::awaitable<Response> HandleConsoleBillingPortal(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kBilling, &Portal);
}

}  // namespace omni::omnid
