// Schema migrations, applied in order on start; each runs once, in its own write transaction.
import type { Client } from '@libsql/client';

const DAY = 86_400_000;

/** The three attribution models: when the touch happened, its channel and campaign, from a profile row. */
const TOUCH_MODELS = [
  {
    model: 'firstTouch',
    at: (r: string) => `COALESCE(${r}.first_touch_at, ${r}.first_seen)`,
    channel: (r: string) => `COALESCE(${r}.channel, 'Direct')`,
    campaign: (r: string) => `COALESCE(${r}.first_campaign, '')`,
  },
  {
    model: 'leadTouch',
    at: (r: string) => `${r}.lead_at`,
    channel: (r: string) => `COALESCE(${r}.lead_channel, 'Direct')`,
    campaign: (r: string) => `COALESCE(${r}.lead_campaign, '')`,
  },
  {
    model: 'lastTouch',
    at: (r: string) => `COALESCE(${r}.last_touch_at, ${r}.first_touch_at, ${r}.first_seen)`,
    channel: (r: string) => `COALESCE(${r}.last_channel, ${r}.channel, 'Direct')`,
    campaign: (r: string) => `COALESCE(${r}.last_campaign, '')`,
  },
];

/** The profile columns attribution_touches copies: a change to any other column leaves it alone. */
const ATTRIBUTION_COLUMNS = [
  'site_id',
  'merged_into',
  'first_seen',
  'first_touch_at',
  'channel',
  'first_campaign',
  'lead_at',
  'lead_channel',
  'lead_campaign',
  'last_touch_at',
  'last_channel',
  'last_campaign',
  'payment_count',
  'first_payment_at',
  'revenue',
];

/**
 * INSERT … SELECT of a profile row's attribution touches (one per model whose touch time is known): `r` is
 * `new` in a trigger, or the alias of profiles in `from` (with `where` to pick the rows).
 */
function touchRows(r: string, from = '', where = 'true'): string {
  const firstAt = `COALESCE(${r}.first_touch_at, ${r}.first_seen)`;
  return `INSERT INTO attribution_touches (site_id, model, at, profile_id, channel, campaign, first_at, lead, payments,
      first_payment_at, revenue, paid_after)
    ${TOUCH_MODELS.map(
      (
        m,
      ) => `SELECT ${r}.site_id, '${m.model}', ${m.at(r)}, ${r}.id, ${m.channel(r)}, ${m.campaign(r)}, ${firstAt},
      ${r}.lead_at IS NOT NULL, ${r}.payment_count, ${r}.first_payment_at, ${r}.revenue,
      CASE WHEN ${r}.payment_count > 0 AND ${r}.first_payment_at IS NOT NULL
        THEN MAX(0, ${r}.first_payment_at - ${firstAt}) END
      ${from} WHERE (${where}) AND ${m.at(r)} IS NOT NULL`,
    ).join(' UNION ALL ')}`;
}

/** Adds `n` to the overview_days count of profile row `r` (`new` or `old`) when `where` holds. */
function cohortCount(r: string, n: number, where = 'true'): string {
  return `INSERT INTO overview_days (site_id, day, stage, profiles)
      SELECT ${r}.site_id, ${r}.first_seen / ${DAY}, ${r}.stage, ${n} WHERE ${where}
      ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles`;
}

