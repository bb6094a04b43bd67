// `omni ingest`: files, directories, stdin and URLs into a business's
// knowledge base, incrementally, with a progress bar on a terminal and a
// summary always.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "cmd/interrupt.hpp"
#include "core/billing/usage.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/common/exit_code.hpp"
#include "core/http/client.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/search.hpp"

namespace omni::cli {
namespace {

struct IngestCmdOptions {
  std::vector<std::string> inputs;
  std::string type;
  std::vector<std::string> tags;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool sync = false;
  bool dry_run = false;
  std::string title;
  std::string title_field;
  std::string text_field;
  std::string id_field;
};

// Redraws one line on stderr: [#####.....] 3/10 inputs, 120 documents.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  ~ProgressBar() { Clear(); }

  void Draw(const kb::IngestProgress& progress) {
    if (!enabled_) return;
    constexpr std::size_t kWidth = 24;
    const std::size_t filled =
        progress.inputs_total == 0 ? 0 : kWidth * progress.inputs_done / progress.inputs_total;
    std::string current = progress.current;
    if (current.size() > 40) current = "…" + current.substr(current.size() - 39);
    std::cerr << "\r\x1b[2K[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
              << progress.inputs_done << '/' << progress.inputs_total << " inputs, "
              << progress.documents_seen << " documents  " << current << std::flush;
    drawn_ = true;
  }

