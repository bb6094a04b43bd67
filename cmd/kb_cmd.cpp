// `omni kb search|list|show|rm|eval`: searching and managing a business's
// knowledge, and measuring retrieval quality on a BEIR data set.
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/kb/documents.hpp"
#include "core/kb/eval.hpp"
#include "core/kb/retriever.hpp"
#include "core/kb/search.hpp"

namespace omni::cli {
namespace {

struct SearchCmdOptions {
  std::string query;
  int top = 5;
  std::vector<std::string> types;
  std::vector<std::string> tags;
};

struct ListCmdOptions {
  std::vector<std::string> types;
  std::vector<std::string> tags;
};

struct ShowCmdOptions {
  std::string document;
};

struct RmCmdOptions {
  std::vector<std::string> documents;
};

struct EvalCmdOptions {
  std::string corpus;
  std::string queries;
  std::string qrels;
  std::string title_field;
  std::string text_field;
  std::string id_field;
  bool keep = false;
};

std::vector<kb::DocType> ParseTypes(const std::vector<std::string>& values) {
  std::vector<kb::DocType> types;
  for (const auto& name : SplitCommas(values)) {
    const auto type = kb::ParseDocType(name);
    if (!type) {
      throw InvalidInput("unknown document type \"" + name + "\"",
                         "Use one of FAQ, SERVICE, POLICY, WEBSITE or DOCUMENT.");
    }
    types.push_back(*type);
  }
  return types;
}

std::string BusinessId(Context& ctx) { return business::FindId(ctx.Database(), ctx.RequireBusiness()); }

std::string Fixed(double value, int precision) {
  std::ostringstream out;
  out.precision(precision);
  out << std::fixed << value;
  return out.str();
}

int RunSearch(Context& ctx, const SearchCmdOptions& opts) {
  if (opts.top < 1) throw InvalidInput("--top must be at least 1");
  const std::string business_id = BusinessId(ctx);
  kb::KnowledgeSearch search(ctx.Database(), ctx.Config(), nullptr, "omni/0.1");
  kb::Retriever& retriever = search.retriever();
  kb::SearchOptions options;
  options.k = static_cast<std::size_t>(opts.top);
  options.types = ParseTypes(opts.types);
  options.tags = SplitCommas(opts.tags);
  const auto hits = retriever.Search(business_id, opts.query, options);
  nlohmann::json rows = nlohmann::json::array();
  int rank = 0;
  for (const auto& hit : hits) {
    const kb::Chunk& chunk = *hit.chunk;
    rows.push_back({{"rank", ++rank},
                    {"score", std::round(hit.score * 10000) / 10000},
                    {"title", chunk.title},
                    {"source", chunk.source},
                    {"type", kb::DocTypeName(chunk.type)},
                    {"tags", chunk.tags},
                    {"document_id", chunk.document_id},
                    {"chunk_id", chunk.id},
                    {"ordinal", chunk.ordinal},
                    {"char_start", chunk.char_start},
                    {"char_end", chunk.char_end},
                    {"snippet", kb::Snippet(chunk.text, opts.query, 160)},
                    {"text", chunk.text}});
  }
  ctx.out().List({{"rank", "#"}, {"score", "SCORE"}, {"title", "TITLE"}, {"source", "SOURCE"},
                  {"snippet", "SNIPPET"}},
                 rows);
  if (hits.empty()) ctx.out().Status("no matching knowledge");
  return 0;
}

nlohmann::json DocumentJson(const kb::DocumentInfo& doc) {
  return {{"id", doc.id},
          {"external_id", doc.external_id},
          {"title", doc.title},
          {"type", kb::DocTypeName(doc.type)},
          {"tags", doc.tags},
          {"source", doc.source},
          {"chunks", doc.chunk_count},
          {"bytes", doc.byte_size},
          {"content_hash", doc.content_hash},
          {"updated_at", doc.updated_at}};
}

int RunList(Context& ctx, const ListCmdOptions& opts) {
  kb::DocumentFilter filter;
  filter.types = ParseTypes(opts.types);
  filter.tags = SplitCommas(opts.tags);
  const auto docs = kb::ListDocuments(ctx.Database(), BusinessId(ctx), filter);
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& doc : docs) rows.push_back(DocumentJson(doc));
  ctx.out().List({{"id", "ID"}, {"type", "TYPE"}, {"title", "TITLE"}, {"chunks", "CHUNKS"},
                  {"source", "SOURCE"}, {"updated_at", "UPDATED"}},
                 rows);
  if (docs.empty()) ctx.out().Status("no documents; add some with `omni ingest`");
  return 0;
}

int RunShow(Context& ctx, const ShowCmdOptions& opts) {
  const auto doc = kb::GetDocument(ctx.Database(), BusinessId(ctx), opts.document);
  nlohmann::json record = DocumentJson(doc);
  nlohmann::json chunks = nlohmann::json::array();
  for (const auto& chunk : doc.chunks) {
    chunks.push_back({{"id", chunk.id},
                      {"ordinal", chunk.ordinal},
                      {"char_start", chunk.char_start},
                      {"char_end", chunk.char_end},
                      {"text", chunk.text}});
  }
  const std::vector<Column> fields = {{"id", "ID"},           {"title", "TITLE"},   {"type", "TYPE"},
                                      {"tags", "TAGS"},       {"source", "SOURCE"}, {"external_id", "EXTERNAL ID"},
                                      {"chunks", "CHUNKS"},   {"bytes", "BYTES"},   {"content_hash", "HASH"},
                                      {"updated_at", "UPDATED"}};
  if (ctx.out().format() == Format::kJson) {
    record["chunk_list"] = chunks;
    ctx.out().Record(fields, record);
    return 0;
  }
  ctx.out().Record(fields, record);
  ctx.out().Gap();
  ctx.out().List({{"ordinal", "#"}, {"char_start", "START"}, {"char_end", "END"}, {"text", "TEXT"}}, chunks);
  return 0;
}

int RunRm(Context& ctx, const RmCmdOptions& opts) {
  kb::RemoveDocuments(ctx.Database(), BusinessId(ctx), opts.documents);
  ctx.out().Status(ctx.out().Green("removed " + std::to_string(opts.documents.size()) + " document" +
                                   (opts.documents.size() == 1 ? "" : "s")));
  return 0;
}

int RunEval(Context& ctx, const EvalCmdOptions& opts) {
  db::Pool& pool = ctx.Database();
  const bool scratch = ctx.global().business.empty();
  const std::string business_id = scratch ? kb::CreateScratchBusiness(pool) : BusinessId(ctx);
  kb::EvalOptions options;
  options.corpus_path = opts.corpus;
  options.queries_path = opts.queries;
  options.qrels_path = opts.qrels;
  options.fields = {opts.title_field, opts.text_field, opts.id_field};
  kb::EvalReport report;
  try {
    report = kb::Evaluate(pool, business_id, ctx.Config().kb, options);
  } catch (...) {
    if (scratch && !opts.keep) kb::DropScratchBusiness(pool, business_id);
    throw;
  }
  if (scratch && !opts.keep) kb::DropScratchBusiness(pool, business_id);
  for (const auto& failure : report.ingest.failures) {
    ctx.out().Warn(ctx.out().Red("error") + ": " + failure.input + ": " + failure.message);
  }
  const nlohmann::json record = {
      {"documents", report.documents},
      {"chunks", report.chunks},
      {"ingest_seconds", std::round(report.ingest.seconds * 1000) / 1000},
      {"ingest_added", report.ingest.added},
      {"ingest_unchanged", report.ingest.unchanged},
      {"index_load_seconds", std::round(report.index_load_seconds * 1000) / 1000},
      {"queries", report.queries},
      {"queries_missing", report.queries_missing},
      {"ndcg_at_10", std::round(report.ndcg_at_10 * 10000) / 10000},
      {"recall_at_100", std::round(report.recall_at_100 * 10000) / 10000},
      {"mrr_at_10", std::round(report.mrr_at_10 * 10000) / 10000},
      {"latency_p50_ms", std::round(report.latency_p50_ms * 1000) / 1000},
      {"latency_p95_ms", std::round(report.latency_p95_ms * 1000) / 1000},
      {"latency_mean_ms", std::round(report.latency_mean_ms * 1000) / 1000}};
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Record({}, record);
  } else {
    nlohmann::json text = record;
    for (const char* key : {"ndcg_at_10", "recall_at_100", "mrr_at_10"}) text[key] = Fixed(record[key], 4);
    for (const char* key : {"ingest_seconds", "index_load_seconds", "latency_p50_ms", "latency_p95_ms",
                            "latency_mean_ms"}) {
      text[key] = Fixed(record[key], 3);
    }
    ctx.out().Record({{"documents", "DOCUMENTS"},
                      {"chunks", "CHUNKS"},
                      {"ingest_seconds", "INGEST S"},
                      {"index_load_seconds", "INDEX LOAD S"},
                      {"queries", "QUERIES"},
                      {"ndcg_at_10", "NDCG@10"},
                      {"recall_at_100", "R@100"},
                      {"mrr_at_10", "MRR@10"},
                      {"latency_p50_ms", "P50 MS"},
                      {"latency_p95_ms", "P95 MS"},
                      {"latency_mean_ms", "MEAN MS"}},
                     text);
  }
  return report.ingest.partial() ? 1 : 0;
}

