// Strict loading of omni.yaml: every mapping is checked against its known
// keys, every scalar against its type and range, and every failure names
// file:line:column (1-based), the dotted key path and what was expected.
// `${VAR}` and `${VAR:-default}` are expanded in scalar values before they
// are converted; `$$` is a literal `$`.
#include "core/common/text.hpp"
#include "core/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "core/common/conninfo.hpp"
#include "core/common/error.hpp"
#include "core/config/detail/text_file.hpp"

namespace omni::config {
namespace {

constexpr const char* kRedacted = "<redacted>";
constexpr long long kMaxMillis = 24LL * 3600 * 1000;  // one day
constexpr long long kMaxBytes = 1LL << 40;

const std::vector<std::string> kRootKeys = {"database", "server", "llm",   "embeddings",
                                            "kb",       "stripe", "plans", "logging"};
const std::vector<std::string> kDatabaseKeys = {
    "url", "embedded", "pool_size", "connect_timeout_ms", "acquire_timeout_ms", "statement_timeout_ms"};
const std::vector<std::string> kEmbeddedKeys = {"data_dir"};
const std::vector<std::string> kServerKeys = {
    "listen",          "public_url",        "max_body_bytes", "max_header_bytes", "read_timeout_ms", "write_timeout_ms",
    "idle_timeout_ms", "shutdown_grace_ms", "io_threads",     "db_threads",       "token_secret",
    "token_ttl_s",     "max_message_chars", "visitor_rate_per_min", "visitor_burst", "ip_rate_per_min", "ip_burst",
    "sse_keepalive_ms", "unanswered_after_s"};
const std::vector<std::string> kLlmKeys = {"base_url",
                                           "api_key",
                                           "models",
                                           "connect_timeout_ms",
                                           "first_byte_timeout_ms",
                                           "idle_timeout_ms",
                                           "max_retries",
                                           "retry_base_delay_ms",
                                           "max_tool_rounds",
                                           "history_messages",
                                           "temperature",
                                           "max_tokens",
                                           "app_name",
                                           "app_url",
                                           "ca_file",
                                           "escalate_on_failure"};
const std::vector<std::string> kEmbeddingsKeys = {"enabled",    "base_url",   "api_key",    "model",
                                                  "batch_size", "timeout_ms", "max_retries"};
const std::vector<std::string> kKbKeys = {"chunk_size_chars", "chunk_overlap_chars", "bm25_k1",
                                          "bm25_b",           "max_document_bytes",  "max_url_bytes",
                                          "url_timeout_ms",   "url_max_redirects"};
const std::vector<std::string> kStripeKeys = {"api_key",   "api_base",        "webhook_secrets", "webhook_tolerance_s",
                                              "price_ids", "metered_price_id"};
const std::vector<std::string> kPlanKeys = {
    "interactions_per_month",       "conversations_per_month", "documents", "services", "operators",
    "overage_cents_per_interaction"};
const std::vector<std::string> kLoggingKeys = {"level", "format"};

// Every mapping of the schema, so that a key put in the wrong section can be
// pointed to the right one.
const std::vector<std::pair<std::string, const std::vector<std::string>*>> kSchema = {
    {"database", &kDatabaseKeys}, {"database.embedded", &kEmbeddedKeys}, {"server", &kServerKeys},
    {"llm", &kLlmKeys},           {"embeddings", &kEmbeddingsKeys},      {"kb", &kKbKeys},
    {"stripe", &kStripeKeys},     {"plans.<tier>", &kPlanKeys},          {"logging", &kLoggingKeys}};
const std::vector<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};
const std::vector<std::string> kLogFormats = {"text", "json"};

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions,
// so `databse` is one edit from `database`.
std::size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> ClosestKey(const std::string& key, const std::vector<std::string>& valid) {
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& candidate : valid) {
    std::size_t distance = EditDistance(Lower(key), candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  std::size_t allowed = std::max<std::size_t>(2, key.size() / 3);
  if (best && best_distance <= allowed) return best;
  return std::nullopt;
}

// How a value appears in "got ..." messages; long values are cut.
std::string Shown(const std::string& value) {
  constexpr std::size_t kMax = 60;
  if (value.size() > kMax) return "\"" + value.substr(0, kMax) + "...\"";
  return "\"" + value + "\"";
}

std::string Described(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return Shown(node.Scalar());
    default:
      return "nothing";
  }
}

std::string UnitSuffix(const std::string& key) {
  auto ends_with = [&](const std::string& suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("_ms")) return " (milliseconds)";
  if (ends_with("_bytes")) return " (bytes)";
  if (ends_with("_s")) return " (seconds)";
  return "";
}

std::string IntegerExpectation(long long min, long long max, const std::string& key) {
  std::string text;
  if (max == std::numeric_limits<long long>::max() || max == kMaxMillis || max == kMaxBytes) {
    if (min == 1) {
      text = "a positive integer";
    } else if (min == 0) {
      text = "a non-negative integer";
    } else if (min == -1) {
      text = "an integer >= -1 (-1 means unlimited)";
    } else {
      text = "an integer >= " + std::to_string(min);
    }
    if (max == kMaxMillis) text += " up to " + std::to_string(kMaxMillis);
  } else {
    text = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  }
  return text + UnitSuffix(key);
}

std::optional<long long> ParseInteger(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  long long value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string FormatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

bool IsHttpUrl(const std::string& url) {
  for (const std::string scheme : {"http://", "https://"}) {
    if (StartsWith(Lower(url), scheme)) {
      std::string rest = url.substr(scheme.size());
      return !rest.empty() && rest[0] != '/' && rest.find_first_of(" \t\r\n") == std::string::npos;
    }
  }
  return false;
}

std::string WithoutTrailingSlash(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

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

std::string Secret(const std::string& value) { return value.empty() ? "" : kRedacted; }

// The section (other than the one holding `keys`) that has a key `name`.
std::optional<std::string> SectionHolding(const std::string& name, const std::vector<std::string>& keys) {
  for (const auto& [path, section_keys] : kSchema) {
    if (section_keys == &keys) continue;
    if (std::find(section_keys->begin(), section_keys->end(), name) != section_keys->end()) return path;
  }
  return std::nullopt;
}

// The ConfigError for a key not in `keys`, at `place`.
[[noreturn]] void ThrowUnknownKey(const std::string& place, const std::string& section, const std::string& name,
                                  const std::vector<std::string>& keys) {
  std::string hint;
  if (auto closest = ClosestKey(name, keys)) {
    hint = "Did you mean `" + *closest + "`? ";
  } else if (auto home = SectionHolding(name, keys)) {
    hint = "`" + name + "` belongs under " + *home + ". ";
  }
  hint += "Valid keys " + (section.empty() ? std::string("at the top level") : "under " + section) + ": " +
          Join(keys, ", ") + ".";
  const std::string path = (section.empty() ? "" : section + ".") + name;
  throw ConfigError(place + ": " + (path.empty() ? "" : path + ": ") + "unknown key", hint);
}

// One key of a mapping as found in the file.
struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string path;  // dotted, e.g. "server.listen"
  std::string name;  // the last component, as written
};

class Parser {
 public:
  Parser(const std::string& source, const std::string& text, const EnvLookup& env) : source_(source), env_(env) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) lines_.push_back(line);
  }

