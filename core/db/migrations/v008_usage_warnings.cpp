// Migration 8: usage warnings. When a business's use of a plan limit reaches
// 80% and 100%, billing records it here once per billing period (the key
// is the period's local start date, as in usage_periods), so the team sees
// it in `omni usage` and omnid logs it once, not on every turn.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_usage_warnings[] = R"sql(
CREATE TABLE usage_warnings (
  business_id       uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  period_start      date NOT NULL,
  metric            text NOT NULL CHECK (metric IN
                      ('interactions', 'conversations', 'documents', 'services', 'operators')),
  threshold_percent integer NOT NULL CHECK (threshold_percent IN (80, 100)),
  plan_tier         text NOT NULL CHECK (plan_tier IN ('FREE', 'STARTER', 'PROFESSIONAL', 'ENTERPRISE')),
  used              bigint NOT NULL CHECK (used >= 0),
  limit_value       bigint NOT NULL CHECK (limit_value >= 0),
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (business_id, period_start, metric, threshold_percent)
);
)sql";

}  // namespace omni::db::migrations
