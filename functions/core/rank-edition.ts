import type {
  Clock,
  Edition,
  EditionRepository,
  PaperRepository,
  SubscriberRepository,
  WorkQueue,
} from './ports.ts';
import { rankTrending, type TrendingConfig } from './ranking.ts';

export interface RankEditionConfig {
  trending: TrendingConfig;
  /** How many days of papers (ending on the edition's day) are candidates. */
  windowDays: number;
  /** How many ranked candidates the edition keeps; digests choose from these. */
  editionSize: number;
  /** Subscribers per send job: one SQS message each. */
  jobSize: number;
}

export const defaultRankEditionConfig: Omit<RankEditionConfig, 'trending'> = {
  windowDays: 7,
  editionSize: 30,
  jobSize: 50,
};

export interface RankEditionDeps {
  papers: PaperRepository;
  editions: EditionRepository;
  subscribers: SubscriberRepository;
  queue: WorkQueue;
  clock: Clock;
  config: RankEditionConfig;
}

export interface RankEditionResult {
  date: string;
  /** False when the edition already existed: it is kept as it was so every reader gets the same one. */
  created: boolean;
  candidates: number;
  entries: number;
  subscribers: number;
  jobs: number;
}

/**
 * Makes the edition of a day and dispatches its sending.
 * 1. If the day's edition exists, keep it (a re-run must not change what half the list got).
 * 2. Otherwise rank the papers published in the window ending on that day and store the top ones.
 * 3. Page through active subscribers and enqueue one send job per page. Re-sending is harmless:
 *    the delivery ledger sends each subscriber an edition once.
 */
export async function rankEdition(
  input: { date: string },
  deps: RankEditionDeps,
): Promise<RankEditionResult> {
  const { config } = deps;
  let edition = await deps.editions.get(input.date);
  let created = false;
  let candidates = edition?.entries.length ?? 0;
  if (!edition) {
    const papers = await deps.papers.listPublishedOn(windowDays(input.date, config.windowDays));
    candidates = papers.length;
    // Rank as of the end of the edition's day, so a re-run later that day gives the same order.
    const asOf = new Date(Math.min(deps.clock.now().getTime(), Date.parse(`${input.date}T23:59:59Z`)));
    const entries = rankTrending(papers, asOf, config.trending).slice(0, config.editionSize);
    const fresh: Edition = { date: input.date, createdAt: deps.clock.now().toISOString(), entries };
    created = await deps.editions.create(fresh);
    // Another run may have stored the day's edition meanwhile: theirs stands.
    edition = created ? fresh : ((await deps.editions.get(input.date)) ?? fresh);
  }

  let subscribers = 0;
  let jobs = 0;
  if (edition.entries.length > 0) {
    let cursor: string | undefined;
    do {
      const page = await deps.subscribers.listActive(cursor, config.jobSize);
      if (page.subscribers.length > 0) {
        await deps.queue.enqueue([
          { editionDate: input.date, subscriberIds: page.subscribers.map((s) => s.id) },
        ]);
        subscribers += page.subscribers.length;
        jobs += 1;
      }
      cursor = page.next;
    } while (cursor);
  }
  return { date: input.date, created, candidates, entries: edition.entries.length, subscribers, jobs };
}

/** The `days` UTC dates ending on `date`, newest first. */
export function windowDays(date: string, days: number): string[] {
  const end = Date.parse(`${date}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(end - i * 86_400_000).toISOString().slice(0, 10));
}
