// Stripe events applied to businesses. See stripe_events.hpp.
#include "core/billing/stripe_events.hpp"

#include <date/date.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/db/pqxx.hpp"

namespace omni::billing {
namespace {

using Json = nlohmann::json;

constexpr const char* kNilUuid = "00000000-0000-0000-0000-000000000000";

const std::set<std::string> kStatuses = {"TRIALING", "ACTIVE",     "PAST_DUE",           "CANCELED",
                                         "UNPAID",   "INCOMPLETE", "INCOMPLETE_EXPIRED", "PAUSED"};
// A subscription in one of these states replaces the business's current
// one: the customer subscribed again.
const std::set<std::string> kLiveStatuses = {"TRIALING", "ACTIVE", "PAST_DUE"};

std::int64_t Micros(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromMicros(std::int64_t micros) { return TimePoint{std::chrono::microseconds{micros}}; }
TimePoint FromSeconds(std::int64_t seconds) { return TimePoint{std::chrono::seconds{seconds}}; }

std::string Shown(const std::optional<TimePoint>& t) {
  if (!t) return "";
  return date::format("%Y-%m-%dT%H:%M:%SZ", std::chrono::floor<std::chrono::seconds>(*t));
}

std::optional<std::int64_t> Micros(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return Micros(*t);
}

std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  // An expanded object (e.g. "customer": {"id": "cus_..."}).
  if (it->is_object()) return StringField(*it, "id");
  return "";
}

std::optional<TimePoint> TimeField(const Json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return FromSeconds(it->get<std::int64_t>());
}

std::string MetadataBusinessId(const Json& object) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  const std::string id = StringField(object["metadata"], "business_id");
  return IsUuid(id) ? Lower(id) : "";
}

// What omni keeps of a business's subscription, as stored.
struct BusinessState {
  std::string plan_tier;
  std::string status;
  std::string customer_id;
  std::string subscription_id;
  std::optional<TimePoint> trial_end;
  std::optional<TimePoint> period_start;
  std::optional<TimePoint> period_end;
  bool cancel_at_period_end = false;
  std::optional<TimePoint> past_due_since;
  std::optional<TimePoint> snapshot_at;
  int snapshot_rank = 0;
};

std::optional<TimePoint> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return FromMicros(field.as<std::int64_t>());
}

std::optional<BusinessState> LockBusiness(pqxx::work& tx, const std::string& business_id) {
  const auto rows = db::ExecPrepared(
      tx, "omni_billing_lock_subscription_state",
      "SELECT plan_tier, subscription_status, coalesce(stripe_customer_id, ''), coalesce(stripe_subscription_id, ''),"
      " (extract(epoch FROM trial_ends_at) * 1000000)::int8,"
      " (extract(epoch FROM current_period_start) * 1000000)::int8,"
      " (extract(epoch FROM current_period_end) * 1000000)::int8, cancel_at_period_end,"
      " (extract(epoch FROM past_due_since) * 1000000)::int8,"
      " (extract(epoch FROM subscription_snapshot_at) * 1000000)::int8, subscription_snapshot_rank"
      " FROM businesses WHERE id = $1 FOR UPDATE",
      business_id);
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  BusinessState state;
  state.plan_tier = row[0].as<std::string>();
  state.status = row[1].as<std::string>();
  state.customer_id = row[2].as<std::string>();
  state.subscription_id = row[3].as<std::string>();
  state.trial_end = OptionalTime(row[4]);
  state.period_start = OptionalTime(row[5]);
  state.period_end = OptionalTime(row[6]);
  state.cancel_at_period_end = row[7].as<bool>();
  state.past_due_since = OptionalTime(row[8]);
  state.snapshot_at = OptionalTime(row[9]);
  state.snapshot_rank = row[10].as<int>();
  return state;
}

