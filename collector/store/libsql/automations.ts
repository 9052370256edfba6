// All SQL of automations: rules, their firing from the change log, follow-up tasks, a profile's owner and tags,
// the at-risk sweep and the status sweep, the webhook outbox and the email outbox. What to do is decided in
// automations/decide.ts; `process` applies it in one write with the change-log cursor, so each change fires its
// rules exactly once.
import type { Db as Client } from './client.ts';
import type {
  AutomationRule,
  FollowUpTask,
  RuleAction,
  RuleFiring,
  RuleInput,
  Stage,
  TriggerKind,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
  WebhookPayload,
} from '../../../wire.ts';
import { newId } from '../../admin/secrets.ts';
import {
  type Change,
  conditionsHold,
  fires,
  payloadOf,
  type ProfileFacts,
  startsLeadClock,
  webhookProfile,
  webhookTypes,
} from '../../automations/decide.ts';
import { newWebhookSecret, nextDelayMs, outcomeOf } from '../../automations/webhooks.ts';
import { STATUS_DAYS } from '../../identity/profile.ts';
import { Refused } from '../errors.ts';
import type {
  AutomationStore,
  DeliveryAttempt,
  DueDelivery,
  DueEmail,
  ProcessOptions,
  ProcessResult,
} from '../types.ts';
import { appendMessage } from './chat.ts';
import { setStageIn } from './identity.ts';
import { leadAnswered, leadAutomated, leadStarted } from './leads.ts';
import { touchSummary } from './profiles.ts';
import { appendChanges } from './stitch/writes.ts';
import type { Exec, WriteFn } from './writer.ts';

type Write = <T>(fn: WriteFn<T>) => Promise<T>;
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: unknown) => (ms === null || ms === undefined ? null : iso(ms));
const DAY = 86_400_000;
/** Email retries: 30 s, 5 min, 30 min, 2 h, 6 h, then the email is failed (and shown so). */
const EMAIL_SCHEDULE = [30, 300, 1800, 7200, 21600];
/** How often the at-risk sweep runs, and how many profiles one sweep marks. */
const SWEEP_MS = 60_000;
const SWEEP_BATCH = 500;
/** How many profiles one statement of the status sweep moves (≈ 3 ms of writing at 100k profiles). */
const STATUS_BATCH = 200;

// ---- Rows ----

function ruleFromRow(r: Record<string, unknown>): AutomationRule {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    name: String(r.name),
    enabled: Number(r.enabled) === 1,
    trigger: JSON.parse(String(r.trigger)),
    conditions: JSON.parse(String(r.conditions)),
    actions: JSON.parse(String(r.actions)),
    fired: Number(r.fired),
    lastFiredAt: isoOrNull(r.last_fired_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function endpointFromRow(r: Record<string, unknown>): WebhookEndpoint {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    url: String(r.url),
    events: JSON.parse(String(r.events)),
    enabled: Number(r.enabled) === 1,
    disabledReason: (r.disabled_reason as string | null) ?? null,
    createdAt: iso(r.created_at),
  };
}

function taskFromRow(r: Record<string, unknown>, now: number): FollowUpTask {
  const due = Math.max(Number(r.due_at), Number(r.snoozed_until ?? 0));
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    profileId: String(r.profile_id),
    profileEmail: (r.profile_email as string | null) ?? null,
    profileName: (r.profile_name as string | null) ?? null,
    title: String(r.title),
    dueAt: iso(r.due_at),
    snoozedUntil: isoOrNull(r.snoozed_until),
    doneAt: isoOrNull(r.done_at),
    overdue: r.done_at == null && due < now,
    ownerId: (r.owner_id as string | null) ?? null,
    ownerEmail: (r.owner_email as string | null) ?? null,
    ruleId: (r.rule_id as string | null) ?? null,
    createdAt: iso(r.created_at),
  };
}

function factsFromRow(r: Record<string, unknown>): ProfileFacts {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    email: (r.email as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    phone: (r.phone as string | null) ?? null,
    company: (r.company as string | null) ?? null,
    userId: (r.user_id as string | null) ?? null,
    stage: String(r.stage) as Stage,
    channel: (r.channel as string | null) ?? null,
    campaign: (r.first_campaign as string | null) ?? null,
    ownerId: (r.owner_id as string | null) ?? null,
    firstTouch: touchSummary(r.first_touch),
  };
}

const FACTS = `SELECT id, site_id, email, name, phone, company, user_id, stage, channel, first_campaign, first_touch,
  owner_id, merged_into FROM profiles WHERE id = ?`;

/** The live profile (following merges) as rules read it; null when it is gone. */
async function profileFacts(tx: Exec, id: string): Promise<ProfileFacts | null> {
  let row: Record<string, unknown> | undefined;
  for (let hops = 0, next = id; hops < 20; hops++) {
    row = (await tx.execute({ sql: FACTS, args: [next] })).rows[0] as Record<string, unknown> | undefined;
    if (!row?.merged_into) break;
    next = String(row.merged_into);
  }
  return row ? factsFromRow(row) : null;
}

// ---- Outbox ----

