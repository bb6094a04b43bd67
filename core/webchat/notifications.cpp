// NotificationHub: the LISTEN thread and the fan-out; see notifications.hpp.
#include "core/webchat/notifications.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/db/pqxx.hpp"
#include "core/webchat/policy.hpp"

namespace omni::webchat {
namespace {

// With no notification for this long, a trivial query checks that the
// connection still works (a silently dead peer shows no error otherwise).
constexpr int kProbeIdleMs = 5000;
constexpr auto kMaxReconnectDelay = std::chrono::seconds(5);

}  // namespace

std::optional<ConversationNotice> ParseNotice(const std::string& payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  const auto text = [&json](const char* key) {
    return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : std::string();
  };
  ConversationNotice notice;
  notice.business_id = text("business_id");
  notice.conversation_id = text("conversation_id");
  if (notice.business_id.empty()) return std::nullopt;
  if (notice.conversation_id.empty()) {
    notice.user_id = text("removed_user_id");
    if (notice.user_id.empty()) return std::nullopt;
    notice.kind = ConversationNotice::Kind::kTeammateRemoved;
    return notice;
  }
  notice.message_id = text("message_id");
  notice.role = text("role");
  notice.status = text("status");
  notice.note_id = text("note_id");
  if (!notice.message_id.empty()) {
    notice.kind = ConversationNotice::Kind::kMessage;
  } else if (!notice.status.empty()) {
    notice.kind = ConversationNotice::Kind::kStatus;
  } else if (json.contains("assigned_to")) {
    notice.kind = ConversationNotice::Kind::kAssign;
  } else if (!notice.note_id.empty()) {
    notice.kind = ConversationNotice::Kind::kNote;
  } else {
    return std::nullopt;
  }
  return notice;
}

std::optional<VisitorUpdate> UpdateForVisitor(const ConversationNotice& notice) {
  if (notice.kind == ConversationNotice::Kind::kAssign || notice.kind == ConversationNotice::Kind::kNote ||
      notice.kind == ConversationNotice::Kind::kTeammateRemoved) {
    return std::nullopt;
  }
  if (notice.kind == ConversationNotice::Kind::kStatus) {
    return VisitorUpdate{VisitorUpdate::Kind::kStatus, notice.status};
  }
  // A role this build does not know may be a visible one: re-reading shows
  // only what a visitor may see.
  if (notice.kind == ConversationNotice::Kind::kMessage) {
    if (const auto role = chat::FindRole(notice.role); role && VisibleRoleName(*role) == nullptr) return std::nullopt;
  }
  return VisitorUpdate{VisitorUpdate::Kind::kMessages, {}};
}

const char* InboxKind(const ConversationNotice& notice) {
  using Kind = ConversationNotice::Kind;
  switch (notice.kind) {
    case Kind::kMessage:
      if (notice.role == "USER") return "visitor_message";
      if (notice.role == "ASSISTANT") return "ai_message";
      if (notice.role == "HUMAN") return "human_message";
      return nullptr;
    case Kind::kStatus:
      if (notice.status == "ESCALATED") return "handoff";
      if (notice.status == "RESOLVED") return "resolve";
      if (notice.status == "REOPENED") return "reopen";
      if (notice.status == "AI_ACTIVE") return "ai_active";
      return nullptr;
    case Kind::kAssign:
      return "assign";
    case Kind::kNote:
      return "note";
    case Kind::kTeammateRemoved:
    case Kind::kResync:
      return nullptr;
  }
  return nullptr;
}

struct NotificationHub::Impl {
  explicit Impl(db::Pool& pool_in) : pool(pool_in), wake_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Impl() {
    if (wake_fd >= 0) close(wake_fd);
  }

  void Run();
  void Listen(pqxx::connection& connection);
  void Dispatch(const ConversationNotice& notice);
  void DispatchResync();
  void Unsubscribe(bool business, const std::string& key, std::uint64_t id);
  static void Deliver(const std::map<std::uint64_t, Callback>& callbacks, const ConversationNotice& notice);

  db::Pool& pool;
  const int wake_fd;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> reconnects{0};
  std::thread thread;

  // Held while callbacks run, so an unsubscribe waits for a delivery in
  // progress and no callback runs after it.
  std::mutex mutex;
  std::map<std::string, std::map<std::uint64_t, Callback>> subscribers;           // by conversation id
  std::map<std::string, std::map<std::uint64_t, Callback>> business_subscribers;  // by business id
  std::uint64_t next_id = 1;

  std::mutex start_mutex;
  std::condition_variable start_cv;  // also wakes the reconnect backoff
  bool started = false;
  std::exception_ptr start_error;
};

struct NotificationHub::Subscription::State {
  std::weak_ptr<NotificationHub::Impl> hub;
  bool business = false;
  std::string key;  // the conversation id, or the business id
  std::uint64_t id = 0;
};

namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& connection, NotificationHub::Impl& hub)
      : pqxx::notification_receiver(connection, chat::kNotifyChannel), hub_(hub) {}
  void operator()(const std::string& payload, int) override {
    if (auto notice = ParseNotice(payload)) hub_.Dispatch(*notice);
  }

 private:
  NotificationHub::Impl& hub_;
};

}  // namespace

void NotificationHub::Impl::Deliver(const std::map<std::uint64_t, Callback>& callbacks,
                                    const ConversationNotice& notice) {
  for (const auto& [id, callback] : callbacks) {
    try {
      callback(notice);
    } catch (const std::exception& e) {
      log::Warn("conversation notice handler failed", {{"error", e.what()}});
    }
  }
}

