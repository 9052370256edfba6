// One customer: who they are, how they first arrived, every identifier, and their timeline.
import type { Identifier, ProfileDetail, TouchSummary } from '../../wire.ts';
import { api } from './api.ts';
import { ErrorNotice, Loading, PageTitle, RelativeTime, StageBadge, UrlText } from './components.tsx';
import { formatExact, formatMoment, touchLabel, who } from './format.ts';
import { profilesListHref } from './profiles.tsx';
import { Link } from './router.tsx';
import { Timeline } from './timeline.tsx';
import { useRequest } from './use-request.ts';

export function ProfilePage({ id }: { id: string }) {
  const [state, retry] = useRequest((signal) => api.profile(id, signal), [id]);
  const back = (
    <Link class="back-link" href={profilesListHref()}>
      <span aria-hidden="true">←</span> All profiles
    </Link>
  );

  if (state.status === 'loading') {
    return (
      <>
        {back}
        <Loading label="Loading profile…" />
      </>
    );
  }
  if (state.status === 'error') {
    if (state.error.status === 404) {
      return (
        <>
          {back}
          <PageTitle title="Profile not found">Profile not found</PageTitle>
          <p>
            There is no profile with the id <code>{id}</code>. It may have been merged into another profile;
            search for the visitor's email or id on the profiles page.
          </p>
        </>
      );
    }
    return (
      <>
        {back}
        <PageTitle title="Profile">Profile</PageTitle>
        <ErrorNotice error={state.error} retry={retry} />
      </>
    );
  }

  const { profile, timeline } = state.data;
  const name = who(profile);
  return (
    <>
      {back}
      <header class="profile-head">
        <PageTitle title={name.label}>
          <span class={name.anonymous ? 'anonymous' : undefined}>{name.label}</span>
        </PageTitle>
        <StageBadge stage={profile.stage} />
      </header>
      <div class="profile-layout">
        <aside class="profile-facts" aria-label="About this profile">
          <Facts profile={profile} />
          <section aria-labelledby="first-touch">
            <h2 id="first-touch">First touch</h2>
            <TouchFacts touch={profile.firstTouch} />
          </section>
          <section aria-labelledby="identifiers">
            <h2 id="identifiers">Identifiers</h2>
            <Identifiers identifiers={profile.identifiers} />
          </section>
        </aside>
        <section class="profile-timeline" aria-labelledby="timeline">
          <h2 id="timeline">
            Timeline <span class="muted">· {timeline.length.toLocaleString()} events, oldest first</span>
          </h2>
          <Timeline items={timeline} />
        </section>
      </div>
    </>
  );
}

function Facts({ profile }: { profile: ProfileDetail }) {
  return (
    <dl class="facts">
      <div>
        <dt>First seen</dt>
        <dd>
          <time dateTime={profile.firstSeen} title={formatExact(profile.firstSeen)}>
            {formatMoment(profile.firstSeen)}
          </time>
        </dd>
      </div>
      <div>
        <dt>Last seen</dt>
        <dd>
          <RelativeTime iso={profile.lastSeen} />
        </dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>{profile.eventCount.toLocaleString()}</dd>
      </div>
      {profile.name && profile.email ? (
        <div>
          <dt>Name</dt>
          <dd>{profile.name}</dd>
        </div>
      ) : null}
    </dl>
  );
}

function TouchFacts({ touch }: { touch: TouchSummary | null }) {
  if (!touch) return <p class="muted">Direct — no source, campaign or referrer recorded.</p>;
  const rows: [string, string | null][] = [
    ['Source', touch.source],
    ['Medium', touch.medium],
    ['Campaign', touch.campaign],
  ];
  return (
    <>
      <p class="touch-summary">{touchLabel(touch)}</p>
      <dl class="facts">
        {rows.map(([label, value]) =>
          value ? (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ) : null,
        )}
        <div>
          <dt>Referrer</dt>
          <dd>
            {touch.referrer ? <UrlText url={touch.referrer} /> : <span class="muted">none (direct)</span>}
          </dd>
        </div>
        <div>
          <dt>Landing page</dt>
          <dd>
            <UrlText url={touch.landingUrl} />
          </dd>
        </div>
        {touch.at ? (
          <div>
            <dt>When</dt>
            <dd>
              <time dateTime={touch.at} title={formatExact(touch.at)}>
                {formatMoment(touch.at)}
              </time>
            </dd>
          </div>
        ) : null}
      </dl>
    </>
  );
}

const KIND_LABEL: Record<Identifier['kind'], string> = {
  email: 'Email',
  user: 'User id',
  anonymous: 'Anonymous id',
  phone: 'Phone',
  billing: 'Billing id',
};

function Identifiers({ identifiers }: { identifiers: Identifier[] }) {
  if (!identifiers.length) return <p class="muted">None recorded.</p>;
  return (
    <ul class="identifiers">
      {identifiers.map((identifier) => (
        <li key={`${identifier.kind}:${identifier.value}`}>
          <span class="identifier-kind">{KIND_LABEL[identifier.kind] ?? identifier.kind}</span>
          <code class="identifier-value">{identifier.value}</code>
        </li>
      ))}
    </ul>
  );
}
