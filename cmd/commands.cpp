// The order in which nouns appear in `omni --help` and the man page, and
// the helpers of cli.hpp.
#include "cmd/commands.hpp"

#include <sstream>

namespace omni::cli {

std::vector<Command> AllCommands() {
  std::vector<Command> commands;
  commands.push_back(MakeConfigCommand());
  commands.push_back(MakeDbCommand());
  commands.push_back(MakeBusinessCommand());
  commands.push_back(MakeIngestCommand());
  commands.push_back(MakeKbCommand());
  commands.push_back(MakeCustomersCommand());
  commands.push_back(MakeBookCommand());
  commands.push_back(MakeChatCommand());
  commands.push_back(MakeConversationsCommand());
  commands.push_back(MakeBillingCommand());
  commands.push_back(MakeAnalyticsCommand());
  commands.push_back(MakeNotificationsCommand());
  commands.push_back(MakeJobsCommand());
  commands.push_back(MakeWebhooksCommand());
  commands.push_back(MakeUsersCommand());
  commands.push_back(MakeKeysCommand());
  commands.push_back(MakeUsageCommand());
  return commands;
}

Command MakeGroup(std::string name, std::string summary, std::string description,
                  std::vector<Command> subcommands) {
  Command group;
  group.name = std::move(name);
  group.summary = std::move(summary);
  group.description = std::move(description);
  group.subcommands = std::move(subcommands);
  return group;
}

std::vector<std::string> SplitCommas(const std::vector<std::string>& values) {
  std::vector<std::string> items;
  for (const auto& value : values) {
    std::stringstream stream(value);
    std::string item;
    while (std::getline(stream, item, ',')) {
      if (!item.empty()) items.push_back(item);
    }
  }
  return items;
}

}  // namespace omni::cli
