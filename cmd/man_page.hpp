// Renders omni(1) in roff from the command tree, so that the man page carries
// the same text as --help and cannot drift from it (a test compares them).
#pragma once

#include <string>
#include <vector>

#include "cmd/cli.hpp"

namespace omni::cli {

std::string RenderManPage(const std::vector<Command>& commands, const std::string& version);

}  // namespace omni::cli
