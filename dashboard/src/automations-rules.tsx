// Automation rules of a site: the list (trigger in words, on/off, times fired), the editor (trigger, conditions,
// actions) and each rule's firing log with what every action did.
import { useState } from 'preact/hooks';
import {
  type AutomationRule,
  type FormDefinition,
  type RuleAction,
  type RuleCondition,
  type RuleFiring,
  type RuleInput,
  type RuleTrigger,
  type SiteSummary,
  STAGES,
  type Stage,
  TRIGGER_KINDS,
  type TriggerKind,
  type UserSummary,
  type WebhookEndpoint,
} from '../../wire.ts';
import type { ApiError } from './api.ts';
import { automationsApi } from './automations-api.ts';
import { type Action, useAction, useKeptRequest } from './automations-hooks.ts';
import { ErrorNotice, Loading, RelativeTime } from './components.tsx';
import { ConfirmDialog } from './dialog.tsx';
import { CHANNELS, shortId } from './format.ts';
import { BASE, Link, navigate } from './router.tsx';
import { useRequest } from './use-request.ts';

export interface EmailAvailability {
  available: boolean;
  reason?: string;
}

/** What the pickers offer: the site's forms, the users to assign, the webhook endpoints. */
interface Choices {
  forms: FormDefinition[];
  users: UserSummary[];
  /** The site's endpoints; null for a member, who may keep a rule's webhook action but not see endpoints. */
  endpoints: WebhookEndpoint[] | null;
}

const TRIGGER_LABEL: Record<TriggerKind, string> = {
  form_submitted: 'A form is submitted',
  chat_started: 'A chat starts',
  stage_entered: 'A profile enters a stage',
  score_crossed: 'The lead score reaches the threshold',
  payment_succeeded: 'A payment succeeds',
  payment_failed: 'A payment fails',
  at_risk: 'A profile becomes at risk',
  lead_unanswered: 'A lead is left unanswered',
};

const ACTION_KINDS = ['assign', 'chat_reply', 'tag', 'set_stage', 'task', 'email_owner', 'webhook'] as const;
type ActionKind = RuleAction['kind'];

const ACTION_LABEL: Record<ActionKind, string> = {
  assign: 'Assign an owner',
  chat_reply: 'Reply in the chat',
  tag: 'Add a tag',
  set_stage: 'Set the stage',
  task: 'Create a follow-up task',
  email_owner: 'Email the owner',
  webhook: 'Send a webhook',
};

type ConditionField = RuleCondition['field'];
const CONDITION_FIELDS: [ConditionField, string][] = [
  ['channel', 'First-touch channel'],
  ['campaign', 'Campaign'],
  ['stage', 'Stage'],
  ['trait', 'Trait'],
];
type Trait = NonNullable<RuleCondition['trait']>;
const TRAITS: [Trait, string][] = [
  ['email', 'Email'],
  ['name', 'Name'],
  ['phone', 'Phone'],
  ['company', 'Company'],
  ['userId', 'User id'],
];

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** The trigger in a marketer's words: "When “Book a demo” is submitted". */
export function triggerText(trigger: RuleTrigger, forms: FormDefinition[]): string {
  switch (trigger.kind) {
    case 'form_submitted': {
      if (!trigger.formId) return 'When any form is submitted';
      const form = forms.find((f) => f.id === trigger.formId);
      return form ? `When “${form.name}” is submitted` : 'When a deleted form is submitted';
    }
    case 'stage_entered':
      return trigger.stage ? `When a profile enters ${trigger.stage}` : 'When a profile enters any stage';
    case 'lead_unanswered':
      return `When a lead is unanswered after ${plural(trigger.minutes, 'minute')}`;
    default:
      return `When ${TRIGGER_LABEL[trigger.kind].replace(/^A /, 'a ').replace(/^The /, 'the ')}`;
  }
}

function conditionText(c: RuleCondition): string {
  const field =
    c.field === 'trait'
      ? (TRAITS.find(([t]) => t === c.trait)?.[1] ?? 'Trait').toLowerCase()
      : (CONDITION_FIELDS.find(([f]) => f === c.field)?.[1] ?? c.field).toLowerCase();
  return c.equals ? `${field} is “${c.equals}”` : `${field} is empty`;
}

