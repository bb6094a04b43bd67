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

// The process's test cluster, started on first use.
db::EmbeddedCluster& TestCluster();

// A URL to `dbname` on the test cluster.
std::string TestClusterUrl(const std::string& dbname);

}  // namespace omni::test
