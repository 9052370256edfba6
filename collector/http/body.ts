// Reads a JSON request body and validates it, turning every problem into a 400 that names the field.
import * as v from 'valibot';
import { describeIssues } from '../ingest/routes.ts';
import { ApiError } from './errors.ts';

export async function jsonBody<T extends v.GenericSchema>(
  req: { json(): Promise<unknown> },
  schema: T,
): Promise<v.InferOutput<T>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new ApiError(400, 'malformed_json', 'the request body is not valid JSON');
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    const { field, message } = describeIssues(parsed.issues);
    throw new ApiError(400, 'invalid_body', message, field);
  }
  return parsed.output as v.InferOutput<T>;
}
