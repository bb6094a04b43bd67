// Strict omni.yaml parsing: good files, every class of error with its line
// and column, ${VAR} expansion, redaction, plan overrides and file lookup.
#include "core/config/config.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/billing/plans.hpp"
#include "core/common/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using omni::test::TempDir;

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using omni::ConfigError;
using omni::billing::PlanTier;
using omni::billing::ResolvePlans;
using omni::billing::ResolvePriceIds;
using omni::config::Config;
using omni::config::EnvLookup;
using omni::config::ParseConfig;

EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Parses as omni and omnid load a config: config's strict parsing, then
// billing's check of the plan tiers it names.
Config Parse(const std::string& yaml, const EnvLookup& env = FakeEnv()) {
  Config config = ParseConfig(yaml, "omni.yaml", env);
  omni::billing::CheckPlanSettings(config);
  return config;
}

// The effective config as `omni config show` prints it, plans from billing.
nlohmann::ordered_json Redacted(const Config& config) {
  return omni::config::RedactedJson(config, omni::billing::PlanSettingsJson(config));
}
std::string Rendered(const Config& config) {
  return omni::config::RenderRedacted(config, omni::billing::PlanSettingsJson(config));
}

// The message and hint of the ConfigError that parsing `yaml` throws.
std::pair<std::string, std::string> ErrorOf(const std::string& yaml, const EnvLookup& env = FakeEnv()) {
  try {
    Parse(yaml, env);
  } catch (const ConfigError& e) {
    return {e.what(), e.hint()};
  }
  FAIL("expected a ConfigError for:\n" << yaml);
  return {};
}

std::string MessageOf(const std::string& yaml, const EnvLookup& env = FakeEnv()) { return ErrorOf(yaml, env).first; }

// Changes the working directory for its lifetime.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::filesystem::path& path) : previous_(std::filesystem::current_path()) {
    std::filesystem::current_path(path);
  }
  ~WorkingDirectory() { std::filesystem::current_path(previous_); }

 private:
  std::filesystem::path previous_;
};

}  // namespace

TEST_CASE("an empty or comment-only file gives the built-in defaults", "[config]") {
  for (const std::string text : {"", "\n\n", "# nothing here\n", "---\n"}) {
    Config config = Parse(text);
    CHECK(config.database.url.empty());
    CHECK(config.server.listen_host == "127.0.0.1");
    CHECK(config.server.listen_port == 8080);
    CHECK(config.llm.api_key.empty());
    CHECK(config.llm.models == std::vector<std::string>{"openai/gpt-4o-mini"});
    CHECK_FALSE(config.embeddings.enabled);
    CHECK(config.logging.level == "info");
    CHECK(config.logging.format == "text");
    CHECK(ResolvePlans(config.plans).size() == 4);
    CHECK(config.source_path == "omni.yaml");
  }
  Config defaults = omni::config::DefaultConfig();
  CHECK(defaults.source_path.empty());
  CHECK(ResolvePlans(defaults.plans).at(PlanTier::kFree).interactions_per_month == 100);
}

TEST_CASE("a complete file sets every section", "[config]") {
  const std::string yaml = R"(database:
  url: postgresql://omni@db.example.com/omni
  embedded:
    data_dir: /srv/omni/pg
  pool_size: 16
  connect_timeout_ms: 2000
  acquire_timeout_ms: 3000
  statement_timeout_ms: 0
server:
  listen: 0.0.0.0:9090
  public_url: https://chat.example.com/
  max_body_bytes: 1048576
  max_header_bytes: 8192
  read_timeout_ms: 1000
  write_timeout_ms: 2000
  idle_timeout_ms: 3000
  shutdown_grace_ms: 4000
  io_threads: 2
  db_threads: 8
  token_secret: 0123456789abcdef0123
llm:
  base_url: http://127.0.0.1:9999/v1
  api_key: sk-or-test
  models: [openai/gpt-4o-mini, anthropic/claude-3.5-haiku]
  connect_timeout_ms: 100
  first_byte_timeout_ms: 200
  idle_timeout_ms: 300
  max_retries: 4
  retry_base_delay_ms: 10
  max_tool_rounds: 3
  history_messages: 12
  temperature: 0.7
  max_tokens: 1000
  app_name: Acme desk
  app_url: https://acme.example.com
  ca_file: /etc/ssl/test-ca.pem
  escalate_on_failure: false
embeddings:
  base_url: https://embed.example.com/v1
  api_key: emb-key
  model: text-embedding-3-large
  batch_size: 32
  timeout_ms: 5000
  max_retries: 1
kb:
  chunk_size_chars: 800
  chunk_overlap_chars: 100
  bm25_k1: 1.2
  bm25_b: 0.75
  max_document_bytes: 1000
  max_url_bytes: 2000
  url_timeout_ms: 3000
  url_max_redirects: 2
stripe:
  api_key: sk_test_123
  api_base: http://127.0.0.1:12111
  webhook_secrets: [whsec_old, whsec_new]
  webhook_tolerance_s: 60
  price_ids:
    STARTER: price_starter
    professional: price_pro
  metered_price_id: price_metered
logging:
  level: DEBUG
  format: json
)";
  Config config = Parse(yaml);
  CHECK(config.database.url == "postgresql://omni@db.example.com/omni");
  CHECK(config.database.embedded_data_dir == "/srv/omni/pg");
  CHECK(config.database.pool_size == 16);
  CHECK(config.database.connect_timeout_ms == 2000);
  CHECK(config.database.acquire_timeout_ms == 3000);
  CHECK(config.database.statement_timeout_ms == 0);
  CHECK(config.server.listen_host == "0.0.0.0");
  CHECK(config.server.listen_port == 9090);
  CHECK(config.server.public_url == "https://chat.example.com");
  CHECK(config.server.max_body_bytes == 1048576);
  CHECK(config.server.max_header_bytes == 8192);
  CHECK(config.server.read_timeout_ms == 1000);
  CHECK(config.server.write_timeout_ms == 2000);
  CHECK(config.server.idle_timeout_ms == 3000);
  CHECK(config.server.shutdown_grace_ms == 4000);
  CHECK(config.server.io_threads == 2);
  CHECK(config.server.db_threads == 8);
  CHECK(config.server.token_secret == "0123456789abcdef0123");
  CHECK(config.llm.base_url == "http://127.0.0.1:9999/v1");
  CHECK(config.llm.api_key == "sk-or-test");
  CHECK(config.llm.models == std::vector<std::string>{"openai/gpt-4o-mini", "anthropic/claude-3.5-haiku"});
  CHECK(config.llm.connect_timeout_ms == 100);
  CHECK(config.llm.first_byte_timeout_ms == 200);
  CHECK(config.llm.idle_timeout_ms == 300);
  CHECK(config.llm.max_retries == 4);
  CHECK(config.llm.retry_base_delay_ms == 10);
  CHECK(config.llm.max_tool_rounds == 3);
  CHECK(config.llm.history_messages == 12);
  CHECK(config.llm.temperature == Approx(0.7));
  CHECK(config.llm.max_tokens == 1000);
  CHECK(config.llm.app_name == "Acme desk");
  CHECK(config.llm.app_url == "https://acme.example.com");
  CHECK(config.llm.ca_file == "/etc/ssl/test-ca.pem");
  CHECK_FALSE(config.llm.escalate_on_failure);
  CHECK(config.embeddings.enabled);
  CHECK(config.embeddings.base_url == "https://embed.example.com/v1");
  CHECK(config.embeddings.api_key == "emb-key");
  CHECK(config.embeddings.model == "text-embedding-3-large");
  CHECK(config.embeddings.batch_size == 32);
  CHECK(config.embeddings.timeout_ms == 5000);
  CHECK(config.embeddings.max_retries == 1);
  CHECK(config.kb.chunk_size_chars == 800);
  CHECK(config.kb.chunk_overlap_chars == 100);
  CHECK(config.kb.bm25_k1 == Approx(1.2));
  CHECK(config.kb.bm25_b == Approx(0.75));
  CHECK(config.kb.max_document_bytes == 1000);
  CHECK(config.kb.max_url_bytes == 2000);
  CHECK(config.kb.url_timeout_ms == 3000);
  CHECK(config.kb.url_max_redirects == 2);
  CHECK(config.stripe.api_key == "sk_test_123");
  CHECK(config.stripe.api_base == "http://127.0.0.1:12111");
  CHECK(config.stripe.webhook_secrets == std::vector<std::string>{"whsec_old", "whsec_new"});
  CHECK(config.stripe.webhook_tolerance_s == 60);
  CHECK(ResolvePriceIds(config.stripe.price_ids).size() == 2);
  CHECK(ResolvePriceIds(config.stripe.price_ids).at(PlanTier::kStarter) == "price_starter");
  CHECK(ResolvePriceIds(config.stripe.price_ids).at(PlanTier::kProfessional) == "price_pro");
  CHECK(config.stripe.metered_price_id == "price_metered");
  CHECK(config.logging.level == "debug");
  CHECK(config.logging.format == "json");
}

