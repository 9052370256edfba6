// Migration 030: frozen once released; a change to the schema is a new numbered file.
// Dashboard at scale (issue 15): the overview's medians between stages and its new leads and customers per day
// come from distributions that triggers on profiles keep, so a year's overview reads a few thousand rows however
// many profiles there are, instead of walking every profile's index entry in the range.
//
// Intervals. A live profile has one sample per interval whose two stage times are set and in order (the later not
// before the earlier): its kind ('reach-lead', …, 'reach-customer', as the overview lists them) and its length in
// whole hours ((later - earlier) / 3600000), filed under the UTC day of the profile's first_seen (the cohort the
// overview counts). Each sample is counted four times, so that a median over any range of days reads a bounded
// number of rows: by band of 32 hours (`band` = hours / 32) and by hour, each per day and per aligned block of 32
// days (`span` 1 or 32; `day` is the unit's first day). The overview finds the band holding a median from the band
// counts, then its hour from the hour counts of that band alone; whole blocks stand for their 32 days.
//
// Moments. New leads (lead_at) and new customers (first_payment_at) of live profiles, counted per UTC day and per
// UTC day and quarter hour: a local day is a UTC day's count moved by the quarters of the zone's offset.
//
// The triggers on profiles are short on purpose: SQLite compiles every trigger of a table into each statement that
// writes it, and the client prepares a statement on every call. A profile's change is netted into a few samples
// (what the old row gave taken away, what the new one gives added, unchanged ones cancelled) and inserted into a
// view whose INSTEAD OF trigger files each sample under its keys.
const DAY = 86_400_000;
const HOUR = 3_600_000;
const QUARTER = 900_000;

/** Each interval's kind and its length in ms from a row `x` of stage times f, l, q, p, r, y (see `live`). */
const LENGTH = `CASE k.column1 WHEN 'reach-lead' THEN x.l - x.f WHEN 'lead-qualified' THEN x.q - x.l
      WHEN 'qualified-customer' THEN x.p - x.q WHEN 'customer-retained' THEN x.r - x.p
      WHEN 'retained-loyal' THEN x.y - x.r ELSE x.p - x.f END`;
const KINDS = `(VALUES ('reach-lead'), ('lead-qualified'), ('qualified-customer'), ('customer-retained'),
      ('retained-loyal'), ('reach-customer')) AS k`;
const MOMENT = `CASE k.column1 WHEN 'lead' THEN x.l ELSE x.p END`;
const MOMENT_KINDS = `(VALUES ('lead'), ('customer')) AS k`;

/** Profile row `r` (old or new, or `p` of profiles) counting `n`, if live: its site and stage times. */
const live = (r: string, n: number) =>
  `SELECT ${r}.site_id AS site_id, ${r}.first_seen AS f, ${r}.lead_at AS l, ${r}.qualified_at AS q,
      ${r}.first_payment_at AS p, ${r}.retained_at AS r, ${r}.loyal_at AS y, ${n} AS n
      ${r === 'p' ? 'FROM profiles AS p' : ''} WHERE ${r}.merged_into IS NULL`;

/** The interval samples of the rows `rows`, netted: site_id, day, kind, hours, n. */
const intervalSamples = (rows: string) =>
  `SELECT site_id, day, kind, ms / ${HOUR} AS hours, SUM(n) AS n FROM (
      SELECT x.site_id AS site_id, x.f / ${DAY} AS day, k.column1 AS kind, ${LENGTH} AS ms, x.n AS n
      FROM (${rows}) AS x, ${KINDS}
    ) WHERE ms >= 0 GROUP BY site_id, day, kind, hours HAVING SUM(n) <> 0`;
const momentSamples = (rows: string) =>
  `SELECT site_id, kind, at, SUM(n) AS n FROM (
      SELECT x.site_id AS site_id, k.column1 AS kind, ${MOMENT} AS at, x.n AS n FROM (${rows}) AS x, ${MOMENT_KINDS}
    ) WHERE at IS NOT NULL GROUP BY site_id, kind, at HAVING SUM(n) <> 0`;

const SPANS = '(SELECT 1 AS span UNION ALL SELECT 32)';
const ADD = 'ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles';

/**
 * The insert, update and delete triggers that put a profile's netted samples into `view`; they depend on `columns`,
 * and a row with none of `needs` set (a visitor not yet a lead) has none, so costs a write only the check.
 */
function triggers(
  name: string,
  view: string,
  samples: (rows: string) => string,
  columns: string[],
  needs: string[],
): string[] {
  const has = (...rs: string[]) =>
    `COALESCE(${rs.flatMap((r) => needs.map((c) => `${r}.${c}`)).join(', ')}) IS NOT NULL`;
  const changed = [
    '(old.merged_into IS NULL) IS NOT (new.merged_into IS NULL)',
    'old.site_id IS NOT new.site_id',
    ...columns.map((c) => `old.${c} IS NOT new.${c}`),
  ].join(' OR ');
  const put = (rows: string) => `INSERT INTO ${view} ${samples(rows)};`;
  return [
    `CREATE TRIGGER ${name}_insert AFTER INSERT ON profiles WHEN new.merged_into IS NULL AND ${has('new')} BEGIN
        ${put(live('new', 1))}
      END`,
    `CREATE TRIGGER ${name}_update AFTER UPDATE ON profiles WHEN ${has('old', 'new')} AND (${changed}) BEGIN
        ${put(`${live('old', -1)} UNION ALL ${live('new', 1)}`)}
      END`,
    `CREATE TRIGGER ${name}_delete AFTER DELETE ON profiles WHEN old.merged_into IS NULL AND ${has('old')} BEGIN
        ${put(live('old', -1))}
      END`,
  ];
}

