// Conversations, messages and the handoff state machine. See conversations.hpp.
#include "core/chat/conversations.hpp"
#include "core/chat/conversations_tx.hpp"


#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "core/chat/schema.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/common/utf8.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/db/pqxx.hpp"
#include "core/notify/notify_tx.hpp"
#include "core/webhooks/webhooks_tx.hpp"

namespace omni::chat {
namespace {

using nlohmann::json;

#define OMNI_CHAT_EPOCH_US(col) "(extract(epoch FROM " col ") * 1000000)::int8"

constexpr const char* kStatusNames[] = {"AI_ACTIVE", "ESCALATED", "RESOLVED", "REOPENED"};
constexpr const char* kRoleNames[] = {"USER", "ASSISTANT", "SYSTEM", "HUMAN", "TOOL"};

TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }
std::optional<TimePoint> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return FromMicros(field.as<long long>());
}

void RequireId(const std::string& id) {
  if (!IsUuid(id)) {
    throw InvalidInput("invalid conversation id \"" + id + "\": expected a UUID",
                       "List conversations with `omni conversations list` to see their ids.");
  }
}

MessageRole ParseRole(const std::string& text) {
  if (const auto role = FindRole(text)) return *role;
  throw Error("unknown message role \"" + text + "\" in the database");
}

const std::string kConversationColumns =
    "SELECT c.id::text, c.business_id::text, coalesce(c.customer_id::text, ''), coalesce(cu.name, ''),"
    " coalesce(cu.email, ''), coalesce(cu.phone, ''), c.channel, c.status,"
    " coalesce(nullif(au.name, ''), au.email, c.assigned_to, ''),"
    " coalesce(c.escalation_reason, ''), " OMNI_CHAT_EPOCH_US("c.escalated_at") ", " OMNI_CHAT_EPOCH_US(
        "c.resolved_at") ", coalesce(c.visitor_id, ''), " OMNI_CHAT_EPOCH_US("c.last_message_at") ", " OMNI_CHAT_EPOCH_US(
        "c.created_at") ", coalesce(cu.external_id, ''),"
    " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND NOT m.dropped"
    "   AND (m.role IN ('USER', 'HUMAN') OR (m.role = 'ASSISTANT' AND m.content <> '')))::int,"
    " coalesce(c.assigned_user_id::text, '')"
    " FROM conversations c"
    " LEFT JOIN customers cu ON cu.business_id = c.business_id AND cu.id = c.customer_id"
    " LEFT JOIN users au ON au.business_id = c.business_id AND au.id = c.assigned_user_id ";

Conversation ReadConversation(const pqxx::row& row) {
  Conversation c;
  c.id = row[0].as<std::string>();
  c.business_id = row[1].as<std::string>();
  c.customer_id = row[2].as<std::string>();
  c.customer_name = row[3].as<std::string>();
  c.customer_email = row[4].as<std::string>();
  c.customer_phone = row[5].as<std::string>();
  c.channel = row[6].as<std::string>();
  c.status = ParseStatus(row[7].as<std::string>());
  c.assigned_to = row[8].as<std::string>();
  c.escalation_reason = row[9].as<std::string>();
  c.escalated_at = OptionalTime(row[10]);
  c.resolved_at = OptionalTime(row[11]);
  c.visitor_id = row[12].as<std::string>();
  c.last_message_at = OptionalTime(row[13]);
  c.created_at = FromMicros(row[14].as<long long>());
  c.customer_external_id = row[15].as<std::string>();
  c.message_count = row[16].as<int>();
  c.assigned_user_id = row[17].as<std::string>();
  return c;
}

std::optional<Conversation> Find(pqxx::work& tx, const std::string& business_id, const std::string& id) {
  const auto rows = db::ExecPrepared(tx, "omni_chat_conversation",
                                     kConversationColumns + "WHERE c.business_id = $1 AND c.id = $2", business_id, id);
  if (rows.empty()) return std::nullopt;
  return ReadConversation(rows[0]);
}

Conversation Load(pqxx::work& tx, const std::string& business_id, const std::string& id) {
  if (auto conversation = Find(tx, business_id, id)) return *conversation;
  throw NotFound("conversation " + id + " not found",
                 "List conversations with `omni conversations list` to see their ids.");
}

// Locks the conversation row until the transaction ends: every status
// change and every AI reply of one conversation is serialised on it.
ConversationStatus LockStatus(pqxx::work& tx, const std::string& business_id, const std::string& id,
                              std::string* customer_id = nullptr) {
  const auto rows = tx.exec_params(
      "SELECT status, coalesce(customer_id::text, '') FROM conversations WHERE business_id = $1 AND id = $2 FOR UPDATE",
      business_id, id);
  if (rows.empty()) {
    throw NotFound("conversation " + id + " not found",
                   "List conversations with `omni conversations list` to see their ids.");
  }
  if (customer_id != nullptr) *customer_id = rows[0][1].as<std::string>();
  return ParseStatus(rows[0][0].as<std::string>());
}

struct MessageLock {
  ConversationStatus status = ConversationStatus::kAiActive;
  std::string customer_id;
  bool had_user_message = false;
};

