// `npm run bench:floors`: what this machine allows before any of Touchpoint's own work is counted, for the two
// speed targets that `npm run bench` and `npm run bench:stitch` miss. Every figure is measured in this run.
//
// 1. The latency floor of ingest over HTTP (issue: p99 < 50 ms at 50 connections of 5-event batches). The same
//    load as `npm run bench` is sent to one collector twice: once to a site that keeps the events, once to a site
//    set to keep nothing before consent, with every event marked as sent without consent. The second collector
//    reads, checks and answers every request the same way and stores nothing, so its p99 is the floor that
//    storage can only add to.
// 2. The write floor of stitching (issue: ≥ 30,000 events/s in bench:stitch). bench:stitch's arrivals interleave
//    across 100,000 profiles, so each event of a 2,000-event commit belongs to a different profile and each one
//    rewrites a profile row. On a file with the collector's schema, pragmas and 100,000 profiles, touched in the
//    order bench:stitch touches them, this times the bare SQL every such event needs at least: the event's
//    insert, and one UPDATE of its profile's last seen, count and fold state, with the shipped indexes and again
//    without the 11 that key on last seen or count. The identity work itself (look-ups, decisions, the fold,
//    the change log) comes on top.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { emptyProfile } from '../../collector/identity/profile.ts';
import { openStore } from '../../collector/store/open.ts';
import { type Load, loadOver, startCollector, stopCollectors } from './http-load.ts';

const dir = mkdtempSync(join(tmpdir(), 'tp-floors-'));

// ---- 1. The latency floor over HTTP ----

async function ingest(keep: boolean): Promise<Load & { stored: number }> {
  const url = `file:${join(dir, keep ? 'keep.db' : 'nothing.db')}`;
  const store = await openStore({ url });
  const { site } = await store.sites.create('bench', ['https://shop.example']);
  if (!keep) await store.sites.setSettings(site.id, { consent: { beforeConsent: 'nothing' } });
  await store.close();
  const result = await loadOver([await startCollector(url)], site.siteKey, {
    consent: keep ? undefined : false,
  });
  await stopCollectors();
  const check = new Database(url.slice('file:'.length));
  const { n } = check.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number };
  check.close();
  return { ...result, stored: n };
}

console.log('1. ingest over HTTP, one collector (50 connections, 5-event batches)');
const kept = await ingest(true);
const nothing = await ingest(false);
const line = (label: string, r: Load & { stored: number }) =>
  console.log(
    `   ${label.padEnd(52)} ${Math.round(r.perSecond).toString().padStart(6)} events/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(4)} ms  (${r.non2xx} non-2xx, ${r.stored} stored)`,
  );
line('events stored and stitched', kept);
line('floor: the same requests answered, nothing stored', nothing);
console.log(
  `   p99 target < 50 ms: stored ${kept.p99} ms; with nothing stored ${nothing.p99} ms (${nothing.p99 < 50 ? 'below' : 'at or above'} the target)\n`,
);

// ---- 2. The write floor of stitching ----

const PROFILES = Number(process.env.BENCH_PROFILES ?? 100_000);
const PER_COMMIT = 2_000;
const COMMITS = 20;
const file = join(dir, 'floor.db');
const made = await openStore({ url: `file:${file}` });
const { site } = await made.sites.create('Floor', ['https://shop.example']);
await made.close();

// The connection as the collector's writer opens it (collector/store/libsql/native.ts).
const db = new Database(file);
db.exec('PRAGMA synchronous=FULL');
db.exec('PRAGMA secure_delete=ON');
db.exec('PRAGMA cache_size=-32768');

const T0 = Date.parse('2024-01-01T00:00:00Z');
/** A page-only profile's fold state, as the store keeps it (JSON of identity/profile.ts's ProfileState). */
const state = (seen: number, count: number) =>
  JSON.stringify({
    ...emptyProfile(),
    firstSeen: T0,
    lastSeen: seen,
    lastKey: [seen, ''],
    eventCount: count,
  });
