// Bots and headless browsers, recognised from a page's request: crawlers that run scripts, link previewers and
// headless Chromium are kept out of profiles and counts and counted apart. A server library's request (no
// Origin, an HTTP client's user agent) is a server sending events, not a bot; a flood of those is what the rate
// limits are for.
import { isbot } from 'isbot';

/** HTTP client libraries: isbot lists them all, but they are how servers send events. */
const LIBRARY =
  /^(node|undici|node-fetch|axios|got|superagent|python-|aiohttp|go-http-client|curl|wget|okhttp|java\/|ruby|php|guzzle|dart|analytics-|segment|libwww|apache-httpclient|rest-client|faraday)/i;
/** Headless browsers that say so. */
const HEADLESS = /headlesschrome|phantomjs|slimerjs|puppeteer|playwright|lighthouse/i;

export function isBotRequest(userAgent: string | undefined, origin: string | undefined): boolean {
  if (!userAgent) return false;
  if (HEADLESS.test(userAgent)) return true;
  if (!isbot(userAgent)) return false;
  return !!origin || !LIBRARY.test(userAgent);
}
