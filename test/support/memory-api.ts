import { HtmlDigestRenderer } from '../../functions/adapters/html-digest-renderer.ts';
import { HtmlPageRenderer } from '../../functions/adapters/html-page-renderer.ts';
import { compileTemplates } from '../../functions/adapters/mjml-compiler.ts';
import { LinkBuilder } from '../../functions/core/links.ts';
import { createApiHandler } from '../../functions/triggers/api/api.ts';
import {
  FixedClock,
  MemoryEditions,
  MemorySubscribers,
  RecordingSender,
  testTokenKeys,
} from './memory-ports.ts';

/** The api function over in-memory ports: the real router, pages and use cases, no AWS. */
export async function memoryApi(base = 'https://papers.example.org/') {
  const templates = await compileTemplates();
  const clock = new FixedClock(new Date('2026-11-27T06:00:00Z'));
  const subscribers = new MemorySubscribers(clock);
  const sender = new RecordingSender();
  const editions = new MemoryEditions();
  const handler = createApiHandler({
    subscribers,
    editions,
    sender,
    renderer: new HtmlDigestRenderer(templates),
    pages: new HtmlPageRenderer(templates.pages),
    links: new LinkBuilder(base, testTokenKeys),
    keys: testTokenKeys,
    clock,
  });
  return { handler, subscribers, sender, editions, clock };
}
