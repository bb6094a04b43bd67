// Runs the outbound webhook deliverer (core/webhooks) on a thread of its
// own: it claims due deliveries every half second and POSTs them; an
// endpoint it disables gets the owner's notice through core/notify. Every
// few minutes it also deletes the delivery log and finished delivery jobs
// older than webhooks.delivery_retention_days. Every omnid runs one; the
// queue hands each delivery to one of them.
// Thread-safe: construct and destroy from one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/app.hpp"

namespace omni::omnid {

class WebhookWorker {
 public:
  // Starts the thread; `app` must outlive this. Until the database is
  // reached, each round does nothing.
  explicit WebhookWorker(App& app);
  // Stops and joins the thread (an attempt under way finishes first, within
  // webhooks.timeout_ms).
  ~WebhookWorker();
  WebhookWorker(const WebhookWorker&) = delete;
  WebhookWorker& operator=(const WebhookWorker&) = delete;

 private:
  void Round();
  // Deletes what is past retention, a batch at a time, when it is due.
  void Prune(db::Pool& pool);

  App& app_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point next_prune_{};  // the first round prunes
  std::thread thread_;
};

}  // namespace omni::omnid
