// Ingest: input expansion, reading, extraction, hashing, chunking and
// analysis, and batched writes under the business's kb lock.
#include "core/kb/ingest.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/analyzer.hpp"
#include "core/kb/chunker.hpp"
#include "core/kb/detail/store.hpp"
#include "core/kb/embeddings.hpp"

namespace omni::kb {
namespace {

namespace fs = std::filesystem;

// A batch is committed once it holds this many documents or text bytes.
constexpr std::size_t kBatchDocuments = 500;
constexpr std::size_t kBatchBytes = 8 * 1024 * 1024;

// Bumped when analysis or chunking changes, so that every document is
// re-chunked on the next ingest.
constexpr const char* kIndexFormat = "kb-index-1";

enum class SourceKind { kFile, kUrl, kStdin };

struct Source {
  SourceKind kind = SourceKind::kFile;
  std::string location;  // absolute path, URL or "stdin": the external id base
};

struct ExistingDocument {
  std::string id;
  std::string content_hash;
};

struct PendingChunk {
  std::string text;
  ChunkSpan span;
  std::string terms;
  std::size_t term_count = 0;
  std::string vector;  // real[] literal; empty without an embedder
};

struct PendingDocument {
  std::string existing_id;  // empty: new
  std::string external_id;
  std::string source;
  std::string title;
  DocType type = DocType::kDocument;
  std::vector<std::string> tags;
  std::string content_hash;
  std::size_t byte_size = 0;
  std::vector<PendingChunk> chunks;
};

bool IsUrl(const std::string& input) {
  return input.rfind("http://", 0) == 0 || input.rfind("https://", 0) == 0;
}

bool HasKnownExtension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> known = {".txt", ".md",  ".markdown", ".html", ".htm",
                                              ".pdf", ".csv", ".jsonl",    ".ndjson"};
  return known.count(extension) > 0;
}

bool GlobMatches(const std::string& glob, const fs::path& relative) {
  const std::string subject =
      glob.find('/') == std::string::npos ? relative.filename().string() : relative.generic_string();
  return fnmatch(glob.c_str(), subject.c_str(), 0) == 0;
}

bool IsHidden(const fs::path& relative) {
  for (const auto& part : relative) {
    const std::string name = part.string();
    if (name.size() > 1 && name[0] == '.' && name != "..") return true;
  }
  return false;
}

// Holds pg_advisory_lock(kb, business) on one leased connection for a run.
class SessionLock {
 public:
  SessionLock(db::Pool::Lease& lease, const std::string& business_id)
      : lease_(lease), business_id_(business_id) {
    pqxx::nontransaction tx(lease_.connection());
    const auto row = tx.exec_params1("SELECT pg_try_advisory_lock($1, hashtext($2))",
                                     detail::kKbLockClass, business_id_);
    if (!row[0].as<bool>()) {
      throw Conflict("another ingest into this business is running",
                     "Wait for it to finish, then run this one again.");
    }
  }
  ~SessionLock() {
    try {
      pqxx::nontransaction tx(lease_.connection());
      tx.exec_params("SELECT pg_advisory_unlock($1, hashtext($2))", detail::kKbLockClass, business_id_);
    } catch (const std::exception&) {
      // The connection must not go back to the pool still holding the lock.
      lease_.MarkBroken();
    }
  }
  SessionLock(const SessionLock&) = delete;
  SessionLock& operator=(const SessionLock&) = delete;

 private:
  db::Pool::Lease& lease_;
  std::string business_id_;
};

class Run {
 public:
  Run(db::Pool& pool, const std::string& business_id, const config::KbSettings& settings,
      const IngestOptions& options, const IngestEnvironment& environment)
      : pool_(pool), business_id_(business_id), settings_(settings), options_(options),
        environment_(environment) {}

  IngestReport Execute() {
    const auto started = std::chrono::steady_clock::now();
    if (options_.inputs.empty()) {
      throw InvalidInput("no inputs to ingest", "Name files, directories, URLs or - for stdin.");
    }
    db::Pool::Lease lease = pool_.Acquire();
    lease_ = &lease;
    try {
      SessionLock lock(lease, business_id_);
      LoadExisting();
      const std::vector<Source> sources = ExpandInputs();
      progress_.inputs_total = sources.size();
      for (const Source& source : sources) {
        if (Cancelled()) break;
        progress_.current = source.location;
        ReportProgress();
        Process(source);
        ++progress_.inputs_done;
        ReportProgress();
      }
      Flush();
      if (options_.sync && !report_.interrupted) RemoveUnseen();
    } catch (const pqxx::failure&) {
      db::RethrowForLease(lease);
    }
    report_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report_;
  }

