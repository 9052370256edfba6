// Migration 010: frozen once released; a change to the schema is a new numbered file.
// Dashboard (issue 6): profile search and attribution rollups, kept in step with profile rows by triggers,
// so every write of a profile (a group commit, a merge, a manual stage) updates them in its own transaction.
export default [
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
  `CREATE INDEX attribution_median ON attribution_touches(model, channel, campaign, paid_after, site_id, at)
      WHERE paid_after IS NOT NULL`,
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
          VALUES (new.site_id, new.model, new.at / 86400000, new.channel, new.campaign, 1, new.lead, new.payments > 0,
            new.paid_after IS NOT NULL)
          ON CONFLICT DO UPDATE SET visitors = visitors + 1, leads = leads + excluded.leads,
            customers = customers + excluded.customers, payers = payers + excluded.payers;
        INSERT INTO attribution_revenue (site_id, model, day, channel, campaign, currency, profiles, amount)
          SELECT new.site_id, new.model, new.at / 86400000, new.channel, new.campaign, key, 1, value
          FROM json_each(new.revenue) WHERE true
          ON CONFLICT DO UPDATE SET profiles = profiles + 1, amount = amount + excluded.amount;
      END`,
  `CREATE TRIGGER attribution_touches_delete AFTER DELETE ON attribution_touches BEGIN
        UPDATE attribution_days SET visitors = visitors - 1, leads = leads - old.lead,
            customers = customers - (old.payments > 0), payers = payers - (old.paid_after IS NOT NULL)
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / 86400000
            AND channel = old.channel AND campaign = old.campaign;
        DELETE FROM attribution_days
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / 86400000
            AND channel = old.channel AND campaign = old.campaign AND visitors = 0;
        UPDATE attribution_revenue SET profiles = profiles - 1,
            amount = amount - (SELECT value FROM json_each(old.revenue) AS r WHERE r.key = currency)
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / 86400000
            AND channel = old.channel AND campaign = old.campaign
            AND currency IN (SELECT key FROM json_each(old.revenue));
        DELETE FROM attribution_revenue
          WHERE site_id = old.site_id AND model = old.model AND day = old.at / 86400000
            AND channel = old.channel AND campaign = old.campaign AND profiles = 0;
      END`,
  `CREATE TRIGGER attribution_profile_insert AFTER INSERT ON profiles WHEN new.merged_into IS NULL BEGIN
        INSERT INTO attribution_touches (site_id, model, at, profile_id, channel, campaign, first_at, lead, payments,
      first_payment_at, revenue, paid_after)
    SELECT new.site_id, 'firstTouch', COALESCE(new.first_touch_at, new.first_seen), new.id, COALESCE(new.channel, 'Direct'), COALESCE(new.first_campaign, ''), COALESCE(new.first_touch_at, new.first_seen),
      new.lead_at IS NOT NULL, new.payment_count, new.first_payment_at, new.revenue,
      CASE WHEN new.payment_count > 0 AND new.first_payment_at IS NOT NULL
        THEN MAX(0, new.first_payment_at - COALESCE(new.first_touch_at, new.first_seen)) END
       WHERE (true) AND COALESCE(new.first_touch_at, new.first_seen) IS NOT NULL UNION ALL SELECT new.site_id, 'leadTouch', new.lead_at, new.id, COALESCE(new.lead_channel, 'Direct'), COALESCE(new.lead_campaign, ''), COALESCE(new.first_touch_at, new.first_seen),
      new.lead_at IS NOT NULL, new.payment_count, new.first_payment_at, new.revenue,
      CASE WHEN new.payment_count > 0 AND new.first_payment_at IS NOT NULL
        THEN MAX(0, new.first_payment_at - COALESCE(new.first_touch_at, new.first_seen)) END
       WHERE (true) AND new.lead_at IS NOT NULL UNION ALL SELECT new.site_id, 'lastTouch', COALESCE(new.last_touch_at, new.first_touch_at, new.first_seen), new.id, COALESCE(new.last_channel, new.channel, 'Direct'), COALESCE(new.last_campaign, ''), COALESCE(new.first_touch_at, new.first_seen),
      new.lead_at IS NOT NULL, new.payment_count, new.first_payment_at, new.revenue,
      CASE WHEN new.payment_count > 0 AND new.first_payment_at IS NOT NULL
        THEN MAX(0, new.first_payment_at - COALESCE(new.first_touch_at, new.first_seen)) END
       WHERE (true) AND COALESCE(new.last_touch_at, new.first_touch_at, new.first_seen) IS NOT NULL;
      END`,
  `CREATE TRIGGER attribution_profile_update AFTER UPDATE ON profiles
      WHEN old.site_id IS NOT new.site_id OR old.merged_into IS NOT new.merged_into OR old.first_seen IS NOT new.first_seen OR old.first_touch_at IS NOT new.first_touch_at OR old.channel IS NOT new.channel OR old.first_campaign IS NOT new.first_campaign OR old.lead_at IS NOT new.lead_at OR old.lead_channel IS NOT new.lead_channel OR old.lead_campaign IS NOT new.lead_campaign OR old.last_touch_at IS NOT new.last_touch_at OR old.last_channel IS NOT new.last_channel OR old.last_campaign IS NOT new.last_campaign OR old.payment_count IS NOT new.payment_count OR old.first_payment_at IS NOT new.first_payment_at OR old.revenue IS NOT new.revenue BEGIN
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'firstTouch'
          AND at = COALESCE(old.first_touch_at, old.first_seen) AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'leadTouch'
          AND at = old.lead_at AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'lastTouch'
          AND at = COALESCE(old.last_touch_at, old.first_touch_at, old.first_seen) AND profile_id = old.id;
        INSERT INTO attribution_touches (site_id, model, at, profile_id, channel, campaign, first_at, lead, payments,
      first_payment_at, revenue, paid_after)
    SELECT new.site_id, 'firstTouch', COALESCE(new.first_touch_at, new.first_seen), new.id, COALESCE(new.channel, 'Direct'), COALESCE(new.first_campaign, ''), COALESCE(new.first_touch_at, new.first_seen),
      new.lead_at IS NOT NULL, new.payment_count, new.first_payment_at, new.revenue,
      CASE WHEN new.payment_count > 0 AND new.first_payment_at IS NOT NULL
        THEN MAX(0, new.first_payment_at - COALESCE(new.first_touch_at, new.first_seen)) END
       WHERE (new.merged_into IS NULL) AND COALESCE(new.first_touch_at, new.first_seen) IS NOT NULL UNION ALL SELECT new.site_id, 'leadTouch', new.lead_at, new.id, COALESCE(new.lead_channel, 'Direct'), COALESCE(new.lead_campaign, ''), COALESCE(new.first_touch_at, new.first_seen),
      new.lead_at IS NOT NULL, new.payment_count, new.first_payment_at, new.revenue,
      CASE WHEN new.payment_count > 0 AND new.first_payment_at IS NOT NULL
        THEN MAX(0, new.first_payment_at - COALESCE(new.first_touch_at, new.first_seen)) END
       WHERE (new.merged_into IS NULL) AND new.lead_at IS NOT NULL UNION ALL SELECT new.site_id, 'lastTouch', COALESCE(new.last_touch_at, new.first_touch_at, new.first_seen), new.id, COALESCE(new.last_channel, new.channel, 'Direct'), COALESCE(new.last_campaign, ''), COALESCE(new.first_touch_at, new.first_seen),
      new.lead_at IS NOT NULL, new.payment_count, new.first_payment_at, new.revenue,
      CASE WHEN new.payment_count > 0 AND new.first_payment_at IS NOT NULL
        THEN MAX(0, new.first_payment_at - COALESCE(new.first_touch_at, new.first_seen)) END
       WHERE (new.merged_into IS NULL) AND COALESCE(new.last_touch_at, new.first_touch_at, new.first_seen) IS NOT NULL;
      END`,
  `CREATE TRIGGER attribution_profile_delete AFTER DELETE ON profiles BEGIN
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'firstTouch'
          AND at = COALESCE(old.first_touch_at, old.first_seen) AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'leadTouch'
          AND at = old.lead_at AND profile_id = old.id;
        DELETE FROM attribution_touches WHERE site_id = old.site_id AND model = 'lastTouch'
          AND at = COALESCE(old.last_touch_at, old.first_touch_at, old.first_seen) AND profile_id = old.id;
      END`,
  `INSERT INTO attribution_touches (site_id, model, at, profile_id, channel, campaign, first_at, lead, payments,
      first_payment_at, revenue, paid_after)
    SELECT p.site_id, 'firstTouch', COALESCE(p.first_touch_at, p.first_seen), p.id, COALESCE(p.channel, 'Direct'), COALESCE(p.first_campaign, ''), COALESCE(p.first_touch_at, p.first_seen),
      p.lead_at IS NOT NULL, p.payment_count, p.first_payment_at, p.revenue,
      CASE WHEN p.payment_count > 0 AND p.first_payment_at IS NOT NULL
        THEN MAX(0, p.first_payment_at - COALESCE(p.first_touch_at, p.first_seen)) END
      FROM profiles AS p WHERE (p.merged_into IS NULL) AND COALESCE(p.first_touch_at, p.first_seen) IS NOT NULL UNION ALL SELECT p.site_id, 'leadTouch', p.lead_at, p.id, COALESCE(p.lead_channel, 'Direct'), COALESCE(p.lead_campaign, ''), COALESCE(p.first_touch_at, p.first_seen),
      p.lead_at IS NOT NULL, p.payment_count, p.first_payment_at, p.revenue,
      CASE WHEN p.payment_count > 0 AND p.first_payment_at IS NOT NULL
        THEN MAX(0, p.first_payment_at - COALESCE(p.first_touch_at, p.first_seen)) END
      FROM profiles AS p WHERE (p.merged_into IS NULL) AND p.lead_at IS NOT NULL UNION ALL SELECT p.site_id, 'lastTouch', COALESCE(p.last_touch_at, p.first_touch_at, p.first_seen), p.id, COALESCE(p.last_channel, p.channel, 'Direct'), COALESCE(p.last_campaign, ''), COALESCE(p.first_touch_at, p.first_seen),
      p.lead_at IS NOT NULL, p.payment_count, p.first_payment_at, p.revenue,
      CASE WHEN p.payment_count > 0 AND p.first_payment_at IS NOT NULL
        THEN MAX(0, p.first_payment_at - COALESCE(p.first_touch_at, p.first_seen)) END
      FROM profiles AS p WHERE (p.merged_into IS NULL) AND COALESCE(p.last_touch_at, p.first_touch_at, p.first_seen) IS NOT NULL`,
];
