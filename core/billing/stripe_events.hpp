// Stripe events applied to omni's businesses: the subscription state that
// billing's limits read (plan_tier, subscription_status, period, trial,
// cancel_at_period_end, past_due_since), written here and nowhere else.
//
// Every event is stored by id in the transaction that applies it, so a
// redelivery is a no-op and a failure leaves nothing behind (the caller
// answers 5xx and Stripe retries). Events arrive out of order: a snapshot
// of a subscription is applied only when it is newer, by (event `created`,
// rank created < updated < deleted), than the one already applied, so the
// final state is the same whatever the order. The business's row lock
// serialises events about one business across omnid instances.
// Thread-safe: free functions over a db::Pool.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::billing {

enum class EventOutcome {
  kApplied,    // handled for a known business (state changed, or recorded)
  kIgnored,    // a type omni does not handle, or no known business
  kStale,      // older than the snapshot already applied
  kDuplicate,  // this event id was already stored: nothing done
};

// "APPLIED", "IGNORED", "STALE", "DUPLICATE".
const char* EventOutcomeName(EventOutcome outcome);

struct EventResult {
  std::string event_id;
  std::string type;
  EventOutcome outcome = EventOutcome::kIgnored;
  std::string business_id;  // "" when none was found
  std::string detail;       // why ignored or stale, or what changed
};

// A Stripe subscription object as omni keeps it.
struct SubscriptionSnapshot {
  std::string subscription_id;
  std::string customer_id;
  std::string business_id;             // metadata.business_id, "" when absent
  std::optional<PlanTier> plan;        // from the first item whose price is a tier's
  std::string unknown_price_id;        // set when no item's price is configured
  std::string status;                  // upper-case, e.g. "PAST_DUE"
  std::optional<TimePoint> period_start;
  std::optional<TimePoint> period_end;
  std::optional<TimePoint> trial_end;
  bool cancel_at_period_end = false;
};

// Reads a subscription object. The current period is read from its items,
// where API versions since 2025-03-31 put it, and from the object itself for
// older versions. Throws InvalidInput when id, customer or status is missing
// or the status is not one of Stripe's.
SubscriptionSnapshot ParseSubscription(const nlohmann::json& subscription,
                                       const std::map<PlanTier, std::string>& price_ids);

// Verifies nothing (the signature is checked first, see webhook.hpp):
// parses `body`, stores the event and applies it in one transaction.
// Handles checkout.session.completed, customer.subscription.created,
// .updated, .deleted, .paused, .resumed and .trial_will_end, invoice.paid
// and invoice.payment_failed. Throws InvalidInput when the body is not a
// JSON event (id, type, created, data.object); database errors propagate
// (Unavailable, ...) with nothing stored.
EventResult ApplyStripeEvent(db::Pool& pool, const std::string& body,
                             const std::map<PlanTier, std::string>& price_ids, TimePoint now);

// One field of a business's subscription state that differs.
struct StateChange {
  std::string field;  // e.g. "subscription_status"
  std::string from;   // as shown to an operator; "" for none
  std::string to;
};

// Brings a business's state in line with `snapshot`, read from Stripe at
// `now` (omni billing sync): returns what differs, and writes it unless
// `dry_run`. The snapshot counts as newer than any event before `now`.
// Throws NotFound for an unknown business.
std::vector<StateChange> SyncSubscription(db::Pool& pool, const std::string& business_id,
                                          const SubscriptionSnapshot& snapshot, bool dry_run, TimePoint now);

struct StripeEventRow {
  std::string id;
  std::string type;
  std::string outcome;  // "APPLIED", "IGNORED", "STALE"
  std::string detail;
  TimePoint received_at;
};

// The newest `limit` events stored for a business, newest first.
std::vector<StripeEventRow> RecentStripeEvents(db::Pool& pool, const std::string& business_id, int limit);

}  // namespace omni::billing
