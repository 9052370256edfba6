// Stitching through the real writer: one history, every arrival order, the same profiles.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { fresh, type Gen, snapshot, T0, toWire } from './stitch-support.ts';

// Regression: an identifier once looked shared (it joined four components) must be looked at again when a
// later-arriving link with earlier evidence shows it joins only three. Found by the referral property test.
it(
  'decides shared identifiers the same for every arrival order of one history',
  { timeout: 120_000 },
  async () => {
    const seq = [
      { kind: 'form', anon: 'C', email: 'ann@acme.com', phone: '' },
      { kind: 'form', anon: 'A', email: 'bob@acme.com', phone: '' },
      { kind: 'form', anon: 'B', email: 'ann@acme.com', phone: '' },
      { kind: 'identify', anon: 'B', user: 'u1', email: undefined, name: '' },
      { kind: 'identify', anon: 'C', user: 'u2', email: undefined, name: '' },
      { kind: 'identify', anon: 'C', user: 'u1', email: undefined, name: '' },
      { kind: 'form', anon: 'C', email: 'bob@acme.com', phone: '' },
    ] as Gen[];
    const events = seq.map((g, i) => toWire(g, i, T0));
    const batch = await fresh();
    await batch.send(events);
    const want = await snapshot(batch.db);
    await batch.close();
    // The order that used to quarantine browser C for good, then random ones.
    const orders = [['m1', 'm6', 'm4', 'm0', 'm2', 'm5', 'm3']];
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        async (shuffled) => {
          const one = await fresh();
          for (const e of shuffled) await one.send([e]);
          const got = await snapshot(one.db);
          await one.close();
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 40, examples: orders.map((o) => [o.map((id) => events.find((e) => e.messageId === id)!)]) },
    );
  },
);
