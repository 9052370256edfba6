// The settings that need the admin API's settings routes: adding and editing sites, a site's lead scoring and
// identity rules, users and API tokens. Part of the lazy settings chunk (settings.tsx imports it).
import { useEffect, useState } from 'preact/hooks';
import type {
  SiteCreatedReply,
  SiteRuleSettings,
  SiteSettingsReply,
  SiteSummary,
  TokenCreatedReply,
} from '../../wire.ts';
import type { ApiError } from './api.ts';
import { CopyButton, ErrorNotice, Loading, RelativeTime } from './components.tsx';
import { ConfirmDialog } from './dialog.tsx';
import { settingsApi } from './settings-api.ts';
import { toApiError, useRequest } from './use-request.ts';

/** Busy and error state of one write: `run` starts it, `done` runs after success. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = <T,>(call: () => Promise<T>, done: (reply: T) => void, failed?: () => void) => {
    setBusy(true);
    setError(null);
    call().then(
      (reply) => {
        setBusy(false);
        done(reply);
      },
      (err) => {
        setBusy(false);
        setError(toApiError(err));
        failed?.();
      },
    );
  };
  return { busy, error, run, clear: () => setError(null) };
}

/** Does the server's error point at this field (or an item of it, `origins.1`)? */
export const invalid = (error: ApiError | null, field: string) =>
  !!error?.field && (error.field === field || error.field.startsWith(`${field}.`)) ? 'true' : undefined;

const lines = (text: string) => [
  ...new Set(
    text
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean),
  ),
];

// ---- Sites ----

