// A business's Stripe account from the shell. See stripe_account.hpp.
#include "core/billing/stripe_account.hpp"

#include <nlohmann/json.hpp>
#include <random>

#include "core/billing/stripe_client.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/jobs/jobs.hpp"

namespace omni::billing {
namespace {

std::optional<TimePoint> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return TimePoint{std::chrono::microseconds{field.as<std::int64_t>()}};
}

// A fresh key per command run: a second `omni billing checkout` is a new
// session, while the client's own resend of one request is not.
std::string RandomKey(const std::string& prefix) {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key = prefix;
  for (int i = 0; i < 32; ++i) key.push_back(kHex[random() % 16]);
  return key;
}

struct Linked {
  std::string business_id;
  std::string customer_id;
  std::string subscription_id;
};

Linked FindLinked(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT id, coalesce(stripe_customer_id, ''), coalesce(stripe_subscription_id, '') FROM businesses"
        " WHERE slug = $1",
        slug);
    if (rows.empty()) {
      throw NotFound("business \"" + slug + "\" not found", "List businesses with `omni business list`.");
    }
    return Linked{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(), rows[0][2].as<std::string>()};
  });
}

}  // namespace

AccountStatus GetAccountStatus(db::Pool& pool, const std::string& slug, int event_limit) {
  AccountStatus status = db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT id, slug, coalesce(stripe_customer_id, ''), coalesce(stripe_subscription_id, ''), plan_tier,"
        " subscription_status, (extract(epoch FROM current_period_start) * 1000000)::int8,"
        " (extract(epoch FROM current_period_end) * 1000000)::int8,"
        " (extract(epoch FROM trial_ends_at) * 1000000)::int8, (extract(epoch FROM past_due_since) * 1000000)::int8,"
        " cancel_at_period_end FROM businesses WHERE slug = $1",
        slug);
    if (rows.empty()) {
      throw NotFound("business \"" + slug + "\" not found", "List businesses with `omni business list`.");
    }
    const auto& row = rows[0];
    AccountStatus s;
    s.business_id = row[0].as<std::string>();
    s.slug = row[1].as<std::string>();
    s.customer_id = row[2].as<std::string>();
    s.subscription_id = row[3].as<std::string>();
    s.plan_tier = row[4].as<std::string>();
    s.status = row[5].as<std::string>();
    s.period_start = OptionalTime(row[6]);
    s.period_end = OptionalTime(row[7]);
    s.trial_end = OptionalTime(row[8]);
    s.past_due_since = OptionalTime(row[9]);
    s.cancel_at_period_end = row[10].as<bool>();
    return s;
  });
  const auto counts = jobs::CountByState(pool, kMeterQueue, status.business_id);
  status.meter_pending = counts.at(jobs::JobState::kPending) + counts.at(jobs::JobState::kRunning);
  status.meter_sent = counts.at(jobs::JobState::kDone);
  status.meter_failed = counts.at(jobs::JobState::kDead);
  status.recent_events = RecentStripeEvents(pool, status.business_id, event_limit);
  return status;
}

std::string CreateCheckout(db::Pool& pool, const StripeClient& stripe, const std::map<PlanTier, std::string>& price_ids,
                           const CheckoutRequest& request) {
  const Linked linked = FindLinked(pool, request.slug);
  const auto price = price_ids.find(request.plan);
  if (price == price_ids.end()) {
    throw InvalidInput(std::string("plan ") + PlanTierName(request.plan) + " has no Stripe price",
                       std::string("Set stripe.price_ids.") + PlanTierName(request.plan) + " in omni.yaml.");
  }
  if (request.success_url.empty() || request.cancel_url.empty()) {
    throw InvalidInput("a checkout needs a success and a cancel URL",
                       "Pass --success-url and --cancel-url, or set server.public_url in omni.yaml.");
  }
  nlohmann::json params = {{"mode", "subscription"},
                           {"client_reference_id", linked.business_id},
                           {"line_items", {{{"price", price->second}, {"quantity", 1}}}},
                           {"metadata", {{"business_id", linked.business_id}}},
                           {"subscription_data", {{"metadata", {{"business_id", linked.business_id}}}}},
                           {"success_url", request.success_url},
                           {"cancel_url", request.cancel_url}};
  if (!linked.customer_id.empty()) params["customer"] = linked.customer_id;
  const auto session = RequireOk(stripe.Post("/v1/checkout/sessions", params, RandomKey("omni-checkout-")),
                                 "creating a checkout session");
  if (!session.contains("url") || !session["url"].is_string()) {
    throw UpstreamError("creating a checkout session: stripe answered without a url");
  }
  return session["url"].get<std::string>();
}

std::string CreatePortal(db::Pool& pool, const StripeClient& stripe, const std::string& slug,
                         const std::string& return_url) {
  const Linked linked = FindLinked(pool, slug);
  if (linked.customer_id.empty()) {
    throw Conflict("business \"" + slug + "\" has no Stripe customer yet",
                   "Subscribe first with `omni billing checkout -b " + slug + " --plan STARTER`.");
  }
  nlohmann::json params = {{"customer", linked.customer_id}};
  if (!return_url.empty()) params["return_url"] = return_url;
  const auto session = RequireOk(stripe.Post("/v1/billing_portal/sessions", params, RandomKey("omni-portal-")),
                                 "creating a customer portal session");
  if (!session.contains("url") || !session["url"].is_string()) {
    throw UpstreamError("creating a customer portal session: stripe answered without a url");
  }
  return session["url"].get<std::string>();
}

SyncReport Sync(db::Pool& pool, const StripeClient& stripe, const std::map<PlanTier, std::string>& price_ids,
                const MeterSettings& meter, const std::string& slug, bool dry_run, const Clock& clock,
                const std::function<double()>& jitter) {
  if (!slug.empty()) FindLinked(pool, slug);
  const auto linked = db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::vector<std::pair<std::string, Linked>> result;
    const auto rows = tx.exec_params(
        "SELECT slug, id, coalesce(stripe_customer_id, ''), stripe_subscription_id FROM businesses"
        " WHERE stripe_subscription_id IS NOT NULL AND ($1 = '' OR slug = $1) ORDER BY slug",
        slug);
    for (const auto& row : rows) {
      result.push_back({row[0].as<std::string>(),
                        Linked{row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>()}});
    }
    return result;
  });
  SyncReport report;
  for (const auto& [business_slug, business] : linked) {
    SubscriptionSync sync{business_slug, business.subscription_id, {}, ""};
    try {
      const auto subscription = RequireOk(stripe.Get("/v1/subscriptions/" + business.subscription_id),
                                          "reading subscription " + business.subscription_id);
      sync.changes = SyncSubscription(pool, business.business_id, ParseSubscription(subscription, price_ids), dry_run,
                                      clock.Now());
    } catch (const Error& e) {
      sync.error = e.what();
    }
    report.subscriptions.push_back(std::move(sync));
  }
  report.meter_pending = jobs::CountByState(pool, kMeterQueue, "").at(jobs::JobState::kPending);
  if (!dry_run) {
    // Until a claim comes back short: what is left is waiting for a retry.
    for (;;) {
      const DrainStats round = DrainMeterEvents(pool, stripe, meter, clock, jitter);
      report.meter.sent += round.sent;
      report.meter.retried += round.retried;
      report.meter.failed += round.failed;
      report.meter.lost += round.lost;
      if (round.sent + round.retried + round.failed + round.lost < meter.batch) break;
    }
  }
  return report;
}

}  // namespace omni::billing
