// The identity engine's change log, decided in pure code: what writing a profile changed, as rows the store
// appends to `profile_changes` in the same commit. Automations and the dashboard's live views read it by `seq`.
import { type ProfileChangeKind, type Stage, STAGES } from '../../wire.ts';
import type { StageEntry } from './profile.ts';

export interface ProfileChange {
  profileId: string;
  kind: ProfileChangeKind;
  detail: Record<string, unknown>;
  /** When it happened by the evidence (event time), else when it was decided. */
  at: number;
  messageId: string | null;
}

export interface Written {
  stage: Stage;
  score: number;
}

/** Where the history says the profile entered `stage` (the latest entry that is not a skip). */
function evidenceOf(
  stage: Stage,
  history: StageEntry[],
  now: number,
): { at: number; messageId: string | null } {
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i];
    if (h.stage === stage && !h.skipped) return { at: h.at, messageId: h.messageId };
  }
  return { at: now, messageId: null };
}

/**
 * The changes of writing one profile: created (no row before), each stage left and entered (a move forward
 * enters every stage it passes, as the funnel counts it), and the lead score crossing the qualified threshold
 * either way.
 */
export function profileChanges(
  profileId: string,
  before: Written | null,
  after: Written,
  history: StageEntry[],
  threshold: number,
  last: { at: number; messageId: string },
  now: number,
): ProfileChange[] {
  const out: ProfileChange[] = [];
  const at = Number.isFinite(last.at) ? last.at : now;
  if (!before)
    out.push({
      profileId,
      kind: 'created',
      detail: { stage: after.stage },
      at,
      messageId: last.messageId || null,
    });
  const from = before ? STAGES.indexOf(before.stage) : -1;
  const to = STAGES.indexOf(after.stage);
  if (before && from !== to) {
    const ev = evidenceOf(after.stage, history, now);
    out.push({ profileId, kind: 'stage_left', detail: { stage: before.stage, to: after.stage }, ...ev });
  }
  if (to > from) {
    for (let s = Math.max(from + 1, 0); s <= to; s++) {
      const stage = STAGES[s];
      const ev = evidenceOf(stage, history, now);
      out.push({
        profileId,
        kind: 'stage_entered',
        detail: { stage, from: s === from + 1 && before ? before.stage : null },
        ...ev,
      });
    }
  } else if (to < from) {
    out.push({
      profileId,
      kind: 'stage_entered',
      detail: { stage: after.stage, from: before!.stage },
      ...evidenceOf(after.stage, history, now),
    });
  }
  const was = before ? before.score >= threshold : false;
  const is = after.score >= threshold;
  if (was !== is && (before || is))
    out.push({
      profileId,
      kind: 'score_crossed',
      detail: { score: after.score, threshold, direction: is ? 'up' : 'down' },
      at,
      messageId: last.messageId || null,
    });
  return out;
}
