// Conversations and their messages on the database, and the handoff state
// machine that decides who answers:
//
//   AI_ACTIVE --escalate / human reply--> ESCALATED (a human owns it)
//   ESCALATED --resolve--> RESOLVED --customer writes / reopen--> REOPENED
//   REOPENED behaves as AI_ACTIVE: the AI answers again.
//
// The AI never answers an ESCALATED or RESOLVED conversation. SaveAiMessage
// makes that check atomic with the insert (the conversation row is locked
// FOR UPDATE in the same transaction), so a reply the model finished after
// a human took over is stored with dropped = true and never shown.
// Reporting columns (see migration 12) are written in the transaction of
// each step: message counts and first replies by a trigger on messages, the
// first handoff's time and HandoffReason, and who resolved it (AI when no
// handoff and no team member's message came before), by the status change.
// Every change a live view cares about (a human reply, a status change, a
// new message) is announced with pg_notify on kNotifyChannel, delivered at
// commit, so every omnid instance on the database can push it.
// Every function is scoped by a business id.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::chat {

// LISTEN channel; payload {"business_id", "conversation_id", and either
// "message_id" + "role" or "status" or "assigned_to"}, or
// {"business_id", "removed_user_id"} (NotifyTeammateRemoved).
inline constexpr const char* kNotifyChannel = "omni_conversation";

enum class ConversationStatus { kAiActive, kEscalated, kResolved, kReopened };
// "AI_ACTIVE", "ESCALATED", "RESOLVED", "REOPENED".
const char* StatusName(ConversationStatus status);
// Parses those names case-insensitively; InvalidInput listing them otherwise.
ConversationStatus ParseStatus(const std::string& text);

enum class HandoffEvent { kEscalate, kHumanReply, kResolve, kReopen, kCustomerMessage };

// The status after `event`. Escalating or a human reply makes it ESCALATED
// from any status; resolving makes it RESOLVED; reopening needs RESOLVED
// (or REOPENED); a customer message reopens a RESOLVED one and changes
// nothing else. Throws Conflict for reopening a conversation that is not
// resolved. Pure.
ConversationStatus NextStatus(ConversationStatus from, HandoffEvent event);

// True for AI_ACTIVE and REOPENED.
bool AiMayAnswer(ConversationStatus status);

// Why a conversation went to a human, recorded with its first handoff for
// analytics (the free-text reason is for the team and may change):
//   kHumanRequested  the customer asked for a person (escalate_to_human with
//                    customer_asked)
//   kModelFailure    the AI could not answer: every model failed, or the
//                    offline responder had no clear answer
//   kPlanLimit       the plan's interaction limit stopped the AI
//   kToolOrPolicy    the model handed off by the business's rules
//                    (escalate_to_human without customer_asked), or the
//                    business turned its AI off
//   kOperator        a team member took it over (escalate, or a reply)
enum class HandoffReason { kHumanRequested, kModelFailure, kPlanLimit, kToolOrPolicy, kOperator };
// "HUMAN_REQUESTED", "MODEL_FAILURE", "PLAN_LIMIT", "TOOL_OR_POLICY", "OPERATOR".
const char* HandoffReasonName(HandoffReason reason);

enum class Channel { kWebchat, kCli, kApi, kSms, kEmail, kPhone };
// "WEBCHAT", "CLI", "API", "SMS", "EMAIL", "PHONE".
const char* ChannelName(Channel channel);

struct Conversation {
  std::string id;
  std::string business_id;
  std::string customer_id;     // "" when anonymous
  std::string customer_name;   // "" when unknown
  std::string customer_email;
  std::string customer_phone;
  std::string customer_external_id;  // the customer's verified identity; "" when none
  std::string channel;         // ChannelName
  ConversationStatus status = ConversationStatus::kAiActive;
  // Who owns it, as the team reads it: the assigned user's name (their
  // e-mail when they have none), or a legacy name from before users were
  // assigned (a CLI `--as` author, "key:<name>"); "" when unassigned.
  std::string assigned_to;
  std::string assigned_user_id;  // the operator user assigned; "" when none (or a legacy name)
  std::string escalation_reason;
  std::optional<TimePoint> escalated_at;
  std::optional<TimePoint> resolved_at;
  std::string visitor_id;
  std::optional<TimePoint> last_message_at;
  TimePoint created_at;
  int message_count = 0;       // user, assistant and human messages not dropped
};

