// Migration 18: what operators need to sign in and to call the operator API.
// An API key gets a role (it acts as an operator of that role) and a unique
// visible prefix, by which a presented key is found before its hash is
// compared in constant time. A console session, a set-password token and a
// key are stored only as SHA-256 hashes. login_attempts keeps failed and
// successful logins for throttling per account and per client address;
// account_key is "<slug> <email>" as typed, lower-cased, so an account that
// does not exist is throttled exactly like one that does.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_operator_access[] = R"sql(
ALTER TABLE api_keys
  ADD COLUMN role text NOT NULL DEFAULT 'AGENT' CHECK (role IN ('OWNER', 'ADMIN', 'AGENT'));
CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix);
CREATE UNIQUE INDEX api_keys_business_active_name_key ON api_keys (business_id, lower(name))
  WHERE revoked_at IS NULL;

CREATE TABLE operator_sessions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id    uuid NOT NULL,
  user_id        uuid NOT NULL,
  token_hash     text NOT NULL UNIQUE,
  remote_address text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL CHECK (expires_at > created_at),
  last_seen_at   timestamptz NOT NULL,
  revoked_at     timestamptz,
  FOREIGN KEY (business_id, user_id) REFERENCES users (business_id, id) ON DELETE CASCADE
);
CREATE INDEX operator_sessions_user_idx ON operator_sessions (business_id, user_id);

CREATE TABLE password_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id uuid NOT NULL,
  user_id     uuid NOT NULL,
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
  used_at     timestamptz,
  FOREIGN KEY (business_id, user_id) REFERENCES users (business_id, id) ON DELETE CASCADE
);
CREATE INDEX password_tokens_user_idx ON password_tokens (business_id, user_id);

CREATE TABLE login_attempts (
  id             bigserial PRIMARY KEY,
  account_key    text NOT NULL,
  remote_address text NOT NULL,
  succeeded      boolean NOT NULL,
  attempted_at   timestamptz NOT NULL
);
CREATE INDEX login_attempts_account_idx ON login_attempts (account_key, attempted_at);
CREATE INDEX login_attempts_address_idx ON login_attempts (remote_address, attempted_at);
)sql";

}  // namespace omni::db::migrations
