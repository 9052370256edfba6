// window.touchpoint: the public verbs, callable as methods or as touchpoint('verb', ...args).
import { safe, VERSION } from './config.ts';
import { alias, consent, identify, page, reset, track } from './events.ts';
import type { Touchpoint } from './touchpoint.d.ts';
import { flush } from './transport.ts';
import { loadUI } from './ui.ts';

export function createApi(): Touchpoint {
  const verbs: Record<string, (...a: any[]) => unknown> = {
    page,
    track,
    identify,
    alias,
    reset,
    consent,
    flush,
    form: (id: string) => loadUI('form', id),
    chat: () => loadUI('chat'),
  };
  // an unknown verb throws a TypeError, which safe() logs
  const tp: any = safe((verb: string, ...a: unknown[]) => tp[verb](...a));
  for (const k in verbs) tp[k] = safe(verbs[k]);
  tp.version = VERSION;
  tp._tp = 1;
  return tp;
}