TEST_CASE("listen addresses", "[config]") {
  Config v6 = Parse("server:\n  listen: \"[::1]:8443\"\n");
  CHECK(v6.server.listen_host == "::1");
  CHECK(v6.server.listen_port == 8443);
  Config any_port = Parse("server:\n  listen: 127.0.0.1:0\n");
  CHECK(any_port.server.listen_port == 0);
  Config named = Parse("server:\n  listen: localhost:80\n");
  CHECK(named.server.listen_host == "localhost");
  CHECK(named.server.listen_port == 80);
}

TEST_CASE("database urls: URL and conninfo forms", "[config]") {
  CHECK(Parse("database:\n  url: postgres://u:p@h:5432/d?sslmode=require\n").database.url ==
        "postgres://u:p@h:5432/d?sslmode=require");
  CHECK(Parse("database:\n  url: host=/tmp port=5432 dbname=omni password='a b'\n").database.url ==
        "host=/tmp port=5432 dbname=omni password='a b'");
  CHECK(Parse("database:\n  url: \"\"\n").database.url.empty());
}

TEST_CASE("an unknown key names its place and suggests the closest key", "[config]") {
  SECTION("at the top level") {
    auto [message, hint] = ErrorOf("databse:\n  url: postgresql://x/y\n");
    CHECK(message == "omni.yaml:1:1: databse: unknown key");
    CHECK_THAT(hint, Contains("Did you mean `database`?"));
    CHECK_THAT(hint, Contains("database, server, console, llm, embeddings, kb, stripe, email, webhooks, plans, billing, logging"));
  }
  SECTION("nested") {
    auto [message, hint] = ErrorOf("server:\n  listen: 127.0.0.1:8080\n  max_body_byte: 10\n");
    CHECK(message == "omni.yaml:3:3: server.max_body_byte: unknown key");
    CHECK_THAT(hint, Contains("Did you mean `max_body_bytes`?"));
    CHECK_THAT(hint, Contains("Valid keys under server: listen, public_url"));
  }
  SECTION("deeply nested") {
    auto [message, hint] = ErrorOf("database:\n  embedded:\n    datadir: /x\n");
    CHECK(message == "omni.yaml:3:5: database.embedded.datadir: unknown key");
    CHECK_THAT(hint, Contains("Did you mean `data_dir`?"));
  }
  SECTION("unknown plan tier") {
    auto [message, hint] = ErrorOf("plans:\n  gold:\n    documents: 5\n");
    CHECK(message == "omni.yaml:2:3: plans.gold: unknown key");
    CHECK_THAT(hint, Contains("free, starter, professional, enterprise"));
  }
  SECTION("a key in the wrong section") {
    auto [message, hint] = ErrorOf("listen: 127.0.0.1:8080\n");
    CHECK(message == "omni.yaml:1:1: listen: unknown key");
    CHECK_THAT(hint, StartsWith("`listen` belongs under server."));
    auto [nested, nested_hint] = ErrorOf("llm:\n  documents: 5\n");
    CHECK_THAT(nested_hint, StartsWith("`documents` belongs under plans.<tier>."));
  }
  SECTION("nothing close") {
    auto [message, hint] = ErrorOf("logging:\n  zzzzzzzzzz: 1\n");
    CHECK(message == "omni.yaml:2:3: logging.zzzzzzzzzz: unknown key");
    CHECK_THAT(hint, !Contains("Did you mean"));
    CHECK_THAT(hint, Contains("level, format"));
  }
}

TEST_CASE("a duplicate key is an error", "[config]") {
  CHECK(MessageOf("logging:\n  level: info\n  level: debug\n") ==
        "omni.yaml:3:3: logging.level: duplicate key (first given at line 2)");
  CHECK(MessageOf("plans:\n  free:\n    documents: 1\n  FREE:\n    documents: 2\n") ==
        "omni.yaml:4:3: plans.FREE: duplicate key (first given at line 2)");
}

