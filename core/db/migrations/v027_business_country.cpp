// Migration 27: a business's country (ISO 3166 alpha-2, the business file's
// `country`) and its phone region, the country whose national numbers its
// customers write without a country code: `country`, else the one the
// time zone names, written by `omni business apply` ('' when none).
// Migration 28 fills phone_region for businesses applied before this one.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_business_country[] = R"sql(
ALTER TABLE businesses
  ADD COLUMN country text CHECK (country ~ '^[A-Z]{2}$'),
  ADD COLUMN phone_region text NOT NULL DEFAULT '' CHECK (phone_region ~ '^([A-Z]{2})?$');
)sql";

}  // namespace omni::db::migrations
