// Sentence and paragraph aware chunking with overlap.
#include "core/kb/chunker.hpp"

#include <algorithm>

#include "core/common/utf8.hpp"

namespace omni::kb {
namespace {

struct Unit {
  std::size_t begin = 0;  // bytes
  std::size_t end = 0;
  std::size_t char_begin = 0;
  std::size_t char_end = 0;
  bool starts_paragraph = false;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsCloser(char c) { return c == '"' || c == '\'' || c == ')' || c == ']'; }

// Sentences as trimmed byte ranges, each flagged when a blank line precedes it.
std::vector<Unit> Sentences(std::string_view text) {
  std::vector<Unit> units;
  bool paragraph_pending = true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Skip white space, noting a blank line (two newlines).
    int newlines = 0;
    while (pos < text.size() && IsSpace(text[pos])) {
      if (text[pos] == '\n') ++newlines;
      ++pos;
    }
    if (pos >= text.size()) break;
    if (newlines >= 2) paragraph_pending = true;
    const std::size_t begin = pos;
    std::size_t end = text.size();
    while (pos < text.size()) {
      const char c = text[pos];
      if (c == '\n' && pos + 1 < text.size()) {
        // A blank line ends the sentence too.
        std::size_t look = pos + 1;
        while (look < text.size() && text[look] != '\n' && IsSpace(text[look])) ++look;
        if (look < text.size() && text[look] == '\n') {
          end = pos;
          break;
        }
      }
      ++pos;
      if (c == '.' || c == '!' || c == '?') {
        while (pos < text.size() && IsCloser(text[pos])) ++pos;
        if (pos >= text.size() || IsSpace(text[pos])) {
          end = pos;
          break;
        }
      }
    }
    if (pos >= text.size()) end = text.size();
    while (end > begin && IsSpace(text[end - 1])) --end;
    units.push_back({begin, end, 0, 0, paragraph_pending});
    paragraph_pending = false;
    pos = std::max(pos, end);
  }
  return units;
}

// Cuts units longer than `size` code points at white space (or anywhere).
std::vector<Unit> SplitLong(std::string_view text, std::vector<Unit> units, std::size_t size) {
  std::vector<Unit> out;
  for (const Unit& unit : units) {
    std::size_t begin = unit.begin;
    bool first = true;
    while (begin < unit.end) {
      // Walk `size` code points forward, remembering the last space.
      std::size_t pos = begin;
      std::size_t chars = 0;
      std::size_t last_space = 0;
      while (pos < unit.end && chars < size) {
        if (IsSpace(text[pos])) last_space = pos;
        ++pos;
        while (pos < unit.end && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
        ++chars;
      }
      std::size_t end = pos;
      std::size_t next = pos;
      if (pos < unit.end && !IsSpace(text[pos]) && last_space > begin) {
        end = last_space;
        next = last_space;
      }
      while (end > begin && IsSpace(text[end - 1])) --end;
      out.push_back({begin, end, 0, 0, first && unit.starts_paragraph});
      first = false;
      while (next < unit.end && IsSpace(text[next])) ++next;
      begin = next;
    }
  }
  return out;
}

}  // namespace

std::vector<ChunkSpan> ChunkText(std::string_view text, std::size_t size_chars,
                                 std::size_t overlap_chars) {
  const std::size_t size = std::max<std::size_t>(size_chars, 1);
  const std::size_t overlap = std::min(overlap_chars, size / 2);
  std::vector<Unit> units = SplitLong(text, Sentences(text), size);

  // Code-point offsets of every unit, in one pass.
  std::size_t byte_cursor = 0;
  std::size_t char_cursor = 0;
  const auto chars_at = [&](std::size_t byte) {
    char_cursor += CountChars(text.substr(byte_cursor, byte - byte_cursor));
    byte_cursor = byte;
    return char_cursor;
  };
  for (Unit& unit : units) {
    unit.char_begin = chars_at(unit.begin);
    unit.char_end = chars_at(unit.end);
  }

  std::vector<ChunkSpan> chunks;
  std::size_t first = 0;
  while (first < units.size()) {
    std::size_t last = first;
    while (last + 1 < units.size()) {
      const Unit& next = units[last + 1];
      const std::size_t length = units[last].char_end - units[first].char_begin;
      if (next.char_end - units[first].char_begin > size) break;
      if (next.starts_paragraph && length * 2 >= size) break;
      ++last;
    }
    chunks.push_back({units[first].begin, units[last].end, units[first].char_begin,
                      units[last].char_end});
    if (last + 1 >= units.size()) break;
    // The next chunk repeats the trailing sentences that fit in `overlap`.
    std::size_t next_first = last + 1;
    while (next_first - 1 > first &&
           units[last].char_end - units[next_first - 1].char_begin <= overlap) {
      --next_first;
    }
    // Drop overlap that would leave no room for the next new sentence.
    while (next_first <= last && units[last + 1].char_end - units[next_first].char_begin > size) {
      ++next_first;
    }
    first = next_first;
  }
  return chunks;
}

}  // namespace omni::kb
