// Chunking of a document's text into overlapping passages for retrieval.
//
// The text is cut into sentences (after . ! ? and any closing quotes or
// brackets, before white space) inside paragraphs (blank lines). Sentences
// are packed greedily into chunks of at most `size_chars` code points; a
// chunk that is at least half full also ends at a paragraph break. A
// sentence longer than a chunk is cut at white space (or anywhere, as a
// last resort). Each next chunk starts with the previous chunk's trailing
// sentences that fit in `overlap_chars`, so a fact near a boundary stays
// whole in one chunk. Leading and trailing white space is never part of a
// chunk. Deterministic; thread-safe (pure).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace omni::kb {

struct ChunkSpan {
  std::size_t byte_begin = 0;  // into the UTF-8 text; text.substr(begin, end - begin)
  std::size_t byte_end = 0;
  std::size_t char_begin = 0;  // the same span in code points, for citations
  std::size_t char_end = 0;
};

// The chunks of `text`, in order. Empty or all-white-space text gives none.
// `size_chars` below 1 is taken as 1; `overlap_chars` is capped at half the
// size, so chunks always advance.
std::vector<ChunkSpan> ChunkText(std::string_view text, std::size_t size_chars,
                                 std::size_t overlap_chars);

}  // namespace omni::kb
