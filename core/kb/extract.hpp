// Text extraction for ingest: the formats a knowledge document may come in,
// and their conversion to plain UTF-8 text with a title.
//
//   text      as it is
//   markdown  headings, emphasis, code fences and link targets stripped;
//             the first `# heading` is the title
//   html      parsed with gumbo (a full HTML5 parser); script, style, nav,
//             noscript, template, svg and iframe content dropped; block
//             elements become paragraph breaks; <title> (else the first
//             <h1>) is the title. Nesting deeper than 512 levels is refused
//             before parsing, and the parse is bounded in memory and CPU
//             time (kb/detail/html_parse.hpp), so a hostile page costs time
//             linear in its size
//   pdf       the text of every page through poppler's C++ API; the PDF's
//             Title entry is the title
//   csv       RFC 4180 with a header row; one document per row
//   jsonl     one JSON object per line; one document per line
// Thread-safe: pure functions (poppler's error output is silenced once).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omni::kb {

enum class Format { kText, kMarkdown, kHtml, kPdf, kCsv, kJsonl };

// "text", "markdown", "html", "pdf", "csv", "jsonl".
const char* FormatName(Format format);

// The format for a file name or URL path by its extension (.txt .text .md
// .markdown .html .htm .xhtml .pdf .csv .jsonl .ndjson), else from a MIME
// content type when given, else from the content: "%PDF-" is pdf, a leading
// <!doctype html> or <html is html, anything else text.
Format DetectFormat(std::string_view name, std::string_view bytes,
                    std::string_view content_type = {});

// Which fields of a CSV or JSONL record hold what. Empty means the
// defaults: title "title"; text "text", else "content", else "body"; id
// "_id", else "id", else the row number (1-based, header excluded).
struct RecordFields {
  std::string title;
  std::string text;
  std::string id;
};

struct ExtractedDocument {
  std::string record_id;  // empty for a whole-file document
  std::string title;      // may be empty: the caller then names it
  std::string text;       // UTF-8, never empty
};

struct Extraction {
  std::vector<ExtractedDocument> documents;
  // Per-record problems in a CSV or JSONL file ("line 7: empty text"); the
  // other records are still extracted.
  std::vector<std::string> record_errors;
};

// Extracts the documents of `bytes` in `format`. Throws InvalidInput with a
// message for the whole input: "looks binary" (a NUL byte in a text
// format), "is not valid UTF-8 (at byte N)", "is empty" (no text at all),
// "is not a readable PDF", "has no extractable text", "has HTML nested
// deeper than 512 levels", "has HTML too complex to parse (...)", or, for
// records, a missing text field (naming the fields that exist).
Extraction Extract(Format format, std::string_view bytes, const RecordFields& fields = {});

}  // namespace omni::kb
