// Merging customers on a real database: KEEP is the base, everything of
// OTHER moves, conflicts are listed, OTHER is removed and audited, no row
// anywhere is left pointing at it, and another business is refused.
#include <string>

#include <catch2/catch.hpp>

#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/merge.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

std::string NewBusiness(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const std::string id =
        tx.exec_params("INSERT INTO businesses (slug, name, timezone, phone_region) VALUES ($1, $1, 'America/Chicago', 'US') "
                       "RETURNING id::text",
                       slug)[0][0]
            .as<std::string>();
    tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, 'Cut', 60)", id);
    return id;
  });
}

void Book(db::Pool& pool, const std::string& biz, const std::string& customer_id, const std::string& start) {
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO appointments (business_id, service_id, customer_id, starts_at, ends_at, blocked_from, "
        "blocked_to) SELECT $1::uuid, s.id, $2::uuid, $3::timestamptz, $3::timestamptz + interval '1 hour', "
        "$3::timestamptz, $3::timestamptz + interval '1 hour' FROM services s WHERE s.business_id = $1::uuid",
        biz, customer_id, start);
  });
}

// Rows of any table with a customer_id column that point at `id`, or at no
// customer at all.
long long Dangling(db::Pool& pool, const std::string& id) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    long long total = 0;
    const auto tables = tx.exec(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name = 'customer_id'");
    REQUIRE(tables.size() >= 2);
    for (const auto& row : tables) {
      const std::string table = tx.quote_name(row[0].as<std::string>());
      total += tx.exec_params("SELECT count(*) FROM " + table + " t WHERE t.customer_id = $1::uuid OR "
                              "(t.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers c "
                              " WHERE c.id = t.customer_id AND c.business_id = t.business_id))",
                              id)[0][0]
                   .as<long long>();
    }
    return total;
  });
}

long long Count(db::Pool& pool, const std::string& sql, const std::string& a, const std::string& b) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return tx.exec_params(sql, a, b)[0][0].as<long long>(); });
}

}  // namespace

TEST_CASE("merge: KEEP is the base, OTHER's rows, tags, notes and metadata move, conflicts are listed",
          "[customers][merge]") {
  test::TestDatabase db;
  auto& pool = db.pool();
  const std::string biz = NewBusiness(pool, "acme");
  const auto keep = customers::FindOrCreate(pool, biz, {"Ann Lee", "ann@example.com", ""}).customer;
  const auto other = customers::FindOrCreate(pool, biz, {"Annie", "ann.lee@work.example", "415 555 2030"}).customer;
  customers::Update(pool, biz, keep.id,
                    {.notes = "prefers mornings", .add_tags = {"vip"}, .set_metadata = {{"source", "web"}}});
  customers::Update(pool, biz, other.id,
                    {.notes = "allergic to latex", .add_tags = {"color", "vip"},
                     .set_metadata = {{"source", "instagram"}, {"shoe", "38"}}});
  customers::RecordContact(pool, biz, keep.id, std::chrono::sys_days{std::chrono::year{2026} / 5 / 1});
  customers::RecordContact(pool, biz, other.id, std::chrono::sys_days{std::chrono::year{2026} / 6 / 1});
  customers::RecordContact(pool, biz, other.id, std::chrono::sys_days{std::chrono::year{2026} / 6 / 2});
  chat::OpenRequest open;
  open.customer_id = other.id;
  const auto conversation = chat::Open(pool, biz, open);
  open.customer_id = keep.id;
  chat::Open(pool, biz, open);
  Book(pool, biz, other.id, "2026-07-01T10:00:00Z");
  Book(pool, biz, other.id, "2026-07-02T10:00:00Z");

  const auto result = customers::Merge(pool, biz, "ann@example.com", other.id.substr(0, 8), "kim");
  CHECK(result.removed_id == other.id);
  const auto& kept = result.kept;
  CHECK(kept.id == keep.id);
  CHECK(kept.name == "Ann Lee");
  CHECK(kept.email == "ann@example.com");
  CHECK(kept.phone == "+14155552030");  // KEEP had none: taken from OTHER
  CHECK(kept.tags == std::vector<std::string>{"color", "vip"});
  CHECK(kept.notes == "prefers mornings\n\nallergic to latex");
  CHECK(kept.metadata.at("source") == "web");
  CHECK(kept.metadata.at("shoe") == "38");
  CHECK(kept.visit_count == 3);
  CHECK(*kept.last_contact_at == std::chrono::sys_days{std::chrono::year{2026} / 6 / 2});
  REQUIRE(result.conflicts.size() == 3);
  CHECK(result.conflicts[0].field == "name");
  CHECK(result.conflicts[0].kept == "Ann Lee");
  CHECK(result.conflicts[0].discarded == "Annie");
  CHECK(result.conflicts[1].field == "email");
  CHECK(result.conflicts[1].discarded == "ann.lee@work.example");
  CHECK(result.conflicts[2].field == "metadata.source");
  CHECK(result.moved.at("conversations") == 1);
  CHECK(result.moved.at("appointments") == 2);

  CHECK(chat::Get(pool, biz, conversation.id).customer_id == keep.id);
  CHECK_THROWS_AS(customers::Get(pool, biz, other.id), NotFound);
  CHECK(customers::Get(pool, biz, "415 555 2030").id == keep.id);
  CHECK(Dangling(pool, other.id) == 0);
  CHECK(Count(pool, "SELECT count(*) FROM appointments WHERE business_id = $1::uuid AND customer_id = $2::uuid", biz,
              keep.id) == 2);
  CHECK(Count(pool, "SELECT count(*) FROM conversations WHERE business_id = $1::uuid AND customer_id = $2::uuid", biz,
              keep.id) == 2);
  // The audit record keeps what OTHER was and who merged it.
  const auto audit = db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params(
        "SELECT kept_customer_id::text, removed_customer_id::text, removed_snapshot->>'email', "
        "jsonb_array_length(conflicts), merged_by, (moved->>'appointments')::int FROM customer_merges "
        "WHERE business_id = $1::uuid AND id = $2::uuid",
        biz, result.merge_id)[0];
  });
  CHECK(audit[0].as<std::string>() == keep.id);
  CHECK(audit[1].as<std::string>() == other.id);
  CHECK(audit[2].as<std::string>() == "ann.lee@work.example");
  CHECK(audit[3].as<int>() == 3);
  CHECK(audit[4].as<std::string>() == "kim");
  CHECK(audit[5].as<int>() == 2);
}