/** Each distribution table and its primary key. */
const TABLES: [string, string[]][] = [
  ['overview_interval_bands', ['site_id', 'span', 'day', 'kind', 'band']],
  ['overview_interval_hours', ['site_id', 'kind', 'band', 'span', 'day', 'hours']],
  ['overview_moment_days', ['site_id', 'kind', 'day']],
  ['overview_moment_quarters', ['site_id', 'kind', 'day', 'quarter']],
];

export default [
  `CREATE TABLE overview_interval_bands (
      site_id TEXT NOT NULL,
      span INTEGER NOT NULL,
      day INTEGER NOT NULL,
      kind TEXT NOT NULL,
      band INTEGER NOT NULL,
      profiles INTEGER NOT NULL,
      PRIMARY KEY (site_id, span, day, kind, band)
    ) WITHOUT ROWID`,
  // keyed by kind and band first: the overview reads one band of one kind over a range of days
  `CREATE TABLE overview_interval_hours (
      site_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      band INTEGER NOT NULL,
      span INTEGER NOT NULL,
      day INTEGER NOT NULL,
      hours INTEGER NOT NULL,
      profiles INTEGER NOT NULL,
      PRIMARY KEY (site_id, kind, band, span, day, hours)
    ) WITHOUT ROWID`,
  `CREATE TABLE overview_moment_days (
      site_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      day INTEGER NOT NULL,
      profiles INTEGER NOT NULL,
      PRIMARY KEY (site_id, kind, day)
    ) WITHOUT ROWID`,
  `CREATE TABLE overview_moment_quarters (
      site_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      day INTEGER NOT NULL,
      quarter INTEGER NOT NULL,
      profiles INTEGER NOT NULL,
      PRIMARY KEY (site_id, kind, day, quarter)
    ) WITHOUT ROWID`,
  // Where the triggers on profiles put their samples (`n` profiles each, -1 for one gone): nothing is stored in
  // the views; their INSTEAD OF triggers add each sample to the tables under its keys.
  `CREATE VIEW overview_interval_samples (site_id, day, kind, hours, n) AS SELECT '', 0, '', 0, 0 WHERE false`,
  `CREATE TRIGGER overview_interval_samples_insert INSTEAD OF INSERT ON overview_interval_samples BEGIN
        INSERT INTO overview_interval_bands (site_id, span, day, kind, band, profiles)
          SELECT new.site_id, span, new.day / span * span, new.kind, new.hours / 32, new.n FROM ${SPANS} WHERE true
          ${ADD};
        INSERT INTO overview_interval_hours (site_id, kind, band, span, day, hours, profiles)
          SELECT new.site_id, new.kind, new.hours / 32, span, new.day / span * span, new.hours, new.n FROM ${SPANS}
          WHERE true ${ADD};
      END`,
  `CREATE VIEW overview_moment_samples (site_id, kind, at, n) AS SELECT '', '', 0, 0 WHERE false`,
  `CREATE TRIGGER overview_moment_samples_insert INSTEAD OF INSERT ON overview_moment_samples BEGIN
        INSERT INTO overview_moment_days (site_id, kind, day, profiles) VALUES (new.site_id, new.kind, new.at / ${DAY}, new.n)
          ${ADD};
        INSERT INTO overview_moment_quarters (site_id, kind, day, quarter, profiles)
          VALUES (new.site_id, new.kind, new.at / ${DAY}, new.at % ${DAY} / ${QUARTER}, new.n) ${ADD};
      END`,
  // A count that reaches nought is dropped: the tables hold no row for a key no live profile is in.
  ...TABLES.map(
    ([
      table,
      key,
    ]) => `CREATE TRIGGER ${table}_empty AFTER UPDATE OF profiles ON ${table} WHEN new.profiles = 0 BEGIN
        DELETE FROM ${table} WHERE ${key.map((k) => `${k} = new.${k}`).join(' AND ')};
      END`,
  ),
  // every interval needs lead_at, first_payment_at or retained_at (its later end, or both ends, are one of them)
  ...triggers(
    'overview_intervals',
    'overview_interval_samples',
    intervalSamples,
    ['first_seen', 'lead_at', 'qualified_at', 'first_payment_at', 'retained_at', 'loyal_at'],
    ['lead_at', 'first_payment_at', 'retained_at'],
  ),
  ...triggers(
    'overview_moments',
    'overview_moment_samples',
    momentSamples,
    ['lead_at', 'first_payment_at'],
    ['lead_at', 'first_payment_at'],
  ),
  // The backfill: every live profile's samples, through the views.
  `INSERT INTO overview_interval_samples ${intervalSamples(live('p', 1))}`,
  `INSERT INTO overview_moment_samples ${momentSamples(live('p', 1))}`,
];