// The business another business already holds `column` = `value` for, or "".
std::string HolderOf(pqxx::work& tx, const std::string& column, const std::string& value,
                     const std::string& business_id) {
  if (value.empty()) return "";
  const std::string sql = column == "stripe_customer_id"
                              ? "SELECT id FROM businesses WHERE stripe_customer_id = $1 AND id <> $2"
                              : "SELECT id FROM businesses WHERE stripe_subscription_id = $1 AND id <> $2";
  const auto rows = tx.exec_params(sql, value, business_id);
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

std::string BusinessWith(pqxx::work& tx, const std::string& metadata_business, const std::string& subscription_id,
                         const std::string& customer_id) {
  const auto rows = db::ExecPrepared(
      tx, "omni_billing_find_stripe_business",
      "SELECT id FROM businesses WHERE id = coalesce(nullif($1, '')::uuid, $4::uuid)"
      " UNION ALL SELECT id FROM businesses WHERE stripe_subscription_id = nullif($2, '')"
      " UNION ALL SELECT id FROM businesses WHERE stripe_customer_id = nullif($3, '') LIMIT 1",
      metadata_business, subscription_id, customer_id, std::string(kNilUuid));
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

void AddChange(std::vector<StateChange>& changes, const char* field, const std::string& from, const std::string& to) {
  if (from != to) changes.push_back(StateChange{field, from, to});
}

std::string Describe(const std::vector<StateChange>& changes) {
  if (changes.empty()) return "no change";
  std::string text;
  for (const auto& change : changes) {
    if (!text.empty()) text += ", ";
    text += change.field + ": " + (change.from.empty() ? "none" : change.from) + " -> " +
            (change.to.empty() ? "none" : change.to);
  }
  return text;
}

// The state `snapshot` gives a business now in `current`, taken at `at`.
BusinessState Target(const BusinessState& current, const SubscriptionSnapshot& snapshot, TimePoint at, int rank) {
  BusinessState target = current;
  if (target.customer_id.empty()) target.customer_id = snapshot.customer_id;
  target.subscription_id = snapshot.subscription_id;
  if (snapshot.plan) target.plan_tier = PlanTierName(*snapshot.plan);
  target.status = snapshot.status;
  // A subscription without a trial leaves the business's own trial end as it is.
  if (snapshot.trial_end) target.trial_end = snapshot.trial_end;
  if (snapshot.period_start && snapshot.period_end && *snapshot.period_end > *snapshot.period_start) {
    target.period_start = snapshot.period_start;
    target.period_end = snapshot.period_end;
  }
  target.cancel_at_period_end = snapshot.cancel_at_period_end;
  // Grace runs from when the subscription first became past due, so later
  // past-due snapshots keep the start.
  if (snapshot.status == "PAST_DUE") {
    target.past_due_since = current.status == "PAST_DUE" && current.past_due_since ? current.past_due_since : at;
  } else {
    target.past_due_since.reset();
  }
  target.snapshot_at = at;
  target.snapshot_rank = rank;
  return target;
}

std::vector<StateChange> Diff(const BusinessState& from, const BusinessState& to) {
  std::vector<StateChange> changes;
  AddChange(changes, "stripe_customer_id", from.customer_id, to.customer_id);
  AddChange(changes, "stripe_subscription_id", from.subscription_id, to.subscription_id);
  AddChange(changes, "plan_tier", from.plan_tier, to.plan_tier);
  AddChange(changes, "subscription_status", from.status, to.status);
  AddChange(changes, "trial_ends_at", Shown(from.trial_end), Shown(to.trial_end));
  AddChange(changes, "current_period_start", Shown(from.period_start), Shown(to.period_start));
  AddChange(changes, "current_period_end", Shown(from.period_end), Shown(to.period_end));
  AddChange(changes, "cancel_at_period_end", from.cancel_at_period_end ? "true" : "false",
            to.cancel_at_period_end ? "true" : "false");
  AddChange(changes, "past_due_since", Shown(from.past_due_since), Shown(to.past_due_since));
  return changes;
}

void Write(pqxx::work& tx, const std::string& business_id, const BusinessState& state) {
  db::ExecPrepared(
      tx, "omni_billing_write_subscription_state",
      "UPDATE businesses SET stripe_customer_id = nullif($2, ''), stripe_subscription_id = nullif($3, ''),"
      " plan_tier = $4, subscription_status = $5,"
      " trial_ends_at = timestamptz 'epoch' + $6::int8 * interval '1 microsecond',"
      " current_period_start = timestamptz 'epoch' + $7::int8 * interval '1 microsecond',"
      " current_period_end = timestamptz 'epoch' + $8::int8 * interval '1 microsecond',"
      " cancel_at_period_end = $9,"
      " past_due_since = timestamptz 'epoch' + $10::int8 * interval '1 microsecond',"
      " subscription_snapshot_at = timestamptz 'epoch' + $11::int8 * interval '1 microsecond',"
      " subscription_snapshot_rank = $12"
      " WHERE id = $1",
      business_id, state.customer_id, state.subscription_id, state.plan_tier, state.status, Micros(state.trial_end),
      Micros(state.period_start), Micros(state.period_end), state.cancel_at_period_end,
      Micros(state.past_due_since), Micros(state.snapshot_at), state.snapshot_rank);
}

int RankOf(const std::string& type) {
  if (type == "customer.subscription.created") return 0;
  if (type == "customer.subscription.deleted") return 2;
  return 1;
}

bool IsSubscriptionEvent(const std::string& type) {
  static const std::set<std::string> kTypes = {
      "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
      "customer.subscription.paused",  "customer.subscription.resumed", "customer.subscription.trial_will_end"};
  return kTypes.count(type) > 0;
}

struct Event {
  std::string id;
  std::string type;
  TimePoint created;
  Json object;
};

Event ParseEvent(const std::string& body) {
  Json event;
  try {
    event = Json::parse(body);
  } catch (const Json::exception&) {
    throw InvalidInput("the webhook body is not JSON");
  }
  if (!event.is_object() || !event.contains("id") || !event["id"].is_string() || !event.contains("type") ||
      !event["type"].is_string() || !event.contains("created") || !event["created"].is_number_integer() ||
      !event.contains("data") || !event["data"].is_object() || !event["data"].contains("object") ||
      !event["data"]["object"].is_object()) {
    throw InvalidInput("the webhook body is not a Stripe event: expected id, type, created and data.object");
  }
  Event parsed{event["id"].get<std::string>(), event["type"].get<std::string>(),
               FromSeconds(event["created"].get<std::int64_t>()), std::move(event["data"]["object"])};
  RejectNul("event id", parsed.id);
  RejectNul("event type", parsed.type);
  if (parsed.id.empty() || parsed.id.size() > 255) throw InvalidInput("the webhook event id is empty or too long");
  return parsed;
}

EventResult Ignored(const Event& event, std::string business_id, std::string detail) {
  return EventResult{event.id, event.type, EventOutcome::kIgnored, std::move(business_id), std::move(detail)};
}

EventResult HandleSubscription(pqxx::work& tx, const Event& event, const std::map<PlanTier, std::string>& price_ids) {
  const SubscriptionSnapshot snapshot = ParseSubscription(event.object, price_ids);
  const std::string business_id =
      BusinessWith(tx, snapshot.business_id, snapshot.subscription_id, snapshot.customer_id);
  if (business_id.empty()) {
    return Ignored(event, "", "no business has subscription " + snapshot.subscription_id + " or customer " +
                                  snapshot.customer_id);
  }
  const auto current = LockBusiness(tx, business_id);
  if (!current) return Ignored(event, "", "business " + business_id + " not found");
  const int rank = RankOf(event.type);
  if (current->snapshot_at &&
      (event.created < *current->snapshot_at || (event.created == *current->snapshot_at && rank < current->snapshot_rank))) {
    return EventResult{event.id, event.type, EventOutcome::kStale, business_id,
                       "older than the snapshot of " + Shown(current->snapshot_at) + " already applied"};
  }
  if (!current->subscription_id.empty() && current->subscription_id != snapshot.subscription_id &&
      kLiveStatuses.count(snapshot.status) == 0) {
    return Ignored(event, business_id,
                   "subscription " + snapshot.subscription_id + " is not the business's current one (" +
                       current->subscription_id + ")");
  }
  if (const std::string holder = HolderOf(tx, "stripe_subscription_id", snapshot.subscription_id, business_id);
      !holder.empty()) {
    return Ignored(event, business_id, "subscription " + snapshot.subscription_id + " belongs to business " + holder);
  }
  BusinessState target = Target(*current, snapshot, event.created, rank);
  if (current->customer_id.empty() && !HolderOf(tx, "stripe_customer_id", snapshot.customer_id, business_id).empty()) {
    return Ignored(event, business_id, "customer " + snapshot.customer_id + " belongs to another business");
  }
  const auto changes = Diff(*current, target);
  Write(tx, business_id, target);
  std::string detail = Describe(changes);
  if (!snapshot.unknown_price_id.empty()) {
    detail += "; price " + snapshot.unknown_price_id + " is not in stripe.price_ids, plan kept";
  }
  return EventResult{event.id, event.type, EventOutcome::kApplied, business_id, detail};
}

void RecordOutcome(pqxx::work& tx, const EventResult& result, TimePoint now) {
  db::ExecPrepared(tx, "omni_billing_record_stripe_event",
                   "UPDATE stripe_events SET business_id = nullif($2, '')::uuid, outcome = $3, detail = $4,"
                   " processed_at = timestamptz 'epoch' + $5::int8 * interval '1 microsecond' WHERE id = $1",
                   result.event_id, result.business_id, std::string(EventOutcomeName(result.outcome)), result.detail,
                   Micros(now));
}

// Subscription events that came before the checkout linking their
// subscription found no business and were ignored; now that it is known,
// they are applied in the order Stripe created them, so the state is what
// it would have been in order.
void ReplayIgnoredSubscriptionEvents(pqxx::work& tx, const std::string& subscription_id,
                                     const std::map<PlanTier, std::string>& price_ids, TimePoint now) {
  if (subscription_id.empty()) return;
  const auto rows = tx.exec_params(
      "SELECT payload::text FROM stripe_events WHERE object_id = $1 AND outcome = 'IGNORED' AND business_id IS NULL"
      " AND type LIKE 'customer.subscription.%' ORDER BY created, id",
      subscription_id);
  for (const auto& row : rows) {
    const Event earlier = ParseEvent(row[0].as<std::string>());
    RecordOutcome(tx, HandleSubscription(tx, earlier, price_ids), now);
  }
}

EventResult HandleCheckout(pqxx::work& tx, const Event& event, const std::map<PlanTier, std::string>& price_ids,
                           TimePoint now) {
  const Json& session = event.object;
  const std::string mode = StringField(session, "mode");
  if (mode != "subscription") return Ignored(event, "", "checkout session in mode \"" + mode + "\"");
  std::string business_id = StringField(session, "client_reference_id");
  business_id = IsUuid(business_id) ? Lower(business_id) : MetadataBusinessId(session);
  const std::string customer_id = StringField(session, "customer");
  const std::string subscription_id = StringField(session, "subscription");
  if (business_id.empty()) return Ignored(event, "", "the session names no business (client_reference_id)");
  const auto current = LockBusiness(tx, business_id);
  if (!current) return Ignored(event, "", "business " + business_id + " not found");
  if (customer_id.empty()) return Ignored(event, business_id, "the session has no customer");
  if (const std::string holder = HolderOf(tx, "stripe_customer_id", customer_id, business_id); !holder.empty()) {
    return Ignored(event, business_id, "customer " + customer_id + " belongs to business " + holder);
  }
  if (const std::string holder = HolderOf(tx, "stripe_subscription_id", subscription_id, business_id);
      !holder.empty()) {
    return Ignored(event, business_id, "subscription " + subscription_id + " belongs to business " + holder);
  }
  BusinessState target = *current;
  target.customer_id = customer_id;
  if (!subscription_id.empty()) target.subscription_id = subscription_id;
  const auto changes = Diff(*current, target);
  if (!changes.empty()) {
    db::ExecPrepared(tx, "omni_billing_link_customer",
                     "UPDATE businesses SET stripe_customer_id = $2, stripe_subscription_id = nullif($3, '')"
                     " WHERE id = $1",
                     business_id, target.customer_id, target.subscription_id);
  }
  ReplayIgnoredSubscriptionEvents(tx, subscription_id, price_ids, now);
  return EventResult{event.id, event.type, EventOutcome::kApplied, business_id, Describe(changes)};
}

EventResult HandleInvoice(pqxx::work& tx, const Event& event) {
  const Json& invoice = event.object;
  std::string subscription_id = StringField(invoice, "subscription");
  // API versions since 2025-03-31 moved it under parent.subscription_details.
  if (subscription_id.empty() && invoice.contains("parent") && invoice["parent"].is_object()) {
    subscription_id = StringField(invoice["parent"].value("subscription_details", Json::object()), "subscription");
  }
  const std::string customer_id = StringField(invoice, "customer");
  const std::string business_id = BusinessWith(tx, MetadataBusinessId(invoice), subscription_id, customer_id);
  if (business_id.empty()) return Ignored(event, "", "no business has customer " + customer_id);
  const std::int64_t amount = invoice.value(event.type == "invoice.paid" ? "amount_paid" : "amount_due",
                                            std::int64_t{0});
  const std::string currency = StringField(invoice, "currency");
  std::string detail = "invoice " + StringField(invoice, "id") +
                       (event.type == "invoice.paid" ? " paid " : " payment failed for ") + FormatCents(amount) +
                       (currency.empty() ? "" : " " + currency);
  if (event.type == "invoice.payment_failed" && invoice.contains("attempt_count") &&
      invoice["attempt_count"].is_number_integer()) {
    detail += " (attempt " + std::to_string(invoice["attempt_count"].get<int>()) + ")";
  }
  return EventResult{event.id, event.type, EventOutcome::kApplied, business_id, detail};
}

}  // namespace

const char* EventOutcomeName(EventOutcome outcome) {
  switch (outcome) {
    case EventOutcome::kApplied: return "APPLIED";
    case EventOutcome::kIgnored: return "IGNORED";
    case EventOutcome::kStale: return "STALE";
    case EventOutcome::kDuplicate: return "DUPLICATE";
  }
  return "IGNORED";
}

SubscriptionSnapshot ParseSubscription(const Json& subscription, const std::map<PlanTier, std::string>& price_ids) {
  SubscriptionSnapshot snapshot;
  snapshot.subscription_id = StringField(subscription, "id");
  snapshot.customer_id = StringField(subscription, "customer");
  snapshot.business_id = MetadataBusinessId(subscription);
  std::string status = StringField(subscription, "status");
  for (char& c : status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (snapshot.subscription_id.empty() || snapshot.customer_id.empty() || status.empty()) {
    throw InvalidInput("the subscription object lacks id, customer or status");
  }
  if (kStatuses.count(status) == 0) {
    throw InvalidInput("the subscription's status \"" + Lower(status) + "\" is not one of Stripe's");
  }
  snapshot.status = status;
  snapshot.cancel_at_period_end = subscription.value("cancel_at_period_end", false);
  snapshot.trial_end = TimeField(subscription, "trial_end");
  snapshot.period_start = TimeField(subscription, "current_period_start");
  snapshot.period_end = TimeField(subscription, "current_period_end");
  const Json* items = nullptr;
  if (subscription.contains("items") && subscription["items"].is_object() && subscription["items"].contains("data") &&
      subscription["items"]["data"].is_array()) {
    items = &subscription["items"]["data"];
  }
  bool period_from_items = false;
  if (items != nullptr) {
    for (const auto& item : *items) {
      const std::string price = item.contains("price") ? StringField(item, "price") : "";
      bool plan_item = false;
      for (const auto& [tier, id] : price_ids) {
        if (!snapshot.plan && !price.empty() && price == id) {
          snapshot.plan = tier;
          plan_item = true;
        }
      }
      if (!plan_item && !price.empty() && snapshot.unknown_price_id.empty()) snapshot.unknown_price_id = price;
      // The plan's item decides the period; another item's counts only
      // until a plan item is seen.
      const auto start = TimeField(item, "current_period_start");
      const auto end = TimeField(item, "current_period_end");
      if (start && end && (plan_item || !period_from_items)) {
        snapshot.period_start = start;
        snapshot.period_end = end;
        period_from_items = true;
      }
    }
  }
  if (snapshot.plan) snapshot.unknown_price_id.clear();
  return snapshot;
}

EventResult ApplyStripeEvent(db::Pool& pool, const std::string& body,
                             const std::map<PlanTier, std::string>& price_ids, TimePoint now) {
  const Event event = ParseEvent(body);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    // The insert is the deduplication: a second delivery of the id, even
    // one racing this on another omnid, waits for this commit and then
    // finds the row.
    const auto inserted = db::ExecPrepared(
        tx, "omni_billing_store_stripe_event",
        "INSERT INTO stripe_events (id, type, payload, created, object_id, received_at)"
        " VALUES ($1, $2, $3::jsonb, timestamptz 'epoch' + $4::int8 * interval '1 microsecond', nullif($5, ''),"
        " timestamptz 'epoch' + $6::int8 * interval '1 microsecond')"
        " ON CONFLICT (id) DO NOTHING RETURNING id",
        event.id, event.type, body, Micros(event.created), StringField(event.object, "id"), Micros(now));
    if (inserted.empty()) {
      return EventResult{event.id, event.type, EventOutcome::kDuplicate, "", "already received"};
    }
    // A subscription's events and the checkout that links it are handled
    // one at a time: an event that finds no business yet is then committed
    // as ignored before the checkout's replay looks for it, or waits and
    // finds the checkout's link. Without this, the two could miss each other.
    const std::string subscription_id = event.type == "checkout.session.completed"
                                            ? StringField(event.object, "subscription")
                                            : IsSubscriptionEvent(event.type) ? StringField(event.object, "id") : "";
    if (!subscription_id.empty()) {
      tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended('omni.stripe.subscription:' || $1, 0))",
                     subscription_id);
    }
    EventResult result;
    if (IsSubscriptionEvent(event.type)) {
      result = HandleSubscription(tx, event, price_ids);
    } else if (event.type == "checkout.session.completed") {
      result = HandleCheckout(tx, event, price_ids, now);
    } else if (event.type == "invoice.paid" || event.type == "invoice.payment_failed") {
      result = HandleInvoice(tx, event);
    } else {
      result = Ignored(event, "", "event type " + event.type + " is not handled");
    }
    RecordOutcome(tx, result, now);
    return result;
  });
}

