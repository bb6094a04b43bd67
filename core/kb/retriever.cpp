// The retriever: per-business index snapshots checked against the kb
// generation before every search, and snippets for display.
#include "core/kb/retriever.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/common/utf8.hpp"
#include "core/db/pqxx.hpp"
#include "core/kb/analyzer.hpp"
#include "core/kb/bm25.hpp"
#include "core/kb/detail/store.hpp"
#include "core/kb/detail/utf8.hpp"
#include "core/kb/embeddings.hpp"

namespace omni::kb {
namespace {

constexpr const char* kGenerationStatement = "omni_kb_generation";

// Reciprocal-rank fusion constant, as in Cormack et al. (2009).
constexpr double kRrfK = 60;

struct Snapshot {
  std::int64_t generation = 0;
  std::vector<Chunk> chunks;  // in index position order
  Bm25Index index;
  // Unit vectors of the chunks embedded with the retriever's model, flat,
  // `dimensions` floats per chunk; has_vector flags which chunks have one.
  std::size_t dimensions = 0;
  std::vector<float> vectors;
  std::vector<char> has_vector;
};

struct DocumentRow {
  std::string external_id;
  std::string source;
  DocType type = DocType::kDocument;
  std::vector<std::string> tags;
};

std::shared_ptr<const Snapshot> LoadSnapshot(db::Pool& pool, const std::string& business_id,
                                             const Bm25Params& params, const std::string& model) {
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
        "SELECT document_id, ordinal, id, title, text, char_start, char_end, terms, term_count,"
        " CASE WHEN embedding_model = $2 THEN embedding END"
        " FROM kb_chunks WHERE business_id = $1",
        business_id, model);
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
    snapshot->has_vector.assign(order.size(), 0);
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
      if (!row[9].is_null()) {
        const std::vector<float> vector = detail::ParseVectorLiteral(row[9].c_str());
        if (snapshot->dimensions == 0) snapshot->dimensions = vector.size();
        if (!vector.empty() && vector.size() == snapshot->dimensions) {
          snapshot->vectors.resize(snapshot->chunks.size() * snapshot->dimensions);
          snapshot->vectors.insert(snapshot->vectors.end(), vector.begin(), vector.end());
          snapshot->has_vector[snapshot->chunks.size()] = 1;
        }
      }
      snapshot->chunks.push_back(std::move(chunk));
    }
    snapshot->vectors.resize(snapshot->chunks.size() * snapshot->dimensions);
    snapshot->index = std::move(builder).Build(params);
  } catch (const pqxx::failure&) {
    db::RethrowForLease(lease);
  }
  return snapshot;
}

// The chunks most similar to `query_vector`, best first, as Bm25Hits
// carrying the cosine similarity.
std::vector<Bm25Hit> VectorSearch(const Snapshot& snapshot, const std::vector<float>& query_vector,
                                  std::size_t depth, const std::vector<char>* allowed,
                                  bool one_per_document) {
  std::vector<Bm25Hit> scored;
  const std::size_t dimensions = snapshot.dimensions;
  if (query_vector.size() != dimensions) return scored;
  for (std::uint32_t chunk = 0; chunk < snapshot.chunks.size(); ++chunk) {
    if (snapshot.has_vector[chunk] == 0 || (allowed != nullptr && (*allowed)[chunk] == 0)) continue;
    const float* vector = &snapshot.vectors[chunk * dimensions];
    double dot = 0;
    for (std::size_t d = 0; d < dimensions; ++d) dot += static_cast<double>(vector[d]) * query_vector[d];
    scored.push_back({chunk, dot});
  }
  const auto better = [](const Bm25Hit& a, const Bm25Hit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk < b.chunk;
  };
  std::sort(scored.begin(), scored.end(), better);
  if (one_per_document) {
    std::unordered_set<std::uint32_t> seen;
    std::vector<Bm25Hit> best;
    for (const Bm25Hit& hit : scored) {
      if (seen.insert(snapshot.index.document_of(hit.chunk)).second) best.push_back(hit);
    }
    scored = std::move(best);
  }
  if (scored.size() > depth) scored.resize(depth);
  return scored;
}

