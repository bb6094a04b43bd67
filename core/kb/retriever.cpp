// The retriever: per-business index snapshots checked against the kb
// generation before every search, and snippets for display.
#include "core/kb/retriever.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "core/db/pqxx.hpp"
#include "core/kb/analyzer.hpp"
#include "core/kb/bm25.hpp"
#include "core/kb/detail/store.hpp"
#include "core/kb/detail/utf8.hpp"

namespace omni::kb {
namespace {

struct Snapshot {
  std::int64_t generation = 0;
  std::vector<Chunk> chunks;  // in index position order
  Bm25Index index;
};

struct DocumentRow {
  std::string external_id;
  std::string source;
  DocType type = DocType::kDocument;
  std::vector<std::string> tags;
};

std::shared_ptr<const Snapshot> LoadSnapshot(db::Pool& pool, const std::string& business_id,
                                             const Bm25Params& params) {
  auto snapshot = std::make_shared<Snapshot>();
  db::Pool::Lease lease = pool.Acquire();
  try {
    // One snapshot for the generation and the rows it stands for. Two plain
    // index scans, joined and ordered here: no server-side sort of the text.
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only> tx(lease.connection());
    snapshot->generation = detail::ReadGeneration(tx, business_id);
    const auto documents = tx.exec_params(
        "SELECT id, external_id, source, doc_type, tags FROM kb_documents WHERE business_id = $1",
        business_id);
    const auto rows = tx.exec_params(
        "SELECT document_id, ordinal, id, title, text, char_start, char_end, terms, term_count"
        " FROM kb_chunks WHERE business_id = $1",
        business_id);
    tx.commit();

    std::vector<DocumentRow> document_rows;
    document_rows.reserve(documents.size());
    std::unordered_map<std::string_view, std::uint32_t> document_numbers;
    for (const auto& row : documents) {
      document_numbers.emplace(std::string_view(row[0].c_str(), row[0].size()),
                               static_cast<std::uint32_t>(document_rows.size()));
      document_rows.push_back({row[1].as<std::string>(), row[2].as<std::string>(),
                               ParseDocType(row[3].c_str()).value_or(DocType::kDocument),
                               detail::ParseArrayLiteral(row[4].c_str())});
    }
    // Index positions follow (external id, ordinal): the tie-break order.
    struct Entry {
      std::uint32_t row;
      std::uint32_t document;
      int ordinal;
    };
    std::vector<Entry> order;
    order.reserve(rows.size());
    for (std::uint32_t i = 0; i < rows.size(); ++i) {
      const auto found = document_numbers.find(std::string_view(rows[i][0].c_str(), rows[i][0].size()));
      if (found == document_numbers.end()) continue;  // foreign keys make this impossible
      order.push_back({i, found->second, rows[i][1].as<int>()});
    }
    std::sort(order.begin(), order.end(), [&](const Entry& a, const Entry& b) {
      const auto& ea = document_rows[a.document].external_id;
      const auto& eb = document_rows[b.document].external_id;
      return ea != eb ? ea < eb : a.ordinal < b.ordinal;
    });

    snapshot->chunks.reserve(order.size());
    Bm25Index::Builder builder;
    std::vector<std::pair<std::string_view, std::uint32_t>> terms;
    for (const Entry& entry : order) {
      const auto row = rows[entry.row];
      const DocumentRow& document = document_rows[entry.document];
      Chunk chunk;
      chunk.document_id = row[0].as<std::string>();
      chunk.ordinal = entry.ordinal;
      chunk.id = row[2].as<std::string>();
      chunk.title = row[3].as<std::string>();
      chunk.text = row[4].as<std::string>();
      chunk.char_start = row[5].as<int>();
      chunk.char_end = row[6].as<int>();
      chunk.external_id = document.external_id;
      chunk.source = document.source;
      chunk.type = document.type;
      chunk.tags = document.tags;
      detail::ParseTerms(std::string_view(row[7].c_str(), row[7].size()), terms);
      builder.Add(entry.document, terms, row[8].as<std::uint32_t>());
      snapshot->chunks.push_back(std::move(chunk));
    }
    snapshot->index = std::move(builder).Build(params);
  } catch (const omni::Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    lease.MarkBroken();
    db::RethrowTranslated(e);
  } catch (const pqxx::failure& e) {
    db::RethrowTranslated(e);
  }
  return snapshot;
}

}  // namespace

struct Retriever::Impl {
  Impl(db::Pool& pool_in, Bm25Params params_in) : pool(pool_in), params(params_in) {}

  db::Pool& pool;
  Bm25Params params;
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const Snapshot>> cache;

