// The `kb` section of omni.yaml: chunking, ranking and document limits.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kKbKeys = {"chunk_size_chars", "chunk_overlap_chars", "bm25_k1",
                                          "bm25_b",           "max_document_bytes",  "max_url_bytes",
                                          "url_timeout_ms",   "url_max_redirects"};

void ParseKb(const Parser& parser, const Entry& entry, Config& config) {
  KbSettings& kb = config.kb;
  Section section(parser, entry, kKbKeys);
  const Entry* size = section.Integer("chunk_size_chars", &kb.chunk_size_chars, 100, 100000);
  const Entry* overlap = section.Integer("chunk_overlap_chars", &kb.chunk_overlap_chars, 0, 100000);
  if (kb.chunk_overlap_chars >= kb.chunk_size_chars) {
    parser.FailValue(overlap ? *overlap : *size,
                     "expected chunk_overlap_chars (" + std::to_string(kb.chunk_overlap_chars) +
                         ") to be less than chunk_size_chars (" + std::to_string(kb.chunk_size_chars) + ")",
                     "Overlap is the text repeated between neighbouring chunks; keep it well under the chunk "
                     "size.");
  }
  section.Number("bm25_k1", &kb.bm25_k1, 0, 100, true, "a number greater than 0");
  section.Number("bm25_b", &kb.bm25_b, 0, 1, false, "a number from 0 to 1");
  section.Integer("max_document_bytes", &kb.max_document_bytes, 1, kMaxBytes);
  section.Integer("max_url_bytes", &kb.max_url_bytes, 1, kMaxBytes);
  section.Millis("url_timeout_ms", &kb.url_timeout_ms);
  section.Integer("url_max_redirects", &kb.url_max_redirects, 0, 20);
}

void ShowKb(const Config& config, const Json&, Json& out) {
  const auto& kb = config.kb;
  out["kb"] = Json{{"chunk_size_chars", kb.chunk_size_chars},
                   {"chunk_overlap_chars", kb.chunk_overlap_chars},
                   {"bm25_k1", kb.bm25_k1},
                   {"bm25_b", kb.bm25_b},
                   {"max_document_bytes", kb.max_document_bytes},
                   {"max_url_bytes", kb.max_url_bytes},
                   {"url_timeout_ms", kb.url_timeout_ms},
                   {"url_max_redirects", kb.url_max_redirects}};
}

}  // namespace

SectionSpec KbSection() { return {"kb", {{"kb", &kKbKeys}}, ParseKb, ShowKb}; }

}  // namespace omni::config::detail
