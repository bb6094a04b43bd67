// The knowledge base against a real PostgreSQL: incremental ingest, sync,
// bad inputs, URLs, retrieval with filters, cache parity between retrievers,
// crash consistency after kill -9, and the evaluation run.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/documents.hpp"
#include "core/kb/eval.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/retriever.hpp"
#include "tests/support/kb_fixtures.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
namespace kb = omni::kb;
using omni::test::TestDatabase;

namespace {

using omni::test::TempDir;

std::string CreateBusiness(omni::db::Pool& pool, const std::string& slug) {
  return omni::db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name) VALUES ($1, $1) RETURNING id", slug)[0]
        .as<std::string>();
  });
}

long long Scalar(omni::db::Pool& pool, const std::string& sql, const std::string& business_id) {
  return omni::db::WithTransaction(
      pool, [&](pqxx::work& tx) { return tx.exec_params1(sql, business_id)[0].as<long long>(); });
}

long long Documents(omni::db::Pool& pool, const std::string& business_id) {
  return Scalar(pool, "SELECT count(*) FROM kb_documents WHERE business_id = $1", business_id);
}

long long Chunks(omni::db::Pool& pool, const std::string& business_id) {
  return Scalar(pool, "SELECT count(*) FROM kb_chunks WHERE business_id = $1", business_id);
}

long long Generation(omni::db::Pool& pool, const std::string& business_id) {
  return Scalar(pool, "SELECT coalesce(max(generation), 0) FROM kb_generations WHERE business_id = $1",
                business_id);
}

// Every document's chunk_count matches its chunks, ordinals are 0..n-1 and
// no chunk lacks its document.
void CheckConsistent(omni::db::Pool& pool, const std::string& business_id) {
  CHECK(Scalar(pool,
               "SELECT count(*) FROM kb_documents d WHERE d.business_id = $1 AND d.chunk_count <> "
               "(SELECT count(*) FROM kb_chunks c WHERE c.document_id = d.id)",
               business_id) == 0);
  CHECK(Scalar(pool,
               "SELECT count(*) FROM kb_chunks c WHERE c.business_id = $1 AND c.ordinal >= "
               "(SELECT chunk_count FROM kb_documents d WHERE d.id = c.document_id)",
               business_id) == 0);
  CHECK(Scalar(pool,
               "SELECT count(*) FROM (SELECT external_id FROM kb_documents WHERE business_id = $1 "
               "GROUP BY external_id HAVING count(*) > 1) AS duplicates",
               business_id) == 0);
}

kb::IngestReport IngestPaths(omni::db::Pool& pool, const std::string& business_id,
                             std::vector<std::string> inputs, bool sync = false,
                             const omni::config::KbSettings& settings = {}) {
  kb::IngestOptions options;
  options.inputs = std::move(inputs);
  options.sync = sync;
  return kb::Ingest(pool, business_id, settings, options);
}

std::vector<std::string> Titles(const std::vector<kb::SearchHit>& hits) {
  std::vector<std::string> titles;
  for (const auto& hit : hits) titles.push_back(hit.chunk->title);
  return titles;
}

}  // namespace

