// The referral step: keeps one credit per referred lead in step with its state, and the referrers' stages.
import type { Stage } from '../../../../wire.ts';
import { newId } from '../../../admin/secrets.ts';
import { type ProfileChange, profileChanges } from '../../../identity/changes.ts';
import { browserOf } from '../../../identity/graph.ts';
import {
  type Evidence,
  lifecycle,
  type ProfileState,
  type StageOverride,
} from '../../../identity/profile.ts';
import {
  type CodeLookups,
  contactOf,
  type CreditContext,
  creditFor,
  creditStatuses,
  type CreditView,
  REFERRAL_CODE_PREFIX,
  referralClaim,
  type ReferralCredit,
  referralEvidence,
  type ReferralReview,
  type ReferralStatus,
  resolveCode,
} from '../../../identity/referrals.ts';
import type { IdentitySettings } from '../../../identity/rules.ts';
import { siteSettings } from './settings.ts';
import { type Exec, selectIn } from './sql.ts';
import { writeStage } from './writes.ts';

// ---- Referrals ----

/** Credits of the profiles `ids` as referrers: credits whose referrer identifier each profile holds now. */
export async function referralCredits(
  tx: Exec,
  siteId: string,
  ids: string[],
): Promise<Map<string, CreditView[]>> {
  const out = new Map<string, CreditView[]>();
  if (!ids.length) return out;
  // A site with no credits at all (most groups of most sites) pays one index probe, not the join.
  const any = await tx.execute({
    sql: 'SELECT 1 FROM referral_credits WHERE site_id = ? LIMIT 1',
    args: [siteId],
  });
  if (!any.rows.length) return out;
  const rows = await selectIn(
    tx,
    (m) =>
      `SELECT i.profile_id AS pid, c.referred_id, c.at, c.message_id, r.decision FROM identities i
       JOIN referral_credits c ON c.site_id = i.site_id AND c.referrer_key = i.key
       LEFT JOIN referral_reviews r ON r.site_id = c.site_id AND r.message_id = c.message_id
       WHERE i.site_id = ? AND i.profile_id IN (${m})`,
    [siteId],
    ids,
  );
  for (const r of rows) {
    const pid = String(r.pid);
    let list = out.get(pid);
    if (!list) out.set(pid, (list = []));
    list.push({
      referredId: String(r.referred_id),
      at: Number(r.at),
      messageId: String(r.message_id),
      review: (r.decision as ReferralReview | null) ?? null,
    });
  }
  return out;
}

/** Resolves referral codes: bound codes, then profile ids (pinned to one of their identifiers on first use). */
export async function codeLookups(
  tx: Exec,
  siteId: string,
  codes: string[],
  now: number,
): Promise<CodeLookups> {
  const bound = new Map<string, string>();
  const profiles = new Map<string, string>();
  if (!codes.length) return { codes: bound, profiles };
  const rows = await selectIn(
    tx,
    (m) => `SELECT code, key FROM referral_codes WHERE site_id = ? AND code IN (${m})`,
    [siteId],
    codes,
  );
  for (const r of rows) bound.set(String(r.code), String(r.key));
  for (const code of codes) {
    if (bound.has(code)) continue;
    // A profile id: follow merges to the live profile and take its oldest identifier.
    let id = code;
    for (let hops = 0; hops < 20; hops++) {
      const rs = await tx.execute({
        sql: 'SELECT key FROM identities WHERE site_id = ? AND profile_id = ? ORDER BY created_at, key LIMIT 1',
        args: [siteId, id],
      });
      if (rs.rows[0]) {
        profiles.set(code, String(rs.rows[0].key));
        break;
      }
      const p = await tx.execute({
        sql: 'SELECT merged_into FROM profiles WHERE site_id = ? AND id = ?',
        args: [siteId, id],
      });
      const next = p.rows[0]?.merged_into;
      if (next === null || next === undefined) break;
      id = String(next);
    }
  }
  for (const [code, key] of profiles) {
    await tx.execute({
      sql: 'INSERT INTO referral_codes (site_id, code, key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      args: [siteId, code, key, now],
    });
  }
  return { codes: bound, profiles };
}

/**
 * Keeps one credit row per referred profile in step with its state: written when a profile with a referral
 * became a lead, removed when a refold, merge or unmerge takes the claim away or makes it a self-referral.
 * Returns the referrers' evidence for the profiles about to be written and the referrer keys whose credits
 * changed (their profiles' stages are recomputed after).
 */
