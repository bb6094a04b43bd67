// The embedded PostgreSQL 15 cluster: omni's default database when no
// database.url is configured. It lives under one data dir:
//   DATA_DIR/data          the cluster (initdb)
//   DATA_DIR/log/postgresql.log   the server log
//   DATA_DIR/.s.PGSQL.5432 the Unix socket (no TCP listener at all)
// When the data dir path is too long for a socket path, the socket goes in
// a short directory under /tmp named after it.
//
// initdb and postgres refuse to run as root, so when omni runs as root the
// cluster belongs to the `postgres` system user: the data dir is chowned to
// it and the server processes switch to it before exec.
//
// Thread-safe across processes: initialisation and start hold an flock on
// DATA_DIR/.lock, so two processes starting the cluster at once get one
// server. Within a process, use one EmbeddedCluster per data dir.
#pragma once

#include <string>
#include <sys/types.h>

namespace omni::db {

// The database that omni's schema lives in, created on first start.
inline constexpr const char* kEmbeddedDatabase = "omni";

struct EmbeddedSettings {
  std::string data_dir;      // absolute path; created when missing
  bool fast_unsafe = false;  // fsync, synchronous_commit, full_page_writes off (tests only)
  int start_timeout_ms = 60000;  // waiting for the server to accept connections
  int stop_timeout_ms = 30000;   // fast shutdown, then SIGQUIT
};

struct EmbeddedStatus {
  bool initialized = false;  // initdb has completed
  bool running = false;      // a server answers on the socket
  pid_t pid = 0;             // the postmaster, when running
  std::string data_dir;
  std::string socket_dir;
  std::string log_file;
};

class EmbeddedCluster {
 public:
  explicit EmbeddedCluster(EmbeddedSettings settings);
  // Stops a server this object started in the foreground; a detached one
  // keeps running.
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // Creates the data dir and runs initdb unless that was done before. An
  // initdb that was interrupted is redone. Throws Unavailable with the tail
  // of the log when initdb fails, or when PostgreSQL is not installed.
  void EnsureInitialized();

  // Starts the server unless one already answers (then a no-op), waits until
  // it accepts connections, and creates the `omni` database the first time.
  // detached: the server outlives this process (omni db up, on-demand
  // starts). Otherwise it is stopped when this object is destroyed, and
  // receives SIGQUIT if this thread dies (throwaway test clusters).
  // Throws Unavailable with the tail of the server log when it fails.
  void Start(bool detached);

  // Fast shutdown (SIGINT), escalating to SIGQUIT after stop_timeout_ms.
  // A no-op when no server is running. Returns whether one was stopped.
  bool Stop();

  EmbeddedStatus Status() const;

  // A libpq connection string for `dbname` over the Unix socket.
  std::string ConnInfo(const std::string& dbname) const;

  const std::string& data_dir() const { return settings_.data_dir; }
  const std::string& socket_dir() const { return socket_dir_; }
  std::string LogFile() const;
  // The last `lines` lines of the server log, for error messages.
  std::string LogTail(int lines = 20) const;

 private:
  EmbeddedSettings settings_;
  std::string socket_dir_;
  pid_t foreground_pid_ = 0;  // a server started by us, not detached
};

// The directory holding initdb, postgres and psql: `pg_config --bindir` when
// it names PostgreSQL 15, else /usr/lib/postgresql/15/bin. Throws Unavailable
// when neither holds a postgres binary.
std::string PostgresBinDir();

}  // namespace omni::db
