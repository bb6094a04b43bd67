// Customers: find-or-create by contact, listing, updates and contact counts.
#include "core/customers/customers.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/customers/detail/row.hpp"
#include "core/db/ids_tx.hpp"
#include "core/db/pqxx.hpp"
#include "core/webhooks/webhooks_tx.hpp"

namespace omni::customers {
namespace detail {

const char* const kColumns =
    "id::text, business_id::text, name, coalesce(email, ''), coalesce(phone, ''), coalesce(external_id, ''), "
    "array_to_json(tags)::text, notes, metadata::text, visit_count, "
    "(extract(epoch FROM last_contact_at) * 1000000)::bigint, "
    "(extract(epoch FROM created_at) * 1000000)::bigint, (extract(epoch FROM updated_at) * 1000000)::bigint, "
    "coalesce(claimed_email, ''), coalesce(claimed_phone, '')";

TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }

long long ToMicros(TimePoint t) { return t.time_since_epoch().count(); }

void PublishCreated(pqxx::transaction_base& tx, const Customer& customer) {
  webhooks::Publish(tx, customer.business_id, "customer.created",
                    {{"customer_id", customer.id},
                     {"name", customer.name},
                     {"email", customer.email},
                     {"phone", customer.phone},
                     {"claimed_email", customer.claimed_email},
                     {"claimed_phone", customer.claimed_phone},
                     {"external_id", customer.external_id}});
}

Customer FromRow(const pqxx::row& row) {
  Customer c;
  c.id = row[0].as<std::string>();
  c.business_id = row[1].as<std::string>();
  c.name = row[2].as<std::string>();
  c.email = row[3].as<std::string>();
  c.phone = row[4].as<std::string>();
  c.external_id = row[5].as<std::string>();
  const nlohmann::json tags = nlohmann::json::parse(row[6].as<std::string>());
  for (const auto& tag : tags) c.tags.push_back(tag.get<std::string>());
  c.notes = row[7].as<std::string>();
  const nlohmann::json metadata = nlohmann::json::parse(row[8].as<std::string>());
  for (const auto& [key, value] : metadata.items()) {
    c.metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  c.visit_count = row[9].as<int>();
  if (!row[10].is_null()) c.last_contact_at = FromMicros(row[10].as<long long>());
  c.created_at = FromMicros(row[11].as<long long>());
  c.updated_at = FromMicros(row[12].as<long long>());
  c.claimed_email = row[13].as<std::string>();
  c.claimed_phone = row[14].as<std::string>();
  return c;
}

std::string Select(const std::string& where) {
  return std::string("SELECT ") + kColumns + " FROM customers WHERE business_id = $1::uuid AND " + where;
}

std::string NormalizeTag(const std::string& tag) {
  RejectNul("tag", tag);
  std::string value = Lower(Trim(tag));
  if (value.empty() || value.size() > 64) {
    throw InvalidInput("invalid tag \"" + tag + "\": a tag has 1 to 64 characters");
  }
  return value;
}

}  // namespace detail

namespace {

using Json = nlohmann::json;
using detail::FromMicros;
using detail::FromRow;
using detail::PublishCreated;
using detail::kColumns;
using detail::NormalizeTag;
using detail::Select;
using detail::ToMicros;

// Name, email and phone as given, with the email normalised and the phone
// in E.164 read in `region`; all may be empty. A NUL anywhere is refused:
// PostgreSQL text would cut it there.
CustomerContact NormalizeClaims(const CustomerContact& claims, const std::string& region) {
  RejectNul("name", claims.name);
  RejectNul("email", claims.email);
  RejectNul("phone", claims.phone);
  CustomerContact out;
  out.name = Trim(claims.name);
  if (!Trim(claims.email).empty()) out.email = NormalizeEmail(claims.email);
  if (!Trim(claims.phone).empty()) out.phone = phone::ToE164(claims.phone, region);
  return out;
}

// The contact normalised as NormalizeClaims does, with its external id; at
// least one key present.
CustomerContact NormalizeContact(const CustomerContact& contact, const std::string& region) {
  RejectNul("external_id", contact.external_id);
  CustomerContact out = NormalizeClaims(contact, region);
  out.external_id = Trim(contact.external_id);
  if (out.email.empty() && out.phone.empty() && out.external_id.empty()) {
    throw InvalidInput("a customer needs an email address or a phone number",
                       "Give the customer's email or phone so they can be found again.");
  }
  return out;
}

std::optional<std::string> OrNull(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

NotFound CustomerNotFound(const std::string& id) {
  return NotFound("customer \"" + id + "\" not found", "Give a customer id from `omni customers list`.");
}

// Fills the fields `found` lacks from `contact`, skipping a value another
// customer already holds. Runs in a savepoint: a racing transaction that
// takes the same email or phone first makes it a no-op, not an aborted tx.
Customer FillMissing(pqxx::dbtransaction& tx, const Customer& found, const CustomerContact& contact) {
  const bool name = found.name.empty() && !contact.name.empty();
  const bool email = found.email.empty() && !contact.email.empty();
  const bool phone = found.phone.empty() && !contact.phone.empty();
  const bool external = found.external_id.empty() && !contact.external_id.empty();
  if (!name && !email && !phone && !external) return found;
  const std::string sql = std::string(
      "UPDATE customers c SET "
      "name = CASE WHEN $3::boolean THEN $4::text ELSE c.name END, "
      "email = CASE WHEN $5::boolean AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.business_id = c.business_id "
      "  AND lower(o.email) = lower($6::text)) THEN $6::text ELSE c.email END, "
      "phone = CASE WHEN $7::boolean AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.business_id = c.business_id "
      "  AND o.phone_normalized = $9::text) THEN $8::text ELSE c.phone END, "
      "external_id = CASE WHEN $10::boolean AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.business_id = c.business_id "
      "  AND o.external_id = $11::text) THEN $11::text ELSE c.external_id END "
      "WHERE c.business_id = $1::uuid AND c.id = $2::uuid RETURNING ") +
                          kColumns;
  try {
    pqxx::subtransaction savepoint(tx, "customer_fill");
    const auto rows = savepoint.exec_params(sql, found.business_id, found.id, name, contact.name, email,
                                            contact.email, phone, contact.phone, Digits(contact.phone), external,
                                            contact.external_id);
    savepoint.commit();
    if (!rows.empty()) return FromRow(rows[0]);
  } catch (const pqxx::unique_violation&) {
    // Another transaction took the value between our check and the update.
  }
  return found;
}

}  // namespace

bool IsClaimsOnly(const Customer& customer) {
  return customer.email.empty() && customer.phone.empty() && customer.external_id.empty();
}

std::string PhoneRegion(pqxx::dbtransaction& tx, const std::string& business_id) {
  const auto rows = db::ExecPrepared(tx, "omni_customers_phone_region",
                                     "SELECT phone_region FROM businesses WHERE id = $1::uuid", business_id);
  if (rows.empty()) throw NotFound("business " + business_id + " not found");
  return rows[0][0].as<std::string>();
}

PhoneKeys PhoneKeysOf(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& typed) {
  PhoneKeys keys;
  // Before migration 28 a phone was stored as its digits typed, with a
  // leading "00" read as '+'.
  keys.typed_digits = Digits(Trim(typed));
  if (keys.typed_digits.empty()) return keys;
  if (Trim(typed).rfind("00", 0) == 0) keys.typed_digits = keys.typed_digits.substr(2);
  try {
    keys.e164_digits = phone::ToE164(typed, PhoneRegion(tx, business_id)).substr(1);
  } catch (const InvalidInput&) {
  }
  return keys;
}

std::string NormalizeEmail(const std::string& email) {
  static const std::regex kEmail(R"([^@\s"(),:;<>\[\\\]]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+)");
  const std::string trimmed = Trim(email);
  if (trimmed.size() > 254 || !std::regex_match(trimmed, kEmail)) {
    throw InvalidInput("invalid email address \"" + email + "\"", "Write it as name@example.com.");
  }
  return trimmed;
}

FindOrCreateResult FindOrCreate(pqxx::dbtransaction& tx, const std::string& business_id,
                                const CustomerContact& raw_contact) {
  const CustomerContact contact = NormalizeContact(raw_contact, PhoneRegion(tx, business_id));
  const PhoneKeys phone_keys = PhoneKeysOf(tx, business_id, raw_contact.phone);
  // A phone matches a stored E.164 first, then a value kept from before
  // migration 28 with the same digits as typed.
  const std::string match_sql = Select(
      "((external_id = $2::text AND $2::text <> '') OR (lower(email) = lower($3::text) AND $3::text <> '') "
      " OR (phone_normalized = $4::text AND $4::text <> '') OR (phone_normalized = $5::text AND $5::text <> '')) "
      "ORDER BY (external_id = $2::text AND $2::text <> '') DESC NULLS LAST, "
      "(lower(email) = lower($3::text)) DESC NULLS LAST, (phone_normalized = $4::text) DESC NULLS LAST, "
      "created_at LIMIT 1");
  const std::string insert_sql =
      std::string(
          "INSERT INTO customers (business_id, name, email, phone, external_id) "
          "VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING ") +
      kColumns;
  // An insert that loses a race to a concurrent one returns nothing; the
  // winner has committed by then (ON CONFLICT waits for it), so the next
  // lookup sees it. Three rounds cover a winner that was then deleted.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto found = db::ExecPrepared(tx, "omni_customers_match", match_sql, business_id, contact.external_id,
                                        contact.email, Digits(contact.phone), phone_keys.typed_digits);
    if (!found.empty()) return {FillMissing(tx, FromRow(found[0]), contact), false};
    const auto inserted = db::ExecPrepared(tx, "omni_customers_insert", insert_sql, business_id, contact.name,
                                           OrNull(contact.email), OrNull(contact.phone), OrNull(contact.external_id));
    if (!inserted.empty()) {
      Customer customer = FromRow(inserted[0]);
      PublishCreated(tx, customer);
      return {customer, true};
    }
  }
  throw Conflict("could not find or create the customer: concurrent changes kept conflicting",
                 "Try again.");
}

