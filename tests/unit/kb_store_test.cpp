// The kb's stored forms (term vectors, arrays, vectors, hashes) and snippets.
#include <catch2/catch.hpp>

#include "core/kb/detail/store.hpp"
#include "core/kb/embeddings.hpp"
#include "core/kb/retriever.hpp"

namespace kb = omni::kb;
namespace detail = omni::kb::detail;

TEST_CASE("term vectors round-trip through their stored text", "[kb]") {
  const std::string stored = detail::SerializeTerms({"hair", "colour", "hair", "balayag"});
  CHECK(stored == "balayag:1 colour:1 hair:2");
  std::vector<std::pair<std::string_view, std::uint32_t>> terms;
  detail::ParseTerms(stored, terms);
  REQUIRE(terms.size() == 3);
  CHECK(terms[2].first == "hair");
  CHECK(terms[2].second == 2);
  detail::ParseTerms("ok:3 bad missing: :4 x:y", terms);
  REQUIRE(terms.size() == 1);
  CHECK(terms[0].first == "ok");
  detail::ParseTerms("", terms);
  CHECK(terms.empty());
}

TEST_CASE("text arrays are quoted and escaped both ways", "[kb]") {
  const std::vector<std::string> tags = {"plain", "with space", "quo\"te", "back\\slash", ""};
  CHECK(detail::ArrayLiteral(tags) == R"({"plain","with space","quo\"te","back\\slash",""})");
  CHECK(detail::ParseArrayLiteral(R"({plain,"with space","quo\"te","back\\slash",""})") == tags);
  CHECK(detail::ParseArrayLiteral("{}").empty());
  CHECK(detail::ArrayLiteral({}) == "{}");
}

TEST_CASE("vectors round-trip, and normalising gives unit length", "[kb]") {
  std::vector<float> vector = {3, 4};
  kb::Normalize(vector);
  CHECK(vector[0] == Approx(0.6));
  CHECK(vector[1] == Approx(0.8));
  CHECK(detail::ParseVectorLiteral(detail::VectorLiteral(vector)) == vector);
  CHECK(detail::ParseVectorLiteral("{1,2.5,-3e-2}") == std::vector<float>{1, 2.5f, -0.03f});
  CHECK(detail::ParseVectorLiteral("{1,x}").empty());
  std::vector<float> zero = {0, 0};
  kb::Normalize(zero);
  CHECK(zero == std::vector<float>{0, 0});
}

TEST_CASE("hashes separate their parts and uuids are version 4", "[kb]") {
  CHECK(detail::Sha256Hex({"ab", "c"}) != detail::Sha256Hex({"a", "bc"}));
  CHECK(detail::Sha256Hex({"x"}).size() == 64);
  const std::string uuid = detail::NewUuid();
  REQUIRE(uuid.size() == 36);
  CHECK(uuid[14] == '4');
  CHECK(std::string("89ab").find(uuid[19]) != std::string::npos);
  CHECK(detail::NewUuid() != uuid);
}

TEST_CASE("snippets centre on the first matching word and cut at word boundaries", "[kb]") {
  const std::string text =
      "Welcome to our salon.\nWe have been styling hair since 1990 in the old town, next to the "
      "bakery. Balayage appointments take about three hours and need a consultation first.";
  const std::string snippet = kb::Snippet(text, "do you do balayage?", 60);
  CHECK(snippet.rfind("…", 0) == 0);
  CHECK(snippet.find("Balayage appointments") != std::string::npos);
  CHECK(snippet.substr(snippet.size() - 3) == "…");
  CHECK(kb::Snippet("Short  text\n\nhere.", "zzz", 100) == "Short text here.");
  CHECK(kb::Snippet("one two three four", "nothing", 9) == "one two…");
}
