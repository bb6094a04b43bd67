// The customers core on a real database: matching by key, normalisation,
// constraints, concurrency and scoping by business; and claims, the contact
// details a visitor typed, which never select, merge into or change
// another customer.
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using customers::CustomerContact;
using test::TestDatabase;

std::string NewBusinessId(db::Pool& pool, const std::string& slug) {
  business::BusinessSpec spec =
      business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: America/Chicago\n", "t.yaml");
  return business::Apply(pool, spec).business_id;
}

}  // namespace

TEST_CASE("find-or-create matches email case-insensitively within the business", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto first = customers::FindOrCreate(db.pool(), biz, {"Ann Lee", "Ann.Lee@Example.com", ""});
  CHECK(first.created);
  CHECK(first.customer.email == "Ann.Lee@Example.com");
  const auto again = customers::FindOrCreate(db.pool(), biz, {"", "  ann.lee@example.COM ", ""});
  CHECK_FALSE(again.created);
  CHECK(again.customer.id == first.customer.id);
  CHECK(again.customer.name == "Ann Lee");
  CHECK(customers::Get(db.pool(), biz, "ANN.LEE@example.com").id == first.customer.id);
  CHECK(customers::Get(db.pool(), biz, first.customer.id).email == "Ann.Lee@Example.com");
}

TEST_CASE("find-or-create matches a phone written differently", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto first = customers::FindOrCreate(db.pool(), biz, {"Bo", "", "(415) 555-2030"});
  CHECK(first.created);
  CHECK(first.customer.phone == "+14155552030");
  for (const char* written : {"415.555.2030", "415 555 2030", "+1 415-555-2030", "4155552030", "1 (415) 555 2030"}) {
    const auto found = customers::FindOrCreate(db.pool(), biz, {"", "", written});
    CHECK_FALSE(found.created);
    CHECK(found.customer.id == first.customer.id);
  }
  const auto intl = customers::FindOrCreate(db.pool(), biz, {"Cy", "", "+44 20 7946 0958"});
  CHECK(intl.customer.phone == "+442079460958");
  CHECK(customers::FindOrCreate(db.pool(), biz, {"", "", "0044 (20) 7946-0958"}).customer.id == intl.customer.id);
  CHECK(customers::Get(db.pool(), biz, "+44 20 7946 0958").id == intl.customer.id);
}

TEST_CASE("find-or-create fills missing fields but never overwrites or steals", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto by_email = customers::FindOrCreate(db.pool(), biz, {"", "dee@example.com", ""});
  const auto filled = customers::FindOrCreate(db.pool(), biz, {"Dee", "dee@example.com", "312-555-2222"});
  CHECK_FALSE(filled.created);
  CHECK(filled.customer.id == by_email.customer.id);
  CHECK(filled.customer.name == "Dee");
  CHECK(filled.customer.phone == "+13125552222");
  const auto kept = customers::FindOrCreate(db.pool(), biz, {"Someone Else", "dee@example.com", ""});
  CHECK(kept.customer.name == "Dee");

  // The phone belongs to another customer: the email match wins, the phone stays put.
  const auto other = customers::FindOrCreate(db.pool(), biz, {"Eve", "", "312 555 4444"});
  const auto mixed = customers::FindOrCreate(db.pool(), biz, {"", "fay@example.com", "312 555 4444"});
  CHECK(mixed.customer.id == other.customer.id);
  CHECK(mixed.customer.email == "fay@example.com");
  const auto dee_with_eve_phone = customers::FindOrCreate(db.pool(), biz, {"", "dee@example.com", "312 555 4444"});
  CHECK(dee_with_eve_phone.customer.id == by_email.customer.id);
  CHECK(dee_with_eve_phone.customer.phone == "+13125552222");
}