 private:
  bool Cancelled() {
    if (!report_.interrupted && environment_.cancelled && environment_.cancelled()) {
      report_.interrupted = true;
    }
    return report_.interrupted;
  }

  void ReportProgress() {
    if (environment_.on_progress) environment_.on_progress(progress_);
  }

  void Fail(const std::string& input, const std::string& message) {
    ++report_.failed;
    report_.failures.push_back({input, message});
  }

  void LoadExisting() {
    pqxx::nontransaction tx(lease_->connection());
    const auto rows = tx.exec_params(
        "SELECT external_id, id, content_hash FROM kb_documents WHERE business_id = $1", business_id_);
    for (const auto& row : rows) {
      existing_.emplace(row[0].as<std::string>(),
                        ExistingDocument{row[1].as<std::string>(), row[2].as<std::string>()});
    }
  }

  std::vector<Source> ExpandInputs() {
    std::vector<Source> sources;
    std::set<std::string> listed;
    const auto add = [&](SourceKind kind, std::string location) {
      if (listed.insert(location).second) sources.push_back({kind, std::move(location)});
    };
    for (const std::string& input : options_.inputs) {
      if (input == "-") {
        roots_.push_back(options_.stdin_id);
        add(SourceKind::kStdin, options_.stdin_id);
        continue;
      }
      if (IsUrl(input)) {
        roots_.push_back(input);
        add(SourceKind::kUrl, input);
        continue;
      }
      const fs::path path = fs::absolute(fs::path(input)).lexically_normal();
      std::error_code error;
      const auto status = fs::status(path, error);
      roots_.push_back(fs::is_directory(status) ? (path / "").string() : path.string());
      if (error || !fs::exists(status)) {
        failed_inputs_.insert(path.string());
        Fail(input, "does not exist");
        continue;
      }
      if (!fs::is_directory(status)) {
        add(SourceKind::kFile, path.string());
        continue;
      }
      std::vector<std::string> found;
      fs::recursive_directory_iterator walker(path, fs::directory_options::skip_permission_denied, error);
      for (; !error && walker != fs::recursive_directory_iterator(); walker.increment(error)) {
        const fs::path relative = walker->path().lexically_relative(path);
        if (IsHidden(relative)) {
          if (walker->is_directory(error)) walker.disable_recursion_pending();
          continue;
        }
        if (!walker->is_regular_file(error)) continue;
        const bool included =
            options_.include.empty()
                ? HasKnownExtension(relative)
                : std::any_of(options_.include.begin(), options_.include.end(),
                              [&](const std::string& glob) { return GlobMatches(glob, relative); });
        const bool excluded =
            std::any_of(options_.exclude.begin(), options_.exclude.end(),
                        [&](const std::string& glob) { return GlobMatches(glob, relative); });
        if (included && !excluded) found.push_back(walker->path().lexically_normal().string());
      }
      if (error) {
        failed_inputs_.insert(path.string());
        Fail(input, "could not be listed: " + error.message());
      }
      std::sort(found.begin(), found.end());
      for (auto& file : found) add(SourceKind::kFile, std::move(file));
    }
    return sources;
  }