TEST_CASE("a wrong type says what was expected", "[config]") {
  CHECK(MessageOf("database:\n  pool_size: abc\n") ==
        "omni.yaml:2:14: database.pool_size: expected an integer from 1 to 1000, got \"abc\"");
  CHECK(MessageOf("database:\n  url:\n    host: x\n") ==
        "omni.yaml:3:5: database.url: expected a string, got a mapping");
  CHECK(MessageOf("llm:\n  api_key: [a, b]\n") == "omni.yaml:2:12: llm.api_key: expected a string, got a list");
  CHECK(MessageOf("llm:\n  models: openai/gpt-4o\n") ==
        "omni.yaml:2:11: llm.models: expected a list of strings, got \"openai/gpt-4o\"");
  CHECK(MessageOf("llm:\n  models:\n    - a\n    - {x: 1}\n") ==
        "omni.yaml:4:7: llm.models[1]: expected a string, got a mapping");
  CHECK(MessageOf("llm:\n  temperature: warm\n") ==
        "omni.yaml:2:16: llm.temperature: expected a number from 0 to 2, got \"warm\"");
  CHECK(MessageOf("llm:\n  escalate_on_failure: maybe\n") ==
        "omni.yaml:2:24: llm.escalate_on_failure: expected true or false, got \"maybe\"");
  CHECK(MessageOf("server:\n  read_timeout_ms: 1.5\n") ==
        "omni.yaml:2:20: server.read_timeout_ms: expected a positive integer up to 86400000 (milliseconds), got "
        "\"1.5\"");
  CHECK(MessageOf("server: 8080\n") ==
        "omni.yaml:1:9: server: expected a mapping with keys listen, public_url, max_body_bytes, "
        "max_header_bytes, read_timeout_ms, write_timeout_ms, idle_timeout_ms, shutdown_grace_ms, io_threads, "
        "db_threads, token_secret, token_ttl_s, max_message_chars, visitor_rate_per_min, visitor_burst, "
        "ip_rate_per_min, ip_burst, sse_keepalive_ms, unanswered_after_s, got \"8080\"");
  CHECK(MessageOf("- database\n- server\n") == "omni.yaml:1:1: expected a mapping of sections, got a list");
  CHECK(MessageOf("? [a, b]\n: 1\n") == "omni.yaml:1:3: expected a key name, got a list");
}

TEST_CASE("a missing value points at its key", "[config]") {
  auto [message, hint] = ErrorOf("llm:\n  api_key:\n  models: [a]\n");
  CHECK(message == "omni.yaml:2:3: llm.api_key: missing value, expected a string");
  CHECK_THAT(hint, Contains("Remove the key"));
  CHECK(MessageOf("kb:\n  bm25_b: ~\n") == "omni.yaml:2:3: kb.bm25_b: missing value, expected a number from 0 to 1");
  CHECK(MessageOf("embeddings:\n  model: \"\"\n") ==
        "omni.yaml:2:10: embeddings.model: expected a non-empty string, got \"\"");
  CHECK(MessageOf("llm:\n  models: []\n") == "omni.yaml:2:11: llm.models: expected at least one model name");
}

TEST_CASE("bad values are rejected with the expectation", "[config]") {
  SECTION("server.listen") {
    CHECK(MessageOf("server:\n  listen: 127.0.0.1:70000\n") ==
          "omni.yaml:2:11: server.listen: expected a port from 0 to 65535 after the host, got \"70000\"");
    auto [message, hint] = ErrorOf("server:\n  listen: 127.0.0.1\n");
    CHECK(message ==
          "omni.yaml:2:11: server.listen: expected host:port, e.g. 127.0.0.1:8080, got \"127.0.0.1\" (no port)");
    CHECK_THAT(hint, Contains("127.0.0.1:8080"));
    auto [port_only, port_only_hint] = ErrorOf("server:\n  listen: 8080\n");
    CHECK(port_only ==
          "omni.yaml:2:11: server.listen: expected host:port, e.g. 127.0.0.1:8080, got \"8080\" (no host)");
    CHECK_THAT(port_only_hint, Contains("127.0.0.1:8080"));
    CHECK_THAT(MessageOf("server:\n  listen: \":8080\"\n"),
               StartsWith("omni.yaml:2:11: server.listen: expected host:port"));
    CHECK_THAT(MessageOf("server:\n  listen: \"::1:8080\"\n"),
               StartsWith("omni.yaml:2:11: server.listen: expected host:port"));
    CHECK_THAT(MessageOf("server:\n  listen: h:80x\n"), StartsWith("omni.yaml:2:11: server.listen: expected a port"));
  }
  SECTION("timeouts and counts") {
    CHECK(MessageOf("database:\n  connect_timeout_ms: -5\n") ==
          "omni.yaml:2:23: database.connect_timeout_ms: expected a positive integer up to 86400000 (milliseconds), "
          "got -5");
    CHECK(MessageOf("llm:\n  max_retries: 11\n") ==
          "omni.yaml:2:16: llm.max_retries: expected an integer from 0 to 10, got 11");
    CHECK(MessageOf("server:\n  io_threads: 0\n") ==
          "omni.yaml:2:15: server.io_threads: expected an integer from 1 to 256, got 0");
    CHECK(MessageOf("server:\n  max_body_bytes: 0\n") ==
          "omni.yaml:2:19: server.max_body_bytes: expected a positive integer (bytes), got 0");
    CHECK(MessageOf("stripe:\n  webhook_tolerance_s: 0\n") ==
          "omni.yaml:2:24: stripe.webhook_tolerance_s: expected an integer from 1 to 86400 (seconds), got 0");
  }
  SECTION("logging") {
    CHECK(MessageOf("logging:\n  level: verbose\n") ==
          "omni.yaml:2:10: logging.level: expected one of trace, debug, info, warn, error, off, got \"verbose\"");
    CHECK(MessageOf("logging:\n  format: xml\n") ==
          "omni.yaml:2:11: logging.format: expected one of text, json, got \"xml\"");
  }
  SECTION("kb") {
    CHECK(MessageOf("kb:\n  bm25_k1: 0\n") == "omni.yaml:2:12: kb.bm25_k1: expected a number greater than 0, got 0");
    CHECK(MessageOf("kb:\n  bm25_k1: -1.5\n") ==
          "omni.yaml:2:12: kb.bm25_k1: expected a number greater than 0, got -1.5");
    CHECK(MessageOf("kb:\n  bm25_b: 1.5\n") == "omni.yaml:2:11: kb.bm25_b: expected a number from 0 to 1, got 1.5");
    CHECK(Parse("kb:\n  bm25_b: 0\n").kb.bm25_b == 0);
    CHECK(Parse("kb:\n  bm25_b: 1\n").kb.bm25_b == 1);
    CHECK(MessageOf("kb:\n  chunk_size_chars: 500\n  chunk_overlap_chars: 500\n") ==
          "omni.yaml:3:24: kb.chunk_overlap_chars: expected chunk_overlap_chars (500) to be less than "
          "chunk_size_chars (500)");
    CHECK(MessageOf("kb:\n  chunk_size_chars: 120\n") ==
          "omni.yaml:2:21: kb.chunk_size_chars: expected chunk_overlap_chars (150) to be less than "
          "chunk_size_chars (120)");
  }
  SECTION("urls") {
    auto [message, hint] = ErrorOf("database:\n  url: mysql://root:hunter2@db/omni\n");
    CHECK(message == "omni.yaml:2:8: database.url: expected a postgresql:// URL or a key=value connection string");
    CHECK_THAT(message, !Contains("hunter2"));
    CHECK_THAT(hint, Contains("postgresql://"));
    CHECK(MessageOf("database:\n  url: just-a-name\n") ==
          "omni.yaml:2:8: database.url: expected a postgresql:// URL or a key=value connection string");
    CHECK(MessageOf("llm:\n  base_url: ftp://example.com\n") ==
          "omni.yaml:2:13: llm.base_url: expected an http:// or https:// URL, got \"ftp://example.com\"");
    CHECK(MessageOf("embeddings:\n  base_url: \"\"\n") ==
          "omni.yaml:2:13: embeddings.base_url: expected an http:// or https:// URL, got \"\"");
    CHECK(MessageOf("server:\n  public_url: chat.example.com\n") ==
          "omni.yaml:2:15: server.public_url: expected an http:// or https:// URL, or \"\", got \"chat.example.com\"");
  }
  SECTION("secrets and limits") {
    CHECK_THAT(MessageOf("server:\n  token_secret: short\n"),
               StartsWith("omni.yaml:2:17: server.token_secret: expected at least 16 characters, got 5"));
    CHECK(MessageOf("plans:\n  free:\n    documents: -2\n") ==
          "omni.yaml:3:16: plans.free.documents: expected an integer >= -1 (-1 means unlimited), got -2");
    CHECK(MessageOf("plans:\n  free:\n    overage_cents_per_interaction: -1\n") ==
          "omni.yaml:3:36: plans.free.overage_cents_per_interaction: expected a non-negative integer, got -1");
    CHECK(MessageOf("stripe:\n  price_ids:\n    GOLD: price_x\n") ==
          "omni.yaml:3:5: stripe.price_ids.GOLD: unknown key");
  }
}

