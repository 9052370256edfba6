// A profile's journey in time order, grouped into sessions (a new one after 30 quiet minutes); each event is
// drawn by what it is: page, click, form, chat, invoice, payment, identify; stage changes and merges are
// woven in at their moment with their evidence and reason.
import type { ComponentChildren } from 'preact';
import {
  BILLING_EVENTS,
  CHAT_EVENT,
  EVENTS,
  type MergeSummary,
  type StageHistoryEntry,
  type TimelineItem,
} from '../../wire.ts';
import { Fields, StageBadge, UrlText } from './components.tsx';
import { formatClock, formatDay, formatExact, formatMoney, plainText, valueText } from './format.ts';
import { BASE, Link } from './router.tsx';

/** Quiet time that ends a session, as in most analytics tools. */
export const SESSION_GAP_MS = 30 * 60_000;

// Billing events by their reserved names (wire.ts), plus the e-commerce names Segment libraries send.
const BILLING_KIND: Record<string, Kind> = {
  [BILLING_EVENTS.invoiceCreated]: 'invoice',
  [BILLING_EVENTS.invoiceVoided]: 'invoice',
  [BILLING_EVENTS.invoicePaid]: 'payment',
  [BILLING_EVENTS.paymentSucceeded]: 'payment',
  [BILLING_EVENTS.paymentFailed]: 'failed',
  [BILLING_EVENTS.refundIssued]: 'refund',
};
const PAYMENT = /^(order completed|charge succeeded|checkout completed)$/i;
const REFUND = /refunded$/i;
const CHAT = /^(chat|conversation)\b/i;

export type Kind =
  | 'page'
  | 'click'
  | 'form'
  | 'chat'
  | 'invoice'
  | 'payment'
  | 'refund'
  | 'failed'
  | 'identify'
  | 'track'
  | 'stage'
  | 'merge'
  | 'other';

export function kindOf(item: TimelineItem): Kind {
  if (item.type === 'page' || item.type === 'screen') return 'page';
  if (item.type === 'identify') return 'identify';
  if (item.type === 'track' && item.event) {
    if (item.event === EVENTS.click) return 'click';
    if (item.event === EVENTS.form) return 'form';
    if (item.event === CHAT_EVENT || CHAT.test(item.event)) return 'chat';
    if (BILLING_KIND[item.event]) return BILLING_KIND[item.event];
    if (PAYMENT.test(item.event)) return 'payment';
    if (REFUND.test(item.event)) return 'refund';
    return 'track';
  }
  return 'other';
}

// Stroke icons on a 16×16 grid, drawn in currentColor.
const ICONS: Record<Kind, string> = {
  page: 'M4 1.5h5.5L12.5 4.5v10h-8.5z M9.5 1.5v3h3',
  click: 'M3 2.5l10 4.5-4.2 1.5-1.5 4.3z',
  form: 'M3 2h10v12H3z M5.5 5.5h5 M5.5 8h5 M5.5 10.5h3',
  chat: 'M2.5 3h11v7.5H7L4 13v-2.5H2.5z',
  invoice: 'M4 1.5h8v13l-2-1.2-2 1.2-2-1.2-2 1.2z M6 5h4 M6 7.5h4 M6 10h2.5',
  payment: 'M1.5 4h13v8h-13z M1.5 6.5h13 M4 10h3',
  refund: 'M5 3.5L2 6.5l3 3 M2 6.5h7.5a3.5 3.5 0 0 1 0 7H6',
  failed: 'M8 1.5l6.5 12h-13z M8 6v3.5 M8 11.5v.5',
  identify: 'M8 8a2.8 2.8 0 1 0 0-5.6A2.8 2.8 0 0 0 8 8z M2.5 14c.6-2.8 2.8-4.2 5.5-4.2s4.9 1.4 5.5 4.2',
  track: 'M9 1.5L3.5 9H8l-1 5.5L12.5 7H8z',
  stage: 'M2 13.5h3.5v-3.5H9V6.5h3.5V3 M10 3h4v4',
  merge: 'M4 2v3.5c0 2 4 2.5 4 5V14 M12 2v3.5c0 2-4 2.5-4 5 M6 12l2 2 2-2',
  other: 'M8 13.5a5.5 5.5 0 1 0 0-11 5.5 5.5 0 0 0 0 11z',
};

