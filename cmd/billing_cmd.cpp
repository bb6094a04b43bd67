// `omni billing status|checkout|portal|sync`: a business's Stripe
// subscription from the shell (core/billing/stripe_account.hpp).
#include <chrono>
#include <random>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/billing/meter.hpp"
#include "core/billing/plans.hpp"
#include "core/billing/stripe_account.hpp"
#include "core/billing/stripe_client.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/http/client.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct StatusOptions {
  int events = 10;
};

struct CheckoutOptions {
  std::string plan;
  std::string success_url;
  std::string cancel_url;
};

struct PortalOptions {
  std::string return_url;
};

struct SyncOptions {
  bool dry_run = false;
};

Json Time(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(*t));
}

// The client and its HTTP client, made once per command run.
struct Stripe {
  explicit Stripe(Context& ctx)
      : http(http::MakeHttpClient(http::ClientSettings{ctx.Config().llm.ca_file, "omni/0.1 (billing)"})),
        client(*http, billing::StripeClientSettingsFor(ctx.Config().stripe)) {}
  std::unique_ptr<http::HttpClient> http;
  billing::StripeClient client;
};

// The public URL a Stripe page sends the customer back to, "" when omni has none.
std::string PublicUrl(Context& ctx, const std::string& path) {
  std::string base = ctx.Config().server.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base.empty() ? "" : base + path;
}

const std::vector<Column> kStatusFields = {
    {"business", "BUSINESS"},         {"customer", "STRIPE CUSTOMER"},   {"subscription", "SUBSCRIPTION"},
    {"plan", "PLAN"},                 {"status", "STATUS"},              {"period_start", "PERIOD START"},
    {"period_end", "PERIOD END"},     {"cancel_at_period_end", "CANCELS AT PERIOD END"},
    {"trial_ends_at", "TRIAL ENDS"},  {"past_due_since", "PAST DUE SINCE"},
    {"meter_events_pending", "METER EVENTS PENDING"}, {"meter_events_sent", "METER EVENTS SENT"},
    {"meter_events_failed", "METER EVENTS FAILED"}};

const std::vector<Column> kEventColumns = {
    {"received_at", "RECEIVED"}, {"id", "EVENT"}, {"type", "TYPE"}, {"outcome", "OUTCOME"}, {"detail", "DETAIL"}};

int RunStatus(Context& ctx, const StatusOptions& opts) {
  if (opts.events < 0 || opts.events > 1000) throw InvalidInput("--events: expected 0 to 1000");
  const auto status = billing::GetAccountStatus(ctx.Database(), ctx.RequireBusiness(), std::max(opts.events, 1));
  Json record = {{"business", status.slug},
                 {"customer", status.customer_id},
                 {"subscription", status.subscription_id},
                 {"plan", status.plan_tier},
                 {"status", status.status},
                 {"period_start", Time(status.period_start)},
                 {"period_end", Time(status.period_end)},
                 {"cancel_at_period_end", status.cancel_at_period_end},
                 {"trial_ends_at", Time(status.trial_end)},
                 {"past_due_since", Time(status.past_due_since)},
                 {"meter_events_pending", status.meter_pending},
                 {"meter_events_sent", status.meter_sent},
                 {"meter_events_failed", status.meter_failed}};
  Json events = Json::array();
  for (std::size_t i = 0; i < status.recent_events.size() && static_cast<int>(i) < opts.events; ++i) {
    const auto& event = status.recent_events[i];
    events.push_back({{"received_at", Time(event.received_at)},
                      {"id", event.id},
                      {"type", event.type},
                      {"outcome", event.outcome},
                      {"detail", event.detail}});
  }
  if (ctx.out().format() == Format::kJson) {
    record["recent_events"] = events;
    ctx.out().Json(record);
    return 0;
  }
  ctx.out().Record(kStatusFields, record);
  if (!events.empty()) {
    ctx.out().Gap();
    ctx.out().List(kEventColumns, events);
  }
  if (status.customer_id.empty()) {
    ctx.out().Status("no Stripe customer yet: `omni billing checkout -b " + status.slug + " --plan STARTER` subscribes");
  }
  return 0;
}