TEST_CASE("YAML syntax errors give line and column", "[config]") {
  auto [message, hint] = ErrorOf("llm:\n  models: [a, b\n");
  CHECK_THAT(message, StartsWith("omni.yaml:3:1: invalid YAML: "));
  CHECK_THAT(message, Contains("end of sequence flow not found"));
  auto [tab_message, tab_hint] = ErrorOf("server:\n\tlisten: 127.0.0.1:8080\n");
  CHECK_THAT(tab_message, StartsWith("omni.yaml:2:"));
  CHECK_THAT(tab_message, Contains("invalid YAML"));
  CHECK_THAT(tab_hint, Contains("tabs"));
  auto [flow_message, flow_hint] = ErrorOf("stripe:\n  webhook_secrets: [${WHSEC}]\n");
  CHECK_THAT(flow_message, StartsWith("omni.yaml:2:"));
  CHECK_THAT(flow_hint, Contains("quote values that hold ${NAME}"));
  CHECK(MessageOf("logging:\n  level: info\n---\nlogging:\n  level: warn\n") ==
        "omni.yaml:4:1: expected one YAML document, found 2");
}

TEST_CASE("environment variables are expanded in values", "[config]") {
  auto env = FakeEnv({{"OPENROUTER_API_KEY", "sk-or-secret"}, {"PORT", "9000"}, {"EMPTY", ""}});
  SECTION("set") {
    Config config = Parse("llm:\n  api_key: ${OPENROUTER_API_KEY}\nserver:\n  listen: 0.0.0.0:${PORT}\n", env);
    CHECK(config.llm.api_key == "sk-or-secret");
    CHECK(config.server.listen_port == 9000);
    CHECK(Parse("database:\n  pool_size: ${PORT:-3}\n", FakeEnv({{"PORT", "12"}})).database.pool_size == 12);
    CHECK(Parse("llm:\n  models: [\"${EMPTY}x-${PORT}\"]\n", env).llm.models == std::vector<std::string>{"x-9000"});
  }
  SECTION("unset without a default") {
    auto [message, hint] = ErrorOf("llm:\n  base_url: https://openrouter.ai/api/v1\n  api_key: ${MISSING_KEY}\n", env);
    CHECK(message == "omni.yaml:3:12: llm.api_key: environment variable MISSING_KEY is not set");
    CHECK_THAT(hint, Contains("Export MISSING_KEY"));
    CHECK_THAT(hint, Contains("${MISSING_KEY:-default}"));
    CHECK(MessageOf("database:\n  url: \"postgresql://u:${DB_PASSWORD}@h/d\"\n", env) ==
          "omni.yaml:2:24: database.url: environment variable DB_PASSWORD is not set");
  }
  SECTION("defaults") {
    CHECK(Parse("llm:\n  api_key: ${MISSING:-fallback}\n", env).llm.api_key == "fallback");
    CHECK(Parse("llm:\n  api_key: ${MISSING:-}\n", env).llm.api_key.empty());
    CHECK(Parse("llm:\n  api_key: ${EMPTY:-used when empty}\n", env).llm.api_key == "used when empty");
    CHECK(Parse("llm:\n  api_key: ${OPENROUTER_API_KEY:-unused}\n", env).llm.api_key == "sk-or-secret");
    CHECK(Parse("database:\n  pool_size: ${POOL:-4}\n", env).database.pool_size == 4);
  }
  SECTION("escapes and literal dollars") {
    CHECK(Parse("llm:\n  api_key: pa$$${EMPTY}word\n", env).llm.api_key == "pa$word");
    CHECK(Parse("llm:\n  api_key: \"$${NOT_EXPANDED}\"\n", env).llm.api_key == "${NOT_EXPANDED}");
    CHECK(Parse("llm:\n  api_key: cost$5 and $\n", env).llm.api_key == "cost$5 and $");
  }
  SECTION("malformed references") {
    CHECK(MessageOf("llm:\n  api_key: abc${OPEN\n", env) == "omni.yaml:2:15: llm.api_key: unterminated ${ in value");
    CHECK(MessageOf("llm:\n  api_key: ${1BAD}\n", env) ==
          "omni.yaml:2:12: llm.api_key: invalid environment variable reference ${1BAD}");
  }
  SECTION("an expanded value is still validated") {
    CHECK(MessageOf("database:\n  pool_size: ${PORT}\n", env) ==
          "omni.yaml:2:14: database.pool_size: expected an integer from 1 to 1000, got 9000");
  }
  SECTION("keys are not expanded") {
    CHECK(MessageOf("llm:\n  ${PORT}: 1\n", env) == "omni.yaml:2:3: llm.${PORT}: unknown key");
  }
}