// Locks the conversation row for a new message in one statement: an UPDATE
// takes the same row lock as SELECT ... FOR UPDATE, and it moves
// last_message_at, unless `only_if_ai_may_answer` and a human owns the
// conversation (the message will be stored as dropped). With
// `counts_visitor_message` the same UPDATE records the visitor's message in
// the reporting columns (messages in, first message), as the messages
// trigger would; the message is then stored with `counted` (migration 19).
MessageLock LockForMessage(pqxx::work& tx, const std::string& business_id, const std::string& id,
                           bool only_if_ai_may_answer, bool counts_visitor_message = false) {
  const auto rows = db::ExecPrepared(
      tx, "omni_chat_lock_for_message",
      "UPDATE conversations SET last_message_at = CASE WHEN NOT $3 OR status IN ('AI_ACTIVE', 'REOPENED')"
      " THEN now() ELSE last_message_at END,"
      " messages_in = messages_in + CASE WHEN $4 THEN 1 ELSE 0 END,"
      " first_message_at = CASE WHEN $4 THEN coalesce(first_message_at, now()) ELSE first_message_at END"
      " WHERE business_id = $1 AND id = $2"
      " RETURNING status, coalesce(customer_id::text, ''),"
      " EXISTS (SELECT 1 FROM messages WHERE conversation_id = $2 AND role = 'USER')",
      business_id, id, only_if_ai_may_answer, counts_visitor_message);
  if (rows.empty()) {
    throw NotFound("conversation " + id + " not found",
                   "List conversations with `omni conversations list` to see their ids.");
  }
  return {ParseStatus(rows[0][0].as<std::string>()), rows[0][1].as<std::string>(), rows[0][2].as<bool>()};
}

void Notify(pqxx::work& tx, const std::string& business_id, const std::string& id, json fields) {
  fields["business_id"] = business_id;
  fields["conversation_id"] = id;
  tx.exec_params("SELECT pg_notify($1, $2)", std::string(kNotifyChannel), fields.dump());
}

void SetStatus(pqxx::work& tx, const std::string& business_id, const std::string& id, ConversationStatus from,
               ConversationStatus to, const std::string& reason,
               HandoffReason handoff = HandoffReason::kOperator) {
  if (from == to && reason.empty()) return;
  // The first handoff keeps its time and reason; who resolved it is judged
  // at the moment of resolving, and forgotten when it reopens.
  db::ExecPrepared(
      tx, "omni_chat_set_status",
      "UPDATE conversations SET status = $3,"
      " escalated_at = CASE WHEN $3 = 'ESCALATED' AND status <> 'ESCALATED' THEN now() ELSE escalated_at END,"
      " escalation_reason = CASE WHEN $3 = 'ESCALATED' AND $4 <> '' THEN $4 ELSE escalation_reason END,"
      " resolved_at = CASE WHEN $3 = 'RESOLVED' AND status <> 'RESOLVED' THEN now() ELSE resolved_at END,"
      " handoff_at = CASE WHEN $3 = 'ESCALATED' AND handoff_at IS NULL THEN now() ELSE handoff_at END,"
      " handoff_reason = CASE WHEN $3 = 'ESCALATED' AND handoff_at IS NULL THEN $5 ELSE handoff_reason END,"
      " resolved_by = CASE WHEN $3 <> 'RESOLVED' THEN NULL WHEN status = 'RESOLVED' THEN resolved_by"
      "   WHEN handoff_at IS NULL AND human_messages = 0 THEN 'AI' ELSE 'HUMAN' END"
      " WHERE business_id = $1 AND id = $2",
      business_id, id, std::string(StatusName(to)), reason, std::string(HandoffReasonName(handoff)));
  if (from != to) Notify(tx, business_id, id, {{"status", StatusName(to)}});
  if (to == ConversationStatus::kEscalated && from != to) {
    notify::EnqueueHandoffAlert(tx, business_id, id, reason);
    webhooks::Publish(tx, business_id, "conversation.escalated",
                      {{"conversation_id", id}, {"reason", reason}, {"handoff", Lower(HandoffReasonName(handoff))}});
  }
  if (to == ConversationStatus::kResolved && from != to) {
    webhooks::Publish(tx, business_id, "conversation.resolved", {{"conversation_id", id}});
  }
}

struct Insert {
  std::string id;  // "" : a new one
  MessageRole role = MessageRole::kUser;
  std::string content;
  std::string tool_calls_json;
  std::string tool_call_id;
  std::string tool_name;
  std::string tool_result_json;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cost_micros = 0;
  std::int64_t latency_ms = 0;
  std::string model;
  bool dropped = false;
  std::string metadata_json = "{}";
  // The writer recorded it in the conversation's reporting columns itself;
  // the messages trigger skips it (migration 19).
  bool counted = false;
};

// The values of a message row from parameters $1 to $14 (see
// ExecWithMessage), with `id` the parameter of the message's id ("" for a
// new one) and `dropped` an SQL boolean expression.
std::string MessageValues(const std::string& id, const std::string& dropped) {
  return "coalesce(nullif(" + id + ", '')::uuid, gen_random_uuid()),"
         " $1, $2, $3, $4, nullif($5, '')::jsonb, nullif($6, ''), nullif($7, ''), nullif($8, '')::jsonb,"
         " nullif($9::int, 0), nullif($10::int, 0), nullif($11::int8, 0), nullif($12::int, 0), nullif($13, ''), " +
         dropped + ", $14::jsonb";
}
#define OMNI_CHAT_MESSAGE_COLUMNS \
  "INSERT INTO messages (id, business_id, conversation_id, role, content, tool_calls, tool_call_id, tool_name," \
  " tool_result, prompt_tokens, completion_tokens, cost_micros, latency_ms, model, dropped, metadata"
// Announces the inserted message `m` on the channel in $15.
constexpr const char* kNotifyMessage =
    "pg_notify($15, json_build_object('business_id', $1::text, 'conversation_id', $2::text,"
    " 'message_id', m.id::text, 'role', $3::text)::text)";