  // "source:line:column", or the source alone for a null mark.
  std::string Place(const YAML::Mark& mark) const {
    if (mark.is_null()) return source_;
    return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& path, const std::string& message,
                         const std::string& hint = {}) const {
    throw ConfigError(Place(mark) + ": " + (path.empty() ? "" : path + ": ") + message, hint);
  }

  // Blames the value, or the key when the value is missing.
  [[noreturn]] void FailValue(const Entry& entry, const std::string& message, const std::string& hint = {}) const {
    bool blame_key = !entry.value.IsDefined() || entry.value.IsNull();
    Fail(blame_key && entry.key.IsDefined() ? entry.key.Mark() : entry.value.Mark(), entry.path, message, hint);
  }

  [[noreturn]] void FailExpected(const Entry& entry, const std::string& expected, const std::string& hint = {}) const {
    if (entry.value.IsNull()) {
      FailValue(entry, "missing value, expected " + expected,
                hint.empty() ? "Remove the key to keep the default, or give a value." : hint);
    }
    FailValue(entry, "expected " + expected + ", got " + Described(entry.value), hint);
  }

  // The scalar text of `entry` after ${VAR} expansion; fails for maps,
  // lists and missing values.
  std::string Scalar(const Entry& entry, const std::string& expected) const {
    if (!entry.value.IsScalar()) FailExpected(entry, expected);
    return Expand(entry);
  }

  // Checks that `entry` is a mapping (a missing value counts as empty) with
  // only `keys`, each once; returns its entries in file order.
  std::vector<Entry> Mapping(const Entry& entry, const std::vector<std::string>& keys,
                             bool case_insensitive = false) const {
    return Entries(entry, &keys, case_insensitive, "a mapping with keys " + Join(keys, ", "));
  }

  // Checks that `entry` is a mapping keyed by names another module checks
  // (FileKey), each given once ignoring case; `expected` describes it.
  std::vector<Entry> NamedMapping(const Entry& entry, const std::string& expected) const {
    return Entries(entry, nullptr, true, expected);
  }

  FileKey KeyOf(const Entry& entry, const Entry& section) const {
    return FileKey{entry.name, section.path, Place(entry.key.Mark())};
  }

