// The caller's business's knowledge through the same core functions as
// `omni kb list|rm|search` and `omni ingest`:
//
// GET /v1/console/knowledge (knowledge:read)
//   Query: limit (1 to 200, default 50), cursor. Documents by external id:
//   200 {"documents":[DocumentJson...],"next_cursor"}.
// POST /v1/console/knowledge {"title","text","format"? ("markdown" |
//   "text", default markdown),"type"? (FAQ | SERVICE | POLICY | WEBSITE |
//   DOCUMENT),"tags"?,"external_id"?} (knowledge:write)
//   The title names the document even when the text opens with a heading.
//   Ingests the text as one document, chunked and embedded as `omni
//   ingest` does, within the plan's document limit (402 past it). Without
//   an external_id each call adds a new document; with one, the same id
//   again updates it. 201 DocumentJson (200 when it updated one).
// DELETE /v1/console/knowledge/{id} (knowledge:write): 204.
// GET /v1/console/knowledge/search?q=...[&k=1..20] (knowledge:read): what
//   the assistant's retriever returns for the question, best first:
//   200 {"hits":[{"rank","score","document_id","chunk_id","title","source",
//   "type","snippet","text"}]}.
#include <nlohmann/json.hpp>

#include "core/billing/plans.hpp"
#include "core/billing/usage.hpp"
#include "core/chat/assistant.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/kb/documents.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/retriever.hpp"
#include "core/operators/secrets.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

constexpr int kMaxPage = 200;
constexpr int kMaxHits = 20;

json DocumentJson(const kb::DocumentInfo& doc) {
  return {{"id", doc.id},
          {"external_id", doc.external_id},
          {"title", doc.title},
          {"type", kb::DocTypeName(doc.type)},
          {"tags", doc.tags},
          {"source", doc.source},
          {"bytes", doc.byte_size},
          {"chunks", doc.chunk_count},
          {"updated_at", doc.updated_at}};
}

asio::awaitable<Response> List(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  const int page = PageLimit(request, 50, kMaxPage);
  // The cursor is the last external id of the previous page, which orders
  // the list; opaque to callers all the same.
  const std::string after = request.Query("cursor").value_or("");
  auto& pool = exchange.app().pool();
  const auto documents = co_await RunBlocking(exchange.app().blocking(), [&] {
    return kb::ListDocuments(pool, call.principal.business_id);
  });
  json list = json::array();
  json next = nullptr;
  for (const auto& doc : documents) {
    if (!after.empty() && doc.external_id <= after) continue;
    if (static_cast<int>(list.size()) == page) {
      next = list.back()["external_id"];
      break;
    }
    list.push_back(DocumentJson(doc));
  }
  co_return Response::Json(200, {{"documents", std::move(list)}, {"next_cursor", next}});
}

