// The widget's public reads (forms, chat, widget settings): the site by its public key, the request's Origin
// checked against the site's origins, and CORS for every origin some site allows.
import { siteCors } from './cors.ts';
import type { Site, SiteStore } from '../store/types.ts';
import { ApiError } from './errors.ts';

export function widgetCors(sites: Pick<SiteStore, 'anyAllows'>) {
  return siteCors({
    allows: (origin) => sites.anyAllows(origin),
    methods: ['GET', 'POST', 'OPTIONS'],
    headers: ['Content-Type', 'Last-Event-ID'],
    maxAgeSeconds: 86400,
  });
}

/** The site whose public key this is, when the page's origin (if any) is one of the site's. */
export async function siteForKey(
  sites: Pick<SiteStore, 'access'>,
  key: string | undefined,
  origin: string | undefined,
): Promise<Site> {
  if (!key) throw new ApiError(401, 'missing_key', 'key is required', 'key');
  const access = await sites.access(key);
  if (!access || access.secret)
    throw new ApiError(401, 'unknown_key', 'key does not belong to any site', 'key');
  if (origin && !access.site.origins.includes(origin.toLowerCase()))
    throw new ApiError(403, 'origin_not_allowed', `origin ${origin} is not allowed for this site`, 'Origin');
  return access.site;
}
