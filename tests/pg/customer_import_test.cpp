// Customer import and export on a real database: upsert by email, phone,
// then external id; quoting, embedded line breaks, a byte order mark,
// duplicate rows, a bad email named by its line, one transaction or
// --continue-on-error, dry runs, idempotence, and another business never
// touched.
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/transfer.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using customers::ImportOutcome;

std::string NewBusinessId(db::Pool& pool, const std::string& slug) {
  business::BusinessSpec spec = business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: America/Chicago\n", "t.yaml");
  return business::Apply(pool, spec).business_id;
}

struct Result {
  customers::ImportSummary summary;
  std::vector<customers::ImportRowReport> rows;
};

Result Import(db::Pool& pool, const std::string& biz, const std::string& csv,
              customers::ImportOptions options = {}) {
  std::istringstream in(csv);
  Result result;
  options.source = "people.csv";
  result.summary = customers::Import(pool, biz, in, options,
                                     [&](const customers::ImportRowReport& r) { result.rows.push_back(r); });
  return result;
}

long long Count(db::Pool& pool, const std::string& biz) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params("SELECT count(*) FROM customers WHERE business_id = $1::uuid", biz)[0][0].as<long long>();
  });
}

std::vector<ImportOutcome> Outcomes(const Result& result) {
  std::vector<ImportOutcome> outcomes;
  for (const auto& r : result.rows) outcomes.push_back(r.outcome);
  return outcomes;
}

// Ten lines: a BOM, quoting, a note over two lines, a duplicate row, and a
// bad email on line 7.
const std::string kFile =
    "\xEF\xBB\xBF" "Full Name,E-mail,Mobile,Tags,Notes\r\n"  // line 1
    "\"Lee, Ann\",ann@example.com,415 555 2030,\"vip;color\",\"likes \"\"quiet\"\" chairs\"\r\n"  // 2
    "Bob,BOB@example.com,,regular,\"first line\r\nsecond line\"\r\n"  // 3-4
    ",Ann@Example.com,,regular,\r\n"  // 5
    "Cy,,(415) 555-7777,,\r\n"  // 6
    "Dee,dee@,,,\r\n"  // 7
    "Bob,BOB@example.com,,regular,\"first line\r\nsecond line\"\r\n"  // 8-9
    "Eve,eve@example.com,,,\r\n";  // 10

}  // namespace

TEST_CASE("import: a bad email on line 7 rejects the whole file by default, naming line 7", "[customers][import]") {
  test::TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto result = Import(db.pool(), biz, kFile);
  CHECK_FALSE(result.summary.committed);
  CHECK(result.summary.rejected == 1);
  REQUIRE(result.rows.size() == 7);
  CHECK(result.rows[4].line == 7);
  CHECK(result.rows[4].outcome == ImportOutcome::kRejected);
  CHECK(result.rows[4].detail == "column \"E-mail\": invalid email address \"dee@\"");
  CHECK(Count(db.pool(), biz) == 0);
  for (const auto& row : result.rows) {
    if (row.outcome == ImportOutcome::kCreated) CHECK(row.customer_id.empty());
  }
}

