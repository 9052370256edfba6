// Speed to lead, kept as it happens: a lead's clock starts at its first form submission or chat message, and
// stops at the first automation action and at the first human answer (an agent's chat reply, a task done).
import type { Exec } from './writer.ts';

/** The live profile of an identity key (a browser's `a:` key…), following merges; null when none. */
export async function profileOfKey(tx: Exec, siteId: string, key: string): Promise<string | null> {
  const rs = await tx.execute({
    sql: 'SELECT profile_id FROM identities WHERE site_id = ? AND key = ?',
    args: [siteId, key],
  });
  let id = rs.rows[0]?.profile_id == null ? null : String(rs.rows[0].profile_id);
  for (let hops = 0; id && hops < 20; hops++) {
    const p = await tx.execute({ sql: 'SELECT merged_into FROM profiles WHERE id = ?', args: [id] });
    const next = p.rows[0]?.merged_into;
    if (next == null) break;
    id = String(next);
  }
  return id;
}

/** The lead clocks of a profile: its own and those of profiles merged into it. */
const CLOCKS = `profile_id IN (SELECT id FROM profiles WHERE id = ? OR merged_into = ?)`;

/** A person answered the lead (an agent's reply, a task marked done): its first human answer, if not yet. */
export async function leadAnswered(tx: Exec, profileId: string, at: number): Promise<void> {
  await tx.execute({
    sql: `UPDATE lead_responses SET first_human_at = ? WHERE ${CLOCKS} AND first_human_at IS NULL AND started_at <= ?`,
    args: [at, profileId, profileId, at],
  });
}

/** An automation acted on the lead: its first automatic answer, if not yet. */
export async function leadAutomated(tx: Exec, profileId: string, at: number): Promise<void> {
  await tx.execute({
    sql: `UPDATE lead_responses SET first_auto_at = ? WHERE ${CLOCKS} AND first_auto_at IS NULL AND started_at <= ?`,
    args: [at, profileId, profileId, at],
  });
}

/** Starts a lead's clock, once per profile (its first form or chat). */
export async function leadStarted(
  tx: Exec,
  siteId: string,
  profileId: string,
  at: number,
  kind: string,
  channel: string,
): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO lead_responses (profile_id, site_id, started_at, start_kind, channel) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (profile_id) DO NOTHING`,
    args: [profileId, siteId, at, kind, channel],
  });
  // The clock starts when the automations read the change, a moment after the visitor wrote: an agent quick
  // enough to answer in between still answered.
  await tx.execute({
    sql: `UPDATE lead_responses SET first_human_at = (
            SELECT MIN(m.at) FROM chat_messages m JOIN conversations c ON c.id = m.conversation_id
            JOIN identities i ON i.site_id = c.site_id AND i.key = 'a:' || c.anonymous_id
            WHERE i.profile_id = lead_responses.profile_id AND m.author = 'agent' AND m.at >= lead_responses.started_at)
          WHERE profile_id = ? AND first_human_at IS NULL`,
    args: [profileId],
  });
}
