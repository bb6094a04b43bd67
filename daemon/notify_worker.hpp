// Runs the notifications worker (core/notify) on a thread of its own: it
// claims due notification jobs every second and sends them, through SMTP
// when omni.yaml configures `email`, or records them only. Every omnid runs
// one; the queue hands each job to one of them.
// Thread-safe: construct and destroy from one thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/notify/smtp.hpp"
#include "daemon/app.hpp"

namespace omni::omnid {

class NotifyWorker {
 public:
  // Builds the SMTP sender once (when e-mail is configured) and starts the
  // thread; `app` must outlive this. Until the database is reached, each
  // round does nothing.
  explicit NotifyWorker(App& app);
  // Stops and joins the thread (a job under way finishes first).
  ~NotifyWorker();
  NotifyWorker(const NotifyWorker&) = delete;
  NotifyWorker& operator=(const NotifyWorker&) = delete;

 private:
  void Round();

  App& app_;
  std::unique_ptr<notify::MailSender> sender_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace omni::omnid