  // Reads a source's bytes; returns false after recording a failure.
  bool Read(const Source& source, std::string& bytes, std::string& content_type) {
    switch (source.kind) {
      case SourceKind::kStdin:
        if (!environment_.read_stdin) {
          Fail(options_.stdin_id, "cannot be read here");
          return false;
        }
        bytes = environment_.read_stdin(settings_.max_document_bytes + 1);
        content_type = options_.stdin_content_type;
        if (bytes.size() > settings_.max_document_bytes) {
          Fail(options_.stdin_id, "is too large (more than " + std::to_string(settings_.max_document_bytes) +
                            " bytes; the limit is " + std::to_string(settings_.max_document_bytes) + ")");
          return false;
        }
        break;
      case SourceKind::kUrl: {
        if (environment_.http == nullptr) {
          Fail(source.location, "cannot be fetched: no HTTP client");
          return false;
        }
        http::Request request;
        request.url = source.location;
        request.connect_timeout_ms = settings_.url_timeout_ms;
        request.first_byte_timeout_ms = settings_.url_timeout_ms;
        request.idle_timeout_ms = settings_.url_timeout_ms;
        request.max_body_bytes = settings_.max_url_bytes;
        request.max_redirects = settings_.url_max_redirects;
        try {
          http::Response response = http::Fetch(*environment_.http, std::move(request));
          if (response.status >= 300 && response.status < 400) {
            Fail(source.location, "redirects more than " + std::to_string(settings_.url_max_redirects) +
                                      " times");
            return false;
          }
          if (response.status < 200 || response.status > 299) {
            Fail(source.location, "answered HTTP " + std::to_string(response.status));
            return false;
          }
          bytes = std::move(response.body);
          content_type = response.FindHeader("content-type").value_or("");
        } catch (const omni::Error& e) {
          Fail(source.location, std::string("could not be fetched: ") + e.what());
          return false;
        }
        break;
      }
      case SourceKind::kFile: {
        std::error_code error;
        const auto size = fs::file_size(source.location, error);
        if (error) {
          Fail(source.location, "could not be read: " + error.message());
          return false;
        }
        if (size > settings_.max_document_bytes) {
          Fail(source.location, "is too large (" + std::to_string(size) + " bytes; the limit is " +
                                    std::to_string(settings_.max_document_bytes) + ")");
          return false;
        }
        std::ifstream file(source.location, std::ios::binary);
        if (!file) {
          Fail(source.location, std::string("could not be read: ") + std::strerror(errno));
          return false;
        }
        bytes.resize(static_cast<std::size_t>(size));
        file.read(bytes.data(), static_cast<std::streamsize>(size));
        if (!file && !file.eof()) {
          Fail(source.location, std::string("could not be read: ") + std::strerror(errno));
          return false;
        }
        bytes.resize(static_cast<std::size_t>(file.gcount()));
        break;
      }
    }
    if (bytes.size() > settings_.max_document_bytes) {
      Fail(source.location, "is too large (" + std::to_string(bytes.size()) +
                                " bytes; the limit is " + std::to_string(settings_.max_document_bytes) + ")");
      return false;
    }
    report_.bytes_read += bytes.size();
    return true;
  }

  void Process(const Source& source) {
    std::string bytes;
    std::string content_type;
    if (!Read(source, bytes, content_type)) {
      failed_inputs_.insert(source.location);
      return;
    }
    const Format format = DetectFormat(source.location, bytes, content_type);
    Extraction extraction;
    try {
      extraction = Extract(format, bytes, options_.fields);
    } catch (const InvalidInput& e) {
      failed_inputs_.insert(source.location);
      Fail(source.location, e.what());
      return;
    }
    for (const auto& error : extraction.record_errors) Fail(source.location, error + " (record skipped)");
    // A records file with bad records keeps its other old records under --sync.
    if (!extraction.record_errors.empty()) failed_inputs_.insert(source.location);
    const bool single = extraction.documents.size() == 1 && extraction.documents[0].record_id.empty();
    for (ExtractedDocument& document : extraction.documents) {
      if (Cancelled()) return;
      Add(source, std::move(document), single);
      ++progress_.documents_seen;
      if (progress_.documents_seen % 256 == 0) ReportProgress();
    }
  }

  void Add(const Source& source, ExtractedDocument document, bool single) {
    PendingDocument pending;
    const bool record = !document.record_id.empty();
    pending.external_id = record ? source.location + "#" + document.record_id : source.location;
    if (!seen_.insert(pending.external_id).second) return;  // the same input named twice
    pending.source = pending.external_id;
    pending.title = document.title;
    if (single && !options_.title.empty() && (pending.title.empty() || options_.title_wins)) {
      pending.title = options_.title;
    }
    if (pending.title.empty()) {
      const std::string base = source.kind == SourceKind::kFile
                                   ? fs::path(source.location).filename().string()
                                   : source.location;
      pending.title = record ? base + " #" + document.record_id : base;
    }
    pending.type = options_.type.value_or(source.kind == SourceKind::kUrl ? DocType::kWebsite
                                                                         : DocType::kDocument);
    for (const auto& tag : options_.tags) {
      if (std::find(pending.tags.begin(), pending.tags.end(), tag) == pending.tags.end()) {
        pending.tags.push_back(tag);
      }
    }
    std::string tags_joined;
    for (const auto& tag : pending.tags) tags_joined += tag + '\n';
    const std::string chunking =
        std::to_string(settings_.chunk_size_chars) + "/" + std::to_string(settings_.chunk_overlap_chars);
    const std::string embedding_model = environment_.embedder ? environment_.embedder->model() : "";
    pending.content_hash = detail::Sha256Hex({kIndexFormat, chunking, embedding_model, DocTypeName(pending.type),
                                              pending.title, tags_joined, pending.source, document.text});
    pending.byte_size = document.text.size();

    const auto existing = existing_.find(pending.external_id);
    if (existing != existing_.end()) {
      if (existing->second.content_hash == pending.content_hash) {
        ++report_.unchanged;
        return;
      }
      pending.existing_id = existing->second.id;
    } else if (options_.max_documents >= 0 && HeldAfterBatch() >= options_.max_documents) {
      // The kb lock held for the run makes this count exact: no other
      // ingest adds documents to the business meanwhile.
      Fail(pending.external_id, options_.over_limit_message);
      ++report_.over_limit;
      failed_inputs_.insert(pending.external_id);
      return;
    }
    const auto spans = ChunkText(document.text, static_cast<std::size_t>(std::max(1, settings_.chunk_size_chars)),
                                 static_cast<std::size_t>(std::max(0, settings_.chunk_overlap_chars)));
    pending.chunks.reserve(spans.size());
    for (const ChunkSpan& span : spans) {
      PendingChunk chunk;
      chunk.text = document.text.substr(span.byte_begin, span.byte_end - span.byte_begin);
      chunk.span = span;
      // The title is indexed with every chunk: it says what the passage is about.
      AnalyzeInto(pending.title + "\n" + chunk.text, terms_);
      chunk.terms = detail::SerializeTerms(terms_);
      chunk.term_count = terms_.size();
      pending.chunks.push_back(std::move(chunk));
    }
    batch_bytes_ += document.text.size();
    batch_.push_back(std::move(pending));
    if (batch_.size() >= kBatchDocuments || batch_bytes_ >= kBatchBytes) Flush();
  }