Customer CreateFromClaims(pqxx::dbtransaction& tx, const std::string& business_id, const CustomerContact& raw_claims) {
  const CustomerContact claims = NormalizeClaims(raw_claims, PhoneRegion(tx, business_id));
  const auto rows = db::ExecPrepared(
      tx, "omni_customers_insert_claims",
      std::string("INSERT INTO customers (business_id, name, claimed_email, claimed_phone) "
                  "VALUES ($1::uuid, $2, $3, $4) RETURNING ") +
          kColumns,
      business_id, claims.name, OrNull(claims.email), OrNull(claims.phone));
  Customer customer = FromRow(rows[0]);
  PublishCreated(tx, customer);
  return customer;
}

FindOrCreateResult FindOrCreateByIdentity(pqxx::dbtransaction& tx, const std::string& business_id,
                                          const std::string& external_id, const CustomerContact& raw_claims) {
  RejectNul("identity", external_id);
  const std::string identity = Trim(external_id);
  if (identity.empty()) throw InvalidInput("a verified identity must not be empty");
  const CustomerContact claims = NormalizeClaims(raw_claims, PhoneRegion(tx, business_id));
  // As in FindOrCreate: an insert that loses a race returns nothing, and
  // the next lookup sees the winner.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto found = db::ExecPrepared(tx, "omni_customers_by_external_id", Select("external_id = $2::text"),
                                        business_id, identity);
    if (!found.empty()) return {FromRow(found[0]), false};
    const auto inserted = db::ExecPrepared(
        tx, "omni_customers_insert_identity",
        std::string("INSERT INTO customers (business_id, name, external_id, claimed_email, claimed_phone) "
                    "VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING ") +
            kColumns,
        business_id, claims.name, identity, OrNull(claims.email), OrNull(claims.phone));
    if (!inserted.empty()) {
      Customer customer = FromRow(inserted[0]);
      PublishCreated(tx, customer);
      return {customer, true};
    }
  }
  throw Conflict("could not find or create the customer: concurrent changes kept conflicting", "Try again.");
}

