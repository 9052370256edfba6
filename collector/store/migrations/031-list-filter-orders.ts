// Migration 031: frozen once released; a change to the schema is a new numbered file.
// The profile list at 1M profiles, for every filter the dashboard offers in every order (issue 15):
// - stage, channel or status in any order: an index per filter and order, so the page is a seek however the
//   filter and the order are related (the oldest first-seen profiles are rarely active: walking the first-seen
//   order for active ones read 900k rows, and sorting every active one read 100k). First seen and the other two
//   filters ride at the end of each, so a second filter or a first-seen range is checked inside the index;
// - a first-seen range (the funnel's click-through, the from/to filter) in an order other than first seen: the
//   profiles are indexed by 32-day bucket of first seen and stage, then the order, with first seen, status and
//   channel beside them. A range is a few buckets; each stage of each is walked in order (the edge buckets
//   filtered on first seen inside the index) and their pages merge.
const FILTERS = ['stage', 'channel', 'status'];
const ORDERS: [string, string][] = [
  ['last_seen', 'last_seen'],
  ['first_seen', 'first_seen'],
  ['event_count', 'event_count'],
  ['email', 'COALESCE(email, char(1114111))'],
];
/** 32 days in ms: first_seen / BUCKET is the bucket (libsql/profiles.ts says the same). */
const BUCKET = 32 * 86_400_000;

/** What rides at the end of filter `f`'s index in order `name`: first seen and the other filters. */
const beside = (f: string, name: string) =>
  ['first_seen', ...FILTERS].filter((c) => c !== f && c !== name).join(', ');

export default [
  // migration 029's filter indexes (by last seen) become the first of each filter's set
  `DROP INDEX profiles_list_stage`,
  `DROP INDEX profiles_list_channel`,
  `DROP INDEX profiles_list_status`,
  ...FILTERS.flatMap((f) =>
    ORDERS.map(
      ([name, column]) =>
        `CREATE INDEX profiles_list_${f}_${name} ON profiles(site_id, ${f}, ${column}, id, ${beside(f, name)})
          WHERE merged_into IS NULL`,
    ),
  ),
  ...ORDERS.filter(([name]) => name !== 'first_seen').map(
    ([name, column]) =>
      `CREATE INDEX profiles_list_bucket_${name} ON profiles(site_id, first_seen / ${BUCKET}, stage, ${column}, id,
        first_seen, status, channel) WHERE merged_into IS NULL`,
  ),
];