  // Documents the business holds once the pending batch is written.
  std::int64_t HeldAfterBatch() const {
    std::int64_t added = 0;
    for (const PendingDocument& document : batch_) added += document.existing_id.empty() ? 1 : 0;
    return static_cast<std::int64_t>(existing_.size()) + added;
  }

  // Embeds every chunk of the batch, before its transaction opens: no
  // network wait ever holds a transaction.
  void EmbedBatch() {
    std::vector<std::string> texts;
    std::vector<PendingChunk*> targets;
    for (PendingDocument& document : batch_) {
      for (PendingChunk& chunk : document.chunks) {
        texts.push_back(document.title + "\n\n" + chunk.text);
        targets.push_back(&chunk);
      }
    }
    const auto vectors = environment_.embedder->Embed(texts);
    for (std::size_t i = 0; i < targets.size(); ++i) targets[i]->vector = detail::VectorLiteral(vectors[i]);
  }

  void Flush() {
    if (batch_.empty()) return;
    if (options_.dry_run) {
      for (const PendingDocument& document : batch_) {
        ++(document.existing_id.empty() ? report_.added : report_.updated);
        report_.chunks_written += document.chunks.size();
      }
      batch_.clear();
      batch_bytes_ = 0;
      return;
    }
    if (environment_.embedder != nullptr) EmbedBatch();
    pqxx::work tx(lease_->connection());
    std::vector<std::string> updated_ids;
    for (PendingDocument& document : batch_) {
      if (document.existing_id.empty()) {
        document.existing_id = detail::NewUuid();
        continue;
      }
      updated_ids.push_back(document.existing_id);
      tx.exec_params(
          "UPDATE kb_documents SET source = $3, title = $4, doc_type = $5, tags = $6::text[],"
          " content_hash = $7, byte_size = $8, chunk_count = $9"
          " WHERE business_id = $1 AND id = $2",
          business_id_, document.existing_id, document.source, document.title,
          std::string(DocTypeName(document.type)), detail::ArrayLiteral(document.tags),
          document.content_hash, static_cast<long long>(document.byte_size),
          static_cast<int>(document.chunks.size()));
    }
    if (!updated_ids.empty()) {
      tx.exec_params("DELETE FROM kb_chunks WHERE business_id = $1 AND document_id = ANY($2::uuid[])",
                     business_id_, detail::ArrayLiteral(updated_ids));
    }
    {
      pqxx::stream_to documents(tx, "kb_documents",
                                std::vector<std::string>{"id", "business_id", "external_id", "source",
                                                         "title", "doc_type", "tags", "content_hash",
                                                         "byte_size", "chunk_count"});
      for (const PendingDocument& document : batch_) {
        if (existing_.count(document.external_id) > 0) continue;
        documents << std::make_tuple(
            document.existing_id, business_id_, document.external_id, document.source, document.title,
            std::string(DocTypeName(document.type)), detail::ArrayLiteral(document.tags),
            document.content_hash, document.byte_size, document.chunks.size());
      }
      documents.complete();
    }
    if (environment_.embedder == nullptr) {
      pqxx::stream_to chunks(tx, "kb_chunks",
                             std::vector<std::string>{"id", "business_id", "document_id", "ordinal",
                                                      "title", "text", "char_start", "char_end",
                                                      "terms", "term_count"});
      for (const PendingDocument& document : batch_) {
        for (std::size_t i = 0; i < document.chunks.size(); ++i) {
          const PendingChunk& chunk = document.chunks[i];
          chunks << std::make_tuple(detail::NewUuid(), business_id_, document.existing_id, i,
                                    document.title, chunk.text, chunk.span.char_begin,
                                    chunk.span.char_end, chunk.terms, chunk.term_count);
        }
      }
      chunks.complete();
    } else {
      pqxx::stream_to chunks(tx, "kb_chunks",
                             std::vector<std::string>{"id", "business_id", "document_id", "ordinal",
                                                      "title", "text", "char_start", "char_end",
                                                      "terms", "term_count", "embedding",
                                                      "embedding_model"});
      for (const PendingDocument& document : batch_) {
        for (std::size_t i = 0; i < document.chunks.size(); ++i) {
          const PendingChunk& chunk = document.chunks[i];
          chunks << std::make_tuple(detail::NewUuid(), business_id_, document.existing_id, i,
                                    document.title, chunk.text, chunk.span.char_begin,
                                    chunk.span.char_end, chunk.terms, chunk.term_count, chunk.vector,
                                    environment_.embedder->model());
        }
      }
      chunks.complete();
    }
    detail::BumpGeneration(tx, business_id_);
    tx.commit();
    for (const PendingDocument& document : batch_) {
      auto [entry, inserted] =
          existing_.try_emplace(document.external_id, ExistingDocument{document.existing_id, {}});
      entry->second.content_hash = document.content_hash;
      if (inserted) {
        ++report_.added;
      } else {
        ++report_.updated;
      }
      report_.chunks_written += document.chunks.size();
    }
    batch_.clear();
    batch_bytes_ = 0;
  }

