// A profile's events in time order, grouped by day, each drawn by what it is: page, click, form, identify, track.
import type { ComponentChildren } from 'preact';
import { EVENTS, type TimelineItem } from '../../wire.ts';
import { Fields, UrlText } from './components.tsx';
import { formatClock, formatDay, formatExact, valueText } from './format.ts';

// Importing the EVENTS value would bundle valibot (wire.ts builds its schemas at load), so the names are
// restated here, typed against wire.ts: if the wire format renames them, this stops compiling.
const CLICKED = EVENTS.click;
const SUBMITTED = EVENTS.form;

type Kind = 'page' | 'click' | 'form' | 'identify' | 'track' | 'other';

function kindOf(item: TimelineItem): Kind {
  if (item.type === 'page' || item.type === 'screen') return 'page';
  if (item.type === 'identify') return 'identify';
  if (item.type === 'track') {
    if (item.event === CLICKED) return 'click';
    if (item.event === SUBMITTED) return 'form';
    return 'track';
  }
  return 'other';
}

// Stroke icons on a 16×16 grid, drawn in currentColor.
const ICONS: Record<Kind, string> = {
  page: 'M4 1.5h5.5L12.5 4.5v10h-8.5z M9.5 1.5v3h3',
  click: 'M3 2.5l10 4.5-4.2 1.5-1.5 4.3z',
  form: 'M3 2h10v12H3z M5.5 5.5h5 M5.5 8h5 M5.5 10.5h3',
  identify: 'M8 8a2.8 2.8 0 1 0 0-5.6A2.8 2.8 0 0 0 8 8z M2.5 14c.6-2.8 2.8-4.2 5.5-4.2s4.9 1.4 5.5 4.2',
  track: 'M9 1.5L3.5 9H8l-1 5.5L12.5 7H8z',
  other: 'M8 13.5a5.5 5.5 0 1 0 0-11 5.5 5.5 0 0 0 0 11z',
};

const KIND_NAME: Record<Kind, string> = {
  page: 'Page view',
  click: 'Click',
  form: 'Form submission',
  identify: 'Identify',
  track: 'Event',
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

function dayKey(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toDateString();
}

export function Timeline({ items }: { items: TimelineItem[] }) {
  if (!items.length) return <p class="muted">No events recorded for this profile.</p>;
  const days: { key: string; items: TimelineItem[] }[] = [];
  for (const item of items) {
    const key = dayKey(item.at);
    const last = days[days.length - 1];
    if (last && last.key === key) last.items.push(item);
    else days.push({ key, items: [item] });
  }
  return (
    <div class="timeline">
      {days.map((day) => (
        <section key={day.key} class="timeline-day" aria-label={formatDay(day.items[0].at)}>
          <h3 class="timeline-date">{formatDay(day.items[0].at)}</h3>
          <ol>
            {day.items.map((item) => {
              const kind = kindOf(item);
              const { title, details } = describe(item, kind);
              return (
                <li key={item.id} class={`event event-${kind}`}>
                  <span class="event-icon" title={KIND_NAME[kind]}>
                    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                      <path d={ICONS[kind]} />
                    </svg>
                    <span class="visually-hidden">{KIND_NAME[kind]}</span>
                  </span>
                  <div class="event-body">
                    <div class="event-head">
                      <p class="event-title">{title}</p>
                      <time class="event-time" dateTime={item.at} title={formatExact(item.at)}>
                        {formatClock(item.at)}
                      </time>
                    </div>
                    {details}
                  </div>
                </li>
              );
            })}
          </ol>
        </section>
      ))}
    </div>
  );
}
