// How a site's Stripe webhook secret is shown: never in full, in the admin API and the CLI alike.

/** whsec_…last4: enough to tell which secret is set, useless to forge a signature. */
export function maskSecret(secret: string | null): string | null {
  return secret ? `whsec_…${secret.slice(-4)}` : null;
}