// Runs `sql` with the message's parameters: $1 to $14 for MessageValues,
// $15 the notification channel, then `more`.
template <class... More>
pqxx::result ExecWithMessage(pqxx::transaction_base& tx, const std::string& name, const std::string& sql,
                             const std::string& business_id, const std::string& id, const Insert& in,
                             More&&... more) {
  return db::ExecPrepared(tx, name, sql, business_id, id, std::string(RoleName(in.role)), in.content,
                          in.tool_calls_json, in.tool_call_id, in.tool_name, in.tool_result_json, in.prompt_tokens,
                          in.completion_tokens, in.cost_micros, in.latency_ms, in.model,
                          in.metadata_json.empty() ? std::string("{}") : in.metadata_json,
                          std::string(kNotifyChannel), std::forward<More>(more)...);
}

// The message as stored: `in` with the id, seq and creation time of `row`.
StoredMessage Stored(const pqxx::row& row, const Insert& in) {
  StoredMessage message;
  message.id = row[0].as<std::string>();
  message.seq = row[1].as<long long>();
  message.created_at = FromMicros(row[2].as<long long>());
  message.role = in.role;
  message.content = in.content;
  message.tool_calls_json = in.tool_calls_json;
  message.tool_call_id = in.tool_call_id;
  message.tool_name = in.tool_name;
  message.tool_result_json = in.tool_result_json;
  message.prompt_tokens = in.prompt_tokens;
  message.completion_tokens = in.completion_tokens;
  message.cost_micros = in.cost_micros;
  message.latency_ms = in.latency_ms;
  message.model = in.model;
  message.dropped = in.dropped;
  message.metadata_json = in.metadata_json;
  return message;
}

// The message.created webhooks of the message in WITH item `m`, when it
// is kept (`where`), as a WITH item of the statement storing it: no round
// trip added, and a business without a subscribed endpoint pays one index
// probe. Parameters as in ExecWithMessage.
std::string MessageWebhooks(const std::string& where) {
  return ", w AS (" +
         webhooks::PublishSql("message.created", "$1::uuid",
                              "jsonb_build_object('conversation_id', $2::text, 'message_id', m.id::text,"
                              " 'role', lower($3::text), 'content', $4::text, 'created_at',"
                              " to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
                              "now()", "m", where) +
         ")";
}

// Inserts a message and, unless it is dropped, announces it and publishes
// its webhooks, in one round trip. The caller holds the conversation's lock (LockForMessage).
StoredMessage InsertMessage(pqxx::work& tx, const std::string& business_id, const std::string& id, const Insert& in) {
  const std::string sql = "WITH m AS (" OMNI_CHAT_MESSAGE_COLUMNS ", counted) VALUES (" + MessageValues("$17", "$16") +
                          ", $18) RETURNING id, seq, created_at)" +
                          (in.dropped ? std::string() : MessageWebhooks("$3::text IN ('USER', 'ASSISTANT', 'HUMAN')")) +
                          " SELECT m.id::text, m.seq, " +
                          OMNI_CHAT_EPOCH_US("m.created_at") + ", " +
                          (in.dropped ? std::string("$15::text") : kNotifyMessage) + " FROM m";
  const auto rows = ExecWithMessage(tx, in.dropped ? "omni_chat_insert_dropped" : "omni_chat_insert", sql,
                                    business_id, id, in, in.dropped, in.id, in.counted);
  return Stored(rows.at(0), in);
}

// The AI message `message_id` of the conversation as already stored, with
// the conversation's status; nullopt when there is none (or no id).
std::optional<SaveResult> SavedAiMessage(pqxx::transaction_base& tx, const std::string& business_id,
                                         const std::string& id, const std::string& message_id) {
  if (message_id.empty()) return std::nullopt;
  const auto rows = db::ExecPrepared(
      tx, "omni_chat_saved_ai",
      "SELECT m.dropped, c.status FROM messages m JOIN conversations c ON c.business_id = m.business_id"
      " AND c.id = m.conversation_id WHERE m.business_id = $1 AND m.conversation_id = $2 AND m.id = $3::uuid"
      " AND m.role = 'ASSISTANT'",
      business_id, id, message_id);
  if (rows.empty()) return std::nullopt;
  return SaveResult{message_id, rows[0][0].as<bool>(), ParseStatus(rows[0][1].as<std::string>())};
}

