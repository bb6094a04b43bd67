// Hybrid search against a fake embeddings server on 127.0.0.1: batching,
// retries on 429 and 5xx, the (text hash, model) cache, vectors stored per
// chunk, and reciprocal-rank fusion finding what BM25 alone cannot.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/embeddings.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/retriever.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/pg_harness.hpp"

namespace fs = std::filesystem;
namespace kb = omni::kb;
using nlohmann::json;

namespace {

// Deterministic "semantic" vectors: each word adds 1 to the dimension of its
// concept, so synonyms land together (car ~ parking, dye ~ colour).
std::vector<float> ConceptVector(const std::string& text) {
  static const std::map<std::string, int> concepts = {
      {"parking", 0}, {"car", 0}, {"park", 0},   {"colour", 1}, {"dye", 1},
      {"balayage", 1}, {"price", 2}, {"cost", 2}, {"hours", 3},  {"open", 3}};
  std::vector<float> vector(5, 0.0f);
  vector[4] = 0.1f;  // never a zero vector
  std::string word;
  for (const char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      const auto found = concepts.find(word);
      if (found != concepts.end()) vector[static_cast<std::size_t>(found->second)] += 1;
      word.clear();
    }
  }
  return vector;
}

// The fake /v1/embeddings: answers `failures` first, then real vectors.
struct FakeEmbeddings {
  std::mutex mutex;
  std::vector<int> failures;  // statuses to answer before succeeding
  std::vector<std::size_t> batch_sizes;
  omni::test::LoopbackServer server{[this](const omni::test::LoopbackRequest& request) {
    std::lock_guard lock(mutex);
    omni::test::LoopbackResponse response;
    response.headers = {{"Content-Type", "application/json"}};
    if (request.target != "/v1/embeddings" || request.method != "POST" ||
        request.headers.count("authorization") == 0) {
      response.status = 400;
      return response;
    }
    if (!failures.empty()) {
      response.status = failures.front();
      failures.erase(failures.begin());
      response.headers.push_back({"Retry-After", "0"});
      response.body = R"({"error": {"message": "slow down"}})";
      return response;
    }
    const json body = json::parse(request.body);
    json data = json::array();
    std::size_t index = 0;
    for (const auto& input : body["input"]) {
      data.push_back({{"object", "embedding"}, {"index", index++}, {"embedding", ConceptVector(input)}});
    }
    batch_sizes.push_back(index);
    response.body = json{{"object", "list"}, {"data", data}, {"model", body["model"]}}.dump();
    return response;
  }};

  omni::config::EmbeddingsSettings Settings() const {
    omni::config::EmbeddingsSettings settings;
    settings.enabled = true;
    settings.base_url = server.Url("/v1");
    settings.api_key = "test-key";
    settings.model = "fake/concepts-5";
    settings.batch_size = 2;
    settings.timeout_ms = 2000;
    settings.max_retries = 3;
    return settings;
  }
};

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
  CHECK(fake.batch_sizes == std::vector<std::size_t>{2, 2, 1});
  CHECK(vectors[0][0] == Approx(2 / std::sqrt(4.01)));  // (2, 0, 0, 0, 0.1) normalised
  CHECK(vectors[4][4] == Approx(1.0));
  const auto again = embedder->Embed({"dye", "car park", "new text"});
  CHECK(fake.batch_sizes.size() == 4);  // only "new text" went out
  CHECK(fake.batch_sizes.back() == 1);
  CHECK(again[0] == vectors[1]);
  CHECK(again[1] == vectors[0]);
}

TEST_CASE("embedding requests are retried on 429 and 5xx, then fail clearly", "[kb]") {
  omni::test::TestDatabase db;
  FakeEmbeddings fake;
  auto http = omni::http::MakeHttpClient({});
  fake.failures = {429, 503};
  auto embedder = kb::MakeEmbeddingsClient(fake.Settings(), *http, db.pool());
  CHECK(embedder->Embed({"dye"}).size() == 1);
  CHECK(fake.server.requests().size() == 3);

  auto settings = fake.Settings();
  settings.max_retries = 1;
  fake.failures = {500, 500, 500};
  auto strict = kb::MakeEmbeddingsClient(settings, *http, db.pool());
  CHECK_THROWS_WITH(strict->Embed({"price"}), "embeddings endpoint answered HTTP 500 after 2 attempts");
  fake.failures = {};
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
  const auto requests = fake.server.requests().size();
  report = kb::Ingest(db.pool(), business, {}, options, environment);
  CHECK(report.unchanged == 3);
  CHECK(fake.server.requests().size() == requests);  // re-ingest never re-embeds

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
  fs::remove_all(dir);
}
