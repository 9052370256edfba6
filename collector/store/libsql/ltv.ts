// Lifetime value by first touch: the cohort's profile rows (first touch in the range), their payments from the
// folded state, through the pure rules of identity/ltv.ts.
import type { LtvRow } from '../../../wire.ts';
import { type LtvInput, lifetimeValue } from '../../identity/ltv.ts';
import type { ProfileState } from '../../identity/profile.ts';
import type { Exec as Db } from './writer.ts';

export async function ltv(
  db: Db,
  query: { from: number; to: number; siteId?: string },
  now = Date.now(),
): Promise<LtvRow[]> {
  const rs = await db.execute({
    sql: `SELECT channel, first_campaign, first_touch_at, state FROM profiles
          WHERE merged_into IS NULL AND first_touch_at >= ? AND first_touch_at < ?
          ${query.siteId ? 'AND site_id = ?' : ''}`,
    args: [query.from, query.to, ...(query.siteId ? [query.siteId] : [])],
  });
  const input: LtvInput[] = rs.rows.map((r) => {
    const state = r.state ? (JSON.parse(String(r.state)) as ProfileState) : null;
    return {
      channel: (r.channel as string | null) ?? null,
      campaign: (r.first_campaign as string | null) ?? null,
      firstAt: Number(r.first_touch_at),
      payments: state?.payments ?? [],
    };
  });
  return lifetimeValue(input, now);
}
