// Ids by prefix (core/db/ids.hpp) on a real database: unique prefixes of
// customers, conversations and appointments resolve, ambiguous ones list
// their matches, short or malformed ones are refused, and another
// business's ids neither match nor make a prefix ambiguous.
#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/db/ids.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using db::IdKind;

std::string NewBusinessId(db::Pool& pool, const std::string& slug) {
  business::BusinessSpec spec = business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: UTC\n", "t.yaml");
  return business::Apply(pool, spec).business_id;
}

template <class... Args>
void Exec(db::Pool& pool, const std::string& sql, const Args&... args) {
  db::WithTransaction(pool, [&](pqxx::work& tx) { tx.exec_params(sql, args...); });
}

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Two businesses whose rows of every kind share the prefix "abcdef".
struct Fixture {
  test::TestDatabase db;
  std::string acme = NewBusinessId(db.pool(), "acme");
  std::string other = NewBusinessId(db.pool(), "other");

  Fixture() {
    const std::string customer = "INSERT INTO customers (id, business_id, email) VALUES ($1::uuid, $2::uuid, $3)";
    Exec(db.pool(), customer, "abcdef01-0000-4000-8000-000000000001", acme, "a@example.com");
    Exec(db.pool(), customer, "abcdef02-0000-4000-8000-000000000002", acme, "b@example.com");
    Exec(db.pool(), customer, "abcdef03-0000-4000-8000-000000000003", other, "c@example.com");
    const std::string conversation = "INSERT INTO conversations (id, business_id) VALUES ($1::uuid, $2::uuid)";
    Exec(db.pool(), conversation, "abcdef11-0000-4000-8000-000000000001", acme);
    Exec(db.pool(), conversation, "abcdef12-0000-4000-8000-000000000002", acme);
    Exec(db.pool(), conversation, "abcdef13-0000-4000-8000-000000000003", other);
    db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      auto service = [&](const std::string& biz, const std::string& name) {
        return tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, $2, 60) "
                              "RETURNING id::text",
                              biz, name)[0][0]
            .as<std::string>();
      };
      const std::string insert =
          "INSERT INTO appointments (id, business_id, service_id, customer_id, starts_at, ends_at, blocked_from, "
          "blocked_to, status) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, now(), now() + interval '1 hour', "
          "now(), now() + interval '1 hour', 'CANCELED')";
      const std::string acme_service = service(acme, "Cut");
      tx.exec_params(insert, "abcdef21-0000-4000-8000-000000000001", acme, acme_service,
                     "abcdef01-0000-4000-8000-000000000001");
      tx.exec_params(insert, "abcdef22-0000-4000-8000-000000000002", acme, acme_service,
                     "abcdef01-0000-4000-8000-000000000001");
      tx.exec_params(insert, "abcdef23-0000-4000-8000-000000000003", other, service(other, "Cut"),
                     "abcdef03-0000-4000-8000-000000000003");
    });
  }
};

}  // namespace

TEST_CASE("ids: a unique prefix of 6 or more hex characters names the row, in any case, with or without dashes",
          "[ids]") {
  Fixture f;
  for (const auto& [kind, digit] : {std::pair{IdKind::kCustomer, '0'}, std::pair{IdKind::kConversation, '1'},
                                    std::pair{IdKind::kAppointment, '2'}}) {
    const std::string full = std::string("abcdef") + digit + "1-0000-4000-8000-000000000001";
    CHECK(db::ResolveId(f.db.pool(), kind, f.acme, full) == full);
    CHECK(db::ResolveId(f.db.pool(), kind, f.acme, full.substr(0, 8)) == full);
    CHECK(db::ResolveId(f.db.pool(), kind, f.acme, "ABCDEF" + std::string(1, digit) + "1") == full);
    CHECK(db::ResolveId(f.db.pool(), kind, f.acme, std::string("abcdef") + digit + "10000") == full);
    CHECK(db::ResolveId(f.db.pool(), kind, f.acme, std::string("abcdef") + digit + "1-0000-40") == full);
  }
}

