import { HtmlDigestRenderer } from '../../functions/adapters/html-digest-renderer.ts';
import { HtmlPageRenderer } from '../../functions/adapters/html-page-renderer.ts';
import { compileTemplates } from '../../functions/adapters/mjml-compiler.ts';
import { LinkBuilder } from '../../functions/core/links.ts';
import { defaultRateLimits, type RateLimits } from '../../functions/core/rate-limits.ts';
import { processSignup, type SubscriptionDeps } from '../../functions/core/subscriptions.ts';
import { createApiHandler } from '../../functions/triggers/api/api.ts';
import { memoryArchiveDeps } from './memory-archive.ts';
import {
  FixedClock,
  MemoryEditions,
  MemoryLearnedProfiles,
  MemoryLedger,
  MemoryPapers,
  MemoryPersonalData,
  MemoryRateLimiter,
  MemorySubscribers,
  RecordingSender,
  SequentialIds,
  testTokenKeys,
} from './memory-ports.ts';

/**
 * The api function over in-memory ports: the real router, pages and use cases, no AWS. Queued
 * sign-ups are worked at once, as the process-signup function would.
 */
export async function memoryApi(options: { base?: string; limits?: Partial<RateLimits> } = {}) {
  const base = options.base ?? 'https://papers.example.org/';
  const templates = await compileTemplates();
  const clock = new FixedClock(new Date('2026-11-27T06:00:00Z'));
  const subscribers = new MemorySubscribers(clock);
  const sender = new RecordingSender();
  const editions = new MemoryEditions();
  const ledger = new MemoryLedger(clock);
  const limiter = new MemoryRateLimiter();
  const renderer = new HtmlDigestRenderer(templates);
  const learned = new MemoryLearnedProfiles();
  const papers = new MemoryPapers();
  const links = new LinkBuilder(base, testTokenKeys);
  const subscription: SubscriptionDeps = {
    subscribers,
    sender,
    renderer,
    links,
    keys: testTokenKeys,
    clock,
    ids: new SequentialIds(),
    postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
  };
  const archive = memoryArchiveDeps(templates.pages, editions, ledger, papers, clock);
  const handler = createApiHandler({
    ...subscription,
    editions,
    pages: new HtmlPageRenderer(templates.pages),
    limiter,
    signups: { enqueue: async (message) => void (await processSignup(message, subscription)) },
    personalData: new MemoryPersonalData(subscribers, ledger, learned),
    learned,
    papers,
    limits: { ...defaultRateLimits, ...options.limits },
    ...archive,
  });
  return { handler, subscribers, sender, editions, clock, limiter, ledger, links, learned, papers, archive };
}