function SiteFields({
  idPrefix,
  name,
  origins,
  onName,
  onOrigins,
  error,
}: {
  idPrefix: string;
  name: string;
  origins: string;
  onName: (v: string) => void;
  onOrigins: (v: string) => void;
  error: ApiError | null;
}) {
  return (
    <>
      <label class="field">
        Site name
        <input
          required
          maxLength={200}
          value={name}
          aria-invalid={invalid(error, 'name')}
          onInput={(e) => onName(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        Allowed origins <span class="muted">(one per line, e.g. https://www.example.com)</span>
        <textarea
          required
          rows={3}
          id={`${idPrefix}-origins`}
          value={origins}
          aria-invalid={invalid(error, 'origins')}
          spellcheck={false}
          autoCapitalize="off"
          onInput={(e) => onOrigins(e.currentTarget.value)}
        />
      </label>
    </>
  );
}

/**
 * "Add site": the form, then the secret key and identity secret, shown this once. `open` is the first-site
 * form of the empty state: there the list reloads only on Done, since the reload replaces the empty state
 * (and this panel with it).
 */
export function AddSite({ onAdded, open = false }: { onAdded: () => void; open?: boolean }) {
  const [editing, setEditing] = useState(open);
  const [name, setName] = useState('');
  const [origins, setOrigins] = useState('');
  const [created, setCreated] = useState<SiteCreatedReply | null>(null);
  const action = useAction();

  if (created)
    return (
      <section class="card card-highlight" aria-labelledby="created-title">
        <h2 id="created-title">{created.site.name} is added</h2>
        <p role="status">
          <strong>Copy the secret key now: it is not shown again.</strong> Servers use it to send events
          (billing among them); it is stored only as a hash.
        </p>
        <Secret label="Secret key" value={created.secretKey} />
        <Secret label="Identity secret (signs user ids sent from the page)" value={created.identitySecret} />
        <p>The install snippet for the site is below with the other sites.</p>
        <div class="dialog-actions">
          <button
            type="button"
            class="button button-primary"
            onClick={() => {
              setCreated(null);
              setEditing(open);
              setName('');
              setOrigins('');
              if (open) onAdded();
            }}
          >
            Done
          </button>
        </div>
      </section>
    );
  if (!editing)
    return (
      <div class="settings-actions">
        <button type="button" class="button button-primary" onClick={() => setEditing(true)}>
          Add site
        </button>
      </div>
    );
  return (
    <form
      class="card"
      aria-labelledby="add-site-title"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(
          () => settingsApi.createSite(name.trim(), lines(origins)),
          (reply) => {
            setCreated(reply);
            if (!open) onAdded();
          },
        );
      }}
    >
      <h2 id="add-site-title">{open ? 'Add your first site' : 'Add a site'}</h2>
      {open ? (
        <p class="muted">
          Name the website and the origins its pages are served from; the install snippet follows.
        </p>
      ) : null}
      <SiteFields
        idPrefix="new-site"
        name={name}
        origins={origins}
        onName={setName}
        onOrigins={setOrigins}
        error={action.error}
      />
      {action.error ? <ErrorNotice error={action.error} /> : null}
      <div class="dialog-actions">
        {open ? null : (
          <button type="button" class="button" disabled={action.busy} onClick={() => setEditing(false)}>
            Cancel
          </button>
        )}
        <button type="submit" class="button button-primary" disabled={action.busy}>
          {action.busy ? 'Adding…' : 'Add site'}
        </button>
      </div>
    </form>
  );
}

function Secret({ label, value }: { label: string; value: string }) {
  return (
    <div class="secret">
      <span class="secret-label">{label}</span>
      <div class="snippet">
        <pre>
          <code>{value}</code>
        </pre>
        <CopyButton text={value} label={`Copy the ${label.split(' (')[0].toLowerCase()}`} />
      </div>
    </div>
  );
}

/** A site's name and origins, edited in place; removing an origin asks first. */
export function EditSite({ site, onSaved }: { site: SiteSummary; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(site.name);
  const [origins, setOrigins] = useState(site.origins.join('\n'));
  const [confirm, setConfirm] = useState<string[] | null>(null);
  const action = useAction();
  const save = () =>
    action.run(
      () => settingsApi.updateSite(site.id, { name: name.trim(), origins: lines(origins) }),
      () => {
        setConfirm(null);
        setEditing(false);
        onSaved();
      },
    );

  if (!editing)
    return (
      <button
        type="button"
        class="button button-small"
        aria-label={`Edit ${site.name}`}
        onClick={() => {
          setName(site.name);
          setOrigins(site.origins.join('\n'));
          action.clear();
          setEditing(true);
        }}
      >
        Edit
      </button>
    );
  return (
    <form
      class="site-edit"
      aria-label={`Edit ${site.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        // Compare as the server will store them (lower case, no trailing slash), so only real removals ask.
        const kept = lines(origins).map((o) => o.toLowerCase().replace(/\/+$/, ''));
        const removed = site.origins.filter((o) => !kept.includes(o));
        if (removed.length) setConfirm(removed);
        else save();
      }}
    >
      <SiteFields
        idPrefix={`site-${site.id}`}
        name={name}
        origins={origins}
        onName={setName}
        onOrigins={setOrigins}
        error={action.error}
      />
      {action.error && !confirm ? <ErrorNotice error={action.error} /> : null}
      <div class="dialog-actions">
        <button type="button" class="button" disabled={action.busy} onClick={() => setEditing(false)}>
          Cancel
        </button>
        <button type="submit" class="button button-primary" disabled={action.busy}>
          {action.busy && !confirm ? 'Saving…' : 'Save site'}
        </button>
      </div>
      {confirm ? (
        <ConfirmDialog
          title="Remove origins"
          confirmLabel="Remove and save"
          danger
          busy={action.busy}
          error={action.error}
          onClose={() => setConfirm(null)}
          onConfirm={save}
        >
          <p>Pages on these origins can no longer send events to {site.name}:</p>
          <ul class="plain-list">
            {confirm.map((o) => (
              <li key={o}>
                <code>{o}</code>
              </li>
            ))}
          </ul>
        </ConfirmDialog>
      ) : null}
    </form>
  );
}

// ---- Lead scoring ----

type Score = SiteSettingsReply['settings']['score'];
interface ScoreDraft {
  threshold: string;
  session: string;
  pricingView: string;
  chat: string;
  forms: [string, string][];
}
const toScoreDraft = (s: Score): ScoreDraft => ({
  threshold: String(s.threshold),
  session: String(s.session),
  pricingView: String(s.pricingView),
  chat: String(s.chat),
  forms: Object.entries(s.forms).map(([k, w]) => [k, String(w)]),
});
const fromScoreDraft = (d: ScoreDraft): Score => ({
  threshold: Number(d.threshold),
  session: Number(d.session),
  pricingView: Number(d.pricingView),
  chat: Number(d.chat),
  forms: Object.fromEntries(d.forms.map(([k, w]) => [k, Number(w)])),
});

function NumberField({
  label,
  hint,
  value,
  min,
  max,
  onInput,
  invalid: bad,
  short,
}: {
  short?: boolean;
  label: string;
  hint?: string;
  value: string;
  min: number;
  max: number;
  onInput: (v: string) => void;
  invalid?: boolean;
}) {
  return (
    <label class={short ? 'field field-short' : 'field'}>
      <span>
        {label} {hint ? <span class="muted">{hint}</span> : null}
      </span>
      <input
        type="number"
        inputMode="numeric"
        required
        min={min}
        max={max}
        step={1}
        value={value}
        aria-invalid={bad ? 'true' : undefined}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    </label>
  );
}

export function ScoringSettings({ site }: { site: SiteSummary }) {
  const [rules, retry] = useRequest((signal) => settingsApi.rules(site.id, signal), [site.id]);
  const [draft, setDraft] = useState<ScoreDraft | null>(null);
  const [saved, setSaved] = useState(false);
  const [newKind, setNewKind] = useState('');
  const [confirmReset, setConfirmReset] = useState(false);
  const action = useAction();
  useEffect(() => {
    if (rules.status === 'ready') setDraft(toScoreDraft(rules.data.settings.score));
  }, [rules]);
  if (rules.status === 'error') return <ErrorNotice error={rules.error} retry={retry} />;
  if (rules.status === 'loading' || !draft) return <Loading label="Loading lead scoring…" />;
  const defaults = rules.data.defaults.score;
  const set = (change: Partial<ScoreDraft>) => {
    setSaved(false);
    setDraft({ ...draft, ...change });
  };
  const save = (score: Score, done?: () => void) =>
    action.run(
      () => settingsApi.saveRules(site.id, { score }),
      (reply) => {
        setDraft(toScoreDraft(reply.settings.score));
        setSaved(true);
        done?.();
      },
    );
  const bad = (f: string) => invalid(action.error, `score.${f}`) === 'true';
  const kind = newKind.trim().toLowerCase();
  const kindTaken = draft.forms.some(([k]) => k === kind);
  return (
    <div class="settings-stack">
      <form
        class="card"
        aria-labelledby="scoring-title"
        onSubmit={(e) => {
          e.preventDefault();
          save(fromScoreDraft(draft));
        }}
      >
        <h2 id="scoring-title">Lifecycle and lead score</h2>
        <p class="muted">
          Each event adds points to its profile's lead score. A lead becomes <strong>qualified</strong> when
          the score reaches the threshold. Changes apply from the next event received; scores already counted
          stay.
        </p>
        <div class="number-grid">
          <NumberField
            label="Qualified at score"
            value={draft.threshold}
            min={1}
            max={10000}
            invalid={bad('threshold')}
            onInput={(threshold) => set({ threshold })}
          />
          <NumberField
            label="Each new visit"
            value={draft.session}
            min={0}
            max={1000}
            invalid={bad('session')}
            onInput={(session) => set({ session })}
          />
          <NumberField
            label="Pricing page view"
            value={draft.pricingView}
            min={0}
            max={1000}
            invalid={bad('pricingView')}
            onInput={(pricingView) => set({ pricingView })}
          />
          <NumberField
            label="Chat message"
            value={draft.chat}
            min={0}
            max={1000}
            invalid={bad('chat')}
            onInput={(chat) => set({ chat })}
          />
        </div>
        <fieldset class="fields-editor">
          <legend>Form submitted, by form kind</legend>
          <p class="muted small">
            The kind is the event's <code>formKind</code>, <code>kind</code> or <code>formId</code>;{' '}
            <em>default</em> counts for any other form.
          </p>
          <div class="number-grid">
            {draft.forms.map(([k, w], i) => (
              <div key={k} class="kind-row">
                <NumberField
                  label={`Form: ${k}`}
                  value={w}
                  min={0}
                  max={1000}
                  invalid={bad(`forms.${k}`)}
                  onInput={(value) => set({ forms: draft.forms.map((f, j) => (j === i ? [k, value] : f)) })}
                />
                {k in defaults.forms ? null : (
                  <button
                    type="button"
                    class="button button-small"
                    aria-label={`Remove form kind ${k}`}
                    onClick={() => set({ forms: draft.forms.filter((_, j) => j !== i) })}
                  >
                    Remove
                  </button>
                )}
              </div>
            ))}
          </div>
          <div class="inline-form">
            <label class="field field-short">
              New form kind
              <input
                value={newKind}
                maxLength={40}
                pattern="[A-Za-z0-9_\-]{1,40}"
                placeholder="webinar"
                aria-invalid={kindTaken ? 'true' : undefined}
                onInput={(e) => setNewKind(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    if (kind && !kindTaken) {
                      set({ forms: [...draft.forms, [kind, String(defaults.forms.default ?? 20)]] });
                      setNewKind('');
                    }
                  }
                }}
              />
            </label>
            <button
              type="button"
              class="button"
              disabled={!kind || kindTaken || !/^[a-z0-9_-]{1,40}$/.test(kind)}
              onClick={() => {
                set({ forms: [...draft.forms, [kind, String(defaults.forms.default ?? 20)]] });
                setNewKind('');
              }}
            >
              Add kind
            </button>
          </div>
        </fieldset>
        {action.error && !confirmReset ? <ErrorNotice error={action.error} /> : null}
        <div class="dialog-actions">
          {saved ? (
            <span class="saved" role="status">
              Saved
            </span>
          ) : null}
          <button type="button" class="button" disabled={action.busy} onClick={() => setConfirmReset(true)}>
            Reset to defaults
          </button>
          <button type="submit" class="button button-primary" disabled={action.busy}>
            {action.busy && !confirmReset ? 'Saving…' : 'Save scoring'}
          </button>
        </div>
      </form>
      {confirmReset ? (
        <ConfirmDialog
          title="Reset lead scoring"
          confirmLabel="Reset"
          danger
          busy={action.busy}
          error={action.error}
          onClose={() => setConfirmReset(false)}
          onConfirm={() =>
            save(
              {
                ...defaults,
                forms: Object.fromEntries(draft.forms.map(([k]) => [k, defaults.forms[k] ?? 0])),
              },
              () => setConfirmReset(false),
            )
          }
        >
          <p>
            The threshold and every weight go back to Touchpoint's defaults (qualified at {defaults.threshold}
            ). Form kinds you added get weight 0.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

// ---- Identity rules ----

export function IdentityRules({ site }: { site: SiteSummary }) {
  const [rules, retry] = useRequest((signal) => settingsApi.rules(site.id, signal), [site.id]);
  const [current, setCurrent] = useState<SiteSettingsReply | null>(null);
  const [value, setValue] = useState('');
  const [limit, setLimit] = useState('');
  const [windowDays, setWindowDays] = useState('');
  const [perDay, setPerDay] = useState('');
  const [removing, setRemoving] = useState<string | null>(null);
  const [saved, setSaved] = useState<'limit' | 'referrals' | null>(null);
  const action = useAction();
  useEffect(() => {
    if (rules.status === 'ready') {
      setCurrent(rules.data);
      setLimit(String(rules.data.settings.identity.sharedLimit));
      setWindowDays(String(rules.data.settings.identity.attributionWindowDays));
      setPerDay(String(rules.data.settings.identity.referralDailyLimit));
    }
  }, [rules]);
  if (rules.status === 'error') return <ErrorNotice error={rules.error} retry={retry} />;
  if (rules.status === 'loading' || !current) return <Loading label="Loading identity rules…" />;
  const blocked = current.settings.identity.blockedValues;
  const save = (identity: Partial<SiteRuleSettings['identity']>, done?: () => void) =>
    action.run(
      () => settingsApi.saveRules(site.id, { identity }),
      (reply) => {
        setCurrent(reply);
        setLimit(String(reply.settings.identity.sharedLimit));
        setWindowDays(String(reply.settings.identity.attributionWindowDays));
        setPerDay(String(reply.settings.identity.referralDailyLimit));
        done?.();
      },
    );
  const candidate = value.trim().toLowerCase();
  const already = blocked.includes(candidate) || current.defaults.builtInBlockedValues.includes(candidate);
  return (
    <div class="settings-stack">
      <section class="card" aria-labelledby="blocked-title">
        <h2 id="blocked-title">Blocked identifiers</h2>
        <p class="muted">
          An email, user id or phone number listed here never links two profiles: use it for shared logins,
          test accounts and placeholders your forms send. Applies from the next event received.
        </p>
        {blocked.length === 0 ? (
          <p class="empty-line">No values blocked for {site.name} beyond the built-in placeholders.</p>
        ) : (
          <ul class="chip-list" aria-label="Blocked values">
            {blocked.map((b) => (
              <li key={b} class="chip">
                <code>{b}</code>
                <button
                  type="button"
                  class="chip-remove"
                  aria-label={`Unblock ${b}`}
                  title={`Unblock ${b}`}
                  onClick={() => {
                    action.clear();
                    setRemoving(b);
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!candidate || already) return;
            save({ blockedValues: [...blocked, candidate] }, () => setValue(''));
          }}
        >
          <label class="field">
            Value to block
            <input
              value={value}
              maxLength={200}
              placeholder="test@example.com"
              autoCapitalize="off"
              spellcheck={false}
              aria-invalid={already ? 'true' : undefined}
              aria-describedby={already ? 'block-dup' : undefined}
              onInput={(e) => setValue(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="button button-primary" disabled={action.busy || !candidate || already}>
            Block
          </button>
        </form>
        {already ? (
          <p id="block-dup" class="muted small">
            “{candidate}” is already blocked.
          </p>
        ) : null}
        {action.error && !removing ? <ErrorNotice error={action.error} /> : null}
        <details class="built-in">
          <summary>Always blocked ({current.defaults.builtInBlockedValues.length} placeholders)</summary>
          <p class="small">
            {current.defaults.builtInBlockedValues.map((b, i) => (
              <span key={b}>
                {i ? ', ' : ''}
                <code>{b}</code>
              </span>
            ))}
            . Role mailboxes (info@, sales@ …) and addresses at the site's own domains never link either.
          </p>
        </details>
      </section>
      <form
        class="card"
        aria-labelledby="shared-title"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(null);
          save({ sharedLimit: Number(limit) }, () => setSaved('limit'));
        }}
      >
        <h2 id="shared-title">Shared identifiers</h2>
        <p class="muted">
          An identifier that would join more profiles than this within the shared window (30 days unless
          configured otherwise) is treated as shared (an office phone, a family email) and quarantined instead
          of merging them.
        </p>
        <div class="inline-form">
          <NumberField
            short
            label="Profiles one identifier may join"
            value={limit}
            min={1}
            max={1000}
            invalid={invalid(action.error, 'identity.sharedLimit') === 'true'}
            onInput={(v) => {
              setSaved(null);
              setLimit(v);
            }}
          />
          <button type="submit" class="button button-primary" disabled={action.busy}>
            Save limit
          </button>
          {saved === 'limit' ? (
            <span class="saved" role="status">
              Saved
            </span>
          ) : null}
        </div>
      </form>
      <form
        class="card"
        aria-labelledby="credit-title"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(null);
          save({ attributionWindowDays: Number(windowDays), referralDailyLimit: Number(perDay) }, () =>
            setSaved('referrals'),
          );
        }}
      >
        <h2 id="credit-title">Attribution and referrals</h2>
        <p class="muted">
          A direct visit within the attribution window of a campaign or referral click leaves that click the
          last touch. A referrer earns up to the daily number of referral credits; more wait for your review
          on the referrer's profile. A referral makes only a paying customer loyal.
        </p>
        <div class="inline-form">
          <NumberField
            short
            label="Attribution window (days)"
            value={windowDays}
            min={1}
            max={3650}
            invalid={invalid(action.error, 'identity.attributionWindowDays') === 'true'}
            onInput={(v) => {
              setSaved(null);
              setWindowDays(v);
            }}
          />
          <NumberField
            short
            label="Referral credits per referrer per day"
            value={perDay}
            min={1}
            max={10000}
            invalid={invalid(action.error, 'identity.referralDailyLimit') === 'true'}
            onInput={(v) => {
              setSaved(null);
              setPerDay(v);
            }}
          />
          <button type="submit" class="button button-primary" disabled={action.busy}>
            Save rules
          </button>
          {saved === 'referrals' ? (
            <span class="saved" role="status">
              Saved
            </span>
          ) : null}
        </div>
      </form>
      <section class="card" aria-labelledby="verified-title">
        <h2 id="verified-title">Verified identify</h2>
        <p class="muted">
          A user id your server sends (secret key) or signs (a <code>userHash</code> in the page's identify)
          is verified: a browser that only claims it keeps a profile of its own and shows as a merge proposal.
          Turn this on when every identify on {site.name} that carries a user id is signed: an unsigned one is
          then refused instead of kept as a claim.
        </p>
        <label class="check">
          <input
            type="checkbox"
            checked={current.settings.identity.requireVerifiedIdentify}
            disabled={action.busy}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              const before = current;
              const identity = { ...current.settings.identity, requireVerifiedIdentify: on };
              // Shown at once; the saved reply replaces it, or the previous value on an error.
              setCurrent({ ...current, settings: { ...current.settings, identity } });
              action.run(
                () => settingsApi.saveRules(site.id, { identity: { requireVerifiedIdentify: on } }),
                (reply) => setCurrent(reply),
                () => setCurrent(before),
              );
            }}
          />
          Require a signed identify for user ids
        </label>
      </section>
      {removing ? (
        <ConfirmDialog
          title="Unblock a value"
          confirmLabel="Unblock"
          danger
          busy={action.busy}
          error={action.error}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            save({ blockedValues: blocked.filter((b) => b !== removing) }, () => setRemoving(null))
          }
        >
          <p>
            From the next event, <code>{removing}</code> can link profiles again. Profiles kept apart so far
            are not merged by this alone.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

// ---- Team: users and API tokens ----

export function UsersCard() {
  const [users, retry] = useRequest(
    (signal) => Promise.all([settingsApi.users(signal), settingsApi.me(signal)]),
    [],
  );
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [removing, setRemoving] = useState<{ id: string; email: string } | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const action = useAction();
  const remove = useAction();
  return (
    <section class="card" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <p class="muted">Everyone who can sign in to this dashboard is an administrator.</p>
      {users.status === 'loading' ? <Loading label="Loading users…" /> : null}
      {users.status === 'error' ? <ErrorNotice error={users.error} retry={retry} /> : null}
      {users.status === 'ready' ? (
        <ul class="form-list" aria-label="Users">
          {users.data[0].users.map((u) => {
            const me = u.id === users.data[1].user.id;
            return (
              <li key={u.id}>
                <div>
                  <strong class="wrap">{u.email}</strong>
                  {me ? <span class="muted"> (you)</span> : null}
                  <div class="muted small">
                    Added <RelativeTime iso={u.createdAt} />
                  </div>
                </div>
                {me || users.data[0].users.length < 2 ? null : (
                  <button
                    type="button"
                    class="button button-small"
                    aria-label={`Remove ${u.email}`}
                    onClick={() => {
                      remove.clear();
                      setRemoving(u);
                    }}
                  >
                    Remove
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      ) : null}
      <h3>Add a user</h3>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAdded(null);
          action.run(
            () => settingsApi.addUser(email.trim(), password),
            (reply) => {
              setAdded(reply.user.email);
              setEmail('');
              setPassword('');
              retry();
            },
          );
        }}
      >
        <label class="field">
          Email
          <input
            type="email"
            required
            autoComplete="off"
            value={email}
            aria-invalid={invalid(action.error, 'email')}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>
            Password <span class="muted">(at least 10 characters)</span>
          </span>
          <input
            type="password"
            required
            minLength={10}
            autoComplete="new-password"
            value={password}
            aria-invalid={invalid(action.error, 'password')}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="button button-primary" disabled={action.busy}>
          {action.busy ? 'Adding…' : 'Add user'}
        </button>
      </form>
      {added ? (
        <p class="saved" role="status">
          {added} can sign in now. Give them the password in person or over a channel you trust.
        </p>
      ) : null}
      {action.error ? <ErrorNotice error={action.error} /> : null}
      {removing ? (
        <ConfirmDialog
          title="Remove user"
          confirmLabel="Remove user"
          danger
          busy={remove.busy}
          error={remove.error}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            remove.run(
              () => settingsApi.removeUser(removing.id),
              () => {
                setRemoving(null);
                retry();
              },
            )
          }
        >
          <p>
            {removing.email} is signed out everywhere and can no longer sign in. Conversations and profiles
            stay.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

export function TokensCard() {
  const [tokens, retry] = useRequest((signal) => settingsApi.tokens(signal), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<TokenCreatedReply | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const action = useAction();
  const revoke = useAction();
  return (
    <section class="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p class="muted">
        A token reads and writes the admin API (<code>Authorization: Bearer …</code>) for scripts and reports.
      </p>
      {tokens.status === 'loading' ? <Loading label="Loading tokens…" /> : null}
      {tokens.status === 'error' ? <ErrorNotice error={tokens.error} retry={retry} /> : null}
      {tokens.status === 'ready' && tokens.data.tokens.length === 0 ? (
        <p class="empty-line">No API tokens yet.</p>
      ) : null}
      {tokens.status === 'ready' && tokens.data.tokens.length ? (
        <ul class="form-list" aria-label="API tokens">
          {tokens.data.tokens.map((t) => (
            <li key={t.id}>
              <div>
                <strong class="wrap">{t.name}</strong>
                <div class="muted small">
                  Created <RelativeTime iso={t.createdAt} /> ·{' '}
                  {t.lastUsedAt ? (
                    <>
                      last used <RelativeTime iso={t.lastUsedAt} />
                    </>
                  ) : (
                    'never used'
                  )}
                </div>
              </div>
              <button
                type="button"
                class="button button-small"
                aria-label={`Revoke ${t.name}`}
                onClick={() => {
                  revoke.clear();
                  setRevoking(t);
                }}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {created ? (
        <div class="created-token" role="status">
          <p>
            <strong>Copy the token for “{created.token.name}” now: it is not shown again.</strong>
          </p>
          <div class="snippet">
            <pre>
              <code>{created.secret}</code>
            </pre>
            <CopyButton text={created.secret} label="Copy the new token" />
          </div>
          <button type="button" class="button button-small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(
              () => settingsApi.createToken(name.trim()),
              (reply) => {
                setCreated(reply);
                setName('');
                retry();
              },
            );
          }}
        >
          <label class="field">
            Token name
            <input
              required
              maxLength={100}
              placeholder="Weekly report"
              value={name}
              aria-invalid={invalid(action.error, 'name')}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="button button-primary" disabled={action.busy}>
            {action.busy ? 'Creating…' : 'Create token'}
          </button>
        </form>
      )}
      {action.error ? <ErrorNotice error={action.error} /> : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke token"
          confirmLabel="Revoke token"
          danger
          busy={revoke.busy}
          error={revoke.error}
          onClose={() => setRevoking(null)}
          onConfirm={() =>
            revoke.run(
              () => settingsApi.revokeToken(revoking.id),
              () => {
                setRevoking(null);
                retry();
              },
            )
          }
        >
          <p>Scripts using “{revoking.name}” are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
