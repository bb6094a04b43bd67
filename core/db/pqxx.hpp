// The libpqxx side of the pool: leases, transactions, and the translation of
// pqxx errors into the omni error tree. This is the only header that
// includes <pqxx/pqxx>; core .cpp files include it, public headers never do.
//
// Thread-safe as the pool is: a Lease belongs to one thread at a time.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <pqxx/pqxx>

#include "core/common/error.hpp"
#include "core/db/pool.hpp"

namespace omni::db {

// One pooled connection, returned to its pool when destroyed. A lease that
// saw the connection break (MarkBroken, or a closed connection) is discarded
// instead, so the next Acquire opens a fresh one. Move-only.
class Pool::Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  pqxx::connection& connection() { return *connection_; }
  // The connection must not go back to the pool (it broke, or holds session
  // state that cannot be reset).
  void MarkBroken() { broken_ = true; }

 private:
  friend class Pool;
  Lease(Pool::Impl* pool, std::unique_ptr<pqxx::connection> connection);
  void Release() noexcept;

  Pool::Impl* pool_ = nullptr;
  std::unique_ptr<pqxx::connection> connection_;
  bool broken_ = false;
};

// A new connection outside the pool, with the pool's target and session
// settings, owned by the caller: for LISTEN, which holds a connection for
// as long as it listens. Throws Unavailable like Acquire.
std::unique_ptr<pqxx::connection> ConnectDedicated(const Pool& pool);

// The SQLSTATE of a pqxx::sql_error ("23505", "23P01", ...), or "" for any
// other exception.
std::string SqlState(const std::exception& error);

// The constraint named in a constraint-violation message, or "".
std::string ConstraintName(const std::exception& error);

// Rethrows `error` as an omni error:
//   23505 unique violation, 23P01 exclusion violation -> Conflict naming the constraint
//   23503 foreign key, 23514 check, 23502 not null, 22xxx data -> InvalidInput
//   broken connection, 57014 statement timeout, 57P0x shutdown -> Unavailable
//   40001 serialization, 40P01 deadlock -> Conflict (retrying may succeed)
//   other database errors -> omni::Error with the server's message
// omni errors pass through unchanged; other exceptions are rethrown as they are.
// Call it only inside a catch handler for `error` (it may rethrow it as is).
[[noreturn]] void RethrowTranslated(const std::exception& error);

// Rethrows the exception being handled as an omni error, as every pooled
// call reports it: a broken or in-doubt connection also marks `lease`, so
// it is discarded instead of going back to the pool. Call it only inside a
// catch handler.
[[noreturn]] void RethrowForLease(Pool::Lease& lease);

// True for 40P01 (deadlock) and 40001 (serialization failure): the
// transaction lost a race and may succeed when run again.
bool IsTransientConflict(const std::exception& error);
// Sleeps a short random time that grows with `attempt`, so that the
// transactions that collided do not collide again.
void BackOffBeforeRetry(int attempt);

// Runs `sql` as the named prepared statement `name`: a hot statement is
// parsed and planned once per pooled connection instead of on every call.
// pqxx prepares lazily and ignores a repeated prepare() of the same
// definition; giving one name two definitions throws pqxx::argument_error,
// so each distinct SQL text needs its own name.
template <class... Args>
pqxx::result ExecPrepared(pqxx::transaction_base& tx, const std::string& name, const std::string& sql,
                          Args&&... args) {
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// Runs fn(pqxx::work&) in one transaction on a pooled connection and commits
// when fn returns; returns what fn returns. Any exception rolls back. pqxx
// errors are translated by RethrowTranslated. To react to a specific
// SQLSTATE (e.g. 23P01 "slot taken"), catch pqxx::sql_error inside fn, or
// catch omni::Conflict outside and consult the message.
//
// A deadlock (40P01) or serialization failure (40001) is retried: PostgreSQL
// raises them when concurrent transactions wait on each other, e.g. two
// bookings checking the same exclusion constraint, and the cure is to run
// the loser again. So fn may run more than once and must have no effects
// outside the transaction.
template <class Fn>
auto WithTransaction(Pool& pool, Fn&& fn) -> std::invoke_result_t<Fn&, pqxx::work&> {
  using Result = std::invoke_result_t<Fn&, pqxx::work&>;
  constexpr int kMaxAttempts = 5;
  Pool::Lease lease = pool.Acquire();
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::work tx(lease.connection());
      if constexpr (std::is_void_v<Result>) {
        fn(tx);
        tx.commit();
        return;
      } else {
        Result result = fn(tx);
        tx.commit();
        return result;
      }
    } catch (const pqxx::failure& e) {
      if (attempt < kMaxAttempts && IsTransientConflict(e)) {
        BackOffBeforeRetry(attempt);
        continue;
      }
      RethrowForLease(lease);
    }
  }
}

// Runs `first` and `second` at the same time, each in a read-only
// REPEATABLE READ transaction on its own pooled connection, both reading
// one snapshot: the second imports the first's, as pg_dump's parallel
// workers do. A report made of independent queries then costs the slower
// half instead of the sum. When the pool has no second connection free at
// once, `second` runs after `first`, in the first's transaction. Errors
// are translated as WithTransaction's; when both fail, the first's is
// thrown. Neither runs again on a conflict: reading one snapshot has none.
void ReadConcurrently(Pool& pool, const std::function<void(pqxx::work&)>& first,
                      const std::function<void(pqxx::work&)>& second);

// Like WithTransaction but without a transaction block: fn(pqxx::nontransaction&)
// runs each statement in autocommit mode (for LISTEN, VACUUM, CREATE DATABASE).
template <class Fn>
auto WithConnection(Pool& pool, Fn&& fn) -> std::invoke_result_t<Fn&, pqxx::nontransaction&> {
  Pool::Lease lease = pool.Acquire();
  try {
    pqxx::nontransaction tx(lease.connection());
    return fn(tx);
  } catch (const pqxx::failure&) {
    RethrowForLease(lease);
  }
}

}  // namespace omni::db
