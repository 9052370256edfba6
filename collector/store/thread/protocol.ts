// The messages between the collector's main thread and its store thread, and how errors cross between them.
import { Refused, StoreBusy, StoreClosed, StoreOverloaded } from '../errors.ts';
import type { CacheName } from '../libsql/versions.ts';
import type { ChatChange } from '../types.ts';

/** A call of `store[area][method](...args)`, or of a top-level `store[method](...args)` when area is null. */
export interface Call {
  id: number;
  area: string | null;
  method: string;
  args: unknown[];
}

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: SentError }
  /** A cached kind changed (in this process or another): the main thread drops its copies. */
  | { changed: CacheName }
  /** Chat changes from the store's feed, once the main thread asked to watch them. */
  | { chatChanges: ChatChange[] };

export interface SentError {
  name: string;
  message: string;
  kind?: Refused['kind'];
  code?: string;
  field?: string;
}

export function sendError(err: unknown): SentError {
  if (err instanceof Refused)
    return { name: 'Refused', message: err.message, kind: err.kind, code: err.code, field: err.field };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.constructor.name, message: e.message };
}

export function receiveError(e: SentError): Error {
  switch (e.name) {
    case 'Refused':
      return new Refused(e.kind!, e.code!, e.message, e.field);
    case 'StoreOverloaded':
      return new StoreOverloaded();
    case 'StoreClosed':
      return new StoreClosed();
    case 'StoreBusy':
      return new StoreBusy();
    default:
      return new Error(e.message);
  }
}