async function insertDelivery(
  tx: Exec,
  endpoint: { id: string; siteId: string },
  payload: WebhookPayload,
  now: number,
): Promise<string> {
  const id = `msg_${newId(24)}`;
  await tx.execute({
    sql: `INSERT INTO webhook_deliveries (id, endpoint_id, site_id, type, payload, status, attempts, next_at, created_at)
          VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    args: [id, endpoint.id, endpoint.siteId, payload.type, JSON.stringify(payload), now, now],
  });
  return id;
}

async function deliveriesOf(db: Exec, where: string, args: (string | number)[]): Promise<WebhookDelivery[]> {
  const rs = await db.execute({
    sql: `SELECT * FROM webhook_deliveries WHERE ${where} ORDER BY created_at DESC, id LIMIT 100`,
    args,
  });
  if (!rs.rows.length) return [];
  const ids = rs.rows.map((r) => String(r.id));
  const attempts = await db.execute({
    sql: `SELECT * FROM webhook_attempts WHERE delivery_id IN (${ids.map(() => '?').join(', ')}) ORDER BY n`,
    args: ids,
  });
  const log = new Map<string, WebhookDelivery['log']>();
  for (const a of attempts.rows) {
    const list = log.get(String(a.delivery_id)) ?? [];
    list.push({
      at: iso(a.at),
      responseStatus: a.status == null ? null : Number(a.status),
      latencyMs: Number(a.latency_ms),
      error: (a.error as string | null) ?? null,
    });
    log.set(String(a.delivery_id), list);
  }
  return rs.rows.map((r) => ({
    id: String(r.id),
    endpointId: String(r.endpoint_id),
    type: String(r.type) as WebhookDelivery['type'],
    status: String(r.status) as WebhookDelivery['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: r.status === 'pending' ? isoOrNull(r.next_at) : null,
    lastResponseStatus: r.last_status == null ? null : Number(r.last_status),
    lastError: (r.last_error as string | null) ?? null,
    lastLatencyMs: r.last_latency_ms == null ? null : Number(r.last_latency_ms),
    createdAt: iso(r.created_at),
    deliveredAt: isoOrNull(r.delivered_at),
    log: log.get(String(r.id)) ?? [],
  }));
}

/**
 * Leases what was just taken from an outbox: another process (or this one after a crash) takes it again only
 * once the lease runs out. One statement for the whole set.
 */
async function lease(
  tx: Exec,
  table: 'webhook_deliveries' | 'email_outbox',
  taken: { id: string }[],
  until: number,
): Promise<void> {
  if (!taken.length) return;
  await tx.execute({
    sql: `UPDATE ${table} SET next_at = ? WHERE id IN (${taken.map(() => '?').join(', ')})`,
    args: [until, ...taken.map((t) => t.id)],
  });
}

// ---- Rules in action ----

interface Context {
  now: number;
  smtp: boolean;
  publicUrl: string;
}

/** Runs a rule's actions on a profile, in order, and records the firing; returns whether any action acted. */
async function fireRule(
  tx: Exec,
  rule: AutomationRule,
  p: ProfileFacts,
  trigger: TriggerKind,
  seq: number | null,
  ctx: Context,
): Promise<void> {
  const results: RuleFiring['results'] = [];
  for (const action of rule.actions) {
    const note = await act(tx, rule, action, p, trigger, ctx);
    results.push({ action: action.kind, ok: note === 'ok', note });
  }
  if (results.some((r) => r.ok)) await leadAutomated(tx, p.id, ctx.now);
  await tx.execute({
    sql: 'UPDATE automation_rules SET fired = fired + 1, last_fired_at = ? WHERE id = ?',
    args: [ctx.now, rule.id],
  });
  await tx.execute({
    sql: `INSERT INTO automation_firings (rule_id, site_id, profile_id, change_seq, trigger, at, results)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [rule.id, rule.siteId, p.id, seq, trigger, ctx.now, JSON.stringify(results)],
  });
}

