// Shared devices: the acts in which a browser says who uses it, kept so a browser can be cut where it changes hands.
import { EVENTS } from '../../../../wire.ts';
import { actOrder, type BrowserAct } from '../../../identity/graph.ts';
import type { NodeRow, StitchEvent } from './rows.ts';
import { chunks, type Exec, rowsOf, selectIn } from './sql.ts';

/** The act a fresh event is, if it is one: a browser saying who uses it. */
export function actOf(e: StitchEvent): { browser: string; act: BrowserAct } | null {
  const saysWho =
    e.type === 'identify' || e.type === 'alias' || e.event === EVENTS.form || e.proof === 'secret';
  if (!saysWho) return null;
  const browser = e.identity.ids.find((i) => i.kind === 'anonymous')?.key;
  const persons = e.identity.ids.filter((i) => i.kind === 'user' || i.kind === 'email');
  if (!browser || !persons.length) return null;
  // As for links: the secret key vouches for all it names, a signed identify for its user id.
  const vouched = (kind: string) =>
    e.proof === 'secret' || (e.type === 'identify' && e.proof === 'hmac' && kind === 'user');
  return {
    browser,
    act: {
      ts: e.ts,
      messageId: e.messageId,
      persons: persons.map((p) => p.key),
      verified: persons.filter((p) => vouched(p.kind)).map((p) => p.key),
    },
  };
}

export const actRow = (a: BrowserAct) =>
  JSON.stringify(a.persons.map((p) => [p, a.verified.includes(p) ? 1 : 0]));
export function actFromRow(r: Record<string, unknown>): BrowserAct {
  const persons = JSON.parse(String(r.persons)) as [string, number][];
  return {
    ts: Number(r.ts),
    messageId: String(r.message_id),
    persons: persons.map(([p]) => p),
    verified: persons.filter(([, v]) => v === 1).map(([p]) => p),
  };
}

/**
 * Keeps the fresh events' acts. An act that could move where a browser is cut (the browser is already shared,
 * the act is older than one already kept, or it names someone the browser has not named) replays its cluster.
 */
export async function recordActs(
  tx: Exec,
  siteId: string,
  fresh: StitchEvent[],
  nodes: Map<string, NodeRow>,
  dirtyClusters: Set<string>,
): Promise<void> {
  const acts = fresh.map(actOf).filter((x): x is { browser: string; act: BrowserAct } => !!x);
  if (!acts.length) return;
  const browsers = [...new Set(acts.map((a) => a.browser))];
  const known = new Map<string, { persons: Set<string>; last: BrowserAct | null }>();
  const stored = browsers.filter((b) => !nodes.get(b)?.isNew);
  // Each browser's summary row; one without (acts kept before the summary existed) is summed from its acts.
  const sums = await selectIn(
    tx,
    (m) =>
      `SELECT browser, persons, last_ts, last_message_id FROM browser_act_summary
       WHERE site_id = ? AND browser IN (${m})`,
    [siteId],
    stored,
  );
  for (const r of sums) {
    const last: BrowserAct = {
      ts: Number(r.last_ts),
      messageId: String(r.last_message_id),
      persons: [],
      verified: [],
    };
    known.set(String(r.browser), { persons: new Set(JSON.parse(String(r.persons)) as string[]), last });
  }
  const rows = await selectIn(
    tx,
    (m) =>
      `SELECT browser, ts, message_id, persons FROM browser_acts WHERE site_id = ? AND browser IN (${m})`,
    [siteId],
    stored.filter((b) => !known.has(b)),
  );
  const summed = new Map<string, { persons: Set<string>; last: BrowserAct | null }>();
  for (const r of rows) {
    const b = String(r.browser);
    const act = actFromRow(r);
    let k = summed.get(b);
    if (!k) summed.set(b, (k = { persons: new Set(), last: null }));
    for (const p of act.persons) k.persons.add(p);
    if (!k.last || actOrder(act, k.last) > 0) k.last = act;
  }
  for (const [b, k] of summed) known.set(b, k);
  for (const { browser, act } of acts) {
    const n = nodes.get(browser);
    const k = known.get(browser);
    if (!n?.clusterId || !k) continue;
    const moves =
      !!n.segments?.length ||
      (k.last !== null && actOrder(act, k.last) < 0) ||
      act.persons.some((p) => !k.persons.has(p));
    if (moves) dirtyClusters.add(n.clusterId);
  }
  for (const part of chunks(acts)) {
    await tx.execute({
      sql: `INSERT INTO browser_acts (site_id, browser, ts, message_id, persons) VALUES ${rowsOf(part.length, 5)}
            ON CONFLICT DO NOTHING`,
      args: part.flatMap(({ browser, act }) => [siteId, browser, act.ts, act.messageId, actRow(act)]),
    });
  }
  // The summaries, with the new acts added.
  const after = new Map<string, { persons: Set<string>; last: BrowserAct }>();
  for (const { browser, act } of acts) {
    const k = after.get(browser) ?? known.get(browser);
    const persons = new Set([...(k?.persons ?? []), ...act.persons]);
    const last = k?.last && actOrder(k.last, act) > 0 ? k.last : act;
    after.set(browser, { persons, last });
  }
  for (const part of chunks([...after])) {
    await tx.execute({
      sql: `INSERT INTO browser_act_summary (site_id, browser, persons, last_ts, last_message_id)
            VALUES ${rowsOf(part.length, 5)}
            ON CONFLICT (site_id, browser) DO UPDATE SET persons = excluded.persons, last_ts = excluded.last_ts,
              last_message_id = excluded.last_message_id`,
      args: part.flatMap(([browser, s]) => [
        siteId,
        browser,
        JSON.stringify([...s.persons].sort()),
        s.last.ts,
        s.last.messageId,
      ]),
    });
  }
}
