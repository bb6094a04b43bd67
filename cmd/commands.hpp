// The subcommands of `omni`, one factory per noun, each in its own file.
#pragma once

#include "cmd/cli.hpp"

namespace omni::cli {

Command MakeConfigCommand();  // config_cmd.cpp
Command MakeDbCommand();      // db_cmd.cpp
Command MakeBusinessCommand();   // business_cmd.cpp
Command MakeCustomersCommand();  // customers_cmd.cpp
Command MakeIngestCommand();  // ingest_cmd.cpp
Command MakeKbCommand();      // kb_cmd.cpp
Command MakeBookCommand();    // book_cmd.cpp
Command MakeChatCommand();    // chat_cmd.cpp
Command MakeConversationsCommand();  // conversations_cmd.cpp
Command MakeBillingCommand();  // billing_cmd.cpp
Command MakeAnalyticsCommand();  // analytics_cmd.cpp
Command MakeNotificationsCommand();  // notifications_cmd.cpp
Command MakeJobsCommand();    // jobs_cmd.cpp
Command MakeWebhooksCommand();  // webhooks_cmd.cpp
Command MakeUsersCommand();   // users_cmd.cpp
Command MakeKeysCommand();    // keys_cmd.cpp
Command MakeUsageCommand();  // usage_cmd.cpp

}  // namespace omni::cli