function actionText(a: RuleAction, choices: Choices | null): string {
  switch (a.kind) {
    case 'assign': {
      if (!a.userId) return 'assign an owner (round-robin)';
      const user = choices?.users.find((u) => u.id === a.userId);
      return `assign to ${user?.email ?? 'a removed user'}`;
    }
    case 'chat_reply':
      return 'reply in the chat';
    case 'tag':
      return `tag “${a.tag}”`;
    case 'set_stage':
      return `set the stage to ${a.stage}`;
    case 'task':
      return `task “${a.title}”`;
    case 'email_owner':
      return 'email the owner';
    case 'webhook':
      return 'send a webhook';
  }
}

/** A rule as the API takes it back (PUT replaces the whole rule). */
const inputOf = (r: AutomationRule): RuleInput => ({
  name: r.name,
  enabled: r.enabled,
  trigger: r.trigger,
  conditions: r.conditions,
  actions: r.actions,
});

export function RulesSection({
  site,
  id,
  email,
  href,
  admin = true,
}: {
  site: SiteSummary;
  id: string | null;
  email: EmailAvailability;
  href: (ruleId: string | null) => string;
  /** Endpoints are an admin's: a member's editor does not ask for them. */
  admin?: boolean;
}) {
  const [choices, retryChoices] = useRequest(
    (signal) =>
      Promise.all([
        automationsApi.forms(site.id, signal),
        automationsApi.users(signal),
        admin ? automationsApi.endpoints(site.id, signal) : Promise.resolve({ endpoints: null }),
      ]).then(([f, u, e]): Choices => ({ forms: f.forms, users: u.users, endpoints: e.endpoints })),
    [site.id, admin],
  );
  if (choices.status === 'loading') return <Loading label="Loading rules…" />;
  if (choices.status === 'error') return <ErrorNotice error={choices.error} retry={retryChoices} />;
  if (id === 'new')
    return (
      <div>
        <Link class="back-link" href={href(null)}>
          <span aria-hidden="true">←</span> All rules
        </Link>
        <RuleEditor
          site={site}
          rule={null}
          choices={choices.data}
          email={email}
          href={href}
          onSaved={() => {}}
        />
      </div>
    );
  if (id) return <RulePage key={id} site={site} id={id} choices={choices.data} email={email} href={href} />;
  return <RuleList site={site} choices={choices.data} email={email} href={href} />;
}

