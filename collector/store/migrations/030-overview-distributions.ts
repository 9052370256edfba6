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
const DAY = 86_400_000;
const HOUR = 3_600_000;
const QUARTER = 900_000;

/** Where a table's rows come from: a key expression per column, read from profile row `r`, and when it has one. */
type Source = { key: Record<string, string>; when: string; spans: boolean };

const intervals = (r: string): Source[] =>
  [
    ['reach-lead', 'first_seen', 'lead_at'],
    ['lead-qualified', 'lead_at', 'qualified_at'],
    ['qualified-customer', 'qualified_at', 'first_payment_at'],
    ['customer-retained', 'first_payment_at', 'retained_at'],
    ['retained-loyal', 'retained_at', 'loyal_at'],
    ['reach-customer', 'first_seen', 'first_payment_at'],
  ].map(([kind, a, b]) => ({
    key: {
      site_id: `${r}.site_id`,
      kind: `'${kind}'`,
      span: 'u.span',
      day: `${r}.first_seen / ${DAY} / u.span * u.span`,
      band: `(${r}.${b} - ${r}.${a}) / ${HOUR} / 32`,
      hours: `(${r}.${b} - ${r}.${a}) / ${HOUR}`,
    },
    when: `${r}.merged_into IS NULL AND ${r}.${b} >= ${r}.${a}`,
    spans: true,
  }));

const moments = (r: string): Source[] =>
  [
    ['lead', 'lead_at'],
    ['customer', 'first_payment_at'],
  ].map(([kind, at]) => ({
    key: {
      site_id: `${r}.site_id`,
      kind: `'${kind}'`,
      day: `${r}.${at} / ${DAY}`,
      quarter: `${r}.${at} % ${DAY} / ${QUARTER}`,
    },
    when: `${r}.merged_into IS NULL AND ${r}.${at} IS NOT NULL`,
    spans: false,
  }));

/** Each table, its primary key, and the sources of its rows. */
const TABLES: { table: string; key: string[]; sources: (r: string) => Source[] }[] = [
  { table: 'overview_interval_bands', key: ['site_id', 'span', 'day', 'kind', 'band'], sources: intervals },
  {
    table: 'overview_interval_hours',
    key: ['site_id', 'kind', 'band', 'span', 'day', 'hours'],
    sources: intervals,
  },
  { table: 'overview_moment_days', key: ['site_id', 'kind', 'day'], sources: moments },
  { table: 'overview_moment_quarters', key: ['site_id', 'kind', 'day', 'quarter'], sources: moments },
];
type Table = (typeof TABLES)[number];

/** Row `r`'s rows of the table, each counting `n` (in a trigger `r` is new or old; `p` reads every profile). */
const rowsOf = ({ key, sources }: Table, r: string, n: number) =>
  sources(r)
    .map((s) => {
      const from = [
        r === 'p' ? 'profiles AS p' : '',
        s.spans ? '(SELECT 1 AS span UNION ALL SELECT 32) AS u' : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `SELECT ${key.map((k) => `${s.key[k]} AS ${k}`).join(', ')}, ${n} AS n ${from ? `FROM ${from}` : ''}
          WHERE ${s.when}`;
    })
    .join(' UNION ALL ');

/** Adds the rows (summed per key; keys whose sum is nought are left alone) to the table. */
const add = (t: Table, rows: string) =>
  `INSERT INTO ${t.table} (${t.key.join(', ')}, profiles)
          SELECT ${t.key.join(', ')}, SUM(n) FROM (${rows}) WHERE true GROUP BY ${t.key.join(', ')} HAVING SUM(n) <> 0
          ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles;`;
/**
 * The insert, update and delete triggers that keep `tables`, whose rows depend on `columns` and need one of `needs`
 * set: a profile with none of them (a visitor not yet a lead) costs a write nothing but the check.
 */
function triggers(name: string, tables: Table[], columns: string[], needs: string[]): string[] {
  const has = (...rs: string[]) =>
    `COALESCE(${rs.flatMap((r) => needs.map((c) => `${r}.${c}`)).join(', ')}) IS NOT NULL`;
  const changed = [
    '(old.merged_into IS NULL) IS NOT (new.merged_into IS NULL)',
    'old.site_id IS NOT new.site_id',
    ...columns.map((c) => `old.${c} IS NOT new.${c}`),
  ].join('\n        OR ');
  const body = (statements: string[]) => statements.join('\n        ');
  return [
    `CREATE TRIGGER ${name}_insert AFTER INSERT ON profiles WHEN new.merged_into IS NULL AND ${has('new')} BEGIN
        ${body(tables.map((t) => add(t, rowsOf(t, 'new', 1))))}
      END`,
    // one statement per table: what the old row gave is taken away and what the new one gives added, netted per key
    `CREATE TRIGGER ${name}_update AFTER UPDATE ON profiles
      WHEN ${has('old', 'new')} AND (${changed}) BEGIN
        ${body(tables.map((t) => add(t, `${rowsOf(t, 'old', -1)} UNION ALL ${rowsOf(t, 'new', 1)}`)))}
      END`,
    `CREATE TRIGGER ${name}_delete AFTER DELETE ON profiles WHEN old.merged_into IS NULL AND ${has('old')} BEGIN
        ${body(tables.map((t) => add(t, rowsOf(t, 'old', -1))))}
      END`,
  ];
}

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
  ...TABLES.map(
    (t) => `INSERT INTO ${t.table} (${t.key.join(', ')}, profiles)
      SELECT ${t.key.join(', ')}, COUNT(*) FROM (${rowsOf(t, 'p', 1)}) GROUP BY ${t.key.join(', ')}`,
  ),
  // a count that reaches nought is dropped: the tables hold no row for a key no live profile is in
  ...TABLES.map(
    (t) => `CREATE TRIGGER ${t.table}_empty AFTER UPDATE OF profiles ON ${t.table} WHEN new.profiles = 0 BEGIN
        DELETE FROM ${t.table} WHERE ${t.key.map((k) => `${k} = new.${k}`).join(' AND ')};
      END`,
  ),
  // every interval needs lead_at, first_payment_at or retained_at (its later end, or both ends, are one of them)
  ...triggers(
    'overview_intervals',
    TABLES.slice(0, 2),
    ['first_seen', 'lead_at', 'qualified_at', 'first_payment_at', 'retained_at', 'loyal_at'],
    ['lead_at', 'first_payment_at', 'retained_at'],
  ),
  ...triggers(
    'overview_moments',
    TABLES.slice(2),
    ['lead_at', 'first_payment_at'],
    ['lead_at', 'first_payment_at'],
  ),
];