TEST_CASE("ingesting a directory adds every supported file, and again changes nothing", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  dir.Write("faq.md", "# Colour FAQ\n\nWe do balayage and highlights.\n\nBook a consultation first.");
  dir.Write("hours.txt", "We open Monday to Saturday from 9am to 6pm.");
  dir.Write("site/about.html", "<html><head><title>About us</title></head><body><p>Family run salon.</p></body></html>");
  dir.Write("prices.csv", "id,title,text\np1,Cut,A cut costs 40 dollars.\np2,Colour,Colour starts at 80 dollars.\n");
  dir.Write("notes.bin", "ignored: unknown extension");
  dir.Write(".hidden/secret.txt", "never ingested");

  const auto first = IngestPaths(db.pool(), business, {dir.path().string()});
  CHECK(first.added == 5);
  CHECK(first.failed == 0);
  CHECK_FALSE(first.partial());
  CHECK(first.chunks_written == 5);
  CHECK(Documents(db.pool(), business) == 5);
  CHECK(Chunks(db.pool(), business) == 5);
  CheckConsistent(db.pool(), business);
  const auto generation = Generation(db.pool(), business);
  CHECK(generation >= 1);

  const auto docs = kb::ListDocuments(db.pool(), business);
  REQUIRE(docs.size() == 5);
  const auto faq = kb::GetDocument(db.pool(), business, (dir.path() / "faq.md").string());
  CHECK(faq.title == "Colour FAQ");
  CHECK(faq.type == kb::DocType::kDocument);
  REQUIRE(faq.chunks.size() == 1);
  CHECK(faq.chunks[0].char_start == 0);
  CHECK(faq.chunks[0].text.rfind("Colour FAQ", 0) == 0);
  const auto row = kb::GetDocument(db.pool(), business, (dir.path() / "prices.csv").string() + "#p2");
  CHECK(row.title == "Colour");

  const auto again = IngestPaths(db.pool(), business, {dir.path().string()});
  CHECK(again.added == 0);
  CHECK(again.updated == 0);
  CHECK(again.unchanged == 5);
  CHECK(again.chunks_written == 0);
  CHECK(Generation(db.pool(), business) == generation);  // nothing written at all
}

TEST_CASE("a changed document is re-chunked in place and --sync removes what left", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  const auto policy = dir.Write("policy.txt", "Cancel 24 hours ahead.");
  const auto old = dir.Write("old.txt", "Old promotion text.");
  REQUIRE(IngestPaths(db.pool(), business, {dir.path().string()}).added == 2);
  const auto before = kb::GetDocument(db.pool(), business, policy);

  omni::config::KbSettings small;
  small.chunk_size_chars = 40;
  small.chunk_overlap_chars = 0;
  dir.Write("policy.txt",
            "Cancel 48 hours ahead or pay half. No-shows pay in full. Deposits are refunded on time.");
  const auto changed = IngestPaths(db.pool(), business, {policy}, false, small);
  CHECK(changed.updated == 1);
  CHECK(changed.added == 0);
  const auto after = kb::GetDocument(db.pool(), business, policy);
  CHECK(after.id == before.id);
  CHECK(after.content_hash != before.content_hash);
  CHECK(after.chunk_count == 3);
  REQUIRE(after.chunks.size() == 3);
  CHECK(after.chunks[1].text == "No-shows pay in full.");
  CHECK(after.chunks[1].char_start == 35);
  CHECK(after.chunks[1].char_end == 56);
  CHECK(Documents(db.pool(), business) == 2);  // no sync: old.txt stays
  CheckConsistent(db.pool(), business);

  fs::remove(old);
  const auto synced = IngestPaths(db.pool(), business, {dir.path().string()}, true, small);
  CHECK(synced.removed == 1);
  CHECK(synced.unchanged == 1);
  CHECK(Documents(db.pool(), business) == 1);
  CHECK_THROWS_AS(kb::GetDocument(db.pool(), business, old), omni::NotFound);
  CheckConsistent(db.pool(), business);
}

TEST_CASE("changing the chunking settings re-chunks unchanged text", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  const auto file = dir.Write("a.txt", "One sentence here. Another sentence there.");
  REQUIRE(IngestPaths(db.pool(), business, {file}).added == 1);
  omni::config::KbSettings small;
  small.chunk_size_chars = 25;
  small.chunk_overlap_chars = 0;
  const auto report = IngestPaths(db.pool(), business, {file}, false, small);
  CHECK(report.updated == 1);
  CHECK(Chunks(db.pool(), business) == 2);
}

