// Outbound webhook endpoints of a site: add one (its signing secret shown once), then per endpoint its URL,
// event types, on/off and why it stopped, rotate the secret, send a test event, delete, and the delivery log
// with each attempt and Redeliver.
import { useEffect, useState } from 'preact/hooks';
import {
  type SiteSummary,
  WEBHOOK_EVENT_TYPES,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from '../../wire.ts';
import type { ApiError } from './api.ts';
import { automationsApi } from './automations-api.ts';
import { useAction, useKeptRequest } from './automations-hooks.ts';
import { CopyButton, ErrorNotice, Loading, RelativeTime } from './components.tsx';
import { ConfirmDialog } from './dialog.tsx';
import { formatExact } from './format.ts';
import { Link, navigate } from './router.tsx';

const EVENT_LABEL: Record<WebhookEventType, string> = {
  'lead.created': 'A profile becomes a lead',
  'profile.stage_changed': 'A profile changes stage',
  'profile.merged': 'Two profiles are merged',
  'form.submitted': 'A form is submitted',
  'chat.started': 'A chat starts',
  'payment.succeeded': 'A payment succeeds',
  'payment.failed': 'A payment fails',
  'profile.at_risk': 'A profile becomes at risk',
};

const STATUS_LABEL: Record<WebhookDelivery['status'], string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
};

/** A signing secret the collector will not show again, until the user says they have it. */
interface Revealed {
  endpointId: string;
  url: string;
  secret: string;
  rotated: boolean;
}

export function WebhooksSection({
  site,
  id,
  href,
}: {
  site: SiteSummary;
  id: string | null;
  href: (endpointId: string | null) => string;
}) {
  // Held here, above the list and the endpoint page, so moving between them keeps it until dismissed.
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  return (
    <div class="settings-stack">
      {revealed ? <SecretOnce revealed={revealed} onDismiss={() => setRevealed(null)} /> : null}
      {id ? (
        <EndpointPage
          key={id}
          id={id}
          href={href}
          onRotated={(endpoint, secret) =>
            setRevealed({ endpointId: endpoint.id, url: endpoint.url, secret, rotated: true })
          }
        />
      ) : (
        <EndpointList
          site={site}
          href={href}
          onCreated={(endpoint, secret) =>
            setRevealed({ endpointId: endpoint.id, url: endpoint.url, secret, rotated: false })
          }
        />
      )}
    </div>
  );
}

function SecretOnce({ revealed, onDismiss }: { revealed: Revealed; onDismiss: () => void }) {
  return (
    <section class="created-token secret-once" role="status" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title">
        {revealed.rotated ? 'New signing secret' : 'Endpoint added: its signing secret'}
      </h2>
      <p>
        <strong>Copy it now: you will not see it again.</strong> The receiver at{' '}
        <span class="wrap">{revealed.url}</span> checks each request's <code>webhook-signature</code> with it
        (Standard Webhooks).
        {revealed.rotated ? ' The old secret stopped working.' : ''}
      </p>
      <div class="snippet">
        <pre>
          <code class="secret-value">{revealed.secret}</code>
        </pre>
        <CopyButton text={revealed.secret} label="Copy the signing secret" />
      </div>
      <button type="button" class="button button-small" onClick={onDismiss}>
        I have copied it
      </button>
    </section>
  );
}