// Stores an AI message in one statement, which is atomic on its own: it
// locks the conversation row (the UPDATE), stores the message as dropped
// unless the AI may still answer, and announces it when kept. One round
// trip instead of a transaction's four, on every model call. A message
// whose id is already stored (a retried save) is left as it is. The same
// UPDATE records the message in the reporting columns as the messages
// trigger would (a reply the visitor reads, the first response, tokens and
// cost), unless it is already stored; the message is stored `counted`
// (migration 19).
SaveResult SaveAiMessageAtOnce(pqxx::transaction_base& tx, const std::string& business_id, const std::string& id,
                               const Insert& in) {
  const std::string sql =
      "WITH c AS (UPDATE conversations SET last_message_at = CASE WHEN status IN ('AI_ACTIVE', 'REOPENED')"
      " THEN now() ELSE last_message_at END,"
      " messages_out = messages_out + (n.is_new AND status IN ('AI_ACTIVE', 'REOPENED') AND $4 <> '')::int,"
      " first_response_at = CASE WHEN n.is_new AND status IN ('AI_ACTIVE', 'REOPENED') AND $4 <> ''"
      "   AND first_message_at IS NOT NULL THEN coalesce(first_response_at, now()) ELSE first_response_at END,"
      " prompt_tokens = prompt_tokens + CASE WHEN n.is_new THEN $9::int ELSE 0 END,"
      " completion_tokens = completion_tokens + CASE WHEN n.is_new THEN $10::int ELSE 0 END,"
      " cost_micros = cost_micros + CASE WHEN n.is_new THEN $11::int8 ELSE 0 END"
      " FROM (SELECT NOT EXISTS (SELECT 1 FROM messages WHERE id = nullif($16, '')::uuid) AS is_new) n"
      " WHERE business_id = $1 AND id = $2"
      " RETURNING status, status IN ('AI_ACTIVE', 'REOPENED') AS ai_may_answer),"
      " m AS (" OMNI_CHAT_MESSAGE_COLUMNS ", counted) SELECT " + MessageValues("$16", "NOT c.ai_may_answer") +
      ", true FROM c ON CONFLICT (id) DO NOTHING RETURNING id, seq, created_at, dropped)" +
      MessageWebhooks("NOT m.dropped") +
      " SELECT m.id::text, m.seq, " OMNI_CHAT_EPOCH_US("m.created_at") ", m.dropped, c.status,"
      " CASE WHEN m.dropped THEN NULL ELSE " + std::string(kNotifyMessage) + " END FROM m, c";
  const auto rows = ExecWithMessage(tx, "omni_chat_save_ai", sql, business_id, id, in, in.id);
  if (rows.empty()) {
    if (auto saved = SavedAiMessage(tx, business_id, id, in.id)) return *saved;
    throw NotFound("conversation " + id + " not found",
                   "List conversations with `omni conversations list` to see their ids.");
  }
  SaveResult result;
  result.message_id = rows[0][0].as<std::string>();
  result.dropped = rows[0][3].as<bool>();
  result.status = ParseStatus(rows[0][4].as<std::string>());
  return result;
}

Conversation Transition(db::Pool& pool, const std::string& business_id, const std::string& id, HandoffEvent event,
                        const std::string& reason, HandoffReason handoff = HandoffReason::kOperator) {
  RequireId(id);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto from = LockStatus(tx, business_id, id);
    SetStatus(tx, business_id, id, from, NextStatus(from, event), event == HandoffEvent::kEscalate ? reason : "",
              handoff);
    return Load(tx, business_id, id);
  });
}

}  // namespace

const char* StatusName(ConversationStatus status) { return kStatusNames[static_cast<int>(status)]; }

ConversationStatus ParseStatus(const std::string& text) {
  std::string upper = text;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  std::replace(upper.begin(), upper.end(), '-', '_');
  for (int i = 0; i < 4; ++i) {
    if (upper == kStatusNames[i]) return static_cast<ConversationStatus>(i);
  }
  throw InvalidInput("unknown conversation status \"" + text + "\"",
                     "Use one of AI_ACTIVE, ESCALATED, RESOLVED or REOPENED.");
}

ConversationStatus NextStatus(ConversationStatus from, HandoffEvent event) {
  using S = ConversationStatus;
  switch (event) {
    case HandoffEvent::kEscalate:
    case HandoffEvent::kHumanReply:
      return S::kEscalated;
    case HandoffEvent::kResolve:
      return S::kResolved;
    case HandoffEvent::kReopen:
      if (from == S::kResolved || from == S::kReopened) return S::kReopened;
      throw Conflict(std::string("conversation is ") + StatusName(from) + ", not RESOLVED: only a resolved "
                     "conversation can be reopened");
    case HandoffEvent::kCustomerMessage:
      return from == S::kResolved ? S::kReopened : from;
  }
  return from;
}

const char* HandoffReasonName(HandoffReason reason) {
  constexpr const char* kNames[] = {"HUMAN_REQUESTED", "MODEL_FAILURE", "PLAN_LIMIT", "TOOL_OR_POLICY", "OPERATOR"};
  return kNames[static_cast<int>(reason)];
}

bool AiMayAnswer(ConversationStatus status) {
  return status == ConversationStatus::kAiActive || status == ConversationStatus::kReopened;
}

const char* ChannelName(Channel channel) {
  constexpr const char* kNames[] = {"WEBCHAT", "CLI", "API", "SMS", "EMAIL", "PHONE"};
  return kNames[static_cast<int>(channel)];
}

const char* RoleName(MessageRole role) { return kRoleNames[static_cast<int>(role)]; }

std::optional<MessageRole> FindRole(const std::string& name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kRoleNames[i]) return static_cast<MessageRole>(i);
  }
  return std::nullopt;
}

Conversation Open(pqxx::work& tx, const std::string& business_id, const OpenRequest& request) {
  if (!request.conversation_id.empty()) RequireId(request.conversation_id);
  std::string id = request.conversation_id;
  if (id.empty() && request.latest_of_customer && !request.customer_id.empty()) {
    const auto rows = db::ExecPrepared(
        tx, "omni_chat_latest_of_customer",
        "SELECT id::text FROM conversations WHERE business_id = $1 AND customer_id = $2"
        " ORDER BY coalesce(last_message_at, created_at) DESC, created_at DESC LIMIT 1",
        business_id, request.customer_id);
    if (!rows.empty()) id = rows[0][0].as<std::string>();
  }
  if (id.empty()) {
    id = db::ExecPrepared(tx, "omni_chat_new_conversation",
                          "INSERT INTO conversations (business_id, customer_id, channel, visitor_id)"
                          " VALUES ($1, nullif($2, '')::uuid, $3, nullif($4, '')) RETURNING id::text",
                          business_id, request.customer_id, std::string(ChannelName(request.channel)),
                          request.visitor_id)
             .at(0)[0]
             .as<std::string>();
    webhooks::Publish(tx, business_id, "conversation.created",
                      {{"conversation_id", id},
                       {"channel", Lower(ChannelName(request.channel))},
                       {"customer_id", request.customer_id}});
    return Load(tx, business_id, id);
  }
  auto conversation = Load(tx, business_id, id);
  if (request.customer_id.empty() || !conversation.customer_id.empty()) return conversation;
  tx.exec_params("UPDATE conversations SET customer_id = $3 WHERE business_id = $1 AND id = $2 AND customer_id IS NULL",
                 business_id, id, request.customer_id);
  return Load(tx, business_id, id);
}