TEST_CASE("embeddings are enabled by the presence of their section", "[config]") {
  CHECK_FALSE(Parse("llm: {}\n").embeddings.enabled);
  CHECK(Parse("embeddings:\n").embeddings.enabled);
  CHECK(Parse("embeddings:\n  model: m\n").embeddings.enabled);
  CHECK_FALSE(Parse("embeddings:\n  enabled: false\n  model: m\n").embeddings.enabled);
}

TEST_CASE("plan limits: defaults for every tier, a file overrides single fields", "[config]") {
  Config defaults = Parse("");
  const auto free = ResolvePlans(defaults.plans).at(PlanTier::kFree);
  CHECK(free.interactions_per_month == 100);
  CHECK(free.conversations_per_month == 50);
  CHECK(free.documents == 5);
  CHECK(free.services == 5);
  CHECK(free.operators == 1);
  CHECK(free.overage_cents_per_interaction == 0);
  const auto starter = ResolvePlans(defaults.plans).at(PlanTier::kStarter);
  CHECK(starter.interactions_per_month == 1000);
  CHECK(starter.conversations_per_month == 500);
  CHECK(starter.documents == 50);
  CHECK(starter.services == 20);
  CHECK(starter.operators == 3);
  const auto pro = ResolvePlans(defaults.plans).at(PlanTier::kProfessional);
  CHECK(pro.interactions_per_month == 10000);
  CHECK(pro.operators == 10);
  CHECK(pro.overage_cents_per_interaction > 0);
  const auto enterprise = ResolvePlans(defaults.plans).at(PlanTier::kEnterprise);
  CHECK(enterprise.interactions_per_month == -1);
  CHECK(enterprise.documents == -1);
  CHECK(enterprise.operators == -1);

  Config config = Parse("plans:\n  starter:\n    documents: 250\n  Enterprise:\n    operators: 500\n");
  CHECK(ResolvePlans(config.plans).size() == 4);
  CHECK(ResolvePlans(config.plans).at(PlanTier::kStarter).documents == 250);
  CHECK(ResolvePlans(config.plans).at(PlanTier::kStarter).interactions_per_month == 1000);
  CHECK(ResolvePlans(config.plans).at(PlanTier::kStarter).services == 20);
  CHECK(ResolvePlans(config.plans).at(PlanTier::kEnterprise).operators == 500);
  CHECK(ResolvePlans(config.plans).at(PlanTier::kEnterprise).documents == -1);
  CHECK(ResolvePlans(config.plans).at(PlanTier::kFree).documents == 5);
  CHECK(pro.documents == 500);
  CHECK(pro.services == 100);
}

TEST_CASE("billing: the trial and the past-due grace, with their defaults", "[config]") {
  const auto defaults = omni::billing::ResolveBillingSettings(Parse(""));
  CHECK(defaults.trial_days == 14);
  CHECK(defaults.trial_plan == PlanTier::kStarter);
  CHECK(defaults.past_due_grace_days == 7);
  const auto set = omni::billing::ResolveBillingSettings(
      Parse("billing:\n  trial_days: 30\n  trial_plan: professional\n  past_due_grace_days: 3\n"));
  CHECK(set.trial_days == 30);
  CHECK(set.trial_plan == PlanTier::kProfessional);
  CHECK(set.past_due_grace_days == 3);
  CHECK_THROWS_WITH(omni::billing::ResolveBillingSettings(Parse("billing:\n  trial_plan: gold\n")),
                    "omni.yaml:2:15: billing.trial_plan: unknown plan \"gold\"");
  CHECK_THROWS_AS(Parse("billing:\n  trial_days: -1\n"), omni::ConfigError);
}

TEST_CASE("stripe secrets and price ids", "[config]") {
  auto env = FakeEnv({{"WHSEC", "whsec_env"}});
  CHECK(Parse("stripe:\n  webhook_secrets: whsec_one\n").stripe.webhook_secrets ==
        std::vector<std::string>{"whsec_one"});
  CHECK(Parse("stripe:\n  webhook_secrets: [\"${WHSEC}\", \"${OLD_WHSEC:-}\"]\n", env).stripe.webhook_secrets ==
        std::vector<std::string>{"whsec_env"});
  CHECK(Parse("stripe:\n  webhook_secrets: \"${OLD_WHSEC:-}\"\n", env).stripe.webhook_secrets.empty());
  Config prices = Parse("stripe:\n  price_ids:\n    free: \"\"\n    Enterprise: price_ent\n");
  CHECK(ResolvePriceIds(prices.stripe.price_ids).size() == 1);
  CHECK(ResolvePriceIds(prices.stripe.price_ids).at(PlanTier::kEnterprise) == "price_ent");
}

TEST_CASE("email: smtp and smtps URLs, login from the environment, sender", "[config]") {
  auto env = FakeEnv({{"SMTP_USER", "desk"}, {"SMTP_PASSWORD", "p@ss w0rd"}});
  Config config = Parse(
      "email:\n  smtp_url: smtps://mail.example.com:465/\n  username: ${SMTP_USER}\n  password: ${SMTP_PASSWORD}\n"
      "  from: \"Front Desk <desk@example.com>\"\n  starttls: required\n  timeout_ms: 2500\n",
      env);
  CHECK(config.email.enabled());
  CHECK(config.email.smtp_url == "smtps://mail.example.com:465");
  CHECK(config.email.username == "desk");
  CHECK(config.email.password == "p@ss w0rd");
  CHECK(config.email.from == "Front Desk <desk@example.com>");
  CHECK(config.email.timeout_ms == 2500);
  CHECK_THAT(Rendered(config), !Contains("p@ss w0rd"));
  CHECK(Redacted(config)["email"]["password"] == "<redacted>");

  Config plain = Parse("email:\n  smtp_url: smtp://127.0.0.1:2525\n  from: desk@example.com\n  starttls: off\n");
  CHECK(plain.email.starttls == "off");
  CHECK(plain.email.from == "desk@example.com");
  // An unset variable leaves e-mail off rather than failing.
  CHECK_FALSE(Parse("email:\n  smtp_url: ${SMTP_URL:-}\n  from: desk@example.com\n").email.enabled());
  CHECK_FALSE(omni::config::DefaultConfig().email.enabled());
}

