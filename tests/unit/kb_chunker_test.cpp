// Chunking: sentence and paragraph boundaries, sizes, overlap and spans.
#include <catch2/catch.hpp>

#include "core/kb/chunker.hpp"

namespace kb = omni::kb;

namespace {

std::vector<std::string> Texts(std::string_view text, const std::vector<kb::ChunkSpan>& chunks) {
  std::vector<std::string> texts;
  for (const auto& chunk : chunks) {
    texts.emplace_back(text.substr(chunk.byte_begin, chunk.byte_end - chunk.byte_begin));
  }
  return texts;
}

}  // namespace

TEST_CASE("a short text is one chunk without surrounding white space", "[kb]") {
  const std::string text = "\n  Hello there. How are you?  \n";
  const auto chunks = kb::ChunkText(text, 100, 10);
  REQUIRE(chunks.size() == 1);
  CHECK(Texts(text, chunks)[0] == "Hello there. How are you?");
  CHECK(chunks[0].char_begin == 3);
  CHECK(chunks[0].char_end == 28);
}

TEST_CASE("empty and blank texts have no chunks", "[kb]") {
  CHECK(kb::ChunkText("", 100, 10).empty());
  CHECK(kb::ChunkText(" \n\t\n ", 100, 10).empty());
}

TEST_CASE("sentences are packed up to the size and overlap by whole sentences", "[kb]") {
  // Four sentences of 10 characters each, separated by one space.
  const std::string text = "Aaaa aaaa. Bbbb bbbb. Cccc cccc. Dddd dddd.";
  const auto chunks = kb::ChunkText(text, 21, 10);
  CHECK(Texts(text, chunks) ==
        std::vector<std::string>{"Aaaa aaaa. Bbbb bbbb.", "Bbbb bbbb. Cccc cccc.",
                                 "Cccc cccc. Dddd dddd."});
  CHECK(chunks[1].char_begin == 11);
  CHECK(chunks[1].char_end == 32);
  const auto no_overlap = kb::ChunkText(text, 21, 0);
  CHECK(Texts(text, no_overlap) ==
        std::vector<std::string>{"Aaaa aaaa. Bbbb bbbb.", "Cccc cccc. Dddd dddd."});
}

TEST_CASE("a half-full chunk ends at a paragraph break", "[kb]") {
  const std::string text = "First paragraph here.\n\nSecond one.\n \nThird.";
  const auto chunks = kb::ChunkText(text, 40, 0);
  CHECK(Texts(text, chunks) ==
        std::vector<std::string>{"First paragraph here.", "Second one.\n \nThird."});
}

TEST_CASE("a sentence longer than the size is cut at white space", "[kb]") {
  const std::string text = "one two three four five six seven";
  const auto chunks = kb::ChunkText(text, 10, 0);
  CHECK(Texts(text, chunks) ==
        std::vector<std::string>{"one two", "three four", "five six", "seven"});
  const std::string word(25, 'x');
  CHECK(Texts(word, kb::ChunkText(word, 10, 0)) ==
        std::vector<std::string>{std::string(10, 'x'), std::string(10, 'x'), std::string(5, 'x')});
}

TEST_CASE("sizes and spans count code points, not bytes", "[kb]") {
  const std::string text = "Été à Zürich. Ça va.";  // é, à, ü, Ç are 2 bytes each
  const auto chunks = kb::ChunkText(text, 13, 0);
  REQUIRE(chunks.size() == 2);
  CHECK(Texts(text, chunks)[0] == "Été à Zürich.");
  CHECK(chunks[0].char_end == 13);
  CHECK(chunks[0].byte_end == 17);
  CHECK(chunks[1].char_begin == 14);
  CHECK(chunks[1].char_end == 20);
}

TEST_CASE("chunks always advance and cover the whole text", "[kb]") {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += "Sentence number " + std::to_string(i) + " says something useful. ";
    if (i % 7 == 0) text += "\n\n";
  }
  for (const std::size_t size : {1, 5, 40, 300, 1200}) {
    const auto chunks = kb::ChunkText(text, size, 150);
    REQUIRE_FALSE(chunks.empty());
    CHECK(chunks.front().byte_begin == 0);
    std::size_t covered = 0;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      CHECK(chunks[i].char_end - chunks[i].char_begin <= size);
      CHECK(chunks[i].byte_begin <= covered);  // no gap of text is skipped
      if (i > 0) CHECK(chunks[i].byte_begin > chunks[i - 1].byte_begin);
      covered = std::max(covered, chunks[i].byte_end);
      while (covered < text.size() && (text[covered] == ' ' || text[covered] == '\n')) ++covered;
    }
    CHECK(covered == text.size());
  }
}
