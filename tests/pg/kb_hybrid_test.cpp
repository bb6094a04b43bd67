// Hybrid search against a fake embeddings server on 127.0.0.1: batching,
// retries on 429 and 5xx, the (text hash, model) cache, vectors stored per
// chunk, and reciprocal-rank fusion finding what BM25 alone cannot.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/embeddings.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/retriever.hpp"
#include "tests/support/fake_embeddings.hpp"
#include "tests/support/pg_harness.hpp"

namespace fs = std::filesystem;
namespace kb = omni::kb;
using nlohmann::json;

namespace {

using omni::test::FakeEmbeddings;

std::string CreateBusiness(omni::db::Pool& pool, const std::string& slug) {
  return omni::db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name) VALUES ($1, $1) RETURNING id", slug)[0]
        .as<std::string>();
  });
}

}  // namespace

TEST_CASE("embeddings are batched, normalised and cached by text and model", "[kb]") {
  omni::test::TestDatabase db;
  FakeEmbeddings fake;
  auto http = omni::http::MakeHttpClient({});
  auto embedder = kb::MakeEmbeddingsClient(fake.Settings(), *http, db.pool());
  const std::vector<std::string> texts = {"car park", "dye", "price", "open hours", "nothing"};
  const auto vectors = embedder->Embed(texts);
  REQUIRE(vectors.size() == 5);
  CHECK(fake.batch_sizes() == std::vector<std::size_t>{2, 2, 1});
  CHECK(vectors[0][0] == Approx(2 / std::sqrt(4.01)));  // (2, 0, 0, 0, 0.1) normalised
  CHECK(vectors[4][4] == Approx(1.0));
  const auto again = embedder->Embed({"dye", "car park", "new text"});
  CHECK(fake.batch_sizes().size() == 4);  // only "new text" went out
  CHECK(fake.batch_sizes().back() == 1);
  CHECK(again[0] == vectors[1]);
  CHECK(again[1] == vectors[0]);
}

TEST_CASE("embedding requests are retried on 429 and 5xx, then fail clearly", "[kb]") {
  omni::test::TestDatabase db;
  FakeEmbeddings fake;
  auto http = omni::http::MakeHttpClient({});
  fake.Fail({429, 503});
  auto embedder = kb::MakeEmbeddingsClient(fake.Settings(), *http, db.pool());
  CHECK(embedder->Embed({"dye"}).size() == 1);
  CHECK(fake.requests().size() == 3);

  auto settings = fake.Settings();
  settings.max_retries = 1;
  fake.Fail({500, 500, 500});
  auto strict = kb::MakeEmbeddingsClient(settings, *http, db.pool());
  CHECK_THROWS_WITH(strict->Embed({"price"}), "embeddings endpoint answered HTTP 500 after 2 attempts");
  fake.Fail({});
  settings.api_key = "";
  auto anonymous = kb::MakeEmbeddingsClient(settings, *http, db.pool());
  CHECK_THROWS_AS(anonymous->Embed({"unseen"}), omni::UpstreamError);  // the fake answers 400
}

TEST_CASE("hybrid search fuses BM25 and vectors stored per chunk", "[kb]") {
  omni::test::TestDatabase db;
  FakeEmbeddings fake;
  auto http = omni::http::MakeHttpClient({});
  auto embedder = kb::MakeEmbeddingsClient(fake.Settings(), *http, db.pool());
  const auto business = CreateBusiness(db.pool(), "salon");
  std::string pattern = (fs::temp_directory_path() / "omni-kb-hybrid-XXXXXX").string();
  const fs::path dir = ::mkdtemp(pattern.data());
  std::ofstream(dir / "parking.txt") << "Free parking behind the salon.";
  std::ofstream(dir / "colour.txt") << "We do balayage and colour.";
  std::ofstream(dir / "prices.txt") << "Our price list is on the wall.";

  kb::IngestOptions options;
  options.inputs = {dir.string()};
  kb::IngestEnvironment environment;
  environment.embedder = embedder.get();
  auto report = kb::Ingest(db.pool(), business, {}, options, environment);
  CHECK(report.added == 3);
  const auto embedded = omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    return tx.exec_params1("SELECT count(*) FROM kb_chunks WHERE business_id = $1 AND embedding IS NOT NULL"
                           " AND embedding_model = 'fake/concepts-5'",
                           business)[0]
        .as<int>();
  });
  CHECK(embedded == 3);
  const auto requests = fake.requests().size();
  report = kb::Ingest(db.pool(), business, {}, options, environment);
  CHECK(report.unchanged == 3);
  CHECK(fake.requests().size() == requests);  // re-ingest never re-embeds

  // "car" appears in no document: BM25 finds nothing, the vectors find parking.
  kb::Retriever lexical(db.pool(), {});
  CHECK(lexical.Search(business, "where do I leave my car?", {}).empty());
  kb::Retriever hybrid(db.pool(), {}, embedder.get());
  auto hits = hybrid.Search(business, "where do I leave my car?", {});
  REQUIRE_FALSE(hits.empty());
  CHECK(hits[0].chunk->title == "parking.txt");
  // Both rankings agree on colour for "dye balayage": first by RRF, with the
  // fused score of two first places, 2 / 61.
  hits = hybrid.Search(business, "dye balayage", {});
  REQUIRE_FALSE(hits.empty());
  CHECK(hits[0].chunk->title == "colour.txt");
  CHECK(hits[0].score == Approx(2.0 / 61));
  CHECK(hybrid.Search(business, "the and of", {}).empty());

  // The embeddings service down: kb search says so; a chat turn's search
  // (keyword_fallback) still answers from BM25.
  fake.Fail({503, 503, 503, 503, 503, 503, 503, 503});
  CHECK_THROWS_AS(hybrid.Search(business, "balayage price", {}), omni::UpstreamError);
  kb::SearchOptions fallback;
  fallback.keyword_fallback = true;
  hits = hybrid.Search(business, "balayage price", fallback);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].chunk->title != "parking.txt");
  CHECK(hits[1].chunk->title != "parking.txt");
  fs::remove_all(dir);
}
