// A bounded pool of PostgreSQL connections, and the way to open one for a
// Config (an external URL, or the embedded cluster started on demand).
//
// Thread-safe: Acquire may be called from any thread; a Lease belongs to one
// thread at a time. Connections are blocking (libpqxx): in omnid they are
// used only from the database worker pool, never from the I/O threads.
// Core modules reach the connection through core/db/pqxx.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.hpp"

namespace omni::db {

struct PoolStats {
  int size = 0;        // connections allowed
  int open = 0;        // connections currently established
  int in_use = 0;      // leased right now
  int waiting = 0;     // callers blocked in Acquire
  std::uint64_t acquired_total = 0;
};

class Pool {
 public:
  class Lease;  // RAII lease of one connection; see core/db/pqxx.hpp

  // Does not connect yet; the first Acquire does. `conninfo` is a libpq
  // connection string or URL. Throws ConfigError, without quoting it, when
  // libpq cannot parse it.
  Pool(std::string conninfo, const config::DatabaseSettings& settings);
  // Closes the idle connections. Every Lease must be gone by then.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Blocks up to settings.acquire_timeout_ms for a free connection. A broken
  // connection is replaced transparently. Throws Unavailable naming the
  // database when it cannot connect or no connection frees up in time.
  Lease Acquire();
  // An idle connection, or a new one while fewer than pool_size are open;
  // nothing, at once, when all are leased. Throws Unavailable as Acquire
  // when it cannot connect.
  std::optional<Lease> TryAcquire();

  PoolStats Stats() const;
  // The target as RedactConninfo (core/common/conninfo.hpp) shows it, for
  // messages: never the password.
  const std::string& DisplayName() const;
  // The full libpq connection string the pool connects with, including
  // omni's session settings (for a dedicated connection, e.g. LISTEN).
  const std::string& ConnectionString() const;

  struct Impl;

 private:
  // Waits for a connection until `deadline`, or not at all without one.
  std::optional<Lease> AcquireBefore(std::optional<std::chrono::steady_clock::time_point> deadline);
  std::unique_ptr<Impl> impl_;
};

struct OpenOptions {
  // Resolved embedded data dir (see config::ResolveEmbeddedDataDir).
  std::string embedded_data_dir;
  // Apply pending migrations before returning (under the advisory lock),
  // when the applied versions differ from this build's
  // (AppliedVersionsMatch): a current schema costs one query.
  bool migrate = true;
};

// Opens the configured database: config.database.url when set, otherwise
// the embedded cluster at options.embedded_data_dir, created and started on
// demand. Throws Unavailable when it cannot be reached, with a hint.
std::unique_ptr<Pool> Open(const config::Config& config, const OpenOptions& options);

}  // namespace omni::db
