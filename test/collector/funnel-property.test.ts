// The funnel is monotone and agrees with the chart beside it, for any generated history: each stage's count
// is at most the one before, and the customers it counts are the profiles that paid (a referrer who never
// paid is an advocate, not loyal). Histories are dense in referrals, logins, forms and orders.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { STAGES } from '../../wire.ts';
import { eventArb, fresh, referralArb, T0, toWire } from './stitch-support.ts';

it(
  'keeps the funnel monotone and its customers equal to the profiles that paid',
  { timeout: 180_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(eventArb, referralArb), fc.integer({ min: 0, max: 3 * 1440 })), {
          minLength: 1,
          maxLength: 25,
        }),
        async (history) => {
          const h = await fresh();
          try {
            await h.send(history.map(([g, minute], i) => toWire(g, i, T0 + minute * 60_000)));
            const o = await h.store.reports.overview({ from: '2024-02-28', to: '2024-03-10' });
            const counts = o.funnel.map((s) => s.count);
            expect(o.funnel.map((s) => s.stage)).toEqual([...STAGES]);
            for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]);
            const customers = counts[STAGES.indexOf('customer')];
            const paid = o.days.reduce((n, d) => n + d.customers, 0);
            expect(customers).toBe(paid);
            const unpaidLoyal = await h.db.execute(
              "SELECT COUNT(*) AS n FROM profiles WHERE merged_into IS NULL AND stage IN ('customer', 'retained', 'loyal') AND first_payment_at IS NULL",
            );
            expect(Number(unpaidLoyal.rows[0].n)).toBe(0);
            // The change log agrees: each live profile's last stage entered is the stage it holds.
            const drift = await h.db.execute(
              `SELECT p.id, p.stage, (SELECT json_extract(c.detail, '$.stage') FROM profile_changes c
               WHERE c.profile_id = p.id AND c.kind = 'stage_entered' ORDER BY c.seq DESC LIMIT 1) AS logged
             FROM profiles p WHERE p.merged_into IS NULL`,
            );
            for (const r of drift.rows) expect(r.logged, String(r.id)).toBe(r.stage);
          } finally {
            await h.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  },
);