Conversation Open(db::Pool& pool, const std::string& business_id, const OpenRequest& request) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return Open(tx, business_id, request); });
}

Conversation Get(db::Pool& pool, const std::string& business_id, const std::string& conversation_id) {
  RequireId(conversation_id);
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return Load(tx, business_id, conversation_id); });
}

bool VisitorMayContinue(const Visitor& visitor, const Conversation& conversation) {
  const bool theirs = !conversation.customer_id.empty() && conversation.customer_id == visitor.customer_id;
  if (visitor.verified && theirs) return true;
  const bool visitors = !conversation.visitor_id.empty() && conversation.visitor_id == visitor.visitor_id;
  if (!visitors) return false;
  return conversation.customer_id.empty() || theirs || conversation.customer_external_id.empty();
}

Conversation VisitorConversation(pqxx::work& tx, const std::string& business_id, const Visitor& visitor,
                                 const std::string& conversation_id) {
  auto conversation = IsUuid(conversation_id) ? Find(tx, business_id, conversation_id) : std::nullopt;
  if (!conversation || !VisitorMayContinue(visitor, *conversation)) {
    throw NotFound("conversation " + conversation_id + " not found",
                   "Use the conversation_id this visitor's session or messages returned.");
  }
  return *conversation;
}

Conversation VisitorConversation(db::Pool& pool, const std::string& business_id, const Visitor& visitor,
                                 const std::string& conversation_id) {
  return db::WithTransaction(
      pool, [&](pqxx::work& tx) { return VisitorConversation(tx, business_id, visitor, conversation_id); });
}

std::string LatestOpenWebchatConversation(pqxx::work& tx, const std::string& business_id, const std::string& visitor_id,
                                          const std::string& verified_customer_id) {
  const auto rows = tx.exec_params(
      "SELECT c.id::text FROM conversations c LEFT JOIN customers k"
      "   ON k.business_id = c.business_id AND k.id = c.customer_id"
      " WHERE c.business_id = $1 AND c.channel = $5 AND c.status <> $4"
      " AND ((c.visitor_id = $2 AND (k.external_id IS NULL OR k.id = nullif($3, '')::uuid))"
      "      OR c.customer_id = nullif($3, '')::uuid)"
      " ORDER BY coalesce(c.last_message_at, c.created_at) DESC LIMIT 1",
      business_id, visitor_id, verified_customer_id, std::string(StatusName(ConversationStatus::kResolved)),
      std::string(ChannelName(Channel::kWebchat)));
  return rows.empty() ? std::string() : rows[0][0].as<std::string>();
}

namespace {

// The sort key (microseconds) and id of a cursor's conversation; nullopt
// for "" (the first page).
std::optional<std::pair<long long, std::string>> ParseCursor(const std::string& cursor) {
  if (cursor.empty()) return std::nullopt;
  const auto dot = cursor.find('.');
  const std::string micros = cursor.substr(0, dot);
  const bool digits = !micros.empty() && micros.size() <= 18 &&
                      micros.find_first_not_of("0123456789") == std::string::npos;
  if (dot == std::string::npos || !digits || !IsUuid(cursor.substr(dot + 1))) {
    throw InvalidInput("invalid cursor \"" + cursor + "\"", "Pass the next_cursor of the previous page as it is.");
  }
  return std::make_pair(std::stoll(micros), cursor.substr(dot + 1));
}

}  // namespace

std::string NextCursor(const Conversation& last) {
  return std::to_string(last.last_message_at.value_or(last.created_at).time_since_epoch().count()) + "." + last.id;
}

std::vector<Conversation> List(db::Pool& pool, const std::string& business_id, const ListFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) {
    throw InvalidInput("invalid limit " + std::to_string(filter.limit) + ": expected 1 to 1000");
  }
  const auto after = ParseCursor(filter.cursor);
  std::string pattern;
  for (char c : filter.customer) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const customers::PhoneKeys phone = customers::PhoneKeysOf(tx, business_id, filter.customer);
    const auto rows = tx.exec_params(
        kConversationColumns +
            "WHERE c.business_id = $1 AND ($2 = '' OR c.status = $2)"
            " AND ($3 = '' OR c.customer_id::text = lower($3) OR lower(cu.email) = lower($3)"
            "      OR lower(cu.claimed_email) = lower($3)"
            "      OR cu.phone_normalized IN (nullif($8, ''), nullif($9, ''))"
            "      OR regexp_replace(cu.claimed_phone, '[^0-9]', '', 'g') IN (nullif($8, ''), nullif($9, ''))"
            "      OR cu.name ILIKE '%' || $4 || '%')"
            " AND ($6::int8 IS NULL OR coalesce(c.last_message_at, c.created_at)"
            "      < 'epoch'::timestamptz + $6::int8 * interval '1 microsecond'"
            "      OR (coalesce(c.last_message_at, c.created_at) = 'epoch'::timestamptz + $6::int8 * interval '1 microsecond'"
            "          AND c.id > $7::uuid))"
            " AND ($10 = 'all' OR ($10 = 'none' AND c.assigned_user_id IS NULL AND c.assigned_to IS NULL)"
            "      OR ($10 = 'user' AND c.assigned_user_id = $11::uuid))"
            " ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id LIMIT $5",
        business_id, filter.status ? std::string(StatusName(*filter.status)) : std::string(), filter.customer,
        pattern, filter.limit, after ? std::optional<long long>(after->first) : std::nullopt,
        after ? std::optional<std::string>(after->second) : std::nullopt, phone.e164_digits, phone.typed_digits,
        std::string(filter.assigned_user_id.empty() ? (filter.unassigned ? "none" : "all") : "user"),
        filter.assigned_user_id.empty() ? std::nullopt : std::optional<std::string>(filter.assigned_user_id));
    std::vector<Conversation> list;
    for (const auto& row : rows) list.push_back(ReadConversation(row));
    return list;
  });
}

