// Refolds outside the shared commit: a late event (or a merge) on a history longer than the inline limit
// queues the profile, marks it recomputing, and the refolder folds it in short transactions of its own. The
// outcome is the one an inline refold gives, for any arrival order and grouping.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../wire.ts';
import { eventArb, fresh, snapshot, T0, toWire } from './stitch-support.ts';

type Fresh = Awaited<ReturnType<typeof fresh>>;
const LIMIT = 'TOUCHPOINT_REFOLD_INLINE_LIMIT';
let saved: string | undefined;
beforeAll(() => {
  saved = process.env[LIMIT];
});
afterAll(() => {
  if (saved === undefined) delete process.env[LIMIT];
  else process.env[LIMIT] = saved;
});

/** Waits until nothing is queued or marked recomputing. */
async function settled(h: Fresh) {
  const end = Date.now() + 20_000;
  for (;;) {
    const rs = await h.db.execute(
      'SELECT (SELECT COUNT(*) FROM refold_queue) + (SELECT COUNT(*) FROM profiles WHERE recomputing = 1) AS n',
    );
    if (Number(rs.rows[0].n) === 0) return;
    if (Date.now() > end) throw new Error('refolds did not finish');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const page = (i: number, minute: number, anon = 'A'): WireEvent =>
  ({
    messageId: `p${i}`,
    anonymousId: anon,
    timestamp: new Date(T0 + minute * 60_000).toISOString(),
    type: 'page',
    context: { page: { url: `https://shop.example/p${i}`, path: `/p${i}`, referrer: '' } },
  }) as WireEvent;

describe('refolds outside the commit', () => {
  it('a late event on a long history marks the profile recomputing, then gives the inline result', async () => {
    const history: WireEvent[] = [];
    for (let i = 0; i < 1500; i++) history.push(page(i, 10 + i));
    history.push({
      messageId: 'form',
      anonymousId: 'A',
      timestamp: new Date(T0 + 2000 * 60_000).toISOString(),
      type: 'track',
      event: 'Form Submitted',
      properties: { formId: 'demo', fields: { email: 'ada@acme.com' } },
    } as WireEvent);
    // The late event: the first touch, from an ad, before everything else.
    const late = {
      messageId: 'late',
      anonymousId: 'A',
      timestamp: new Date(T0).toISOString(),
      type: 'page',
      context: {
        page: { url: 'https://shop.example/?utm_source=google&utm_medium=cpc', path: '/', referrer: '' },
        campaign: { source: 'google', medium: 'cpc' },
      },
    } as WireEvent;

    process.env[LIMIT] = '100';
    const deferred = await fresh();
    for (let i = 0; i < history.length; i += 500) await deferred.send(history.slice(i, i + 500));
    await settled(deferred);
    await deferred.send([late]);
    // Answered before the refold: the row still shows the old first touch, marked recomputing.
    const during = await deferred.db.execute('SELECT recomputing, channel FROM profiles');
    expect(Number(during.rows[0].recomputing)).toBe(1);
    expect(during.rows[0].channel).not.toBe('Paid Search');
    await settled(deferred);
    const after = await deferred.db.execute('SELECT recomputing, channel, event_count FROM profiles');
    expect(after.rows[0]).toMatchObject({ recomputing: 0, channel: 'Paid Search', event_count: 1502 });

    delete process.env[LIMIT];
    const inline = await fresh();
    for (let i = 0; i < history.length; i += 500) await inline.send(history.slice(i, i + 500));
    await inline.send([late]);
    expect(await snapshot(deferred.db)).toEqual(await snapshot(inline.db));
    // The change log saw the refold's outcome once.
    const logged = await deferred.db.execute(
      "SELECT COUNT(*) AS n FROM profile_changes WHERE kind = 'stage_entered'",
    );
    const inlineLogged = await inline.db.execute(
      "SELECT COUNT(*) AS n FROM profile_changes WHERE kind = 'stage_entered'",
    );
    expect(Number(logged.rows[0].n)).toBe(Number(inlineLogged.rows[0].n));
    await deferred.close();
    await inline.close();
  }, 60_000);

  it('a merge of two long histories is refolded outside the commit, with the merged result', async () => {
    const events: WireEvent[] = [];
    for (let i = 0; i < 300; i++) events.push(page(i, i, 'A'));
    for (let i = 300; i < 600; i++) events.push(page(i, i, 'B'));
    const link = {
      messageId: 'alias',
      anonymousId: 'A',
      previousId: 'B',
      type: 'alias',
      timestamp: new Date(T0 + 700 * 60_000).toISOString(),
    } as WireEvent;
    process.env[LIMIT] = '100';
    const deferred = await fresh();
    await deferred.send(events);
    await settled(deferred);
    await deferred.send([link]);
    await settled(deferred);
    delete process.env[LIMIT];
    const inline = await fresh();
    await inline.send(events);
    await inline.send([link]);
    const got = await snapshot(deferred.db);
    expect(got).toHaveLength(1);
    expect(got).toEqual(await snapshot(inline.db));
    await deferred.close();
    await inline.close();
  }, 60_000);

  it('gives the same profiles for any arrival order when every refold leaves the commit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 600 })), { minLength: 2, maxLength: 14 }),
        fc.infiniteStream(fc.nat()),
        async (gens, random) => {
          const events = gens.map(([g, dt], i) => toWire(g, i, T0 + dt * 60_000));
          delete process.env[LIMIT];
          const batch = await fresh();
          await batch.send(events);
          const want = await snapshot(batch.db);
          await batch.close();

          const it = random[Symbol.iterator]();
          const shuffled = [...events];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = it.next().value % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
          }
          process.env[LIMIT] = '0';
          const one = await fresh();
          for (const e of shuffled) await one.send([e]);
          await settled(one);
          expect(await snapshot(one.db)).toEqual(want);
          await one.close();
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