  Entry Root(const YAML::Node& root) const { return Entry{YAML::Node(), root, "", ""}; }

 private:
  // The entries of a mapping; with `keys`, only those are allowed.
  std::vector<Entry> Entries(const Entry& entry, const std::vector<std::string>* keys, bool case_insensitive,
                             const std::string& expected) const {
    std::vector<Entry> entries;
    if (entry.value.IsNull()) return entries;
    if (!entry.value.IsMap()) FailValue(entry, "expected " + expected + ", got " + Described(entry.value));
    for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
      YAML::Node key = it->first;
      YAML::Node value = it->second;
      std::string prefix = entry.path.empty() ? "" : entry.path + ".";
      if (!key.IsScalar()) Fail(key.Mark(), entry.path, "expected a key name, got " + Described(key));
      std::string name = key.Scalar();
      std::string normalized = case_insensitive ? Lower(name) : name;
      if (keys && std::find(keys->begin(), keys->end(), normalized) == keys->end()) {
        ThrowUnknownKey(Place(key.Mark()), entry.path, name, *keys);
      }
      for (const auto& seen : entries) {
        if ((case_insensitive ? Lower(seen.name) : seen.name) == normalized) {
          Fail(key.Mark(), prefix + name,
               "duplicate key (first given at line " + std::to_string(seen.key.Mark().line + 1) + ")",
               "Give each key once; remove one of them.");
        }
      }
      entries.push_back(Entry{key, value, prefix + name, name});
    }
    return entries;
  }

  // Column of `${name` in the source line of the value, so the error points
  // at the reference itself and not only at the start of the value.
  YAML::Mark ReferenceMark(const Entry& entry, const std::string& reference) const {
    YAML::Mark mark = entry.value.Mark();
    if (mark.is_null() || mark.line < 0 || static_cast<std::size_t>(mark.line) >= lines_.size()) return mark;
    std::size_t at = lines_[mark.line].find(reference, static_cast<std::size_t>(mark.column));
    if (at != std::string::npos) mark.column = static_cast<int>(at);
    return mark;
  }

  std::string Expand(const Entry& entry) const {
    const std::string& text = entry.value.Scalar();
    std::string result;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '$' || i + 1 >= text.size()) {
        result += text[i];
        continue;
      }
      if (text[i + 1] == '$') {
        result += '$';
        ++i;
        continue;
      }
      if (text[i + 1] != '{') {
        result += '$';
        continue;
      }
      std::size_t close = text.find('}', i + 2);
      if (close == std::string::npos) {
        Fail(ReferenceMark(entry, "${"), entry.path, "unterminated ${ in value",
             "Close the reference as ${NAME}, or write $$ for a literal dollar sign.");
      }
      std::string inner = text.substr(i + 2, close - i - 2);
      std::optional<std::string> fallback;
      std::size_t dash = inner.find(":-");
      std::string name = inner.substr(0, dash);
      if (dash != std::string::npos) fallback = inner.substr(dash + 2);
      bool valid_name =
          !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
          std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
      if (!valid_name) {
        Fail(ReferenceMark(entry, "${" + inner), entry.path, "invalid environment variable reference ${" + inner + "}",
             "Write ${NAME} or ${NAME:-default}, with NAME made of letters, digits and _; $$ is a literal $.");
      }
      std::optional<std::string> value = env_ ? env_(name) : std::nullopt;
      if (value && value->empty() && fallback) value.reset();
      if (!value) {
        if (!fallback) {
          Fail(
              ReferenceMark(entry, "${" + inner), entry.path, "environment variable " + name + " is not set",
              "Export " + name + " before starting omni, or write ${" + name + ":-default} to fall back to a default.");
        }
        value = fallback;
      }
      result += *value;
      i = close;
    }
    return result;
  }

  std::string source_;
  const EnvLookup& env_;
  std::vector<std::string> lines_;
};

// Typed reads of the keys of one mapping; absent keys keep their defaults.
class Section {
 public:
  Section(const Parser& parser, const Entry& entry, const std::vector<std::string>& keys, bool case_insensitive = false)
      : parser_(parser), entries_(parser.Mapping(entry, keys, case_insensitive)) {}

  const std::vector<Entry>& entries() const { return entries_; }

  const Entry* Find(const std::string& key) const {
    for (const auto& entry : entries_) {
      if (entry.name == key) return &entry;
    }
    return nullptr;
  }

  template <class IntType>
  const Entry* Integer(const std::string& key, std::optional<IntType>* out, long long min, long long max) const {
    IntType value{};
    const Entry* entry = Integer(key, &value, min, max);
    if (entry) *out = value;
    return entry;
  }

