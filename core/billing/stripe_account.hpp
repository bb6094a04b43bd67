// A business's Stripe account as an operator handles it from the shell:
// what omni knows of it, a Checkout Session to subscribe, a customer-portal
// session, and reconciliation with Stripe when webhooks were missed.
// Thread-safe: free functions over a db::Pool and a StripeClient.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/billing/meter.hpp"
#include "core/billing/plans.hpp"
#include "core/billing/stripe_events.hpp"
#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::billing {

class StripeClient;

struct AccountStatus {
  std::string business_id;
  std::string slug;
  std::string customer_id;       // "" when not linked
  std::string subscription_id;   // "" when none
  std::string plan_tier;         // the subscribed plan, e.g. "STARTER"
  std::string status;            // e.g. "ACTIVE", "NONE"
  std::optional<TimePoint> period_start;
  std::optional<TimePoint> period_end;
  std::optional<TimePoint> trial_end;
  std::optional<TimePoint> past_due_since;
  bool cancel_at_period_end = false;
  std::int64_t meter_pending = 0;  // meter events waiting (or retrying)
  std::int64_t meter_sent = 0;
  std::int64_t meter_failed = 0;   // dead: a permanent error, or out of attempts
  std::vector<StripeEventRow> recent_events;  // newest first
};

// The account of the business `slug`, with its `event_limit` newest Stripe
// events. Throws NotFound for an unknown business.
AccountStatus GetAccountStatus(db::Pool& pool, const std::string& slug, int event_limit);

struct CheckoutRequest {
  std::string slug;
  PlanTier plan = PlanTier::kStarter;
  std::string success_url;  // where Stripe sends the customer after paying
  std::string cancel_url;   // and when they go back
};

// Creates a Checkout Session in subscription mode for the plan's price,
// with client_reference_id and the subscription's metadata naming the
// business (so that its webhooks find it in any order), and returns its
// URL. Reuses the business's Stripe customer when it has one. Throws
// NotFound for an unknown business, InvalidInput when the plan has no
// price in stripe.price_ids or a URL is missing, and what RequireOk throws.
std::string CreateCheckout(db::Pool& pool, const StripeClient& stripe, const std::map<PlanTier, std::string>& price_ids,
                           const CheckoutRequest& request);

// Creates a customer-portal session for the business's Stripe customer and
// returns its URL. Throws NotFound for an unknown business, Conflict when
// it has no Stripe customer yet, and what RequireOk throws.
std::string CreatePortal(db::Pool& pool, const StripeClient& stripe, const std::string& slug,
                         const std::string& return_url);

struct SubscriptionSync {
  std::string slug;
  std::string subscription_id;
  std::vector<StateChange> changes;  // found (and written unless a dry run)
  std::string error;                 // why the subscription could not be read
};

struct SyncReport {
  std::vector<SubscriptionSync> subscriptions;
  std::int64_t meter_pending = 0;  // meter events due before sending
  DrainStats meter;                // what sending did (nothing on a dry run)
};

// Reconciles with Stripe every business with a subscription (or only `slug`
// when not empty): re-reads each subscription and writes what differs, then
// sends every due meter event of the outbox; `dry_run` reports without
// writing or sending. A subscription Stripe cannot return is reported in
// `error` and the others go on. A second run finds nothing to change.
// Throws NotFound for an unknown `slug`.
SyncReport Sync(db::Pool& pool, const StripeClient& stripe, const std::map<PlanTier, std::string>& price_ids,
                const MeterSettings& meter, const std::string& slug, bool dry_run, const Clock& clock,
                const std::function<double()>& jitter);

}  // namespace omni::billing
