import * as z from 'zod';

/**
 * One unit of sending work: an edition for a page of subscribers. The send function validates
 * every queue message with this schema; a message that fails it ends in the dead-letter queue.
 */
export const SendJobSchema = z.object({
  editionDate: z.iso.date(),
  subscriberIds: z
    .array(z.string().regex(/^[A-Za-z0-9_-]+$/u))
    .min(1)
    .max(500),
});
export type SendJob = z.infer<typeof SendJobSchema>;