enum class MessageRole { kUser, kAssistant, kSystem, kHuman, kTool };
// "USER", "ASSISTANT", "SYSTEM", "HUMAN", "TOOL".
const char* RoleName(MessageRole role);
// The role of one of those names (exact case); nullopt for any other text.
std::optional<MessageRole> FindRole(const std::string& name);

struct StoredMessage {
  std::string id;
  std::int64_t seq = 0;         // order within the database
  MessageRole role = MessageRole::kUser;
  std::string content;
  std::string tool_calls_json;  // assistant: [{"id","name","arguments"}]; "" when none
  std::string tool_call_id;     // tool
  std::string tool_name;
  std::string tool_result_json; // tool: the JSON the model received
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cost_micros = 0;  // US dollars * 1e6
  std::int64_t latency_ms = 0;
  std::string model;
  bool dropped = false;
  std::string metadata_json = "{}";  // human: {"author"}; assistant: citations, offline, ...
  TimePoint created_at;
};

struct OpenRequest {
  std::string conversation_id;  // continue this one (NotFound if not the business's)
  std::string customer_id;      // link a new conversation to this customer
  bool latest_of_customer = false;  // no id: continue the customer's latest conversation
  Channel channel = Channel::kApi;
  std::string visitor_id;
};

// Finds the conversation to continue or creates one. A found conversation
// without a customer gets `customer_id`.
Conversation Open(db::Pool& pool, const std::string& business_id, const OpenRequest& request);

// The conversation; NotFound (with a hint) for an unknown id or one of
// another business, InvalidInput for a malformed id.
Conversation Get(db::Pool& pool, const std::string& business_id, const std::string& conversation_id);

// A public chat's visitor, as their verified token names them.
struct Visitor {
  std::string visitor_id;
  std::string customer_id;  // their own customer, or the verified one; "" when none
  bool verified = false;    // customer_id was proven by a verified identity
};

// True when `visitor` may continue `conversation`: one of their verified
// customer, or one carrying their visitor id whose customer is none, their
// own, or one without a verified identity (a customer made by a booking in
// the chat). So a verified customer's conversation stays theirs: the visitor
// id alone no longer reaches it once the visitor signs out. Pure.
bool VisitorMayContinue(const Visitor& visitor, const Conversation& conversation);

// The conversation if `visitor` may continue it (VisitorMayContinue);
// NotFound otherwise, also for a malformed id or another business's, so
// that nothing tells a visitor whether someone else's conversation exists.
Conversation VisitorConversation(db::Pool& pool, const std::string& business_id, const Visitor& visitor,
                                 const std::string& conversation_id);

struct ListFilter {
  std::optional<ConversationStatus> status;
  std::string customer;  // customer id, email, phone (claimed ones too), or part of the name
  int limit = 50;        // 1 to 1000
  std::string cursor{};  // from NextCursor: the conversations after that one; "" from the first
  std::string assigned_user_id{};  // only those assigned to this user (a UUID); "" for any
  bool unassigned = false;         // only those with nobody on them (ignored with assigned_user_id)
};

// Conversations, most recent message first (then by id). Throws
// InvalidInput for a bad limit or a malformed cursor.
std::vector<Conversation> List(db::Pool& pool, const std::string& business_id, const ListFilter& filter = {});

// An opaque cursor for ListFilter::cursor: the page after `last`, the last
// conversation of a page. Stable while conversations change: one that gets
// a new message moves to the top and is not listed twice further down.
std::string NextCursor(const Conversation& last);

struct MessageQuery {
  std::size_t last = 0;           // only the last N (0: all)
  bool include_dropped = true;
  bool include_tools = true;      // tool results and tool-calling steps
};

// The conversation's messages in order.
std::vector<StoredMessage> Messages(db::Pool& pool, const std::string& business_id,
                                    const std::string& conversation_id, const MessageQuery& query = {});

struct UserMessageResult {
  StoredMessage message;
  ConversationStatus status = ConversationStatus::kAiActive;  // after the message
  bool first_message = false;  // the conversation had no user message before
};

// Stores a customer's message: a RESOLVED conversation becomes REOPENED.
// The customer (if any) gets a contact recorded (visit count + 1) on the
// first message of the conversation and on a reopen, and last_contact_at =
// `now` otherwise.
UserMessageResult AddUserMessage(db::Pool& pool, const std::string& business_id,
                                 const std::string& conversation_id, const std::string& text, TimePoint now);

