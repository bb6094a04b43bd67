// Loading omni.yaml: finding the file, reading it, checking it is one YAML
// document holding a mapping of sections, and handing each section to its
// parser (detail/sections.hpp); plus where the embedded database lives.
#include "core/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <sstream>
#include <system_error>

#include "core/common/error.hpp"
#include "core/config/detail/parser.hpp"
#include "core/config/detail/sections.hpp"
#include "core/config/detail/text_file.hpp"

namespace omni::config {
namespace detail {

const std::vector<SectionSpec>& Sections() {
  static const std::vector<SectionSpec> sections = {
      DatabaseSection(), ServerSection(), ConsoleSection(), LlmSection(),   EmbeddingsSection(),
      KbSection(),       StripeSection(), EmailSection(),   WebhooksSection(), PlansSection(),
      BillingSection(),  LoggingSection(),  DefaultBusinessSection()};
  return sections;
}

}  // namespace detail

namespace {

using detail::Described;
using detail::Join;
using detail::Parser;
using detail::Section;

// The top-level keys: the sections' names, in file order.
const std::vector<std::string>& RootKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> names;
    for (const auto& section : detail::Sections()) names.push_back(section.name);
    return names;
  }();
  return keys;
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
                "The top level holds sections: " + Join(RootKeys(), ", ") + ".");
  }
  Section top(parser, parser.Root(root), RootKeys());
  for (const auto& entry : top.entries()) {
    for (const auto& section : detail::Sections()) {
      if (section.name == entry.name) section.parse(parser, entry, config);
    }
  }
  return config;
}

Config LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError("could not read config file " + path + ": it is a directory",
                      "Pass the path of the omni.yaml file itself.");
  }
  return ParseConfig(
      detail::ReadTextFile(path, "config file " + path, "Check that the file exists and is readable by this user."),
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

Config LoadConfig(const std::string& explicit_path, const EnvLookup& env) {
  std::optional<std::string> path = FindConfigFile(explicit_path, env);
  if (!path) return DefaultConfig();
  return LoadConfigFile(*path, env);
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
  if (configured == "~" || detail::StartsWith(configured, "~/")) {
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

std::string PublicBaseUrl(const ServerSettings& server) {
  std::string url = server.public_url;
  if (url.empty()) {
    const bool ipv6 = server.listen_host.find(':') != std::string::npos;
    url = "http://" + (ipv6 ? "[" + server.listen_host + "]" : server.listen_host) + ":" +
          std::to_string(server.listen_port);
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace omni::config
