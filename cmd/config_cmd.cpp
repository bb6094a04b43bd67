// `omni config show|check`: the effective configuration, secrets redacted,
// and validation of a config file before omnid ever reads it.
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cmd/commands.hpp"
#include "core/billing/plans.hpp"
#include "core/config/config.hpp"

namespace omni::cli {
namespace {

struct ShowOptions {};

struct CheckOptions {
  std::string file;
};

std::string SourceDescription(const std::string& source_path) {
  return source_path.empty() ? "no config file found; built-in defaults apply" : source_path;
}

int RunShow(Context& ctx, const ShowOptions&) {
  const config::Config& config = ctx.Config();
  ctx.out().Status("config: " + SourceDescription(config.source_path));
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json(config::RedactedJson(config, billing::PlanSettingsJson(config)));
  } else {
    ctx.out().Text(config::RenderRedacted(config, billing::PlanSettingsJson(config)));
  }
  return 0;
}

int RunCheck(Context& ctx, const CheckOptions& opts) {
  std::optional<std::string> path =
      opts.file.empty() ? config::FindConfigFile(ctx.global().config_path, Context::Env()) : opts.file;
  if (path) billing::CheckPlanSettings(config::LoadConfigFile(*path, Context::Env()));
  std::string source = SourceDescription(path.value_or(""));
  if (ctx.out().format() == Format::kJson) {
    nlohmann::json result = {{"ok", true}, {"file", path ? nlohmann::json(*path) : nlohmann::json(nullptr)}};
    ctx.out().Json(result);
  } else {
    ctx.out().Text("ok: " + source + "\n");
  }
  return 0;
}

}  // namespace

Command MakeConfigCommand() {
  return MakeGroup(
      "config", "show and validate the configuration",
      "omni and omnid read one YAML file: the --config flag, then $OMNI_CONFIG, then ./omni.yaml, then "
      "/etc/omni/omni.yaml; with none, built-in defaults apply. See omni.yaml(5) for every key.",
      {
          MakeCommand<ShowOptions>(
              "show", "print the effective configuration with secrets redacted",
              "Prints the configuration omni would use, as YAML (or JSON with -o json): the file's values over "
              "the built-in defaults, with ${VAR} references expanded. Passwords, API keys, webhook secrets and "
              "the token secret print as <redacted>. The file it came from is named on stderr.",
              {"$ omni config show", "$ omni --config /etc/omni/omni.yaml config show -o json"},
              [](ShowOptions&) { return std::vector<Option>{}; }, RunShow),
          MakeCommand<CheckOptions>(
              "check", "validate a config file",
              "Parses FILE (or the file omni would use) strictly, expanding ${VAR} references from the "
              "environment. Prints \"ok: FILE\" and exits 0 when it is valid; otherwise prints the first error "
              "with file:line:column and the key path, and exits 3.",
              {"$ omni config check", "$ omni config check /etc/omni/omni.yaml"},
              [](CheckOptions& opts) {
                return std::vector<Option>{
                    {"file", "Config file to check (default: the one omni would use)", &opts.file}};
              },
              RunCheck),
      });
}

}  // namespace omni::cli