std::vector<StoredMessage> Messages(pqxx::work& tx, const std::string& business_id,
                                    const std::string& conversation_id, const MessageQuery& query) {
  RequireId(conversation_id);
  const auto rows = db::ExecPrepared(
      tx, "omni_chat_messages",
      "SELECT * FROM (SELECT id::text, seq, role, content, coalesce(tool_calls::text, ''),"
      " coalesce(tool_call_id, ''), coalesce(tool_name, ''), coalesce(tool_result::text, ''),"
      " coalesce(prompt_tokens, 0), coalesce(completion_tokens, 0), coalesce(cost_micros, 0),"
      " coalesce(latency_ms, 0), coalesce(model, ''), dropped, metadata::text, " OMNI_CHAT_EPOCH_US("created_at")
      " FROM messages WHERE business_id = $1 AND conversation_id = $2 AND ($3 OR NOT dropped)"
      " AND ($4 OR (role <> 'TOOL' AND NOT (role = 'ASSISTANT' AND tool_calls IS NOT NULL AND content = '')))"
      " ORDER BY seq DESC LIMIT $5) m ORDER BY seq",
      business_id, conversation_id, query.include_dropped, query.include_tools,
      static_cast<long long>(query.last == 0 ? 1000000 : query.last));
  // An empty list asks whether the conversation exists at all.
  if (rows.empty() &&
      tx.exec_params("SELECT 1 FROM conversations WHERE business_id = $1 AND id = $2", business_id, conversation_id)
          .empty()) {
    throw NotFound("conversation " + conversation_id + " not found",
                   "List conversations with `omni conversations list` to see their ids.");
  }
  std::vector<StoredMessage> list;
  for (const auto& row : rows) {
    StoredMessage m;
    m.id = row[0].as<std::string>();
    m.seq = row[1].as<long long>();
    m.role = ParseRole(row[2].as<std::string>());
    m.content = row[3].as<std::string>();
    m.tool_calls_json = row[4].as<std::string>();
    m.tool_call_id = row[5].as<std::string>();
    m.tool_name = row[6].as<std::string>();
    m.tool_result_json = row[7].as<std::string>();
    m.prompt_tokens = row[8].as<long long>();
    m.completion_tokens = row[9].as<long long>();
    m.cost_micros = row[10].as<long long>();
    m.latency_ms = row[11].as<long long>();
    m.model = row[12].as<std::string>();
    m.dropped = row[13].as<bool>();
    m.metadata_json = row[14].as<std::string>();
    m.created_at = FromMicros(row[15].as<long long>());
    list.push_back(std::move(m));
  }
  return list;
}

std::vector<StoredMessage> Messages(db::Pool& pool, const std::string& business_id,
                                    const std::string& conversation_id, const MessageQuery& query) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return Messages(tx, business_id, conversation_id, query); });
}

UserMessageResult AddUserMessage(pqxx::work& tx, const std::string& business_id, const std::string& conversation_id,
                                 const std::string& text, TimePoint now) {
  RequireId(conversation_id);
  const auto lock = LockForMessage(tx, business_id, conversation_id, false, /*counts_visitor_message=*/true);
  const auto from = lock.status;
  const auto& customer_id = lock.customer_id;
  const auto to = NextStatus(from, HandoffEvent::kCustomerMessage);
  UserMessageResult result;
  result.first_message = !lock.had_user_message;
  Insert in;
  in.role = MessageRole::kUser;
  in.content = text;
  in.counted = true;
  result.message = InsertMessage(tx, business_id, conversation_id, in);
  SetStatus(tx, business_id, conversation_id, from, to, "");
  result.status = to;
  if (!customer_id.empty()) {
    // A visit is a conversation (or its reopening); later messages only
    // move the last contact.
    if (result.first_message || from != to) {
      customers::RecordContact(tx, business_id, customer_id, now);
    } else {
      customers::TouchLastContact(tx, business_id, customer_id, now);
    }
  }
  return result;
}

UserMessageResult AddUserMessage(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                                 const std::string& text, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return AddUserMessage(tx, business_id, conversation_id, text, now); });
}