  std::shared_ptr<const Snapshot> Current(const std::string& business_id) {
    const std::int64_t generation = db::WithConnection(
        pool, [&](pqxx::nontransaction& tx) { return detail::ReadGeneration(tx, business_id); });
    {
      std::lock_guard lock(mutex);
      const auto found = cache.find(business_id);
      if (found != cache.end() && found->second->generation == generation) return found->second;
    }
    auto loaded = LoadSnapshot(pool, business_id, params);
    std::lock_guard lock(mutex);
    auto& slot = cache[business_id];
    // Another thread may have loaded a newer one meanwhile: keep the newest.
    if (!slot || slot->generation <= loaded->generation) slot = loaded;
    return loaded;
  }
};

Retriever::Retriever(db::Pool& pool, const config::KbSettings& settings)
    : impl_(std::make_unique<Impl>(pool, Bm25Params{settings.bm25_k1, settings.bm25_b})) {}

Retriever::~Retriever() = default;

std::size_t Retriever::Refresh(const std::string& business_id) {
  return impl_->Current(business_id)->chunks.size();
}

std::vector<SearchHit> Retriever::Search(const std::string& business_id, std::string_view query,
                                         const SearchOptions& options) {
  std::vector<SearchHit> hits;
  const std::vector<std::string> terms = Analyze(query);
  if (terms.empty() || options.k == 0) return hits;
  const std::shared_ptr<const Snapshot> snapshot = impl_->Current(business_id);

  std::vector<char> allowed;
  if (!options.types.empty() || !options.tags.empty()) {
    allowed.resize(snapshot->chunks.size());
    for (std::size_t i = 0; i < snapshot->chunks.size(); ++i) {
      const Chunk& chunk = snapshot->chunks[i];
      const bool type_ok = options.types.empty() ||
                           std::find(options.types.begin(), options.types.end(), chunk.type) !=
                               options.types.end();
      const bool tag_ok = options.tags.empty() ||
                          std::any_of(chunk.tags.begin(), chunk.tags.end(), [&](const auto& tag) {
                            return std::find(options.tags.begin(), options.tags.end(), tag) !=
                                   options.tags.end();
                          });
      allowed[i] = type_ok && tag_ok ? 1 : 0;
    }
  }
  const auto found = snapshot->index.Search(terms, options.k, allowed.empty() ? nullptr : &allowed,
                                            options.one_per_document);
  hits.reserve(found.size());
  for (const Bm25Hit& hit : found) {
    hits.push_back({std::shared_ptr<const Chunk>(snapshot, &snapshot->chunks[hit.chunk]), hit.score});
  }
  return hits;
}

std::string Snippet(std::string_view text, std::string_view query, std::size_t max_chars) {
  const std::vector<std::string> query_terms = Analyze(query);
  const std::unordered_set<std::string> wanted(query_terms.begin(), query_terms.end());
  // Byte offsets of word starts, and the first word matching the query.
  std::vector<std::size_t> word_starts;
  std::size_t match = std::string_view::npos;
  std::size_t pos = 0;
  std::size_t word_begin = std::string_view::npos;
  const auto end_word = [&](std::size_t end) {
    if (word_begin == std::string_view::npos) return;
    word_starts.push_back(word_begin);
    if (match == std::string_view::npos && !wanted.empty()) {
      const auto terms = Analyze(text.substr(word_begin, end - word_begin));
      if (!terms.empty() && wanted.count(terms[0]) > 0) match = word_begin;
    }
    word_begin = std::string_view::npos;
  };
  while (pos < text.size()) {
    char32_t cp = 0;
    std::size_t length = detail::DecodeUtf8(text, pos, cp);
    const bool word = length > 0 && detail::IsWordChar(cp);
    if (length == 0) length = 1;
    if (word && word_begin == std::string_view::npos) word_begin = pos;
    if (!word) end_word(pos);
    pos += length;
  }
  end_word(text.size());

  // Start a few words before the match so that it has some context.
  std::size_t begin = 0;
  if (match != std::string_view::npos) {
    const auto at = std::find(word_starts.begin(), word_starts.end(), match) - word_starts.begin();
    begin = word_starts[static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, at - 8))];
  }
  std::string out;
  if (begin > 0) out = "…";
  std::size_t chars = 0;
  bool space = false;
  bool cut = false;
  std::size_t last_break = std::string::npos;
  for (pos = begin; pos < text.size();) {
    char32_t cp = 0;
    std::size_t length = detail::DecodeUtf8(text, pos, cp);
    if (length == 0) length = 1;
    const char c = text[pos];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      pos += length;
      continue;
    }
    if (chars >= max_chars) {
      cut = true;
      break;
    }
    if (space && chars > 0) {
      last_break = out.size();
      out.push_back(' ');
      ++chars;
    }
    space = false;
    out.append(text.substr(pos, length));
    ++chars;
    pos += length;
  }
  if (cut) {
    if (last_break != std::string::npos && last_break > 0) out.resize(last_break);
    out += "…";
  }
  return out;
}

}  // namespace omni::kb