TEST_CASE("ids: an ambiguous prefix is an error listing the matches of the business only", "[ids]") {
  Fixture f;
  for (const auto& [kind, digit] : {std::pair{IdKind::kCustomer, '0'}, std::pair{IdKind::kConversation, '1'},
                                    std::pair{IdKind::kAppointment, '2'}}) {
    const std::string prefix = std::string("abcdef") + digit;
    CHECK_THROWS_AS(db::ResolveId(f.db.pool(), kind, f.acme, prefix), InvalidInput);
    const std::string message = ErrorOf([&] { db::ResolveId(f.db.pool(), kind, f.acme, prefix); });
    CHECK(message.find("is ambiguous") != std::string::npos);
    CHECK(message.find(prefix + "1-0000-4000-8000-000000000001") != std::string::npos);
    CHECK(message.find(prefix + "2-0000-4000-8000-000000000002") != std::string::npos);
    CHECK(message.find(prefix + "3-") == std::string::npos);
  }
}

TEST_CASE("ids: another business's id is not found, by prefix or in full", "[ids]") {
  Fixture f;
  for (const auto& [kind, digit] : {std::pair{IdKind::kCustomer, '0'}, std::pair{IdKind::kConversation, '1'},
                                    std::pair{IdKind::kAppointment, '2'}}) {
    const std::string theirs = std::string("abcdef") + digit + "3-0000-4000-8000-000000000003";
    CHECK_THROWS_AS(db::ResolveId(f.db.pool(), kind, f.acme, theirs), NotFound);
    CHECK_THROWS_AS(db::ResolveId(f.db.pool(), kind, f.acme, theirs.substr(0, 8)), NotFound);
    CHECK(db::ResolveId(f.db.pool(), kind, f.other, theirs.substr(0, 6)) == theirs);
  }
  CHECK_THROWS_AS(customers::Get(f.db.pool(), f.acme, "abcdef03"), NotFound);
}

TEST_CASE("ids: a prefix under 6 characters or with a non-hex character is refused clearly", "[ids]") {
  Fixture f;
  const std::string short_message = ErrorOf([&] { db::ResolveId(f.db.pool(), IdKind::kCustomer, f.acme, "abcde"); });
  CHECK(short_message == "customer id \"abcde\" is too short: give at least 6 hex characters");
  CHECK_THROWS_AS(db::ResolveId(f.db.pool(), IdKind::kConversation, f.acme, "ab-cd-e"), InvalidInput);
  const std::string bad = ErrorOf([&] { db::ResolveId(f.db.pool(), IdKind::kAppointment, f.acme, "abcdefg1"); });
  CHECK(bad.find("invalid appointment id \"abcdefg1\"") == 0);
  CHECK_THROWS_AS(db::ResolveId(f.db.pool(), IdKind::kCustomer, f.acme, "abcdef01" + std::string(30, '0')),
                  InvalidInput);
  CHECK_THROWS_AS(customers::Get(f.db.pool(), f.acme, "abcde"), InvalidInput);
}

TEST_CASE("ids: a customer key is an id prefix, an email or a phone; digits naming two customers are ambiguous",
          "[ids][customers]") {
  Fixture f;
  CHECK(customers::Get(f.db.pool(), f.acme, "abcdef01").email == "a@example.com");
  Exec(f.db.pool(), "INSERT INTO customers (id, business_id, phone) VALUES ($1::uuid, $2::uuid, $3)",
       "55501020-0000-4000-8000-000000000009", f.acme, "555 010 2030");
  CHECK(customers::Get(f.db.pool(), f.acme, "555010").phone == "555 010 2030");
  CHECK(customers::Get(f.db.pool(), f.acme, "555-010-2030").id == "55501020-0000-4000-8000-000000000009");
  Exec(f.db.pool(), "INSERT INTO customers (business_id, phone) VALUES ($1::uuid, $2)", f.acme, "5550102");
  const std::string message = ErrorOf([&] { customers::Get(f.db.pool(), f.acme, "5550102"); });
  CHECK(message.find("is ambiguous") != std::string::npos);
  CHECK(message.find("55501020-0000-4000-8000-000000000009") != std::string::npos);
}
}  // namespace omni
