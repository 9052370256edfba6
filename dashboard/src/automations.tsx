// Automations, one section per tab: rules (trigger, conditions, actions, firing log), follow-up tasks (done,
// snooze, overdue first) and outbound webhook endpoints (secret shown once, delivery log). Loaded lazily.
import { useEffect, useState } from 'preact/hooks';
import type { SiteSummary } from '../../wire.ts';
import { api } from './api.ts';
import './automations.css';
import { automationsApi } from './automations-api.ts';
import { RulesSection } from './automations-rules.tsx';
import { TasksSection } from './automations-tasks.tsx';
import { WebhooksSection } from './automations-webhooks.tsx';
import { ErrorNotice, Loading, PageTitle } from './components.tsx';
import { BASE, Link, navigate, useLocation } from './router.tsx';
import { useRequest } from './use-request.ts';

const SECTIONS = [
  ['rules', 'Rules'],
  ['tasks', 'Tasks'],
  ['webhooks', 'Webhooks'],
] as const;
type Section = (typeof SECTIONS)[number][0];

/** The address of a section (and one of its items) for a site; the site is named only when there are several. */
function automationsHref(section: Section, id: string | null, siteId: string, manySites: boolean) {
  const path = `${BASE}/automations/${section}${id ? `/${encodeURIComponent(id)}` : ''}`;
  return manySites && siteId ? `${path}?site=${encodeURIComponent(siteId)}` : path;
}

export function AutomationsPage({
  section,
  id,
  admin = true,
}: {
  section: string | null;
  id: string | null;
  /** Webhooks are an admin's: a member sees rules and tasks. */
  admin?: boolean;
}) {
  const sections = SECTIONS.filter(([s]) => admin || s !== 'webhooks');
  const current: Section = sections.some(([s]) => s === section) ? (section as Section) : 'rules';
  const { query } = useLocation();
  const [sites, retry] = useRequest((signal) => api.sites(signal), []);
  // Whether email can be sent (an SMTP server is configured): the rule editor says so beside the action.
  const [availability] = useRequest((signal) => automationsApi.availability(signal), []);
  const [known, setKnown] = useState<SiteSummary[] | null>(null);
  useEffect(() => {
    if (sites.status === 'ready') setKnown(sites.data.sites);
  }, [sites]);
  const list = known ?? [];
  const siteId = list.some((s) => s.id === query.get('site')) ? query.get('site')! : (list[0]?.id ?? '');
  const site = list.find((s) => s.id === siteId) ?? null;
  const many = list.length > 1;
  const href = (s: Section, itemId: string | null = null, to = siteId) =>
    automationsHref(s, itemId, to, many);
  const email =
    availability.status === 'ready'
      ? availability.data.email
      : // Until it is known, the email action is not offered (never accepted by mistake).
        {
          available: false,
          reason: availability.status === 'error' ? availability.error.message : undefined,
        };

  return (
    <>
      <div class="page-head">
        <PageTitle title="Automations">Automations</PageTitle>
        {many ? (
          <label class="field field-inline site-pick">
            <span class="visually-hidden">Site</span>
            <select
              value={siteId}
              onChange={(e) => navigate(href(current, null, e.currentTarget.value), { replace: true })}
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
      <nav class="tabs settings-tabs" aria-label="Automations sections">
        {sections.map(([s, label]) => (
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
      {sites.status === 'loading' && !known ? <Loading /> : null}
      {sites.status === 'error' ? <ErrorNotice error={sites.error} retry={retry} /> : null}
      {known && !site ? (
        <div class="empty">
          <h2>No site yet</h2>
          <p>
            Automations act on a site's profiles. <Link href={`${BASE}/settings/sites`}>Add a site</Link> in
            Settings first.
          </p>
        </div>
      ) : null}
      {site ? (
        current === 'rules' ? (
          <RulesSection
            key={site.id}
            site={site}
            id={id}
            email={email}
            href={(ruleId) => href('rules', ruleId)}
            admin={admin}
          />
        ) : current === 'tasks' ? (
          <TasksSection key={site.id} site={site} />
        ) : (
          <WebhooksSection
            key={site.id}
            site={site}
            id={id}
            href={(endpointId) => href('webhooks', endpointId)}
          />
        )
      ) : null}
    </>
  );
}
