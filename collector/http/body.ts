// Request bodies: the size limit applied before a body is read, and the one JSON reader (nesting depth checked
// before JSON.parse, schema errors as a 400 that names the field).
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import * as v from 'valibot';
import { LIMITS } from '../../wire.ts';
import { ApiError } from './errors.ts';

/** "path.to.field: message" for the first problem valibot found. */
export function describeIssues(issues: v.BaseIssue<unknown>[]): { field?: string; message: string } {
  const issue = issues[0];
  const field = issue.path?.map((p) => String(p.key)).join('.');
  return { field: field || undefined, message: field ? `${field}: ${issue.message}` : issue.message };
}

const sizeOf = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MB` : `${bytes / 1024} KB`);

/**
 * Hono's body limit with our error body. It refuses by Content-Length before reading, or stops reading a
 * chunked body at the limit; either way the rest of the body is still on the wire, so the reply says
 * `Connection: close` and a keep-alive client opens a new connection for its next request.
 */
export function limitBody(maxSize: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new ApiError(413, 'too_large', `the request body is larger than ${sizeOf(maxSize)}`, undefined, {
      Connection: 'close',
    });
  };
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return async function limitBody(c, next) {
    // A declared length is checked as it is: the HTTP parser never delivers more than it, and the body is then
    // read by the server's direct path rather than through a counting web stream (a quarter of ingest's cost).
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d+$/.test(declared) && !c.req.header('transfer-encoding')) {
      if (Number(declared) > maxSize) tooLarge();
      return next();
    }
    return streamed(c, next);
  };
}

/** Whether JSON text nests `[` and `{` (outside strings) deeper than `limit`: JSON.parse and every recursive walk after it would pay for it. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // a backslash escapes the next character, a quote included
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/** JSON text as a value: 400 when it nests too deep or is not JSON. */
export function parseJson(text: string): unknown {
  if (nestsDeeperThan(text, LIMITS.jsonDepth))
    throw new ApiError(
      400,
      'too_deep',
      `the request body nests arrays and objects deeper than ${LIMITS.jsonDepth} levels`,
    );
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'malformed_json', 'the request body is not valid JSON');
  }
}

/** The request body as JSON (the size limit was applied by `limitBody` before this reads it). */
export async function readJson(req: { text(): Promise<string> }): Promise<unknown> {
  return parseJson(await req.text());
}

/** The request body as JSON, validated: every problem is a 400 that names the field. */
export async function jsonBody<T extends v.GenericSchema>(
  req: { text(): Promise<string> },
  schema: T,
  code = 'invalid_body',
): Promise<v.InferOutput<T>> {
  const parsed = v.safeParse(schema, await readJson(req));
  if (!parsed.success) {
    const { field, message } = describeIssues(parsed.issues);
    throw new ApiError(400, code, message, field);
  }
  return parsed.output as v.InferOutput<T>;
}