// Reciprocal-rank fusion of the BM25 and the vector rankings.
std::vector<Bm25Hit> HybridSearch(const Snapshot& snapshot, Embedder& embedder,
                                  const std::vector<std::string>& terms, std::string_view query,
                                  const SearchOptions& options, const std::vector<char>* allowed) {
  const std::size_t depth = std::max<std::size_t>(options.k * 4, 50);
  const auto lexical = snapshot.index.Search(terms, depth, allowed, options.one_per_document);
  const auto query_vectors = embedder.Embed({std::string(query)});
  const auto semantic =
      VectorSearch(snapshot, query_vectors.at(0), depth, allowed, options.one_per_document);
  std::unordered_map<std::uint32_t, double> fused;
  for (std::size_t rank = 0; rank < lexical.size(); ++rank) {
    fused[lexical[rank].chunk] += 1 / (kRrfK + static_cast<double>(rank) + 1);
  }
  for (std::size_t rank = 0; rank < semantic.size(); ++rank) {
    fused[semantic[rank].chunk] += 1 / (kRrfK + static_cast<double>(rank) + 1);
  }
  std::vector<Bm25Hit> hits;
  hits.reserve(fused.size());
  for (const auto& [chunk, score] : fused) hits.push_back({chunk, score});
  std::sort(hits.begin(), hits.end(), [](const Bm25Hit& a, const Bm25Hit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk < b.chunk;
  });
  if (options.one_per_document) {
    // A document may come through different chunks in the two rankings.
    std::unordered_set<std::uint32_t> seen;
    std::vector<Bm25Hit> best;
    for (const Bm25Hit& hit : hits) {
      if (seen.insert(snapshot.index.document_of(hit.chunk)).second) best.push_back(hit);
    }
    hits = std::move(best);
  }
  if (hits.size() > options.k) hits.resize(options.k);
  return hits;
}

}  // namespace

struct Retriever::Impl {
  Impl(db::Pool& pool_in, Bm25Params params_in, Embedder* embedder_in)
      : pool(pool_in), params(params_in), embedder(embedder_in) {}

  db::Pool& pool;
  Bm25Params params;
  Embedder* embedder;
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const Snapshot>> cache;

  std::shared_ptr<const Snapshot> Current(const std::string& business_id) {
    // The parity check before every search: one indexed lookup through a
    // statement prepared once per pooled connection.
    const std::int64_t generation = db::WithConnection(pool, [&](pqxx::nontransaction& tx) {
      tx.conn().prepare(kGenerationStatement,
                        "SELECT generation FROM kb_generations WHERE business_id = $1");
      const auto rows = tx.exec_prepared(kGenerationStatement, business_id);
      return rows.empty() ? std::int64_t{0} : rows[0][0].as<std::int64_t>();
    });
    {
      std::lock_guard lock(mutex);
      const auto found = cache.find(business_id);
      if (found != cache.end() && found->second->generation == generation) return found->second;
    }
    auto loaded = LoadSnapshot(pool, business_id, params, embedder ? embedder->model() : std::string());
    std::lock_guard lock(mutex);
    auto& slot = cache[business_id];
    // Another thread may have loaded a newer one meanwhile: keep the newest.
    if (!slot || slot->generation <= loaded->generation) slot = loaded;
    return loaded;
  }
};

Retriever::Retriever(db::Pool& pool, const config::KbSettings& settings, Embedder* embedder)
    : impl_(std::make_unique<Impl>(pool, Bm25Params{settings.bm25_k1, settings.bm25_b}, embedder)) {}

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
  const std::vector<char>* filter = allowed.empty() ? nullptr : &allowed;
  std::vector<Bm25Hit> found;
  bool keyword_only = impl_->embedder == nullptr || snapshot->dimensions == 0;
  if (!keyword_only) {
    try {
      found = HybridSearch(*snapshot, *impl_->embedder, terms, query, options, filter);
    } catch (const Error& e) {
      if (!options.keyword_fallback) throw;
      log::Warn("embeddings failed; searching by keywords only", {{"business_id", business_id}, {"error", e.what()}});
      keyword_only = true;
    }
  }
  if (keyword_only) found = snapshot->index.Search(terms, options.k, filter, options.one_per_document);
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
    std::size_t length = DecodeUtf8(text, pos, cp);
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
    std::size_t length = DecodeUtf8(text, pos, cp);
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
