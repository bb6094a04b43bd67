// Knowledge documents of a business: their types, and listing, showing and
// removing them. Ingest (core/kb/ingest.hpp) writes them; the retriever
// (core/kb/retriever.hpp) searches their chunks.
// Thread-safe: free functions over a db::Pool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omni::db {
class Pool;
}

namespace omni::kb {

enum class DocType { kFaq, kService, kPolicy, kWebsite, kDocument };

// "FAQ", "SERVICE", "POLICY", "WEBSITE", "DOCUMENT".
const char* DocTypeName(DocType type);
// Parses those names (case-insensitive); nullopt when unknown.
std::optional<DocType> ParseDocType(std::string_view name);

struct ChunkInfo {
  std::string id;
  int ordinal = 0;
  std::string text;
  int char_start = 0;  // span in the document's text, in code points, half-open
  int char_end = 0;
};

struct DocumentInfo {
  std::string id;           // uuid
  std::string external_id;  // path, URL or "<path>#<record id>": its identity in the source set
  std::string source;       // where it came from, for citations
  std::string title;
  DocType type = DocType::kDocument;
  std::vector<std::string> tags;
  std::string content_hash;
  std::int64_t byte_size = 0;  // of the extracted text
  int chunk_count = 0;
  std::string updated_at;   // ISO 8601 UTC
  std::vector<ChunkInfo> chunks;  // filled by GetDocument only
};

struct DocumentFilter {
  std::vector<DocType> types;     // empty: every type
  std::vector<std::string> tags;  // empty: any; else documents with any of them
};

// The business's documents, ordered by external id.
std::vector<DocumentInfo> ListDocuments(db::Pool& pool, const std::string& business_id,
                                        const DocumentFilter& filter = {});

// One document with its chunks, by uuid or external id. Throws NotFound.
DocumentInfo GetDocument(db::Pool& pool, const std::string& business_id, const std::string& id_or_external);

// Removes documents (by uuid or external id) with their chunks, in one
// transaction that also invalidates every cached index. Throws NotFound,
// naming the first unknown one, before removing anything.
void RemoveDocuments(db::Pool& pool, const std::string& business_id,
                     const std::vector<std::string>& ids_or_external);

}  // namespace omni::kb