TEST_CASE("bad files are reported one by one and the others still go in", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  dir.Write("good.txt", "Good text about parking.");
  dir.Write("binary.txt", std::string("\x7f" "ELF\0\0\0", 7));
  dir.Write("latin1.md", "caf\xE9");
  dir.Write("empty.txt", "   \n");
  dir.Write("big.txt", std::string(300, 'x'));
  dir.Write("broken.pdf", "%PDF-1.4 not really");
  const auto unreadable = dir.Write("locked.txt", "secret");
  ::chmod(unreadable.c_str(), 0);
  const bool root = ::geteuid() == 0;  // root reads anything

  omni::config::KbSettings settings;
  settings.max_document_bytes = 200;
  kb::IngestOptions options;
  options.inputs = {dir.path().string(), (dir.path() / "missing.txt").string()};
  const auto report = kb::Ingest(db.pool(), business, settings, options);
  CHECK(report.added == (root ? 2 : 1));
  CHECK(report.failed == (root ? 6 : 7));
  CHECK(report.partial());
  std::map<std::string, std::string> messages;
  for (const auto& failure : report.failures) {
    messages[fs::path(failure.input).filename().string()] = failure.message;
  }
  CHECK(messages["binary.txt"] == "looks binary (it contains NUL bytes)");
  CHECK(messages["latin1.md"] == "is not valid UTF-8 (at byte 3)");
  CHECK(messages["empty.txt"] == "is empty");
  CHECK(messages["big.txt"] == "is too large (300 bytes; the limit is 200)");
  CHECK(messages["broken.pdf"] == "is not a readable PDF");
  CHECK(messages["missing.txt"] == "does not exist");
  if (!root) CHECK(messages["locked.txt"].rfind("could not be read", 0) == 0);
  CheckConsistent(db.pool(), business);
}

TEST_CASE("an HTML file nested too deep gets its own error and the others still go in", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  dir.Write("hours.html", "<title>Hours</title><p>Open Tuesday to Saturday.</p>");
  std::string deep = "<title>Deep</title>";
  for (int i = 0; i < 200000; ++i) deep += "<div>";
  dir.Write("page.html", deep + "buried");
  dir.Write("notes.txt", "Parking behind the shop.");
  const auto report = IngestPaths(db.pool(), business, {dir.path().string()});
  CHECK(report.added == 2);
  REQUIRE(report.failures.size() == 1);
  CHECK(fs::path(report.failures[0].input).filename() == "page.html");
  CHECK(report.failures[0].message == "has HTML nested deeper than 512 levels");
  CheckConsistent(db.pool(), business);
}

TEST_CASE("--sync keeps the documents of an input that failed this time", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  const auto file = dir.Write("menu.txt", "Haircut and blow-dry.");
  dir.Write("rows.jsonl", "{\"id\": \"1\", \"text\": \"first\"}\n{\"id\": \"2\", \"text\": \"second\"}\n");
  REQUIRE(IngestPaths(db.pool(), business, {dir.path().string()}).added == 3);
  dir.Write("menu.txt", std::string("\0\0", 2));
  dir.Write("rows.jsonl", "{\"id\": \"1\", \"text\": \"first\"}\nnot json\n");
  const auto report = IngestPaths(db.pool(), business, {dir.path().string()}, true);
  CHECK(report.failed == 2);
  CHECK(report.removed == 0);
  CHECK(report.unchanged == 1);
  CHECK(Documents(db.pool(), business) == 3);
}

TEST_CASE("include and exclude globs filter what directories yield", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  dir.Write("a.md", "alpha");
  dir.Write("b.txt", "bravo");
  dir.Write("drafts/c.md", "charlie");
  dir.Write("notes.log", "delta");
  kb::IngestOptions options;
  options.inputs = {dir.path().string()};
  options.include = {"*.md", "*.log"};
  options.exclude = {"drafts/*"};
  options.type = kb::DocType::kFaq;
  options.tags = {"hair", "hair", "colour"};
  const auto report = kb::Ingest(db.pool(), business, {}, options);
  CHECK(report.added == 2);
  const auto docs = kb::ListDocuments(db.pool(), business);
  REQUIRE(docs.size() == 2);
  CHECK(fs::path(docs[0].external_id).filename() == "a.md");
  CHECK(fs::path(docs[1].external_id).filename() == "notes.log");
  CHECK(docs[0].type == kb::DocType::kFaq);
  CHECK(docs[0].tags == std::vector<std::string>{"hair", "colour"});
  kb::DocumentFilter filter;
  filter.tags = {"colour"};
  CHECK(kb::ListDocuments(db.pool(), business, filter).size() == 2);
  filter.types = {kb::DocType::kPolicy};
  CHECK(kb::ListDocuments(db.pool(), business, filter).empty());
}

