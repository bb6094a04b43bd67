// The offline responder. See offline.hpp.
#include "core/chat/offline.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

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

// Where the passage may be cut: after each line, and after each sentence of
// a line too long to quote whole. A line break followed by a lower-case
// letter wraps a sentence (as Markdown sources do) and is no place to cut.
std::vector<std::size_t> SpanEnds(const std::string& text, std::size_t max) {
  std::vector<std::size_t> ends;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    while (line_end != std::string::npos && line_end + 1 < text.size() &&
           std::islower(static_cast<unsigned char>(text[line_end + 1]))) {
      line_end = text.find('\n', line_end + 1);
    }
    line_end = line_end == std::string::npos ? text.size() : line_end + 1;
    if (line_end - line_start > max / 2) {
      for (std::size_t i = line_start; i + 1 < line_end; ++i) {
        if ((text[i] == '.' || text[i] == '!' || text[i] == '?') && text[i + 1] == ' ') ends.push_back(i + 2);
      }
    }
    ends.push_back(line_end);
    line_start = line_end;
  }
  return ends;
}

// The part of a long passage worth quoting: the earliest run of whole lines
// (or sentences) within `max` bytes that holds the most query terms, so a
// question about blowouts quotes the blowout line of a long price list, not
// its first 600 bytes.
std::string Excerpt(const std::string& text, const std::set<std::string>& query, std::size_t max) {
  const std::string trimmed = TrimRight(text);
  if (trimmed.size() <= max) return trimmed;
  const auto ends = SpanEnds(trimmed, max);
  std::vector<std::set<std::string>> span_terms;
  std::size_t begin = 0;
  for (const auto end : ends) {
    std::set<std::string> found;
    for (const auto& term : Terms(std::string_view(trimmed).substr(begin, end - begin))) {
      if (query.count(term)) found.insert(term);
    }
    span_terms.push_back(std::move(found));
    begin = end;
  }
  std::size_t best_begin = 0;
  std::size_t best_end = 0;
  int best_cover = -1;
  for (std::size_t first = 0; first < ends.size(); ++first) {
    const std::size_t window_begin = first == 0 ? 0 : ends[first - 1];
    std::set<std::string> covered;
    std::size_t window_end = window_begin;
    for (std::size_t last = first; last < ends.size() && ends[last] - window_begin <= max; ++last) {
      covered.insert(span_terms[last].begin(), span_terms[last].end());
      window_end = ends[last];
    }
    if (window_end == window_begin) continue;  // this span alone is too long
    if (static_cast<int>(covered.size()) > best_cover) {
      best_cover = static_cast<int>(covered.size());
      best_begin = window_begin;
      best_end = window_end;
    }
  }
  if (best_cover < 0) return Cut(trimmed, max);
  std::string excerpt = trimmed.substr(best_begin, best_end - best_begin);
  while (!excerpt.empty() && std::isspace(static_cast<unsigned char>(excerpt.front()))) excerpt.erase(0, 1);
  excerpt = TrimRight(std::move(excerpt));
  // The window ran on as far as it fits: its last paragraphs, when they
  // hold none of the terms (often the heading of the next section), go.
  for (auto gap = excerpt.rfind("\n\n"); gap != std::string::npos && gap > 0; gap = excerpt.rfind("\n\n")) {
    const auto tail = Terms(std::string_view(excerpt).substr(gap));
    if (std::any_of(tail.begin(), tail.end(), [&](const std::string& term) { return query.count(term) > 0; })) break;
    excerpt = TrimRight(excerpt.substr(0, gap));
  }
  return excerpt;
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
  strength.clear = strength.coverage >= kMinCoverage && strength.score_per_term >= kMinScorePerTerm;
  return strength;
}

OfflineReply OfflineAnswer(const std::string& message, const std::vector<Passage>& candidates, OfflineReason reason) {
  OfflineReply reply;
  const std::string opening = reason == OfflineReason::kModelFailed
                                  ? "Sorry, I can't give a full answer right now. "
                                  : "";
  for (const auto& passage : candidates) {
    if (!Measure(message, passage).clear) continue;
    reply.citation = passage;
    // The [1] marker points at the citation, which every channel shows as
    // it does a model's: the source (a file path, say) is not for the text.
    reply.text = opening + "Here is what our information says:\n\n" +
                 Excerpt(passage.text, Terms(message), kMaxExcerptChars) +
                 " [1]\n\nIf you need more, or want to book or change an appointment, a team member can help.";
    return reply;
  }
  reply.handoff = true;
  reply.text = opening +
               "Thanks for your message. I can't answer this one myself, so I've passed it to the team: a team "
               "member will follow up here as soon as possible.";
  return reply;
}

}  // namespace omni::chat