export async function settleReferrals(
  tx: Exec,
  siteId: string,
  settings: IdentitySettings,
  states: Map<string, ProfileState>,
  refolded: Set<string>,
  retired: Map<string, string>,
  now: number,
): Promise<{ evidence: Map<string, Evidence[]>; referrerKeys: Set<string>; changes: ProfileChange[] }> {
  const changes: ProfileChange[] = [];
  const check = new Set<string>(retired.keys());
  for (const [id, p] of states) {
    if (p.eventCount === 0 || refolded.has(id) || referralClaim(p)) check.add(id);
  }
  // Claims naming a referrer whose profile changed are decided again: the trust rules read the referrer's
  // identifiers and browsers. Their referred profiles are read as stored.
  const others = await claimsOnChanged(tx, siteId, [...refolded, ...retired.values()], check);
  for (const id of others.keys()) check.add(id);
  const stateOf = (id: string) => states.get(id) ?? others.get(id);
  const referrerKeys = new Set<string>();
  if (check.size) {
    const existing = new Map<string, ReferralCredit>();
    const rows = await selectIn(
      tx,
      (m) =>
        `SELECT referred_id, referrer_key, code, at, message_id, contact FROM referral_credits WHERE referred_id IN (${m})`,
      [],
      [...check],
    );
    for (const r of rows) {
      existing.set(String(r.referred_id), {
        referredId: String(r.referred_id),
        referrerKey: String(r.referrer_key),
        code: String(r.code),
        at: Number(r.at),
        messageId: String(r.message_id),
        contact: String(r.contact ?? ''),
      });
    }
    // Claims to resolve: new or changed ones, and every claim of a profile whose membership changed.
    const todo = new Set<string>();
    for (const id of check) {
      const p = stateOf(id);
      const claim = p && p.eventCount > 0 ? referralClaim(p) : null;
      const old = existing.get(id);
      if (!claim) continue;
      const same = old && old.code === claim.code && old.at === claim.at && old.messageId === claim.messageId;
      if (!same || refolded.has(id) || others.has(id)) todo.add(id);
    }
    const codeOf = (id: string) => referralClaim(stateOf(id)!)!.code;
    const lookups = await codeLookups(tx, siteId, [...new Set([...todo].map(codeOf))], now);
    const keys = [...new Set([...todo].map((id) => resolveCode(codeOf(id), lookups).key))];
    // The claims as resolved, credited or not (see claimsOnChanged); profiles with none lose theirs.
    for (const id of check) {
      const p = stateOf(id);
      if (todo.has(id)) {
        await tx.execute({
          sql: `INSERT INTO referral_claims (referred_id, site_id, referrer_key) VALUES (?, ?, ?)
                ON CONFLICT (referred_id) DO UPDATE SET referrer_key = excluded.referrer_key`,
          args: [id, siteId, resolveCode(codeOf(id), lookups).key],
        });
      } else if (!(p && p.eventCount > 0 && referralClaim(p))) {
        await tx.execute({ sql: 'DELETE FROM referral_claims WHERE referred_id = ?', args: [id] });
      }
    }
    const holder = new Map<string, string>();
    if (keys.length) {
      const hr = await selectIn(
        tx,
        (m) => `SELECT key, profile_id FROM identities WHERE site_id = ? AND key IN (${m})`,
        [siteId],
        keys,
      );
      for (const r of hr) holder.set(String(r.key), String(r.profile_id));
    }
    // What the trust rules need: the browsers of the referred and referring profiles, and the credits that
    // already name the same contacts.
    const around = new Set([...todo, ...holder.values()]);
    const browsers = new Map<string, Set<string>>();
    if (around.size) {
      const br = await selectIn(
        tx,
        (m) =>
          `SELECT key, profile_id FROM identities WHERE site_id = ? AND profile_id IN (${m})
           AND (substr(key, 1, 2) = 'a:' OR substr(key, 1, 2) = 's:')`,
        [siteId],
        [...around],
      );
      for (const r of br) {
        const pid = String(r.profile_id);
        let set = browsers.get(pid);
        if (!set) browsers.set(pid, (set = new Set()));
        set.add(browserOf(String(r.key)));
      }
    }
    const contacts = [
      ...new Set([...todo].map((id) => contactOf(stateOf(id)!)).filter((c): c is string => !!c)),
    ];
    const byContact = new Map<
      string,
      { referredId: string; at: number; messageId: string; referrerKey: string }[]
    >();
    if (contacts.length) {
      const cr = await selectIn(
        tx,
        (m) =>
          `SELECT referred_id, referrer_key, at, message_id, contact FROM referral_credits WHERE site_id = ? AND contact IN (${m})`,
        [siteId],
        contacts,
      );
      for (const r of cr) {
        const c = String(r.contact);
        let list = byContact.get(c);
        if (!list) byContact.set(c, (list = []));
        list.push({
          referredId: String(r.referred_id),
          at: Number(r.at),
          messageId: String(r.message_id),
          referrerKey: String(r.referrer_key),
        });
      }
    }
    const earlier = (x: { at: number; messageId: string }, at: number, messageId: string) =>
      x.at < at || (x.at === at && x.messageId < messageId);
    const ctx: CreditContext = {
      profileOf: (k) => holder.get(k) ?? null,
      browsersOf: (pid) => browsers.get(pid) ?? new Set(),
      contactTaken: (contact, referredId, at, messageId) =>
        (byContact.get(contact) ?? []).some(
          (x) => x.referredId !== referredId && !check.has(x.referredId) && earlier(x, at, messageId),
        ),
    };
    const kept: ReferralCredit[] = [];
    for (const id of check) {
      const old = existing.get(id) ?? null;
      const p = stateOf(id);
      const want = todo.has(id)
        ? creditFor(id, p!, lookups, ctx)
        : p && p.eventCount > 0 && referralClaim(p)
          ? old
          : null;
      if (want) kept.push(want);
      const same =
        (!old && !want) ||
        (!!old &&
          !!want &&
          old.referrerKey === want.referrerKey &&
          old.code === want.code &&
          old.at === want.at &&
          old.messageId === want.messageId &&
          old.contact === want.contact);
      if (same) continue;
      if (old) {
        referrerKeys.add(old.referrerKey);
        await tx.execute({ sql: 'DELETE FROM referral_credits WHERE referred_id = ?', args: [id] });
      }
      if (want) {
        referrerKeys.add(want.referrerKey);
        const referrer = holder.get(want.referrerKey);
        if (referrer && !old)
          changes.push({
            profileId: referrer,
            kind: 'referral_credited',
            detail: { referredId: id, messageId: want.messageId },
            at: want.at,
            messageId: want.messageId,
          });
        await tx.execute({
          sql: `INSERT INTO referral_credits (referred_id, site_id, referrer_key, code, at, message_id, contact)
                VALUES (?, ?, ?, ?, ?, ?, ?)`,
          args: [id, siteId, want.referrerKey, want.code, want.at, want.messageId, want.contact],
        });
      }
    }
    // A contact belongs to the earliest credited lead that used it: a later credit holding it is withdrawn.
    for (const k of kept) {
      for (const x of byContact.get(k.contact) ?? []) {
        if (x.referredId === k.referredId || check.has(x.referredId) || earlier(x, k.at, k.messageId))
          continue;
        referrerKeys.add(x.referrerKey);
        await tx.execute({ sql: 'DELETE FROM referral_credits WHERE referred_id = ?', args: [x.referredId] });
      }
    }
  }
  const live = [...states].filter(([, p]) => p.eventCount > 0).map(([id]) => id);
  const credits = await referralCredits(tx, siteId, live);
  const evidence = new Map<string, Evidence[]>();
  for (const [id, list] of credits) evidence.set(id, referralEvidence(id, list, settings.referralDailyLimit));
  return { evidence, referrerKeys, changes };
}