export const KIND_NAME: Record<Kind, string> = {
  page: 'Page view',
  click: 'Click',
  form: 'Form submission',
  chat: 'Chat message',
  invoice: 'Invoice',
  payment: 'Payment',
  refund: 'Refund',
  failed: 'Failed payment',
  identify: 'Identify',
  track: 'Event',
  stage: 'Stage change',
  merge: 'Merge',
  other: 'Event',
};

function str(value: unknown): string | null {
  if (typeof value === 'string' && value.trim()) return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** The form's name and fields, read from the shapes a capture library may send. */
function formDetails(props: Record<string, unknown>): { name: string | null; fields: [string, unknown][] } {
  const nameKeys = ['formName', 'form_name', 'name', 'formId', 'form_id', 'id', 'form'];
  const name = nameKeys.map((k) => str(props[k])).find(Boolean) ?? null;
  const fields = props.fields ?? props.values;
  if (Array.isArray(fields)) {
    return {
      name,
      fields: fields.map((f, i): [string, unknown] =>
        f && typeof f === 'object'
          ? [
              str((f as Record<string, unknown>).name) ?? `field ${i + 1}`,
              (f as Record<string, unknown>).value,
            ]
          : [String(f), ''],
      ),
    };
  }
  if (fields && typeof fields === 'object') return { name, fields: Object.entries(fields) };
  return { name, fields: Object.entries(props).filter(([k]) => !nameKeys.includes(k)) };
}

/** An amount from the properties a payment event may carry ("revenue", "total", "amount", "value"). */
export function amountOf(props: Record<string, unknown>): { amount: number; currency: string | null } | null {
  for (const k of ['amount', 'revenue', 'total', 'value']) {
    const v = props[k];
    if (typeof v === 'number' && Number.isFinite(v))
      return { amount: v, currency: str(props.currency)?.toUpperCase() ?? null };
  }
  return null;
}

/** The payment method a payment event names, if any ("card", "sepa_debit"…). */
export function methodOf(props: Record<string, unknown>): string | null {
  return str(props.method) ?? str(props.paymentMethod) ?? str(props.payment_method) ?? null;
}

const EXCERPT = 280;

/** What the item says in one line, and what to show under it. */
function describe(item: TimelineItem, kind: Kind): { title: string; details: ComponentChildren } {
  const props = item.properties ?? {};
  switch (kind) {
    case 'page': {
      const title = item.title ?? str(props.title) ?? item.event;
      const url = item.url ?? str(props.url);
      return {
        title: title ? `Viewed “${title}”` : 'Viewed a page',
        details: url ? <UrlText url={url} /> : null,
      };
    }
    case 'click': {
      const text = str(props.text) ?? str(props.label);
      const href = str(props.href);
      return {
        title: text ? `Clicked “${text}”` : 'Clicked an element',
        details: href ? <UrlText url={href} /> : null,
      };
    }
    case 'form': {
      const form = formDetails(props);
      return {
        title: form.name ? `Submitted form “${form.name}”` : 'Submitted a form',
        details: <Fields values={form.fields} label="Form fields" />,
      };
    }
    case 'chat': {
      const text = str(props.text) ?? str(props.message) ?? '';
      const conversation = str(props.conversationId);
      const author = str(props.author);
      return {
        title:
          author === 'agent'
            ? 'Agent replied in the chat'
            : author === 'auto'
              ? 'Automatic reply in the chat'
              : 'Sent a chat message',
        details: (
          <>
            {text ? (
              <blockquote class="chat-excerpt">
                {text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text}
              </blockquote>
            ) : null}
            {conversation ? (
              <Link class="event-link" href={`${BASE}/inbox/${encodeURIComponent(conversation)}`}>
                Open the conversation
              </Link>
            ) : null}
          </>
        ),
      };
    }
    case 'payment':
    case 'refund':
    case 'failed':
    case 'invoice': {
      const money = amountOf(props);
      const invoice =
        str(props.invoice_id) ?? str(props.invoiceId) ?? str(props.orderId) ?? str(props.order_id);
      const payment = str(props.payment_id) ?? str(props.paymentId);
      const method = methodOf(props);
      const verb =
        kind === 'payment'
          ? 'Paid'
          : kind === 'refund'
            ? 'Refunded'
            : kind === 'failed'
              ? 'Payment failed:'
              : (item.event ?? 'Invoice');
      const title = money ? `${verb} ${formatMoney(money.amount, money.currency)}` : (item.event ?? verb);
      const rest: [string, unknown][] = [];
      if (kind !== 'invoice' && item.event) rest.push(['event', item.event]);
      if (invoice) rest.push(['invoice', invoice]);
      if (payment) rest.push(['payment', payment]);
      if (method) rest.push(['method', method]);
      const status = str(props.status);
      if (status) rest.push(['status', status]);
      return { title, details: <Fields values={rest} label={`${KIND_NAME[kind]} details`} /> };
    }
    case 'identify': {
      const traits = item.traits ?? {};
      const label = str(traits.email) ?? str(traits.name) ?? item.userId;
      return {
        title: label ? `Identified as ${label}` : 'Identified',
        details: <Fields values={traits} label="Traits" />,
      };
    }
    case 'track':
      return { title: item.event ?? 'Event', details: <Fields values={props} label="Properties" /> };
    default:
      return {
        title: item.event ? `${item.type}: ${valueText(item.event)}` : item.type,
        details: <Fields values={{ ...item.traits, ...props }} label="Details" />,
      };
  }
}

/** One row of the journey: an event, a stage change or a merge. */
type Entry =
  | { kind: Kind; at: string; id: string; item: TimelineItem }
  | { kind: 'stage'; at: string; id: string; stage: StageHistoryEntry }
  | { kind: 'merge'; at: string; id: string; merge: MergeSummary };

export interface Session {
  start: string;
  end: string;
  entries: Entry[];
}

const ms = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** Events, stage changes and merges in time order, split into sessions at every 30-minute gap. */
export function sessionsOf(
  items: TimelineItem[],
  stages: StageHistoryEntry[] = [],
  merges: MergeSummary[] = [],
): Session[] {
  const entries: Entry[] = items.map((item) => ({ kind: kindOf(item), at: item.at, id: item.id, item }));
  // A stage change sits right after its evidence event; one without evidence (the manual ones) at its time.
  stages.forEach((stage, i) => {
    if (stage.skipped) return;
    entries.push({ kind: 'stage', at: stage.at, id: `stage-${i}`, stage });
  });
  for (const merge of merges) entries.push({ kind: 'merge', at: merge.at, id: `merge-${merge.id}`, merge });
  const order = (e: Entry) => (e.kind === 'stage' || e.kind === 'merge' ? 1 : 0);
  entries.sort((a, b) => ms(a.at) - ms(b.at) || order(a) - order(b));

  const sessions: Session[] = [];
  let last = -Infinity;
  for (const entry of entries) {
    const t = ms(entry.at);
    const current = sessions[sessions.length - 1];
    // Stage changes and merges never open a session of their own when one is running.
    if (current && (t - last < SESSION_GAP_MS || (order(entry) === 1 && t >= last))) {
      current.entries.push(entry);
      current.end = entry.at;
    } else sessions.push({ start: entry.at, end: entry.at, entries: [entry] });
    if (order(entry) === 0 || !current) last = t;
  }
  return sessions;
}

function durationText(start: string, end: string): string {
  const minutes = Math.round((ms(end) - ms(start)) / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function EntryView({ entry, evidence }: { entry: Entry; evidence: Map<string, string> }) {
  let title: ComponentChildren;
  let details: ComponentChildren = null;
  if (entry.kind === 'stage' && 'stage' in entry) {
    const s = entry.stage;
    title = (
      <>
        {s.manual ? 'Stage set by hand to ' : 'Became '}
        <StageBadge stage={s.stage} />
      </>
    );
    details = (
      <p class="event-note">
        Why: {plainText(s.rule)}
        {s.messageId ? (
          <>
            {' '}
            · evidence{' '}
            <a href={`#event-${s.messageId}`} title={s.messageId}>
              {evidence.get(s.messageId) ?? 'an earlier event'}
            </a>
          </>
        ) : null}
      </p>
    );
  } else if (entry.kind === 'merge' && 'merge' in entry) {
    const m = entry.merge;
    title = m.undoneAt ? 'Merge (undone)' : 'Merged with another profile';
    details = (
      <p class="event-note">
        {m.kind === 'manual' ? 'By hand' : m.kind === 'proposal' ? 'Accepted proposal' : 'Automatic'}:{' '}
        {plainText(m.reason)}
        {m.identifier ? (
          <>
            {' '}
            · through <code>{plainText(m.identifier)}</code>
          </>
        ) : null}
        {m.undoneAt ? ` · undone: ${m.undoReason ?? ''}` : null}
      </p>
    );
  } else if ('item' in entry) {
    const d = describe(entry.item, entry.kind);
    title = d.title;
    details = d.details;
  }
  return (
    <li id={'item' in entry ? `event-${entry.item.id}` : undefined} class={`event event-${entry.kind}`}>
      <span class="event-icon" title={KIND_NAME[entry.kind]}>
        <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
          <path d={ICONS[entry.kind]} />
        </svg>
        <span class="visually-hidden">{KIND_NAME[entry.kind]}: </span>
      </span>
      <div class="event-body">
        <div class="event-head">
          <p class="event-title">{title}</p>
          <time class="event-time" dateTime={entry.at} title={formatExact(entry.at)}>
            {formatClock(entry.at)}
          </time>
        </div>
        {details}
      </div>
    </li>
  );
}

/** Each event's one-line title by message id, so evidence reads "Submitted form “Contact sales”", not an id. */
export function evidenceLabels(items: TimelineItem[]): Map<string, string> {
  const labels = new Map<string, string>();
  for (const item of items) labels.set(item.id, String(describe(item, kindOf(item)).title));
  return labels;
}

export function Timeline({
  items,
  stages,
  merges,
}: {
  items: TimelineItem[];
  stages?: StageHistoryEntry[];
  merges?: MergeSummary[];
}) {
  if (!items.length) return <p class="muted">No events recorded for this profile.</p>;
  const sessions = sessionsOf(items, stages, merges);
  const evidence = evidenceLabels(items);
  return (
    <div class="timeline">
      {sessions.map((session, i) => {
        // The chat replies shown beside the events are not the visitor's events.
        const events = session.entries.filter((e) => 'item' in e && !isChatReply(e.item)).length;
        const label = `Session ${i + 1}: ${formatDay(session.start)}`;
        return (
          <section key={session.start + i} class="timeline-session" aria-label={label}>
            <h3 class="timeline-date">
              {formatDay(session.start)}, {formatClock(session.start)}
              <span class="muted">
                {' '}
                · {events} {events === 1 ? 'event' : 'events'} · {durationText(session.start, session.end)}
              </span>
            </h3>
            <ol>
              {session.entries.map((entry) => (
                <EntryView key={entry.id} entry={entry} evidence={evidence} />
              ))}
            </ol>
          </section>
        );
      })}
    </div>
  );
}

/** An agent's or automatic chat reply shown on the journey (not one of the profile's events). */
export const isChatReply = (item: TimelineItem) => item.id.startsWith('chat-reply:');