TEST_CASE("stdin becomes one document with the given title", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  kb::IngestOptions options;
  options.inputs = {"-"};
  options.title = "Cancellation policy";
  options.type = kb::DocType::kPolicy;
  kb::IngestEnvironment environment;
  environment.read_stdin = [](std::size_t) { return std::string("Cancel a day ahead."); };
  const auto report = kb::Ingest(db.pool(), business, {}, options, environment);
  CHECK(report.added == 1);
  const auto doc = kb::GetDocument(db.pool(), business, "stdin");
  CHECK(doc.title == "Cancellation policy");
  CHECK(doc.type == kb::DocType::kPolicy);
}

TEST_CASE("stdin is read no further than the document size limit", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  omni::config::KbSettings settings;
  settings.max_document_bytes = 1000;
  kb::IngestOptions options;
  options.inputs = {"-"};
  std::size_t asked = 0;
  kb::IngestEnvironment environment;
  // An endless stdin: whatever is asked for is there.
  environment.read_stdin = [&](std::size_t max_bytes) {
    asked = max_bytes;
    return std::string(max_bytes, 'a');
  };
  const auto report = kb::Ingest(db.pool(), business, settings, options, environment);
  CHECK(asked == 1001);
  CHECK(report.added == 0);
  REQUIRE(report.failures.size() == 1);
  CHECK(report.failures[0].input == "stdin");
  CHECK(report.failures[0].message == "is too large (more than 1000 bytes; the limit is 1000)");
  CHECK(Documents(db.pool(), business) == 0);
}

TEST_CASE("URLs are fetched with redirects capped and errors reported", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  omni::test::LoopbackServer server([](const omni::test::LoopbackRequest& request) {
    omni::test::LoopbackResponse response;
    if (request.target == "/services") {
      response.headers = {{"Content-Type", "text/html; charset=utf-8"}};
      response.body = "<title>Services</title><nav>menu</nav><p>We offer keratin treatments.</p>";
    } else if (request.target == "/moved") {
      response.status = 301;
      response.headers = {{"Location", "/services"}};
    } else if (request.target.rfind("/loop", 0) == 0) {
      response.status = 302;
      response.headers = {{"Location", "/loop" + std::to_string(request.target.size())}};
    } else if (request.target == "/huge") {
      response.body = std::string(5000, 'a');
    } else if (request.target == "/slow") {
      response.delay_ms = 3000;
      response.body = "late";
    } else {
      response.status = 404;
    }
    return response;
  });
  omni::config::KbSettings settings;
  settings.max_url_bytes = 1000;
  settings.url_timeout_ms = 500;
  settings.url_max_redirects = 3;
  auto client = omni::http::MakeHttpClient(omni::http::ClientSettings{});
  kb::IngestOptions options;
  // The server answers one request at a time: the slow one goes last.
  options.inputs = {server.Url("/services"), server.Url("/moved"), server.Url("/loop"),
                    server.Url("/huge"), server.Url("/missing"), server.Url("/slow")};
  kb::IngestEnvironment environment;
  environment.http = client.get();
  const auto report = kb::Ingest(db.pool(), business, settings, options, environment);
  CHECK(report.added == 2);
  CHECK(report.failed == 4);
  std::map<std::string, std::string> messages;
  for (const auto& failure : report.failures) messages[failure.input] = failure.message;
  CHECK(messages[server.Url("/missing")] == "answered HTTP 404");
  INFO(messages[server.Url("/loop")]);
  CHECK(messages[server.Url("/loop")] == "redirects more than 3 times");
  CHECK(messages[server.Url("/huge")].rfind("could not be fetched", 0) == 0);
  CHECK(messages[server.Url("/slow")].rfind("could not be fetched", 0) == 0);
  const auto page = kb::GetDocument(db.pool(), business, server.Url("/services"));
  CHECK(page.title == "Services");
  CHECK(page.type == kb::DocType::kWebsite);
  REQUIRE(page.chunks.size() == 1);
  CHECK(page.chunks[0].text == "We offer keratin treatments.");
}

