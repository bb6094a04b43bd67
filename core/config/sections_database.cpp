// The `database` section of omni.yaml: where PostgreSQL is, and the pool.
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/conninfo.hpp"
#include "core/common/text.hpp"
#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kDatabaseKeys = {
    "url", "embedded", "pool_size", "connect_timeout_ms", "acquire_timeout_ms", "statement_timeout_ms"};
const std::vector<std::string> kEmbeddedKeys = {"data_dir"};

// A libpq key=value connection string: `host=db port=5432 password='a b'`.
bool IsConninfo(const std::string& text) {
  std::size_t i = 0;
  std::size_t pairs = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_space();
  while (i < text.size()) {
    std::size_t key_start = i;
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) ++i;
    if (i == key_start) return false;
    skip_space();
    if (i >= text.size() || text[i] != '=') return false;
    ++i;
    skip_space();
    if (i < text.size() && text[i] == '\'') {
      ++i;
      while (i < text.size() && text[i] != '\'') {
        if (text[i] == '\\') ++i;
        ++i;
      }
      if (i >= text.size()) return false;
      ++i;
    } else {
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    }
    ++pairs;
    skip_space();
  }
  return pairs > 0;
}

bool IsPostgresUrl(const std::string& text) {
  std::string lower = Lower(text);
  return StartsWith(lower, "postgresql://") || StartsWith(lower, "postgres://");
}

void ParseDatabase(const Parser& parser, const Entry& entry, Config& config) {
  DatabaseSettings& db = config.database;
  Section section(parser, entry, kDatabaseKeys);
  if (const Entry* url = section.String("url", &db.url)) {
    if (!db.url.empty() && !IsPostgresUrl(db.url) && !IsConninfo(db.url)) {
      parser.FailValue(*url, "expected a postgresql:// URL or a key=value connection string",
                       "Write e.g. postgresql://omni@db.example.com/omni, or remove the key to use the embedded "
                       "database.");
    }
  }
  if (const Entry* embedded = section.Find("embedded")) {
    Section embedded_section(parser, *embedded, kEmbeddedKeys);
    embedded_section.String("data_dir", &db.embedded_data_dir);
  }
  section.Integer("pool_size", &db.pool_size, 1, 1000);
  section.Millis("connect_timeout_ms", &db.connect_timeout_ms);
  section.Millis("acquire_timeout_ms", &db.acquire_timeout_ms);
  section.Millis("statement_timeout_ms", &db.statement_timeout_ms, 0);
}

void ShowDatabase(const Config& config, const Json&, Json& out) {
  const auto& db = config.database;
  out["database"] = Json{{"url", RedactConninfo(db.url)},
                         {"embedded", Json{{"data_dir", db.embedded_data_dir}}},
                         {"pool_size", db.pool_size},
                         {"connect_timeout_ms", db.connect_timeout_ms},
                         {"acquire_timeout_ms", db.acquire_timeout_ms},
                         {"statement_timeout_ms", db.statement_timeout_ms}};
}

}  // namespace

SectionSpec DatabaseSection() {
  return {
      "database", {{"database", &kDatabaseKeys}, {"database.embedded", &kEmbeddedKeys}}, ParseDatabase, ShowDatabase};
}

}  // namespace omni::config::detail
