// The strict reading of omni.yaml shared by its section parsers
// (sections_*.cpp): every mapping is checked against its known keys, every
// scalar against its type and range, and every failure names
// file:line:column (1-based), the dotted key path and what was expected.
// `${VAR}` and `${VAR:-default}` are expanded in scalar values before they
// are converted; `$$` is a literal `$`.
// Private to core/config (it exposes yaml-cpp). Thread-safe: a Parser and
// its Sections belong to the one thread parsing a file.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config.hpp"

namespace omni::config::detail {

inline constexpr long long kMaxMillis = 24LL * 3600 * 1000;  // one day
inline constexpr long long kMaxBytes = 1LL << 40;

std::string Join(const std::vector<std::string>& items, const std::string& separator);
bool StartsWith(const std::string& text, const std::string& prefix);
// How a value appears in "got ..." messages; long values are cut.
std::string Shown(const std::string& value);
// "a mapping", "a list", the shown scalar, or "nothing".
std::string Described(const YAML::Node& node);
// "a positive integer (milliseconds)" and the like, for a key's range.
std::string IntegerExpectation(long long min, long long max, const std::string& key);
// Decimal text with an optional leading +; nullopt when not wholly a number.
std::optional<long long> ParseInteger(const std::string& text);
std::optional<double> ParseNumber(const std::string& text);
std::string FormatNumber(double value);
bool IsHttpUrl(const std::string& url);
std::string WithoutTrailingSlash(std::string url);

// The ConfigError for a key not in `keys` at `place`: the closest valid key
// or the section that has the key as a hint, then every valid key.
[[noreturn]] void ThrowUnknownKey(const std::string& place, const std::string& section, const std::string& name,
                                  const std::vector<std::string>& keys);

// One key of a mapping as found in the file.
struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string path;  // dotted, e.g. "server.listen"
  std::string name;  // the last component, as written
};

class Parser {
 public:
  // Keeps a reference to `env`, which must outlive the parser.
  Parser(const std::string& source, const std::string& text, const EnvLookup& env);

  // "source:line:column", or the source alone for a null mark.
  std::string Place(const YAML::Mark& mark) const;

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& path, const std::string& message,
                         const std::string& hint = {}) const;
  // Blames the value, or the key when the value is missing.
  [[noreturn]] void FailValue(const Entry& entry, const std::string& message, const std::string& hint = {}) const;
  [[noreturn]] void FailExpected(const Entry& entry, const std::string& expected, const std::string& hint = {}) const;

  // The scalar text of `entry` after ${VAR} expansion; fails for maps,
  // lists and missing values.
  std::string Scalar(const Entry& entry, const std::string& expected) const;

  // Checks that `entry` is a mapping (a missing value counts as empty) with
  // only `keys`, each once; returns its entries in file order.
  std::vector<Entry> Mapping(const Entry& entry, const std::vector<std::string>& keys) const;
  // Checks that `entry` is a mapping keyed by names another module checks
  // (FileKey), each given once ignoring case; `expected` describes it.
  std::vector<Entry> NamedMapping(const Entry& entry, const std::string& expected) const;
  // The key of `entry`, a key of the mapping `section`, for another module.
  FileKey KeyOf(const Entry& entry, const Entry& section) const;

  Entry Root(const YAML::Node& root) const { return Entry{YAML::Node(), root, "", ""}; }

 private:
  // The entries of a mapping; with `keys`, only those are allowed.
  std::vector<Entry> Entries(const Entry& entry, const std::vector<std::string>* keys, bool case_insensitive,
                             const std::string& expected) const;
  // Column of `${name` in the source line of the value, so the error points
  // at the reference itself and not only at the start of the value.
  YAML::Mark ReferenceMark(const Entry& entry, const std::string& reference) const;
  std::string Expand(const Entry& entry) const;

  std::string source_;
  const EnvLookup& env_;
  std::vector<std::string> lines_;
};

// Typed reads of the keys of one mapping; absent keys keep their defaults.
// Each read returns the key's entry, or nullptr when the key is absent.
class Section {
 public:
  Section(const Parser& parser, const Entry& entry, const std::vector<std::string>& keys)
      : parser_(parser), entries_(parser.Mapping(entry, keys)) {}

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* Find(const std::string& key) const;

  template <class IntType>
  const Entry* Integer(const std::string& key, std::optional<IntType>* out, long long min, long long max) const {
    IntType value{};
    const Entry* entry = Integer(key, &value, min, max);
    if (entry) *out = value;
    return entry;
  }

  template <class IntType>
  const Entry* Integer(const std::string& key, IntType* out, long long min, long long max) const {
    long long value = 0;
    const Entry* entry = ReadInteger(key, &value, min, max);
    if (entry) *out = static_cast<IntType>(value);
    return entry;
  }

  template <class IntType>
  const Entry* Millis(const std::string& key, IntType* out, long long min = 1) const {
    return Integer(key, out, min, kMaxMillis);
  }

  const Entry* Number(const std::string& key, double* out, double min, double max, bool min_exclusive,
                      const std::string& expected) const;
  const Entry* Boolean(const std::string& key, bool* out) const;
  const Entry* String(const std::string& key, std::string* out) const;
  const Entry* NonEmptyString(const std::string& key, std::string* out) const;
  // An http(s) URL without trailing slashes; empty only when allowed.
  const Entry* Url(const std::string& key, std::string* out, bool allow_empty) const;
  const Entry* Choice(const std::string& key, std::string* out, const std::vector<std::string>& choices) const;
  // A list of strings; a single string counts as a list of one when allowed.
  // Values that expand to "" are dropped when `drop_empty`, else rejected.
  const Entry* StringList(const std::string& key, std::vector<std::string>* out, bool allow_single,
                          bool drop_empty) const;

 private:
  const Entry* ReadInteger(const std::string& key, long long* out, long long min, long long max) const;

  const Parser& parser_;
  std::vector<Entry> entries_;
};

}  // namespace omni::config::detail
