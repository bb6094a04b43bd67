// Migration 28: stored phone numbers become E.164. Before it, a phone was
// kept as typed less its punctuation ("4155550132"), so the same number
// written with and without its country code were two keys. Each business
// gets its phone region (migration 27) from its time zone, and its
// customers' phones, claimed phones and contact phone are read in that
// region. A value that cannot be read (no region, not a valid number), or
// whose E.164 another customer of the business already holds, stays as it
// was: customers still finds it by its digits (see customers.hpp).
// Never edit this text or the step once applied: add a new migration instead.
#include <string>

#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/db/phones_tx.hpp"
#include "core/db/pqxx.hpp"

namespace omni::db::migrations {

extern const char kMigration_phone_e164[] = R"sql(
COMMENT ON COLUMN customers.phone IS
  'E.164 (+14155550132); a value from before migration 28 that could not be read in the business''s region is kept as it was';
)sql";

}  // namespace omni::db::migrations

namespace omni::db {
namespace {

// E.164 of a stored value in `region`, or "" when it cannot be read.
std::string Convert(const std::string& stored, const std::string& region) {
  try {
    return phone::ToE164(stored, region);
  } catch (const InvalidInput&) {
    return "";
  }
}

}  // namespace

void ConvertKeptPhones(pqxx::work& tx, const std::string& business_id, const std::string& region) {
  const auto customers = tx.exec_params(
      "SELECT id::text, coalesce(phone, ''), coalesce(claimed_phone, '') FROM customers "
      "WHERE business_id = $1::uuid AND (coalesce(phone, '+') !~ '^[+]' OR coalesce(claimed_phone, '+') !~ '^[+]')",
      business_id);
  for (const auto& customer : customers) {
    const std::string customer_id = customer[0].as<std::string>();
    const std::string phone = customer[1].as<std::string>();
    const std::string claimed = customer[2].as<std::string>();
    if (const std::string e164 = Convert(phone, region); !e164.empty() && e164 != phone) {
      // Two old rows may be one number written two ways: the first keeps
      // it, the other keeps its old value rather than failing.
      tx.exec_params(
          "UPDATE customers c SET phone = $3 WHERE c.business_id = $1::uuid AND c.id = $2::uuid "
          "AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.business_id = c.business_id AND o.id <> c.id "
          "                AND o.phone_normalized = substr($3, 2))",
          business_id, customer_id, e164);
    }
    if (const std::string e164 = Convert(claimed, region); !e164.empty() && e164 != claimed) {
      tx.exec_params("UPDATE customers SET claimed_phone = $3 WHERE business_id = $1::uuid AND id = $2::uuid",
                     business_id, customer_id, e164);
    }
  }
}

}  // namespace omni::db

namespace omni::db::migrations {

void MigrationStep_phone_e164(pqxx::work& tx) {
  for (const auto& business : tx.exec("SELECT id::text, timezone, coalesce(phone, '') FROM businesses")) {
    const std::string id = business[0].as<std::string>();
    const std::string region = phone::RegionForTimeZone(business[1].as<std::string>());
    if (region.empty()) continue;
    tx.exec_params("UPDATE businesses SET phone_region = $2 WHERE id = $1::uuid", id, region);
    if (const std::string e164 = Convert(business[2].as<std::string>(), region); !e164.empty()) {
      tx.exec_params("UPDATE businesses SET phone = $2 WHERE id = $1::uuid", id, e164);
    }
    ConvertKeptPhones(tx, id, region);
  }
}

}  // namespace omni::db::migrations