const ids: string[] = [];
const insertProfile = db.prepare(
  `INSERT INTO profiles (id, site_id, stage, first_seen, last_seen, event_count, state, channel)
   VALUES (?, ?, 'reach', ?, ?, 1, ?, ?)`,
);
db.exec('BEGIN');
for (let p = 0; p < PROFILES; p++) {
  const id = `p${String(p).padStart(15, '0')}`;
  ids.push(id);
  insertProfile.run([id, site.id, T0 + p, T0 + p, state(T0 + p, 1), p % 3 ? 'Direct' : 'Organic Search']);
}
db.exec('COMMIT');
db.exec('PRAGMA wal_checkpoint(TRUNCATE)');

const seen = new Map<string, { at: number; count: number }>();
let serial = 0;

/** µs per profile: COMMITS transactions of PER_COMMIT profiles, each a different one, commit included. */
function timeUpdates(): number {
  const update = db.prepare('UPDATE profiles SET last_seen = ?, event_count = ?, state = ? WHERE id = ?');
  const started = performance.now();
  for (let c = 0; c < COMMITS; c++) {
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < PER_COMMIT; i++) {
      // In the order bench:stitch's arrivals touch them: profile i mod PROFILES.
      const id = ids[serial++ % PROFILES];
      const s = seen.get(id) ?? { at: T0, count: 1 };
      s.at += 3_600_000;
      s.count++;
      seen.set(id, s);
      update.run([s.at, s.count, state(s.at, s.count), id]);
    }
    db.exec('COMMIT');
  }
  return ((performance.now() - started) * 1000) / (COMMITS * PER_COMMIT);
}

/** µs per event: the events insert of one commit (collector/store/libsql/events.ts), 100 rows per statement. */
function timeInserts(): number {
  const row = `(${Array(11).fill('?').join(', ')})`;
  const insert = db.prepare(
    `INSERT INTO events (site_id, message_id, type, event, ident, anonymous_id, user_id, ts, received_at, body, proof)
     VALUES ${Array(100).fill(row).join(', ')} ON CONFLICT DO NOTHING RETURNING message_id`,
  );
  const started = performance.now();
  for (let c = 0; c < COMMITS; c++) {
    db.exec('BEGIN IMMEDIATE');
    for (let part = 0; part < PER_COMMIT / 100; part++) {
      const args: (string | number | null)[] = [];
      for (let i = 0; i < 100; i++) {
        const n = serial++;
        const anon = `anon-${n % PROFILES}`;
        const ts = T0 + n;
        const body = JSON.stringify({
          messageId: `f${n}`,
          anonymousId: anon,
          timestamp: new Date(ts).toISOString(),
          type: 'page',
          context: { page: { url: 'https://shop.example/docs', path: '/docs', referrer: '' } },
        });
        args.push(site.id, `f${n}`, 'page', null, `a:${anon}`, anon, null, ts, ts, body, null);
      }
      insert.all(args);
    }
    db.exec('COMMIT');
  }
  return ((performance.now() - started) * 1000) / (COMMITS * PER_COMMIT);
}

const moving = (
  db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'profiles'
         AND (sql LIKE '%last_seen%' OR sql LIKE '%event_count%')`,
    )
    .all() as { name: string }[]
).map((r) => r.name);
const insertUs = timeInserts();
const shipped = timeUpdates();
for (const name of moving) db.exec(`DROP INDEX ${name}`);
const bare = timeUpdates();
db.close();
rmSync(dir, { recursive: true, force: true });

const ceiling = (us: number) => Math.round(1e6 / us).toLocaleString('en-US');
console.log(
  `2. bare writes on a file of ${PROFILES.toLocaleString('en-US')} profiles, ${PER_COMMIT} per commit, ${COMMITS} commits, each a different profile`,
);
const us = (label: string, x: number) => console.log(`   ${label.padEnd(62)} ${x.toFixed(1).padStart(6)} µs`);
us('insert one event', insertUs);
us('update one profile, with the shipped indexes', shipped);
us(`update one profile, without the ${moving.length} indexes on last seen or count`, bare);
console.log(
  `   ceiling from these two statements alone: ${ceiling(insertUs + shipped)} events/s as shipped, ` +
    `${ceiling(insertUs + bare)} events/s without those indexes (target: 30,000)`,
);