TEST_CASE("import: quoting, line breaks, BOM and duplicates; a second run changes nothing", "[customers][import]") {
  test::TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const auto first = Import(db.pool(), biz, kFile, {.continue_on_error = true});
  CHECK(first.summary.committed);
  CHECK(Outcomes(first) == std::vector<ImportOutcome>{ImportOutcome::kCreated, ImportOutcome::kCreated,
                                                      ImportOutcome::kUpdated, ImportOutcome::kCreated,
                                                      ImportOutcome::kRejected, ImportOutcome::kUnchanged,
                                                      ImportOutcome::kCreated});
  std::vector<long long> lines;
  for (const auto& r : first.rows) lines.push_back(r.line);
  CHECK(lines == std::vector<long long>{2, 3, 5, 6, 7, 8, 10});
  CHECK(first.rows[2].detail == "tags");  // line 5 adds a tag; its empty name changes nothing
  CHECK(Count(db.pool(), biz) == 4);
  const auto ann = customers::Get(db.pool(), biz, "ann@example.com");
  CHECK(ann.name == "Lee, Ann");
  CHECK(ann.phone == "+14155552030");
  CHECK(ann.tags == std::vector<std::string>{"color", "regular", "vip"});
  CHECK(ann.notes == "likes \"quiet\" chairs");
  CHECK(customers::Get(db.pool(), biz, "bob@example.com").notes == "first line\r\nsecond line");
  CHECK(customers::Get(db.pool(), biz, "4155557777").name == "Cy");
  CHECK_THROWS_AS(customers::Get(db.pool(), biz, "dee@"), NotFound);

  const auto before = customers::Get(db.pool(), biz, "ann@example.com").updated_at;
  const auto second = Import(db.pool(), biz, kFile, {.continue_on_error = true});
  CHECK(second.summary.created + second.summary.updated == 0);
  CHECK(second.summary.unchanged == 6);
  CHECK(second.summary.rejected == 1);
  CHECK(customers::Get(db.pool(), biz, "ann@example.com").updated_at == before);
  const auto third = Import(db.pool(), biz, "email,name\nann@example.com,\"Lee, Ann\"\nbob@example.com,\n");
  CHECK(Outcomes(third) == std::vector<ImportOutcome>{ImportOutcome::kUnchanged, ImportOutcome::kUnchanged});
  const auto again = Import(db.pool(), biz, "email,tags\r\neve@example.com,new\r\n");
  CHECK(Outcomes(again) == std::vector<ImportOutcome>{ImportOutcome::kUpdated});
  CHECK(Outcomes(Import(db.pool(), biz, "email,tags\r\neve@example.com,new\r\n")) ==
        std::vector<ImportOutcome>{ImportOutcome::kUnchanged});
}

TEST_CASE("import: a file imported twice is unchanged the second time", "[customers][import]") {
  test::TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const std::string file =
      "name,email,phone,external id,tags,notes,metadata\n"
      "Ann,ann@example.com,415 555 2030,site-1,\"vip,color\",\"two\nlines\",\"{\"\"source\"\": \"\"ig\"\"}\"\n"
      "Bob,,415 555 9999,,,,\n"
      "Cy,,,site-3,,,\n"
      "Ann,ann@example.com,415 555 2030,site-1,\"vip,color\",\"two\nlines\",\"{\"\"source\"\": \"\"ig\"\"}\"\n";
  const auto first = Import(db.pool(), biz, file);
  CHECK(first.summary.created == 3);
  CHECK(first.summary.unchanged == 1);
  const auto updated_at = customers::Get(db.pool(), biz, "ann@example.com").updated_at;
  const auto second = Import(db.pool(), biz, file);
  CHECK(second.summary.unchanged == 4);
  CHECK(second.summary.created + second.summary.updated + second.summary.rejected == 0);
  CHECK(customers::Get(db.pool(), biz, "ann@example.com").updated_at == updated_at);
  CHECK(customers::Get(db.pool(), biz, "ann@example.com").metadata.at("source") == "ig");
}

TEST_CASE("import: matches by email, then phone, then external id; a row naming two customers is rejected whole",
          "[customers][import]") {
  test::TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  Import(db.pool(), biz, "email,phone,external_id\nann@example.com,,\n,415 555 2030,\n,,site-9\n");
  const auto result = Import(db.pool(), biz,
                             "name,email,phone,external_id,notes\n"
                             "By phone,,415.555.2030,,\n"
                             "By external,,,site-9,\n"
                             "Both,ann@example.com,4155552030,,half\n",
                             {.continue_on_error = true});
  CHECK(Outcomes(result) ==
        std::vector<ImportOutcome>{ImportOutcome::kUpdated, ImportOutcome::kUpdated, ImportOutcome::kRejected});
  CHECK(result.rows[2].detail.find("name two customers") != std::string::npos);
  CHECK(customers::Get(db.pool(), biz, "415 555 2030").name == "By phone");
  // The rejected row wrote nothing, not even its name or notes.
  CHECK(customers::Get(db.pool(), biz, "ann@example.com").name.empty());
  CHECK(customers::Get(db.pool(), biz, "ann@example.com").notes.empty());
  const auto external = Import(db.pool(), biz, "email,external_id\nann@example.com,site-1\nann@example.com,site-2\n",
                               {.continue_on_error = true});
  CHECK(Outcomes(external) == std::vector<ImportOutcome>{ImportOutcome::kUpdated, ImportOutcome::kRejected});
}

