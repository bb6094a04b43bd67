// Migration 5: what omni knows of a business's Stripe subscription beyond
// its status. The billing period is the subscription's current period when
// there is one; past_due_since starts the grace period during which a
// PAST_DUE subscription keeps its plan; subscription_snapshot_at is the
// `created` time of the newest Stripe snapshot applied, so that an older
// event arriving late never overwrites a newer state.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_subscription_state[] = R"sql(
ALTER TABLE businesses
  ADD COLUMN current_period_start     timestamptz,
  ADD COLUMN current_period_end       timestamptz,
  ADD COLUMN cancel_at_period_end     boolean NOT NULL DEFAULT false,
  ADD COLUMN past_due_since           timestamptz,
  ADD COLUMN subscription_snapshot_at timestamptz,
  ADD CONSTRAINT businesses_period_order
    CHECK (current_period_end IS NULL OR current_period_start IS NULL OR current_period_end > current_period_start);
)sql";

}  // namespace omni::db::migrations