Customer AddClaims(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& customer_id,
                   const CustomerContact& raw_claims) {
  const CustomerContact claims = NormalizeClaims(raw_claims, PhoneRegion(tx, business_id));
  if (!IsUuid(Trim(customer_id))) throw CustomerNotFound(customer_id);
  // Only what is missing is filled, and no column is touched when nothing
  // is, so a visitor's later claims never overwrite earlier ones.
  const auto rows = db::ExecPrepared(
      tx, "omni_customers_add_claims",
      std::string("UPDATE customers SET "
                  "name = CASE WHEN name = '' THEN $3 ELSE name END, "
                  "claimed_email = coalesce(claimed_email, $4), claimed_phone = coalesce(claimed_phone, $5) "
                  "WHERE business_id = $1::uuid AND id = $2::uuid "
                  "AND ((name = '' AND $3 <> '') OR (claimed_email IS NULL AND $4::text IS NOT NULL) "
                  "     OR (claimed_phone IS NULL AND $5::text IS NOT NULL)) RETURNING ") +
          kColumns,
      business_id, Trim(customer_id), claims.name, OrNull(claims.email), OrNull(claims.phone));
  if (!rows.empty()) return FromRow(rows[0]);
  return Get(tx, business_id, Trim(customer_id));
}

FindOrCreateResult FindOrCreate(db::Pool& pool, const std::string& business_id, const CustomerContact& contact) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return FindOrCreate(tx, business_id, contact); });
}