/**
 * The referred profiles (live, not being recomputed, not among `skip`) whose claims name an identifier of one
 * of the `changed` profiles, with their stored states.
 */
async function claimsOnChanged(
  tx: Exec,
  siteId: string,
  changed: string[],
  skip: Set<string>,
): Promise<Map<string, ProfileState>> {
  const out = new Map<string, ProfileState>();
  if (!changed.length) return out;
  // A site with no claims at all (most groups of most sites) pays one index probe, not the join.
  const any = await tx.execute({
    sql: 'SELECT 1 FROM referral_claims WHERE site_id = ? LIMIT 1',
    args: [siteId],
  });
  if (!any.rows.length) return out;
  const rows = await selectIn(
    tx,
    (m) =>
      `SELECT p.id, p.state FROM identities i
       JOIN referral_claims c ON c.site_id = i.site_id AND c.referrer_key = i.key
       JOIN profiles p ON p.id = c.referred_id AND p.merged_into IS NULL AND p.recomputing = 0
       WHERE i.site_id = ? AND i.profile_id IN (${m})`,
    [siteId],
    [...new Set(changed)],
  );
  for (const r of rows) {
    const id = String(r.id);
    if (!skip.has(id) && r.state) out.set(id, JSON.parse(String(r.state)) as ProfileState);
  }
  return out;
}

