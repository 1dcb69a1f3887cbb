import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../core/ports.ts';

/** 96 random bits, base64url: unguessable, and safe in a token field. */
export const randomIds: IdGenerator = { next: () => randomBytes(12).toString('base64url') };