  bool CoveredByFailure(const std::string& external_id) const {
    for (const auto& failed : failed_inputs_) {
      if (external_id == failed || external_id.rfind(failed + "#", 0) == 0) return true;
    }
    return false;
  }

  // A directory's root ends in '/', so "docs/" never claims "docs-old/x.md";
  // a file's, URL's or stdin's root also owns its records ("root#7").
  bool UnderRoots(const std::string& external_id) const {
    return std::any_of(roots_.begin(), roots_.end(), [&](const std::string& root) {
      if (!root.empty() && root.back() == '/') return external_id.rfind(root, 0) == 0;
      return external_id == root || external_id.rfind(root + "#", 0) == 0;
    });
  }

  void RemoveUnseen() {
    std::vector<std::string> ids;
    for (const auto& [external_id, document] : existing_) {
      if (seen_.count(external_id) == 0 && !CoveredByFailure(external_id) && UnderRoots(external_id)) {
        ids.push_back(document.id);
        report_.removed_sources.push_back(external_id);
      }
    }
    std::sort(report_.removed_sources.begin(), report_.removed_sources.end());
    report_.removed = static_cast<int>(ids.size());
    if (ids.empty() || options_.dry_run) return;
    pqxx::work tx(lease_->connection());
    tx.exec_params("DELETE FROM kb_documents WHERE business_id = $1 AND id = ANY($2::uuid[])",
                   business_id_, detail::ArrayLiteral(ids));
    detail::BumpGeneration(tx, business_id_);
    tx.commit();
  }

  db::Pool& pool_;
  const std::string& business_id_;
  const config::KbSettings& settings_;
  const IngestOptions& options_;
  const IngestEnvironment& environment_;
  db::Pool::Lease* lease_ = nullptr;
  IngestReport report_;
  IngestProgress progress_;
  std::unordered_map<std::string, ExistingDocument> existing_;
  std::set<std::string> seen_;
  std::set<std::string> failed_inputs_;
  std::vector<std::string> roots_;  // what --sync may remove from (UnderRoots)
  std::vector<PendingDocument> batch_;
  std::size_t batch_bytes_ = 0;
  std::vector<std::string> terms_;
};

}  // namespace

IngestReport Ingest(db::Pool& pool, const std::string& business_id, const config::KbSettings& settings,
                    const IngestOptions& options, const IngestEnvironment& environment) {
  return Run(pool, business_id, settings, options, environment).Execute();
}

}  // namespace omni::kb
