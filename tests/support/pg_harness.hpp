// A throwaway PostgreSQL for tests: never a shared server, never skipped.
//
// The first TestDatabase in a test process starts a private cluster in a
// short temp dir (/tmp/omni-test-XXXXXX, fsync off), migrates a template
// database once, and registers the cluster's removal at exit (the server
// also dies with the process if the test run crashes). Each TestDatabase
// is then a fresh copy of the template: CREATE DATABASE ... TEMPLATE takes
// milliseconds. Works as root (the cluster runs as `postgres`) and as an
// ordinary user.
//
// Thread-safe: TestDatabase objects may be created and destroyed from any
// thread.
#pragma once

#include <memory>
#include <string>

#include "core/config/config.hpp"
#include "core/db/pool.hpp"

namespace omni::db {
class EmbeddedCluster;
}

namespace omni::test {

struct TestDatabaseOptions {
  // false: an empty database, without even schema_migrations.
  bool migrated = true;
  // Pool settings for pool(); the database url is filled in.
  config::DatabaseSettings settings = {};
};

class TestDatabase {
 public:
  TestDatabase();
  explicit TestDatabase(TestDatabaseOptions options);
  // Closes the pool and drops the database (terminating other sessions).
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  db::Pool& pool() { return *pool_; }
  // A libpq URL for this database over the cluster's Unix socket.
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // Built-in defaults with database.url pointing here; write it to an
  // omni.yaml to run the omni binary against this database.
  const config::Config& config() const { return config_; }
  // Runs one SQL statement as superuser on this database (for test setup
  // that the schema forbids applications to do). Returns nothing.
  void ExecAsSuperuser(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
  config::Config config_;
  std::unique_ptr<db::Pool> pool_;
};

// A cluster of its own with one migrated database, for a test that stops
// PostgreSQL under load and starts it again on the same socket directory
// (a database restart), which the shared cluster must never do. It is
// started by the constructing thread, which must outlive it (the server
// gets SIGQUIT when that thread ends).
class RestartableDatabase {
 public:
  RestartableDatabase();
  // Stops the server and removes its directory.
  ~RestartableDatabase();
  RestartableDatabase(const RestartableDatabase&) = delete;
  RestartableDatabase& operator=(const RestartableDatabase&) = delete;

  // A libpq URL to the database over the cluster's Unix socket.
  const std::string& url() const { return url_; }
  // A pool on it for the test's own queries; it reconnects after Start.
  db::Pool& pool() { return *pool_; }
  // Fast shutdown: open sessions are cut and new ones refused.
  void Stop();
  // Starts the server again, on the same socket, and waits until it accepts connections.
  void Start();

 private:
  std::string dir_;
  std::unique_ptr<db::EmbeddedCluster> cluster_;
  std::string url_;
  std::unique_ptr<db::Pool> pool_;
};

// The process's test cluster, started on first use.
db::EmbeddedCluster& TestCluster();

// A URL to `dbname` on the test cluster.
std::string TestClusterUrl(const std::string& dbname);

}  // namespace omni::test