TEST_CASE("merge: the direction decides which values stay", "[customers][merge]") {
  test::TestDatabase db;
  auto& pool = db.pool();
  const std::string biz = NewBusiness(pool, "acme");
  const auto a = customers::FindOrCreate(pool, biz, {"A", "a@example.com", ""}).customer;
  const auto b = customers::FindOrCreate(pool, biz, {"B", "b@example.com", ""}).customer;
  const auto result = customers::Merge(pool, biz, b.id, a.id, "");
  CHECK(result.kept.id == b.id);
  CHECK(result.kept.name == "B");
  CHECK(result.kept.email == "b@example.com");
  CHECK_THROWS_AS(customers::Get(pool, biz, "a@example.com"), NotFound);
}

TEST_CASE("merge: refused across businesses and into itself, and a refused merge changes nothing",
          "[customers][merge]") {
  test::TestDatabase db;
  auto& pool = db.pool();
  const std::string acme = NewBusiness(pool, "acme");
  const std::string beta = NewBusiness(pool, "beta");
  const auto ours = customers::FindOrCreate(pool, acme, {"Ann", "ann@example.com", ""}).customer;
  const auto theirs = customers::FindOrCreate(pool, beta, {"Ann B", "ann@example.com", ""}).customer;
  Book(pool, beta, theirs.id, "2026-07-01T10:00:00Z");
  CHECK_THROWS_AS(customers::Merge(pool, acme, ours.id, theirs.id, ""), NotFound);
  CHECK_THROWS_AS(customers::Merge(pool, acme, theirs.id, ours.id, ""), NotFound);
  CHECK_THROWS_AS(customers::Merge(pool, beta, ours.id, theirs.id, ""), NotFound);
  CHECK_THROWS_AS(customers::Merge(pool, acme, ours.id, "ann@example.com", ""), InvalidInput);
  CHECK(customers::Get(pool, beta, theirs.id).name == "Ann B");
  CHECK(Count(pool, "SELECT count(*) FROM appointments WHERE business_id = $1::uuid AND customer_id = $2::uuid",
              beta, theirs.id) == 1);
  CHECK(Count(pool, "SELECT count(*) FROM customer_merges WHERE business_id IN ($1::uuid, $2::uuid)", acme, beta) ==
        0);
}

}  // namespace omni