  template <class IntType>
  const Entry* Integer(const std::string& key, IntType* out, long long min, long long max) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    std::string expected = IntegerExpectation(min, max, key);
    std::optional<long long> value = ParseInteger(parser_.Scalar(*entry, expected));
    if (!value) parser_.FailExpected(*entry, expected);
    if (*value < min || *value > max) {
      parser_.FailValue(*entry, "expected " + expected + ", got " + std::to_string(*value));
    }
    *out = static_cast<IntType>(*value);
    return entry;
  }

  template <class IntType>
  const Entry* Millis(const std::string& key, IntType* out, long long min = 1) const {
    return Integer(key, out, min, kMaxMillis);
  }

  const Entry* Number(const std::string& key, double* out, double min, double max, bool min_exclusive,
                      const std::string& expected) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    std::string text = parser_.Scalar(*entry, expected);
    std::optional<double> value = ParseNumber(text);
    if (!value) parser_.FailExpected(*entry, expected);
    if ((min_exclusive ? *value <= min : *value < min) || *value > max) {
      parser_.FailValue(*entry, "expected " + expected + ", got " + FormatNumber(*value));
    }
    *out = *value;
    return entry;
  }

  const Entry* Boolean(const std::string& key, bool* out) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    const std::string expected = "true or false";
    std::string text = Lower(parser_.Scalar(*entry, expected));
    if (text == "true" || text == "yes" || text == "on") {
      *out = true;
    } else if (text == "false" || text == "no" || text == "off") {
      *out = false;
    } else {
      parser_.FailExpected(*entry, expected);
    }
    return entry;
  }

  const Entry* String(const std::string& key, std::string* out) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    *out = parser_.Scalar(*entry, "a string");
    return entry;
  }

  const Entry* NonEmptyString(const std::string& key, std::string* out) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    *out = parser_.Scalar(*entry, "a non-empty string");
    if (out->empty()) parser_.FailValue(*entry, "expected a non-empty string, got \"\"");
    return entry;
  }

  // An http(s) URL without trailing slashes; empty only when allowed.
  const Entry* Url(const std::string& key, std::string* out, bool allow_empty) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    const std::string expected = allow_empty ? "an http:// or https:// URL, or \"\"" : "an http:// or https:// URL";
    std::string text = parser_.Scalar(*entry, expected);
    if (text.empty() && allow_empty) {
      out->clear();
      return entry;
    }
    if (!IsHttpUrl(text)) parser_.FailValue(*entry, "expected " + expected + ", got " + Shown(text));
    *out = WithoutTrailingSlash(text);
    return entry;
  }

  const Entry* Choice(const std::string& key, std::string* out, const std::vector<std::string>& choices) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    std::string expected = "one of " + Join(choices, ", ");
    std::string text = Lower(parser_.Scalar(*entry, expected));
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) parser_.FailExpected(*entry, expected);
    *out = text;
    return entry;
  }

  // A list of strings; a single string counts as a list of one when allowed.
  // Values that expand to "" are dropped when `drop_empty`, else rejected.
  const Entry* StringList(const std::string& key, std::vector<std::string>* out, bool allow_single,
                          bool drop_empty) const {
    const Entry* entry = Find(key);
    if (!entry) return nullptr;
    std::string expected = allow_single ? "a list of strings, or one string" : "a list of strings";
    std::vector<std::string> values;
    if (entry->value.IsScalar() && allow_single) {
      values.push_back(parser_.Scalar(*entry, expected));
    } else if (entry->value.IsSequence()) {
      std::size_t index = 0;
      for (const auto& item : entry->value) {
        Entry item_entry{YAML::Node(), item, entry->path + "[" + std::to_string(index++) + "]", ""};
        if (!item.IsScalar()) parser_.FailExpected(item_entry, "a string");
        values.push_back(parser_.Scalar(item_entry, "a string"));
        if (values.back().empty() && !drop_empty) {
          parser_.FailValue(item_entry, "expected a non-empty string, got \"\"");
        }
      }
    } else {
      parser_.FailExpected(*entry, expected);
    }
    out->clear();
    for (auto& value : values) {
      if (!value.empty()) out->push_back(std::move(value));
    }
    return entry;
  }

 private:
  const Parser& parser_;
  std::vector<Entry> entries_;
};

