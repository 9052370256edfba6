// Migration 023: frozen once released; a change to the schema is a new numbered file.
// Automations: rules and their cursor on the change log, timers for "lead not answered", follow-up tasks,
// a profile's owner and tags, a maintained at-risk mark (set by a sweep, cleared when the profile is seen),
// the webhook endpoints and their durable outbox, the email outbox, and the speed-to-lead record of each lead.
export default [
  `ALTER TABLE profiles ADD COLUMN owner_id TEXT`,
  `ALTER TABLE profiles ADD COLUMN at_risk_at INTEGER`,
  // The sweep's two ways in: profiles not seen for a while, and payments overdue, not yet marked.
  `CREATE INDEX profiles_risk_due ON profiles(last_seen) WHERE at_risk_at IS NULL AND merged_into IS NULL`,
  `CREATE INDEX profiles_overdue_due ON profiles(payment_overdue_at)
     WHERE at_risk_at IS NULL AND merged_into IS NULL AND payment_overdue_at IS NOT NULL`,
  `CREATE TABLE profile_tags (
      profile_id TEXT NOT NULL,
      tag TEXT NOT NULL,
      site_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (profile_id, tag)
    ) WITHOUT ROWID`,
  `CREATE TABLE automation_rules (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      name TEXT NOT NULL,
      enabled INTEGER NOT NULL,
      trigger TEXT NOT NULL,
      conditions TEXT NOT NULL,
      actions TEXT NOT NULL,
      round_robin INTEGER NOT NULL DEFAULT 0,
      fired INTEGER NOT NULL DEFAULT 0,
      last_fired_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  `CREATE INDEX automation_rules_site ON automation_rules(site_id)`,
  // Each time a rule fired: on which profile, from which change (or timer), and what each action did.
  `CREATE TABLE automation_firings (
      id INTEGER PRIMARY KEY,
      rule_id TEXT NOT NULL,
      site_id TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      change_seq INTEGER,
      trigger TEXT NOT NULL,
      at INTEGER NOT NULL,
      results TEXT NOT NULL
    )`,
  `CREATE INDEX automation_firings_rule ON automation_firings(rule_id, id)`,
  // Named positions: the change-log cursor, when the at-risk sweep last ran.
  `CREATE TABLE automation_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE automation_timers (
      rule_id TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      site_id TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      PRIMARY KEY (rule_id, profile_id)
    ) WITHOUT ROWID`,
  `CREATE INDEX automation_timers_due ON automation_timers(due_at)`,
  `CREATE TABLE tasks (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      rule_id TEXT,
      title TEXT NOT NULL,
      owner_id TEXT,
      due_at INTEGER NOT NULL,
      snoozed_until INTEGER,
      done_at INTEGER,
      done_by TEXT,
      created_at INTEGER NOT NULL
    )`,
  `CREATE INDEX tasks_site ON tasks(site_id, done_at, due_at)`,
  `CREATE INDEX tasks_profile ON tasks(profile_id)`,
  `CREATE TABLE webhook_endpoints (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      url TEXT NOT NULL,
      events TEXT NOT NULL,
      secret TEXT NOT NULL,
      enabled INTEGER NOT NULL,
      disabled_reason TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  `CREATE INDEX webhook_endpoints_site ON webhook_endpoints(site_id)`,
  `CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY,
      endpoint_id TEXT NOT NULL,
      site_id TEXT NOT NULL,
      type TEXT NOT NULL,
      payload TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER,
      last_status INTEGER,
      last_error TEXT,
      last_latency_ms INTEGER,
      created_at INTEGER NOT NULL,
      delivered_at INTEGER
    )`,
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE status = 'pending'`,
  `CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, created_at)`,
  `CREATE TABLE webhook_attempts (
      delivery_id TEXT NOT NULL,
      n INTEGER NOT NULL,
      at INTEGER NOT NULL,
      status INTEGER,
      latency_ms INTEGER NOT NULL,
      error TEXT,
      PRIMARY KEY (delivery_id, n)
    ) WITHOUT ROWID`,
  `CREATE TABLE email_outbox (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      to_address TEXT NOT NULL,
      subject TEXT NOT NULL,
      body TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER,
      last_error TEXT,
      created_at INTEGER NOT NULL,
      sent_at INTEGER
    )`,
  `CREATE INDEX email_outbox_due ON email_outbox(next_at) WHERE status = 'pending'`,
  `CREATE TABLE lead_responses (
      profile_id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      start_kind TEXT NOT NULL,
      channel TEXT NOT NULL,
      first_auto_at INTEGER,
      first_human_at INTEGER
    )`,
  `CREATE INDEX lead_responses_site ON lead_responses(site_id, started_at)`,
];
