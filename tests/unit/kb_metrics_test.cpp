// Retrieval metrics against hand-computed values, and BEIR file parsing.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/common/error.hpp"
#include "core/kb/metrics.hpp"

namespace kb = omni::kb;
using Strings = std::vector<std::string>;

TEST_CASE("nDCG@k uses binary gain and a log2 discount", "[kb]") {
  const std::set<std::string> relevant = {"a", "b"};
  CHECK(kb::NdcgAt({"a", "b", "c"}, relevant, 10) == Approx(1.0));
  // Relevant at ranks 2 and 3: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3)
  //   = (0.6309298 + 0.5) / 1.6309298 = 0.6934264
  CHECK(kb::NdcgAt({"x", "a", "b"}, relevant, 10) == Approx(0.6934264));
  // Only "b" at rank 1 of one relevant: 1.
  CHECK(kb::NdcgAt({"b"}, {"b"}, 10) == Approx(1.0));
  // Cut at k: relevant at rank 3 is outside k = 2.
  CHECK(kb::NdcgAt({"x", "y", "a"}, relevant, 2) == 0);
  CHECK(kb::NdcgAt({}, relevant, 10) == 0);
  CHECK(kb::NdcgAt({"a"}, {}, 10) == 0);
  // Ideal DCG is limited to k: 3 relevant, k = 1, first is relevant.
  CHECK(kb::NdcgAt({"a"}, {"a", "b", "c"}, 1) == Approx(1.0));
}

TEST_CASE("recall and reciprocal rank", "[kb]") {
  const std::set<std::string> relevant = {"a", "b", "c", "d"};
  CHECK(kb::RecallAt({"a", "x", "c"}, relevant, 100) == Approx(0.5));
  CHECK(kb::RecallAt({"a", "x", "c"}, relevant, 2) == Approx(0.25));
  CHECK(kb::RecallAt({}, relevant, 100) == 0);
  CHECK(kb::ReciprocalRankAt({"x", "y", "c"}, relevant, 10) == Approx(1.0 / 3));
  CHECK(kb::ReciprocalRankAt({"x", "y", "c"}, relevant, 2) == 0);
  CHECK(kb::ReciprocalRankAt({"d"}, relevant, 10) == 1);
}

TEST_CASE("percentiles use the nearest rank", "[kb]") {
  CHECK(kb::Percentile({}, 50) == 0);
  CHECK(kb::Percentile({5}, 95) == 5);
  CHECK(kb::Percentile({4, 1, 3, 2}, 50) == 2);
  CHECK(kb::Percentile({4, 1, 3, 2}, 51) == 3);
  CHECK(kb::Percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 95) == 19);
  CHECK(kb::Percentile({1, 2, 3}, 100) == 3);
  CHECK(kb::Percentile({1, 2, 3}, 0) == 1);
}

TEST_CASE("BEIR qrels parse with a header, and non-positive scores are not relevant", "[kb]") {
  const auto qrels = kb::ParseQrels("query-id\tcorpus-id\tscore\n1\t10\t1\n1\t11\t1\r\n2\t20\t0\n", "q.tsv");
  REQUIRE(qrels.size() == 2);
  CHECK(qrels.at("1") == std::set<std::string>{"10", "11"});
  CHECK(qrels.at("2").empty());
  CHECK(kb::ParseQrels("7\t0\td1\t1\n", "trec").at("7") == std::set<std::string>{"d1"});
  CHECK_THROWS_AS(kb::ParseQrels("h\th\th\n1\t2\n", "bad.tsv"), omni::InvalidInput);
  CHECK_THROWS_WITH(kb::ParseQrels("h\th\th\n1\t2\tx\n", "bad.tsv"),
                    Catch::Contains("bad.tsv:2"));
}

TEST_CASE("BEIR queries parse and malformed lines name the line", "[kb]") {
  const auto queries = kb::ParseQueries(
      "{\"_id\": \"1\", \"text\": \"first claim\", \"metadata\": {}}\n\n{\"_id\": 2, \"text\": \"second\"}\n",
      "queries.jsonl");
  REQUIRE(queries.size() == 2);
  CHECK(queries.at("1") == "first claim");
  CHECK(queries.at("2") == "second");
  CHECK_THROWS_WITH(kb::ParseQueries("{\"_id\": \"1\"}\n", "queries.jsonl"),
                    Catch::Contains("queries.jsonl:1"));
  CHECK_THROWS_AS(kb::ParseQueries("not json\n", "q"), omni::InvalidInput);
}
