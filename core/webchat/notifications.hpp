// Live conversation changes for open chat streams and operator inboxes,
// across processes: one dedicated PostgreSQL connection per process LISTENs
// on the channel that core/chat/conversations.hpp and core/chat/notes.hpp
// notify (chat::kNotifyChannel), on a thread of its own (never a pool
// connection), and fans each notification out to the subscribers of that
// conversation, and of that business, in this process. A lost connection
// is re-established with backoff; subscribers then get a kResync notice,
// since notifications sent meanwhile are lost, and should re-read what
// they show from the database.
// Thread-safe: Subscribe and Subscription's destructor may be called from
// any thread; callbacks run on the listener thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace omni::db {
class Pool;
}

namespace omni::webchat {

struct ConversationNotice {
  // kTeammateRemoved names no conversation: the user's were unassigned.
  enum class Kind { kMessage, kStatus, kAssign, kNote, kTeammateRemoved, kResync };
  Kind kind = Kind::kMessage;
  std::string business_id;
  std::string conversation_id;
  std::string message_id;  // kMessage
  std::string role;        // kMessage: "USER", "ASSISTANT", "HUMAN", "TOOL", ...
  std::string status;      // kStatus: "AI_ACTIVE", "ESCALATED", ...
  std::string note_id;     // kNote
  std::string user_id;     // kTeammateRemoved: the team member removed
};

// Parses a chat::kNotifyChannel payload: a message, a status change, an
// assignment ("assigned_to"), a note, or a team member's removal
// ("removed_user_id", no conversation); nullopt for a malformed one.
std::optional<ConversationNotice> ParseNotice(const std::string& payload);

// What a visitor's open event stream does about a notice.
struct VisitorUpdate {
  enum class Kind {
    kMessages,  // re-read the messages the visitor sees: one was added, or notices were lost (kResync)
    kStatus,    // the conversation's status changed to `status`
  };
  Kind kind = Kind::kMessages;
  std::string status;  // kStatus
};

// The update a notice makes for a visitor; nullopt for a message the
// visitor never sees (webchat::VisibleRoleName: a tool step, a system
// note), an assignment, a private note or a team member's removal.
std::optional<VisitorUpdate> UpdateForVisitor(const ConversationNotice& notice);

// What a notice means to an operator's inbox (GET /v1/console/events):
// "visitor_message", "ai_message", "human_message" (a team member's reply),
// "handoff" (now ESCALATED), "resolve", "reopen", "ai_active", "assign",
// "note"; nullptr for what an inbox never shows (a tool step, a system
// note), for kTeammateRemoved (no conversation's event) and for kResync. A conversation's first visitor message is
// announced in the commit that created it, so "visitor_message" also
// stands for a new conversation. Pure.
const char* InboxKind(const ConversationNotice& notice);

class NotificationHub {
 public:
  // Starts the listener thread and waits until it listens. Throws
  // Unavailable when the first connection fails. `pool` (for its target)
  // must outlive the hub.
  explicit NotificationHub(db::Pool& pool);
  // Stops listening and joins the thread.
  ~NotificationHub();
  NotificationHub(const NotificationHub&) = delete;
  NotificationHub& operator=(const NotificationHub&) = delete;

  // Must not block: it runs on the listener thread.
  using Callback = std::function<void(const ConversationNotice& notice)>;

  // Receives the conversation's notices until destroyed.
  class Subscription {
   public:
    Subscription() = default;
    ~Subscription();
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;

   private:
    friend class NotificationHub;
    struct State;
    std::shared_ptr<State> state_;
  };

  // Subscribes to `conversation_id`; the callback is never called after the
  // Subscription is destroyed returns.
  Subscription Subscribe(const std::string& conversation_id, Callback callback);
  // Subscribes to every conversation of `business_id` (an inbox); kResync
  // notices come with this business id and no conversation id.
  Subscription SubscribeBusiness(const std::string& business_id, Callback callback);

  // Times the connection was lost and re-established.
  std::uint64_t reconnects() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace omni::webchat
