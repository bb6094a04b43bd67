// The offline responder. See offline.hpp.
#include "core/chat/offline.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "core/common/text.hpp"
#include "core/kb/analyzer.hpp"

namespace omni::chat {
namespace {

constexpr std::size_t kMaxExcerptChars = 600;

std::set<std::string> Terms(std::string_view text) {
  const auto terms = kb::Analyze(text);
  return {terms.begin(), terms.end()};
}

std::string TrimRight(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Cuts `text` to about `max` bytes at the last sentence end, else the last
// space, never inside a UTF-8 sequence.
std::string Cut(const std::string& text, std::size_t max) {
  const std::string trimmed = TrimRight(text);
  if (trimmed.size() <= max) return trimmed;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(trimmed[cut]) & 0xC0) == 0x80) --cut;
  const std::string head = trimmed.substr(0, cut);
  const auto sentence = head.find_last_of(".!?\n");
  if (sentence != std::string::npos && sentence > max / 2) return head.substr(0, sentence + 1);
  const auto space = head.find_last_of(' ');
  return (space != std::string::npos && space > max / 2 ? head.substr(0, space) : head) + "…";
}

// A passage as a reader takes it in: headings, and under each the
// sentences and table rows that can be quoted. The knowledge text is
// extracted Markdown (kb/extract): a heading is a paragraph of its own, a
// table row holds its cells apart by runs of spaces, and a sentence may be
// wrapped over several lines.
struct Unit {
  std::size_t section = 0;  // index of the heading it sits under
  std::size_t block = 0;    // paragraph or table it belongs to
  bool item = false;        // a table row, quoted as a list item
  std::string text;         // reflowed onto one line
  std::set<std::string> terms;  // the query terms it holds
};

struct Outline {
  std::vector<std::set<std::string>> heading_terms;  // per section; [0]: before any heading
  std::vector<Unit> units;
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(TrimRight(text.substr(start, end == std::string::npos ? std::string::npos : end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

// The cells of a table row: text parted by runs of two or more spaces.
std::vector<std::string> Cells(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    std::size_t end = line.find("  ", i);
    if (end == std::string::npos) end = line.size();
    cells.push_back(line.substr(i, end - i));
    i = end;
  }
  return cells;
}

bool EndsSentence(const std::string& text) {
  return !text.empty() && (text.back() == '.' || text.back() == '!' || text.back() == '?' || text.back() == ':' ||
                           text.back() == ')');
}

// A short paragraph of one line that is not a sentence, or a question (a
// FAQ's), heads what follows it.
bool IsHeading(const std::vector<std::string>& block) {
  if (block.size() != 1 || block[0].size() > 120) return false;
  const std::string& line = block[0];
  return !EndsSentence(line) || line.back() == '?';
}

// Sentences of a reflowed paragraph: a break after . ! or ? before a
// capital letter, a digit or a quote, so "e.g. a trim" stays whole.
std::vector<std::string> Sentences(const std::string& paragraph) {
  std::vector<std::string> sentences;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 2 < paragraph.size(); ++i) {
    const char c = paragraph[i];
    const unsigned char next = static_cast<unsigned char>(paragraph[i + 2]);
    if ((c == '.' || c == '!' || c == '?') && paragraph[i + 1] == ' ' &&
        (std::isupper(next) || std::isdigit(next) || next == '"' || next == '\'' || next >= 0x80)) {
      sentences.push_back(paragraph.substr(start, i + 1 - start));
      start = i + 2;
    }
  }
  if (start < paragraph.size()) sentences.push_back(paragraph.substr(start));
  return sentences;
}

Outline MakeOutline(const std::string& text, const std::set<std::string>& query) {
  Outline outline;
  outline.heading_terms.emplace_back();
  const auto query_terms_of = [&](const std::string& piece) {
    std::set<std::string> found;
    for (const auto& term : Terms(piece)) {
      if (query.count(term)) found.insert(term);
    }
    return found;
  };
  std::vector<std::vector<std::string>> blocks(1);
  for (auto& line : SplitLines(text)) {
    if (Trim(line).empty()) {
      if (!blocks.back().empty()) blocks.emplace_back();
    } else {
      blocks.back().push_back(std::move(line));
    }
  }
  if (blocks.back().empty()) blocks.pop_back();
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const auto& block = blocks[b];
    if (IsHeading(block) && b + 1 < blocks.size()) {
      outline.heading_terms.push_back(query_terms_of(block[0]));
      continue;
    }
    const std::size_t section = outline.heading_terms.size() - 1;
    const bool table = block.size() >= 2 && std::all_of(block.begin(), block.end(), [](const std::string& line) {
                         return Cells(line).size() >= 2;
                       });
    if (table) {
      // The first row names the columns; each other row becomes "name: value, value".
      for (std::size_t r = 1; r < block.size(); ++r) {
        const auto cells = Cells(block[r]);
        std::string item = cells[0] + ":";
        for (std::size_t c = 1; c < cells.size(); ++c) item += (c == 1 ? " " : ", ") + cells[c];
        outline.units.push_back({section, b, true, item, query_terms_of(item)});
      }
      continue;
    }
    std::string paragraph;
    for (const auto& line : block) paragraph += (paragraph.empty() ? "" : " ") + Trim(line);
    for (auto& sentence : Sentences(paragraph)) {
      auto terms = query_terms_of(sentence);
      outline.units.push_back({section, b, false, std::move(sentence), std::move(terms)});
    }
  }
  // A chunk may begin or end inside a sentence (chunks overlap): such a
  // fragment is no quote.
  auto& units = outline.units;
  if (units.size() > 1 && !units.front().item && std::islower(static_cast<unsigned char>(units.front().text[0]))) {
    units.erase(units.begin());
  }
  if (units.size() > 1 && !units.back().item && !EndsSentence(units.back().text)) units.pop_back();
  return outline;
}

// Paragraphs as sentences joined by spaces, table rows as "- " lines.
std::string Render(const std::vector<Unit>& units, std::size_t first, std::size_t last) {
  std::string out;
  for (std::size_t i = first; i <= last; ++i) {
    const Unit& unit = units[i];
    if (i > first) {
      const Unit& previous = units[i - 1];
      out += previous.block != unit.block ? "\n\n" : unit.item ? "\n" : " ";
    }
    out += (unit.item ? "- " : "") + unit.text;
  }
  return out;
}

struct Quote {
  std::string text;
  std::set<std::string> covered;  // query terms in the quote and its heading
};

// The part of a passage worth quoting: the section (under one heading) that
// holds the most query terms, whole when it fits in `max` bytes, else its
// earliest run of sentences and rows that fits and holds the most, starting
// at one that holds a term. So "Can I bring my kids?" quotes the answer
// under that question, reflowed, and a question about blowouts quotes the
// blowout row of a price table.
Quote Excerpt(const std::string& text, const std::set<std::string>& query, std::size_t max) {
  const Outline outline = MakeOutline(text, query);
  const auto& units = outline.units;
  if (units.empty()) return {Cut(text, max), {}};
  std::vector<std::set<std::string>> section_terms = outline.heading_terms;
  for (const auto& unit : units) section_terms[unit.section].insert(unit.terms.begin(), unit.terms.end());
  std::size_t best_section = units.front().section;
  for (const auto& unit : units) {
    if (section_terms[unit.section].size() > section_terms[best_section].size()) best_section = unit.section;
  }
  std::size_t first = 0;
  while (units[first].section != best_section) ++first;
  std::size_t last = first;
  while (last + 1 < units.size() && units[last + 1].section == best_section) ++last;
  const std::set<std::string>& heading = outline.heading_terms[best_section];
  if (Render(units, first, last).size() > max) {
    std::size_t best_first = first;
    std::size_t best_last = first;
    int best_cover = -1;
    for (std::size_t begin = first; begin <= last; ++begin) {
      if (units[begin].terms.empty() && best_cover >= 0) continue;
      std::set<std::string> covered = heading;
      std::size_t end = begin;
      for (std::size_t i = begin; i <= last && Render(units, begin, i).size() <= max; ++i) {
        covered.insert(units[i].terms.begin(), units[i].terms.end());
        end = i;
      }
      if (static_cast<int>(covered.size()) > best_cover) {
        best_cover = static_cast<int>(covered.size());
        best_first = begin;
        best_last = end;
      }
    }
    // The window ran on as far as it fits: trailing paragraphs that hold no
    // term go.
    while (best_last > best_first && units[best_last].terms.empty() &&
           units[best_last].block != units[best_first].block) {
      const std::size_t block = units[best_last].block;
      bool any = false;
      std::size_t start = best_last;
      while (start > best_first && units[start - 1].block == block) --start;
      for (std::size_t i = start; i <= best_last; ++i) any = any || !units[i].terms.empty();
      if (any || start == best_first) break;
      best_last = start - 1;
    }
    first = best_first;
    last = best_last;
  }
  std::set<std::string> covered = heading;
  for (std::size_t i = first; i <= last; ++i) covered.insert(units[i].terms.begin(), units[i].terms.end());
  return {Cut(Render(units, first, last), max), covered};
}

}  // namespace

MatchStrength Measure(const std::string& message, const Passage& passage) {
  MatchStrength strength;
  const auto distinct = Terms(message);
  strength.query_terms = distinct.size();
  if (distinct.empty()) return strength;
  const auto present = Terms(passage.title + "\n" + passage.text);
  for (const auto& term : distinct) strength.matched_terms += present.count(term);
  strength.coverage = static_cast<double>(strength.matched_terms) / static_cast<double>(distinct.size());
  strength.score_per_term = passage.score / static_cast<double>(distinct.size());
  strength.clear = strength.matched_terms >= std::min<std::size_t>(kMinMatchedTerms, distinct.size()) &&
                   strength.coverage >= kMinCoverage && strength.score_per_term >= kMinScorePerTerm;
  return strength;
}

OfflineReply OfflineAnswer(const std::string& message, const std::vector<Passage>& candidates, OfflineReason reason) {
  OfflineReply reply;
  const std::string opening = reason == OfflineReason::kModelFailed
                                  ? "Sorry, I can't give a full answer right now. "
                                  : "";
  const auto query = Terms(message);
  for (const auto& passage : candidates) {
    if (!Measure(message, passage).clear) continue;
    // The quote itself must answer: a passage that matches only across
    // its sections (the "bring" of "Can I bring my kids?" for "Can I bring
    // my dog?") is no answer.
    Quote quote = Excerpt(passage.text, query, kMaxExcerptChars);
    for (const auto& term : Terms(passage.title)) {
      if (query.count(term)) quote.covered.insert(term);
    }
    if (quote.covered.size() < std::min<std::size_t>(kMinMatchedTerms, query.size()) ||
        static_cast<double>(quote.covered.size()) < kMinCoverage * static_cast<double>(query.size())) {
      continue;
    }
    reply.citation = passage;
    // The [1] marker points at the citation, which every channel shows as
    // it does a model's: the source (a file path, say) is not for the text.
    reply.text = opening + "Here is what our information says:\n\n" + quote.text +
                 " [1]\n\nIf you need more, or want to book or change an appointment, a team member can help.";
    return reply;
  }
  reply.handoff = true;
  reply.text = opening +
               "I couldn't find a clear answer to that in our information, and I'd rather not guess. I've passed "
               "your message to the team: a team member will follow up here as soon as possible.";
  return reply;
}

}  // namespace omni::chat
