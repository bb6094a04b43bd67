// Migration 4: contact details a visitor typed but nobody verified. A public
// chat's pre-chat email or phone is a claim: it is kept for the team to
// read and to reach the visitor, but it is not a key. Only `email`, `phone`
// and `external_id` select a customer, so a claim can never bind a visitor
// to someone else's record (core/customers/customers.hpp).
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_customer_claims[] = R"sql(
ALTER TABLE customers
  ADD COLUMN claimed_email text CHECK (claimed_email IS NULL OR position('@' IN claimed_email) > 1),
  ADD COLUMN claimed_phone text;
)sql";

}  // namespace omni::db::migrations