/** One action; 'ok', or a sentence saying why it did nothing (shown in the rule's log). */
async function act(
  tx: Exec,
  rule: AutomationRule,
  action: RuleAction,
  p: ProfileFacts,
  trigger: TriggerKind,
  ctx: Context,
): Promise<string> {
  switch (action.kind) {
    case 'assign': {
      let userId = action.userId ?? null;
      if (userId) {
        const found = await tx.execute({ sql: 'SELECT id FROM users WHERE id = ?', args: [userId] });
        if (!found.rows[0]) return 'the named user no longer exists';
      } else {
        const users = (await tx.execute('SELECT id FROM users ORDER BY created_at, id')).rows;
        if (!users.length) return 'there are no users to assign';
        const turn = await tx.execute({
          sql: 'UPDATE automation_rules SET round_robin = round_robin + 1 WHERE id = ? RETURNING round_robin',
          args: [rule.id],
        });
        userId = String(users[(Number(turn.rows[0].round_robin) - 1) % users.length].id);
      }
      await tx.execute({ sql: 'UPDATE profiles SET owner_id = ? WHERE id = ?', args: [userId, p.id] });
      p.ownerId = userId;
      return 'ok';
    }
    case 'chat_reply': {
      const conv = await tx.execute({
        sql: `SELECT c.anonymous_id FROM conversations c JOIN identities i ON i.site_id = c.site_id AND i.key = 'a:' || c.anonymous_id
              WHERE c.site_id = ? AND i.profile_id = ? ORDER BY c.updated_at DESC LIMIT 1`,
        args: [p.siteId, p.id],
      });
      if (!conv.rows[0]) return 'the profile has no chat conversation';
      await appendMessage(tx, p.siteId, String(conv.rows[0].anonymous_id), {
        author: 'auto',
        text: action.text,
      });
      return 'ok';
    }
    case 'tag':
      await tx.execute({
        sql: `INSERT INTO profile_tags (profile_id, tag, site_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        args: [p.id, action.tag, p.siteId, ctx.now],
      });
      return 'ok';
    case 'set_stage':
      p.stage = await setStageIn(tx, p.id, action.stage, `automation: ${rule.name}`, ctx.now, {
        by: 'automation',
        ruleId: rule.id,
      });
      return 'ok';
    case 'task':
      await tx.execute({
        sql: `INSERT INTO tasks (id, site_id, profile_id, rule_id, title, owner_id, due_at, created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          `task_${newId(16)}`,
          p.siteId,
          p.id,
          rule.id,
          action.title,
          p.ownerId,
          ctx.now + Math.round(action.dueHours * 3_600_000),
          ctx.now,
        ],
      });
      return 'ok';
    case 'email_owner': {
      if (!ctx.smtp) return 'email is unavailable: no SMTP server is configured (TOUCHPOINT_SMTP_URL)';
      if (!p.ownerId) return 'the profile has no owner';
      const owner = await tx.execute({ sql: 'SELECT email FROM users WHERE id = ?', args: [p.ownerId] });
      if (!owner.rows[0]) return 'the owner no longer exists';
      const who = p.email ?? p.name ?? 'a visitor';
      const lines = [
        `${rule.name} fired for ${who}.`,
        '',
        `Stage: ${p.stage}`,
        `Email: ${p.email ?? '-'}`,
        `Name: ${p.name ?? '-'}`,
        `Phone: ${p.phone ?? '-'}`,
        `Company: ${p.company ?? '-'}`,
        `First touch: ${p.firstTouch?.channel ?? 'Direct'}${p.firstTouch?.campaign ? ` (${p.firstTouch.campaign})` : ''}`,
        '',
        `Open the profile: ${ctx.publicUrl}/app/profiles/${encodeURIComponent(p.id)}`,
      ];
      await tx.execute({
        sql: `INSERT INTO email_outbox (id, site_id, to_address, subject, body, status, attempts, next_at, created_at)
              VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
        args: [
          `mail_${newId(16)}`,
          p.siteId,
          String(owner.rows[0].email),
          action.subject ?? `New lead: ${who}`,
          lines.join('\n'),
          ctx.now,
          ctx.now,
        ],
      });
      return 'ok';
    }
    case 'webhook': {
      const e = await tx.execute({
        sql: 'SELECT id, site_id, enabled FROM webhook_endpoints WHERE id = ? AND site_id = ?',
        args: [action.endpointId, p.siteId],
      });
      if (!e.rows[0]) return 'the webhook endpoint no longer exists';
      await insertDelivery(
        tx,
        { id: action.endpointId, siteId: p.siteId },
        {
          type: 'rule.fired',
          timestamp: iso(ctx.now),
          data: { profile: webhookProfile(p), rule: { id: rule.id, name: rule.name }, trigger },
        },
        ctx.now,
      );
      return Number(e.rows[0].enabled) === 1 ? 'ok' : 'ok (the endpoint is disabled: it waits until enabled)';
    }
  }
}

async function state(tx: Exec, name: string): Promise<number> {
  const rs = await tx.execute({ sql: 'SELECT value FROM automation_state WHERE name = ?', args: [name] });
  return rs.rows[0] ? Number(rs.rows[0].value) : 0;
}
async function setState(tx: Exec, name: string, value: number): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO automation_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    args: [name, value],
  });
}

/** Marks profiles that became at risk (no visit for 30 days, or a payment overdue) and logs each as a change. */
async function sweepAtRisk(tx: Exec, now: number): Promise<number> {
  const noVisit = await tx.execute({
    sql: `UPDATE profiles SET at_risk_at = ? WHERE id IN (
            SELECT id FROM profiles INDEXED BY profiles_risk_due
            WHERE at_risk_at IS NULL AND merged_into IS NULL AND last_seen <= ? AND last_seen > ? LIMIT ?)
          RETURNING id, site_id, last_seen`,
    args: [now, now - STATUS_DAYS.atRisk * DAY, now - STATUS_DAYS.churned * DAY, SWEEP_BATCH],
  });
  const overdue = await tx.execute({
    sql: `UPDATE profiles SET at_risk_at = ? WHERE id IN (
            SELECT id FROM profiles INDEXED BY profiles_overdue_due
            WHERE at_risk_at IS NULL AND merged_into IS NULL AND payment_overdue_at IS NOT NULL
              AND payment_overdue_at < ? AND last_seen > ? LIMIT ?)
          RETURNING id, site_id, payment_overdue_at`,
    args: [now, now, now - STATUS_DAYS.churned * DAY, SWEEP_BATCH],
  });
  const bySite = new Map<string, Parameters<typeof appendChanges>[2]>();
  const add = (r: Record<string, unknown>, reason: string, at: number) => {
    const list = bySite.get(String(r.site_id)) ?? [];
    list.push({ profileId: String(r.id), kind: 'at_risk', detail: { reason }, at, messageId: null });
    bySite.set(String(r.site_id), list);
  };
  for (const r of noVisit.rows) add(r, 'no_visit', Number(r.last_seen) + STATUS_DAYS.atRisk * DAY);
  for (const r of overdue.rows) add(r, 'payment_overdue', Number(r.payment_overdue_at));
  for (const [siteId, changes] of bySite) await appendChanges(tx, siteId, changes, now);
  return noVisit.rows.length + overdue.rows.length;
}

/** The status rule (profileStatus in profiles.ts) in SQL, over a row, with args churned-before, at-risk-before, now. */
const STATUS_SQL = `CASE WHEN last_seen <= ? THEN 'churned'
  WHEN last_seen <= ? OR payment_overdue_at < ? THEN 'at_risk' ELSE 'active' END`;

/**
 * Moves the maintained status of the profiles whose status changed by time alone since it was written: a visit
 * clock that ran out (per site, on the list's own status index, oldest first) or a payment that fell due. Each
 * statement moves at most STATUS_BATCH rows; returns the most one statement moved (a full batch: sweep again).
 */
async function sweepStatus(tx: Exec, now: number): Promise<number> {
  const churned = now - STATUS_DAYS.churned * DAY;
  const atRisk = now - STATUS_DAYS.atRisk * DAY;
  const status = [churned, atRisk, now];
  const most = (rs: { rowsAffected: number }, n: number) => Math.max(n, rs.rowsAffected);
  let moved = 0;
  const sites = await tx.execute('SELECT site_id FROM site_counts WHERE profiles > 0');
  for (const site of sites.rows) {
    for (const [from, before] of [
      ['active', atRisk],
      ['at_risk', churned],
    ] as const) {
      const rs = await tx.execute({
        sql: `UPDATE profiles SET status = ${STATUS_SQL} WHERE rowid IN (
                SELECT rowid FROM profiles INDEXED BY profiles_list_status_last_seen
                WHERE site_id = ? AND status = ? AND merged_into IS NULL AND last_seen <= ?
                ORDER BY last_seen LIMIT ?)`,
        args: [...status, String(site.site_id), from, before, STATUS_BATCH],
      });
      moved = most(rs, moved);
    }
  }
  const overdue = await tx.execute({
    sql: `UPDATE profiles SET status = ${STATUS_SQL} WHERE rowid IN (
            SELECT rowid FROM profiles INDEXED BY profiles_status_overdue
            WHERE status = 'active' AND merged_into IS NULL AND payment_overdue_at IS NOT NULL
              AND payment_overdue_at < ? ORDER BY payment_overdue_at LIMIT ?)`,
    args: [...status, now, STATUS_BATCH],
  });
  return most(overdue, moved);
}

/**
 * One round of automations in one transaction: the changes after the cursor (each fires its rules and becomes
 * webhook deliveries), due "unanswered" timers, and the at-risk sweep. The cursor moves in the same commit.
 */
async function processRound(tx: Exec, options: ProcessOptions): Promise<ProcessResult> {
  const now = options.now ?? Date.now();
  const limit = options.limit ?? 1000;
  const ctx: Context = { now, smtp: options.smtp, publicUrl: options.publicUrl ?? '' };
  const cursor = await state(tx, 'cursor');
  const rs = await tx.execute({
    sql: `SELECT seq, site_id, profile_id, kind, detail, at, created_at FROM profile_changes WHERE seq > ? ORDER BY seq LIMIT ?`,
    args: [cursor, limit],
  });
  const changes: Change[] = rs.rows.map((r) => ({
    seq: Number(r.seq),
    siteId: String(r.site_id),
    profileId: String(r.profile_id),
    kind: String(r.kind) as Change['kind'],
    detail: JSON.parse(String(r.detail)),
    at: Number(r.at),
    createdAt: Number(r.created_at),
  }));
  const rules = new Map<string, AutomationRule[]>();
  const endpoints = new Map<string, WebhookEndpoint[]>();
  const sites = [...new Set(changes.map((c) => c.siteId))];
  if (sites.length) {
    const marks = sites.map(() => '?').join(', ');
    for (const r of (
      await tx.execute({
        sql: `SELECT * FROM automation_rules WHERE enabled = 1 AND site_id IN (${marks}) ORDER BY created_at, id`,
        args: sites,
      })
    ).rows) {
      const rule = ruleFromRow(r);
      rules.set(rule.siteId, [...(rules.get(rule.siteId) ?? []), rule]);
    }
    for (const r of (
      await tx.execute({
        sql: `SELECT * FROM webhook_endpoints WHERE site_id IN (${marks}) ORDER BY created_at, id`,
        args: sites,
      })
    ).rows) {
      const e = endpointFromRow(r);
      endpoints.set(e.siteId, [...(endpoints.get(e.siteId) ?? []), e]);
    }
  }
  let fired = 0;
  let deliveries = 0;
  for (const c of changes) {
    const siteRules = rules.get(c.siteId) ?? [];
    const types = webhookTypes(c);
    const subscribed = (endpoints.get(c.siteId) ?? []).filter((e) => types.some((t) => e.events.includes(t)));
    const firing = siteRules.filter((r) => fires(r, c));
    const clock = startsLeadClock(c);
    if (!subscribed.length && !firing.length && !clock) continue;
    const p = await profileFacts(tx, c.profileId);
    if (!p) continue;
    if (clock) {
      // From when the visitor wrote (the event's time), but never earlier than a minute before it reached us:
      // a form queued offline for a day was not waiting for an answer all that time.
      const started = Math.max(Math.min(c.at, c.createdAt), c.createdAt - 60_000);
      await leadStarted(tx, c.siteId, p.id, started, c.kind, p.channel ?? 'Direct');
      for (const r of siteRules)
        if (r.trigger.kind === 'lead_unanswered')
          await tx.execute({
            sql: `INSERT INTO automation_timers (rule_id, profile_id, site_id, started_at, due_at) VALUES (?, ?, ?, ?, ?)
                  ON CONFLICT DO NOTHING`,
            args: [r.id, p.id, c.siteId, c.createdAt, c.createdAt + r.trigger.minutes * 60_000],
          });
    }
    for (const e of subscribed)
      for (const t of types as WebhookEventType[])
        if (e.events.includes(t)) {
          await insertDelivery(tx, e, payloadOf(t, c, p), now);
          deliveries++;
        }
    for (const r of firing) {
      if (!conditionsHold(r.conditions, p)) continue;
      await fireRule(tx, r, p, r.trigger.kind, c.seq, ctx);
      fired++;
    }
  }
  if (changes.length) await setState(tx, 'cursor', changes[changes.length - 1].seq);

  // Leads nobody answered in time.
  const due = await tx.execute({
    sql: `SELECT t.rule_id, t.profile_id, t.started_at, t.due_at FROM automation_timers t WHERE t.due_at <= ? ORDER BY t.due_at LIMIT ?`,
    args: [now, limit],
  });
  for (const t of due.rows) {
    await tx.execute({
      sql: 'DELETE FROM automation_timers WHERE rule_id = ? AND profile_id = ?',
      args: [t.rule_id, t.profile_id],
    });
    const ruleRow = (
      await tx.execute({ sql: 'SELECT * FROM automation_rules WHERE id = ?', args: [t.rule_id] })
    ).rows[0];
    if (!ruleRow) continue;
    const rule = ruleFromRow(ruleRow);
    if (!rule.enabled) continue;
    const p = await profileFacts(tx, String(t.profile_id));
    if (!p) continue;
    const answered = await tx.execute({
      sql: `SELECT 1 FROM lead_responses WHERE profile_id IN (SELECT id FROM profiles WHERE id = ? OR merged_into = ?)
              AND first_human_at IS NOT NULL AND first_human_at <= ? LIMIT 1`,
      args: [p.id, p.id, Number(t.due_at)],
    });
    if (answered.rows[0] || !conditionsHold(rule.conditions, p)) continue;
    await fireRule(tx, rule, p, 'lead_unanswered', null, ctx);
    fired++;
  }

  let marked = 0;
  let moved = 0;
  if (now - (await state(tx, 'risk_sweep_at')) >= (options.sweepMs ?? SWEEP_MS)) {
    moved = await sweepStatus(tx, now);
    marked = await sweepAtRisk(tx, now);
    // A full batch leaves more to mark: sweep again next round.
    if (marked < SWEEP_BATCH && moved < STATUS_BATCH) await setState(tx, 'risk_sweep_at', now);
  }
  return {
    changes: changes.length,
    fired,
    deliveries,
    more: changes.length === limit || due.rows.length === limit || marked > 0 || moved > 0,
  };
}

// ---- The store area ----

export function createAutomationStore(client: Client, write: Write): AutomationStore {
  const mustSite = async (siteId: string) => {
    const rs = await client.execute({ sql: 'SELECT id FROM sites WHERE id = ?', args: [siteId] });
    if (!rs.rows[0]) throw new Refused('not_found', 'not_found', 'no such site', 'id');
  };
  const checkRule = async (siteId: string, input: RuleInput) => {
    for (const [i, a] of input.actions.entries()) {
      if (a.kind === 'webhook') {
        const e = await client.execute({
          sql: 'SELECT id FROM webhook_endpoints WHERE id = ? AND site_id = ?',
          args: [a.endpointId, siteId],
        });
        if (!e.rows[0])
          throw new Refused(
            'invalid',
            'invalid_body',
            `actions.${i}.endpointId: no such webhook endpoint on this site`,
            `actions.${i}.endpointId`,
          );
      }
      if (a.kind === 'assign' && a.userId) {
        const u = await client.execute({ sql: 'SELECT id FROM users WHERE id = ?', args: [a.userId] });
        if (!u.rows[0])
          throw new Refused(
            'invalid',
            'invalid_body',
            `actions.${i}.userId: no such user`,
            `actions.${i}.userId`,
          );
      }
    }
  };
  const getRule = async (db: Exec, id: string) => {
    const rs = await db.execute({ sql: 'SELECT * FROM automation_rules WHERE id = ?', args: [id] });
    return rs.rows[0] ? ruleFromRow(rs.rows[0]) : null;
  };
  const getEndpoint = async (db: Exec, id: string) => {
    const rs = await db.execute({ sql: 'SELECT * FROM webhook_endpoints WHERE id = ?', args: [id] });
    return rs.rows[0] ? endpointFromRow(rs.rows[0]) : null;
  };
  const TASKS = `SELECT t.*, p.email AS profile_email, p.name AS profile_name, u.email AS owner_email FROM tasks t
    LEFT JOIN profiles p ON p.id = t.profile_id LEFT JOIN users u ON u.id = t.owner_id`;

  return {
    async rules(siteId) {
      const rs = await client.execute({
        sql: 'SELECT * FROM automation_rules WHERE site_id = ? ORDER BY created_at, id',
        args: [siteId],
      });
      return rs.rows.map(ruleFromRow);
    },
    rule: (id) => getRule(client, id),
    async createRule(siteId, input) {
      await mustSite(siteId);
      await checkRule(siteId, input);
      const id = `rule_${newId(16)}`;
      return write(async (tx) => {
        const now = Date.now();
        await tx.execute({
          sql: `INSERT INTO automation_rules (id, site_id, name, enabled, trigger, conditions, actions, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [
            id,
            siteId,
            input.name,
            input.enabled ? 1 : 0,
            JSON.stringify(input.trigger),
            JSON.stringify(input.conditions),
            JSON.stringify(input.actions),
            now,
            now,
          ],
        });
        return (await getRule(tx, id))!;
      });
    },
    async updateRule(id, input) {
      const was = await getRule(client, id);
      if (!was) return null;
      await checkRule(was.siteId, input);
      return write(async (tx) => {
        await tx.execute({
          sql: `UPDATE automation_rules SET name = ?, enabled = ?, trigger = ?, conditions = ?, actions = ?, updated_at = ?
                WHERE id = ?`,
          args: [
            input.name,
            input.enabled ? 1 : 0,
            JSON.stringify(input.trigger),
            JSON.stringify(input.conditions),
            JSON.stringify(input.actions),
            Date.now(),
            id,
          ],
        });
        // A rule no longer waiting on unanswered leads drops its timers.
        if (input.trigger.kind !== 'lead_unanswered' || !input.enabled)
          await tx.execute({ sql: 'DELETE FROM automation_timers WHERE rule_id = ?', args: [id] });
        return getRule(tx, id);
      });
    },
    deleteRule: (id) =>
      write(async (tx) => {
        const rs = await tx.execute({ sql: 'DELETE FROM automation_rules WHERE id = ?', args: [id] });
        await tx.execute({ sql: 'DELETE FROM automation_timers WHERE rule_id = ?', args: [id] });
        return rs.rowsAffected > 0;
      }),
    async firings(ruleId, limit = 50) {
      const rs = await client.execute({
        sql: `SELECT f.*, p.email AS profile_email, p.name AS profile_name FROM automation_firings f
              LEFT JOIN profiles p ON p.id = f.profile_id WHERE f.rule_id = ? ORDER BY f.id DESC LIMIT ?`,
        args: [ruleId, limit],
      });
      return rs.rows.map((r) => ({
        at: iso(r.at),
        profileId: String(r.profile_id),
        profileEmail: (r.profile_email as string | null) ?? null,
        profileName: (r.profile_name as string | null) ?? null,
        trigger: String(r.trigger) as TriggerKind,
        results: JSON.parse(String(r.results)),
      }));
    },

    async tasks(query) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (query.siteId) where.push('t.site_id = ?') && args.push(query.siteId);
      if (query.profileId) where.push('t.profile_id = ?') && args.push(query.profileId);
      if (query.status === 'open') where.push('t.done_at IS NULL');
      if (query.status === 'done') where.push('t.done_at IS NOT NULL');
      const rs = await client.execute({
        sql: `${TASKS} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
              ORDER BY t.done_at IS NOT NULL, MAX(t.due_at, COALESCE(t.snoozed_until, 0)), t.id LIMIT 500`,
        args,
      });
      const now = Date.now();
      return rs.rows.map((r) => taskFromRow(r, now));
    },
    async updateTask(id, change, userId) {
      return write(async (tx) => {
        const now = Date.now();
        const row = (await tx.execute({ sql: 'SELECT * FROM tasks WHERE id = ?', args: [id] })).rows[0];
        if (!row) return null;
        if (change.done === true && row.done_at == null) {
          await tx.execute({
            sql: 'UPDATE tasks SET done_at = ?, done_by = ? WHERE id = ?',
            args: [now, userId, id],
          });
          // A task done is a person answering the lead.
          await leadAnswered(tx, String(row.profile_id), now);
        } else if (change.done === false) {
          await tx.execute({
            sql: 'UPDATE tasks SET done_at = NULL, done_by = NULL WHERE id = ?',
            args: [id],
          });
        }
        if (change.snoozeHours !== undefined)
          await tx.execute({
            sql: 'UPDATE tasks SET snoozed_until = ? WHERE id = ?',
            args: [now + Math.round(change.snoozeHours * 3_600_000), id],
          });
        const out = (await tx.execute({ sql: `${TASKS} WHERE t.id = ?`, args: [id] })).rows[0];
        return taskFromRow(out, now);
      });
    },
    async tags(profileId) {
      const rs = await client.execute({
        sql: 'SELECT tag FROM profile_tags WHERE profile_id = ? ORDER BY created_at, tag',
        args: [profileId],
      });
      return rs.rows.map((r) => String(r.tag));
    },

    async endpoints(siteId) {
      const rs = await client.execute({
        sql: 'SELECT * FROM webhook_endpoints WHERE site_id = ? ORDER BY created_at, id',
        args: [siteId],
      });
      return rs.rows.map(endpointFromRow);
    },
    endpoint: (id) => getEndpoint(client, id),
    async createEndpoint(siteId, input) {
      await mustSite(siteId);
      const id = `ep_${newId(16)}`;
      const secret = newWebhookSecret();
      return write(async (tx) => {
        const now = Date.now();
        await tx.execute({
          sql: `INSERT INTO webhook_endpoints (id, site_id, url, events, secret, enabled, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [
            id,
            siteId,
            input.url,
            JSON.stringify(input.events),
            secret,
            input.enabled === false ? 0 : 1,
            now,
            now,
          ],
        });
        return { ...(await getEndpoint(tx, id))!, secret };
      });
    },
    async updateEndpoint(id, input) {
      return write(async (tx) => {
        const was = await getEndpoint(tx, id);
        if (!was) return null;
        const enabled = input.enabled ?? was.enabled;
        await tx.execute({
          sql: `UPDATE webhook_endpoints SET url = ?, events = ?, enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?`,
          args: [
            input.url ?? was.url,
            JSON.stringify(input.events ?? was.events),
            enabled ? 1 : 0,
            enabled ? null : was.disabledReason,
            Date.now(),
            id,
          ],
        });
        return getEndpoint(tx, id);
      });
    },
    deleteEndpoint: (id) =>
      write(async (tx) => {
        const rs = await tx.execute({ sql: 'DELETE FROM webhook_endpoints WHERE id = ?', args: [id] });
        await tx.execute({
          sql: `DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)`,
          args: [id],
        });
        await tx.execute({ sql: 'DELETE FROM webhook_deliveries WHERE endpoint_id = ?', args: [id] });
        return rs.rowsAffected > 0;
      }),
    rotateSecret: (id) =>
      write(async (tx) => {
        const secret = newWebhookSecret();
        const rs = await tx.execute({
          sql: 'UPDATE webhook_endpoints SET secret = ?, updated_at = ? WHERE id = ?',
          args: [secret, Date.now(), id],
        });
        if (!rs.rowsAffected) return null;
        return { ...(await getEndpoint(tx, id))!, secret };
      }),
    deliveries: (endpointId) => deliveriesOf(client, 'endpoint_id = ?', [endpointId]),
    redeliver: (deliveryId) =>
      write(async (tx) => {
        const rs = await tx.execute({
          sql: `UPDATE webhook_deliveries SET status = 'pending', next_at = ?, delivered_at = NULL WHERE id = ?`,
          args: [Date.now(), deliveryId],
        });
        if (!rs.rowsAffected) return null;
        return (await deliveriesOf(tx, 'id = ?', [deliveryId]))[0] ?? null;
      }),
    testEvent: (endpointId) =>
      write(async (tx) => {
        const e = await getEndpoint(tx, endpointId);
        if (!e) return null;
        const now = Date.now();
        const id = await insertDelivery(
          tx,
          e,
          {
            type: 'webhook.test',
            timestamp: iso(now),
            data: {
              profile: {
                id: 'test_profile',
                email: 'test@example.com',
                name: 'Test Lead',
                stage: 'lead',
                firstTouch: null,
              },
            },
          },
          now,
        );
        return (await deliveriesOf(tx, 'id = ?', [id]))[0];
      }),

    process: (options) => write((tx) => processRound(tx, options)),
    async pending() {
      const rs = await client.execute(
        `SELECT (SELECT COALESCE(MAX(seq), 0) FROM profile_changes) AS last,
                (SELECT COALESCE(MAX(value), 0) FROM automation_state WHERE name = 'cursor') AS cursor,
                (SELECT MIN(due_at) FROM automation_timers) AS timer,
                (SELECT COALESCE(MAX(value), 0) FROM automation_state WHERE name = 'risk_sweep_at') AS swept,
                (SELECT MIN(next_at) FROM webhook_deliveries INDEXED BY webhook_deliveries_due WHERE status = 'pending') AS delivery,
                (SELECT MIN(next_at) FROM email_outbox INDEXED BY email_outbox_due WHERE status = 'pending') AS email`,
      );
      const r = rs.rows[0];
      const num = (x: unknown) => (x == null ? null : Number(x));
      return {
        changes: Number(r.last) > Number(r.cursor),
        nextTimerAt: num(r.timer),
        sweptAt: Number(r.swept),
        nextDeliveryAt: num(r.delivery),
        nextEmailAt: num(r.email),
      };
    },
    claimDeliveries: (now, limit, leaseMs) =>
      write(async (tx) => {
        const rs = await tx.execute({
          sql: `SELECT d.id, d.payload, d.attempts, d.endpoint_id, e.url, e.secret FROM webhook_deliveries d
                JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.status = 'pending' AND d.next_at <= ? AND e.enabled = 1 ORDER BY d.next_at LIMIT ?`,
          args: [now, limit],
        });
        const out: DueDelivery[] = rs.rows.map((r) => ({
          id: String(r.id),
          endpointId: String(r.endpoint_id),
          url: String(r.url),
          secret: String(r.secret),
          payload: String(r.payload),
          attempts: Number(r.attempts),
        }));
        await lease(tx, 'webhook_deliveries', out, now + leaseMs);
        return out;
      }),
    recordAttempt: (id, result: DeliveryAttempt, schedule) =>
      write(async (tx) => {
        const row = (
          await tx.execute({
            sql: 'SELECT attempts, endpoint_id, status FROM webhook_deliveries WHERE id = ?',
            args: [id],
          })
        ).rows[0];
        if (!row || row.status !== 'pending') return;
        const n = Number(row.attempts) + 1;
        await tx.execute({
          sql: 'INSERT INTO webhook_attempts (delivery_id, n, at, status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)',
          args: [id, n, result.at, result.status, result.latencyMs, result.error],
        });
        const outcome = outcomeOf(result.status);
        let status = 'pending';
        let next: number | null = null;
        if (outcome === 'delivered') status = 'delivered';
        else if (outcome === 'gone') {
          status = 'failed';
          await tx.execute({
            sql: `UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?`,
            args: ['the receiver answered 410 Gone', result.at, row.endpoint_id],
          });
        } else {
          const wait = nextDelayMs(schedule, n, result.retryAfterMs);
          if (wait === null) status = 'failed';
          else next = result.at + wait;
        }
        await tx.execute({
          sql: `UPDATE webhook_deliveries SET attempts = ?, status = ?, next_at = ?, last_status = ?, last_error = ?,
                  last_latency_ms = ?, delivered_at = ? WHERE id = ?`,
          args: [
            n,
            status,
            next,
            result.status,
            result.error,
            result.latencyMs,
            status === 'delivered' ? result.at : null,
            id,
          ],
        });
      }),
    claimEmails: (now, limit, leaseMs) =>
      write(async (tx) => {
        const rs = await tx.execute({
          sql: `SELECT id, to_address, subject, body, attempts FROM email_outbox WHERE status = 'pending' AND next_at <= ?
                ORDER BY next_at LIMIT ?`,
          args: [now, limit],
        });
        const out: DueEmail[] = rs.rows.map((r) => ({
          id: String(r.id),
          to: String(r.to_address),
          subject: String(r.subject),
          body: String(r.body),
          attempts: Number(r.attempts),
        }));
        await lease(tx, 'email_outbox', out, now + leaseMs);
        return out;
      }),
    recordEmail: (id, error, at) =>
      write(async (tx) => {
        const row = (
          await tx.execute({ sql: 'SELECT attempts, status FROM email_outbox WHERE id = ?', args: [id] })
        ).rows[0];
        if (!row || row.status !== 'pending') return;
        const n = Number(row.attempts) + 1;
        const wait = error ? nextDelayMs(EMAIL_SCHEDULE, n, null) : null;
        await tx.execute({
          sql: 'UPDATE email_outbox SET attempts = ?, status = ?, next_at = ?, last_error = ?, sent_at = ? WHERE id = ?',
          args: [
            n,
            !error ? 'sent' : wait === null ? 'failed' : 'pending',
            !error || wait === null ? null : at + wait,
            error,
            error ? null : at,
            id,
          ],
        });
      }),
    async emails(siteId) {
      const rs = await client.execute({
        sql: 'SELECT * FROM email_outbox WHERE site_id = ? ORDER BY created_at DESC LIMIT 100',
        args: [siteId],
      });
      return rs.rows.map((r) => ({
        id: String(r.id),
        to: String(r.to_address),
        subject: String(r.subject),
        status: String(r.status) as 'pending' | 'sent' | 'failed',
        attempts: Number(r.attempts),
        lastError: (r.last_error as string | null) ?? null,
        createdAt: iso(r.created_at),
        sentAt: isoOrNull(r.sent_at),
      }));
    },
  };
}