void ParseListen(const Parser& parser, const Entry& entry, ServerSettings& server) {
  const std::string expected = "host:port, e.g. 127.0.0.1:8080";
  std::string text = parser.Scalar(entry, expected);
  std::string host;
  std::string port_text;
  if (StartsWith(text, "[")) {
    std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      parser.FailValue(entry, "expected " + expected + ", got " + Shown(text), "Write an IPv6 address as [::1]:8080.");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    bool port_only =
        !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
    if (colon == std::string::npos && port_only) {
      parser.FailValue(
          entry, "expected " + expected + ", got " + Shown(text) + " (no host)",
          "Write 127.0.0.1:" + text + " for this machine only, or 0.0.0.0:" + text + " for every interface.");
    }
    if (colon == std::string::npos) {
      parser.FailValue(entry, "expected " + expected + ", got " + Shown(text) + " (no port)",
                       "Add the port, e.g. " + (text.empty() ? std::string("127.0.0.1") : text) + ":8080.");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      parser.FailValue(entry, "expected " + expected + ", got " + Shown(text), "Write an IPv6 address as [::1]:8080.");
    }
  }
  if (host.empty()) {
    parser.FailValue(entry, "expected " + expected + ", got " + Shown(text) + " (no host)",
                     "Use 0.0.0.0:PORT to listen on every interface, or 127.0.0.1:PORT for this machine only.");
  }
  std::optional<long long> port = ParseInteger(port_text);
  bool digits_only = !port_text.empty() &&
                     std::all_of(port_text.begin(), port_text.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!port || !digits_only || *port < 0 || *port > 65535) {
    parser.FailValue(entry, "expected a port from 0 to 65535 after the host, got " + Shown(port_text),
                     "Write the address as host:port, e.g. 127.0.0.1:8080.");
  }
  server.listen_host = host;
  server.listen_port = static_cast<std::uint16_t>(*port);
}

