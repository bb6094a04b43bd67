// omni: the operator CLI. The only translation unit that includes CLI11, and
// the one place where errors become exit codes (STYLE.md rule 18).
#include <csignal>
#include <cstdlib>
#include <algorithm>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "cmd/cli.hpp"
#include "cmd/commands.hpp"
#include "cmd/interrupt.hpp"
#include "cmd/man_page.hpp"
#include "core/common/error.hpp"
#include "core/common/exit_code.hpp"
#include "core/common/text.hpp"

namespace omni::cli {
namespace {

constexpr const char* kVersion = "omni 0.1.0";

std::string HelpFooter(const Command& command) {
  std::string footer;
  if (!command.description.empty()) footer += "\n" + command.description + "\n";
  if (!command.examples.empty()) {
    footer += "\nExamples:\n";
    for (const auto& example : command.examples) footer += "  " + example + "\n";
  }
  return footer;
}

void BindOption(CLI::App& app, const Option& option) {
  CLI::Option* bound = std::visit(
      [&](auto* target) -> CLI::Option* {
        using Target = std::remove_pointer_t<decltype(target)>;
        if constexpr (std::is_same_v<Target, bool>) {
          return app.add_flag(option.names, *target, option.description);
        } else if constexpr (std::is_same_v<Target, std::optional<std::string>>) {
          return app.add_option_function<std::string>(
              option.names, [target](const std::string& value) { *target = value; }, option.description);
        } else if constexpr (std::is_same_v<Target, std::optional<int>>) {
          return app.add_option_function<int>(
              option.names, [target](const int& value) { *target = value; }, option.description);
        } else {
          return app.add_option(option.names, *target, option.description);
        }
      },
      option.target);
  if (option.required) bound->required();
  if (!option.choices.empty()) bound->check(CLI::IsMember(option.choices));
}

struct Leaf {
  CLI::App* app;
  const Command* command;
};

// Registers `command` and its subcommands. Runnable commands become leaves,
// a command before its subcommands, so that the last parsed leaf is the
// one the user named.
void Register(CLI::App& parent, const Command& command, std::vector<Leaf>& leaves) {
  CLI::App* app = parent.add_subcommand(command.name, command.summary);
  app->footer(HelpFooter(command));
  for (const auto& option : command.options) BindOption(*app, option);
  if (command.run) leaves.push_back({app, &command});
  if (command.subcommands.empty()) return;
  if (command.run) {
    app->require_subcommand(0, 1);
  } else {
    app->require_subcommand(1);
  }
  for (const auto& sub : command.subcommands) Register(*app, sub, leaves);
}

void ListCommands(const std::vector<Command>& commands, const std::string& prefix) {
  for (const auto& command : commands) {
    std::string path = prefix.empty() ? command.name : prefix + " " + command.name;
    if (command.run) std::cout << path << '\t' << command.summary << '\n';
    ListCommands(command.subcommands, path);
  }
}

void PrintError(const std::string& message, const std::string& hint) {
  std::cerr << "omni: " << message << '\n';
  if (!hint.empty()) std::cerr << "hint: " << hint << '\n';
}

// Options of `command` that take a value, by each of their names.
void AddValueOptions(const std::vector<Option>& options, std::vector<std::string>& names) {
  for (const auto& option : options) {
    if (std::holds_alternative<bool*>(option.target)) continue;
    std::istringstream parts(option.names);
    for (std::string name; std::getline(parts, name, ',');) {
      if (!name.empty() && name[0] == '-') names.push_back(name);
    }
  }
}

bool HasPositional(const Command& command) {
  for (const auto& option : command.options) {
    if (!option.names.empty() && option.names[0] != '-') return true;
  }
  return false;
}

// Finds the first word of the command line that should name a subcommand
// and names none, before CLI11 parses: CLI11 only says "A subcommand is
// required", which hides the typo. Returns the usage error to print, with
// the nearest subcommand at that level.
std::optional<std::pair<std::string, std::string>> UnknownCommand(const std::vector<Command>& commands, int argc,
                                                                    char** argv) {
  std::vector<std::string> value_options = {"--config", "-b", "--business", "-o", "--output"};
  const std::vector<Command>* level = &commands;
  const Command* current = nullptr;
  std::string path = "omni";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") return std::nullopt;
    if (word.size() > 1 && word[0] == '-') {
      const bool takes_value = word.find('=') == std::string::npos &&
                               std::find(value_options.begin(), value_options.end(), word) != value_options.end();
      if (takes_value) ++i;
      continue;
    }
    const auto found = std::find_if(level->begin(), level->end(),
                                    [&](const Command& command) { return command.name == word; });
    if (found == level->end()) {
      // A runnable command's words are its own arguments (`omni kb search WORDS`).
      if (current != nullptr && current->run && HasPositional(*current)) return std::nullopt;
      std::vector<std::string> names;
      for (const auto& command : *level) names.push_back(command.name);
      const std::string closest = ClosestWord(word, names);
      std::string message = "unknown command '" + word + "'";
      if (!closest.empty()) message += "; did you mean '" + closest + "'?";
      return std::make_pair(message, "Run `" + path + " --help` for its commands.");
    }
    current = &*found;
    path += " " + current->name;
    AddValueOptions(current->options, value_options);
    level = &current->subcommands;
    if (level->empty()) return std::nullopt;
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  InstallInterruptHandler();
  GlobalOptions global;
  CLI::App app{"omni: the operator CLI of a self-hosted AI front desk", "omni"};
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);
  app.add_option("--config", global.config_path, "Config file (default: $OMNI_CONFIG, ./omni.yaml, /etc/omni/omni.yaml)");
  app.add_option("-b,--business", global.business, "Business slug to act on (default: $OMNI_BUSINESS, default_business, or the only one)");
  app.add_option("-o,--output", global.output, "Output format")->check(CLI::IsMember({"table", "json", "csv"}));
  app.add_flag("-q,--quiet", global.quiet, "Print no status lines on stderr");
  app.add_flag("-v,--verbose", global.verbose, "Print more detail");
  bool list_commands = false;
  bool man_page = false;
  app.add_flag("--list-commands", list_commands, "List every command")->group("");
  app.add_flag("--man-page", man_page, "Print omni(1) in roff")->group("");
  app.footer(
      "\nExit status: 0 ok, 1 failure, 2 usage, 3 config invalid, 4 dependency unavailable,\n"
      "5 not found, 6 conflict, 7 plan limit reached, 130 interrupted.\n\n"
      "Examples:\n"
      "  $ omni business apply -f config/demo-salon.yaml\n"
      "  $ omni ingest -b demo-salon config/demo-kb\n"
      "  $ omni kb search -b demo-salon \"do you do balayage?\"\n"
      "  $ omni book slots -b demo-salon --service \"Women's haircut\" --date 2026-12-01\n");

