// Properties of stitching through the real writer and commit path: any arrival order and grouping of a
// history gives the same profiles, and a merge followed by its unmerge restores the profiles exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventArb, fresh, type Gen, referralArb, snapshot, T0, toWire } from './stitch-support.ts';

describe('stitching is order-independent', () => {
  it('gives the same profiles for any arrival order and grouping', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 1000 })), { minLength: 1, maxLength: 14 }),
        fc.infiniteStream(fc.nat()),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 }),
        async (history, random, sizes) => {
          const events = history.map(([g, dt], i) => toWire(g, i, T0 + dt * 60_000));
          const inOrder = await fresh();
          await inOrder.send(events);
          const want = await snapshot(inOrder.db);
          await inOrder.close();

          const it = random[Symbol.iterator]();
          const shuffled = [...events];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = it.next().value % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
          }
          const other = await fresh();
          for (let at = 0, k = 0; at < shuffled.length; k++) {
            const n = sizes[k % sizes.length];
            await other.send(shuffled.slice(at, at + n));
            at += n;
          }
          const got = await snapshot(other.db);
          await other.close();
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('credits referrals the same for any arrival order, and restores them after a merge and its unmerge', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(referralArb, fc.integer({ min: 0, max: 100 })), { minLength: 6, maxLength: 12 }),
        fc.infiniteStream(fc.nat()),
        async (history, random) => {
          const events = history.map(([g, dt], i) => toWire(g, i, T0 + dt * 60_000));
          const a = await fresh();
          await a.send(events);
          const want = await snapshot(a.db);
          const live = await a.db.execute('SELECT id FROM profiles WHERE merged_into IS NULL ORDER BY id');
          if (live.rows.length >= 2) {
            await a.store.profiles.merge(String(live.rows[0].id), String(live.rows[1].id), 'test');
            const manual = await a.db.execute("SELECT id FROM links WHERE decision = 'manual'");
            await a.store.profiles.revokeLink(String(manual.rows[0].id), 'undo');
            expect(await snapshot(a.db)).toEqual(want);
          }
          await a.close();

          const it = random[Symbol.iterator]();
          const shuffled = [...events];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = it.next().value % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
          }
          const b = await fresh();
          for (const e of shuffled) await b.send([e]);
          expect(await snapshot(b.db)).toEqual(want);
          await b.close();
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('retires the profile of a shared browser part that a late identify removes', async () => {
    // Found by the property above: B's later parts held a profile of their own; an earlier identify as u1
    // joins the parts again, and no profile may be left behind holding one of their events.
    const form = (anon: 'A' | 'B' | 'C', email: 'ann@acme.com' | 'bob@acme.com'): Gen => ({
      kind: 'form',
      anon,
      email,
      phone: '',
    });
    const ref: Gen = { kind: 'page', anon: 'A', path: '/', ref: '', code: 'u1' };
    const id = (anon: 'A' | 'B' | 'C', user: 'u1' | 'u2'): Gen => ({
      kind: 'identify' as const,
      anon,
      user,
      email: undefined,
      name: '' as const,
    });
    const history: [Gen, number][] = [
      [form('A', 'ann@acme.com'), 0],
      [ref, 0],
      [form('A', 'ann@acme.com'), 0],
      [form('C', 'ann@acme.com'), 0],
      [id('B', 'u1'), 0],
      [form('B', 'ann@acme.com'), 0],
      [form('A', 'ann@acme.com'), 0],
      [form('B', 'ann@acme.com'), 1],
      [id('C', 'u2'), 0],
      [form('B', 'bob@acme.com'), 0],
      [ref, 0],
      [ref, 0],
    ];
    const events = history.map(([g, dt], i) => toWire(g, i, T0 + dt * 60_000));
    const a = await fresh();
    await a.send(events);
    const want = await snapshot(a.db);
    await a.close();
    const b = await fresh();
    for (const i of [8, 1, 11, 9, 5, 3, 2, 10, 6, 7, 0, 4]) await b.send([events[i]]);
    expect(await snapshot(b.db)).toEqual(want);
    await b.close();
  });

  it("refuses a referral credit once the referrer turns out to use the lead's browser, in any order", async () => {
    // Also found by the property: A lands with u1's code and leaves Ann's email, then Bob's; Bob is u1 on
    // browser B. A's later part is u1's, so Ann's credit is refused, even when u1 identifies last.
    const g: Gen[] = [
      { kind: 'identify', anon: 'B', user: 'u1', email: undefined, name: '' },
      { kind: 'identify', anon: 'C', user: 'u2', email: undefined, name: '' },
      { kind: 'form', anon: 'A', email: 'ann@acme.com', phone: '' },
      { kind: 'page', anon: 'A', path: '/', ref: '', code: 'u1' },
      { kind: 'form', anon: 'B', email: 'bob@acme.com', phone: '' },
      { kind: 'form', anon: 'A', email: 'bob@acme.com', phone: '' },
    ];
    const minutes = [0, 0, 38, 0, 0, 38];
    const events = g.map((x, i) => toWire(x, i, T0 + minutes[i] * 60_000));
    const a = await fresh();
    await a.send(events);
    const want = await snapshot(a.db);
    await a.close();
    expect(want.some((s) => JSON.parse(s).credits)).toBe(false);
    const b = await fresh();
    for (const i of [1, 5, 3, 4, 2, 0]) await b.send([events[i]]);
    expect(await snapshot(b.db)).toEqual(want);
    await b.close();
  });

  it('restores the profiles exactly after a merge and its unmerge', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 1000 })), { minLength: 2, maxLength: 12 }),
        async (history) => {
          const h = await fresh();
          await h.send(history.map(([g, dt], i) => toWire(g, i, T0 + dt * 60_000)));
          const before = await snapshot(h.db);
          const live = await h.db.execute('SELECT id FROM profiles WHERE merged_into IS NULL ORDER BY id');
          if (live.rows.length >= 2) {
            await h.store.profiles.merge(String(live.rows[0].id), String(live.rows[1].id), 'test');
            expect((await snapshot(h.db)).length).toBe(before.length - 1);
            const manual = await h.db.execute("SELECT id FROM links WHERE decision = 'manual'");
            await h.store.profiles.revokeLink(String(manual.rows[0].id), 'undo');
            expect(await snapshot(h.db)).toEqual(before);
          }
          await h.close();
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