const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE sites (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      site_key TEXT NOT NULL UNIQUE,
      secret_hash TEXT NOT NULL UNIQUE,
      origins TEXT NOT NULL DEFAULT '[]',
      settings TEXT NOT NULL DEFAULT '{}',
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE users (
      id TEXT PRIMARY KEY,
      email TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE auth_sessions (
      token_hash TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`,
    `CREATE TABLE api_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    )`,
    `CREATE TABLE setup_tokens (
      token_hash TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    )`,
    // Append-only; seq keeps inserts at the end of the table's b-tree. Two indexes only:
    // the idempotency key and the timeline read (events of one identifier in time order).
    `CREATE TABLE events (
      seq INTEGER PRIMARY KEY,
      site_id TEXT NOT NULL,
      message_id TEXT NOT NULL,
      type TEXT NOT NULL,
      event TEXT,
      ident TEXT NOT NULL,
      anonymous_id TEXT,
      user_id TEXT,
      ts INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      body TEXT NOT NULL
    )`,
    'CREATE UNIQUE INDEX events_message ON events(site_id, message_id)',
    'CREATE INDEX events_ident ON events(site_id, ident, ts)',
    `CREATE TABLE profiles (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      email TEXT,
      user_id TEXT,
      name TEXT,
      stage TEXT NOT NULL DEFAULT 'reach',
      first_touch TEXT,
      first_touch_at INTEGER,
      first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      event_count INTEGER NOT NULL DEFAULT 0,
      merged_into TEXT
    )`,
    'CREATE INDEX profiles_last_seen ON profiles(last_seen)',
    'CREATE INDEX profiles_site_last_seen ON profiles(site_id, last_seen)',
    // key is 'a:' + anonymous id, 'u:' + user id or 'e:' + normalised email.
    `CREATE TABLE identities (
      site_id TEXT NOT NULL,
      key TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, key)
    ) WITHOUT ROWID`,
    'CREATE INDEX identities_profile ON identities(profile_id)',
    `CREATE TABLE merges (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      survivor_id TEXT NOT NULL,
      merged_id TEXT NOT NULL,
      reason TEXT NOT NULL,
      identifier TEXT NOT NULL,
      message_id TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`,
    'CREATE INDEX merges_survivor ON merges(survivor_id)',
  ],
  // Identity graph (issue 3): a ledger of links between identifiers; profiles are components of active links.
  [
    'ALTER TABLE events ADD COLUMN proof TEXT',
    'ALTER TABLE identities ADD COLUMN cluster_id TEXT',
    'ALTER TABLE identities ADD COLUMN verified INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE identities ADD COLUMN shared_at INTEGER',
    // The profile an identifier was first given: an unmerge gives the split-off side its old id back.
    'ALTER TABLE identities ADD COLUMN home_profile TEXT',
    'CREATE INDEX identities_cluster ON identities(cluster_id)',
    // pair is the two keys sorted and joined with a newline: one row per pair, holding its earliest evidence.
    `CREATE TABLE links (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      pair TEXT NOT NULL,
      a TEXT NOT NULL,
      b TEXT NOT NULL,
      rule TEXT NOT NULL,
      message_id TEXT NOT NULL,
      ts INTEGER NOT NULL,
      verified INTEGER NOT NULL DEFAULT 0,
      status TEXT NOT NULL,
      reason TEXT,
      decision TEXT,
      decision_reason TEXT,
      cluster_id TEXT,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER,
      revoked_reason TEXT
    )`,
    'CREATE UNIQUE INDEX links_pair ON links(site_id, pair)',
    'CREATE INDEX links_cluster ON links(cluster_id)',
    'ALTER TABLE profiles ADD COLUMN state TEXT',
    'ALTER TABLE profiles ADD COLUMN phone TEXT',
    'ALTER TABLE profiles ADD COLUMN company TEXT',
    'ALTER TABLE profiles ADD COLUMN channel TEXT',
    'ALTER TABLE profiles ADD COLUMN score REAL NOT NULL DEFAULT 0',
    'ALTER TABLE merges ADD COLUMN link_id TEXT',
    "ALTER TABLE merges ADD COLUMN kind TEXT NOT NULL DEFAULT 'auto'",
    'ALTER TABLE merges ADD COLUMN undone_at INTEGER',
    'ALTER TABLE merges ADD COLUMN undo_reason TEXT',
    'CREATE INDEX merges_merged ON merges(merged_id)',
    `CREATE TABLE stage_overrides (
      profile_id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      stage TEXT NOT NULL,
      reason TEXT NOT NULL,
      at INTEGER NOT NULL
    )`,
    // Every touch, with the channel rule (and table version) that classified it.
    `CREATE TABLE touches (
      site_id TEXT NOT NULL,
      touch_id TEXT NOT NULL,
      ident TEXT NOT NULL,
      message_id TEXT NOT NULL,
      ts INTEGER NOT NULL,
      channel TEXT NOT NULL,
      rule_id TEXT NOT NULL,
      rules_version INTEGER NOT NULL,
      touch TEXT NOT NULL,
      PRIMARY KEY (site_id, touch_id)
    ) WITHOUT ROWID`,
    // Signs identify calls from the page (HMAC-SHA256 of the user id); kept in clear because it signs, unlike the secret key.
    'ALTER TABLE sites ADD COLUMN identity_secret TEXT',
    'UPDATE sites SET identity_secret = lower(hex(randomblob(32))) WHERE identity_secret IS NULL',
  ],
  // Lead forms and chat (issue 4).
  [
    `CREATE TABLE forms (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      name TEXT NOT NULL,
      definition TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    'CREATE INDEX forms_site ON forms(site_id)',
    `CREATE TABLE chat_settings (
      site_id TEXT PRIMARY KEY,
      settings TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    // One conversation per visitor browser; last_seq numbers its messages, agent_read_seq marks what agents read.
    `CREATE TABLE conversations (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      anonymous_id TEXT NOT NULL,
      email TEXT,
      status TEXT NOT NULL DEFAULT 'open',
      assignee_id TEXT,
      last_seq INTEGER NOT NULL DEFAULT 0,
      agent_read_seq INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    'CREATE UNIQUE INDEX conversations_visitor ON conversations(site_id, anonymous_id)',
    'CREATE INDEX conversations_site ON conversations(site_id, updated_at)',
    `CREATE TABLE chat_messages (
      conversation_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      id TEXT NOT NULL,
      client_id TEXT,
      author TEXT NOT NULL,
      user_id TEXT,
      text TEXT NOT NULL,
      at INTEGER NOT NULL,
      PRIMARY KEY (conversation_id, seq)
    ) WITHOUT ROWID`,
    'CREATE UNIQUE INDEX chat_messages_client ON chat_messages(conversation_id, client_id)',
    // The inbox's change feed: the SSE stream reads it by id, so any collector process sees every change.
    `CREATE TABLE inbox_changes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      site_id TEXT NOT NULL,
      conversation_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      at INTEGER NOT NULL
    )`,
  ],
  // Billing (issue 5): a ledger of invoices and payments, Stripe webhooks, payment columns for attribution.
  [
    // The Stripe webhook signing secret (whsec_…): kept in clear because it verifies HMACs; the API masks it.
    'ALTER TABLE sites ADD COLUMN stripe_secret TEXT',
    // One row per invoice or payment (keyed by either id), its latest state by event time; amounts in the
    // currency's minor unit. ident is the owner key of the profile's events, NULL while unmatched; pending
    // then holds the events to send once a marketer attaches it.
    `CREATE TABLE payments (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      invoice_id TEXT,
      payment_id TEXT,
      ident TEXT,
      status TEXT NOT NULL,
      amount INTEGER,
      refunded INTEGER NOT NULL DEFAULT 0,
      currency TEXT,
      method TEXT,
      ts INTEGER NOT NULL,
      message_id TEXT NOT NULL,
      source TEXT NOT NULL,
      customer_id TEXT,
      email TEXT,
      pending TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    'CREATE UNIQUE INDEX payments_invoice ON payments(site_id, invoice_id) WHERE invoice_id IS NOT NULL',
    'CREATE UNIQUE INDEX payments_payment ON payments(site_id, payment_id) WHERE payment_id IS NOT NULL',
    'CREATE INDEX payments_unmatched ON payments(site_id, created_at) WHERE ident IS NULL',
    'CREATE INDEX payments_ident ON payments(site_id, ident)',
    // Stripe event ids already processed (a replay is answered 200 and changes nothing).
    `CREATE TABLE stripe_events (
      site_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      type TEXT NOT NULL,
      created INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, event_id)
    ) WITHOUT ROWID`,
    // Maintained on write so attribution reads profile rows, never events.
    'ALTER TABLE profiles ADD COLUMN revenue TEXT',
    'ALTER TABLE profiles ADD COLUMN payment_count INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE profiles ADD COLUMN first_payment_at INTEGER',
    'ALTER TABLE profiles ADD COLUMN first_campaign TEXT',
    'ALTER TABLE profiles ADD COLUMN lead_at INTEGER',
    'ALTER TABLE profiles ADD COLUMN lead_channel TEXT',
    'ALTER TABLE profiles ADD COLUMN lead_campaign TEXT',
    'ALTER TABLE profiles ADD COLUMN last_touch_at INTEGER',
    'ALTER TABLE profiles ADD COLUMN last_channel TEXT',
    'ALTER TABLE profiles ADD COLUMN last_campaign TEXT',
    'CREATE INDEX profiles_site_first_touch ON profiles(site_id, first_touch_at)',
  ],
  // Dashboard overview (issue 6): the funnel cohort by first_seen, new leads and customers by day.
  [
    'CREATE INDEX profiles_first_seen ON profiles(first_seen, stage)',
    'CREATE INDEX profiles_lead_at ON profiles(lead_at) WHERE lead_at IS NOT NULL',
    'CREATE INDEX profiles_first_payment ON profiles(first_payment_at) WHERE first_payment_at IS NOT NULL',
  ],
  // Billing (issue 5): the attribution touch columns of profiles stored before them, from their state.
  // Revenue and payment columns fill in at each profile's next event.
  [
    `UPDATE profiles SET first_campaign = json_extract(first_touch, '$.campaign'),
       lead_at = json_extract(state, '$.lead.at'),
       lead_channel = CASE WHEN json_extract(state, '$.lead.at') IS NOT NULL
         THEN COALESCE(json_extract(state, '$.leadTouch.channel'), 'Direct') END,
       lead_campaign = json_extract(state, '$.leadTouch.touch.campaign'),
       last_touch_at = json_extract(state, '$.lastTouch.at'),
       last_channel = json_extract(state, '$.lastTouch.channel'),
       last_campaign = json_extract(state, '$.lastTouch.touch.campaign')
     WHERE state IS NOT NULL AND lead_at IS NULL AND last_touch_at IS NULL`,
  ],
  // Billing (issue 5): which event a payment's amount came from (a paid event over an invoice over a failed
  // attempt, then the latest), so the amount does not depend on the order events arrive in.
  ['ALTER TABLE payments ADD COLUMN amount_key TEXT'],
  // Billing (issue 5): when the next expected payment becomes overdue (the list flags the profile at risk).
  ['ALTER TABLE profiles ADD COLUMN payment_overdue_at INTEGER'],
  // Dashboard overview (issue 6): the indexes above made the overview read table rows; these cover its
  // queries (site, then first_seen or the day column), so each is an index-only range scan of live profiles.
  [
    'DROP INDEX IF EXISTS profiles_first_seen',
    'DROP INDEX IF EXISTS profiles_lead_at',
    'DROP INDEX IF EXISTS profiles_first_payment',
    `CREATE INDEX profiles_cohort ON profiles(site_id, first_seen, stage, lead_at, first_payment_at)
      WHERE merged_into IS NULL`,
    `CREATE INDEX profiles_lead_day ON profiles(site_id, lead_at)
      WHERE merged_into IS NULL AND lead_at IS NOT NULL`,
    `CREATE INDEX profiles_paid_day ON profiles(site_id, first_payment_at)
      WHERE merged_into IS NULL AND first_payment_at IS NOT NULL`,
  ],
  // Dashboard (issue 6): profile search and attribution rollups, kept in step with profile rows by triggers,
  // so every write of a profile (a group commit, a merge, a manual stage) updates them in its own transaction.
  [
    // Substring search of email, name and user id: a trigram index keyed by the profile's rowid. Contentless
    // (the text stays in profiles); the list re-checks each hit with LIKE, so results equal a LIKE scan.
    `CREATE VIRTUAL TABLE profiles_search USING fts5(email, name, user_id,
      tokenize = 'trigram', content = '', contentless_delete = 1)`,
    `INSERT INTO profiles_search (rowid, email, name, user_id)
      SELECT rowid, email, name, user_id FROM profiles WHERE COALESCE(email, name, user_id) IS NOT NULL`,
    `CREATE TRIGGER profiles_search_insert AFTER INSERT ON profiles
      WHEN COALESCE(new.email, new.name, new.user_id) IS NOT NULL BEGIN
        INSERT INTO profiles_search (rowid, email, name, user_id) VALUES (new.rowid, new.email, new.name, new.user_id);
      END`,
    `CREATE TRIGGER profiles_search_update AFTER UPDATE OF email, name, user_id ON profiles
      WHEN old.email IS NOT new.email OR old.name IS NOT new.name OR old.user_id IS NOT new.user_id BEGIN
        DELETE FROM profiles_search WHERE rowid = old.rowid;
        INSERT INTO profiles_search (rowid, email, name, user_id)
          SELECT new.rowid, new.email, new.name, new.user_id WHERE COALESCE(new.email, new.name, new.user_id) IS NOT NULL;
      END`,
    `CREATE TRIGGER profiles_search_delete AFTER DELETE ON profiles BEGIN
        DELETE FROM profiles_search WHERE rowid = old.rowid;
      END`,
    // Attribution: one row per live profile and model (first, lead, last touch) at the time of that touch,
    // with what the report needs of it. A missing channel is 'Direct', a missing campaign ''.
    `CREATE TABLE attribution_touches (
      site_id TEXT NOT NULL,
      model TEXT NOT NULL,
      at INTEGER NOT NULL,
      profile_id TEXT NOT NULL,
      channel TEXT NOT NULL,
      campaign TEXT NOT NULL,
      first_at INTEGER NOT NULL,
      lead INTEGER NOT NULL,
      payments INTEGER NOT NULL,
      first_payment_at INTEGER,
      revenue TEXT,
      -- ms from first touch to first payment (never negative) of a paying profile, else NULL.
      paid_after INTEGER,
      PRIMARY KEY (site_id, model, at, profile_id)
    ) WITHOUT ROWID`,
    // The median days to first payment: a group's paying profiles in order of the time from first touch to
    // first payment, so the middle of a range is found by walking the index, without sorting.
    `CREATE INDEX attribution_median ON attribution_touches(model, channel, campaign, paid_after, site_id, at)
      WHERE paid_after IS NOT NULL`,
    // Per site, model, UTC day of the touch, channel and campaign: counts, and revenue by currency (with how
    // many profiles have that currency, so a currency no profile has any more disappears).
    `CREATE TABLE attribution_days (
      site_id TEXT NOT NULL,
      model TEXT NOT NULL,
      day INTEGER NOT NULL,
      channel TEXT NOT NULL,
      campaign TEXT NOT NULL,
      visitors INTEGER NOT NULL,
      leads INTEGER NOT NULL,
      customers INTEGER NOT NULL,
      payers INTEGER NOT NULL,
      PRIMARY KEY (site_id, model, day, channel, campaign)
    ) WITHOUT ROWID`,
    `CREATE TABLE attribution_revenue (
      site_id TEXT NOT NULL,
      model TEXT NOT NULL,
      day INTEGER NOT NULL,
      channel TEXT NOT NULL,
      campaign TEXT NOT NULL,
      currency TEXT NOT NULL,
      profiles INTEGER NOT NULL,
      amount INTEGER NOT NULL,
      PRIMARY KEY (site_id, model, day, channel, campaign, currency)
    ) WITHOUT ROWID`,
    `CREATE TRIGGER attribution_touches_insert AFTER INSERT ON attribution_touches BEGIN
        INSERT INTO attribution_days (site_id, model, day, channel, campaign, visitors, leads, customers, payers)
          VALUES (new.site_id, new.model, new.at / ${DAY}, new.channel, new.campaign, 1, new.lead, new.payments > 0,
            new.paid_after IS NOT NULL)
          ON CONFLICT DO UPDATE SET visitors = visitors + 1, leads = leads + excluded.leads,
            customers = customers + excluded.customers, payers = payers + excluded.payers;
        INSERT INTO attribution_revenue (site_id, model, day, channel, campaign, currency, profiles, amount)
          SELECT new.site_id, new.model, new.at / ${DAY}, new.channel, new.campaign, key, 1, value
          FROM json_each(new.revenue) WHERE true
          ON CONFLICT DO UPDATE SET profiles = profiles + 1, amount = amount + excluded.amount;
      END`,
    `CREATE TRIGGER attribution_touches_delete AFTER DELETE ON attribution_touches BEGIN
        UPDATE attribution_days SET visitors = visitors - 1, leads = leads - old.lead,
            customers = customers - (old.payments > 0), payers = payers - (old.paid_after IS NOT NULL)
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / ${DAY}
            AND channel = old.channel AND campaign = old.campaign;
        DELETE FROM attribution_days
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / ${DAY}
            AND channel = old.channel AND campaign = old.campaign AND visitors = 0;
        UPDATE attribution_revenue SET profiles = profiles - 1,
            amount = amount - (SELECT value FROM json_each(old.revenue) AS r WHERE r.key = currency)
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / ${DAY}
            AND channel = old.channel AND campaign = old.campaign
            AND currency IN (SELECT key FROM json_each(old.revenue));
        DELETE FROM attribution_revenue
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / ${DAY}
            AND channel = old.channel AND campaign = old.campaign AND profiles = 0;
      END`,
    `CREATE TRIGGER attribution_profile_insert AFTER INSERT ON profiles WHEN new.merged_into IS NULL BEGIN
        ${touchRows('new')};
      END`,
    `CREATE TRIGGER attribution_profile_update AFTER UPDATE ON profiles
      WHEN ${ATTRIBUTION_COLUMNS.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ')} BEGIN
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'firstTouch'
          AND at = COALESCE(old.first_touch_at, old.first_seen) AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'leadTouch'
          AND at = old.lead_at AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'lastTouch'
          AND at = COALESCE(old.last_touch_at, old.first_touch_at, old.first_seen) AND profile_id = old.id;
        ${touchRows('new', '', 'new.merged_into IS NULL')};
      END`,
    `CREATE TRIGGER attribution_profile_delete AFTER DELETE ON profiles BEGIN
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'firstTouch'
          AND at = COALESCE(old.first_touch_at, old.first_seen) AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'leadTouch'
          AND at = old.lead_at AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'lastTouch'
          AND at = COALESCE(old.last_touch_at, old.first_touch_at, old.first_seen) AND profile_id = old.id;
      END`,
    // Existing live profiles (the trigger on attribution_touches fills the rollups from these rows).
    touchRows('p', 'FROM profiles AS p', 'p.merged_into IS NULL'),
  ],
  // Referrals (issue 3): codes bound to a referrer's identifier (handed out by the API, or a profile id pinned
  // on first use), and one credit per referred profile that became a lead, keyed by the referrer's identifier
  // so a merge or unmerge moves it with that identifier.
  [
    `CREATE TABLE referral_codes (
      site_id TEXT NOT NULL,
      code TEXT NOT NULL,
      key TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, code)
    ) WITHOUT ROWID`,
    'CREATE INDEX referral_codes_key ON referral_codes(site_id, key)',
    `CREATE TABLE referral_credits (
      referred_id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      referrer_key TEXT NOT NULL,
      code TEXT NOT NULL,
      at INTEGER NOT NULL,
      message_id TEXT NOT NULL
    )`,
    'CREATE INDEX referral_credits_referrer ON referral_credits(site_id, referrer_key)',
  ],
  // Dashboard overview (issue 6): the funnel's cohort counts per site, UTC day of first_seen and current stage,
  // kept by triggers on profiles, so a year's funnel sums a few thousand rows instead of counting profiles.
  [
    `CREATE TABLE overview_days (
      site_id TEXT NOT NULL,
      day INTEGER NOT NULL,
      stage TEXT NOT NULL,
      profiles INTEGER NOT NULL,
      PRIMARY KEY (site_id, day, stage)
    ) WITHOUT ROWID`,
    `INSERT INTO overview_days (site_id, day, stage, profiles)
      SELECT site_id, first_seen / ${DAY}, stage, COUNT(*) FROM profiles WHERE merged_into IS NULL GROUP BY 1, 2, 3`,
    `CREATE TRIGGER overview_profile_insert AFTER INSERT ON profiles WHEN new.merged_into IS NULL BEGIN
        ${cohortCount('new', 1)};
      END`,
    `CREATE TRIGGER overview_profile_update AFTER UPDATE ON profiles
      WHEN old.stage IS NOT new.stage OR old.first_seen IS NOT new.first_seen
        OR old.merged_into IS NOT new.merged_into OR old.site_id IS NOT new.site_id BEGIN
        ${cohortCount('old', -1, 'old.merged_into IS NULL')};
        ${cohortCount('new', 1, 'new.merged_into IS NULL')};
        DELETE FROM overview_days WHERE site_id = old.site_id AND day = old.first_seen / ${DAY}
          AND stage = old.stage AND profiles = 0;
      END`,
    `CREATE TRIGGER overview_profile_delete AFTER DELETE ON profiles WHEN old.merged_into IS NULL BEGIN
        ${cohortCount('old', -1)};
        DELETE FROM overview_days WHERE site_id = old.site_id AND day = old.first_seen / ${DAY}
          AND stage = old.stage AND profiles = 0;
      END`,
  ],
  // The profile list's other orders (GET /api/profiles?sort=): each a keyset over (column, id) among live
  // profiles, so a page walks the index from the cursor; last_seen keeps its earlier indexes.
  [
    'CREATE INDEX profiles_first_seen_order ON profiles(first_seen, id) WHERE merged_into IS NULL',
    'CREATE INDEX profiles_event_count_order ON profiles(event_count, id) WHERE merged_into IS NULL',
    'CREATE INDEX profiles_email_order ON profiles(COALESCE(email, char(1114111)), id) WHERE merged_into IS NULL',
  ],
  // When a profile entered qualified, retained and loyal (identity/profile.ts stageTimes), for the overview's
  // median time between every pair of stages; the cohort index covers them, so the overview still reads no row.
  // Profiles written before this version get them at their next write (there is no SQL for the lifecycle rules).
  [
    'ALTER TABLE profiles ADD COLUMN qualified_at INTEGER',
    'ALTER TABLE profiles ADD COLUMN retained_at INTEGER',
    'ALTER TABLE profiles ADD COLUMN loyal_at INTEGER',
    'DROP INDEX IF EXISTS profiles_cohort',
    `CREATE INDEX profiles_cohort
      ON profiles(site_id, first_seen, stage, lead_at, first_payment_at, qualified_at, retained_at, loyal_at)
      WHERE merged_into IS NULL`,
  ],
];

export async function migrate(db: Client): Promise<number> {
  await db.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  for (let i = 0; i < MIGRATIONS.length; i++) {
    const version = i + 1;
    const tx = await db.transaction('write');
    try {
      // Checked inside the write transaction, so two processes starting together apply it once.
      const done = await tx.execute({
        sql: 'SELECT 1 FROM schema_migrations WHERE version = ?',
        args: [version],
      });
      if (done.rows.length === 0) {
        for (const sql of MIGRATIONS[i]) await tx.execute(sql);
        await tx.execute({
          sql: 'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
          args: [version, Date.now()],
        });
      }
      await tx.commit();
    } finally {
      tx.close();
    }
  }
  return MIGRATIONS.length;
}