  const std::vector<Command> commands = AllCommands();
  std::vector<Leaf> leaves;
  for (const auto& command : commands) Register(app, command, leaves);

  if (auto unknown = UnknownCommand(commands, argc, argv)) {
    PrintError(unknown->first, unknown->second);
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Hidden flags for tooling; they need no subcommand.
    if (list_commands) {
      ListCommands(commands, "");
      return kExitOk;
    }
    if (man_page) {
      std::cout << RenderManPage(commands, kVersion);
      return kExitOk;
    }
    app.exit(e);
    return kExitUsage;
  }

  const Leaf* selected = nullptr;
  for (const auto& leaf : leaves) {
    if (leaf.app->parsed()) selected = &leaf;
  }
  if (selected == nullptr) return kExitUsage;
  // A runnable command's own options mean nothing to its subcommands
  // (`omni chat replay ID -m hi`): refuse them rather than drop them.
  const auto path = [&app](const CLI::App* command) {
    std::string text;
    for (; command != nullptr && command != &app; command = command->get_parent()) {
      text = command->get_name() + (text.empty() ? "" : " " + text);
    }
    return "omni " + text;
  };
  for (const CLI::App* parent = selected->app->get_parent(); parent != &app; parent = parent->get_parent()) {
    for (const CLI::Option* option : parent->get_options()) {
      if (option->count() > 0) {
        PrintError(option->get_name() + " is an option of `" + path(parent) + "`, not of `" +
                       path(selected->app) + "`",
                   "Run `" + path(selected->app) + " --help` for its options.");
        return kExitUsage;
      }
    }
  }

  try {
    Context context(global);
    return selected->command->run(context);
  } catch (const Interrupted&) {
    std::cerr << "omni: interrupted\n";
    return kExitInterrupted;
  } catch (const Error& e) {
    PrintError(e.what(), e.hint());
    return ExitCodeFor(e);
  } catch (const std::exception& e) {
    PrintError(std::string("unexpected error: ") + e.what(),
               global.verbose ? "" : "Run again with -v for more detail, and report it if it persists.");
    return kExitFailure;
  }
}

}  // namespace
}  // namespace omni::cli

int main(int argc, char** argv) { return omni::cli::Main(argc, argv); }
