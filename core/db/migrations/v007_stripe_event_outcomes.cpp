// Migration 7: what became of each Stripe event, and a tie-break for
// snapshots Stripe stamps with the same second.
//
// outcome: APPLIED changed the business, IGNORED named no known business or
// is of a type omni does not handle (it is still answered 2xx, or Stripe
// retries it for days), STALE was older than the snapshot already applied.
// Stripe's `created` has whole seconds, and a subscription's created and
// first updated events often share one; subscription_snapshot_rank orders
// them (created 0, updated 1, deleted 2) so the final state never depends
// on the order of delivery.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_stripe_event_outcomes[] = R"sql(
ALTER TABLE stripe_events
  ADD COLUMN created    timestamptz,
  ADD COLUMN object_id  text,
  ADD COLUMN outcome    text CHECK (outcome IN ('APPLIED', 'IGNORED', 'STALE')),
  ADD COLUMN detail     text NOT NULL DEFAULT '';
CREATE INDEX stripe_events_object_idx ON stripe_events (object_id, created) WHERE object_id IS NOT NULL;
ALTER TABLE businesses
  ADD COLUMN subscription_snapshot_rank smallint NOT NULL DEFAULT 0;
)sql";

}  // namespace omni::db::migrations