void NotificationHub::Impl::Dispatch(const ConversationNotice& notice) {
  std::lock_guard lock(mutex);
  if (const auto it = subscribers.find(notice.conversation_id); it != subscribers.end()) Deliver(it->second, notice);
  if (const auto it = business_subscribers.find(notice.business_id); it != business_subscribers.end()) {
    Deliver(it->second, notice);
  }
}

void NotificationHub::Impl::DispatchResync() {
  std::lock_guard lock(mutex);
  for (const auto& [conversation_id, callbacks] : subscribers) {
    ConversationNotice notice;
    notice.kind = ConversationNotice::Kind::kResync;
    notice.conversation_id = conversation_id;
    Deliver(callbacks, notice);
  }
  for (const auto& [business_id, callbacks] : business_subscribers) {
    ConversationNotice notice;
    notice.kind = ConversationNotice::Kind::kResync;
    notice.business_id = business_id;
    Deliver(callbacks, notice);
  }
}

void NotificationHub::Impl::Unsubscribe(bool business, const std::string& key, std::uint64_t id) {
  std::lock_guard lock(mutex);
  auto& map = business ? business_subscribers : subscribers;
  const auto it = map.find(key);
  if (it == map.end()) return;
  it->second.erase(id);
  if (it->second.empty()) map.erase(it);
}

void NotificationHub::Impl::Listen(pqxx::connection& connection) {
  while (!stopping.load()) {
    pollfd fds[2] = {{connection.sock(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int ready = poll(fds, 2, kProbeIdleMs);
    if (stopping.load()) return;
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw Unavailable("waiting for database notifications failed");
    }
    if (ready == 0) {
      pqxx::nontransaction probe(connection);
      probe.exec("SELECT 1");
    }
    // Throws pqxx::broken_connection when the server went away.
    connection.get_notifs();
  }
}

void NotificationHub::Impl::Run() {
  bool first = true;
  auto delay = std::chrono::milliseconds(250);
  while (!stopping.load()) {
    try {
      auto connection = db::ConnectDedicated(pool);
      Receiver receiver(*connection, *this);  // issues LISTEN
      if (first) {
        std::lock_guard lock(start_mutex);
        started = true;
        start_cv.notify_all();
      } else {
        ++reconnects;
        log::Info("notification listener reconnected", {{"database", pool.DisplayName()}});
        DispatchResync();
      }
      first = false;
      delay = std::chrono::milliseconds(250);
      Listen(*connection);
    } catch (const std::exception& e) {
      if (first) {
        std::lock_guard lock(start_mutex);
        try {
          db::RethrowTranslated(e);
        } catch (...) {
          start_error = std::current_exception();
        }
        start_cv.notify_all();
        return;
      }
      if (stopping.load()) return;
      log::Warn("notification listener lost its database connection, reconnecting",
                {{"error", e.what()}, {"retry_in_ms", delay.count()}});
      std::unique_lock lock(start_mutex);
      start_cv.wait_for(lock, delay, [this] { return stopping.load(); });
      delay = std::min<std::chrono::milliseconds>(delay * 2, kMaxReconnectDelay);
    }
  }
}

NotificationHub::NotificationHub(db::Pool& pool) : impl_(std::make_shared<Impl>(pool)) {
  if (impl_->wake_fd < 0) throw Unavailable("could not create an eventfd for the notification listener");
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
  std::unique_lock lock(impl_->start_mutex);
  impl_->start_cv.wait(lock, [this] { return impl_->started || impl_->start_error; });
  if (impl_->start_error) {
    lock.unlock();
    impl_->thread.join();
    std::rethrow_exception(impl_->start_error);
  }
}

NotificationHub::~NotificationHub() {
  impl_->stopping = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = write(impl_->wake_fd, &one, sizeof one);
  {
    std::lock_guard lock(impl_->start_mutex);
    impl_->start_cv.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

NotificationHub::Subscription NotificationHub::Subscribe(const std::string& conversation_id, Callback callback) {
  Subscription subscription;
  subscription.state_ = std::make_shared<Subscription::State>();
  subscription.state_->hub = impl_;
  subscription.state_->key = conversation_id;
  std::lock_guard lock(impl_->mutex);
  subscription.state_->id = impl_->next_id++;
  impl_->subscribers[conversation_id][subscription.state_->id] = std::move(callback);
  return subscription;
}

NotificationHub::Subscription NotificationHub::SubscribeBusiness(const std::string& business_id, Callback callback) {
  Subscription subscription;
  subscription.state_ = std::make_shared<Subscription::State>();
  subscription.state_->hub = impl_;
  subscription.state_->business = true;
  subscription.state_->key = business_id;
  std::lock_guard lock(impl_->mutex);
  subscription.state_->id = impl_->next_id++;
  impl_->business_subscribers[business_id][subscription.state_->id] = std::move(callback);
  return subscription;
}

std::uint64_t NotificationHub::reconnects() const { return impl_->reconnects.load(); }

NotificationHub::Subscription::~Subscription() {
  if (!state_) return;
  if (auto hub = state_->hub.lock()) hub->Unsubscribe(state_->business, state_->key, state_->id);
}

NotificationHub::Subscription::Subscription(Subscription&& other) noexcept = default;

NotificationHub::Subscription& NotificationHub::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    if (state_) {
      if (auto hub = state_->hub.lock()) hub->Unsubscribe(state_->business, state_->key, state_->id);
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

}  // namespace omni::webchat
