// Money as integers in a currency's minor unit: the ISO 4217 exponent table, and conversions from major-unit
// decimals (the API's `amount`) and from Stripe's amounts (whose exponents differ for a few currencies).

/** Currencies whose minor unit is not 1/100 (ISO 4217); every other code has exponent 2. */
const ISO_EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Stripe's zero-decimal currencies; it sends ISK and other codes as 1/100 (and the 3-decimal ones as 1/1000). */
const STRIPE_EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  MGA: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  JOD: 3,
  KWD: 3,
  OMR: 3,
  TND: 3,
};

export function exponentOf(currency: string): number {
  return ISO_EXPONENTS[currency.toUpperCase()] ?? 2;
}

/** A major-unit decimal in minor units, or an error naming what is wrong (too many decimals). */
export function toMinor(
  amount: number,
  currency: string,
): { ok: true; minor: number } | { ok: false; error: string } {
  const exp = exponentOf(currency);
  const scaled = amount * 10 ** exp;
  const minor = Math.round(scaled);
  // Binary floating point: 19.99 * 100 is 1998.9999999999998; anything further off had more decimals.
  if (Math.abs(scaled - minor) > 1e-6 * Math.max(1, Math.abs(scaled)))
    return { ok: false, error: `${currency.toUpperCase()} has ${exp} decimal places` };
  return { ok: true, minor };
}

/** A Stripe amount (in Stripe's unit for the currency) as a major-unit decimal. */
export function stripeToMajor(amount: number, currency: string): number {
  const c = currency.toUpperCase();
  const major = amount / 10 ** (STRIPE_EXPONENTS[c] ?? 2);
  // Stripe sends ISK, HUF-like two-decimal amounts for currencies with fewer decimals: round to what exists.
  const exp = exponentOf(c);
  return Math.round(major * 10 ** exp) / 10 ** exp;
}
