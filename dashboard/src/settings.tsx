// Settings, one section per tab: sites (add, rename, origins, keys, install snippet, "have events arrived?"),
// lead forms with a live preview, chat appearance and auto-reply, lead scoring, identity rules (blocked
// identifiers), the Stripe webhook, and the team (users and API tokens). Loaded lazily.
import { useEffect, useState } from 'preact/hooks';
import {
  type ChatSettings,
  FORM_FIELD_TYPES,
  FORM_KINDS,
  type FormDefinition,
  type FormField,
  type FormFieldType,
  type FormKind,
  type SiteSummary,
  type StripeSettingsReply,
  type UnmatchedPayment,
} from '../../wire.ts';
import { type ApiError, api } from './api.ts';
import { CopyButton, ErrorNotice, Loading, PageTitle } from './components.tsx';
import { ConfirmDialog } from './dialog.tsx';
import { formatMinor, formatMoment } from './format.ts';
import { snippetFor } from './onboarding.tsx';
import { BASE, Link, navigate, useLocation } from './router.tsx';
import {
  AddSite,
  EditSite,
  IdentityRules,
  ScoringSettings,
  TokensCard,
  UsersCard,
} from './settings-admin.tsx';
import { PrivacySettings } from './settings-privacy.tsx';
import { ReportSettings } from './settings-reports.tsx';
import { toApiError, useRequest } from './use-request.ts';

const SECTIONS = [
  ['sites', 'Sites'],
  ['forms', 'Forms'],
  ['chat', 'Chat'],
  ['scoring', 'Scoring'],
  ['identity', 'Identity'],
  ['reports', 'Reports'],
  ['privacy', 'Privacy'],
  ['billing', 'Billing'],
  ['team', 'Team'],
] as const;
type Section = (typeof SECTIONS)[number][0];