TEST_CASE("customer input is validated with clear errors", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  CHECK_THROWS_WITH(customers::FindOrCreate(db.pool(), biz, {"A", "not-an-email", ""}),
                    "invalid email address \"not-an-email\"");
  CHECK_THROWS_WITH(customers::FindOrCreate(db.pool(), biz, {"A", "", "555-CALL-NOW"}),
                    "invalid phone number \"555-CALL-NOW\": unexpected character 'C'");
  CHECK_THROWS_WITH(customers::FindOrCreate(db.pool(), biz, {"A", "", "12 34"}),
                    "invalid phone number \"12 34\": too few digits for a US number");
  CHECK_THROWS_WITH(customers::FindOrCreate(db.pool(), biz, {"A", "", "(555) 010-2030"}),
                    "invalid phone number \"(555) 010-2030\": not a valid US number");
  CHECK_THROWS_AS(customers::FindOrCreate(db.pool(), biz, {"Only A Name", "", ""}), InvalidInput);
  CHECK_THROWS_AS(customers::FindOrCreate(db.pool(), biz, {"A", "", "1+415 555 2030"}), InvalidInput);
  CHECK(customers::NormalizeEmail(" a.b+c@mail.example.org ") == "a.b+c@mail.example.org");
  CHECK_THROWS_AS(customers::NormalizeEmail("a@b"), InvalidInput);
  CHECK_THROWS_AS(customers::NormalizeEmail("a b@example.com"), InvalidInput);
}

TEST_CASE("duplicate customer email: rejected in one business, allowed in another", "[customers]") {
  TestDatabase db;
  const std::string acme = NewBusinessId(db.pool(), "acme");
  const std::string beta = NewBusinessId(db.pool(), "beta");
  const auto insert = [&](const std::string& biz, const std::string& email) {
    db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      tx.exec_params("INSERT INTO customers (business_id, email) VALUES ($1, $2)", biz, email);
    });
  };
  insert(acme, "gus@example.com");
  CHECK_THROWS_AS(insert(acme, "GUS@example.com"), Conflict);
  CHECK_NOTHROW(insert(beta, "gus@example.com"));
  // And find-or-create keeps the businesses apart.
  const auto in_acme = customers::Get(db.pool(), acme, "gus@example.com");
  const auto in_beta = customers::FindOrCreate(db.pool(), beta, {"", "gus@example.com", ""});
  CHECK_FALSE(in_beta.created);
  CHECK(in_beta.customer.id != in_acme.id);
  CHECK(in_beta.customer.business_id == beta);
  CHECK_THROWS_AS(customers::Get(db.pool(), beta, in_acme.id), NotFound);
  CHECK_THROWS_AS(customers::Update(db.pool(), beta, in_acme.id, {.name = "Stolen"}), NotFound);
  CHECK_THROWS_AS(customers::RecordContact(db.pool(), beta, in_acme.id, DefaultClock().Now()), NotFound);
}

TEST_CASE("concurrent find-or-create of one email yields one customer", "[customers]") {
  test::TestDatabaseOptions options;
  options.settings.pool_size = 20;
  TestDatabase db(options);
  const std::string biz = NewBusinessId(db.pool(), "acme");
  std::vector<std::thread> threads;
  std::vector<std::string> ids(20);
  std::atomic<int> created{0};
  std::atomic<int> failures{0};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      try {
        const auto result = customers::FindOrCreate(db.pool(), biz, {"Hal", i % 2 ? "hal@example.com" : "HAL@example.com", ""});
        ids[i] = result.customer.id;
        if (result.created) ++created;
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(created == 1);
  CHECK(std::all_of(ids.begin(), ids.end(), [&](const std::string& id) { return id == ids[0]; }));
  const auto count = db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    return tx.exec_params1("SELECT count(*) FROM customers WHERE business_id = $1", biz)[0].as<int>();
  });
  CHECK(count == 1);
}

TEST_CASE("find-or-create works inside a caller's transaction", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  CHECK_THROWS_AS(db::WithTransaction(db.pool(),
                                      [&](pqxx::work& tx) {
                                        const auto r = customers::FindOrCreate(tx, biz, {"Ivy", "ivy@example.com", ""});
                                        CHECK(r.created);
                                        customers::RecordContact(tx, biz, r.customer.id, DefaultClock().Now());
                                        throw Conflict("slot taken");
                                      }),
                  Conflict);
  // Rolled back with the caller's transaction.
  CHECK_THROWS_AS(customers::Get(db.pool(), biz, "ivy@example.com"), NotFound);
}