void ParseDatabase(const Parser& parser, const Entry& entry, DatabaseSettings& db) {
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

void ParseServer(const Parser& parser, const Entry& entry, ServerSettings& server) {
  Section section(parser, entry, kServerKeys);
  if (const Entry* listen = section.Find("listen")) ParseListen(parser, *listen, server);
  section.Url("public_url", &server.public_url, true);
  section.Integer("max_body_bytes", &server.max_body_bytes, 1, kMaxBytes);
  section.Integer("max_header_bytes", &server.max_header_bytes, 1024, 1024 * 1024);
  section.Millis("read_timeout_ms", &server.read_timeout_ms);
  section.Millis("write_timeout_ms", &server.write_timeout_ms);
  section.Millis("idle_timeout_ms", &server.idle_timeout_ms);
  section.Millis("shutdown_grace_ms", &server.shutdown_grace_ms, 0);
  section.Integer("io_threads", &server.io_threads, 1, 256);
  section.Integer("db_threads", &server.db_threads, 1, 256);
  if (const Entry* secret = section.String("token_secret", &server.token_secret)) {
    if (!server.token_secret.empty() && server.token_secret.size() < 16) {
      parser.FailValue(*secret, "expected at least 16 characters, got " + std::to_string(server.token_secret.size()),
                       "Generate one with `openssl rand -hex 32` and pass it through an environment variable.");
    }
  }
  section.Integer("token_ttl_s", &server.token_ttl_s, 1, 366 * 86400);
  section.Integer("max_message_chars", &server.max_message_chars, 1, 100000);
  section.Number("visitor_rate_per_min", &server.visitor_rate_per_min, 0, 1e9, false, "a number from 0 up");
  section.Integer("visitor_burst", &server.visitor_burst, 1, 1000000);
  section.Number("ip_rate_per_min", &server.ip_rate_per_min, 0, 1e9, false, "a number from 0 up");
  section.Integer("ip_burst", &server.ip_burst, 1, 1000000);
  section.Millis("sse_keepalive_ms", &server.sse_keepalive_ms);
  section.Integer("unanswered_after_s", &server.unanswered_after_s, 1, 86400);
}

void ParseLlm(const Parser& parser, const Entry& entry, LlmSettings& llm) {
  Section section(parser, entry, kLlmKeys);
  section.Url("base_url", &llm.base_url, false);
  section.String("api_key", &llm.api_key);
  if (const Entry* models = section.StringList("models", &llm.models, false, false)) {
    if (llm.models.empty()) {
      parser.FailValue(*models, "expected at least one model name",
                       "List models in the order to try them, e.g. [openai/gpt-4o-mini].");
    }
  }
  section.Millis("connect_timeout_ms", &llm.connect_timeout_ms);
  section.Millis("first_byte_timeout_ms", &llm.first_byte_timeout_ms);
  section.Millis("idle_timeout_ms", &llm.idle_timeout_ms);
  section.Integer("max_retries", &llm.max_retries, 0, 10);
  section.Millis("retry_base_delay_ms", &llm.retry_base_delay_ms, 0);
  section.Integer("max_tool_rounds", &llm.max_tool_rounds, 0, 50);
  section.Integer("history_messages", &llm.history_messages, 1, 1000);
  section.Number("temperature", &llm.temperature, 0, 2, false, "a number from 0 to 2");
  section.Integer("max_tokens", &llm.max_tokens, 1, 1000000);
  section.String("app_name", &llm.app_name);
  section.Url("app_url", &llm.app_url, true);
  section.String("ca_file", &llm.ca_file);
  section.Boolean("escalate_on_failure", &llm.escalate_on_failure);
}

void ParseEmbeddings(const Parser& parser, const Entry& entry, EmbeddingsSettings& embeddings) {
  Section section(parser, entry, kEmbeddingsKeys);
  embeddings.enabled = true;
  section.Boolean("enabled", &embeddings.enabled);
  section.Url("base_url", &embeddings.base_url, false);
  section.String("api_key", &embeddings.api_key);
  section.NonEmptyString("model", &embeddings.model);
  section.Integer("batch_size", &embeddings.batch_size, 1, 2048);
  section.Millis("timeout_ms", &embeddings.timeout_ms);
  section.Integer("max_retries", &embeddings.max_retries, 0, 10);
}

void ParseKb(const Parser& parser, const Entry& entry, KbSettings& kb) {
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

void ParseStripe(const Parser& parser, const Entry& entry, StripeSettings& stripe) {
  Section section(parser, entry, kStripeKeys);
  section.String("api_key", &stripe.api_key);
  section.Url("api_base", &stripe.api_base, false);
  section.StringList("webhook_secrets", &stripe.webhook_secrets, true, true);
  section.Integer("webhook_tolerance_s", &stripe.webhook_tolerance_s, 1, 86400);
  if (const Entry* price_ids = section.Find("price_ids")) {
    for (const auto& price : parser.NamedMapping(*price_ids, "a mapping of plan tiers to Stripe price ids")) {
      stripe.price_ids.push_back(
          PriceIdSetting{parser.KeyOf(price, *price_ids), parser.Scalar(price, "a Stripe price id (price_...)")});
    }
  }
  section.String("metered_price_id", &stripe.metered_price_id);
}

void ParsePlans(const Parser& parser, const Entry& entry, std::vector<PlanLimitsOverride>& plans) {
  for (const auto& tier_entry : parser.NamedMapping(entry, "a mapping of plan tiers to their limits")) {
    PlanLimitsOverride& limits = plans.emplace_back();
    limits.tier = parser.KeyOf(tier_entry, entry);
    Section tier(parser, tier_entry, kPlanKeys);
    constexpr long long kMax = std::numeric_limits<long long>::max();
    tier.Integer("interactions_per_month", &limits.interactions_per_month, -1, kMax);
    tier.Integer("conversations_per_month", &limits.conversations_per_month, -1, kMax);
    tier.Integer("documents", &limits.documents, -1, kMax);
    tier.Integer("services", &limits.services, -1, kMax);
    tier.Integer("operators", &limits.operators, -1, kMax);
    tier.Integer("overage_cents_per_interaction", &limits.overage_cents_per_interaction, 0, kMax);
  }
}

void ParseLogging(const Parser& parser, const Entry& entry, log::Settings& logging) {
  Section section(parser, entry, kLoggingKeys);
  section.Choice("level", &logging.level, kLogLevels);
  section.Choice("format", &logging.format, kLogFormats);
}

// The line of a YAML syntax error, for a hint about tabs.
std::string LineAt(const std::string& text, int line) {
  std::istringstream lines(text);
  std::string current;
  for (int i = 0; std::getline(lines, current); ++i) {
    if (i == line) return current;
  }
  return "";
}

// Emits a JSON tree as block YAML. Strings that would read back as another
// type (numbers, booleans, null, "") are quoted.
void EmitYaml(YAML::Emitter& out, const nlohmann::ordered_json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, child] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(out, child);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& child : value) EmitYaml(out, child);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    std::string lower = Lower(text);
    bool ambiguous = text.empty() || ParseNumber(text) || lower == "true" || lower == "false" || lower == "yes" ||
                     lower == "no" || lower == "on" || lower == "off" || lower == "null" || lower == "~";
    if (ambiguous) out << YAML::DoubleQuoted;
    out << text;
  } else if (value.is_boolean()) {
    out << (value.get<bool>() ? "true" : "false");
  } else if (value.is_number_float()) {
    out << FormatNumber(value.get<double>());
  } else if (value.is_number()) {
    out << value.dump();
  } else {
    out << YAML::Null;
  }
}

}  // namespace

Config DefaultConfig() { return Config{}; }

