import { buildDigestView, choosePapers, renderDigestText } from './digest.ts';
import { NotFoundError } from './errors.ts';
import type { LinkBuilder } from './links.ts';
import type {
  DeliveryLedger,
  DigestRenderer,
  EditionRepository,
  EmailSender,
  SendJob,
  SubscriberRepository,
} from './ports.ts';

export interface SendDigestsDeps {
  editions: EditionRepository;
  subscribers: SubscriberRepository;
  ledger: DeliveryLedger;
  sender: EmailSender;
  renderer: DigestRenderer;
  links: LinkBuilder;
  /** Identifies the list in the List-Id header, e.g. `daily.paperboy.example.org`. */
  listId: string;
}

export interface SendDigestsResult {
  sent: number;
  /** Already sent, claimed by another worker, or no longer active. */
  skipped: number;
  failed: { subscriberId: string; error: string }[];
}

/**
 * Sends one edition to one page of subscribers, exactly once each.
 * 1. Load the edition (a job for a missing edition is an error: it must not be dropped silently).
 * 2. For each subscriber still active: claim the ledger item with a condition, so a retried or
 *    re-delivered job skips whoever already got it.
 * 3. Render their digest, send it, and mark the ledger item sent. If the provider refuses the
 *    message the claim is released, so a retry can send it; other subscribers go on.
 */
export async function sendDigests(job: SendJob, deps: SendDigestsDeps): Promise<SendDigestsResult> {
  const edition = await deps.editions.get(job.editionDate);
  if (!edition) throw new NotFoundError(`edition ${job.editionDate} does not exist`);
  const result: SendDigestsResult = { sent: 0, skipped: 0, failed: [] };

  for (const subscriberId of job.subscriberIds) {
    const subscriber = await deps.subscribers.get(subscriberId);
    if (subscriber?.status !== 'active') {
      result.skipped += 1;
      continue;
    }
    const papers = choosePapers(edition, subscriber);
    if (papers.length === 0) {
      result.skipped += 1;
      continue;
    }
    if (!(await deps.ledger.claim(subscriberId, edition.date))) {
      result.skipped += 1;
      continue;
    }
    const unsubscribeUrl = deps.links.unsubscribe(subscriberId);
    const view = buildDigestView(edition, papers, {
      unsubscribeUrl,
      webViewUrl: deps.links.edition(edition.date),
    });
    try {
      const { messageId } = await deps.sender.send({
        to: subscriber.email,
        subject: view.subject,
        html: deps.renderer.renderDigest(view),
        text: renderDigestText(view),
        headers: {
          'List-Id': `Paperboy daily papers <${deps.listId}>`,
          'List-Unsubscribe': `<${unsubscribeUrl}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
      await deps.ledger.complete(subscriberId, edition.date, messageId);
      result.sent += 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await deps.ledger.release(subscriberId, edition.date, message);
      result.failed.push({ subscriberId, error: message });
    }
  }
  return result;
}
