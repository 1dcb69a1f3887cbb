import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** The real input samples (`../shared/data` beside the repository); CI has them. */
export const SHARED_DATA = new URL('../../../shared/data/', import.meta.url);
export const hasSharedData = existsSync(SHARED_DATA);
export const sharedDataSkipReason = `real samples not found at ${SHARED_DATA.pathname}: clone the project beside its shared/ folder to run the contract tests`;

export async function readSample(name: string): Promise<string> {
  return readFile(new URL(name, SHARED_DATA), 'utf8');
}