asio::awaitable<Response> Add(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  App& app = exchange.app();
  kb::IngestOptions options;
  options.inputs = {"-"};
  options.title = RequiredString(body, "title", 500);
  options.title_wins = true;
  const std::string text = RequiredString(body, "text", app.config().kb.max_document_bytes);
  const std::string format = OptionalString(body, "format", 20).value_or("markdown");
  if (format != "markdown" && format != "text") throw InvalidInput("format: expected markdown or text, got \"" + format + "\"");
  options.stdin_content_type = format == "markdown" ? "text/markdown" : "text/plain";
  if (const auto type = OptionalString(body, "type", 20)) {
    options.type = kb::ParseDocType(*type);
    if (!options.type) throw InvalidInput("type: unknown document type \"" + *type + "\"", "Use one of FAQ, SERVICE, POLICY, WEBSITE or DOCUMENT.");
  }
  options.tags = StringList(body, "tags");
  options.stdin_id = OptionalString(body, "external_id", 500).value_or(operators::RandomToken("console:", 12));
  if (options.stdin_id.empty()) throw InvalidInput("external_id: expected a non-empty string");

  auto& pool = app.pool();
  const std::string& business_id = call.principal.business_id;
  kb::IngestEnvironment environment;
  environment.read_stdin = [&text](std::size_t max_bytes) { return text.substr(0, max_bytes); };
  environment.embedder = app.webchat().assistant().embedder();
  const auto [report, document] = co_await RunBlocking(app.blocking(), [&] {
    const auto settings = billing::ResolveBillingSettings(app.config());
    const auto now = DefaultClock().Now();
    const auto plan = billing::EntitlementOf(pool, business_id, settings, now);
    options.max_documents = plan.limits.documents;
    const std::string limit = billing::LimitSentence(plan.tier, billing::Metric::kDocuments, plan.limits.documents);
    options.over_limit_message = "not ingested: " + limit;
    auto result = kb::Ingest(pool, business_id, app.config().kb, options, environment);
    billing::RecordHoldingWarnings(pool, business_id, settings, now);
    if (result.over_limit > 0) {
      throw LimitReached(limit, "Upgrade the plan or remove documents first; GET /v1/console/usage shows what is used.");
    }
    if (!result.failures.empty()) throw InvalidInput("text: " + result.failures.front().message);
    return std::make_pair(result, kb::GetDocument(pool, business_id, options.stdin_id));
  });
  co_return Response::Json(report.added > 0 ? 201 : 200, DocumentJson(document));
}

asio::awaitable<Response> Remove(Exchange& exchange, ConsoleCall& call) {
  const std::string id = RequireIdParam(exchange.request(), "id", "document");
  auto& pool = exchange.app().pool();
  co_await RunBlocking(exchange.app().blocking(), [&] { kb::RemoveDocuments(pool, call.principal.business_id, {id}); });
  Response response;
  response.status = 204;
  co_return response;
}

asio::awaitable<Response> Search(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  const std::string query = request.Query("q").value_or("");
  if (Trim(query).empty()) throw InvalidInput("q: required", "Ask what a visitor would, e.g. ?q=do you open on Sundays.");
  if (query.size() > 2000) throw InvalidInput("q: at most 2000 bytes");
  kb::SearchOptions options;
  options.k = 5;
  if (const auto k = request.Query("k"); k && !k->empty()) {
    if (k->size() > 2 || k->find_first_not_of("0123456789") != std::string::npos || std::stoi(*k) < 1 ||
        std::stoi(*k) > kMaxHits) {
      throw InvalidInput("k: expected 1 to " + std::to_string(kMaxHits) + ", got \"" + *k + "\"");
    }
    options.k = static_cast<std::size_t>(std::stoi(*k));
  }
  kb::Retriever& retriever = exchange.app().webchat().assistant().retriever();
  const auto hits = co_await RunBlocking(exchange.app().blocking(), [&] {
    return retriever.Search(call.principal.business_id, query, options);
  });
  json list = json::array();
  int rank = 0;
  for (const auto& hit : hits) {
    const kb::Chunk& chunk = *hit.chunk;
    list.push_back({{"rank", ++rank},
                    {"score", hit.score},
                    {"document_id", chunk.document_id},
                    {"chunk_id", chunk.id},
                    {"title", chunk.title},
                    {"source", chunk.source},
                    {"type", kb::DocTypeName(chunk.type)},
                    {"snippet", kb::Snippet(chunk.text, query, 160)},
                    {"text", chunk.text}});
  }
  co_return Response::Json(200, {{"hits", std::move(list)}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleKnowledge(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kKnowledgeRead, &List);
}

asio::awaitable<Response> HandleConsoleKnowledgeAdd(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kKnowledgeWrite, &Add);
}

asio::awaitable<Response> HandleConsoleKnowledgeRemove(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kKnowledgeWrite, &Remove);
}

asio::awaitable<Response> HandleConsoleKnowledgeSearch(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kKnowledgeRead, &Search);
}

}  // namespace omni::omnid
