import type * as z from 'zod';
import { HtmlPageRenderer } from '../adapters/html-page-renderer.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { ApiDeps } from '../triggers/api/api.ts';
import { MailEnv, type MailOverrides, mailDeps, templatesFor } from './mail.ts';

export const ApiEnv = MailEnv;
export type ApiEnv = z.infer<typeof ApiEnv>;

/** The api function's adapters: the mail wiring (confirmation emails, links) and the pages. */
export function apiDeps(env: ApiEnv, overrides: MailOverrides = {}): ApiDeps {
  const clock = overrides.clock ?? systemClock;
  const templates = templatesFor(env, overrides);
  return {
    ...mailDeps(env, documentClient(), clock, templates),
    pages: new HtmlPageRenderer(templates.pages),
    clock,
  };
}
