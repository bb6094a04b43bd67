// Phone numbers on a real database: one customer however the number is
// written in the business's region, import upserts that stay idempotent
// with mixed formats, an invalid number named by its column and line, and
// migration 28 turning stored digit strings into E.164 where it can.
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/transfer.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using test::TestDatabase;

std::string NewBusiness(db::Pool& pool, const std::string& slug, const std::string& more) {
  return business::Apply(pool, business::ParseBusinessSpec("slug: " + slug + "\nname: N\n" + more, "t.yaml"))
      .business_id;
}

customers::ImportSummary Import(db::Pool& pool, const std::string& biz, const std::string& csv,
                                std::vector<customers::ImportRowReport>* rows = nullptr) {
  std::istringstream in(csv);
  customers::ImportOptions options;
  options.source = "people.csv";
  options.continue_on_error = true;
  return customers::Import(pool, biz, in, options, [&](const customers::ImportRowReport& r) {
    if (rows) rows->push_back(r);
  });
}

long long Count(db::Pool& pool, const std::string& biz) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params("SELECT count(*) FROM customers WHERE business_id = $1::uuid", biz)[0][0].as<long long>();
  });
}

}  // namespace

TEST_CASE("phones: one customer however the number is written in the business's region", "[customers][phone]") {
  TestDatabase db;
  const std::string us = NewBusiness(db.pool(), "us", "timezone: America/Los_Angeles\n");
  const std::string gb = NewBusiness(db.pool(), "gb", "timezone: UTC\ncountry: GB\n");
  const std::string utc = NewBusiness(db.pool(), "utc", "timezone: UTC\n");

  const auto first = customers::FindOrCreate(db.pool(), us, {"Ann", "", "(415) 555-0132"});
  CHECK(first.created);
  CHECK(first.customer.phone == "+14155550132");
  for (const char* written : {"+1 415-555-0132", "415.555.0132", "1 415 555 0132", "001 415 555 0132"}) {
    CAPTURE(written);
    const auto again = customers::FindOrCreate(db.pool(), us, {"", "", written});
    CHECK_FALSE(again.created);
    CHECK(again.customer.id == first.customer.id);
    CHECK(customers::Get(db.pool(), us, written).id == first.customer.id);
  }
  CHECK(customers::List(db.pool(), us, {.search = "555-0132"}).customers.size() == 1);
  // Another business's customer with the same number stays apart.
  const auto other = customers::FindOrCreate(db.pool(), utc, {"Ann Elsewhere", "", "+1 (415) 555-0132"});
  CHECK(other.created);
  CHECK(other.customer.phone == "+14155550132");
  CHECK_THROWS_AS(customers::Get(db.pool(), gb, "+1 415 555 0132"), NotFound);

  // The region decides how a national number reads.
  const auto london = customers::FindOrCreate(db.pool(), gb, {"Bea", "", "020 7946 0018"});
  CHECK(london.customer.phone == "+442079460018");
  CHECK(customers::Get(db.pool(), gb, "+44 20 7946 0018").id == london.customer.id);
  CHECK(customers::Get(db.pool(), gb, "0044 20 7946 0018").id == london.customer.id);
  CHECK_THROWS_WITH(customers::FindOrCreate(db.pool(), utc, {"Cy", "", "020 7946 0018"}),
                    "invalid phone number \"020 7946 0018\": no country code");
  CHECK_THROWS_WITH(customers::FindOrCreate(db.pool(), us, {"Cy", "", "020 7946 0018"}),
                    "invalid phone number \"020 7946 0018\": too many digits for a US number");

  // An update in another format is the same number, and a clash names it
  // as the business reads it.
  const auto bea = customers::FindOrCreate(db.pool(), us, {"Bea", "bea@example.com", ""}).customer;
  CHECK(customers::Update(db.pool(), us, first.customer.id, {.phone = "415.555.0132"}).updated_at ==
        customers::Get(db.pool(), us, first.customer.id).updated_at);
  CHECK_THROWS_WITH(customers::Update(db.pool(), us, bea.id, {.phone = "+1 415 555 0132"}),
                    "another customer of this business has the phone number (415) 555-0132");
}

TEST_CASE("phones: an import upserts by the number in any format, and again changes nothing", "[customers][phone]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "us", "timezone: America/New_York\n");
  const auto first = Import(db.pool(), biz,
                            "name,phone\n"
                            "Ann,(415) 555-0132\n"
                            "Bob,+1 212-555-0199\n");
  CHECK(first.created == 2);
  const std::string mixed =
      "Name,Mobile\n"
      "Ann,+1 415-555-0132\n"
      "Bob,212.555.0199\n"
      "Ann,415.555.0132\n"
      "Bob,1 (212) 555 0199\n";
  std::vector<customers::ImportRowReport> rows;
  const auto second = Import(db.pool(), biz, mixed, &rows);
  CHECK(second.created == 0);
  CHECK(second.updated == 0);
  CHECK(second.unchanged == 4);
  CHECK(Import(db.pool(), biz, mixed).unchanged == 4);
  CHECK(Count(db.pool(), biz) == 2);
  CHECK(customers::Get(db.pool(), biz, "212-555-0199").name == "Bob");

  rows.clear();
  const auto bad = Import(db.pool(), biz, "name,email,Mobile\nCy,cy@example.com,555 010 2030\nDee,,call me\n", &rows);
  CHECK(bad.rejected == 2);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].line == 2);
  CHECK(rows[0].detail == "column \"Mobile\": invalid phone number \"555 010 2030\": not a valid US number");
  CHECK(rows[1].line == 3);
  CHECK(rows[1].detail == "column \"Mobile\": invalid phone number \"call me\": unexpected character 'c'");
  CHECK(Count(db.pool(), biz) == 2);
}

