import * as z from 'zod';
import { SubscriptionRequestSchema } from './subscriber.ts';

/**
 * A sign-up as the API accepted it, queued for the worker that does the work (see
 * `acceptSignup`): the validated request and when it was made. The worker validates every
 * message with this schema; one that fails it ends in the dead-letter queue.
 */
export const SignupMessageSchema = z.object({
  request: SubscriptionRequestSchema,
  requestedAt: z.iso.datetime(),
});
export type SignupMessage = z.infer<typeof SignupMessageSchema>;