std::vector<Option> FilterOptions(std::vector<std::string>& types, std::vector<std::string>& tags) {
  return {{"--type", "Only documents of these types (comma-separated or repeated)", &types},
          {"--tags", "Only documents with any of these tags (comma-separated or repeated)", &tags}};
}

}  // namespace

Command MakeKbCommand() {
  return MakeGroup(
      "kb", "search and manage the knowledge base",
      "The knowledge a business's assistant answers from: documents added with `omni ingest`, cut into "
      "chunks and ranked with BM25 (Lucene's formula; k1 and b under kb: in omni.yaml). Every hit carries "
      "its title, source and character span, so that answers can cite where they came from.",
      {
          MakeCommand<SearchCmdOptions>(
              "search", "search a business's knowledge",
              "Ranks the business's chunks for QUERY with BM25 over English-stemmed terms (any term may "
              "match) and shows each hit with its score, title, source and a snippet. When the embeddings "
              "section of omni.yaml is set, the BM25 ranking is fused with a vector-similarity ranking "
              "(reciprocal-rank fusion). A query of only stopwords finds nothing (exit 0). -o json adds ids, "
              "spans and the full chunk text.",
              {"$ omni kb search -b acme \"do you do balayage?\" -k 5",
               "$ omni kb search -b acme \"cancellation fee\" --type POLICY -o json"},
              [](SearchCmdOptions& opts) {
                auto options = FilterOptions(opts.types, opts.tags);
                options.insert(options.begin(), {{"query", "What to search for", &opts.query, true},
                                                 {"-k,--top", "Number of hits (default 5)", &opts.top}});
                return options;
              },
              RunSearch),
          MakeCommand<ListCmdOptions>(
              "list", "list a business's documents",
              "Lists the business's knowledge documents ordered by their external id (path, URL or record).",
              {"$ omni kb list -b acme", "$ omni kb list -b acme --type FAQ -o json"},
              [](ListCmdOptions& opts) { return FilterOptions(opts.types, opts.tags); }, RunList),
          MakeCommand<ShowCmdOptions>(
              "show", "show one document and its chunks",
              "Shows a document, by id or external id (its path or URL), with each chunk's character span "
              "and text.",
              {"$ omni kb show -b acme 3f1c2a9e-0000-4000-8000-000000000000",
               "$ omni kb show -b acme /srv/docs/faq.md -o json"},
              [](ShowCmdOptions& opts) {
                return std::vector<Option>{{"document", "Document id or external id", &opts.document, true}};
              },
              RunShow),
          MakeCommand<RmCmdOptions>(
              "rm", "remove documents",
              "Removes documents (by id or external id) and their chunks in one transaction. Nothing is "
              "removed when any of them does not exist (exit 5).",
              {"$ omni kb rm -b acme /srv/docs/old-prices.md"},
              [](RmCmdOptions& opts) {
                return std::vector<Option>{{"documents", "Document ids or external ids", &opts.documents, true}};
              },
              RunRm),
          MakeCommand<EvalCmdOptions>(
              "eval", "measure retrieval quality on a BEIR data set",
              "Ingests CORPUS (BEIR corpus.jsonl), runs every query of the qrels through the retriever, ranking "
              "documents by their best chunk, and reports nDCG@10 (binary gain, log2 discount, every qrels "
              "query counted, no result scoring 0), R@100, MRR@10 and query latency p50/p95. Without -b it "
              "uses a scratch business, deleted afterwards unless --keep.",
              {"$ omni kb eval --corpus scifact/corpus.jsonl --queries scifact/queries.jsonl "
               "--qrels scifact/qrels/train.tsv",
               "$ omni kb eval -b acme --corpus c.jsonl --queries q.jsonl --qrels qrels.tsv -o json"},
              [](EvalCmdOptions& opts) {
                return std::vector<Option>{
                    {"--corpus", "Corpus file: JSONL or CSV records", &opts.corpus, true},
                    {"--queries", "Queries JSONL ({\"_id\", \"text\"})", &opts.queries, true},
                    {"--qrels", "Relevance judgements TSV (query-id, corpus-id, score)", &opts.qrels, true},
                    {"--title-field", "Corpus field holding the title (default: title)", &opts.title_field},
                    {"--text-field", "Corpus field holding the text (default: text)", &opts.text_field},
                    {"--id-field", "Corpus field holding the id (default: _id)", &opts.id_field},
                    {"--keep", "Keep the scratch business (its slug starts with kb-eval-)", &opts.keep},
                };
              },
              RunEval),
      });
}

}  // namespace omni::cli