/** Referrers whose credits changed but whose rows this group did not write: their stage, recomputed. */
export async function restageReferrers(
  tx: Exec,
  siteId: string,
  settings: IdentitySettings,
  referrerKeys: Set<string>,
  written: Map<string, ProfileState>,
  changes: ProfileChange[],
  now: number,
) {
  if (!referrerKeys.size) return;
  const rows = await selectIn(
    tx,
    (m) => `SELECT DISTINCT profile_id FROM identities WHERE site_id = ? AND key IN (${m})`,
    [siteId],
    [...referrerKeys],
  );
  const ids = rows.map((r) => String(r.profile_id)).filter((id) => !written.has(id));
  if (!ids.length) return;
  const credits = await referralCredits(tx, siteId, ids);
  for (const id of ids) {
    const rs = await tx.execute({
      sql: `SELECT p.state, p.stage, p.score, o.stage AS o_stage, o.reason, o.at FROM profiles p
            LEFT JOIN stage_overrides o ON o.profile_id = p.id WHERE p.id = ? AND p.merged_into IS NULL`,
      args: [id],
    });
    const r = rs.rows[0];
    if (!r?.state) continue;
    const override: StageOverride | null =
      r.o_stage === null || r.o_stage === undefined
        ? null
        : { stage: String(r.o_stage) as StageOverride['stage'], reason: String(r.reason), at: Number(r.at) };
    const state = JSON.parse(String(r.state)) as ProfileState;
    const { stage, history } = lifecycle(
      state,
      override,
      referralEvidence(id, credits.get(id) ?? [], settings.referralDailyLimit),
    );
    if (stage === r.stage) continue;
    await writeStage(tx, id, stage, history);
    const score = Number(r.score);
    changes.push(
      ...profileChanges(
        id,
        { stage: String(r.stage) as Stage, score },
        { stage, score },
        history,
        settings.score.threshold,
        { at: state.lastKey[0], messageId: state.lastKey[1] },
        now,
      ),
    );
  }
}

async function referralCodeOf(tx: Exec, siteId: string, keys: string[]): Promise<string | null> {
  const found = await selectIn(
    tx,
    (m) =>
      `SELECT code FROM referral_codes WHERE site_id = ? AND substr(code, 1, ${REFERRAL_CODE_PREFIX.length}) = ?
       AND key IN (${m}) ORDER BY created_at, code LIMIT 1`,
    [siteId, REFERRAL_CODE_PREFIX],
    keys,
  );
  return found[0] ? String(found[0].code) : null;
}

/** In the write transaction: the identifiers' referral code, made now (bound to the user id, else the oldest) if none. */
export async function mintReferralCode(tx: Exec, siteId: string, keys: string[]): Promise<string> {
  const code = await referralCodeOf(tx, siteId, keys);
  if (code) return code;
  const key = keys.find((k) => k.startsWith('u:')) ?? keys[0];
  const made = `${REFERRAL_CODE_PREFIX}${newId(12)}`;
  await tx.execute({
    sql: 'INSERT INTO referral_codes (site_id, code, key, created_at) VALUES (?, ?, ?, ?)',
    args: [siteId, made, key, Date.now()],
  });
  return made;
}

/** Mints a referral code for one of these identifiers (a writer job): a code made meanwhile is kept. */
export type MintReferralCode = (siteId: string, keys: string[]) => Promise<string>;

/**
 * The referral side of one profile for the admin API: its referral code (made on first ask by `mint`, through
 * the writer, and bound to one of its identifiers: the user id, else the oldest; none without `mint`), its
 * credits as a referrer and their evidence.
 */
export async function profileReferrals(
  tx: Exec,
  siteId: string,
  profileId: string,
  keys: string[],
  mint?: MintReferralCode,
): Promise<{
  referralCode: string | null;
  referrals: { profileId: string; at: number; messageId: string; status: ReferralStatus }[];
  evidence: Evidence[];
}> {
  const limit = (await siteSettings(tx, siteId)).referralDailyLimit;
  const credits = (await referralCredits(tx, siteId, [profileId])).get(profileId) ?? [];
  const evidence = referralEvidence(profileId, credits, limit);
  const status = creditStatuses(profileId, credits, limit);
  const referrals = credits
    .filter((c) => c.referredId !== profileId)
    .map((c) => ({
      profileId: c.referredId,
      at: c.at,
      messageId: c.messageId,
      status: status.get(c.messageId) ?? 'credited',
    }))
    .sort((a, b) => a.at - b.at || (a.messageId < b.messageId ? -1 : 1));
  if (!keys.length) return { referralCode: null, referrals, evidence };
  const referralCode = (await referralCodeOf(tx, siteId, keys)) ?? (mint ? await mint(siteId, keys) : null);
  return { referralCode, referrals, evidence };
}