int RunCheckout(Context& ctx, const CheckoutOptions& opts) {
  const auto plan = billing::ParsePlanTier(opts.plan);
  if (!plan || *plan == billing::PlanTier::kFree) {
    throw InvalidInput("invalid --plan \"" + opts.plan + "\": expected STARTER, PROFESSIONAL or ENTERPRISE");
  }
  Stripe stripe(ctx);
  billing::CheckoutRequest request;
  request.slug = ctx.RequireBusiness();
  request.plan = *plan;
  request.success_url = opts.success_url.empty() ? PublicUrl(ctx, "/billing/success") : opts.success_url;
  request.cancel_url = opts.cancel_url.empty() ? PublicUrl(ctx, "/billing/cancel") : opts.cancel_url;
  const std::string url = billing::CreateCheckout(ctx.Database(), stripe.client,
                                                  billing::ResolvePriceIds(ctx.Config().stripe.price_ids), request);
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json(Json{{"business", request.slug}, {"plan", billing::PlanTierName(*plan)}, {"url", url}});
  } else {
    ctx.out().Text(url + "\n");
  }
  ctx.out().Status("open the URL to subscribe; the subscription reaches omni through the Stripe webhook");
  return 0;
}

int RunPortal(Context& ctx, const PortalOptions& opts) {
  Stripe stripe(ctx);
  const std::string slug = ctx.RequireBusiness();
  const std::string url = billing::CreatePortal(ctx.Database(), stripe.client, slug,
                                                opts.return_url.empty() ? PublicUrl(ctx, "/") : opts.return_url);
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json(Json{{"business", slug}, {"url", url}});
  } else {
    ctx.out().Text(url + "\n");
  }
  return 0;
}

const std::vector<Column> kSyncColumns = {
    {"business", "BUSINESS"}, {"subscription", "SUBSCRIPTION"}, {"field", "FIELD"}, {"from", "OMNI HAD"},
    {"to", "STRIPE HAS"},     {"action", "ACTION"}};

int RunSync(Context& ctx, const SyncOptions& opts) {
  Stripe stripe(ctx);
  billing::MeterSettings meter;
  meter.event_name = ctx.Config().stripe.meter_event_name;
  meter.backoff_base = std::chrono::milliseconds(ctx.Config().stripe.meter_retry_base_ms);
  std::mt19937 random(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto report =
      billing::Sync(ctx.Database(), stripe.client, billing::ResolvePriceIds(ctx.Config().stripe.price_ids), meter,
                    ctx.global().business, opts.dry_run, DefaultClock(), [&] { return unit(random); });
  Json rows = Json::array();
  int errors = 0;
  for (const auto& sync : report.subscriptions) {
    if (!sync.error.empty()) {
      ++errors;
      ctx.out().Warn("omni: " + sync.slug + ": " + sync.error);
    }
    for (const auto& change : sync.changes) {
      rows.push_back({{"business", sync.slug},
                      {"subscription", sync.subscription_id},
                      {"field", change.field},
                      {"from", change.from},
                      {"to", change.to},
                      {"action", opts.dry_run ? "would update" : "updated"}});
    }
  }
  if (ctx.out().format() == Format::kJson) {
    Json subscriptions = Json::array();
    for (const auto& sync : report.subscriptions) {
      subscriptions.push_back({{"business", sync.slug}, {"subscription", sync.subscription_id}, {"error", sync.error}});
    }
    ctx.out().Json(Json{{"dry_run", opts.dry_run},
                        {"subscriptions", subscriptions},
                        {"changes", rows},
                        {"meter_events", {{"pending", report.meter_pending},
                                          {"sent", report.meter.sent},
                                          {"retrying", report.meter.retried},
                                          {"failed", report.meter.failed}}}});
  } else {
    ctx.out().List(kSyncColumns, rows);
  }
  ctx.out().Status(std::to_string(report.subscriptions.size()) + " subscription(s) checked, " +
                   std::to_string(rows.size()) + " difference(s) " + (opts.dry_run ? "found" : "fixed"));
  if (opts.dry_run) {
    ctx.out().Status(std::to_string(report.meter_pending) + " meter event(s) pending, none sent (dry run)");
  } else {
    ctx.out().Status(std::to_string(report.meter.sent) + " meter event(s) sent, " +
                     std::to_string(report.meter.retried) + " to retry, " + std::to_string(report.meter.failed) +
                     " failed");
  }
  if (errors > 0) throw UpstreamError(std::to_string(errors) + " subscription(s) could not be read from Stripe");
  return 0;
}

}  // namespace