TEST_CASE("email: bad URLs, senders and half a login are named", "[config]") {
  CHECK_THAT(MessageOf("email:\n  smtp_url: http://mail.example.com\n  from: a@b.c\n"),
             Contains("omni.yaml:2:13: email.smtp_url: expected an smtp://host:port or smtps://host:port URL"));
  CHECK_THAT(MessageOf("email:\n  smtp_url: smtp://user:pw@mail.example.com\n  from: a@b.c\n"),
             Contains("email.smtp_url: expected"));
  CHECK_THAT(MessageOf("email:\n  smtp_url: smtp://mail.example.com/x\n  from: a@b.c\n"),
             Contains("email.smtp_url: expected"));
  CHECK_THAT(MessageOf("email:\n  smtp_url: smtp://mail.example.com\n"),
             Contains("email.from is required when email.smtp_url is set"));
  CHECK_THAT(MessageOf("email:\n  from: \"Desk <nobody>\"\n"), Contains("email.from: expected an address"));
  CHECK_THAT(MessageOf("email:\n  username: desk\n"), Contains("email.username and email.password go together"));
  CHECK_THAT(MessageOf("email:\n  starttls: maybe\n"), Contains("email.starttls: expected one of required, off"));
}

TEST_CASE("webhooks: the attempt timeout, private targets and delivery retention, with their defaults", "[config]") {
  CHECK(omni::config::DefaultConfig().webhooks.timeout_ms == 10000);
  CHECK_FALSE(omni::config::DefaultConfig().webhooks.allow_private_targets);
  Config config = Parse("webhooks:\n  timeout_ms: 500\n  allow_private_targets: true\n");
  CHECK(config.webhooks.timeout_ms == 500);
  CHECK(config.webhooks.allow_private_targets);
  CHECK_THAT(MessageOf("webhooks:\n  timeout_ms: 10\n"), Contains("webhooks.timeout_ms"));
  CHECK_THAT(MessageOf("webhooks:\n  allow_private_targets: sometimes\n"),
             Contains("webhooks.allow_private_targets"));
  CHECK_THAT(MessageOf("webhooks:\n  secret: x\n"), Contains("webhooks.secret"));
  CHECK(omni::config::DefaultConfig().webhooks.delivery_retention_days == 30);
  CHECK(Parse("webhooks:\n  delivery_retention_days: 7\n").webhooks.delivery_retention_days == 7);
  CHECK_THAT(MessageOf("webhooks:\n  delivery_retention_days: 0\n"), Contains("webhooks.delivery_retention_days"));
}

TEST_CASE("the rendered config redacts every secret", "[config]") {
  const std::string yaml = R"(database:
  url: postgresql://omni:hunter2@db.example.com:5432/omni?sslmode=require&password=also-secret
server:
  token_secret: tok-0123456789abcdef
llm:
  api_key: sk-or-live-1
embeddings:
  api_key: emb-live-2
stripe:
  api_key: sk_live_3
  webhook_secrets: [whsec_a, whsec_b]
  price_ids:
    starter: price_1
email:
  smtp_url: smtp://mail.example.com:587
  username: desk
  password: smtp-secret-4
  from: desk@example.com
)";
  Config config = Parse(yaml);
  std::string rendered = Rendered(config);
  for (const std::string secret : {"hunter2", "also-secret", "tok-0123456789abcdef", "sk-or-live-1", "emb-live-2",
                                   "sk_live_3", "whsec_a", "whsec_b", "smtp-secret-4"}) {
    CHECK_THAT(rendered, !Contains(secret));
  }
  CHECK_THAT(
      rendered,
      Contains("url: host=db.example.com port=5432 dbname=omni user=omni password=<redacted> sslmode=require"));
  CHECK_THAT(rendered, Contains("api_key: <redacted>"));
  CHECK_THAT(rendered, Contains("token_secret: <redacted>"));
  CHECK_THAT(rendered, Contains("price_1"));
  CHECK_THAT(rendered, Contains("listen: 127.0.0.1:8080"));

  nlohmann::ordered_json json = Redacted(config);
  CHECK(json["stripe"]["webhook_secrets"] == nlohmann::ordered_json::array({"<redacted>", "<redacted>"}));
  CHECK(json["llm"]["api_key"] == "<redacted>");
  CHECK(json["embeddings"]["api_key"] == "<redacted>");
  CHECK(json["server"]["token_secret"] == "<redacted>");
  CHECK(json["stripe"]["price_ids"]["STARTER"] == "price_1");
  CHECK(json["plans"]["enterprise"]["documents"] == -1);
  CHECK(json.begin().key() == "database");

  SECTION("conninfo passwords") {
    Config conninfo = Parse("database:\n  url: host=db password='s3 cret' dbname=omni\n");
    std::string text = Redacted(conninfo)["database"]["url"];
    CHECK(text == "host=db dbname=omni password=<redacted>");
  }
  SECTION("a password as libpq reads it, whatever its characters") {
    for (const std::string url : {"postgresql://omni@db/omni?password=q%2Fs3cr%40t", "postgresql://omni:q%2Fs3cr%40t@db/omni",
                                  "host=db dbname=omni user=omni password='q/s3cr@t'"}) {
      INFO(url);
      const std::string text = Redacted(Parse("database:\n  url: \"" + url + "\"\n"))["database"]["url"];
      CHECK(text == "host=db dbname=omni user=omni password=<redacted>");
    }
  }
  SECTION("an unparseable url is shown as a placeholder") {
    Config broken = Parse("database:\n  url: \"postgresql://omni:%zzs3cret@db/omni\"\n");
    CHECK(Redacted(broken)["database"]["url"] == "<unparseable conninfo>");
  }
  SECTION("unset secrets stay empty") {
    nlohmann::ordered_json defaults = Redacted(omni::config::DefaultConfig());
    CHECK(defaults["llm"]["api_key"] == "");
    CHECK(defaults["server"]["token_secret"] == "");
    CHECK(defaults["database"]["url"] == "");
    CHECK(defaults["stripe"]["webhook_secrets"].empty());
  }
  SECTION("a URL without a password shows all it holds") {
    Config plain = Parse("database:\n  url: postgresql://omni@db/omni\n");
    CHECK(Redacted(plain)["database"]["url"] == "host=db dbname=omni user=omni");
  }
}