TEST_CASE("customers can be listed, searched, tagged, annotated and counted", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto ann = customers::FindOrCreate(db.pool(), biz, {"Ann Lee", "ann@example.com", ""}).customer;
  const auto bob = customers::FindOrCreate(db.pool(), biz, {"Bob 100%", "bob@example.com", "415 555 9999"}).customer;
  customers::FindOrCreate(db.pool(), NewBusinessId(db.pool(), "beta"), {"Ann Other", "ann@example.com", ""});

  const auto updated = customers::Update(
      db.pool(), biz, ann.id,
      {.notes = "prefers mornings", .add_tags = {" VIP ", "color"}, .set_metadata = {{"source", "instagram"}}});
  CHECK(updated.tags == std::vector<std::string>{"color", "vip"});
  CHECK(updated.notes == "prefers mornings");
  CHECK(updated.metadata.at("source") == "instagram");
  // An update that changes nothing writes nothing.
  const auto same = customers::Update(db.pool(), biz, ann.id, {.add_tags = {"vip"}});
  CHECK(same.updated_at == updated.updated_at);
  const auto untagged = customers::Update(db.pool(), biz, ann.id, {.remove_tags = {"COLOR"}, .unset_metadata = {"source"}});
  CHECK(untagged.tags == std::vector<std::string>{"vip"});
  CHECK(untagged.metadata.empty());
  CHECK_THROWS_AS(customers::Update(db.pool(), biz, ann.id, {.email = "bob@example.com"}), Conflict);
  CHECK_THROWS_AS(customers::Update(db.pool(), biz, ann.id, {.phone = "415-555-9999"}), Conflict);
  CHECK(customers::Update(db.pool(), biz, ann.id, {.phone = "415 555 1111"}).phone == "+14155551111");

  const auto now = DefaultClock().Now();
  customers::RecordContact(db.pool(), biz, bob.id, now);
  customers::RecordContact(db.pool(), biz, bob.id, now);
  const auto bob_after = customers::Get(db.pool(), biz, bob.id);
  CHECK(bob_after.visit_count == 2);
  REQUIRE(bob_after.last_contact_at.has_value());
  CHECK(*bob_after.last_contact_at == now);

  const auto all = customers::List(db.pool(), biz).customers;
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == bob.id);  // most recently in contact first
  CHECK(customers::List(db.pool(), biz, {.search = "lee"}).customers.size() == 1);
  CHECK(customers::List(db.pool(), biz, {.search = "EXAMPLE.com"}).customers.size() == 2);
  CHECK(customers::List(db.pool(), biz, {.search = "555-99"}).customers.size() == 1);
  CHECK(customers::List(db.pool(), biz, {.search = "100%"}).customers.size() == 1);
  CHECK(customers::List(db.pool(), biz, {.search = "%"}).customers.size() == 1);
  CHECK(customers::List(db.pool(), biz, {.all_tags = {"VIP"}}).customers.at(0).id == ann.id);
  CHECK(customers::List(db.pool(), biz, {.limit = 1, .after = customers::List(db.pool(), biz, {.limit = 1}).next_cursor})
            .customers.at(0)
            .id == ann.id);
  CHECK_THROWS_AS(customers::List(db.pool(), biz, {.limit = 0}), InvalidInput);
}

TEST_CASE("claims never select, merge into or change an existing customer", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto known = customers::FindOrCreate(db.pool(), biz, {"Vera", "vera@example.com", "415 555 9999"}).customer;
  const auto claimer = db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    return customers::CreateFromClaims(tx, biz, {"Mallory", "VERA@example.com", "(415) 555-9999"});
  });
  CHECK(claimer.id != known.id);
  CHECK(customers::IsClaimsOnly(claimer));
  CHECK(claimer.name == "Mallory");
  CHECK(claimer.claimed_email == "VERA@example.com");
  CHECK(claimer.claimed_phone == "+14155559999");
  CHECK(claimer.email.empty());
  // The keys still find only the known customer, unchanged.
  const auto again = customers::Get(db.pool(), biz, "vera@example.com");
  CHECK(again.id == known.id);
  CHECK(again.name == "Vera");
  CHECK(again.external_id.empty());
  CHECK(again.updated_at == known.updated_at);
  // Operators find both by searching, claims included.
  customers::ListFilter filter;
  filter.search = "vera@";
  CHECK(customers::List(db.pool(), biz, filter).customers.size() == 2);
  filter.search = "5559999";
  CHECK(customers::List(db.pool(), biz, filter).customers.size() == 2);
}