TEST_CASE("phones: migration 28 turns stored digits into E.164 in each business's region, and keeps the rest findable",
          "[db][phone]") {
  TestDatabase db(test::TestDatabaseOptions{.migrated = false});
  std::vector<db::Migration> before;
  for (const auto& m : db::AllMigrations()) {
    if (m.version < 28) before.push_back(m);
  }
  db::Migrate(db.pool(), before);
  struct Ids {
    std::string us, gb, utc;
  };
  const Ids biz = db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    const auto add = [&](const std::string& slug, const std::string& zone, const std::string& phone) {
      return tx.exec_params("INSERT INTO businesses (slug, name, timezone, phone) VALUES ($1, $1, $2, $3) RETURNING id::text",
                            slug, zone, phone)[0][0]
          .as<std::string>();
    };
    Ids ids{add("us", "America/Chicago", "(312) 555-0100"), add("gb", "Europe/London", "020 7946 0000"),
            add("utc", "UTC", "4155550100")};
    // What NormalizePhone stored before: digits, with a leading '+' kept.
    const auto customer = [&](const std::string& business, const std::string& name, const char* phone,
                              const char* claimed) {
      tx.exec_params("INSERT INTO customers (business_id, name, phone, claimed_phone) VALUES ($1::uuid, $2, $3, $4)",
                     business, name, phone ? std::optional<std::string>(phone) : std::nullopt,
                     claimed ? std::optional<std::string>(claimed) : std::nullopt);
    };
    customer(ids.us, "national", "4155550132", nullptr);
    customer(ids.us, "with one", "14155550199", nullptr);
    customer(ids.us, "intl", "+14155550177", nullptr);
    customer(ids.us, "invalid", "5550102030", nullptr);
    customer(ids.us, "clash e164", "+13125550111", nullptr);
    customer(ids.us, "clash digits", "3125550111", nullptr);
    customer(ids.us, "visitor", nullptr, "4155550123");
    customer(ids.gb, "london", "02079460018", nullptr);
    customer(ids.utc, "no region", "4155550132", nullptr);
    return ids;
  });

  db::Migrate(db.pool());
  const auto phone_of = [&](const std::string& business, const std::string& name) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params("SELECT coalesce(phone, claimed_phone) FROM customers WHERE business_id = $1::uuid AND name = $2",
                            business, name)[0][0]
          .as<std::string>();
    });
  };
  CHECK(phone_of(biz.us, "national") == "+14155550132");
  CHECK(phone_of(biz.us, "with one") == "+14155550199");
  CHECK(phone_of(biz.us, "intl") == "+14155550177");
  CHECK(phone_of(biz.us, "invalid") == "5550102030");
  CHECK(phone_of(biz.us, "clash e164") == "+13125550111");
  CHECK(phone_of(biz.us, "clash digits") == "3125550111");
  CHECK(phone_of(biz.us, "visitor") == "+14155550123");
  CHECK(phone_of(biz.gb, "london") == "+442079460018");
  CHECK(phone_of(biz.utc, "no region") == "4155550132");
  const auto business = [&](const std::string& id) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      const auto row = tx.exec_params("SELECT phone_region, phone FROM businesses WHERE id = $1::uuid", id)[0];
      return row[0].as<std::string>() + " " + row[1].as<std::string>();
    });
  };
  CHECK(business(biz.us) == "US +13125550100");
  CHECK(business(biz.gb) == "GB +442079460000");
  CHECK(business(biz.utc) == " 4155550100");

  // Converted rows match every format; rows left alone match their digits.
  CHECK(customers::Get(db.pool(), biz.us, "(415) 555-0132").name == "national");
  CHECK(customers::Get(db.pool(), biz.us, "+1 415 555 0199").name == "with one");
  CHECK(customers::Get(db.pool(), biz.us, "555-010-2030").name == "invalid");
  CHECK(customers::Get(db.pool(), biz.us, "312.555.0111").name == "clash e164");
  CHECK(customers::Get(db.pool(), biz.gb, "020 7946 0018").name == "london");
  CHECK(customers::Get(db.pool(), biz.utc, "415-555-0132").name == "no region");
  // Without a region, digits kept without their country code are another key.
  CHECK(customers::FindOrCreate(db.pool(), biz.utc, {"", "", "+1 415 555 0132"}).created);
  CHECK_FALSE(customers::FindOrCreate(db.pool(), biz.us, {"", "", "415 555 0132"}).created);
}

}  // namespace omni
