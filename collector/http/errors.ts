// The collector's one error class and the one place errors become JSON responses.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiErrorBody } from '../../wire.ts';
import { Refused, StoreBusy, StoreClosed, StoreOverloaded } from '../store/errors.ts';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string, field?: string): ApiErrorBody {
  return { error: field ? { code, message, field } : { code, message } };
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(errorBody(err.code, err.message, err.field), err.status);
  }
  if (err instanceof Refused) {
    const status = err.kind === 'not_found' ? 404 : err.kind === 'conflict' ? 409 : 400;
    return c.json(errorBody(err.code, err.message, err.field), status);
  }
  if (err instanceof StoreOverloaded || err instanceof StoreClosed || err instanceof StoreBusy) {
    const code =
      err instanceof StoreOverloaded ? 'overloaded' : err instanceof StoreClosed ? 'shutting_down' : 'busy';
    c.header('Retry-After', err instanceof StoreOverloaded ? '1' : '5');
    return c.json(errorBody(code, err.message), 503);
  }
  // Hono's own HTTPException (e.g. from a middleware) keeps its status but gets our body.
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return c.json(errorBody('bad_request', err.message || 'bad request'), status as ContentfulStatusCode);
  }
  console.error('unhandled error', c.req.method, c.req.path, err);
  return c.json(errorBody('internal', 'internal error'), 500);
}