TEST_CASE("the rendered config parses back to the same settings", "[config]") {
  Config original = Parse(
      "server:\n  listen: \"[::1]:9000\"\nllm:\n  models: [a, \"123\", \"true\"]\n  temperature: 0.25\n"
      "  app_name: \"\"\nplans:\n  free:\n    documents: 7\nlogging:\n  format: json\n");
  std::string rendered = Rendered(original);
  Config again = ParseConfig(rendered, "rendered.yaml", FakeEnv());
  CHECK(again.server.listen_host == "::1");
  CHECK(again.server.listen_port == 9000);
  CHECK(again.llm.models == std::vector<std::string>{"a", "123", "true"});
  CHECK(again.llm.temperature == Approx(0.25));
  CHECK(again.llm.app_name.empty());
  CHECK(ResolvePlans(again.plans).at(PlanTier::kFree).documents == 7);
  CHECK(ResolvePlans(again.plans).at(PlanTier::kEnterprise).documents == -1);
  CHECK(again.logging.format == "json");
  CHECK_FALSE(again.embeddings.enabled);
  CHECK(Rendered(again) == rendered);
}

TEST_CASE("config files are found by flag, $OMNI_CONFIG, then the fallbacks", "[config]") {
  using omni::config::FindConfigFile;
  TempDir dir;
  std::string flag_file = dir.Write("flag.yaml", "");
  std::string env_file = dir.Write("env.yaml", "");
  std::string local_file = dir.Write("cwd/omni.yaml", "");
  std::string etc_file = dir.Write("etc/omni/omni.yaml", "");
  std::vector<std::string> fallbacks = {local_file, etc_file};
  auto with_env = FakeEnv({{"OMNI_CONFIG", env_file}});

  CHECK(FindConfigFile(flag_file, with_env, fallbacks) == flag_file);
  CHECK(FindConfigFile("", with_env, fallbacks) == env_file);
  CHECK(FindConfigFile("", FakeEnv(), fallbacks) == local_file);
  CHECK(FindConfigFile("", FakeEnv({{"OMNI_CONFIG", ""}}), fallbacks) == local_file);
  std::filesystem::remove(local_file);
  CHECK(FindConfigFile("", FakeEnv(), fallbacks) == etc_file);
  std::filesystem::remove(etc_file);
  CHECK_FALSE(FindConfigFile("", FakeEnv(), fallbacks));

  std::string missing = (dir.path() / "missing.yaml").string();
  CHECK_THROWS_WITH(FindConfigFile(missing, with_env, fallbacks), "config file " + missing + " does not exist");
  CHECK_THROWS_WITH(FindConfigFile("", FakeEnv({{"OMNI_CONFIG", missing}}), fallbacks),
                    "config file " + missing + " (from $OMNI_CONFIG) does not exist");

  SECTION("./omni.yaml in the working directory") {
    dir.Write("omni.yaml", "logging:\n  level: warn\n");
    std::optional<std::string> found;
    Config loaded;
    {
      WorkingDirectory inside(dir.path());
      found = omni::config::FindConfigFile("", FakeEnv());
      loaded = omni::config::LoadConfig("", FakeEnv());
    }
    CHECK(found == "omni.yaml");
    CHECK(loaded.logging.level == "warn");
    CHECK(loaded.source_path == "omni.yaml");
  }
}

TEST_CASE("loading files", "[config]") {
  TempDir dir;
  std::string good = dir.Write("good.yaml", "logging:\n  level: error\n");
  Config config = omni::config::LoadConfigFile(good, FakeEnv());
  CHECK(config.logging.level == "error");
  CHECK(config.source_path == good);
  CHECK(omni::config::LoadConfig(good, FakeEnv()).logging.level == "error");

  std::string bad = dir.Write("bad.yaml", "logging:\n  levle: error\n");
  CHECK_THROWS_WITH(omni::config::LoadConfigFile(bad, FakeEnv()), bad + ":2:3: logging.levle: unknown key");
  CHECK_THROWS_AS(omni::config::LoadConfigFile((dir.path() / "nope.yaml").string(), FakeEnv()), ConfigError);
  CHECK_THROWS_WITH(omni::config::LoadConfigFile(dir.path().string(), FakeEnv()), Contains("is a directory"));
  // Read no further than 1 MiB, whatever the file is.
  CHECK_THROWS_WITH(omni::config::LoadConfigFile("/dev/zero", FakeEnv()),
                    "config file /dev/zero is larger than the limit of 1 MiB");
  std::string large = dir.Write("large.yaml", "# " + std::string(1024 * 1024, 'x') + "\n");
  CHECK_THROWS_WITH(omni::config::LoadConfigFile(large, FakeEnv()),
                    "config file " + large + " is larger than the limit of 1 MiB");
}

TEST_CASE("a config file that is not UTF-8 names the line and column of the first bad byte", "[config]") {
  CHECK(MessageOf("llm:\n  app_name: caf\xE9\n") == "omni.yaml:2:16: byte 0xE9 is not valid UTF-8");
  CHECK(MessageOf("# na\xC3\xAFve \xC3\n") == "omni.yaml:1:9: byte 0xC3 is not valid UTF-8");
}

TEST_CASE("the embedded data dir", "[config]") {
  using omni::config::ResolveEmbeddedDataDir;
  Config config;
  auto home = FakeEnv({{"HOME", "/home/ann"}});
  CHECK(ResolveEmbeddedDataDir(config, home, false) == "/home/ann/.local/share/omni/pg");
  CHECK(ResolveEmbeddedDataDir(config, home, true) == "/var/lib/omni/pg");
  CHECK(ResolveEmbeddedDataDir(config, FakeEnv(), true) == "/var/lib/omni/pg");
  CHECK_THROWS_AS(ResolveEmbeddedDataDir(config, FakeEnv(), false), ConfigError);

  config.database.embedded_data_dir = "~/omni-data";
  CHECK(ResolveEmbeddedDataDir(config, home, false) == "/home/ann/omni-data");
  CHECK(ResolveEmbeddedDataDir(config, home, true) == "/home/ann/omni-data");
  CHECK_THROWS_AS(ResolveEmbeddedDataDir(config, FakeEnv(), false), ConfigError);

  config.database.embedded_data_dir = "/srv/pg";
  CHECK(ResolveEmbeddedDataDir(config, FakeEnv(), false) == "/srv/pg");

  config.database.embedded_data_dir = "data/pg";
  config.source_path = "/etc/omni/omni.yaml";
  CHECK(ResolveEmbeddedDataDir(config, home, false) == "/etc/omni/data/pg");
}