Customer Get(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& key) {
  const std::string trimmed = Trim(key);
  const auto not_found = [&] {
    return NotFound("customer \"" + key + "\" not found",
                    "Give a customer id (or its first " + std::to_string(db::kMinIdPrefix) +
                        " characters), email or phone from `omni customers list`.");
  };
  if (trimmed.find('@') != std::string::npos) {
    const auto rows = tx.exec_params(Select("lower(email) = lower($2::text)"), business_id, trimmed);
    if (rows.empty()) throw not_found();
    return FromRow(rows[0]);
  }
  // A string of digits may be both an id prefix and a phone number: when
  // each names a different customer, the key is ambiguous.
  const auto id = db::FindId(tx, db::IdKind::kCustomer, business_id, trimmed);
  const PhoneKeys keys = PhoneKeysOf(tx, business_id, trimmed);
  const bool phone = !keys.e164_digits.empty() || keys.typed_digits.size() >= 7;
  pqxx::result by_phone;
  if (phone) {
    by_phone = tx.exec_params(Select("(phone_normalized = $2::text OR phone_normalized = $3::text) "
                                     "ORDER BY (phone_normalized = $2::text) DESC LIMIT 1"),
                              business_id, keys.e164_digits, keys.typed_digits);
  }
  if (id && !by_phone.empty() && by_phone[0][0].as<std::string>() != *id) {
    throw InvalidInput("customer \"" + key + "\" is ambiguous: it is the start of the id " + *id +
                           " and the phone number of " + by_phone[0][0].as<std::string>(),
                       "Give the full id, or the phone number with its punctuation.");
  }
  if (id) return FromRow(db::ExecPrepared(tx, "omni_customers_by_id", Select("id = $2::uuid"), business_id, *id)[0]);
  if (!by_phone.empty()) return FromRow(by_phone[0]);
  // Hex too short to be a prefix, and no phone: ResolveId names the minimum.
  const auto hex = db::IdHex(trimmed);
  if (hex && !phone && hex->size() < db::kMinIdPrefix) db::ResolveId(tx, db::IdKind::kCustomer, business_id, trimmed);
  throw not_found();
}

Customer Get(db::Pool& pool, const std::string& business_id, const std::string& key) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return Get(tx, business_id, key); });
}

namespace {

// A cursor names the last row of a page by its sort key:
// "<last contact micros or n>.<created micros>.<id>".
struct Cursor {
  std::optional<long long> last_contact_micros;
  long long created_micros = 0;
  std::string id;
};

std::string EncodeCursor(const Customer& c) {
  return (c.last_contact_at ? std::to_string(ToMicros(*c.last_contact_at)) : std::string("n")) + "." +
         std::to_string(ToMicros(c.created_at)) + "." + c.id;
}

Cursor DecodeCursor(const std::string& text) {
  const auto invalid = [&] {
    return InvalidInput("invalid cursor \"" + text + "\"", "Pass the cursor a previous page printed, unchanged.");
  };
  const auto first = text.find('.');
  const auto second = first == std::string::npos ? first : text.find('.', first + 1);
  if (second == std::string::npos) throw invalid();
  Cursor cursor;
  try {
    const std::string contact = text.substr(0, first);
    if (contact != "n") cursor.last_contact_micros = std::stoll(contact);
    cursor.created_micros = std::stoll(text.substr(first + 1, second - first - 1));
  } catch (const std::logic_error&) {
    throw invalid();
  }
  cursor.id = text.substr(second + 1);
  if (!IsUuid(cursor.id)) throw invalid();
  return cursor;
}

Json NormalizedTags(const std::vector<std::string>& tags) {
  Json out = Json::array();
  for (const auto& tag : tags) out.push_back(NormalizeTag(tag));
  return out;
}

}  // namespace