SaveResult SaveAiMessage(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                         const NewAiMessage& message, const std::optional<std::string>& escalate_reason,
                         HandoffReason handoff) {
  RequireId(conversation_id);
  Insert in;
  in.id = message.id;
  in.role = MessageRole::kAssistant;
  in.content = message.content;
  in.tool_calls_json = message.tool_calls_json;
  in.prompt_tokens = message.prompt_tokens;
  in.completion_tokens = message.completion_tokens;
  in.cost_micros = message.cost_micros;
  in.latency_ms = message.latency_ms;
  in.model = message.model;
  in.metadata_json = message.metadata_json;
  if (!escalate_reason) {
    return db::WithConnection(pool, [&](pqxx::nontransaction& tx) {
      return SaveAiMessageAtOnce(tx, business_id, conversation_id, in);
    });
  }
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto from = LockForMessage(tx, business_id, conversation_id, true).status;
    if (auto saved = SavedAiMessage(tx, business_id, conversation_id, in.id)) return *saved;
    SaveResult result;
    in.dropped = !AiMayAnswer(from);
    result.message_id = InsertMessage(tx, business_id, conversation_id, in).id;
    result.dropped = in.dropped;
    result.status = from;
    if (!in.dropped && escalate_reason) {
      result.status = NextStatus(from, HandoffEvent::kEscalate);
      SetStatus(tx, business_id, conversation_id, from, result.status, *escalate_reason, handoff);
    }
    return result;
  });
}

void SaveToolResults(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                     const std::vector<ToolResultRecord>& results) {
  RequireId(conversation_id);
  if (results.empty()) return;
  json rows = json::array();
  for (const auto& result : results) {
    rows.push_back({{"tool_call_id", result.tool_call_id},
                    {"tool_name", result.tool_name},
                    {"result", json::parse(result.result_json)},
                    {"latency_ms", result.latency_ms},
                    {"metadata", {{"ok", result.ok}}}});
  }
  // One statement, in the calls' order. Tool results are internal: no
  // notification, no last_message_at.
  db::WithConnection(pool, [&](pqxx::nontransaction& tx) {
    db::ExecPrepared(
        tx, "omni_chat_insert_tool_results",
        "INSERT INTO messages (business_id, conversation_id, role, tool_call_id, tool_name, tool_result,"
        " latency_ms, metadata)"
        " SELECT $1, $2, 'TOOL', r.tool_call_id, r.tool_name, r.result, r.latency_ms, r.metadata"
        " FROM ROWS FROM (jsonb_to_recordset($3::jsonb) AS (tool_call_id text, tool_name text, result jsonb,"
        " latency_ms int, metadata jsonb)) WITH ORDINALITY AS r(tool_call_id, tool_name, result, latency_ms,"
        " metadata, n)"
        " ORDER BY r.n",
        business_id, conversation_id, rows.dump());
  });
}

std::string NewMessageId() {
  thread_local std::random_device random;
  std::array<std::uint32_t, 4> words{random(), random(), random(), random()};
  words[1] = (words[1] & 0xFFFF0FFFu) | 0x00004000u;  // version 4: random
  words[2] = (words[2] & 0x3FFFFFFFu) | 0x80000000u;  // the RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%04x%08x", words[0], words[1] >> 16, words[1] & 0xFFFFu,
                words[2] >> 16, words[2] & 0xFFFFu, words[3]);
  return text;
}

int MarkUnanswered(db::Pool& pool, const std::string& business_id, int older_than_s) {
  // A turn meters its message in the transaction that stores it, under the
  // message's id: metered means the turn set out to answer it. The week
  // bounds the scan to recent messages; the sweep runs far more often.
  return db::WithConnection(pool, [&](pqxx::nontransaction& tx) {
    return static_cast<int>(
        tx.exec_params(
              "UPDATE messages m SET metadata = m.metadata || '{\"failed\": true}'::jsonb"
              " FROM conversations c"
              " WHERE m.business_id = $1 AND c.business_id = $1 AND c.id = m.conversation_id"
              " AND c.status IN ('AI_ACTIVE', 'REOPENED') AND m.role = 'USER' AND NOT (m.metadata ? 'failed')"
              " AND m.created_at <= now() - make_interval(secs => $2)"
              " AND m.created_at > now() - interval '7 days'"
              " AND EXISTS (SELECT 1 FROM usage_events e WHERE e.business_id = $1 AND e.idempotency_key = m.id::text)"
              " AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.business_id = $1"
              "   AND r.conversation_id = m.conversation_id AND r.seq > m.seq AND NOT r.dropped"
              "   AND (r.role = 'HUMAN' OR (r.role = 'ASSISTANT' AND r.tool_calls IS NULL)))",
              business_id, std::max(0, older_than_s))
            .affected_rows());
  });
}

void AttachCustomer(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                    const std::string& customer_id) {
  RequireId(conversation_id);
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params("UPDATE conversations SET customer_id = $3 WHERE business_id = $1 AND id = $2 AND customer_id IS NULL",
                   business_id, conversation_id, customer_id);
  });
}

Conversation Escalate(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                      const std::string& reason, HandoffReason handoff) {
  return Transition(pool, business_id, conversation_id, HandoffEvent::kEscalate, reason, handoff);
}

void Escalate(pqxx::work& tx, const std::string& business_id, const std::string& conversation_id,
              const std::string& reason, HandoffReason handoff) {
  RequireId(conversation_id);
  const auto from = LockStatus(tx, business_id, conversation_id);
  SetStatus(tx, business_id, conversation_id, from, NextStatus(from, HandoffEvent::kEscalate), reason, handoff);
}

Conversation Resolve(db::Pool& pool, const std::string& business_id, const std::string& conversation_id) {
  return Transition(pool, business_id, conversation_id, HandoffEvent::kResolve, "");
}