Command MakeBillingCommand() {
  return MakeGroup(
      "billing", "the Stripe subscription of a business",
      "A business subscribes through Stripe Checkout; Stripe's webhook (POST /v1/stripe/webhook on omnid) then "
      "keeps its plan, status and period in omni, and omnid reports each metered interaction to Stripe's Billing "
      "Meter. These commands show that state, start a checkout or a customer-portal session, and reconcile with "
      "Stripe when webhooks were missed. They need stripe.api_key (except status) and stripe.price_ids in "
      "omni.yaml.",
      {
          MakeCommand<StatusOptions>(
              "status", "show the Stripe customer, subscription, status, period and last events",
              "Shows what omni knows of the business's Stripe subscription, its meter events pending, sent and "
              "failed, and the last Stripe events received for it with what became of each (applied, ignored, "
              "stale). Reads only the database.",
              {"$ omni billing status -b demo-salon", "$ omni billing status -b demo-salon --events 3 -o json"},
              [](StatusOptions& o) {
                return std::vector<Option>{{"--events", "how many recent events to show (0 to 1000, default 10)",
                                            &o.events}};
              },
              RunStatus),
          MakeCommand<CheckoutOptions>(
              "checkout", "create a Stripe Checkout Session for a plan and print its URL",
              "Creates a Checkout Session in subscription mode for the plan's price (stripe.price_ids), with "
              "client_reference_id set to the business, and prints its URL. Once the customer pays, Stripe's "
              "webhook links the customer and subscription to the business. The return URLs default to "
              "server.public_url + /billing/success and /billing/cancel.",
              {"$ omni billing checkout -b demo-salon --plan STARTER",
               "$ omni billing checkout -b demo-salon --plan PROFESSIONAL --success-url https://example.com/thanks "
               "--cancel-url https://example.com/pricing"},
              [](CheckoutOptions& o) {
                return std::vector<Option>{
                    {"--plan", "STARTER, PROFESSIONAL or ENTERPRISE", &o.plan, true},
                    {"--success-url", "where Stripe sends the customer after paying", &o.success_url},
                    {"--cancel-url", "where Stripe sends the customer who goes back", &o.cancel_url}};
              },
              RunCheckout),
          MakeCommand<PortalOptions>(
              "portal", "print a Stripe customer-portal URL for the business",
              "Creates a customer-portal session for the business's Stripe customer, where the owner changes the "
              "plan, the card or cancels, and prints its URL. The business must have subscribed once (exit code 6 "
              "otherwise).",
              {"$ omni billing portal -b demo-salon", "$ omni billing portal -b demo-salon --return-url https://example.com"},
              [](PortalOptions& o) {
                return std::vector<Option>{
                    {"--return-url", "where the portal's back link goes (default server.public_url)", &o.return_url}};
              },
              RunPortal),
          MakeCommand<SyncOptions>(
              "sync", "reconcile subscriptions and meter events with Stripe",
              "For when webhooks were missed: re-reads from Stripe the subscription of every business that has "
              "one (or only -b's), prints every field where omni differs and fixes it, then sends the meter events "
              "waiting in the outbox. --dry-run prints the differences and the pending count and changes nothing. "
              "A second run finds nothing to change. Exits 1 when a subscription could not be read.",
              {"$ omni billing sync", "$ omni billing sync -b demo-salon --dry-run", "$ omni billing sync -o json"},
              [](SyncOptions& o) {
                return std::vector<Option>{{"--dry-run", "report differences without changing or sending anything",
                                            &o.dry_run}};
              },
              RunSync),
      });
}

}  // namespace omni::cli
