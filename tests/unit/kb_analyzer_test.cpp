// The kb analyzer: tokens, stopwords and Snowball English stems.
#include <catch2/catch.hpp>

#include "core/common/utf8.hpp"
#include "core/kb/analyzer.hpp"

namespace kb = omni::kb;
using Strings = std::vector<std::string>;

TEST_CASE("tokens are lower-cased runs of letters and digits", "[kb]") {
  CHECK(kb::Tokenize("Do you do Balayage? IL-6, don't!") ==
        Strings{"do", "you", "do", "balayage", "il", "6", "don", "t"});
  CHECK(kb::Tokenize("").empty());
  CHECK(kb::Tokenize(" ,.;-- ").empty());
  CHECK(kb::Tokenize("a1b2 3.14") == Strings{"a1b2", "3", "14"});
}

TEST_CASE("non-ASCII letters are lower-cased and punctuation splits", "[kb]") {
  CHECK(kb::Tokenize("CAFÉ Über ΑΒΓ ДОМ Łódź") ==
        Strings{"café", "über", "αβγ", "дом", "łódź"});
  CHECK(kb::Tokenize("TNF–α\xE2\x80\x94" "beta") == Strings{"tnf", "α", "beta"});
  CHECK(kb::Tokenize("a\xC2\xA0" "b") == Strings{"a", "b"});  // no-break space
}

TEST_CASE("invalid UTF-8 bytes separate tokens", "[kb]") {
  CHECK(kb::Tokenize("abc\xFF" "def\xC3") == Strings{"abc", "def"});
  CHECK_FALSE(omni::IsValidUtf8("abc\xFF"));
  CHECK_FALSE(omni::IsValidUtf8("\xC0\x80"));  // overlong NUL
  CHECK_FALSE(omni::IsValidUtf8("\xED\xA0\x80"));  // surrogate
  CHECK(omni::IsValidUtf8("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  CHECK(omni::FindInvalidUtf8("h\xC3\xA9llo \xE9t\xE9") == 7);
  CHECK(omni::FindInvalidUtf8("h\xC3\xA9llo") == std::string_view::npos);
}

TEST_CASE("tokens longer than the limit are dropped", "[kb]") {
  const std::string junk(kb::kMaxTokenBytes + 1, 'x');
  CHECK(kb::Tokenize("keep " + junk + " this") == Strings{"keep", "this"});
  const std::string longest(kb::kMaxTokenBytes, 'y');
  CHECK(kb::Tokenize(longest) == Strings{longest});
}

TEST_CASE("the stopwords are PostgreSQL's english.stop", "[kb]") {
  for (const char* word : {"i", "the", "and", "ourselves", "don", "t", "s", "now", "should", "can"}) {
    CHECK(kb::IsStopword(word));
  }
  for (const char* word : {"balayage", "hair", "yes", "would", "could", "also"}) {
    CHECK_FALSE(kb::IsStopword(word));
  }
}

TEST_CASE("stems are Snowball English (Porter2)", "[kb]") {
  CHECK(kb::Stem("running") == "run");
  CHECK(kb::Stem("generalization") == "general");
  CHECK(kb::Stem("cells") == "cell");
  CHECK(kb::Stem("happily") == "happili");
  CHECK(kb::Stem("consistency") == "consist");
  CHECK(kb::Stem("caresses") == "caress");
  CHECK(kb::Stem("ponies") == "poni");
  CHECK(kb::Stem("coloring") == "color");
  CHECK(kb::Stem("relational") == "relat");
  CHECK(kb::Stem("women") == "women");
}

TEST_CASE("analysis drops stopwords and stems the rest", "[kb]") {
  CHECK(kb::Analyze("Do you do balayage?") == Strings{"balayag"});
  CHECK(kb::Analyze("What are your opening hours on Sundays?") ==
        Strings{"open", "hour", "sunday"});
  CHECK(kb::Analyze("the and of to").empty());
  CHECK(kb::Analyze("").empty());
}