function RuleList({
  site,
  choices,
  email,
  href,
}: {
  site: SiteSummary;
  choices: Choices;
  email: EmailAvailability;
  href: (ruleId: string | null) => string;
}) {
  const { state, data, reload, set } = useKeptRequest(
    (signal) => automationsApi.rules(site.id, signal),
    [site.id],
  );
  const rules = data?.rules ?? null;
  const setRules = (list: AutomationRule[]) => set({ rules: list });
  const [deleting, setDeleting] = useState<AutomationRule | null>(null);
  const [toggling, setToggling] = useState<string | null>(null);
  const toggleAction = useAction();
  const remove = useAction();

  // The switch moves at once; a refusal puts it back and says why.
  const toggle = (rule: AutomationRule, enabled: boolean) => {
    const before = rules ?? [];
    setToggling(rule.id);
    setRules(before.map((r) => (r.id === rule.id ? { ...r, enabled } : r)));
    toggleAction.run(
      () => automationsApi.saveRule(rule.id, { ...inputOf(rule), enabled }),
      (reply) => {
        setToggling(null);
        setRules(before.map((r) => (r.id === rule.id ? reply.rule : r)));
      },
      () => {
        setToggling(null);
        setRules(before);
      },
    );
  };

  return (
    <div class="settings-stack">
      <section class="card" aria-labelledby="rules-title">
        <div class="card-head">
          <h2 id="rules-title">Rules</h2>
          <Link class="button button-primary button-small" href={href('new')}>
            New rule
          </Link>
        </div>
        <p class="muted">
          A rule acts once per change on a profile of {site.name}: when its trigger happens and every
          condition holds, its actions run in order.
        </p>
        {state.status === 'error' ? <ErrorNotice error={state.error} retry={reload} /> : null}
        {!rules && state.status === 'loading' ? <Loading label="Loading rules…" /> : null}
        {toggleAction.error ? <ErrorNotice error={toggleAction.error} /> : null}
        {rules && rules.length === 0 ? (
          <div class="empty empty-inset">
            <p>
              <strong>No rules yet.</strong> A rule can assign every new lead an owner, answer a chat at once,
              create a follow-up task or tell another tool through a webhook.
            </p>
            <Link class="button button-primary" href={href('new')}>
              Create the first rule
            </Link>
          </div>
        ) : null}
        {rules && rules.length ? (
          <ul class="rule-list" aria-label="Rules">
            {rules.map((r) => (
              <li key={r.id} class={r.enabled ? undefined : 'rule-off'}>
                <div class="rule-main">
                  <Link class="rule-name" href={href(r.id)}>
                    {r.name}
                  </Link>
                  <p class="rule-when">
                    {triggerText(r.trigger, choices.forms)}
                    {r.conditions.length ? `, if ${r.conditions.map(conditionText).join(' and ')}` : ''}
                  </p>
                  <p class="rule-then muted small">
                    Then {r.actions.map((a) => actionText(a, choices)).join(', ')}
                    {!email.available && r.actions.some((a) => a.kind === 'email_owner') ? (
                      <span class="unavailable"> · email unavailable</span>
                    ) : null}
                  </p>
                </div>
                <div class="rule-fired small">
                  {r.fired ? (
                    <>
                      Fired {plural(r.fired, 'time')}
                      {r.lastFiredAt ? (
                        <>
                          , last <RelativeTime iso={r.lastFiredAt} />
                        </>
                      ) : null}
                    </>
                  ) : (
                    <span class="muted">Never fired</span>
                  )}
                </div>
                <div class="rule-tools">
                  <label class="switch">
                    <input
                      type="checkbox"
                      role="switch"
                      checked={r.enabled}
                      disabled={toggling === r.id}
                      aria-label={`${r.name} enabled`}
                      onChange={(e) => toggle(r, e.currentTarget.checked)}
                    />
                    <span aria-hidden="true">{r.enabled ? 'On' : 'Off'}</span>
                  </label>
                  <button
                    type="button"
                    class="button button-small"
                    aria-label={`Delete ${r.name}`}
                    onClick={() => {
                      remove.clear();
                      setDeleting(r);
                    }}
                  >
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      {deleting ? (
        <DeleteRuleDialog
          rule={deleting}
          action={remove}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setRules((rules ?? []).filter((r) => r.id !== deleting.id));
            setDeleting(null);
          }}
        />
      ) : null}
    </div>
  );
}

function DeleteRuleDialog({
  rule,
  action,
  onClose,
  onDeleted,
}: {
  rule: AutomationRule;
  action: Action;
  onClose: () => void;
  onDeleted: () => void;
}) {
  return (
    <ConfirmDialog
      title="Delete rule"
      confirmLabel="Delete rule"
      danger
      busy={action.busy}
      error={action.error}
      onClose={onClose}
      onConfirm={() => action.run(() => automationsApi.deleteRule(rule.id), onDeleted)}
    >
      <p>
        “{rule.name}” stops acting at once. What it already did (owners, tags, tasks, webhooks sent) stays.
      </p>
    </ConfirmDialog>
  );
}

/** One rule: its editor, and below it the log of its recent firings. */
function RulePage({
  site,
  id,
  choices,
  email,
  href,
}: {
  site: SiteSummary;
  id: string;
  choices: Choices;
  email: EmailAvailability;
  href: (ruleId: string | null) => string;
}) {
  const { state, data, reload } = useKeptRequest((signal) => automationsApi.rule(id, signal), [id]);
  const back = (
    <Link class="back-link" href={href(null)}>
      <span aria-hidden="true">←</span> All rules
    </Link>
  );
  if (!data && state.status === 'error')
    return (
      <>
        {back}
        {state.error.status === 404 ? (
          <p class="empty">This rule no longer exists: it may have been deleted.</p>
        ) : (
          <ErrorNotice error={state.error} retry={reload} />
        )}
      </>
    );
  if (!data)
    return (
      <>
        {back}
        <Loading label="Loading the rule…" />
      </>
    );
  const { rule, firings } = data;
  return (
    <div class="settings-stack">
      <div>
        {back}
        <RuleEditor site={site} rule={rule} choices={choices} email={email} href={href} onSaved={reload} />
      </div>
      <Firings
        rule={rule}
        firings={firings}
        choices={choices}
        onRefresh={reload}
        error={state.status === 'error' ? state.error : null}
        loading={state.status === 'loading'}
      />
    </div>
  );
}

function Firings({
  rule,
  firings,
  choices,
  onRefresh,
  error,
  loading,
}: {
  rule: AutomationRule;
  firings: RuleFiring[];
  choices: Choices;
  onRefresh: () => void;
  error: ApiError | null;
  loading: boolean;
}) {
  return (
    <section class="card" aria-labelledby="firings-title">
      <div class="card-head">
        <h2 id="firings-title">
          Recent firings <span class="muted">· {plural(rule.fired, 'time')} in all</span>
        </h2>
        <button type="button" class="button button-small" onClick={onRefresh} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {error ? <ErrorNotice error={error} retry={onRefresh} /> : null}
      {firings.length === 0 ? (
        <p class="empty-line">
          Not fired yet. It fires the next time {triggerText(rule.trigger, choices.forms).slice(5)}
          {rule.conditions.length ? ' and its conditions hold' : ''}.
        </p>
      ) : (
        <ol class="firing-list" aria-label="Firings">
          {firings.map((f, i) => (
            <li key={`${f.at}-${i}`}>
              <div class="firing-head">
                <RelativeTime iso={f.at} />
                <span class="muted">·</span>
                <Link href={`${BASE}/profiles/${encodeURIComponent(f.profileId)}`}>
                  {f.profileEmail ?? f.profileName ?? `Profile ${shortId(f.profileId)}`}
                </Link>
                <span class="muted small">{TRIGGER_LABEL[f.trigger]}</span>
              </div>
              <ul class="firing-results">
                {f.results.map((r, j) => (
                  <li key={j} class={r.ok ? 'result-ok' : 'result-skipped'}>
                    <span aria-hidden="true">{r.ok ? '✓' : '✗'}</span> {ACTION_LABEL[r.action]}
                    {r.ok ? (
                      <span class="visually-hidden">: done</span>
                    ) : (
                      <span class="result-note">: {r.note}</span>
                    )}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

// ---- Editor ----

let rowKey = 0;
type Keyed<T> = T & { key: number };
interface Draft {
  name: string;
  enabled: boolean;
  trigger: RuleTrigger;
  conditions: Keyed<RuleCondition>[];
  actions: Keyed<RuleAction>[];
}

const keyed = <T extends object>(x: T): Keyed<T> => ({ ...x, key: rowKey++ });

const blankDraft = (): Draft => ({
  name: '',
  enabled: true,
  trigger: { kind: 'form_submitted', formId: null },
  conditions: [],
  actions: [keyed<RuleAction>({ kind: 'assign' })],
});

const toDraft = (r: AutomationRule): Draft => ({
  name: r.name,
  enabled: r.enabled,
  trigger: r.trigger,
  conditions: r.conditions.map(keyed),
  actions: r.actions.map(keyed),
});

function triggerOf(kind: TriggerKind, was: RuleTrigger): RuleTrigger {
  if (kind === was.kind) return was;
  if (kind === 'form_submitted') return { kind, formId: null };
  if (kind === 'stage_entered') return { kind, stage: null };
  if (kind === 'lead_unanswered') return { kind, minutes: 5 };
  return { kind };
}

function actionOf(kind: ActionKind, choices: Choices): RuleAction {
  switch (kind) {
    case 'assign':
      return { kind };
    case 'chat_reply':
      return { kind, text: 'Thanks! Someone will answer you shortly.' };
    case 'tag':
      return { kind, tag: '' };
    case 'set_stage':
      return { kind, stage: 'qualified' };
    case 'task':
      return { kind, title: 'Follow up', dueHours: 24 };
    case 'email_owner':
      return { kind };
    case 'webhook':
      return { kind, endpointId: choices.endpoints?.[0]?.id ?? '' };
  }
}

/** A number field's value; empty while the field is empty (the browser's `required` then stops the save). */
const numberText = (n: number) => (Number.isFinite(n) ? String(n) : '');

function RuleEditor({
  site,
  rule,
  choices,
  email,
  href,
  onSaved,
}: {
  site: SiteSummary;
  rule: AutomationRule | null;
  choices: Choices;
  email: EmailAvailability;
  href: (ruleId: string | null) => string;
  onSaved: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => (rule ? toDraft(rule) : blankDraft()));
  const [saved, setSaved] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const save = useAction();
  const remove = useAction();
  const change = (next: Partial<Draft>) => {
    setSaved(false);
    setDraft({ ...draft, ...next });
  };
  const setCondition = (key: number, next: Partial<RuleCondition>) =>
    change({ conditions: draft.conditions.map((c) => (c.key === key ? { ...c, ...next } : c)) });
  const setAction = (key: number, next: RuleAction) =>
    change({ actions: draft.actions.map((a) => (a.key === key ? { ...next, key } : a)) });
  const t = draft.trigger;
  const fieldError = (field: string) =>
    save.error?.field === field || save.error?.field?.startsWith(`${field}.`) ? true : undefined;

  const submit = () => {
    const input: RuleInput = {
      name: draft.name.trim(),
      enabled: draft.enabled,
      trigger: draft.trigger,
      conditions: draft.conditions.map(({ key: _key, ...c }) =>
        c.field === 'trait' ? { ...c, trait: c.trait ?? 'email' } : { field: c.field, equals: c.equals },
      ),
      actions: draft.actions.map(({ key: _key, ...a }) => a as RuleAction),
    };
    save.run(
      () => (rule ? automationsApi.saveRule(rule.id, input) : automationsApi.createRule(site.id, input)),
      () => {
        if (rule) {
          setSaved(true);
          onSaved();
        } else navigate(href(null));
      },
    );
  };

  return (
    <form
      class="card rule-editor"
      aria-labelledby="rule-editor-title"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h2 id="rule-editor-title">{rule ? `Edit “${rule.name}”` : 'New rule'}</h2>
      <div class="rule-name-row">
        <label class="field">
          Rule name
          <input
            required
            maxLength={120}
            value={draft.name}
            placeholder="Route demo requests"
            aria-invalid={fieldError('name')}
            onInput={(e) => change({ name: e.currentTarget.value })}
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(e) => change({ enabled: e.currentTarget.checked })}
          />
          Enabled
        </label>
      </div>

      <fieldset class="rule-part">
        <legend>When</legend>
        <div class="rule-row">
          <label class="field">
            Trigger
            <select
              value={t.kind}
              onChange={(e) => change({ trigger: triggerOf(e.currentTarget.value as TriggerKind, t) })}
            >
              {TRIGGER_KINDS.map((k) => (
                <option key={k} value={k}>
                  {TRIGGER_LABEL[k]}
                </option>
              ))}
            </select>
          </label>
          {t.kind === 'form_submitted' ? (
            <label class="field">
              Form
              <select
                value={t.formId ?? ''}
                onChange={(e) => change({ trigger: { ...t, formId: e.currentTarget.value || null } })}
              >
                <option value="">Any form</option>
                {choices.forms.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {t.kind === 'stage_entered' ? (
            <label class="field">
              Stage
              <select
                value={t.stage ?? ''}
                onChange={(e) =>
                  change({ trigger: { ...t, stage: (e.currentTarget.value || null) as Stage | null } })
                }
              >
                <option value="">Any stage</option>
                {STAGES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {t.kind === 'lead_unanswered' ? (
            <label class="field">
              Unanswered after (minutes)
              <input
                type="number"
                required
                min={1}
                max={10080}
                step={1}
                value={numberText(t.minutes)}
                aria-invalid={fieldError('trigger')}
                onInput={(e) => change({ trigger: { ...t, minutes: e.currentTarget.valueAsNumber } })}
              />
            </label>
          ) : null}
        </div>
        {t.kind === 'lead_unanswered' ? (
          <p class="muted small">
            Fires when no one has replied in the chat or marked a task done since the lead's form or first
            chat message.
          </p>
        ) : null}
      </fieldset>

      <fieldset class="rule-part">
        <legend>Only if</legend>
        {draft.conditions.length === 0 ? (
          <p class="muted small">No conditions: the rule acts on every profile its trigger names.</p>
        ) : null}
        {draft.conditions.map((c, i) => (
          <div key={c.key} class="rule-row" role="group" aria-label={`Condition ${i + 1}`}>
            <label class="field">
              Field
              <select
                value={c.field}
                onChange={(e) => {
                  const field = e.currentTarget.value as ConditionField;
                  setCondition(c.key, {
                    field,
                    trait: field === 'trait' ? (c.trait ?? 'email') : undefined,
                    equals: field === 'stage' ? 'lead' : field === c.field ? c.equals : '',
                  });
                }}
              >
                {CONDITION_FIELDS.map(([f, label]) => (
                  <option key={f} value={f}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            {c.field === 'trait' ? (
              <label class="field">
                Trait
                <select
                  value={c.trait ?? 'email'}
                  onChange={(e) => setCondition(c.key, { trait: e.currentTarget.value as Trait })}
                >
                  {TRAITS.map(([trait, label]) => (
                    <option key={trait} value={trait}>
                      {label}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            {c.field === 'stage' ? (
              <label class="field">
                Is
                <select
                  value={c.equals}
                  onChange={(e) => setCondition(c.key, { equals: e.currentTarget.value })}
                >
                  {STAGES.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </label>
            ) : (
              <label class="field">
                Is
                <input
                  maxLength={200}
                  value={c.equals}
                  list={c.field === 'channel' ? 'rule-channels' : undefined}
                  placeholder={c.field === 'channel' ? 'Email' : c.field === 'campaign' ? 'spring' : ''}
                  aria-invalid={fieldError(`conditions.${i}`)}
                  onInput={(e) => setCondition(c.key, { equals: e.currentTarget.value })}
                />
              </label>
            )}
            <div class="rule-row-tools">
              <button
                type="button"
                class="button button-small"
                aria-label={`Remove condition ${i + 1}`}
                onClick={() => change({ conditions: draft.conditions.filter((x) => x.key !== c.key) })}
              >
                Remove
              </button>
            </div>
          </div>
        ))}
        <datalist id="rule-channels">
          {CHANNELS.map((ch) => (
            <option key={ch} value={ch} />
          ))}
        </datalist>
        <p class="muted small">Values match without regard to case; an empty value matches a missing one.</p>
        <button
          type="button"
          class="button button-small"
          disabled={draft.conditions.length >= 10}
          onClick={() =>
            change({ conditions: [...draft.conditions, keyed({ field: 'channel', equals: '' })] })
          }
        >
          Add condition
        </button>
      </fieldset>

      <fieldset class="rule-part">
        <legend>Then</legend>
        {!email.available ? (
          <p class="unavailable-note" role="note">
            <strong>Email the owner is unavailable.</strong>{' '}
            {email.reason ?? 'Checking whether email can be sent…'}
          </p>
        ) : null}
        {draft.actions.map((a, i) => (
          <ActionRow
            key={a.key}
            index={i}
            action={a}
            choices={choices}
            email={email}
            invalid={fieldError(`actions.${i}`)}
            only={draft.actions.length === 1}
            onChange={(next) => setAction(a.key, next)}
            onRemove={() => change({ actions: draft.actions.filter((x) => x.key !== a.key) })}
          />
        ))}
        <button
          type="button"
          class="button button-small"
          disabled={draft.actions.length >= 10}
          onClick={() => change({ actions: [...draft.actions, keyed(actionOf('task', choices))] })}
        >
          Add action
        </button>
      </fieldset>

      {save.error ? <ErrorNotice error={save.error} /> : null}
      <div class="dialog-actions rule-actions">
        {rule ? (
          <button
            type="button"
            class="button button-danger-text rule-delete"
            onClick={() => {
              remove.clear();
              setDeleting(true);
            }}
          >
            Delete rule
          </button>
        ) : null}
        {saved ? (
          <span class="saved" role="status">
            Saved
          </span>
        ) : null}
        <Link class="button" href={href(null)}>
          {rule ? 'Back' : 'Cancel'}
        </Link>
        <button type="submit" class="button button-primary" disabled={save.busy}>
          {save.busy ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}
        </button>
      </div>
      {deleting && rule ? (
        <DeleteRuleDialog
          rule={rule}
          action={remove}
          onClose={() => setDeleting(false)}
          onDeleted={() => navigate(href(null))}
        />
      ) : null}
    </form>
  );
}

function ActionRow({
  index,
  action: a,
  choices,
  email,
  invalid,
  only,
  onChange,
  onRemove,
}: {
  index: number;
  action: RuleAction;
  choices: Choices;
  email: EmailAvailability;
  invalid: true | undefined;
  only: boolean;
  onChange: (a: RuleAction) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  return (
    <div class="rule-row rule-action" role="group" aria-label={`Action ${n}`}>
      <label class="field">
        Action
        <select
          value={a.kind}
          onChange={(e) => onChange(actionOf(e.currentTarget.value as ActionKind, choices))}
        >
          {ACTION_KINDS.map((k) => {
            // Email is offered only when it can be sent; a rule that already has it keeps it, marked below.
            const off = k === 'email_owner' && !email.available && a.kind !== k;
            return (
              <option key={k} value={k} disabled={off}>
                {ACTION_LABEL[k]}
                {k === 'email_owner' && !email.available ? ' (unavailable)' : ''}
              </option>
            );
          })}
        </select>
      </label>
      {a.kind === 'assign' ? (
        <label class="field">
          To
          <select
            value={a.userId ?? ''}
            onChange={(e) => onChange({ kind: 'assign', userId: e.currentTarget.value || undefined })}
          >
            <option value="">Round-robin among all users</option>
            {choices.users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
            {a.userId && !choices.users.some((u) => u.id === a.userId) ? (
              <option value={a.userId}>A removed user</option>
            ) : null}
          </select>
        </label>
      ) : null}
      {a.kind === 'chat_reply' ? (
        <label class="field rule-wide">
          Message
          <textarea
            required
            rows={2}
            maxLength={1000}
            value={a.text}
            aria-invalid={invalid}
            onInput={(e) => onChange({ ...a, text: e.currentTarget.value })}
          />
        </label>
      ) : null}
      {a.kind === 'tag' ? (
        <label class="field">
          Tag
          <input
            required
            maxLength={40}
            value={a.tag}
            placeholder="demo request"
            aria-invalid={invalid}
            onInput={(e) => onChange({ ...a, tag: e.currentTarget.value })}
          />
        </label>
      ) : null}
      {a.kind === 'set_stage' ? (
        <label class="field">
          Stage
          <select value={a.stage} onChange={(e) => onChange({ ...a, stage: e.currentTarget.value as Stage })}>
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {a.kind === 'task' ? (
        <>
          <label class="field">
            Task
            <input
              required
              maxLength={200}
              value={a.title}
              aria-invalid={invalid}
              onInput={(e) => onChange({ ...a, title: e.currentTarget.value })}
            />
          </label>
          <label class="field">
            Due in (hours)
            <input
              type="number"
              required
              min={0}
              max={8760}
              step="any"
              value={numberText(a.dueHours)}
              onInput={(e) => onChange({ ...a, dueHours: e.currentTarget.valueAsNumber })}
            />
          </label>
        </>
      ) : null}
      {a.kind === 'email_owner' ? (
        <label class="field">
          Subject <span class="muted">(optional)</span>
          <input
            maxLength={200}
            value={a.subject ?? ''}
            placeholder="New lead: …"
            onInput={(e) => onChange({ kind: 'email_owner', subject: e.currentTarget.value || undefined })}
          />
        </label>
      ) : null}
      {a.kind === 'webhook' ? (
        <label class="field">
          Endpoint
          <select
            required
            value={a.endpointId}
            aria-invalid={invalid}
            onChange={(e) => onChange({ ...a, endpointId: e.currentTarget.value })}
          >
            {choices.endpoints === null ? (
              a.endpointId ? (
                <option value={a.endpointId}>The endpoint an admin chose</option>
              ) : (
                <option value="">Only an admin can choose an endpoint</option>
              )
            ) : choices.endpoints.length === 0 ? (
              <option value="">No endpoints yet: add one under Webhooks</option>
            ) : null}
            {(choices.endpoints ?? []).map((ep) => (
              <option key={ep.id} value={ep.id}>
                {ep.url}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {a.kind === 'email_owner' && !email.available ? (
        <p class="unavailable rule-wide small">
          Unavailable: this action does nothing until an SMTP server is configured. Its firings say so.
        </p>
      ) : null}
      <div class="rule-row-tools">
        <button
          type="button"
          class="button button-small"
          disabled={only}
          aria-label={`Remove action ${n}`}
          onClick={onRemove}
        >
          Remove
        </button>
      </div>
    </div>
  );
}
