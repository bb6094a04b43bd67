// POST /v1/stripe/webhook: Stripe's events about subscriptions, checkouts
// and invoices.
//
// The signature is checked on the body exactly as received, before it is
// parsed (core/billing/webhook.hpp); a rejected request stores nothing and
// gets 400 naming the reason. An authentic event is stored and applied in
// one transaction (core/billing/stripe_events.hpp) and answered 200, also
// when it is ignored, stale or a redelivery, because Stripe retries any
// other answer for days. A database failure answers 503 so that Stripe
// retries. The header and secrets never reach the log.
#include <nlohmann/json.hpp>

#include "core/billing/stripe_events.hpp"
#include "core/billing/webhook.hpp"
#include "core/common/clock.hpp"
#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "daemon/app.hpp"
#include "daemon/handlers.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleStripeWebhook(Exchange& exchange) {
  const Request& request = exchange.request();
  App& app = exchange.app();
  const auto& stripe = app.config().stripe;
  if (stripe.webhook_secrets.empty()) {
    co_return ErrorResponse(503, "webhook_not_configured", "stripe webhooks are not configured on this server",
                            "Set stripe.webhook_secrets in omni.yaml to the endpoint's signing secret.");
  }
  if (const auto rejection =
          billing::VerifyStripeSignature(request.Header("Stripe-Signature"), request.body, stripe.webhook_secrets,
                                         stripe.webhook_tolerance_s, DefaultClock().Now())) {
    log::Warn("stripe webhook rejected", {{"request_id", request.request_id}, {"reason", rejection->code}});
    co_return ErrorResponse(400, rejection->code, rejection->message);
  }
  db::Pool& pool = app.pool();
  const auto& price_ids = app.price_ids();
  const billing::EventResult result = co_await RunBlocking(app.blocking(), [&] {
    return billing::ApplyStripeEvent(pool, request.body, price_ids, DefaultClock().Now());
  });
  log::Info("stripe event", {{"request_id", request.request_id},
                             {"event", result.event_id},
                             {"type", result.type},
                             {"outcome", Lower(billing::EventOutcomeName(result.outcome))},
                             {"business", result.business_id},
                             {"detail", result.detail}});
  co_return Response::Json(200, {{"received", true},
                                 {"id", result.event_id},
                                 {"outcome", Lower(billing::EventOutcomeName(result.outcome))}});
}

}  // namespace omni::omnid
