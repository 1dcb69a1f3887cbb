import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultLocalOptions,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
} from '../../functions/local/stack.ts';

/** Boots the whole local stack on free ports with its data in a fresh temporary folder. */
export async function bootTestStack(
  options: Partial<LocalStackOptions> = {},
): Promise<LocalStack & { cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paperboy-test-'));
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    ...options,
    dataDir,
    persist: false,
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
  });
  return Object.assign(stack, {
    async cleanup() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}