TEST_CASE("import: --map, unknown columns, a dry run, and bad headers", "[customers][import]") {
  test::TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  const std::string file = "Mobile No,Given Name,Family Name,Source,Shoe size\n415 555 2030,Ann,Lee,ig,38\n";
  const auto dry = Import(db.pool(), biz, file,
                          {.dry_run = true, .header_map = {{"mobile no", "phone"}, {"Source", "metadata.source"}}});
  CHECK(dry.summary.created == 1);
  CHECK_FALSE(dry.summary.committed);
  CHECK(dry.summary.ignored_columns == std::vector<std::string>{"Shoe size"});
  CHECK(Count(db.pool(), biz) == 0);
  Import(db.pool(), biz, file, {.header_map = {{"mobile no", "phone"}, {"Source", "metadata.source"}}});
  const auto ann = customers::Get(db.pool(), biz, "4155552030");
  CHECK(ann.name == "Ann Lee");
  CHECK(ann.metadata.at("source") == "ig");
  CHECK(ann.metadata.count("Shoe size") == 0);
  CHECK_THROWS_AS(Import(db.pool(), biz, "name,notes\nAnn,x\n"), InvalidInput);
  CHECK_THROWS_AS(Import(db.pool(), biz, file, {.header_map = {{"nope", "phone"}}}), InvalidInput);
  CHECK_THROWS_AS(Import(db.pool(), biz, file, {.header_map = {{"Source", "password"}}}), InvalidInput);
  CHECK_THROWS_AS(Import(db.pool(), biz, "email,mail\na@x.example,b@x.example\n"), InvalidInput);
  CHECK_THROWS_AS(Import(db.pool(), biz, ""), InvalidInput);
  CHECK_THROWS_AS(Import(db.pool(), biz, "email\n\"never closed\n"), InvalidInput);
  const auto short_row = Import(db.pool(), biz, "email,name\nz@x.example\n", {.continue_on_error = true});
  CHECK(short_row.rows[0].detail == "expected 2 fields, got 1");
}

TEST_CASE("import and export never touch another business", "[customers][import][export]") {
  test::TestDatabase db;
  const std::string acme = NewBusinessId(db.pool(), "acme");
  const std::string beta = NewBusinessId(db.pool(), "beta");
  const auto theirs = customers::FindOrCreate(db.pool(), beta, {"Beta Ann", "ann@example.com", "415 555 2030"}).customer;
  const auto result = Import(db.pool(), acme, "name,email,phone\nAcme Ann,ann@example.com,415 555 2030\n");
  CHECK(result.summary.created == 1);
  CHECK(customers::Get(db.pool(), beta, theirs.id).name == "Beta Ann");
  CHECK(customers::Get(db.pool(), beta, theirs.id).updated_at == theirs.updated_at);
  std::vector<std::string> exported;
  customers::Export(db.pool(), acme, [&](const customers::ExportRow& row) { exported.push_back(row.customer.name); });
  CHECK(exported == std::vector<std::string>{"Acme Ann"});
}

TEST_CASE("export gives every customer with counts, batch by batch", "[customers][export]") {
  test::TestDatabase db;
  const std::string biz = NewBusinessId(db.pool(), "acme");
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO customers (business_id, email, name) SELECT $1::uuid, 'c' || i || '@x.example', "
                   "'C' || i FROM generate_series(1, 1203) i",
                   biz);
    tx.exec_params("INSERT INTO conversations (business_id, customer_id) SELECT business_id, id FROM customers "
                   "WHERE business_id = $1::uuid AND email = 'c7@x.example'",
                   biz);
  });
  long long rows = 0;
  int conversations = 0;
  const long long total = customers::Export(db.pool(), biz, [&](const customers::ExportRow& row) {
    ++rows;
    conversations += row.conversation_count;
  });
  CHECK(total == 1203);
  CHECK(rows == 1203);
  CHECK(conversations == 1);
}

}  // namespace omni
