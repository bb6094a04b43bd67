// Strict reading of YAML documents for the config module: every value is
// checked for its type and range, every mapping for unknown and duplicate
// keys, and every failure is a ConfigError that names the source, the
// 1-based line and column, the key path, and what was expected:
//
//   acme.yaml:12:7: services[1].duration_min: expected an integer from 5 to 1440, got "sixty"
//
// Private to core/config (the only user of yaml-cpp), and used by the
// business file reader (core/business/business_file.cpp), since a business
// file is YAML held to omni.yaml's strictness. Thread-safe: plain functions
// over values; a MapReader belongs to one thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace omni::config::detail {

// Where a node sits: the document's name (usually a file path) and the key
// path leading to it ("" for the root, "hours.mon[0]" deeper down).
struct Location {
  std::string source;
  std::string path;

  Location Key(const std::string& key) const;  // "a" + "b" -> "a.b"
  Location Index(std::size_t index) const;     // "a" + 2 -> "a[2]"
};

// Throws ConfigError "<source>:<line>:<col>: <path>: <problem>" (the path
// part is left out at the root). `mark` may be null (then no position).
[[noreturn]] void Fail(const Location& where, const YAML::Mark& mark, const std::string& problem,
                       std::string hint = {});

// Parses one YAML document. A syntax error becomes a ConfigError with its
// position; an empty document yields a Null node.
YAML::Node LoadDocument(const std::string& text, const std::string& source);

// A short description of what a node holds, for "got ..." in messages:
// the quoted scalar, "a list", "a mapping" or "nothing".
std::string Describe(const YAML::Node& node);

// A mapping whose keys are checked against an allowed set at construction:
// a non-mapping, a non-scalar key, a duplicate key or an unknown key throws
// (the unknown-key hint suggests the closest allowed key).
class MapReader {
 public:
  MapReader(const YAML::Node& node, Location where, std::initializer_list<const char*> allowed);
  // As above, but any key is allowed (a mapping keyed by data, like dates).
  MapReader(const YAML::Node& node, Location where);

  // The value of `key`, or nullopt when absent.
  std::optional<YAML::Node> Get(const std::string& key) const;
  // The value of `key`; throws "missing required key" at the mapping.
  YAML::Node Require(const std::string& key) const;
  // The keys in document order, with their key nodes (for positions).
  const std::vector<std::pair<std::string, YAML::Node>>& Keys() const { return keys_; }
  const Location& where() const { return where_; }
  YAML::Mark mark() const { return mark_; }

 private:
  YAML::Node node_;
  Location where_;
  YAML::Mark mark_;
  std::vector<std::pair<std::string, YAML::Node>> keys_;
};

// Scalar readers. Each checks the node at `where` and throws on mismatch.
// A string is any non-null scalar (quoted or not).
std::string ReadString(const YAML::Node& node, const Location& where);
// A non-empty string after trimming surrounding whitespace.
std::string ReadNonEmptyString(const YAML::Node& node, const Location& where);
// An unquoted integer within [min, max].
std::int64_t ReadInt(const YAML::Node& node, const Location& where, std::int64_t min, std::int64_t max);
// An unquoted true/false (YAML 1.2 core spellings: true, True, TRUE, ...).
bool ReadBool(const YAML::Node& node, const Location& where);
// A sequence; `[]` yields an empty vector.
std::vector<YAML::Node> ReadList(const YAML::Node& node, const Location& where);
// A sequence of strings.
std::vector<std::string> ReadStringList(const YAML::Node& node, const Location& where);
// One of `choices` (compared case-insensitively); returns the choice as spelled there.
std::string ReadChoice(const YAML::Node& node, const Location& where, const std::vector<std::string>& choices);

// The allowed word closest to `word` by edit distance, when close enough
// to be a likely typo; empty otherwise.
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& allowed);

}  // namespace omni::config::detail
