// Ingest: turning files, directories, stdin and URLs into knowledge
// documents and chunks, incrementally and crash-safely.
//
// Each input yields documents (one per file or URL; one per record of a CSV
// or JSONL file). A document's identity is its external id: the absolute
// path or URL, "<that>#<record id>" for records, "stdin" for `-`. Its
// content hash covers the text, title, type, tags, source and the chunking
// settings; an equal hash means "unchanged" and nothing is written. A new or
// changed document is chunked (kb/chunker.hpp), analysed (kb/analyzer.hpp)
// and written together with its chunks in one transaction, which also bumps
// the business's kb generation. Documents are batched, several per
// transaction, so a killed run leaves whole documents only: running it
// again completes the rest, with no duplicate or orphan chunk.
//
// A run holds the business's kb lock for its whole duration (a session
// advisory lock, freed by PostgreSQL if the process dies): a second
// concurrent ingest into the same business fails with Conflict.
// Thread-safe: one call per run; the callbacks run on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/kb/documents.hpp"
#include "core/kb/extract.hpp"

namespace omni::db {
class Pool;
}
namespace omni::http {
class HttpClient;
}

namespace omni::kb {

class Embedder;

struct IngestOptions {
  // Files, directories (walked recursively), "-" for stdin, http(s) URLs.
  std::vector<std::string> inputs;
  // Globs for files found in directories (not for inputs named
  // explicitly). A glob without '/' matches the file name, one with '/'
  // the path relative to the directory given; '*' also crosses '/'. With no
  // include, files with a known extension are taken (.txt .md .markdown
  // .html .htm .pdf .csv .jsonl .ndjson). Hidden files and directories are
  // skipped.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // Type of every document; nullopt: WEBSITE for URLs, DOCUMENT otherwise.
  std::optional<DocType> type;
  std::vector<std::string> tags;
  // Title for a single-document input without one of its own (stdin).
  std::string title;
  // The title above replaces the single document's own (a Markdown heading,
  // an HTML <title>): the console's form has the operator name it.
  bool title_wins = false;
  // The external id of the "-" input: adding text under the same id again
  // updates that document (the operator API names each one it adds).
  std::string stdin_id = "stdin";
  // The media type of the "-" input ("text/markdown", "text/plain"); ""
  // tells it from the bytes.
  std::string stdin_content_type;
  RecordFields fields;  // CSV and JSONL record fields
  // Remove the business's documents that this run's inputs did not yield,
  // among those from the same roots: under a directory given, or from a
  // file, URL or stdin given. Documents from other inputs (what someone else
  // ingested) and of an input that failed are kept.
  bool sync = false;
  // Read, extract and compare as usual, and report what would be added,
  // updated and removed, changing nothing.
  bool dry_run = false;
  // The most documents the business may hold (its plan's limit); -1: no
  // limit. A new document past it is not ingested: it is reported in
  // IngestReport::failures with `over_limit_message` and counted in
  // `over_limit`. Changed documents are still updated.
  std::int64_t max_documents = -1;
  std::string over_limit_message = "not ingested: the plan's document limit is reached";
};

struct IngestProgress {
  std::size_t inputs_done = 0;   // files, URLs or stdin finished
  std::size_t inputs_total = 0;
  std::size_t documents_seen = 0;  // documents extracted so far
  std::string current;             // the input being read
};

// How the run reaches the outside; all optional.
struct IngestEnvironment {
  http::HttpClient* http = nullptr;           // for URLs; null: URLs fail
  // For "-": reads stdin up to its end or `max_bytes`, whichever comes
  // first (the run asks for one byte past the document limit, so that an
  // endless stdin is refused, not read). Null: "-" fails.
  std::function<std::string(std::size_t max_bytes)> read_stdin;
  std::function<void(const IngestProgress&)> on_progress;
  // Polled between documents; true stops the run after the batch in
  // flight (what is committed stays).
  std::function<bool()> cancelled;
  // For hybrid search: every new or changed chunk (its title and text) is
  // embedded before its batch is written, and the vector stored with it.
  // The model is part of the content hash, so switching models re-embeds.
  Embedder* embedder = nullptr;
};

struct IngestFailure {
  std::string input;    // path, URL, "stdin", or "<path> line 7" for a record
  std::string message;  // "is not valid UTF-8 (at byte 12)"
};

struct IngestReport {
  int added = 0;
  int updated = 0;
  int unchanged = 0;
  int removed = 0;
  int failed = 0;
  int over_limit = 0;  // new documents not ingested for max_documents (also in failed)
  std::size_t chunks_written = 0;
  std::size_t bytes_read = 0;
  double seconds = 0;
  std::vector<IngestFailure> failures;
  // The external ids (absolute paths, URLs) of the documents --sync removed
  // (or, in a dry run, would remove), sorted.
  std::vector<std::string> removed_sources;
  bool interrupted = false;
  bool partial() const { return failed > 0 || interrupted; }
};

// Runs one ingest into `business_id`. Per-input problems (missing,
// unreadable, binary, invalid UTF-8, empty, too large, HTTP errors, bad
// records) are reported in the result and the rest still goes in. Throws
// InvalidInput when no inputs are given, Conflict when another ingest into
// the business is running, Unavailable when the database cannot be reached.
IngestReport Ingest(db::Pool& pool, const std::string& business_id, const config::KbSettings& settings,
                    const IngestOptions& options, const IngestEnvironment& environment = {});

}  // namespace omni::kb
