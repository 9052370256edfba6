// Writes shared by the engine and the marketer's actions: a stage and the change log.
import type { Stage } from '../../../../wire.ts';
import type { ProfileChange } from '../../../identity/changes.ts';
import { type StageEntry, stageTimes } from '../../../identity/profile.ts';
import { chunks, type Exec, rowsOf } from './sql.ts';

/** Appends rows to the change log (`profile_changes`), in the caller's transaction. */
export async function appendChanges(tx: Exec, siteId: string, changes: ProfileChange[], now: number) {
  for (const part of chunks(changes)) {
    await tx.execute({
      sql: `INSERT INTO profile_changes (site_id, profile_id, kind, detail, at, message_id, created_at)
            VALUES ${rowsOf(part.length, 7)}`,
      args: part.flatMap((c) => [
        siteId,
        c.profileId,
        c.kind,
        JSON.stringify(c.detail),
        Math.round(c.at),
        c.messageId,
        now,
      ]),
    });
  }
}

/** A profile's stage and the times it entered qualified, retained and loyal (see stageTimes). */
export async function writeStage(tx: Exec, id: string, stage: Stage, history: StageEntry[]): Promise<void> {
  const t = stageTimes(stage, history);
  await tx.execute({
    sql: 'UPDATE profiles SET stage = ?, qualified_at = ?, retained_at = ?, loyal_at = ? WHERE id = ?',
    args: [stage, t.qualifiedAt, t.retainedAt, t.loyalAt, id],
  });
}
