// `omni conversations list|show|reply|escalate|resolve|reopen|assign`: the
// operator's side of the handoff. A reply from here is a HUMAN message: it
// makes the conversation ESCALATED, so the AI stops answering, and reaches
// the visitor's open widget through omnid (LISTEN/NOTIFY).
#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/db/ids.hpp"
#include "core/operators/users.hpp"

namespace omni::cli {
namespace {

using nlohmann::json;

struct ListOptions {
  std::string status;
  std::string customer;
  std::string assigned;
  int limit = 50;
};
struct ShowOptions {
  std::string id;
  bool all = false;
};
struct ReplyOptions {
  std::string id;
  std::string text;
  std::string author;
};
struct EscalateOptions {
  std::string id;
  std::string reason;
};
struct IdOptions {
  std::string id;
};
struct AssignOptions {
  std::string id;
  std::string to;
};

struct Tenant {
  std::string id;
  std::string time_zone;
  std::string phone_region;
};

Tenant RequireTenant(Context& ctx) {
  const auto business = business::FindTenant(ctx.Database(), ctx.RequireBusiness());
  return {business.id, business.time_zone, business.phone_region};
}

// The full id of the conversation named by `text`, an id or its unique prefix.
std::string ConversationId(Context& ctx, const Tenant& tenant, const std::string& text) {
  return db::ResolveId(ctx.Database(), db::IdKind::kConversation, tenant.id, text);
}

json Time(const std::optional<TimePoint>& t, const std::string& zone) {
  return t ? json(booking::FormatLocal(*t, zone)) : json(nullptr);
}

// "customer" is for reading, so its phone is in the business's format.
json ConversationJson(const chat::Conversation& c, const Tenant& tenant) {
  const std::string& zone = tenant.time_zone;
  std::string customer = c.customer_name;
  const std::string contact =
      !c.customer_email.empty() ? c.customer_email : phone::Format(c.customer_phone, tenant.phone_region);
  if (!contact.empty()) customer += customer.empty() ? contact : " <" + contact + ">";
  return {{"id", c.id},
          {"status", chat::StatusName(c.status)},
          {"channel", c.channel},
          {"customer", customer},
          {"customer_id", c.customer_id.empty() ? json(nullptr) : json(c.customer_id)},
          {"messages", c.message_count},
          {"assigned_to", c.assigned_to.empty() ? json(nullptr) : json(c.assigned_to)},
          {"assigned_user_id", c.assigned_user_id.empty() ? json(nullptr) : json(c.assigned_user_id)},
          {"escalation_reason", c.escalation_reason.empty() ? json(nullptr) : json(c.escalation_reason)},
          {"escalated_at", Time(c.escalated_at, zone)},
          {"resolved_at", Time(c.resolved_at, zone)},
          {"last_message_at", Time(c.last_message_at, zone)},
          {"created_at", booking::FormatLocal(c.created_at, zone)},
          {"time_zone", zone}};
}

const std::vector<Column> kConversationFields = {
    {"id", "ID"},           {"status", "STATUS"},     {"channel", "CHANNEL"},
    {"customer", "CUSTOMER"}, {"messages", "MESSAGES"}, {"assigned_to", "ASSIGNED"},
    {"escalation_reason", "REASON"}, {"last_message_at", "LAST MESSAGE"}, {"time_zone", "TIME ZONE"}};

// The team member named by --to or --assigned: an e-mail or a user id, or
// "me", the e-mail in $OMNI_USER. Throws NotFound for no such user of the
// business.
operators::User TeamMember(Context& ctx, const Tenant& tenant, const std::string& option, const std::string& text) {
  std::string key = text;
  if (key == "me") {
    key = Context::Env()("OMNI_USER").value_or("");
    if (key.empty()) {
      throw InvalidInput(option + " me: $OMNI_USER is not set",
                         "Set OMNI_USER to your e-mail in this business, or pass " + option + " EMAIL.");
    }
  }
  return operators::GetUser(ctx.Database(), tenant.id, key);
}

int RunList(Context& ctx, const ListOptions& options) {
  const auto tenant = RequireTenant(ctx);
  chat::ListFilter filter;
  if (options.assigned == "none") {
    filter.unassigned = true;
  } else if (!options.assigned.empty() && options.assigned != "all") {
    filter.assigned_user_id = TeamMember(ctx, tenant, "--assigned", options.assigned).id;
  }
  if (!options.status.empty()) filter.status = chat::ParseStatus(options.status);
  // An id prefix names the customer; any other text is searched as before.
  filter.customer =
      db::FindId(ctx.Database(), db::IdKind::kCustomer, tenant.id, options.customer).value_or(options.customer);
  filter.limit = options.limit;
  json rows = json::array();
  for (const auto& c : chat::List(ctx.Database(), tenant.id, filter)) rows.push_back(ConversationJson(c, tenant));
  ctx.out().List({{"id", "ID"}, {"status", "STATUS"}, {"channel", "CHANNEL"}, {"customer", "CUSTOMER"},
                  {"messages", "MESSAGES"}, {"assigned_to", "ASSIGNED"}, {"last_message_at", "LAST MESSAGE"}},
                 rows);
  if (!rows.empty()) ctx.out().TimesIn(tenant.time_zone);
  return 0;
}

std::string Author(const chat::StoredMessage& m) {
  switch (m.role) {
    case chat::MessageRole::kUser: return "customer";
    case chat::MessageRole::kHuman: {
      const json metadata = json::parse(m.metadata_json, nullptr, false);
      const std::string who = metadata.is_object() ? metadata.value("author", "") : "";
      return who.empty() ? "team" : "team:" + who;
    }
    case chat::MessageRole::kTool: return "tool:" + m.tool_name;
    case chat::MessageRole::kSystem: return "system";
    default: return "ai";
  }
}

std::string MessageText(const chat::StoredMessage& m) {
  if (m.role == chat::MessageRole::kTool) return m.tool_result_json;
  if (!m.tool_calls_json.empty()) {
    std::string calls;
    for (const auto& call : json::parse(m.tool_calls_json, nullptr, false)) {
      if (!call.is_object()) continue;
      calls += (calls.empty() ? "" : ", ") + call.value("name", "") + "(" + call.value("arguments", "") + ")";
    }
    return (m.content.empty() ? "" : m.content + " ") + "-> " + calls;
  }
  return m.content;
}

// A customer message whose turn failed before storing a reply (marked by
// omnid, see chat::MarkUnanswered).
bool Failed(const chat::StoredMessage& m) {
  const json metadata = json::parse(m.metadata_json, nullptr, false);
  return metadata.is_object() && metadata.value("failed", false);
}

int RunShow(Context& ctx, const ShowOptions& options) {
  const auto tenant = RequireTenant(ctx);
  const std::string id = ConversationId(ctx, tenant, options.id);
  const auto conversation = chat::Get(ctx.Database(), tenant.id, id);
  chat::MessageQuery query;
  query.include_dropped = options.all;
  query.include_tools = options.all;
  json messages = json::array();
  for (const auto& m : chat::Messages(ctx.Database(), tenant.id, id, query)) {
    messages.push_back({{"id", m.id},
                        {"time", booking::FormatLocal(m.created_at, tenant.time_zone)},
                        {"role", chat::RoleName(m.role)},
                        {"from", Author(m)},
                        {"text", MessageText(m)},
                        {"model", m.model.empty() ? json(nullptr) : json(m.model)},
                        {"prompt_tokens", m.prompt_tokens},
                        {"completion_tokens", m.completion_tokens},
                        {"cost_usd", static_cast<double>(m.cost_micros) / 1e6},
                        {"latency_ms", m.latency_ms},
                        {"dropped", m.dropped},
                        {"failed", Failed(m)}});
  }
  json record = ConversationJson(conversation, tenant);
  if (ctx.out().format() == Format::kJson) {
    record["messages"] = messages;
    ctx.out().Record(kConversationFields, record);
    return 0;
  }
  ctx.out().Record(kConversationFields, record);
  ctx.out().Gap();
  for (auto& m : messages) {
    if (m["dropped"] == true) m["from"] = m["from"].get<std::string>() + " (dropped)";
    if (m["failed"] == true) m["from"] = m["from"].get<std::string>() + " (not answered)";
  }
  ctx.out().List({{"time", "TIME"}, {"from", "FROM"}, {"text", "TEXT"}}, messages);
  ctx.out().TimesIn(tenant.time_zone);
  return 0;
}

int PrintConversation(Context& ctx, const Tenant& tenant, const chat::Conversation& c, const std::string& status) {
  ctx.out().Record(kConversationFields, ConversationJson(c, tenant));
  ctx.out().Status(ctx.out().Green(status));
  return 0;
}

int RunReply(Context& ctx, const ReplyOptions& options) {
  const auto tenant = RequireTenant(ctx);
  std::string author = options.author;
  if (author.empty()) {
    const char* user = std::getenv("USER");
    author = user != nullptr && *user != '\0' ? user : "operator";
  }
  // A teammate's e-mail writes as that user, as their console reply would:
  // their name, and an unassigned conversation becomes theirs.
  std::string author_user_id;
  if (const auto user = operators::FindUserByEmail(ctx.Database(), tenant.id, author)) {
    author = user->name.empty() ? user->email : user->name;
    author_user_id = user->id;
  }
  const std::string id = ConversationId(ctx, tenant, options.id);
  const auto message =
      chat::HumanReply(ctx.Database(), tenant.id, id, options.text, author, DefaultClock().Now(), author_user_id);
  const auto conversation = chat::Get(ctx.Database(), tenant.id, id);
  return PrintConversation(ctx, tenant, conversation,
                           "replied as " + author + " (message " + message.id + "); the AI no longer answers");
}

int RunEscalate(Context& ctx, const EscalateOptions& options) {
  const auto tenant = RequireTenant(ctx);
  return PrintConversation(ctx, tenant, chat::Escalate(ctx.Database(), tenant.id, ConversationId(ctx, tenant, options.id), options.reason),
                           "escalated: a human owns this conversation");
}

int RunResolve(Context& ctx, const IdOptions& options) {
  const auto tenant = RequireTenant(ctx);
  return PrintConversation(ctx, tenant, chat::Resolve(ctx.Database(), tenant.id, ConversationId(ctx, tenant, options.id)), "resolved");
}

int RunReopen(Context& ctx, const IdOptions& options) {
  const auto tenant = RequireTenant(ctx);
  return PrintConversation(ctx, tenant, chat::Reopen(ctx.Database(), tenant.id, ConversationId(ctx, tenant, options.id)),
                           "reopened: the AI answers again");
}

int RunAssign(Context& ctx, const AssignOptions& options) {
  const auto tenant = RequireTenant(ctx);
  const std::string id = ConversationId(ctx, tenant, options.id);
  if (options.to == "none") {
    return PrintConversation(ctx, tenant, chat::Assign(ctx.Database(), tenant.id, id, ""), "unassigned");
  }
  const auto user = TeamMember(ctx, tenant, "--to", options.to);
  return PrintConversation(ctx, tenant, chat::Assign(ctx.Database(), tenant.id, id, user.id),
                           "assigned to " + (user.name.empty() ? user.email : user.name + " <" + user.email + ">"));
}

std::vector<Option> IdOption(IdOptions& o) { return {{"id", "conversation id, or its first 6 or more characters", &o.id, true}}; }

}  // namespace

Command MakeConversationsCommand() {
  return MakeGroup(
      "conversations", "read conversations and take them over from the AI",
      "Conversations of the business chosen with -b, across every channel. Each has a handoff status: "
      "AI_ACTIVE (the AI answers), ESCALATED (a human owns it and the AI stays silent), RESOLVED, and "
      "REOPENED (the customer wrote again after it was resolved; the AI answers again). A reply from here is "
      "a team member's message: it escalates the conversation and appears live in the visitor's widget.",
      {
          MakeCommand<ListOptions>(
              "list", "list conversations, most recent first",
              "Lists conversations by their latest message, optionally only those with a status or of a "
              "customer (id, email, phone or part of the name).",
              {"$ omni conversations list -b demo-salon", "$ omni conversations list -b demo-salon --status escalated",
               "$ omni conversations list -b demo-salon --assigned none",
               "$ omni conversations list -b demo-salon --customer ann@example.com -o json"},
              [](ListOptions& o) {
                return std::vector<Option>{
                    {"--status", "AI_ACTIVE, ESCALATED, RESOLVED or REOPENED", &o.status},
                    {"--customer", "customer id (or its first 6 or more characters), email, phone or part of the name", &o.customer},
                    {"--assigned", "all (default), none, me ($OMNI_USER) or a team member's email", &o.assigned},
                    {"--limit", "at most this many, 1 to 1000 (default 50)", &o.limit},
                };
              },
              RunList),
          MakeCommand<ShowOptions>(
              "show", "show a conversation and its messages",
              "Shows the conversation and its messages in order. --all adds the AI's tool calls, the tool "
              "results and replies dropped because a human took over. A customer message that got no reply "
              "because its turn failed (the database went away mid-turn) is marked (not answered), and "
              "\"failed\": true with -o json: reply to it yourself.",
              {"$ omni conversations show 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 -b demo-salon",
               "$ omni conversations show 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 -b demo-salon --all -o json"},
              [](ShowOptions& o) {
                return std::vector<Option>{{"id", "conversation id, or its first 6 or more characters", &o.id, true},
                                           {"--all", "include tool steps and dropped replies", &o.all}};
              },
              RunShow),
          MakeCommand<ReplyOptions>(
              "reply", "reply to the customer as a team member",
              "Sends a team member's message. The conversation becomes ESCALATED, so the AI stops answering, "
              "and is assigned to the author when unassigned. With --as a team member's e-mail, the reply is "
              "theirs, as if written in their console: signed with their name, and the conversation assigned to "
              "their user; any other --as is a name.",
              {"$ omni conversations reply 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 \"Hi, Maria here!\" -b demo-salon",
               "$ omni conversations reply 4f9c2a \"Sam here, on it\" --as sam@example.com -b demo-salon"},
              [](ReplyOptions& o) {
                return std::vector<Option>{{"id", "conversation id, or its first 6 or more characters", &o.id, true},
                                           {"text", "the message", &o.text, true},
                                           {"--as", "a team member's e-mail, or an author name (default: $USER)", &o.author}};
              },
              RunReply),
          MakeCommand<EscalateOptions>(
              "escalate", "hand a conversation to a human",
              "Makes the conversation ESCALATED: the AI stops answering until it is resolved and the customer "
              "writes again, or it is reopened.",
              {"$ omni conversations escalate 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 --reason \"VIP\" -b demo-salon"},
              [](EscalateOptions& o) {
                return std::vector<Option>{{"id", "conversation id, or its first 6 or more characters", &o.id, true},
                                           {"--reason", "why, for the team", &o.reason}};
              },
              RunEscalate),
          MakeCommand<IdOptions>("resolve", "mark a conversation resolved",
                                 "Marks the conversation RESOLVED. If the customer writes again it becomes "
                                 "REOPENED and the AI answers.",
                                 {"$ omni conversations resolve 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 -b demo-salon"},
                                 IdOption, RunResolve),
          MakeCommand<IdOptions>("reopen", "reopen a resolved conversation",
                                 "Makes a RESOLVED conversation REOPENED, so the AI answers again. Exits 6 for a "
                                 "conversation that is not resolved.",
                                 {"$ omni conversations reopen 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 -b demo-salon"},
                                 IdOption, RunReopen),
          MakeCommand<AssignOptions>(
              "assign", "assign a conversation to a team member",
              "Sets who on the team owns the conversation: a user of the business (see omni users list), named "
              "by e-mail, or me for the user whose e-mail is in $OMNI_USER; none unassigns it. Exits 5 for "
              "someone who is not on the team. It does not change the handoff status. Removing a user "
              "unassigns their conversations.",
              {"$ omni conversations assign 4f9c2a1e-8d3b-4c55-9a7e-2b1f0c6d8e90 --to maria@example.com -b demo-salon",
               "$ OMNI_USER=maria@example.com omni conversations assign 4f9c2a1e --to me -b demo-salon",
               "$ omni conversations assign 4f9c2a1e --to none -b demo-salon"},
              [](AssignOptions& o) {
                return std::vector<Option>{{"id", "conversation id, or its first 6 or more characters", &o.id, true},
                                           {"--to", "EMAIL, me ($OMNI_USER) or none", &o.to, true}};
              },
              RunAssign),
      });
}

}  // namespace omni::cli