TEST_CASE("a verified identity selects only its own customer", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto known = customers::FindOrCreate(db.pool(), biz, {"Vera", "vera@example.com", ""}).customer;
  auto find = [&](const std::string& identity, const CustomerContact& claims) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return customers::FindOrCreateByIdentity(tx, biz, identity, claims);
    });
  };
  const auto first = find("site-7", {"Eve", "vera@example.com", ""});
  CHECK(first.created);
  CHECK(first.customer.id != known.id);
  CHECK(first.customer.external_id == "site-7");
  CHECK(first.customer.claimed_email == "vera@example.com");
  const auto second = find("site-7", {"Someone Else", "other@example.com", "415 223 4567"});
  CHECK_FALSE(second.created);
  CHECK(second.customer.id == first.customer.id);
  CHECK(second.customer.name == "Eve");
  CHECK(second.customer.claimed_email == "vera@example.com");
  CHECK(customers::Get(db.pool(), biz, known.id).external_id.empty());
  CHECK_THROWS_AS(find("", {}), InvalidInput);
}

TEST_CASE("a visitor's own customer gains the claims it lacks, never overwritten", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  auto add = [&](const std::string& id, const CustomerContact& claims) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) { return customers::AddClaims(tx, biz, id, claims); });
  };
  const auto own = db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    return customers::CreateFromClaims(tx, biz, {"", "", "415 555 2030"});
  });
  const auto filled = add(own.id, {"Ann", "ann@example.com", "415 999 0000"});
  CHECK(filled.name == "Ann");
  CHECK(filled.claimed_email == "ann@example.com");
  CHECK(filled.claimed_phone == "+14155552030");
  const auto kept = add(own.id, {"Bea", "bea@example.com", ""});
  CHECK(kept.name == "Ann");
  CHECK(kept.claimed_email == "ann@example.com");
  CHECK(kept.updated_at == filled.updated_at);
  CHECK_THROWS_AS(add("00000000-0000-0000-0000-000000000000", {"X", "", ""}), NotFound);
  const std::string other = NewBusinessId(db.pool(), "beta");
  CHECK_THROWS_AS(db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
                    return customers::AddClaims(tx, other, own.id, {"X", "", ""});
                  }),
                  NotFound);
}

TEST_CASE("a NUL in any customer field is refused, never cut", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto ann = customers::FindOrCreate(db.pool(), biz, {"Ann", "ann@example.com", ""}).customer;
  const std::string nul("a\0b", 3);
  customers::CustomerUpdate notes;
  notes.notes = "call " + nul;
  CHECK_THROWS_WITH(customers::Update(db.pool(), biz, ann.id, notes), Catch::Contains("notes: contains a NUL"));
  customers::CustomerUpdate name;
  name.name = nul;
  CHECK_THROWS_AS(customers::Update(db.pool(), biz, ann.id, name), InvalidInput);
  customers::CustomerUpdate tag;
  tag.add_tags = {nul};
  CHECK_THROWS_AS(customers::Update(db.pool(), biz, ann.id, tag), InvalidInput);
  CHECK_THROWS_AS(db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
                    return customers::CreateFromClaims(tx, biz, {nul, "", ""});
                  }),
                  InvalidInput);
  const auto unchanged = customers::Get(db.pool(), biz, ann.id);
  CHECK(unchanged.notes.empty());
  CHECK(unchanged.name == "Ann");
  CHECK(unchanged.tags.empty());
}

}  // namespace omni