struct NewAiMessage {
  // "" lets the database pick the id. A caller that may retry the save (the
  // connection broke, so it cannot tell whether the first one committed)
  // sets one from NewMessageId: saving again with it stores nothing new.
  std::string id;
  std::string content;
  std::string tool_calls_json;  // "" when none
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cost_micros = 0;
  std::int64_t latency_ms = 0;
  std::string model;
  std::string metadata_json = "{}";
};

struct SaveResult {
  std::string message_id;
  bool dropped = false;  // the AI may no longer answer: stored as dropped
  ConversationStatus status = ConversationStatus::kAiActive;  // after saving
};

// A new random message id (a UUID) for NewAiMessage::id.
std::string NewMessageId();

// Stores an assistant message unless the AI may no longer answer, atomically
// (see the file comment). When `escalate_reason` is set and the message is
// kept, the conversation becomes ESCALATED in the same transaction (the
// model called escalate_to_human; its goodbye is still delivered), with
// `handoff` recorded as the reason when it is the first handoff. When a
// message with `message.id` is already stored, stores nothing and returns
// it, with the conversation's status now.
SaveResult SaveAiMessage(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                         const NewAiMessage& message, const std::optional<std::string>& escalate_reason = {},
                         HandoffReason handoff = HandoffReason::kToolOrPolicy);

struct ToolResultRecord {
  std::string tool_call_id;
  std::string tool_name;
  std::string result_json;  // valid JSON
  bool ok = true;
  std::int64_t latency_ms = 0;
};

// Stores the results of one round of tool calls.
void SaveToolResults(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                     const std::vector<ToolResultRecord>& results);

// Marks failed, for the team, the customer messages that a turn stored and
// metered and then never answered: the database went away mid-turn past
// the engine's retries, or omni stopped. Such a message is in a
// conversation the AI answers (AI_ACTIVE or REOPENED), at least
// `older_than_s` seconds old (longer than any turn takes, so that no turn
// in progress is marked), with no AI reply and no team member's message
// after it. It gets metadata {"failed": true}; `omni conversations show`
// displays it. A message refused by the plan was never metered and is left
// alone. Returns how many were marked; marking twice is a no-op.
int MarkUnanswered(db::Pool& pool, const std::string& business_id, int older_than_s);

// Links the conversation to `customer_id` when it has no customer yet.
void AttachCustomer(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                    const std::string& customer_id);

// Operator actions; each returns the conversation after the change and
// notifies. Escalate and HumanReply make it ESCALATED (a first handoff is
// recorded with `handoff`, kOperator for a reply); a human reply also
// assigns it when unassigned: to the user `author_user_id`, or when that is
// "" (the CLI, an API key) to the name `author`.
Conversation Escalate(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                      const std::string& reason, HandoffReason handoff = HandoffReason::kOperator);
Conversation Resolve(db::Pool& pool, const std::string& business_id, const std::string& conversation_id);
Conversation Reopen(db::Pool& pool, const std::string& business_id, const std::string& conversation_id);
// Assigns the conversation to the business's user `user_id`, or unassigns
// it with "" (a legacy name goes either way). Throws InvalidInput for an id
// that is not a UUID, NotFound for a conversation or a user not of this
// business (another business's, or one removed).
Conversation Assign(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                    const std::string& user_id);
// A visitor closes their conversation (VisitorConversation decides whether
// it is theirs, NotFound otherwise): it becomes RESOLVED, judged AI or
// human as any resolution, and closed_at is set, which offers the CSAT
// survey. Closing a closed or resolved one changes nothing.
Conversation CloseByVisitor(db::Pool& pool, const std::string& business_id, const Visitor& visitor,
                            const std::string& conversation_id);

inline constexpr std::size_t kMaxCsatCommentChars = 2000;

// Stores the visitor's satisfaction rating of their conversation, once it
// is resolved or they closed it; rating again replaces it. NotFound as
// CloseByVisitor; InvalidInput for a score outside 1..5 or a comment over
// kMaxCsatCommentChars characters or not UTF-8; Conflict while the
// conversation is still open.
void RateByVisitor(db::Pool& pool, const std::string& business_id, const Visitor& visitor,
                   const std::string& conversation_id, int score, const std::string& comment);

// Stores a team member's message (role HUMAN, metadata {"author"}) and
// moves the customer's last contact to `now`. `author_user_id` is the
// operator user writing ("" for the CLI or an API key).
StoredMessage HumanReply(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                         const std::string& text, const std::string& author, TimePoint now,
                         const std::string& author_user_id = "");

}  // namespace omni::chat