export function SettingsPage({ section }: { section: string | null }) {
  const current: Section = SECTIONS.some(([s]) => s === section) ? (section as Section) : 'sites';
  const { query } = useLocation();
  const [sites, retry] = useRequest((signal) => api.sites(signal), []);
  // A reload (after "Check for events", adding or editing a site) keeps showing the last list meanwhile, so
  // the sections below stay mounted and keep their state (a new site's one-time keys among it).
  const [known, setKnown] = useState<SiteSummary[] | null>(null);
  useEffect(() => {
    if (sites.status === 'ready') setKnown(sites.data.sites);
  }, [sites]);
  const list = sites.status === 'ready' ? sites.data.sites : (known ?? []);
  const siteId = list.some((s) => s.id === query.get('site')) ? query.get('site')! : (list[0]?.id ?? '');
  const site = list.find((s) => s.id === siteId) ?? null;
  const href = (s: Section, id = siteId) =>
    `${BASE}/settings/${s}${id && list.length > 1 ? `?site=${encodeURIComponent(id)}` : ''}`;
  const ready = sites.status === 'ready' || known !== null;

  return (
    <>
      <div class="page-head">
        <PageTitle title="Settings">Settings</PageTitle>
        {list.length > 1 ? (
          <label class="field field-inline site-pick">
            <span class="visually-hidden">Site</span>
            <select
              value={siteId}
              onChange={(e) => navigate(href(current, e.currentTarget.value), { replace: true })}
            >
              {list.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      <nav class="tabs settings-tabs" aria-label="Settings sections">
        {SECTIONS.map(([s, label]) => (
          <Link
            key={s}
            href={href(s)}
            class={`tab${s === current ? ' current' : ''}`}
            aria-current={s === current ? 'page' : undefined}
          >
            {label}
          </Link>
        ))}
      </nav>
      {sites.status === 'loading' && !ready ? <Loading /> : null}
      {sites.status === 'error' ? <ErrorNotice error={sites.error} retry={retry} /> : null}
      {ready ? (
        current === 'team' ? (
          <TeamSettings />
        ) : !site ? (
          <NoSite onAdded={retry} />
        ) : current === 'sites' ? (
          <SitesSettings sites={list} onRecheck={retry} />
        ) : current === 'forms' ? (
          <FormsSettings key={site.id} site={site} />
        ) : current === 'chat' ? (
          <ChatSettingsSection key={site.id} site={site} />
        ) : current === 'scoring' ? (
          <ScoringSettings key={site.id} site={site} />
        ) : current === 'identity' ? (
          <IdentityRules key={site.id} site={site} />
        ) : current === 'reports' ? (
          <ReportSettings key={site.id} site={site} onSaved={retry} />
        ) : current === 'privacy' ? (
          <PrivacySettings key={site.id} site={site} onSaved={retry} />
        ) : (
          <BillingSettings key={site.id} site={site} />
        )
      ) : null}
    </>
  );
}

const cli = (args: string) => `npm run touchpoint -- ${args}`;

function Command({ code, label }: { code: string; label: string }) {
  return (
    <div class="snippet">
      <pre>
        <code>{code}</code>
      </pre>
      <CopyButton text={code} label={label} />
    </div>
  );
}

function NoSite({ onAdded }: { onAdded: () => void }) {
  return (
    <div class="settings-stack">
      <AddSite open onAdded={onAdded} />
      <p class="muted">
        Or on the server: <code>{cli('site add --name NAME --origin URL')}</code>
      </p>
    </div>
  );
}

function SitesSettings({ sites, onRecheck }: { sites: SiteSummary[]; onRecheck: () => void }) {
  const [checked, setChecked] = useState(false);
  return (
    <div class="settings-stack">
      <AddSite onAdded={onRecheck} />
      {sites.map((site) => (
        <section key={site.id} class="card" aria-labelledby={`site-${site.id}`}>
          <div class="card-head">
            <h2 id={`site-${site.id}`}>{site.name}</h2>
            <EditSite site={site} onSaved={onRecheck} />
          </div>
          <dl class="facts">
            <div>
              <dt>Allowed origins</dt>
              <dd>{site.origins.length ? site.origins.join(', ') : <span class="muted">none</span>}</dd>
            </div>
            <div>
              <dt>Site key</dt>
              <dd>
                <code>{site.siteKey}</code> <span class="muted">(public: it goes in the page)</span>
              </dd>
            </div>
            <div>
              <dt>Secret key</dt>
              <dd class="muted">
                Shown once when the site is added; stored only as a hash. Servers use it for billing events.
              </dd>
            </div>
            <div>
              <dt>Site id</dt>
              <dd>
                <code>{site.id}</code>
              </dd>
            </div>
          </dl>
          <h3>Install</h3>
          <p>Paste this into the &lt;head&gt; of every page of the site:</p>
          <Command code={snippetFor(site)} label={`Copy the snippet for ${site.name}`} />
          <div class="arrival" role="status">
            {site.eventCount > 0 ? (
              <p class="ok">
                <span aria-hidden="true">✓</span> Events are arriving: {site.eventCount.toLocaleString()} so
                far.
              </p>
            ) : (
              <p class="waiting">
                No events yet{checked ? ' (checked just now)' : ''}. Open a page of the site with the snippet
                in place, then check again.
              </p>
            )}
            <button
              type="button"
              class="button button-small"
              onClick={() => {
                setChecked(true);
                onRecheck();
              }}
            >
              Check for events
            </button>
          </div>
        </section>
      ))}
    </div>
  );
}

function TeamSettings() {
  return (
    <div class="settings-stack">
      <UsersCard />
      <TokensCard />
    </div>
  );
}

// ---- Forms ----

interface DraftField extends FormField {
  key: number;
  optionsText?: string;
  /** A new field whose key still follows its label (until the key is edited by hand). */
  autoName?: boolean;
}

/** A field key from its label: "Team size" → "team_size" (a letter first, at most 40 characters). */
export function keyFromLabel(label: string): string {
  const slug = label
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 40);
  return slug || 'field';
}
interface Draft {
  id: string | null;
  name: string;
  kind: FormKind;
  submitText: string;
  successMessage: string;
  fields: DraftField[];
}

let fieldKey = 0;
const newField = (type: FormFieldType = 'text', label = 'Question'): DraftField => ({
  key: fieldKey++,
  name: `${keyFromLabel(label)}${fieldKey}`,
  type,
  label,
  required: false,
  autoName: true,
});

const blankDraft = (): Draft => ({
  id: null,
  name: 'Contact us',
  kind: 'contact',
  submitText: 'Send',
  successMessage: 'Thanks! We will be in touch.',
  fields: [
    { ...newField('email', 'Email'), name: 'email', required: true },
    { ...newField('name', 'Name'), name: 'name' },
    { ...newField('message', 'Message'), name: 'message' },
  ],
});

const toDraft = (f: FormDefinition): Draft => ({
  id: f.id,
  name: f.name,
  kind: f.kind ?? 'contact',
  submitText: f.submitText,
  successMessage: f.successMessage,
  fields: f.fields.map((x) => ({ ...x, key: fieldKey++, optionsText: x.options?.join(', ') })),
});

/** The label a field of each type starts with, and the key the profile reads its value by (where it has one). */
const DEFAULT_LABEL: Record<FormFieldType, string> = {
  email: 'Email',
  name: 'Name',
  phone: 'Phone',
  company: 'Company',
  message: 'Message',
  select: 'Choice',
  consent: 'I agree to be contacted',
  text: 'Question',
};
const PROFILE_KEY: Partial<Record<FormFieldType, string>> = {
  email: 'email',
  name: 'name',
  phone: 'phone',
  company: 'company',
  message: 'message',
};

/**
 * A field given a new type: a label still at a default becomes the new type's, and a key the owner has not
 * typed becomes the one the profile reads (email, name, phone, company, message), unless another field has it.
 */
function retyped(f: DraftField, type: FormFieldType, fields: DraftField[]): Partial<DraftField> {
  const defaultLabel = !f.label.trim() || Object.values(DEFAULT_LABEL).includes(f.label);
  const label = defaultLabel ? DEFAULT_LABEL[type] : f.label;
  if (!f.autoName) return { type, label };
  const taken = new Set(fields.filter((x) => x.key !== f.key).map((x) => x.name));
  let name = PROFILE_KEY[type] ?? keyFromLabel(label);
  for (let n = 2; taken.has(name); n++) name = `${PROFILE_KEY[type] ?? keyFromLabel(label)}${n}`;
  return { type, label, name };
}

const KIND_LABEL: Record<FormKind, string> = {
  contact: 'Contact',
  demo: 'Demo request',
  trial: 'Trial sign-up',
  newsletter: 'Newsletter',
  other: 'Other',
};

const TYPE_LABEL: Record<FormFieldType, string> = {
  email: 'Email',
  name: 'Name',
  phone: 'Phone',
  company: 'Company',
  message: 'Message (long text)',
  select: 'Choice',
  consent: 'Consent checkbox',
  text: 'Short text',
};

function FormsSettings({ site }: { site: SiteSummary }) {
  const [forms, retry] = useRequest((signal) => api.forms(site.id, signal), [site.id]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [deleting, setDeleting] = useState<FormDefinition | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (forms.status === 'loading') return <Loading label="Loading forms…" />;
  if (forms.status === 'error') return <ErrorNotice error={forms.error} retry={retry} />;
  if (draft)
    return (
      <FormEditor
        site={site}
        draft={draft}
        onChange={setDraft}
        onDone={() => {
          setDraft(null);
          retry();
        }}
      />
    );
  const list = forms.data.forms;
  return (
    <div class="settings-stack">
      <section class="card" aria-labelledby="forms-title">
        <div class="card-head">
          <h2 id="forms-title">Lead forms</h2>
          <button
            type="button"
            class="button button-primary button-small"
            onClick={() => setDraft(blankDraft())}
          >
            New form
          </button>
        </div>
        {list.length === 0 ? (
          <p class="muted">
            No forms yet. A form embedded with the snippet turns visitors into leads: their answers appear on
            the profile's journey.
          </p>
        ) : (
          <ul class="form-list">
            {list.map((f) => (
              <li key={f.id}>
                <div>
                  <strong>{f.name}</strong>
                  <span class="muted">
                    {' '}
                    · {KIND_LABEL[f.kind ?? 'contact']} · {f.fields.length}{' '}
                    {f.fields.length === 1 ? 'field' : 'fields'}
                  </span>
                  <EmbedCode formId={f.id} />
                </div>
                <div class="form-actions">
                  <button
                    type="button"
                    class="button button-small"
                    onClick={() => setDraft(toDraft(f))}
                    aria-label={`Edit ${f.name}`}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    class="button button-small"
                    onClick={() => setDeleting(f)}
                    aria-label={`Delete ${f.name}`}
                  >
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      {deleting ? (
        <ConfirmDialog
          title="Delete form"
          confirmLabel="Delete form"
          danger
          busy={busy}
          error={error}
          onClose={() => {
            setDeleting(null);
            setError(null);
          }}
          onConfirm={() => {
            setBusy(true);
            api.deleteForm(site.id, deleting.id).then(
              () => {
                setBusy(false);
                setDeleting(null);
                retry();
              },
              (err) => {
                setBusy(false);
                setError(toApiError(err));
              },
            );
          }}
        >
          <p>
            “{deleting.name}” stops working on every page that embeds it. Submissions already received stay on
            the profiles.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function EmbedCode({ formId }: { formId: string }) {
  const code = `<div data-touchpoint-form="${formId}"></div>`;
  return (
    <div class="embed">
      <code>{code}</code>
      <CopyButton text={code} label="Copy the form's embed code" />
    </div>
  );
}

function FormEditor({
  site,
  draft,
  onChange,
  onDone,
}: {
  site: SiteSummary;
  draft: Draft;
  onChange: (d: Draft) => void;
  onDone: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const setField = (key: number, change: Partial<DraftField>) =>
    onChange({ ...draft, fields: draft.fields.map((f) => (f.key === key ? { ...f, ...change } : f)) });
  const move = (i: number, by: number) => {
    const fields = [...draft.fields];
    const [f] = fields.splice(i, 1);
    fields.splice(i + by, 0, f);
    onChange({ ...draft, fields });
  };
  const save = () => {
    setBusy(true);
    setError(null);
    const input = {
      name: draft.name,
      kind: draft.kind,
      submitText: draft.submitText,
      successMessage: draft.successMessage,
      fields: draft.fields.map(({ key: _key, optionsText, autoName: _auto, ...f }) => ({
        ...f,
        options:
          f.type === 'select'
            ? (optionsText ?? '')
                .split(',')
                .map((o) => o.trim())
                .filter(Boolean)
            : undefined,
      })),
    };
    api.saveForm(site.id, draft.id, input).then(
      () => {
        setBusy(false);
        onDone();
      },
      (err) => {
        setBusy(false);
        setError(toApiError(err));
      },
    );
  };
  return (
    <div class="form-editor">
      <form
        class="card"
        aria-labelledby="editor-title"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <h2 id="editor-title">{draft.id ? 'Edit form' : 'New form'}</h2>
        <label class="field">
          Form name
          <input
            required
            maxLength={200}
            value={draft.name}
            onInput={(e) => onChange({ ...draft, name: e.currentTarget.value })}
          />
        </label>
        <label class="field">
          Kind
          <select
            value={draft.kind}
            onChange={(e) => onChange({ ...draft, kind: e.currentTarget.value as FormKind })}
          >
            {FORM_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
          <span class="muted small">
            The lead score weighs a submission by its form's kind (Settings → Scoring).
          </span>
        </label>
        <fieldset class="fields-editor">
          <legend>Fields</legend>
          {draft.fields.map((f, i) => (
            <div key={f.key} class="field-row" role="group" aria-label={`Field ${i + 1}: ${f.label}`}>
              <label class="field">
                Label
                <input
                  required
                  maxLength={200}
                  value={f.label}
                  onInput={(e) => {
                    const label = e.currentTarget.value;
                    setField(f.key, f.autoName ? { label, name: keyFromLabel(label) } : { label });
                  }}
                />
              </label>
              <label class="field">
                Type
                <select
                  value={f.type}
                  onChange={(e) =>
                    setField(f.key, retyped(f, e.currentTarget.value as FormFieldType, draft.fields))
                  }
                >
                  {FORM_FIELD_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {TYPE_LABEL[t]}
                    </option>
                  ))}
                </select>
              </label>
              <label class="field">
                Key
                <input
                  required
                  pattern="[a-zA-Z][\w\-]{0,39}"
                  value={f.name}
                  onInput={(e) => setField(f.key, { name: e.currentTarget.value, autoName: false })}
                />
              </label>
              {f.type === 'select' ? (
                <label class="field field-options">
                  Choices, separated by commas
                  <input
                    required
                    value={f.optionsText ?? ''}
                    onInput={(e) => setField(f.key, { optionsText: e.currentTarget.value })}
                  />
                </label>
              ) : null}
              <label class="check">
                <input
                  type="checkbox"
                  checked={!!f.required}
                  onChange={(e) => setField(f.key, { required: e.currentTarget.checked })}
                />
                Required
              </label>
              <div class="field-tools">
                <button
                  type="button"
                  class="button button-small"
                  disabled={i === 0}
                  onClick={() => move(i, -1)}
                  aria-label={`Move ${f.label} up`}
                >
                  ↑
                </button>
                <button
                  type="button"
                  class="button button-small"
                  disabled={i === draft.fields.length - 1}
                  onClick={() => move(i, 1)}
                  aria-label={`Move ${f.label} down`}
                >
                  ↓
                </button>
                <button
                  type="button"
                  class="button button-small"
                  disabled={draft.fields.length === 1}
                  onClick={() => onChange({ ...draft, fields: draft.fields.filter((x) => x.key !== f.key) })}
                  aria-label={`Remove ${f.label}`}
                >
                  Remove
                </button>
              </div>
            </div>
          ))}
          <button
            type="button"
            class="button button-small"
            onClick={() => onChange({ ...draft, fields: [...draft.fields, newField()] })}
          >
            Add field
          </button>
        </fieldset>
        <label class="field">
          Button text
          <input
            required
            maxLength={200}
            value={draft.submitText}
            onInput={(e) => onChange({ ...draft, submitText: e.currentTarget.value })}
          />
        </label>
        <label class="field">
          Message after sending
          <textarea
            rows={2}
            maxLength={1000}
            value={draft.successMessage}
            onInput={(e) => onChange({ ...draft, successMessage: e.currentTarget.value })}
          />
        </label>
        {error ? <ErrorNotice error={error} /> : null}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onDone} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save form'}
          </button>
        </div>
      </form>
      <section class="card preview" aria-labelledby="preview-title">
        <h2 id="preview-title">Preview</h2>
        <FormPreview draft={draft} />
      </section>
    </div>
  );
}

/** The form as visitors will see it, redrawn on every change; inert (it sends nothing). */
function FormPreview({ draft }: { draft: Draft }) {
  return (
    <div class="form-preview" inert aria-label={`Preview of ${draft.name}`}>
      <p class="preview-name">{draft.name}</p>
      {draft.fields.map((f) => {
        const label = `${f.label}${f.required ? ' *' : ''}`;
        if (f.type === 'consent')
          return (
            <label key={f.key} class="check">
              <input type="checkbox" tabIndex={-1} /> {label}
            </label>
          );
        return (
          <label key={f.key} class="field">
            {label}
            {f.type === 'message' ? (
              <textarea rows={3} tabIndex={-1} placeholder={f.placeholder ?? ''} />
            ) : f.type === 'select' ? (
              <select tabIndex={-1}>
                {(f.optionsText ?? '')
                  .split(',')
                  .map((o) => o.trim())
                  .filter(Boolean)
                  .map((o) => (
                    <option key={o}>{o}</option>
                  ))}
              </select>
            ) : (
              <input
                type={(f.type === 'email' ? 'email' : f.type === 'phone' ? 'tel' : 'text') as 'text'}
                tabIndex={-1}
                placeholder={f.placeholder ?? ''}
              />
            )}
          </label>
        );
      })}
      <span class="button button-primary">{draft.submitText || 'Send'}</span>
    </div>
  );
}

// ---- Chat ----

const CHAT_DEFAULTS: ChatSettings = {
  enabled: false,
  color: '#4f46e5',
  position: 'right',
  greeting: 'Hi! How can we help?',
  autoReply: 'Thanks for your message! We usually reply within a few minutes.',
  askEmail: 'Leave your email so we can get back to you.',
};

function ChatSettingsSection({ site }: { site: SiteSummary }) {
  const [stored, retry] = useRequest((signal) => api.chatSettings(site.id, signal), [site.id]);
  const [chat, setChat] = useState<ChatSettings | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (stored.status === 'ready') setChat({ ...CHAT_DEFAULTS, ...(stored.data.chat ?? {}) });
  }, [stored]);
  if (stored.status === 'loading' || (stored.status === 'ready' && !chat)) return <Loading />;
  if (stored.status === 'error') return <ErrorNotice error={stored.error} retry={retry} />;
  const c = chat!;
  const set = (change: Partial<ChatSettings>) => {
    setSaved(false);
    setChat({ ...c, ...change });
  };
  return (
    <div class="form-editor">
      <form
        class="card"
        aria-labelledby="chat-title"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          api.saveChatSettings(site.id, c).then(
            (r) => {
              setChat({ ...CHAT_DEFAULTS, ...r.chat });
              setBusy(false);
              setSaved(true);
            },
            (err) => {
              setBusy(false);
              setError(toApiError(err));
            },
          );
        }}
      >
        <h2 id="chat-title">Chat</h2>
        <label class="check">
          <input
            type="checkbox"
            checked={c.enabled}
            onChange={(e) => set({ enabled: e.currentTarget.checked })}
          />
          Show the chat on {site.name}
        </label>
        <div class="field-pair">
          <label class="field">
            Colour
            <input type="color" value={c.color} onInput={(e) => set({ color: e.currentTarget.value })} />
          </label>
          <label class="field">
            Position
            <select
              value={c.position}
              onChange={(e) => set({ position: e.currentTarget.value as ChatSettings['position'] })}
            >
              <option value="right">Bottom right</option>
              <option value="left">Bottom left</option>
            </select>
          </label>
        </div>
        <label class="field">
          Greeting
          <input
            maxLength={500}
            value={c.greeting}
            onInput={(e) => set({ greeting: e.currentTarget.value })}
          />
        </label>
        <label class="field">
          Automatic reply to a first message <span class="muted">(empty: none)</span>
          <textarea
            rows={2}
            maxLength={1000}
            value={c.autoReply}
            onInput={(e) => set({ autoReply: e.currentTarget.value })}
          />
        </label>
        <label class="field">
          Asking an unknown visitor for their email <span class="muted">(empty: never ask)</span>
          <textarea
            rows={2}
            maxLength={500}
            value={c.askEmail}
            onInput={(e) => set({ askEmail: e.currentTarget.value })}
          />
        </label>
        {error ? <ErrorNotice error={error} /> : null}
        <div class="dialog-actions">
          {saved ? (
            <span class="saved" role="status">
              Saved
            </span>
          ) : null}
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save chat settings'}
          </button>
        </div>
      </form>
      <section class="card preview" aria-labelledby="chat-preview-title">
        <h2 id="chat-preview-title">Preview</h2>
        <div class={`chat-preview chat-${c.position}`} aria-hidden="true">
          <div class="chat-window" style={{ '--chat': c.color }}>
            <div class="chat-top">{site.name}</div>
            <p class="chat-msg">{c.greeting}</p>
            {c.autoReply ? <p class="chat-msg chat-mine">Hello!</p> : null}
            {c.autoReply ? <p class="chat-msg">{c.autoReply}</p> : null}
          </div>
          <span class="chat-bubble" style={{ background: c.color }} />
        </div>
        {!c.enabled ? <p class="muted">The chat is off: visitors do not see it.</p> : null}
      </section>
    </div>
  );
}

// ---- Billing ----

/**
 * Stripe payments no profile matched (no customer id, email or metadata the collector knows): listed with
 * what Stripe said about the payer, each attached to a profile found by search.
 */
function UnmatchedPayments({ site }: { site: SiteSummary }) {
  const [list, retry] = useRequest((signal) => api.unmatchedPayments(site.id, signal), [site.id]);
  const [attaching, setAttaching] = useState<UnmatchedPayment | null>(null);
  return (
    <section class="card" aria-labelledby="unmatched-title">
      <h2 id="unmatched-title">Unmatched payments</h2>
      {list.status === 'loading' ? (
        <Loading label="Loading unmatched payments…" />
      ) : list.status === 'error' ? (
        <ErrorNotice error={list.error} retry={retry} />
      ) : list.data.payments.length === 0 ? (
        <p class="muted">Every Stripe payment found its profile.</p>
      ) : (
        <>
          <p class="muted">
            No profile matched these payments' customer or email. Attach each to the right profile: its past
            and future payments from that Stripe customer go there.
          </p>
          <ul class="unmatched-list" aria-label="Unmatched payments">
            {list.data.payments.map((p) => (
              <li key={p.id}>
                <div>
                  <strong>
                    {p.amount !== null && p.currency ? formatMinor(p.amount, p.currency) : 'Amount unknown'}
                  </strong>{' '}
                  <span class="muted">
                    · {p.status} · <time dateTime={p.at}>{formatMoment(p.at)}</time>
                  </span>
                  <div class="small">{p.email ?? 'No email on the payment'}</div>
                </div>
                <button type="button" class="button button-small" onClick={() => setAttaching(p)}>
                  Attach to a profile…
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {attaching ? (
        <AttachDialog
          site={site}
          payment={attaching}
          onClose={() => setAttaching(null)}
          onDone={() => {
            setAttaching(null);
            retry();
          }}
        />
      ) : null}
    </section>
  );
}

function AttachDialog({
  site,
  payment,
  onClose,
  onDone,
}: {
  site: SiteSummary;
  payment: UnmatchedPayment;
  onClose: () => void;
  onDone: () => void;
}) {
  const [q, setQ] = useState(payment.email ?? '');
  const [term, setTerm] = useState(payment.email ?? '');
  const [chosen, setChosen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const t = setTimeout(() => setTerm(q.trim()), 250);
    return () => clearTimeout(t);
  }, [q]);
  const [found] = useRequest(
    (signal) =>
      term
        ? api.profiles({ q: term, site: site.id, limit: 8 }, signal)
        : Promise.resolve({ profiles: [], nextCursor: null }),
    [term, site.id],
  );
  const [pick, setPick] = useState(false);
  const attach = () => {
    if (!chosen) return setPick(true);
    setBusy(true);
    setError(null);
    api.attachPayment(payment.id, chosen).then(onDone, (err) => {
      setBusy(false);
      setError(toApiError(err));
    });
  };
  return (
    <ConfirmDialog
      title="Attach the payment to a profile"
      confirmLabel="Attach"
      busy={busy}
      error={error}
      onClose={onClose}
      onConfirm={attach}
    >
      <label class="field">
        Find the profile
        <input
          type="search"
          value={q}
          placeholder="Email, name or id"
          onInput={(e) => {
            setQ(e.currentTarget.value);
            setChosen(null);
          }}
        />
      </label>
      {found.status === 'loading' && term ? (
        <Loading label="Searching…" />
      ) : found.status === 'error' ? (
        <ErrorNotice error={found.error} />
      ) : found.status === 'ready' && term && found.data.profiles.length === 0 ? (
        <p class="muted">No profile matches “{term}”.</p>
      ) : found.status === 'ready' ? (
        <fieldset class="attach-choices">
          <legend class="visually-hidden">Profiles found</legend>
          {found.data.profiles.map((p) => (
            <label key={p.id} class="check">
              <input
                type="radio"
                name="attach-to"
                checked={chosen === p.id}
                onChange={() => {
                  setChosen(p.id);
                  setPick(false);
                }}
              />
              {p.email ?? p.name ?? 'Anonymous visitor'}
              {p.name && p.email ? <span class="muted"> · {p.name}</span> : null}
            </label>
          ))}
        </fieldset>
      ) : null}
      {pick ? <p class="field-error">Choose the profile to attach the payment to.</p> : null}
    </ConfirmDialog>
  );
}

// The Stripe events the webhook reads (STRIPE_EVENT_TYPES in collector/billing/stripe.ts).
const STRIPE_EVENTS = [
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.voided',
  'checkout.session.completed',
  'charge.succeeded',
  'charge.failed',
  'charge.refunded',
  'customer.created',
  'customer.updated',
];

function BillingSettings({ site }: { site: SiteSummary }) {
  const [stripe, retry] = useRequest((signal) => api.stripe(site.id, signal), [site.id]);
  const [current, setCurrent] = useState<StripeSettingsReply | null>(null);
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  useEffect(() => {
    if (stripe.status === 'ready') setCurrent(stripe.data);
  }, [stripe]);
  if (stripe.status === 'loading' || (stripe.status === 'ready' && !current)) return <Loading />;
  if (stripe.status === 'error') return <ErrorNotice error={stripe.error} retry={retry} />;
  const s = current!;
  const url = `${location.origin}${s.webhookPath}`;
  const save = (value: string | null, done?: () => void) => {
    setBusy(true);
    setError(null);
    api.saveStripe(site.id, value).then(
      (r) => {
        setCurrent(r);
        setSecret('');
        setBusy(false);
        done?.();
      },
      (err) => {
        setBusy(false);
        setError(toApiError(err));
      },
    );
  };
  return (
    <div class="settings-stack">
      <section class="card" aria-labelledby="stripe-title">
        <h2 id="stripe-title">Stripe</h2>
        <p>
          In Stripe's dashboard (Developers → Webhooks), add an endpoint with this URL, choose the events
          below, then paste the endpoint's signing secret here.
        </p>
        <Command code={url} label="Copy the webhook URL" />
        <details class="stripe-events">
          <summary>Events to send ({STRIPE_EVENTS.length})</summary>
          <Command code={STRIPE_EVENTS.join('\n')} label="Copy the event names" />
        </details>
        <p class="stripe-state" role="status">
          {s.configured ? (
            <>
              <span class="ok">✓ Signing secret set</span> <code>{s.secretHint}</code>
            </>
          ) : (
            <span class="waiting">No signing secret yet: Stripe events are refused until one is set.</span>
          )}
        </p>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            save(secret.trim());
          }}
        >
          <label class="field">
            Signing secret
            <input
              type="password"
              autoComplete="off"
              placeholder="whsec_…"
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
              required
            />
          </label>
          <button type="submit" class="button button-primary" disabled={busy}>
            {s.configured ? 'Replace secret' : 'Save secret'}
          </button>
          {s.configured ? (
            <button type="button" class="button" disabled={busy} onClick={() => setConfirmRemove(true)}>
              Remove
            </button>
          ) : null}
        </form>
        {error && !confirmRemove ? <ErrorNotice error={error} /> : null}
      </section>
      <UnmatchedPayments site={site} />
      {confirmRemove ? (
        <ConfirmDialog
          title="Remove the Stripe secret"
          confirmLabel="Remove"
          danger
          busy={busy}
          error={error}
          onClose={() => setConfirmRemove(false)}
          onConfirm={() => save(null, () => setConfirmRemove(false))}
        >
          <p>Stripe's webhook calls are refused from now on, until a secret is set again.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