std::vector<StateChange> SyncSubscription(db::Pool& pool, const std::string& business_id,
                                          const SubscriptionSnapshot& snapshot, bool dry_run, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto current = LockBusiness(tx, business_id);
    if (!current) throw NotFound("business " + business_id + " not found");
    // Read from the API just now: newer than any event so far, and a
    // deleted subscription's state is as final as a deleted event's.
    const int rank = snapshot.status == "CANCELED" ? 2 : 1;
    const BusinessState target = Target(*current, snapshot, now, rank);
    const auto changes = Diff(*current, target);
    if (!dry_run && !changes.empty()) Write(tx, business_id, target);
    return changes;
  });
}

std::vector<StripeEventRow> RecentStripeEvents(db::Pool& pool, const std::string& business_id, int limit) {
  if (!IsUuid(business_id)) throw InvalidInput("invalid business id \"" + business_id + "\": expected a UUID");
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT id, type, coalesce(outcome, ''), detail, (extract(epoch FROM received_at) * 1000000)::int8"
        " FROM stripe_events WHERE business_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2",
        business_id, std::max(1, limit));
    std::vector<StripeEventRow> events;
    for (const auto& row : rows) {
      events.push_back(StripeEventRow{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                                      row[3].as<std::string>(), FromMicros(row[4].as<std::int64_t>())});
    }
    return events;
  });
}

}  // namespace omni::billing
