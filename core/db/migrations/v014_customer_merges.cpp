// Migration 14: the audit trail of `omni customers merge`. One row per
// merge: which customer was kept, which was removed and a snapshot of it as
// it was, the scalar fields that conflicted (kept from the base, listed
// with the value dropped), and how many rows of each table moved. The ids
// carry no foreign key on purpose: the removed customer is gone, and the
// record must outlive the kept one too.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_customer_merges[] = R"sql(
CREATE TABLE customer_merges (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id         uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  kept_customer_id    uuid NOT NULL,
  removed_customer_id uuid NOT NULL,
  removed_snapshot    jsonb NOT NULL CHECK (jsonb_typeof(removed_snapshot) = 'object'),
  conflicts           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(conflicts) = 'array'),
  moved               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(moved) = 'object'),
  merged_by           text NOT NULL DEFAULT '',
  merged_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_merges_business_idx ON customer_merges (business_id, merged_at DESC);
CREATE INDEX customer_merges_kept_idx ON customer_merges (business_id, kept_customer_id);
)sql";

}  // namespace omni::db::migrations