Conversation Reopen(db::Pool& pool, const std::string& business_id, const std::string& conversation_id) {
  return Transition(pool, business_id, conversation_id, HandoffEvent::kReopen, "");
}

Conversation Assign(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                    const std::string& user_id) {
  RequireId(conversation_id);
  if (!user_id.empty() && !IsUuid(user_id)) {
    throw InvalidInput("invalid user id \"" + user_id + "\": expected a UUID", "List the team with `omni users list`.");
  }
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    LockStatus(tx, business_id, conversation_id);
    if (!user_id.empty()) {
      // FOR KEY SHARE holds the user until commit: a removal waits, then
      // unassigns (ON DELETE SET NULL), so no conversation keeps a gone user.
      const auto user = tx.exec_params(
          "SELECT coalesce(nullif(name, ''), email) FROM users WHERE business_id = $1 AND id = $2 FOR KEY SHARE",
          business_id, user_id);
      if (user.empty()) {
        throw NotFound("no team member \"" + user_id + "\" in this business",
                       "They may have been removed; the team page or `omni users list` shows who is on the team.");
      }
    }
    tx.exec_params(
        "UPDATE conversations SET assigned_user_id = nullif($3, '')::uuid, assigned_to = NULL"
        " WHERE business_id = $1 AND id = $2",
        business_id, conversation_id, user_id);
    auto conversation = Load(tx, business_id, conversation_id);
    Notify(tx, business_id, conversation_id, {{"assigned_to", conversation.assigned_to}});
    return conversation;
  });
}

void NotifyTeammateRemoved(pqxx::work& tx, const std::string& business_id, const std::string& user_id) {
  tx.exec_params("SELECT pg_notify($1, $2)", std::string(kNotifyChannel),
                 json{{"business_id", business_id}, {"removed_user_id", user_id}}.dump());
}

StoredMessage HumanReply(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
                         const std::string& text, const std::string& author, TimePoint now,
                         const std::string& author_user_id) {
  RequireId(conversation_id);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw InvalidInput("reply: the message is empty");
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto lock = LockForMessage(tx, business_id, conversation_id, false);
    const auto from = lock.status;
    // The team writing to the customer is a contact, not a new visit.
    if (!lock.customer_id.empty()) customers::TouchLastContact(tx, business_id, lock.customer_id, now);
    Insert in;
    in.role = MessageRole::kHuman;
    in.content = text;
    in.metadata_json = json{{"author", author}}.dump();
    auto message = InsertMessage(tx, business_id, conversation_id, in);
    SetStatus(tx, business_id, conversation_id, from, NextStatus(from, HandoffEvent::kHumanReply), "");
    if (!author_user_id.empty()) {
      tx.exec_params(
          "UPDATE conversations SET assigned_user_id = $3::uuid WHERE business_id = $1 AND id = $2"
          " AND assigned_to IS NULL AND assigned_user_id IS NULL",
          business_id, conversation_id, author_user_id);
    } else if (!author.empty()) {
      tx.exec_params(
          "UPDATE conversations SET assigned_to = $3 WHERE business_id = $1 AND id = $2"
          " AND assigned_to IS NULL AND assigned_user_id IS NULL",
          business_id, conversation_id, author);
    }
    return message;
  });
}

Conversation CloseByVisitor(db::Pool& pool, const std::string& business_id, const Visitor& visitor,
                            const std::string& conversation_id) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    VisitorConversation(tx, business_id, visitor, conversation_id);
    const auto from = LockStatus(tx, business_id, conversation_id);
    if (from != ConversationStatus::kResolved) {
      SetStatus(tx, business_id, conversation_id, from, NextStatus(from, HandoffEvent::kResolve), "");
    }
    tx.exec_params(
        "UPDATE conversations SET closed_at = coalesce(closed_at, now()) WHERE business_id = $1 AND id = $2",
        business_id, conversation_id);
    return Load(tx, business_id, conversation_id);
  });
}

void RateByVisitor(db::Pool& pool, const std::string& business_id, const Visitor& visitor,
                   const std::string& conversation_id, int score, const std::string& comment) {
  if (score < 1 || score > 5) {
    throw InvalidInput("invalid score " + std::to_string(score) + ": expected 1 to 5");
  }
  RejectNul("comment", comment);
  if (!IsValidUtf8(comment)) throw InvalidInput("comment: it is not valid UTF-8");
  if (CountChars(comment) > kMaxCsatCommentChars) {
    throw InvalidInput("comment: longer than " + std::to_string(kMaxCsatCommentChars) + " characters");
  }
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto conversation = VisitorConversation(tx, business_id, visitor, conversation_id);
    const bool closed = !tx.exec_params("SELECT 1 FROM conversations WHERE business_id = $1 AND id = $2"
                                        " AND (status = 'RESOLVED' OR closed_at IS NOT NULL)",
                                        business_id, conversation.id)
                             .empty();
    if (!closed) {
      throw Conflict("conversation " + conversation.id + " is still open: it can be rated once resolved or closed");
    }
    tx.exec_params(
        "INSERT INTO csat_ratings (business_id, conversation_id, score, comment) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (conversation_id) DO UPDATE SET score = EXCLUDED.score, comment = EXCLUDED.comment",
        business_id, conversation.id, score, comment);
    tx.exec_params("UPDATE conversations SET csat_score = $3 WHERE business_id = $1 AND id = $2", business_id,
                   conversation.id, score);
    webhooks::Publish(tx, business_id, "csat.submitted",
                      {{"conversation_id", conversation.id}, {"score", score}, {"comment", comment}});
  });
}

}  // namespace omni::chat
