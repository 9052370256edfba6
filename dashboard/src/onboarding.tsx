// The empty state a new site owner sees: the embed snippet to paste, or how to add a first site.
import { embedSnippet, type SiteSummary } from '../../wire.ts';
import { CopyButton, ErrorNotice, Loading } from './components.tsx';
import type { RequestState } from './use-request.ts';

const ADD_SITE = 'npm run touchpoint -- site add --name NAME --origin URL';

/** The site's embed snippet, with its consent settings (Settings → Privacy) as data attributes. */
export const snippetFor = (site: SiteSummary, origin: string = location.origin): string =>
  embedSnippet(origin, site.siteKey, site.consent);

export function Onboarding({
  sites,
  siteId,
  onRecheck,
}: {
  sites: RequestState<{ sites: SiteSummary[] }>;
  siteId: string;
  onRecheck: () => void;
}) {
  if (sites.status === 'loading') return <Loading />;
  if (sites.status === 'error') return <ErrorNotice error={sites.error} />;
  const all = sites.data.sites;
  const shown = siteId ? all.filter((s) => s.id === siteId) : all;

  if (!all.length) {
    return (
      <section class="empty" aria-labelledby="onboarding-title">
        <h2 id="onboarding-title">Add your first site</h2>
        <p>
          Touchpoint has no site yet. On the server, in the Touchpoint folder, run this with your site's name
          and address (for example <code>--name Shop --origin https://shop.example.com</code>):
        </p>
        <Snippet code={ADD_SITE} label="Copy the site add command" />
        <p>It prints an embed snippet for your pages. Reload this page afterwards to see it here too.</p>
      </section>
    );
  }

  return (
    <section class="empty" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">No visitors yet</h2>
      <p>
        Paste this snippet into the <code>&lt;head&gt;</code> of every page of your site. Profiles appear here
        as soon as the first visitor opens a page.
      </p>
      {shown.map((site) => (
        <div class="site-snippet" key={site.id}>
          {all.length > 1 || site.origins.length ? (
            <h3>
              {site.name}
              {site.origins.length ? <span class="muted"> · {site.origins.join(', ')}</span> : null}
            </h3>
          ) : null}
          <Snippet code={snippetFor(site)} label={`Copy the snippet for ${site.name}`} />
        </div>
      ))}
      <button type="button" class="button" onClick={onRecheck}>
        Check again
      </button>
    </section>
  );
}

function Snippet({ code, label }: { code: string; label: string }) {
  return (
    <div class="snippet">
      <pre>
        <code>{code}</code>
      </pre>
      <CopyButton text={code} label={label} />
    </div>
  );
}