CustomerPage List(db::Pool& pool, const std::string& business_id, const ListFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) {
    throw InvalidInput("invalid limit " + std::to_string(filter.limit) + ": expected 1 to 1000");
  }
  if (filter.contacted_from && filter.contacted_to && *filter.contacted_to <= *filter.contacted_from) {
    throw InvalidInput("invalid last-contact range: its end is not after its start");
  }
  if (filter.never_contacted && (filter.contacted_from || filter.contacted_to)) {
    throw InvalidInput("a last-contact range cannot select customers never contacted");
  }
  RejectNul("search", filter.search);
  const std::string search = Trim(filter.search);
  const std::string digits = Digits(search);
  const Json all_tags = NormalizedTags(filter.all_tags);
  const Json any_tags = NormalizedTags(filter.any_tags);
  const std::optional<Cursor> cursor =
      filter.after.empty() ? std::nullopt : std::optional<Cursor>(DecodeCursor(Trim(filter.after)));
  const auto micros = [](const std::optional<TimePoint>& t) {
    return t ? std::optional<long long>(ToMicros(*t)) : std::nullopt;
  };
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    // The search term is matched literally: LIKE's wildcards are escaped.
    // Rows are ordered by (last contact, never = -infinity; created; id),
    // all descending, so a page continues strictly below its cursor.
    const auto rows = tx.exec_params(
        Select("($2 = '' OR name ILIKE $3 ESCAPE '\\' OR email ILIKE $3 ESCAPE '\\' "
               "     OR ($4 <> '' AND phone_normalized LIKE '%' || $4 || '%') "
               "     OR ($5 AND (claimed_email ILIKE $3 ESCAPE '\\' "
               "         OR ($4 <> '' AND regexp_replace(claimed_phone, '[^0-9]', '', 'g') LIKE '%' || $4 || '%')))) "
               "AND tags @> ARRAY(SELECT jsonb_array_elements_text($6::jsonb)) "
               "AND (jsonb_array_length($7::jsonb) = 0 OR tags && ARRAY(SELECT jsonb_array_elements_text($7::jsonb))) "
               "AND ($8::bigint IS NULL OR last_contact_at >= 'epoch'::timestamptz + $8::bigint * interval '1 microsecond') "
               "AND ($9::bigint IS NULL OR last_contact_at < 'epoch'::timestamptz + $9::bigint * interval '1 microsecond') "
               "AND (NOT $10 OR last_contact_at IS NULL) "
               "AND ($13::uuid IS NULL OR (coalesce(last_contact_at, '-infinity'), created_at, id) < "
               "     (coalesce('epoch'::timestamptz + $11::bigint * interval '1 microsecond', '-infinity'), "
               "      'epoch'::timestamptz + $12::bigint * interval '1 microsecond', $13::uuid)) "
               "ORDER BY coalesce(last_contact_at, '-infinity') DESC, created_at DESC, id DESC LIMIT $14"),
        business_id, search, "%" + std::regex_replace(search, std::regex(R"(([%_\\]))"), "\\$1") + "%", digits,
        filter.include_claims, all_tags.dump(), any_tags.dump(), micros(filter.contacted_from),
        micros(filter.contacted_to), filter.never_contacted,
        cursor ? cursor->last_contact_micros : std::nullopt,
        cursor ? std::optional<long long>(cursor->created_micros) : std::nullopt,
        cursor ? std::optional<std::string>(cursor->id) : std::nullopt, filter.limit + 1);
    CustomerPage page;
    for (const auto& row : rows) page.customers.push_back(FromRow(row));
    if (page.customers.size() > static_cast<std::size_t>(filter.limit)) {
      page.customers.pop_back();
      page.next_cursor = EncodeCursor(page.customers.back());
    }
    return page;
  });
}

