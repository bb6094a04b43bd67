// omnid's endpoint handlers, one file each (daemon/<name>_handler.cpp), wired
// to paths in the route table (daemon/router.cpp).
#pragma once

#include "daemon/handler.hpp"

namespace omni::omnid {

// GET /healthz: the process is up and serving. Always 200 {"status":"ok"}.
asio::awaitable<Response> HandleHealthz(Exchange& exchange);

// GET /readyz: the database answers and its migrations are current: 200
// {"status":"ready",...}; otherwise 503 with a JSON error naming the reason.
asio::awaitable<Response> HandleReadyz(Exchange& exchange);

// GET /metrics: Prometheus text exposition (see daemon/metrics.hpp).
asio::awaitable<Response> HandleMetrics(Exchange& exchange);

// GET /: a page linking each business's chat (/chat/{slug}), or saying how
// to add one; 503 JSON while the database is unreachable.
asio::awaitable<Response> HandleIndex(Exchange& exchange);

// GET /favicon.ico: a 16x16 icon, cached for a day.
asio::awaitable<Response> HandleFavicon(Exchange& exchange);

// POST /v1/stripe/webhook: a signed Stripe event (daemon/stripe_webhook_handler.cpp).
// 400 with the reason for a bad signature, 200 for every authentic event,
// 503 when it could not be stored (Stripe retries).
asio::awaitable<Response> HandleStripeWebhook(Exchange& exchange);

}  // namespace omni::omnid
