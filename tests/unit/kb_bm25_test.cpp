// BM25 scores and ranking on a corpus small enough to compute by hand.
#include <catch2/catch.hpp>

#include "core/kb/analyzer.hpp"
#include "core/kb/bm25.hpp"

namespace kb = omni::kb;
using Strings = std::vector<std::string>;

namespace {

// c0 "cat cat dog" (len 3), c1 "cat fish" (len 2), c2 "bird" (len 1):
// N = 3, avglen = 2; with k1 0.9 and b 0.4 the length norms are
// 0.9 * (0.6 + 0.4 * len / 2) = 1.08, 0.90, 0.72.
// idf(cat) = ln(1 + 1.5 / 2.5) = ln 1.6 = 0.4700036
// idf(dog) = ln(1 + 2.5 / 1.5) = ln 2.6667 = 0.9808293
kb::Bm25Index SmallIndex() {
  kb::Bm25Index::Builder builder;
  builder.AddTerms(0, {"cat", "cat", "dog"});
  builder.AddTerms(1, {"cat", "fish"});
  builder.AddTerms(2, {"bird"});
  return std::move(builder).Build({0.9, 0.4});
}

}  // namespace

TEST_CASE("idf is Lucene's and never negative", "[kb]") {
  const auto index = SmallIndex();
  CHECK(index.chunk_count() == 3);
  CHECK(index.average_length() == Approx(2.0));
  CHECK(index.Idf("cat") == Approx(0.4700036));
  CHECK(index.Idf("dog") == Approx(0.9808293));
  CHECK(index.Idf("unknown") == 0);
  kb::Bm25Index::Builder builder;
  builder.AddTerms(0, {"x"});
  builder.AddTerms(1, {"x"});
  const auto everywhere = std::move(builder).Build({});
  CHECK(everywhere.Idf("x") == Approx(std::log(1 + 0.5 / 2.5)));
  CHECK(everywhere.Idf("x") > 0);
}

TEST_CASE("BM25 scores match the hand computation", "[kb]") {
  const auto index = SmallIndex();
  // cat: c0 = 0.4700036 * 2 / (2 + 1.08) = 0.3051971; c1 = 0.4700036 / 1.9 = 0.2473703
  auto hits = index.Search({"cat"}, 10);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].chunk == 0);
  CHECK(hits[0].score == Approx(0.3051971));
  CHECK(hits[1].chunk == 1);
  CHECK(hits[1].score == Approx(0.2473703));
  // dog cat: c0 = 0.3051971 + 0.9808293 / 2.08 = 0.7767496
  hits = index.Search({"dog", "cat"}, 10);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].chunk == 0);
  CHECK(hits[0].score == Approx(0.7767496));
  // A repeated query term counts twice: fish fish on c1 = 2 * 0.9808293 / 1.9.
  hits = index.Search({"fish", "fish"}, 10);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].score == Approx(1.0324519));
}

TEST_CASE("query terms are ORed and k caps the result", "[kb]") {
  const auto index = SmallIndex();
  auto hits = index.Search({"bird", "fish", "nothing"}, 10);
  REQUIRE(hits.size() == 2);
  // bird on c2: 0.9808293 * 1 / 1.72 = 0.5702496; fish on c1: 0.9808293 / 1.9 = 0.5162259
  CHECK(hits[0].chunk == 2);
  CHECK(hits[0].score == Approx(0.5702496));
  CHECK(hits[1].chunk == 1);
  CHECK(index.Search({"bird", "fish"}, 1).size() == 1);
  CHECK(index.Search({"cat"}, 0).empty());
}

TEST_CASE("no terms or unknown terms give an empty result", "[kb]") {
  const auto index = SmallIndex();
  CHECK(index.Search({}, 10).empty());
  CHECK(index.Search({"zebra"}, 10).empty());
  CHECK(kb::Bm25Index().Search({"cat"}, 10).empty());
}

TEST_CASE("ties break on the lower chunk position", "[kb]") {
  kb::Bm25Index::Builder builder;
  builder.AddTerms(0, {"same", "words"});
  builder.AddTerms(1, {"other", "thing"});
  builder.AddTerms(2, {"same", "words"});
  builder.AddTerms(3, {"same", "words"});
  const auto index = std::move(builder).Build({});
  const auto hits = index.Search({"same"}, 10);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].chunk == 0);
  CHECK(hits[1].chunk == 2);
  CHECK(hits[2].chunk == 3);
  CHECK(hits[0].score == hits[2].score);
}

TEST_CASE("filters exclude chunks and one_per_document keeps each best chunk", "[kb]") {
  kb::Bm25Index::Builder builder;
  builder.AddTerms(0, {"hair", "color"});          // chunk 0, document 0
  builder.AddTerms(0, {"hair", "hair", "color"});  // chunk 1, document 0
  builder.AddTerms(1, {"hair", "cut", "price"});   // chunk 2, document 1
  builder.AddTerms(2, {"nail"});                   // chunk 3, document 2
  const auto index = std::move(builder).Build({});
  auto hits = index.Search({"hair"}, 10);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].chunk == 1);
  hits = index.Search({"hair"}, 10, nullptr, true);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].chunk == 1);
  CHECK(hits[1].chunk == 2);
  const std::vector<char> allowed = {1, 0, 0, 1};
  hits = index.Search({"hair"}, 10, &allowed, true);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].chunk == 0);
}

TEST_CASE("analysis and ranking together: the matching passage wins", "[kb]") {
  const Strings passages = {
      "We offer balayage, highlights and full colour services.",
      "Our opening hours are Monday to Saturday, 9am to 6pm.",
      "Cancellations within 24 hours are charged half the price.",
  };
  kb::Bm25Index::Builder builder;
  for (std::uint32_t i = 0; i < passages.size(); ++i) builder.AddTerms(i, kb::Analyze(passages[i]));
  const auto index = std::move(builder).Build({});
  auto hits = index.Search(kb::Analyze("do you do balayage?"), 5);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].chunk == 0);
  hits = index.Search(kb::Analyze("When are you open? What hours?"), 5);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].chunk == 1);
  CHECK(index.Search(kb::Analyze("what is it?"), 5).empty());
}