  void Clear() {
    if (drawn_) std::cerr << "\r\x1b[2K" << std::flush;
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

int RunIngest(Context& ctx, const IngestCmdOptions& opts) {
  kb::IngestOptions options;
  options.inputs = opts.inputs;
  options.include = opts.include;
  options.exclude = opts.exclude;
  options.tags = SplitCommas(opts.tags);
  options.sync = opts.sync;
  options.dry_run = opts.dry_run;
  options.title = opts.title;
  options.fields = {opts.title_field, opts.text_field, opts.id_field};
  if (!opts.type.empty()) {
    options.type = kb::ParseDocType(opts.type);
    if (!options.type) {
      throw InvalidInput("unknown document type \"" + opts.type + "\"",
                         "Use one of FAQ, SERVICE, POLICY, WEBSITE or DOCUMENT.");
    }
  }
  const config::Config& config = ctx.Config();
  db::Pool& pool = ctx.Database();
  const std::string business_id = business::Get(pool, ctx.RequireBusiness()).id;
  const billing::BillingSettings billing_settings = billing::ResolveBillingSettings(config);
  const billing::Entitlement plan = billing::EntitlementOf(pool, business_id, billing_settings, DefaultClock().Now());
  options.max_documents = plan.limits.documents;
  const std::string limit = billing::LimitSentence(plan.tier, billing::Metric::kDocuments, plan.limits.documents);
  options.over_limit_message = "not ingested: " + limit;

  std::unique_ptr<http::HttpClient> http_client;
  for (const auto& input : opts.inputs) {
    if (input.rfind("http://", 0) == 0 || input.rfind("https://", 0) == 0) {
      http_client = http::MakeHttpClient(http::ClientSettings{config.llm.ca_file, "omni/0.1 (ingest)"});
      break;
    }
  }
  // With embeddings configured, chunks are embedded for hybrid search.
  kb::KnowledgeSearch search(pool, config, http_client.get(), "omni/0.1 (ingest)");
  ProgressBar bar(ctx.out().stderr_is_tty() && !ctx.global().quiet);
  kb::IngestEnvironment environment;
  environment.http = http_client.get();
  environment.embedder = search.embedder();
  environment.read_stdin = [](std::size_t max_bytes) {
    std::string bytes;
    char buffer[64 * 1024];
    while (bytes.size() < max_bytes && std::cin) {
      std::cin.read(buffer, static_cast<std::streamsize>(std::min(sizeof(buffer), max_bytes - bytes.size())));
      bytes.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
    }
    return bytes;
  };
  environment.on_progress = [&](const kb::IngestProgress& progress) { bar.Draw(progress); };
  EnableGracefulInterrupt();
  environment.cancelled = [] { return InterruptFlag().load(); };

  const kb::IngestReport report = kb::Ingest(pool, business_id, config.kb, options, environment);
  bar.Clear();

  for (const auto& failure : report.failures) {
    ctx.out().Warn(ctx.out().Red("error") + ": " + failure.input + ": " + failure.message);
  }
  if (ctx.out().format() == Format::kJson) {
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& failure : report.failures) {
      failures.push_back({{"input", failure.input}, {"message", failure.message}});
    }
    const nlohmann::json summary = {
        {"added", report.added},         {"updated", report.updated},
        {"unchanged", report.unchanged}, {"removed", report.removed},
        {"failed", report.failed},       {"chunks", report.chunks_written},
        {"seconds", report.seconds},     {"partial", report.partial()},
        {"interrupted", report.interrupted}, {"over_limit", report.over_limit}, {"failures", failures},
        {"removed_sources", report.removed_sources}, {"dry_run", opts.dry_run}};
    ctx.out().Json(summary);
  } else {
    std::ostringstream seconds;
    seconds.precision(2);
    seconds << std::fixed << report.seconds;
    const bool nothing_changed = report.added == 0 && report.updated == 0 && report.removed == 0;
    for (const auto& source : report.removed_sources) {
      ctx.out().Status((opts.dry_run ? "would remove " : "removed ") + source);
    }
    const std::string chunks =
        std::to_string(report.chunks_written) + (report.chunks_written == 1 ? " chunk" : " chunks");
    ctx.out().Text(std::string(opts.dry_run ? "dry run, nothing changed: would add " : "added ") +
                   std::to_string(report.added) + ", " + (opts.dry_run ? "update " : "updated ") +
                   std::to_string(report.updated) + ", unchanged " + std::to_string(report.unchanged) + ", " +
                   (opts.dry_run ? "remove " : "removed ") + std::to_string(report.removed) + ", failed " +
                   std::to_string(report.failed) + "; " + chunks + (opts.dry_run ? " to write" : " written") +
                   " in " + seconds.str() + " s" +
                   (nothing_changed && report.failed == 0 && !opts.dry_run ? " (nothing changed)" : "") + "\n");
  }
  billing::RecordHoldingWarnings(pool, business_id, billing_settings, DefaultClock().Now());
  if (report.interrupted) throw Interrupted();
  if (report.over_limit > 0) {
    throw LimitReached(limit + ": " + std::to_string(report.over_limit) + " new document" +
                           (report.over_limit == 1 ? " was" : "s were") + " not ingested (named above)",
                       "Upgrade the plan (omni billing checkout) or remove documents (omni kb rm) first; "
                       "`omni usage` shows what is used.");
  }
  return report.partial() ? kExitFailure : kExitOk;
}

}  // namespace

Command MakeIngestCommand() {
  return MakeCommand<IngestCmdOptions>(
      "ingest", "add files, directories, stdin or URLs to a business's knowledge",
      "Reads each input, extracts its text (plain text, Markdown, HTML, PDF, or one document per record of a "
      "CSV or JSONL file such as a BEIR corpus.jsonl), cuts it into overlapping chunks along paragraphs and "
      "sentences, and indexes them for `omni kb search`. Directories are walked recursively; --include and "
      "--exclude filter the files found there by glob. Ingest is incremental: an unchanged document is "
      "skipped, a changed one is re-chunked in one transaction, and --sync removes the documents that are no "
      "longer among the inputs, only from the same roots (under a directory given, or a file or URL given), "
      "naming each; --dry-run previews all of it and changes nothing. A file that cannot be ingested (missing, "
      "unreadable, binary, not UTF-8, empty, too large) is reported and the others still go in; the exit code is "
      "then 1. New documents past the plan's document limit are not ingested: each is named, the others still go "
      "in, and the exit code is 7. A progress bar shows on a "
      "terminal; a summary always ends the run (-o json for a machine-readable report).",
      {"$ omni ingest -b acme ./docs --sync", "$ omni ingest -b acme ./docs --sync --dry-run",
       "$ omni ingest -b acme faq.md --type FAQ --tags hair,color",
       "$ omni ingest -b acme https://acme.example.com/services.html",
       "$ cat policy.txt | omni ingest -b acme - --type POLICY --title \"Cancellation policy\"",
       "$ omni ingest -b acme ./site --include '*.html' --exclude 'drafts/*' -o json"},
      [](IngestCmdOptions& opts) {
        return std::vector<Option>{
            {"inputs", "Files, directories, http(s) URLs, or - for stdin", &opts.inputs, true},
            {"--type", "Document type: FAQ, SERVICE, POLICY, WEBSITE or DOCUMENT (default: WEBSITE for URLs, "
                       "DOCUMENT otherwise)", &opts.type},
            {"--tags", "Tags for every document (comma-separated or repeated)", &opts.tags},
            {"--include", "Only files found in directories that match this glob (repeatable)", &opts.include},
            {"--exclude", "Skip files found in directories that match this glob (repeatable)", &opts.exclude},
            {"--sync", "Remove the documents under these inputs that they no longer yield", &opts.sync},
            {"--dry-run", "Report what would be added, updated and removed; change nothing", &opts.dry_run},
            {"--title", "Title for a single document without one of its own (e.g. stdin)", &opts.title},
            {"--title-field", "CSV/JSONL field holding the title (default: title)", &opts.title_field},
            {"--text-field", "CSV/JSONL field holding the text (default: text, content or body)",
             &opts.text_field},
            {"--id-field", "CSV/JSONL field holding the record id (default: _id or id, else the row number)",
             &opts.id_field},
        };
      },
      RunIngest);
}

}  // namespace omni::cli