Config ParseConfig(const std::string& yaml_text, const std::string& source_name, const EnvLookup& env) {
  detail::CheckUtf8(yaml_text, source_name);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml_text);
  } catch (const YAML::ParserException& e) {
    std::string location = source_name;
    if (!e.mark.is_null()) {
      location += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    std::string hint = "Check the indentation and quoting around this line.";
    std::string line = e.mark.is_null() ? "" : LineAt(yaml_text, e.mark.line);
    if (line.find('\t') != std::string::npos) {
      hint = "YAML does not allow tabs for indentation; use spaces.";
    } else if (line.find("${") != std::string::npos) {
      hint = "Inside [ ] or { }, quote values that hold ${NAME}, e.g. [\"${NAME}\"].";
    }
    throw ConfigError(location + ": invalid YAML: " + e.msg, hint);
  }
  Config config = DefaultConfig();
  config.source_path = source_name;
  if (documents.empty()) return config;
  Parser parser(source_name, yaml_text, env);
  if (documents.size() > 1) {
    parser.Fail(documents[1].Mark(), "", "expected one YAML document, found " + std::to_string(documents.size()),
                "Remove the `---` separator and merge the documents.");
  }
  const YAML::Node& root = documents[0];
  if (root.IsNull()) return config;
  if (!root.IsMap()) {
    parser.Fail(root.Mark(), "", "expected a mapping of sections, got " + Described(root),
                "The top level holds sections: " + Join(kRootKeys, ", ") + ".");
  }
  Section top(parser, parser.Root(root), kRootKeys);
  for (const auto& section : top.entries()) {
    if (section.name == "database") ParseDatabase(parser, section, config.database);
    if (section.name == "server") ParseServer(parser, section, config.server);
    if (section.name == "llm") ParseLlm(parser, section, config.llm);
    if (section.name == "embeddings") ParseEmbeddings(parser, section, config.embeddings);
    if (section.name == "kb") ParseKb(parser, section, config.kb);
    if (section.name == "stripe") ParseStripe(parser, section, config.stripe);
    if (section.name == "plans") ParsePlans(parser, section, config.plans);
    if (section.name == "logging") ParseLogging(parser, section, config.logging);
  }
  return config;
}

Config LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError("could not read config file " + path + ": it is a directory",
                      "Pass the path of the omni.yaml file itself.");
  }
  return ParseConfig(detail::ReadTextFile(path, "config file " + path,
                                          "Check that the file exists and is readable by this user."),
                     path, env);
}

std::optional<std::string> FindConfigFile(const std::string& explicit_path, const EnvLookup& env,
                                          const std::vector<std::string>& fallback_paths) {
  std::error_code ec;
  if (!explicit_path.empty()) {
    if (!std::filesystem::exists(explicit_path, ec)) {
      throw ConfigError("config file " + explicit_path + " does not exist",
                        "Check the --config path, or leave it out to use ./omni.yaml or /etc/omni/omni.yaml.");
    }
    return explicit_path;
  }
  std::optional<std::string> from_env = env ? env("OMNI_CONFIG") : std::nullopt;
  if (from_env && !from_env->empty()) {
    if (!std::filesystem::exists(*from_env, ec)) {
      throw ConfigError("config file " + *from_env + " (from $OMNI_CONFIG) does not exist",
                        "Fix or unset OMNI_CONFIG.");
    }
    return *from_env;
  }
  for (const auto& path : fallback_paths) {
    if (std::filesystem::exists(path, ec)) return path;
  }
  return std::nullopt;
}

std::optional<std::string> FindConfigFile(const std::string& explicit_path, const EnvLookup& env) {
  return FindConfigFile(explicit_path, env, {"omni.yaml", "/etc/omni/omni.yaml"});
}

Config LoadConfig(const std::string& explicit_path, const EnvLookup& env) {
  std::optional<std::string> path = FindConfigFile(explicit_path, env);
  if (!path) return DefaultConfig();
  return LoadConfigFile(*path, env);
}

void FailUnknownKey(const FileKey& key, const std::vector<std::string>& valid_keys) {
  ThrowUnknownKey(key.place, key.section, key.name, valid_keys);
}

