// Bounded HTML parsing for the extractor. gumbo, a faithful HTML5 parser,
// has no limits of its own: its tree builder scans the open elements for
// every tag, so deep nesting costs time quadratic in the depth (200,000
// nested <div> never finish), and formatting elements left open are rebuilt
// before every run of text (250 KB can ask for gigabytes). Two guards:
//   - before parsing, a linear scan estimates the nesting depth the way the
//     tree builder nests (void elements, raw text, comments, elements
//     closed by a sibling or by an ancestor's end tag) and refuses HTML
//     deeper than the limit;
//   - while parsing, every allocation of gumbo is counted against a memory
//     budget and the thread's CPU time against a deadline; past either the
//     parse is abandoned and all of its memory freed.
// Private to core/kb. Thread-safe: each parse owns its state.
#pragma once

#include <gumbo.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace omni::kb::detail {

struct HtmlLimits {
  std::size_t max_depth = 512;        // estimated nesting levels
  std::size_t max_parser_bytes = 0;   // gumbo's live memory
  std::int64_t max_parser_cpu_ms = 0; // CPU time of the parse
};

// The limits for `html_bytes` of HTML: depth 512 (Chromium's parser stops
// nesting there too), 64 MiB plus 64 bytes per input byte (dense real
// markup needs up to about 50), and 2 s plus 1 s per MiB of CPU (real pages
// parse at about 0.15 s per MiB).
HtmlLimits DefaultHtmlLimits(std::size_t html_bytes);

// The nesting depth of `html` as the HTML5 tree builder would build it,
// estimated in one pass; stops counting past `stop_above` and then returns
// stop_above + 1.
std::size_t EstimateHtmlDepth(std::string_view html, std::size_t stop_above);

// A parsed document; frees all of gumbo's memory when destroyed.
class ParsedHtml {
 public:
  struct Arena;
  explicit ParsedHtml(std::unique_ptr<Arena> arena);
  ~ParsedHtml();
  ParsedHtml(ParsedHtml&&) noexcept;
  ParsedHtml& operator=(ParsedHtml&&) = delete;

  const GumboNode* document() const;

 private:
  std::unique_ptr<Arena> arena_;
};

// Parses `html` (UTF-8) within `limits`. Throws InvalidInput "has HTML nested
// deeper than N levels" before parsing, or "has HTML too complex to parse
// (it needs more than N MiB)" / "(it takes more than N s)" during it.
ParsedHtml ParseHtml(std::string_view html, const HtmlLimits& limits);

}  // namespace omni::kb::detail
