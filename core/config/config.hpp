// The omni.yaml configuration shared by `omni` and `omnid`. This module is
// the only user of yaml-cpp. Loading is strict: an unknown key, a wrong type,
// a bad value or a missing required value throws ConfigError naming the file,
// line and column, the key path, and what was expected. `${ENV_VAR}` in
// string values is expanded through the caller's lookup function, so secrets
// never live in the file. Thread-safe: a loaded Config is an immutable value.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/common/log.hpp"

namespace omni::config {

struct DatabaseSettings {
  // libpq URL of an external PostgreSQL; empty means the embedded cluster.
  std::string url;
  // Where the embedded cluster lives. Empty means the default for this user:
  // ~/.local/share/omni/pg, or /var/lib/omni/pg when running as root.
  std::string embedded_data_dir;
  int pool_size = 8;                 // connections per process
  int connect_timeout_ms = 5000;     // per connection attempt
  int acquire_timeout_ms = 5000;     // waiting for a free pooled connection
  int statement_timeout_ms = 30000;  // server-side cap on any one statement
};

struct ServerSettings {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string public_url;                    // empty means http://<listen>
  std::size_t max_body_bytes = 64 * 1024;    // request bodies larger get 413
  std::size_t max_header_bytes = 16 * 1024;  // request headers larger get 431
  int read_timeout_ms = 15000;               // a slow client is cut after this
  int write_timeout_ms = 15000;
  int idle_timeout_ms = 60000;               // keep-alive connections
  int shutdown_grace_ms = 10000;             // SIGTERM: drain in-flight, then force
  int io_threads = 1;                        // Asio threads for sockets
  int db_threads = 4;                        // blocking database work
  // The public chat API's HMAC key for visitor tokens. Empty: omnid keeps a
  // generated one in the database, shared by every omnid on it.
  std::string token_secret;
  int token_ttl_s = 86400;                   // visitor tokens expire after this
  int max_message_chars = 4000;              // longer chat messages get 413
  double visitor_rate_per_min = 20;          // chat messages per visitor; 0: no limit
  int visitor_burst = 10;                    // token bucket size per visitor
  double ip_rate_per_min = 120;              // chat API requests per client IP; 0: no limit
  int ip_burst = 60;                         // token bucket size per IP
  int sse_keepalive_ms = 10000;              // comment line on a quiet stream
  // A customer message stored this long ago with no reply (its turn failed
  // mid-way) is marked failed for the team; longer than any turn takes.
  int unanswered_after_s = 900;
};

// Operator sign-in (core/operators): the console's sessions and login
// throttling. Failed logins are counted in the database, so every omnid on
// it applies the same limits.
struct ConsoleSettings {
  int session_ttl_s = 43200;           // a console sign-in lasts this long (12 h)
  int login_max_failures = 5;          // per account (business and email) within the window, then 429
  int login_max_failures_per_ip = 30;  // per client address within the window, then 429
  int login_window_s = 900;            // the window failures are counted in
};

struct LlmSettings {
  std::string base_url = "https://openrouter.ai/api/v1";
  std::string api_key;                // empty: the offline responder answers
  std::vector<std::string> models = {"openai/gpt-4o-mini"};  // tried in order
  int connect_timeout_ms = 5000;
  int first_byte_timeout_ms = 30000;
  int idle_timeout_ms = 30000;        // between streamed chunks
  int max_retries = 2;                // per model, on 408/429/5xx
  int retry_base_delay_ms = 500;      // exponential backoff with jitter
  int max_tool_rounds = 5;
  int history_messages = 20;
  double temperature = 0.3;
  int max_tokens = 800;
  std::string app_name = "omni";      // OpenRouter's X-Title
  std::string app_url;                // OpenRouter's HTTP-Referer
  std::string ca_file;                // extra CA bundle; empty: system store
  bool escalate_on_failure = true;    // every model failed: hand off
};

struct EmbeddingsSettings {
  bool enabled = false;  // true when the `embeddings` section is present
  std::string base_url = "https://openrouter.ai/api/v1";
  std::string api_key;
  std::string model = "openai/text-embedding-3-small";
  int batch_size = 64;
  int timeout_ms = 30000;
  int max_retries = 3;
};

struct KbSettings {
  int chunk_size_chars = 1200;
  int chunk_overlap_chars = 150;
  double bm25_k1 = 0.9;
  double bm25_b = 0.4;
  std::size_t max_document_bytes = 20 * 1024 * 1024;
  std::size_t max_url_bytes = 10 * 1024 * 1024;
  int url_timeout_ms = 15000;
  int url_max_redirects = 5;
};

// A key whose name another module checks after parsing (plan tiers are
// billing's), kept with its place so that the error can name it.
struct FileKey {
  std::string name;     // as written, e.g. "Starter"
  std::string section;  // dotted path of its mapping, e.g. "plans"
  std::string place;    // "omni.yaml:12:3" (line and column from 1)
};

// Throws config's ConfigError for an unknown key, "<place>: <section>.<name>:
// unknown key", the hint suggesting the closest of `valid_keys` and all.
[[noreturn]] void FailUnknownKey(const FileKey& key, const std::vector<std::string>& valid_keys);

// A tier of `plans`: an unset limit keeps billing's default; -1: unlimited.
struct PlanLimitsOverride {
  FileKey tier;
  std::optional<std::int64_t> interactions_per_month;
  std::optional<std::int64_t> conversations_per_month;
  std::optional<std::int64_t> documents;
  std::optional<std::int64_t> services;
  std::optional<std::int64_t> operators;
  std::optional<std::int64_t> overage_cents_per_interaction;  // 0: hard limit
};

struct PriceIdSetting {  // an entry of stripe.price_ids
  FileKey tier;
  std::string id;  // the tier's subscription price; "" means none
};

struct StripeSettings {
  std::string api_key;
  std::string api_base = "https://api.stripe.com";
  std::vector<std::string> webhook_secrets;  // several allow rotation
  int webhook_tolerance_s = 300;
  std::vector<PriceIdSetting> price_ids;     // in file order; billing::ResolvePriceIds
  std::string metered_price_id;              // usage-based overage price
  std::string meter_event_name = "omni_interactions";  // the Billing Meter's event_name
  int meter_poll_ms = 1000;                  // omnid's outbox check when it is idle
  int meter_retry_base_ms = 1000;            // first retry of a failed send; doubles, up to 10 min
};

// Outgoing mail (notify's confirmations, reminders and handoff alerts).
// Without smtp_url nothing is sent: notifications are only recorded.
struct EmailSettings {
  // smtp://host[:587] upgrades with STARTTLS; smtps://host[:465] is TLS from
  // the first byte. Empty: e-mail is off.
  std::string smtp_url;
  std::string username;                 // SMTP AUTH; both empty: no login
  std::string password;
  std::string from;                     // "Omni Desk <desk@example.com>" or a bare address
  // smtp:// only: "required" refuses a server without STARTTLS; "off" sends
  // in clear (a relay on this host only).
  std::string starttls = "required";
  int timeout_ms = 10000;               // connect and each SMTP exchange
  std::string ca_file;                  // extra CA bundle; empty: system store
  bool enabled() const { return !smtp_url.empty(); }
};

// Outbound webhooks' delivery (core/webhooks); the endpoints are per
// business, in the database.
struct WebhooksSettings {
  int timeout_ms = 10000;               // one attempt, connect to last byte
  // Off: endpoints on loopback, private, link-local or other non-public
  // addresses are refused, when added and on every connection. On only
  // for receivers on the same host or network (and tests).
  bool allow_private_targets = false;
  // omnid deletes delivery attempts and finished delivery jobs older than
  // this, in small batches.
  int delivery_retention_days = 30;
};

// The `billing` section: a new business's trial and a failed payment's
// grace. The trial's tier name is billing's to check.
struct BillingFileSettings {
  int trial_days = 14;                 // 0: no trial
  std::optional<FileKey> trial_plan;   // unset: STARTER
  int past_due_grace_days = 7;
};

struct Config {
  std::string source_path;  // the file it came from; empty for defaults
  // The slug `omni` acts on when neither -b nor $OMNI_BUSINESS gives one;
  // empty: the only business, when there is exactly one.
  std::string default_business;
  DatabaseSettings database;
  ServerSettings server;
  ConsoleSettings console;
  LlmSettings llm;
  EmbeddingsSettings embeddings;
  KbSettings kb;
  StripeSettings stripe;
  EmailSettings email;
  WebhooksSettings webhooks;
  std::vector<PlanLimitsOverride> plans;  // in file order; billing::ResolvePlans
  BillingFileSettings billing;            // billing::ResolveBillingSettings
  log::Settings logging;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Picks the config file: `explicit_path` if given (it must exist), then
// $OMNI_CONFIG, then the first of `fallback_paths` that exists (tests pass
// their own). nullopt when none exists (built-in defaults apply). Throws
// ConfigError when an explicitly named file (flag or $OMNI_CONFIG) is missing.
std::optional<std::string> FindConfigFile(const std::string& explicit_path, const EnvLookup& env,
                                          const std::vector<std::string>& fallback_paths = {"omni.yaml",
                                                                                            "/etc/omni/omni.yaml"});

// Returns the built-in defaults: embedded database, no LLM key, 127.0.0.1:8080.
Config DefaultConfig();

// Parses YAML text strictly; `source_name` names it in errors. Throws
// ConfigError with file:line:column, key path and the expectation, also for
// the first byte that is not UTF-8. Plan tier names are left to
// billing::CheckPlanSettings, which every loader of a config calls next.
Config ParseConfig(const std::string& yaml_text, const std::string& source_name, const EnvLookup& env);

// Reads (at most 1 MiB, else ConfigError) and parses a file. Throws
// ConfigError when unreadable or invalid.
Config LoadConfigFile(const std::string& path, const EnvLookup& env);

// FindConfigFile, then LoadConfigFile or DefaultConfig.
Config LoadConfig(const std::string& explicit_path, const EnvLookup& env);

// The effective config as a JSON object (keys in file order) with every
// secret as "<redacted>" ("" when unset), for `omni config show -o json`.
// Plan limits and prices are billing's: `plan_settings` is
// billing::PlanSettingsJson(config), shown as `plans` and stripe.price_ids.
nlohmann::ordered_json RedactedJson(const Config& config, const nlohmann::ordered_json& plan_settings);
// The same rendered as YAML, for `omni config show`.
std::string RenderRedacted(const Config& config, const nlohmann::ordered_json& plan_settings);

// Where people reach omnid: server.public_url without a trailing '/', or
// http://<listen host>:<port> when it is empty (an IPv6 host in brackets).
std::string PublicBaseUrl(const ServerSettings& server);

// The embedded data dir after defaults and `~` expansion, given $HOME and
// whether the process runs as root. A relative data_dir is taken relative to
// the directory of the config file. Throws ConfigError when `~` or the
// default needs $HOME and it is unset.
std::string ResolveEmbeddedDataDir(const Config& config, const EnvLookup& env, bool running_as_root);

}  // namespace omni::config