TEST_CASE("the example config/omni.yaml is valid", "[config]") {
  std::string path = std::string(OMNI_SOURCE_DIR) + "/config/omni.yaml";
  SECTION("with no secrets in the environment") {
    Config config = omni::config::LoadConfigFile(path, FakeEnv());
    CHECK(config.database.url.empty());
    CHECK(config.llm.api_key.empty());
    CHECK(config.server.listen_host == "127.0.0.1");
    CHECK(config.server.listen_port == 8080);
    CHECK(config.llm.base_url == "https://openrouter.ai/api/v1");
    CHECK(config.llm.models.size() >= 2);
    CHECK(ResolvePlans(config.plans).size() == 4);
  }
  SECTION("with secrets from the environment") {
    Config config =
        omni::config::LoadConfigFile(path, FakeEnv({{"OPENROUTER_API_KEY", "sk-or-from-env"},
                                                    {"STRIPE_SECRET_KEY", "sk_test_env"},
                                                    {"STRIPE_WEBHOOK_SECRET", "whsec_env"},
                                                    {"OMNI_TOKEN_SECRET", "0123456789abcdef0123456789abcdef"}}));
    CHECK(config.llm.api_key == "sk-or-from-env");
    CHECK(config.stripe.api_key == "sk_test_env");
    CHECK(config.stripe.webhook_secrets == std::vector<std::string>{"whsec_env"});
    CHECK(config.server.token_secret == "0123456789abcdef0123456789abcdef");
    std::string rendered = Rendered(config);
    CHECK_THAT(rendered, !Contains("sk-or-from-env"));
  }
}

namespace {

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream file(std::string(OMNI_SOURCE_DIR) + "/" + relative);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Dotted paths of every leaf setting, with the plan tiers folded into TIER.
void LeafPaths(const nlohmann::ordered_json& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [key, value] : node.items()) {
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (prefix == "plans") path = "plans.TIER";
    if (prefix == "stripe.price_ids") continue;
    if (value.is_object() && key != "price_ids") {
      LeafPaths(value, path, out);
    } else if (std::find(out.begin(), out.end(), path) == out.end()) {
      out.push_back(path);
    }
  }
}

}  // namespace

TEST_CASE("every setting is documented in omni.yaml(5) and the example config", "[config]") {
  std::vector<std::string> paths;
  LeafPaths(Redacted(omni::config::DefaultConfig()), "", paths);
  REQUIRE(paths.size() > 60);
  std::string man = ReadSourceFile("man/man5/omni.yaml.5");
  std::string example = ReadSourceFile("config/omni.yaml");
  REQUIRE_FALSE(man.empty());
  for (const auto& path : paths) {
    INFO(path);
    CHECK_THAT(man, Contains(".B " + path + "\n"));
    std::string key = path.substr(path.rfind('.') + 1);
    CHECK_THAT(example, Contains(" " + key + ":"));
  }
}

TEST_CASE("the EXAMPLE in omni.yaml(5) is a valid config", "[config]") {
  std::string man = ReadSourceFile("man/man5/omni.yaml.5");
  std::size_t start = man.find(".SH EXAMPLE\n.nf\n");
  REQUIRE(start != std::string::npos);
  start = man.find(".nf\n", start) + 4;
  std::string example = man.substr(start, man.find(".fi\n", start) - start);
  for (std::size_t at = example.find("\\-"); at != std::string::npos; at = example.find("\\-", at)) {
    example.erase(at, 1);
  }
  Config config = ParseConfig(example, "omni.yaml.5",
                              FakeEnv({{"OMNI_TOKEN_SECRET", "0123456789abcdef"},
                                       {"OPENROUTER_API_KEY", "k"},
                                       {"STRIPE_SECRET_KEY", "k"},
                                       {"STRIPE_WEBHOOK_SECRET", "w"}}));
  CHECK(config.server.listen_host == "0.0.0.0");
  CHECK(ResolvePlans(config.plans).at(PlanTier::kStarter).documents == 250);
  CHECK(config.stripe.webhook_secrets == std::vector<std::string>{"w"});
}

TEST_CASE("default_business names the business omni acts on, as a slug", "[config]") {
  CHECK(Parse("default_business: demo-salon\n").default_business == "demo-salon");
  CHECK(omni::config::DefaultConfig().default_business.empty());
  CHECK(Redacted(Parse("default_business: acme\n"))["default_business"] == "acme");
  CHECK_THROWS_WITH(Parse("default_business:\n  slug: acme\n"), Contains("default_business"));
}

TEST_CASE("console: session lifetime and login throttling, with bounds", "[config]") {
  const Config defaults = Parse("");
  CHECK(defaults.console.session_ttl_s == 43200);
  CHECK(defaults.console.login_max_failures == 5);
  CHECK(defaults.console.login_max_failures_per_ip == 30);
  CHECK(defaults.console.login_window_s == 900);
  const Config set = Parse(
      "console:\n  session_ttl_s: 600\n  login_max_failures: 3\n  login_max_failures_per_ip: 9\n"
      "  login_window_s: 60\n");
  CHECK(set.console.session_ttl_s == 600);
  CHECK(set.console.login_max_failures == 3);
  CHECK(set.console.login_max_failures_per_ip == 9);
  CHECK(set.console.login_window_s == 60);
  CHECK(Redacted(set)["console"]["login_window_s"] == 60);
  CHECK(ParseConfig(Rendered(set), "rendered.yaml", FakeEnv()).console.login_max_failures_per_ip == 9);
  CHECK_THAT(MessageOf("console:\n  session_ttl_s: 0\n"), StartsWith("omni.yaml:2:18: console.session_ttl_s"));
  CHECK_THAT(MessageOf("console:\n  login_max_failures: -1\n"), StartsWith("omni.yaml:2:23: console.login_max_failures"));
  CHECK_THAT(ErrorOf("console:\n  session_ttl: 5\n").second, Contains("session_ttl_s"));
}

TEST_CASE("the public base URL: public_url without a trailing slash, else the listen address", "[config]") {
  CHECK(omni::config::PublicBaseUrl(Parse("server:\n  public_url: https://desk.example.com/\n").server) ==
        "https://desk.example.com");
  CHECK(omni::config::PublicBaseUrl(Parse("server:\n  listen: 0.0.0.0:9000\n").server) == "http://0.0.0.0:9000");
  CHECK(omni::config::PublicBaseUrl(Parse("server:\n  listen: \"[::1]:9000\"\n").server) == "http://[::1]:9000");
}