namespace omni {
namespace {

TimePoint FromIso(const std::string& text) { return booking::ParseInstantOrDate(text, "UTC"); }

std::vector<std::string> Names(const customers::CustomerPage& page) {
  std::vector<std::string> names;
  for (const auto& c : page.customers) names.push_back(c.name);
  return names;
}

}  // namespace

TEST_CASE("customer list: search with and without claims, tags with AND and OR, last-contact ranges", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const std::string beta = NewBusinessId(db.pool(), "beta");
  const auto ann = customers::FindOrCreate(db.pool(), biz, {"Ann Lee", "ann@example.com", ""}).customer;
  const auto bob = customers::FindOrCreate(db.pool(), biz, {"Bob", "bob@shop.example", "415 555 9999"}).customer;
  const auto cy = customers::FindOrCreate(db.pool(), biz, {"Cy", "cy@example.org", ""}).customer;
  const std::string visitor = db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    return customers::CreateFromClaims(tx, biz, {"Dee", "dee@Typed.example", "415 777 1234"}).id;
  });
  customers::FindOrCreate(db.pool(), beta, {"Ann Beta", "ann@example.com", ""});
  customers::Update(db.pool(), biz, ann.id, {.add_tags = {"vip", "color"}});
  customers::Update(db.pool(), biz, bob.id, {.add_tags = {"vip"}});
  customers::Update(db.pool(), biz, cy.id, {.add_tags = {"regular"}});
  const TimePoint t0 = FromIso("2026-05-01T12:00:00Z");
  customers::RecordContact(db.pool(), biz, ann.id, t0);
  customers::RecordContact(db.pool(), biz, bob.id, t0 + std::chrono::hours{24 * 10});
  customers::RecordContact(db.pool(), biz, visitor, t0 + std::chrono::hours{24 * 20});

  using V = std::vector<std::string>;
  CHECK(Names(customers::List(db.pool(), biz, {.search = "ANN"})) == V{"Ann Lee"});
  CHECK(Names(customers::List(db.pool(), biz, {.search = "typed.EXAMPLE"})) == V{"Dee"});
  CHECK(Names(customers::List(db.pool(), biz, {.search = "typed.example", .include_claims = false})).empty());
  CHECK(Names(customers::List(db.pool(), biz, {.search = "777-12"})) == V{"Dee"});
  CHECK(Names(customers::List(db.pool(), biz, {.search = "777-12", .include_claims = false})).empty());
  CHECK(Names(customers::List(db.pool(), biz, {.search = "555 99"})) == V{"Bob"});
  CHECK(Names(customers::List(db.pool(), biz, {.all_tags = {"vip", "Color"}})) == V{"Ann Lee"});
  CHECK(Names(customers::List(db.pool(), biz, {.all_tags = {"vip"}})) == V{"Bob", "Ann Lee"});
  CHECK(Names(customers::List(db.pool(), biz, {.any_tags = {"color", "regular"}})) == V{"Ann Lee", "Cy"});
  CHECK(Names(customers::List(db.pool(), biz, {.all_tags = {"vip"}, .any_tags = {"color", "regular"}})) ==
        V{"Ann Lee"});
  CHECK(Names(customers::List(db.pool(), biz, {.contacted_from = t0 + std::chrono::hours{24}})) == V{"Dee", "Bob"});
  CHECK(Names(customers::List(db.pool(), biz,
                              {.contacted_from = t0, .contacted_to = t0 + std::chrono::hours{24 * 10}})) ==
        V{"Ann Lee"});
  CHECK(Names(customers::List(db.pool(), biz, {.never_contacted = true})) == V{"Cy"});
  CHECK_THROWS_AS(customers::List(db.pool(), biz, {.contacted_from = t0, .contacted_to = t0}), InvalidInput);
  CHECK_THROWS_AS(customers::List(db.pool(), biz, {.all_tags = {" "}}), InvalidInput);
  CHECK(Names(customers::List(db.pool(), beta, {.search = "ann"})) == V{"Ann Beta"});
}

TEST_CASE("customer list pages by cursor without skipping or repeating, even with equal times", "[customers]") {
  TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const TimePoint when = FromIso("2026-05-01T12:00:00Z");
  std::set<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    const auto c = customers::FindOrCreate(db.pool(), biz, {"C" + std::to_string(i), "c" + std::to_string(i) + "@x.example", ""}).customer;
    if (i % 2 == 0) customers::RecordContact(db.pool(), biz, c.id, when);  // ties on last contact
    expected.insert(c.id);
  }
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE customers SET created_at = '2026-01-01' WHERE business_id = $1::uuid", biz);
  });
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    const auto page = customers::List(db.pool(), biz, {.limit = 2, .after = cursor});
    for (const auto& c : page.customers) seen.push_back(c.id);
    cursor = page.next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 4);
  CHECK(seen.size() == 7);
  CHECK(std::set<std::string>(seen.begin(), seen.end()) == expected);
  CHECK_THROWS_AS(customers::List(db.pool(), biz, {.after = "garbage"}), InvalidInput);
  CHECK_THROWS_AS(customers::List(db.pool(), biz, {.after = "n.1.' OR 1=1"}), InvalidInput);
}

}  // namespace omni
