// The command model of `omni`, kept free of CLI11 so that only main.cpp pays
// for parsing headers (CLI11 costs seconds per translation unit).
//
// Every subcommand file builds a Command: its names, help text, examples,
// options bound to its own options struct, and a run function. main.cpp
// turns the tree into a CLI11 app, and the man-page test walks the same tree.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cmd/context.hpp"

namespace omni::cli {

// Where a parsed value is stored. Targets point into the command's options
// struct, which the Command keeps alive through `state`.
using OptionTarget =
    std::variant<std::string*, int*, double*, bool*, std::vector<std::string>*,
                 std::optional<std::string>*, std::optional<int>*>;

struct Option {
  // CLI11 syntax: "-k,--top" for a flag or option, "query" for a positional.
  std::string names;
  std::string description;
  OptionTarget target;
  bool required = false;
  // Allowed values, shown in help and checked by the parser; empty: any.
  std::vector<std::string> choices = {};
};

struct Command {
  std::string name;
  std::string summary;      // one line, lower-case, no period
  std::string description;  // a paragraph for --help and the man page
  std::vector<std::string> examples;  // each "$ omni ..."
  std::vector<Option> options;
  // Returns the exit code; failures are thrown as omni::Error. A group
  // made by MakeGroup has none; a command may have both `run` and
  // subcommands (`omni chat` talks, `omni chat replay` replays).
  std::function<int(Context&)> run;
  std::vector<Command> subcommands;
  std::shared_ptr<void> state;  // owns the options struct the targets point into
};

// Builds a Command whose options struct is a fresh Opts, handed to `bind`
// to declare options and to `run` when the command executes.
template <class Opts>
Command MakeCommand(std::string name, std::string summary, std::string description,
                    std::vector<std::string> examples,
                    const std::function<std::vector<Option>(Opts&)>& bind,
                    std::function<int(Context&, const Opts&)> run) {
  auto opts = std::make_shared<Opts>();
  Command command{std::move(name), std::move(summary), std::move(description),
                  std::move(examples), bind(*opts), nullptr, {}, opts};
  command.run = [opts, run = std::move(run)](Context& ctx) { return run(ctx, *opts); };
  return command;
}

// A command that only groups subcommands.
Command MakeGroup(std::string name, std::string summary, std::string description,
                  std::vector<Command> subcommands);

// The items of a list option: "a,b" and repeated flags both give {a, b};
// empty items are dropped.
std::vector<std::string> SplitCommas(const std::vector<std::string>& values);

// The whole tree of `omni` subcommands, in help order.
std::vector<Command> AllCommands();

}  // namespace omni::cli
