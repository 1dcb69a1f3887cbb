import * as z from 'zod';
import { PaperboyError } from '../core/errors.ts';

/** One message as the SES emulator keeps it (`GET /store`). */
const StoredEmailSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  destination: z.object({ to: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  at: z.number(),
});
export type StoredEmail = z.infer<typeof StoredEmailSchema>;

/** Reads what the local SES emulator was asked to send (since a Unix second, when given). */
export async function readMailbox(sesUrl: string, since?: number): Promise<StoredEmail[]> {
  const url = new URL('/store', sesUrl);
  if (since !== undefined) url.searchParams.set('since', String(since));
  const response = await fetch(url);
  if (!response.ok) throw new PaperboyError(`the SES emulator answered ${response.status} for /store`);
  return z.object({ emails: z.array(StoredEmailSchema) }).parse(await response.json()).emails;
}

export function header(email: StoredEmail, name: string): string | undefined {
  return email.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}
