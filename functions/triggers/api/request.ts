import type * as z from 'zod';
import { describeIssues, PayloadTooLargeError, ValidationError } from '../../core/errors.ts';

/** Bodies larger than this are refused before they are read whole. */
export const MAX_BODY_BYTES = 16_384;

const FORM = /^application\/x-www-form-urlencoded\b/iu;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/iu;

export function isForm(req: Pick<Request, 'headers'>): boolean {
  return FORM.test(req.headers.get('content-type') ?? '');
}

/**
 * The body of a POST as a plain object, decoded in this one place: JSON or an HTML form
 * (API Gateway's base64 bodies are already decoded into the request). Anything else, or a body
 * over MAX_BODY_BYTES, is refused with a message that says what was wrong.
 */
export async function readBody(req: Request): Promise<Record<string, unknown>> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError('body: must be UTF-8 text');
  }
  if (isForm(req)) return formFields(new URLSearchParams(text));
  if (!JSON_TYPE.test(req.headers.get('content-type') ?? '')) {
    throw new ValidationError('body: send application/json or application/x-www-form-urlencoded');
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // the same message as a body that is JSON but not an object
  }
  throw new ValidationError('body: must be a JSON object');
}

/** A form's fields; a repeated name (checkboxes) gives a list of its values. */
function formFields(params: URLSearchParams): Record<string, string | string[]> {
  // A Map, then own properties: a field named __proto__ stays a field.
  const fields = new Map<string, string | string[]>();
  for (const [name, value] of params) {
    const earlier = fields.get(name);
    fields.set(
      name,
      earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value],
    );
  }
  return Object.fromEntries(fields);
}

/**
 * The query string as a plain object. A name given twice (`vote=more&vote=fewer`) is refused
 * with a 400 naming it, on every route: which value counts would otherwise be a guess.
 */
export function readQuery(req: Request): Record<string, string> {
  const query = new Map<string, string>();
  for (const [name, value] of new URL(req.url).searchParams) {
    if (query.has(name)) {
      const path = `query.${name.slice(0, 64)}`;
      throw new ValidationError(`${path}: given more than once; send it once`, [
        { path, message: 'given more than once; send it once' },
      ]);
    }
    query.set(name, value);
  }
  return Object.fromEntries(query);
}

/** Validates one part of a request; issues name where they are (`query.token`, `body.email`). */
export function parsePart<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error.issues).map((i) => ({ ...i, path: `${where}.${i.path}` }));
  throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function tooLarge(): PayloadTooLargeError {
  return new PayloadTooLargeError(`body: must be at most ${MAX_BODY_BYTES} bytes`);
}