nlohmann::ordered_json RedactedJson(const Config& config, const nlohmann::ordered_json& plan_settings) {
  using Json = nlohmann::ordered_json;
  const auto& db = config.database;
  const auto& server = config.server;
  const auto& llm = config.llm;
  const auto& embeddings = config.embeddings;
  const auto& kb = config.kb;
  const auto& stripe = config.stripe;
  std::string host =
      server.listen_host.find(':') != std::string::npos ? "[" + server.listen_host + "]" : server.listen_host;
  Json json;
  json["database"] = Json{{"url", RedactConninfo(db.url)},
                          {"embedded", Json{{"data_dir", db.embedded_data_dir}}},
                          {"pool_size", db.pool_size},
                          {"connect_timeout_ms", db.connect_timeout_ms},
                          {"acquire_timeout_ms", db.acquire_timeout_ms},
                          {"statement_timeout_ms", db.statement_timeout_ms}};
  json["server"] = Json{{"listen", host + ":" + std::to_string(server.listen_port)},
                        {"public_url", server.public_url},
                        {"max_body_bytes", server.max_body_bytes},
                        {"max_header_bytes", server.max_header_bytes},
                        {"read_timeout_ms", server.read_timeout_ms},
                        {"write_timeout_ms", server.write_timeout_ms},
                        {"idle_timeout_ms", server.idle_timeout_ms},
                        {"shutdown_grace_ms", server.shutdown_grace_ms},
                        {"io_threads", server.io_threads},
                        {"db_threads", server.db_threads},
                        {"token_secret", Secret(server.token_secret)},
                        {"token_ttl_s", server.token_ttl_s},
                        {"max_message_chars", server.max_message_chars},
                        {"visitor_rate_per_min", server.visitor_rate_per_min},
                        {"visitor_burst", server.visitor_burst},
                        {"ip_rate_per_min", server.ip_rate_per_min},
                        {"ip_burst", server.ip_burst},
                        {"sse_keepalive_ms", server.sse_keepalive_ms},
                        {"unanswered_after_s", server.unanswered_after_s}};
  json["llm"] = Json{{"base_url", llm.base_url},
                     {"api_key", Secret(llm.api_key)},
                     {"models", llm.models},
                     {"connect_timeout_ms", llm.connect_timeout_ms},
                     {"first_byte_timeout_ms", llm.first_byte_timeout_ms},
                     {"idle_timeout_ms", llm.idle_timeout_ms},
                     {"max_retries", llm.max_retries},
                     {"retry_base_delay_ms", llm.retry_base_delay_ms},
                     {"max_tool_rounds", llm.max_tool_rounds},
                     {"history_messages", llm.history_messages},
                     {"temperature", llm.temperature},
                     {"max_tokens", llm.max_tokens},
                     {"app_name", llm.app_name},
                     {"app_url", llm.app_url},
                     {"ca_file", llm.ca_file},
                     {"escalate_on_failure", llm.escalate_on_failure}};
  json["embeddings"] = Json{{"enabled", embeddings.enabled},         {"base_url", embeddings.base_url},
                            {"api_key", Secret(embeddings.api_key)}, {"model", embeddings.model},
                            {"batch_size", embeddings.batch_size},   {"timeout_ms", embeddings.timeout_ms},
                            {"max_retries", embeddings.max_retries}};
  json["kb"] = Json{{"chunk_size_chars", kb.chunk_size_chars},
                    {"chunk_overlap_chars", kb.chunk_overlap_chars},
                    {"bm25_k1", kb.bm25_k1},
                    {"bm25_b", kb.bm25_b},
                    {"max_document_bytes", kb.max_document_bytes},
                    {"max_url_bytes", kb.max_url_bytes},
                    {"url_timeout_ms", kb.url_timeout_ms},
                    {"url_max_redirects", kb.url_max_redirects}};
  Json secrets = Json::array();
  for (const auto& secret : stripe.webhook_secrets) secrets.push_back(Secret(secret));
  json["stripe"] = Json{{"api_key", Secret(stripe.api_key)},
                        {"api_base", stripe.api_base},
                        {"webhook_secrets", secrets},
                        {"webhook_tolerance_s", stripe.webhook_tolerance_s},
                        {"price_ids", plan_settings.at("price_ids")},
                        {"metered_price_id", stripe.metered_price_id}};
  json["plans"] = plan_settings.at("plans");
  json["logging"] = Json{{"level", config.logging.level}, {"format", config.logging.format}};
  return json;
}

std::string RenderRedacted(const Config& config, const nlohmann::ordered_json& plan_settings) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitYaml(out, RedactedJson(config, plan_settings));
  return std::string(out.c_str()) + "\n";
}

std::string ResolveEmbeddedDataDir(const Config& config, const EnvLookup& env, bool running_as_root) {
  std::optional<std::string> home = env ? env("HOME") : std::nullopt;
  if (home && home->empty()) home.reset();
  const std::string& configured = config.database.embedded_data_dir;
  if (configured.empty()) {
    if (running_as_root) return "/var/lib/omni/pg";
    if (!home) {
      throw ConfigError("cannot place the embedded database: $HOME is not set",
                        "Set database.embedded.data_dir in omni.yaml, or set HOME.");
    }
    return *home + "/.local/share/omni/pg";
  }
  if (configured == "~" || StartsWith(configured, "~/")) {
    if (!home) {
      throw ConfigError("database.embedded.data_dir: cannot expand ~ in " + configured + ": $HOME is not set",
                        "Write an absolute path, or set HOME.");
    }
    return *home + configured.substr(1);
  }
  std::filesystem::path path(configured);
  if (path.is_relative() && !config.source_path.empty()) {
    std::filesystem::path base = std::filesystem::path(config.source_path).parent_path();
    if (!base.empty()) return (base / path).lexically_normal().string();
  }
  return configured;
}

}  // namespace omni::config