Customer Update(db::Pool& pool, const std::string& business_id, const std::string& customer_id,
                const CustomerUpdate& update) {
  std::optional<std::string> email;
  if (update.email) email = Trim(*update.email).empty() ? std::string() : NormalizeEmail(*update.email);
  if (update.phone) RejectNul("phone", *update.phone);
  if (update.name) RejectNul("name", *update.name);
  if (update.notes) RejectNul("notes", *update.notes);
  for (const auto& [key, value] : update.set_metadata) {
    RejectNul("metadata key", key);
    RejectNul("metadata " + key, value);
  }
  std::set<std::string> add, remove;
  for (const auto& tag : update.add_tags) add.insert(NormalizeTag(tag));
  for (const auto& tag : update.remove_tags) remove.insert(NormalizeTag(tag));
  for (const auto& [key, value] : update.set_metadata) {
    if (Trim(key).empty()) throw InvalidInput("invalid metadata key \"" + key + "\": it must not be empty");
  }
  if (!IsUuid(Trim(customer_id))) {
    throw NotFound("customer \"" + customer_id + "\" not found", "Give a customer id from `omni customers list`.");
  }

  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const std::string region = PhoneRegion(tx, business_id);
    std::optional<std::string> phone;
    if (update.phone) phone = Trim(*update.phone).empty() ? std::string() : phone::ToE164(*update.phone, region);
    const auto rows = tx.exec_params(Select("id = $2::uuid FOR UPDATE"), business_id, Trim(customer_id));
    if (rows.empty()) {
      throw NotFound("customer \"" + customer_id + "\" not found", "Give a customer id from `omni customers list`.");
    }
    Customer current = FromRow(rows[0]);
    Customer next = current;
    if (update.name) next.name = Trim(*update.name);
    if (email) next.email = *email;
    if (phone) next.phone = *phone;
    if (update.notes) next.notes = *update.notes;
    std::set<std::string> tags(next.tags.begin(), next.tags.end());
    for (const auto& tag : add) tags.insert(tag);
    for (const auto& tag : remove) tags.erase(tag);
    next.tags.assign(tags.begin(), tags.end());
    for (const auto& [key, value] : update.set_metadata) next.metadata[Trim(key)] = value;
    for (const auto& key : update.unset_metadata) next.metadata.erase(Trim(key));

    std::vector<std::string> current_tags = current.tags;
    std::sort(current_tags.begin(), current_tags.end());
    if (next.name == current.name && next.email == current.email && next.phone == current.phone &&
        next.notes == current.notes && next.tags == current_tags && next.metadata == current.metadata) {
      return current;
    }
    const Json tags_json = next.tags;
    const Json metadata_json = next.metadata;
    try {
      pqxx::subtransaction savepoint(tx, "customer_update");
      const auto updated = savepoint.exec_params(
          std::string("UPDATE customers SET name = $3, email = $4, phone = $5, notes = $6, "
                      "tags = ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), metadata = $8::jsonb "
                      "WHERE business_id = $1::uuid AND id = $2::uuid RETURNING ") +
              kColumns,
          business_id, current.id, next.name, OrNull(next.email), OrNull(next.phone), next.notes, tags_json.dump(),
          metadata_json.dump());
      savepoint.commit();
      return FromRow(updated[0]);
    } catch (const pqxx::unique_violation& e) {
      const std::string constraint = db::ConstraintName(e);
      if (constraint.find("phone") != std::string::npos) {
        throw Conflict("another customer of this business has the phone number " + phone::Format(next.phone, region));
      }
      if (constraint.find("email") != std::string::npos) {
        throw Conflict("another customer of this business has the email address " + next.email);
      }
      throw;
    }
  });
}

void RecordContact(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& customer_id,
                   TimePoint now) {
  if (!IsUuid(Trim(customer_id))) throw NotFound("customer \"" + customer_id + "\" not found");
  const auto rows = db::ExecPrepared(
      tx, "omni_customers_record_contact",
      "UPDATE customers SET visit_count = visit_count + 1, "
      "last_contact_at = greatest(last_contact_at, 'epoch'::timestamptz + $3::bigint * interval '1 microsecond') "
      "WHERE business_id = $1::uuid AND id = $2::uuid RETURNING id",
      business_id, Trim(customer_id), ToMicros(now));
  if (rows.empty()) throw NotFound("customer \"" + customer_id + "\" not found");
}

void TouchLastContact(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& customer_id,
                      TimePoint now) {
  if (!IsUuid(Trim(customer_id))) return;
  db::ExecPrepared(tx, "omni_customers_touch_last_contact",
                   "UPDATE customers SET last_contact_at = greatest(last_contact_at, "
                   "'epoch'::timestamptz + $3::bigint * interval '1 microsecond') "
                   "WHERE business_id = $1::uuid AND id = $2::uuid",
                   business_id, Trim(customer_id), ToMicros(now));
}

void RecordContact(db::Pool& pool, const std::string& business_id, const std::string& customer_id, TimePoint now) {
  db::WithTransaction(pool, [&](pqxx::work& tx) { RecordContact(tx, business_id, customer_id, now); });
}

}  // namespace omni::customers
