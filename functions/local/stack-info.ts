import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';

/**
 * What `npm start` tells other processes (the CLI) about the stack it runs: where each
 * emulator listens and which table and bucket it uses. Kept in the data folder while it runs.
 */
const StackInfoSchema = z.object({
  pid: z.number().int().positive(),
  urls: z.object({ api: z.url(), dynamodb: z.url(), s3: z.url(), ses: z.url(), mailbox: z.url() }),
  dataDir: z.string(),
  tableName: z.string(),
  bucket: z.string(),
  sender: z.string(),
  timeZone: z.string(),
});
export type StackInfo = z.infer<typeof StackInfoSchema>;

const FILE = 'stack.json';

/** Where `npm start` and the CLI keep local data unless told otherwise. */
export const DEFAULT_DATA_DIR = '.local-data';

export async function writeStackInfo(info: StackInfo): Promise<void> {
  await writeFile(join(info.dataDir, FILE), JSON.stringify(info, null, 2));
}

export async function removeStackInfo(dataDir: string): Promise<void> {
  await rm(join(dataDir, FILE), { force: true });
}

/** The running stack of this data folder, or undefined when none answers. */
export async function findRunningStack(dataDir: string): Promise<StackInfo | undefined> {
  let info: StackInfo;
  try {
    info = StackInfoSchema.parse(JSON.parse(await readFile(join(dataDir, FILE), 'utf8')));
  } catch {
    return undefined;
  }
  try {
    process.kill(info.pid, 0);
    const health = await fetch(new URL('/health-check', info.urls.ses), {
      signal: AbortSignal.timeout(2000),
    });
    return health.ok ? info : undefined;
  } catch {
    return undefined;
  }
}