TEST_CASE("a URL whose body never ends is cut at the size limit", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  omni::test::LoopbackServer server([](const omni::test::LoopbackRequest&) {
    omni::test::LoopbackResponse response;
    response.headers = {{"Content-Type", "text/html"}};
    response.body = "<p>again and again</p>";
    response.endless = true;
    return response;
  });
  omni::config::KbSettings settings;
  settings.max_url_bytes = 100000;
  settings.url_timeout_ms = 5000;
  auto client = omni::http::MakeHttpClient(omni::http::ClientSettings{});
  kb::IngestOptions options;
  options.inputs = {server.Url("/endless")};
  kb::IngestEnvironment environment;
  environment.http = client.get();
  const auto report = kb::Ingest(db.pool(), business, settings, options, environment);
  REQUIRE(report.failures.size() == 1);
  CHECK(report.failures[0].input == server.Url("/endless"));
  CHECK(report.failures[0].message ==
        "could not be fetched: response from 127.0.0.1:" + std::to_string(server.port()) + " exceeds 100000 bytes");
  CHECK(Documents(db.pool(), business) == 0);
}

TEST_CASE("PDF files are ingested through poppler", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  const auto pdf = dir.Write("price-list.pdf", omni::test::MakePdf({"Gel manicure 35 dollars"}, "Price list"));
  REQUIRE(IngestPaths(db.pool(), business, {pdf}).added == 1);
  kb::Retriever retriever(db.pool(), {});
  const auto hits = retriever.Search(business, "manicure price", {});
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].chunk->title == "Price list");
}

TEST_CASE("search ranks, filters, and answers empty queries with nothing", "[kb]") {
  TestDatabase db;
  const auto salon = CreateBusiness(db.pool(), "salon");
  const auto other = CreateBusiness(db.pool(), "other");
  TempDir dir;
  dir.Write("colour.md", "# Colour\n\nWe do balayage, ombre and highlights.");
  dir.Write("hours.md", "# Hours\n\nOpen 9 to 6. Balayage appointments need two hours.");
  dir.Write("parking.md", "# Parking\n\nFree parking behind the salon.");
  kb::IngestOptions faq;
  faq.inputs = {(dir.path() / "colour.md").string(), (dir.path() / "hours.md").string()};
  faq.type = kb::DocType::kFaq;
  faq.tags = {"hair"};
  REQUIRE(kb::Ingest(db.pool(), salon, {}, faq).added == 2);
  REQUIRE(IngestPaths(db.pool(), salon, {(dir.path() / "parking.md").string()}).added == 1);
  REQUIRE(IngestPaths(db.pool(), other, {(dir.path() / "colour.md").string()}).added == 1);

  kb::Retriever retriever(db.pool(), {});
  auto hits = retriever.Search(salon, "Do you do balayage?", {});
  REQUIRE(hits.size() == 2);
  // "balayage" is in both; the shorter colour chunk, titled on topic, wins.
  CHECK(Titles(hits) == std::vector<std::string>{"Colour", "Hours"});
  CHECK(hits[0].score > hits[1].score);
  CHECK(hits[0].chunk->type == kb::DocType::kFaq);
  CHECK(hits[0].chunk->tags == std::vector<std::string>{"hair"});
  CHECK(hits[0].chunk->char_start == 0);

  kb::SearchOptions options;
  options.k = 1;
  CHECK(retriever.Search(salon, "balayage", options).size() == 1);
  options.k = 5;
  options.types = {kb::DocType::kDocument};
  CHECK(Titles(retriever.Search(salon, "balayage parking", options)) == std::vector<std::string>{"Parking"});
  options.types = {};
  options.tags = {"hair"};
  CHECK(retriever.Search(salon, "parking", options).empty());
  CHECK(retriever.Search(salon, "", {}).empty());
  CHECK(retriever.Search(salon, "what is the and of it?", {}).empty());
  CHECK(retriever.Search(salon, "zebra", {}).empty());
  // Statistics and results are per business.
  CHECK(Titles(retriever.Search(other, "parking balayage", {})) == std::vector<std::string>{"Colour"});
  CHECK(retriever.Search(CreateBusiness(db.pool(), "empty"), "balayage", {}).empty());
}

