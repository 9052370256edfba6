// Shared by the stitching property tests: generated histories, a fresh database behind the real writer, and
// a snapshot of every live profile without generated ids.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type Client as Db, createClient } from '@libsql/client';
import { prepareEvent } from '../../collector/ingest/prepare.ts';
import { openStore } from '../../collector/store/open.ts';
import type { WireEvent } from '../../wire.ts';
import { migratedCopy } from '../support/migrated.ts';

export const T0 = Date.parse('2024-03-01T00:00:00Z');

export const anon = fc.constantFrom('A', 'B', 'C');
export const email = fc.constantFrom('ann@acme.com', 'bob@acme.com', 'info@acme.com', 'ann@shop.example');
export const user = fc.constantFrom('u1', 'u2', '0');
export const eventArb = fc.oneof(
  fc.record({
    kind: fc.constant('page' as const),
    anon,
    path: fc.constantFrom('/', '/pricing'),
    ref: fc.constantFrom('', 'https://www.google.com/', 'https://shop.example/'),
    // A referral code: the site's user ids work as codes, so a referred lead credits whoever holds u1 or u2.
    code: fc.constantFrom('', '', 'u1', 'u2'),
  }),
  fc.record({
    kind: fc.constant('identify' as const),
    anon,
    user: fc.option(user, { nil: undefined }),
    email: fc.option(email, { nil: undefined }),
    name: fc.constantFrom('Ann', 'Bob', ''),
  }),
  fc.record({ kind: fc.constant('form' as const), anon, email, phone: fc.constantFrom('+442079460958', '') }),
  fc.record({ kind: fc.constant('order' as const), anon, order: fc.constantFrom('o1', 'o2', 'o3') }),
);
export type Gen = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;

// Histories dense in referrals: browsers landing with ?ref=u1|u2 and leaving emails, browsers logging in as
// u1 or u2 (B and C do both, so self-referrals and merges of referrer and referred happen too).
export const browser = fc.constantFrom('A', 'B', 'C');
export const referralArb: fc.Arbitrary<Gen> = fc.oneof(
  fc
    .record({ anon: browser, code: fc.constantFrom('u1', 'u2') })
    .map(({ anon, code }) => ({ kind: 'page' as const, anon, path: '/' as const, ref: '' as const, code })),
  // One user per browser (B is u1, C is u2); two user ids on one browser (the graph's conflict case) are
  // left to the properties above.
  fc.constantFrom(['B', 'u1'] as const, ['C', 'u2'] as const).map(([anon, user]) => ({
    kind: 'identify' as const,
    anon,
    user,
    email: undefined,
    name: '' as const,
  })),
  fc
    .record({ anon: browser, email: fc.constantFrom('ann@acme.com', 'bob@acme.com') })
    .map(({ anon, email }) => ({ kind: 'form' as const, anon, email, phone: '' as const })),
);

export function toWire(g: Gen, i: number, at: number): WireEvent {
  const base = { messageId: `m${i}`, anonymousId: g.anon, timestamp: new Date(at).toISOString() };
  switch (g.kind) {
    case 'page':
      return {
        ...base,
        type: 'page',
        context: {
          page: {
            url: `https://shop.example${g.path}${g.code ? `?ref=${g.code}` : ''}`,
            path: g.path,
            referrer: g.ref,
          },
          ...(g.code ? { campaign: { ref: g.code } } : {}),
        },
      } as WireEvent;
    case 'identify':
      return {
        ...base,
        type: 'identify',
        userId: g.user,
        traits: { email: g.email, name: g.name || undefined },
      } as WireEvent;
    case 'form':
      return {
        ...base,
        type: 'track',
        event: 'Form Submitted',
        properties: { formId: 'demo', fields: { email: g.email, phone: g.phone } },
      } as WireEvent;
    default:
      return {
        ...base,
        type: 'track',
        event: 'Order Completed',
        properties: { orderId: g.order, revenue: 10 },
      } as WireEvent;
  }
}

export async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'tp-order-'));
  const url = `file:${join(dir, 'o.db')}`;
  await migratedCopy(join(dir, 'o.db'));
  const store = await openStore({ url, queueLimit: 100_000 });
  const db = createClient({ url });
  const { site } = await store.sites.create('Shop', ['https://shop.example']);
  return {
    db,
    store,
    site,
    async send(events: WireEvent[]) {
      await store.events.submit(
        site.id,
        events.map((e) => prepareEvent(e, JSON.stringify(e), T0 + 86_400_000)),
      );
    },
    async close() {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every live profile with its identifiers and fields, generated ids left out. */
export async function snapshot(db: Db): Promise<string[]> {
  const rs = await db.execute(
    `SELECT p.*, (SELECT group_concat(key, ' ') FROM (SELECT key FROM identities i WHERE i.profile_id = p.id ORDER BY key)) AS keys,
       (SELECT group_concat(c, ' ') FROM (SELECT c.message_id || '@' || c.at AS c FROM referral_credits c
          JOIN identities i ON i.site_id = c.site_id AND i.key = c.referrer_key
          WHERE i.profile_id = p.id ORDER BY c.message_id)) AS credits
     FROM profiles p WHERE merged_into IS NULL`,
  );
  return rs.rows
    .map((r) =>
      JSON.stringify({
        // A shared browser's later part has a generated name; its browser is what the history decides.
        keys: String(r.keys ?? '').replace(/(s:.*?)~\w{10}/g, '$1~*'),
        email: r.email,
        userId: r.user_id,
        name: r.name,
        phone: r.phone,
        stage: r.stage,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
        count: r.event_count,
        channel: r.channel,
        firstTouch: r.first_touch,
        score: r.score,
        state: r.state,
        credits: r.credits,
      }),
    )
    .sort();
}