function EventChoices({
  value,
  onChange,
  invalid,
}: {
  value: WebhookEventType[];
  onChange: (events: WebhookEventType[]) => void;
  invalid?: boolean;
}) {
  return (
    <fieldset class="event-choices" aria-invalid={invalid || undefined}>
      <legend>Events to send</legend>
      {WEBHOOK_EVENT_TYPES.map((type) => (
        <label key={type} class="check">
          <input
            type="checkbox"
            checked={value.includes(type)}
            onChange={(e) =>
              onChange(
                e.currentTarget.checked
                  ? WEBHOOK_EVENT_TYPES.filter((t) => t === type || value.includes(t))
                  : value.filter((t) => t !== type),
              )
            }
          />
          <span>
            <code>{type}</code> <span class="muted small">{EVENT_LABEL[type]}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function EndpointList({
  site,
  href,
  onCreated,
}: {
  site: SiteSummary;
  href: (endpointId: string | null) => string;
  onCreated: (endpoint: WebhookEndpoint, secret: string) => void;
}) {
  const { state, data, reload } = useKeptRequest(
    (signal) => automationsApi.endpoints(site.id, signal),
    [site.id],
  );
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['lead.created', 'form.submitted']);
  const [adding, setAdding] = useState(false);
  const create = useAction();
  const endpoints = data?.endpoints ?? null;
  const field = create.error?.field;
  return (
    <>
      <section class="card" aria-labelledby="endpoints-title">
        <div class="card-head">
          <h2 id="endpoints-title">Webhook endpoints</h2>
          {!adding ? (
            <button
              type="button"
              class="button button-primary button-small"
              onClick={() => {
                create.clear();
                setAdding(true);
              }}
            >
              Add endpoint
            </button>
          ) : null}
        </div>
        <p class="muted">
          Touchpoint POSTs each chosen event of {site.name} to the URL, signed per Standard Webhooks, and
          retries a failed delivery for about three days.
        </p>
        {state.status === 'error' ? <ErrorNotice error={state.error} retry={reload} /> : null}
        {!endpoints && state.status === 'loading' ? <Loading label="Loading endpoints…" /> : null}
        {endpoints && endpoints.length === 0 && !adding ? (
          <p class="empty-line">
            No endpoints yet. Add one to tell your CRM or another tool about new leads.
          </p>
        ) : null}
        {endpoints && endpoints.length ? (
          <ul class="endpoint-list" aria-label="Endpoints">
            {endpoints.map((e) => (
              <li key={e.id} class={e.enabled ? undefined : 'endpoint-off'}>
                <div class="endpoint-main">
                  <Link class="endpoint-url" href={href(e.id)}>
                    {e.url}
                  </Link>
                  <p class="small muted">{e.events.join(', ')}</p>
                  {!e.enabled ? (
                    <p class="small endpoint-disabled">
                      Disabled{e.disabledReason ? `: ${e.disabledReason}` : ''}
                    </p>
                  ) : null}
                </div>
                <Link class="button button-small" href={href(e.id)}>
                  Deliveries and settings
                </Link>
              </li>
            ))}
          </ul>
        ) : null}
        {adding ? (
          <form
            class="endpoint-form"
            aria-label="New endpoint"
            onSubmit={(ev) => {
              ev.preventDefault();
              create.run(
                () => automationsApi.createEndpoint(site.id, { url: url.trim(), events }),
                ({ endpoint }) => {
                  const { secret, ...rest } = endpoint;
                  setUrl('');
                  setAdding(false);
                  onCreated(rest, secret);
                  reload();
                },
              );
            }}
          >
            <label class="field">
              Endpoint URL
              <input
                type="url"
                required
                maxLength={2000}
                placeholder="https://crm.example/hooks/touchpoint"
                value={url}
                aria-invalid={field === 'url' || undefined}
                onInput={(e) => setUrl(e.currentTarget.value)}
              />
            </label>
            <EventChoices
              value={events}
              onChange={setEvents}
              invalid={field?.startsWith('events') ?? false}
            />
            {create.error ? <ErrorNotice error={create.error} /> : null}
            <div class="dialog-actions">
              <button type="button" class="button" onClick={() => setAdding(false)} disabled={create.busy}>
                Cancel
              </button>
              <button type="submit" class="button button-primary" disabled={create.busy || !events.length}>
                {create.busy ? 'Adding…' : 'Add endpoint'}
              </button>
            </div>
          </form>
        ) : null}
      </section>
    </>
  );
}

function EndpointPage({
  id,
  href,
  onRotated,
}: {
  id: string;
  href: (endpointId: string | null) => string;
  onRotated: (endpoint: WebhookEndpoint, secret: string) => void;
}) {
  const { state, data, reload, set } = useKeptRequest((signal) => automationsApi.endpoint(id, signal), [id]);
  const [dialog, setDialog] = useState<'rotate' | 'delete' | null>(null);
  const [tested, setTested] = useState(false);
  const test = useAction();
  const rotate = useAction();
  const remove = useAction();
  // While a delivery waits for its next attempt, the log reads itself again every two seconds.
  const waiting = data?.deliveries.some((d) => d.status === 'pending') ?? false;
  useEffect(() => {
    if (!waiting || state.status === 'loading') return;
    const timer = setTimeout(reload, 2000);
    return () => clearTimeout(timer);
  }, [waiting, state]);
  const back = (
    <Link class="back-link" href={href(null)}>
      <span aria-hidden="true">←</span> All endpoints
    </Link>
  );
  if (!data && state.status === 'error')
    return (
      <div>
        {back}
        {state.error.status === 404 ? (
          <p class="empty">This endpoint no longer exists: it may have been deleted.</p>
        ) : (
          <ErrorNotice error={state.error} retry={reload} />
        )}
      </div>
    );
  if (!data)
    return (
      <div>
        {back}
        <Loading label="Loading the endpoint…" />
      </div>
    );
  const { endpoint, deliveries } = data;
  return (
    <>
      <div>
        {back}
        <EndpointSettings
          key={endpoint.id}
          endpoint={endpoint}
          onSaved={(e) => set({ endpoint: e, deliveries })}
        />
      </div>
      <section class="card" aria-labelledby="endpoint-tools-title">
        <h2 id="endpoint-tools-title" class="visually-hidden">
          Endpoint actions
        </h2>
        <div class="endpoint-tools">
          <button
            type="button"
            class="button"
            disabled={test.busy}
            onClick={() => {
              setTested(false);
              test.run(
                () => automationsApi.testEvent(endpoint.id),
                () => {
                  setTested(true);
                  reload();
                },
              );
            }}
          >
            {test.busy ? 'Sending…' : 'Send test event'}
          </button>
          <button
            type="button"
            class="button"
            onClick={() => {
              rotate.clear();
              setDialog('rotate');
            }}
          >
            Rotate secret
          </button>
          <button
            type="button"
            class="button button-danger-text"
            onClick={() => {
              remove.clear();
              setDialog('delete');
            }}
          >
            Delete endpoint
          </button>
          {tested ? (
            <span class="saved" role="status">
              {endpoint.enabled
                ? 'Test event queued: it appears in the log below.'
                : 'Test event queued: it goes out once the endpoint is enabled.'}
            </span>
          ) : null}
        </div>
        {test.error ? <ErrorNotice error={test.error} /> : null}
      </section>
      <DeliveryLog
        deliveries={deliveries}
        loading={state.status === 'loading'}
        error={state.status === 'error' ? state.error : null}
        onRefresh={reload}
      />
      {dialog === 'rotate' ? (
        <ConfirmDialog
          title="Rotate the signing secret"
          confirmLabel="Rotate secret"
          busy={rotate.busy}
          error={rotate.error}
          onClose={() => setDialog(null)}
          onConfirm={() =>
            rotate.run(
              () => automationsApi.rotateSecret(endpoint.id),
              (reply) => {
                setDialog(null);
                const { secret, ...rest } = reply.endpoint;
                onRotated(rest, secret);
              },
            )
          }
        >
          <p>
            A new secret signs every delivery from now on, retries included; the old one stops working at
            once. Update the receiver right after.
          </p>
        </ConfirmDialog>
      ) : null}
      {dialog === 'delete' ? (
        <ConfirmDialog
          title="Delete endpoint"
          confirmLabel="Delete endpoint"
          danger
          busy={remove.busy}
          error={remove.error}
          onClose={() => setDialog(null)}
          onConfirm={() =>
            remove.run(
              () => automationsApi.deleteEndpoint(endpoint.id),
              () => navigate(href(null)),
            )
          }
        >
          <p>
            Nothing more is sent to <span class="wrap">{endpoint.url}</span>, and deliveries still waiting are
            dropped with its log. Rules that send to it stop doing so.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function EndpointSettings({
  endpoint,
  onSaved,
}: {
  endpoint: WebhookEndpoint;
  onSaved: (endpoint: WebhookEndpoint) => void;
}) {
  const [url, setUrl] = useState(endpoint.url);
  const [events, setEvents] = useState<WebhookEventType[]>(endpoint.events);
  const [saved, setSaved] = useState(false);
  const [enabled, setEnabled] = useState(endpoint.enabled);
  // The endpoint can change under the page (a 410 turns it off), so the switch follows what the log reads.
  useEffect(() => setEnabled(endpoint.enabled), [endpoint.enabled]);
  const save = useAction();
  const toggle = useAction();
  const field = save.error?.field;
  return (
    <form
      class="card"
      aria-labelledby="endpoint-title"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        save.run(
          () => automationsApi.updateEndpoint(endpoint.id, { url: url.trim(), events }),
          (reply) => {
            setSaved(true);
            onSaved(reply.endpoint);
          },
        );
      }}
    >
      <div class="card-head">
        <h2 id="endpoint-title" class="wrap">
          {endpoint.url}
        </h2>
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            checked={enabled}
            disabled={toggle.busy}
            onChange={(e) => {
              // The switch moves at once; a refusal puts it back and says why.
              const next = e.currentTarget.checked;
              setEnabled(next);
              toggle.run(
                () => automationsApi.updateEndpoint(endpoint.id, { enabled: next }),
                (reply) => onSaved(reply.endpoint),
                () => setEnabled(endpoint.enabled),
              );
            }}
          />
          <span>{enabled ? 'Enabled' : 'Disabled'}</span>
        </label>
      </div>
      {!endpoint.enabled ? (
        <p class="endpoint-disabled-note" role="note">
          <strong>Not sending.</strong> {endpoint.disabledReason ?? 'Turned off by hand.'} New events wait and
          go out once it is enabled again.
        </p>
      ) : null}
      {toggle.error ? <ErrorNotice error={toggle.error} /> : null}
      <p class="muted small">
        Added <RelativeTime iso={endpoint.createdAt} /> · id <code>{endpoint.id}</code>
      </p>
      <label class="field">
        Endpoint URL
        <input
          type="url"
          required
          maxLength={2000}
          value={url}
          aria-invalid={field === 'url' || undefined}
          onInput={(e) => {
            setSaved(false);
            setUrl(e.currentTarget.value);
          }}
        />
      </label>
      <EventChoices
        value={events}
        onChange={(next) => {
          setSaved(false);
          setEvents(next);
        }}
        invalid={field?.startsWith('events') ?? false}
      />
      {save.error ? <ErrorNotice error={save.error} /> : null}
      <div class="dialog-actions">
        {saved ? (
          <span class="saved" role="status">
            Saved
          </span>
        ) : null}
        <button type="submit" class="button button-primary" disabled={save.busy || !events.length}>
          {save.busy ? 'Saving…' : 'Save endpoint'}
        </button>
      </div>
    </form>
  );
}

function DeliveryLog({
  deliveries,
  loading,
  error,
  onRefresh,
}: {
  deliveries: WebhookDelivery[];
  loading: boolean;
  error: ApiError | null;
  onRefresh: () => void;
}) {
  return (
    <section class="card" aria-labelledby="deliveries-title">
      <div class="card-head">
        <h2 id="deliveries-title">Delivery log</h2>
        <button type="button" class="button button-small" onClick={onRefresh} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {error ? <ErrorNotice error={error} retry={onRefresh} /> : null}
      {deliveries.length === 0 ? (
        <p class="empty-line">Nothing sent yet. Send a test event to check the receiver.</p>
      ) : (
        <ul class="delivery-list" aria-label="Deliveries">
          {deliveries.map((d) => (
            <DeliveryItem key={d.id} delivery={d} onRedelivered={onRefresh} />
          ))}
        </ul>
      )}
    </section>
  );
}

function DeliveryItem({
  delivery: d,
  onRedelivered,
}: {
  delivery: WebhookDelivery;
  onRedelivered: () => void;
}) {
  const redeliver = useAction();
  return (
    <li class={`delivery delivery-${d.status}`} aria-label={`${d.type}, ${STATUS_LABEL[d.status]}`}>
      <div class="delivery-head">
        <code class="delivery-type">{d.type}</code>
        <span class={`delivery-status status-${d.status}`}>{STATUS_LABEL[d.status]}</span>
        <span class="muted small">
          <RelativeTime iso={d.createdAt} />
        </span>
      </div>
      <dl class="delivery-facts">
        <div>
          <dt>Attempts</dt>
          <dd>{d.attempts}</dd>
        </div>
        <div>
          <dt>Response</dt>
          <dd>{d.lastResponseStatus ?? '—'}</dd>
        </div>
        <div>
          <dt>Latency</dt>
          <dd>{d.lastLatencyMs === null ? '—' : `${d.lastLatencyMs.toLocaleString()} ms`}</dd>
        </div>
        <div>
          <dt>
            {d.status === 'pending' ? 'Next attempt' : d.status === 'delivered' ? 'Delivered' : 'Gave up'}
          </dt>
          <dd>
            {d.status === 'pending' && d.nextAttemptAt ? (
              <RelativeTime iso={d.nextAttemptAt} />
            ) : d.status === 'delivered' && d.deliveredAt ? (
              <RelativeTime iso={d.deliveredAt} />
            ) : (
              '—'
            )}
          </dd>
        </div>
      </dl>
      {d.lastError ? <p class="delivery-error small">{d.lastError}</p> : null}
      <div class="delivery-tools">
        {d.log.length ? (
          <details class="attempts">
            <summary>
              {d.log.length === 1 ? '1 attempt' : `${d.log.length} attempts`} · webhook-id <code>{d.id}</code>
            </summary>
            <ol>
              {d.log.map((a, i) => (
                <li key={i}>
                  <time dateTime={a.at} title={formatExact(a.at)}>
                    {formatExact(a.at)}
                  </time>
                  {' · '}
                  {a.responseStatus !== null ? `HTTP ${a.responseStatus}` : 'no response'}
                  {' · '}
                  {a.latencyMs.toLocaleString()} ms
                  {a.error ? <span class="delivery-error"> · {a.error}</span> : null}
                </li>
              ))}
            </ol>
          </details>
        ) : (
          <span class="muted small">
            webhook-id <code>{d.id}</code>
          </span>
        )}
        <button
          type="button"
          class="button button-small"
          disabled={redeliver.busy}
          aria-label={`Redeliver ${d.type} ${d.id}`}
          onClick={() => redeliver.run(() => automationsApi.redeliver(d.id), onRedelivered)}
        >
          Redeliver
        </button>
      </div>
      {redeliver.error ? <ErrorNotice error={redeliver.error} /> : null}
    </li>
  );
}