TEST_CASE("ties break on external id then chunk order, identically in every retriever", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  // Same title (file name) and text: only the directory differs.
  for (const char* name : {"c/same.txt", "a/same.txt", "b/same.txt"}) dir.Write(name, "Same words in each file.");
  REQUIRE(IngestPaths(db.pool(), business, {dir.path().string()}).added == 3);
  kb::Retriever first(db.pool(), {});
  kb::Retriever second(db.pool(), {});
  const auto a = first.Search(business, "same words", {});
  const auto b = second.Search(business, "same words", {});
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(a[i].chunk->external_id == (dir.path() / std::string(1, static_cast<char>('a' + i)) / "same.txt").string());
    CHECK(b[i].chunk->id == a[i].chunk->id);
  }
  CHECK(a[0].score == a[2].score);
}

TEST_CASE("a retriever sees ingests and removals by others at once", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  const auto first_file = dir.Write("one.txt", "Gift cards are available at the front desk.");
  kb::Retriever cached(db.pool(), {});
  CHECK(cached.Search(business, "gift cards", {}).empty());  // loads the empty index
  REQUIRE(IngestPaths(db.pool(), business, {first_file}).added == 1);
  CHECK(cached.Search(business, "gift cards", {}).size() == 1);

  // A second retriever (as in another omnid) writes nothing but sees the same.
  kb::Retriever other(db.pool(), {});
  const auto second_file = dir.Write("two.txt", "Gift vouchers never expire.");
  REQUIRE(IngestPaths(db.pool(), business, {second_file}).added == 1);
  CHECK(cached.Search(business, "gift", {}).size() == 2);
  CHECK(other.Search(business, "gift", {}).size() == 2);

  kb::RemoveDocuments(db.pool(), business, {first_file});
  CHECK(Titles(cached.Search(business, "gift", {})) == std::vector<std::string>{"two.txt"});
  CHECK_THROWS_AS(kb::RemoveDocuments(db.pool(), business, {"nope"}), omni::NotFound);

  // A write outside the kb code still shows once the generation moves.
  omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE kb_documents SET doc_type = 'POLICY' WHERE business_id = $1", business);
    tx.exec_params("UPDATE kb_generations SET generation = generation + 1 WHERE business_id = $1", business);
  });
  CHECK(other.Search(business, "gift", {})[0].chunk->type == kb::DocType::kPolicy);
}

TEST_CASE("a second ingest into the same business at once is refused", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "salon");
  TempDir dir;
  const auto file = dir.Write("a.txt", "text");
  auto holder = db.pool().Acquire();
  pqxx::nontransaction tx(holder.connection());
  tx.exec_params("SELECT pg_advisory_lock($1, hashtext($2))", 0x6b62, business);
  CHECK_THROWS_AS(IngestPaths(db.pool(), business, {file}), omni::Conflict);
  tx.exec_params("SELECT pg_advisory_unlock($1, hashtext($2))", 0x6b62, business);
  CHECK(IngestPaths(db.pool(), business, {file}).added == 1);
}

