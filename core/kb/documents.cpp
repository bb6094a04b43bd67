// Document types, and listing, showing and removing documents.
#include "core/kb/documents.hpp"

#include <algorithm>
#include <cctype>

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/kb/detail/store.hpp"

namespace omni::kb {
namespace {

constexpr const char* kDocumentColumns =
    "id, external_id, source, title, doc_type, tags, content_hash, byte_size, chunk_count, "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

DocumentInfo ReadDocument(const pqxx::row& row) {
  DocumentInfo doc;
  doc.id = row[0].as<std::string>();
  doc.external_id = row[1].as<std::string>();
  doc.source = row[2].as<std::string>();
  doc.title = row[3].as<std::string>();
  doc.type = ParseDocType(row[4].as<std::string>()).value_or(DocType::kDocument);
  doc.tags = detail::ParseArrayLiteral(row[5].as<std::string>());
  doc.content_hash = row[6].as<std::string>();
  doc.byte_size = row[7].as<std::int64_t>();
  doc.chunk_count = row[8].as<int>();
  doc.updated_at = row[9].as<std::string>();
  return doc;
}

std::vector<std::string> TypeNames(const std::vector<DocType>& types) {
  std::vector<std::string> names;
  for (const DocType type : types) names.emplace_back(DocTypeName(type));
  return names;
}

}  // namespace

const char* DocTypeName(DocType type) {
  switch (type) {
    case DocType::kFaq: return "FAQ";
    case DocType::kService: return "SERVICE";
    case DocType::kPolicy: return "POLICY";
    case DocType::kWebsite: return "WEBSITE";
    case DocType::kDocument: return "DOCUMENT";
  }
  return "DOCUMENT";
}

std::optional<DocType> ParseDocType(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const DocType type : {DocType::kFaq, DocType::kService, DocType::kPolicy, DocType::kWebsite,
                             DocType::kDocument}) {
    if (upper == DocTypeName(type)) return type;
  }
  return std::nullopt;
}

std::vector<DocumentInfo> ListDocuments(db::Pool& pool, const std::string& business_id,
                                        const DocumentFilter& filter) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        std::string("SELECT ") + kDocumentColumns +
            " FROM kb_documents WHERE business_id = $1"
            " AND (cardinality($2::text[]) = 0 OR doc_type = ANY($2::text[]))"
            " AND (cardinality($3::text[]) = 0 OR tags && $3::text[])"
            " ORDER BY external_id COLLATE \"C\"",
        business_id, detail::ArrayLiteral(TypeNames(filter.types)), detail::ArrayLiteral(filter.tags));
    std::vector<DocumentInfo> docs;
    docs.reserve(rows.size());
    for (const auto& row : rows) docs.push_back(ReadDocument(row));
    return docs;
  });
}

DocumentInfo GetDocument(db::Pool& pool, const std::string& business_id, const std::string& id_or_external) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        std::string("SELECT ") + kDocumentColumns +
            " FROM kb_documents WHERE business_id = $1 AND (id::text = $2 OR external_id = $2)"
            " ORDER BY (id::text = $2) DESC LIMIT 1",
        business_id, id_or_external);
    if (rows.empty()) {
      throw NotFound("no knowledge document \"" + id_or_external + "\"",
                     "List the business's documents with `omni kb list`.");
    }
    DocumentInfo doc = ReadDocument(rows[0]);
    const auto chunks = tx.exec_params(
        "SELECT id, ordinal, text, char_start, char_end FROM kb_chunks"
        " WHERE business_id = $1 AND document_id = $2 ORDER BY ordinal",
        business_id, doc.id);
    for (const auto& row : chunks) {
      doc.chunks.push_back({row[0].as<std::string>(), row[1].as<int>(), row[2].as<std::string>(),
                            row[3].as<int>(), row[4].as<int>()});
    }
    return doc;
  });
}

void RemoveDocuments(db::Pool& pool, const std::string& business_id,
                     const std::vector<std::string>& ids_or_external) {
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    detail::LockBusinessKb(tx, business_id);
    std::vector<std::string> ids;
    for (const auto& key : ids_or_external) {
      const auto rows = tx.exec_params(
          "SELECT id FROM kb_documents WHERE business_id = $1 AND (id::text = $2 OR external_id = $2)"
          " ORDER BY (id::text = $2) DESC LIMIT 1",
          business_id, key);
      if (rows.empty()) {
        throw NotFound("no knowledge document \"" + key + "\"",
                       "List the business's documents with `omni kb list`.");
      }
      ids.push_back(rows[0][0].as<std::string>());
    }
    tx.exec_params("DELETE FROM kb_documents WHERE business_id = $1 AND id = ANY($2::uuid[])",
                   business_id, detail::ArrayLiteral(ids));
    detail::BumpGeneration(tx, business_id);
  });
}

}  // namespace omni::kb