TEST_CASE("an ingest killed with SIGKILL and run again ends consistent", "[kb]") {
  TestDatabase db;
  const auto business = CreateBusiness(db.pool(), "crash");
  TempDir dir;
  // 6000 records: a dozen batches, so the kill lands between commits.
  {
    std::ofstream corpus(dir.path() / "corpus.jsonl");
    for (int i = 0; i < 6000; ++i) {
      corpus << "{\"_id\": \"d" << i << "\", \"title\": \"Record " << i << "\", \"text\": \"";
      for (int s = 0; s < 12; ++s) corpus << "Sentence " << s << " of record " << i << " mentions topic " << (i * 7 + s) % 97 << ". ";
      corpus << "\"}\n";
    }
  }
  // No plan's document limit in the way of 6000 documents.
  const std::string config = dir.Write("omni.yaml", "database:\n  url: \"" + db.url() +
                                                        "\"\nplans:\n  starter:\n    documents: -1\n");
  const std::string corpus = (dir.path() / "corpus.jsonl").string();
  omni::test::ProcessOptions options;
  options.args = {"--config", config, "-b", "crash", "ingest", corpus};
  {
    omni::test::Process ingest(OMNI_CLI_PATH, options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Documents(db.pool(), business) == 0 && std::chrono::steady_clock::now() < deadline &&
           ingest.Running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ingest.Signal(SIGKILL);
    CHECK(ingest.Wait(std::chrono::seconds(10)) == 128 + SIGKILL);
  }
  const auto partial = Documents(db.pool(), business);
  CHECK(partial > 0);
  CHECK(partial < 6000);
  CheckConsistent(db.pool(), business);

  // PostgreSQL frees the dead session's lock; the rerun completes the rest.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  omni::test::RunResult rerun;
  do {
    rerun = omni::test::Run(OMNI_CLI_PATH, options, std::chrono::seconds(300));
  } while (rerun.exit_code == 6 && std::chrono::steady_clock::now() < deadline);
  INFO(rerun.err);
  CHECK(rerun.exit_code == 0);
  CHECK(rerun.out.find("unchanged " + std::to_string(partial)) != std::string::npos);
  CHECK(Documents(db.pool(), business) == 6000);
  CheckConsistent(db.pool(), business);
}

TEST_CASE("evaluation reports hand-checkable metrics on a tiny data set", "[kb]") {
  TestDatabase db;
  TempDir dir;
  const auto corpus = dir.Write("corpus.jsonl",
                                "{\"_id\": \"d1\", \"title\": \"Vitamin D\", \"text\": \"Vitamin D helps bones.\"}\n"
                                "{\"_id\": \"d2\", \"title\": \"Sleep\", \"text\": \"Sleep improves memory.\"}\n"
                                "{\"_id\": \"d3\", \"title\": \"Coffee\", \"text\": \"Coffee raises alertness.\"}\n");
  const auto queries = dir.Write("queries.jsonl",
                                 "{\"_id\": \"q1\", \"text\": \"vitamin bones\"}\n"
                                 "{\"_id\": \"q2\", \"text\": \"memory and sleep\"}\n"
                                 "{\"_id\": \"q3\", \"text\": \"the of and\"}\n");
  const auto qrels = dir.Write("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq3\td2\t1\nq4\td1\t1\n");
  const auto business = kb::CreateScratchBusiness(db.pool());
  kb::EvalOptions options{corpus, queries, qrels, {}, 100};
  const auto report = kb::Evaluate(db.pool(), business, {}, options);
  CHECK(report.documents == 3);
  CHECK(report.queries == 4);
  CHECK(report.queries_missing == 1);
  // q1 finds d1 first (1); q2 finds only d2, not the judged d3 (0); q3 is all
  // stopwords (0); q4 has no query text (0).
  CHECK(report.ndcg_at_10 == Approx(0.25));
  CHECK(report.recall_at_100 == Approx(0.25));
  CHECK(report.mrr_at_10 == Approx(0.25));
  CHECK(report.latency_p50_ms > 0);
  kb::DropScratchBusiness(db.pool(), business);
  CHECK(Scalar(db.pool(), "SELECT count(*) FROM businesses WHERE id::text = $1", business) == 0);
}
