import { buildEditionPage, type EditionPages } from './archive.ts';
import { deliveryModeFor } from './delivery-schedule.ts';
import { editionTopics } from './edition.ts';
import type {
  Clock,
  Edition,
  EditionRepository,
  PaperRepository,
  SubscriberRepository,
  WorkQueue,
} from './ports.ts';
import { rankTrending, type TrendingConfig } from './ranking.ts';
import { type SchedulePolicy, weekdayOf } from './schedule-policy.ts';

export interface RankEditionConfig {
  trending: TrendingConfig;
  /** How many days of papers (ending on the edition's day) are candidates: the "week". */
  windowDays: number;
  /** Papers published within this many days of the edition's end are new that day. */
  freshDays: number;
  /** How many ranked candidates the edition keeps; digests choose from these. */
  editionSize: number;
  /** Subscribers per send job: one SQS message each. */
  jobSize: number;
  policy: SchedulePolicy;
}

export const defaultRankEditionConfig: Omit<RankEditionConfig, 'trending' | 'policy'> = {
  windowDays: 7,
  freshDays: 2,
  editionSize: 1000,
  jobSize: 50,
};

export interface RankEditionDeps {
  papers: PaperRepository;
  editions: EditionRepository;
  subscribers: SubscriberRepository;
  queue: WorkQueue;
  clock: Clock;
  config: RankEditionConfig;
  /** Where the edition's page is stored when the edition is made (pages and feeds read it). */
  pages?: EditionPages;
}

export interface RankEditionResult {
  date: string;
  /** False when the edition already existed (kept as it was) or the day is skipped. */
  created: boolean;
  /** The weekday's policy said not to send. */
  skipped: boolean;
  mode?: Edition['mode'];
  candidates: number;
  entries: number;
  subscribers: number;
  jobs: number;
}

/**
 * Makes the edition of a day and dispatches its sending.
 * 1. A weekday whose policy is `skip` makes nothing.
 * 2. If the day's edition exists, keep it (a re-run must not change what half the list got);
 *    a day with no papers yet stores nothing, so a later run can still make it.
 * 3. Otherwise rank every paper of the week ending that day by trending score (velocity from
 *    signal snapshots), and store the top candidates with the day's mode: `daily` (readers get
 *    what is new since `freshSince`) or `week` (the best of the week). Store its page too (what
 *    /editions/{date} and the feeds show); an edition kept from an earlier run gets its page
 *    stored if it has none (editions made before pages were).
 * 4. Unless asked not to, page through active subscribers and enqueue one send job per page of
 *    those due (daily readers every sending day, weekly ones on their day, paused ones not).
 *    Re-sending is harmless: the delivery ledger sends each subscriber an edition once, and the
 *    send worker checks each reader again right before sending.
 */
export async function rankEdition(
  input: { date: string /** false: make (or keep) the edition and send nothing. */; dispatch?: boolean },
  deps: RankEditionDeps,
): Promise<RankEditionResult> {
  const { config } = deps;
  const policy = config.policy.days[weekdayOf(input.date)];
  if (policy === 'skip') {
    return {
      date: input.date,
      created: false,
      skipped: true,
      candidates: 0,
      entries: 0,
      subscribers: 0,
      jobs: 0,
    };
  }
  let edition = await deps.editions.get(input.date);
  let created = false;
  let candidates = edition?.entries.length ?? 0;
  if (!edition) {
    const days = windowDays(input.date, config.windowDays);
    const papers = await deps.papers.listPublishedOn(days);
    candidates = papers.length;
    // Rank as of the end of the edition's day, so a re-run later that day gives the same order.
    const endOfDay = Date.parse(`${input.date}T23:59:59.999Z`);
    const asOf = new Date(Math.min(deps.clock.now().getTime(), endOfDay));
    const since = new Date(Date.parse(`${days.at(-1)}T00:00:00Z`)).toISOString();
    const history = await deps.papers.signalHistory(
      papers.map((p) => p.id),
      since,
    );
    const entries = rankTrending(papers, asOf, history, config.trending).slice(0, config.editionSize);
    // No papers yet: store nothing, so a run after today's files arrive still makes the edition.
    if (entries.length === 0) {
      return {
        date: input.date,
        created: false,
        skipped: false,
        candidates: 0,
        entries: 0,
        subscribers: 0,
        jobs: 0,
      };
    }
    const fresh: Edition = {
      date: input.date,
      createdAt: deps.clock.now().toISOString(),
      mode: policy === 'best-of-week' ? 'week' : 'daily',
      freshSince: new Date(endOfDay + 1 - config.freshDays * 86_400_000).toISOString(),
      entries,
      topics: editionTopics(entries),
    };
    created = await deps.editions.create(fresh);
    // Another run may have stored the day's edition meanwhile: theirs stands.
    edition = created ? fresh : ((await deps.editions.get(input.date)) ?? fresh);
    if (deps.pages) await deps.pages.put(buildEditionPage(edition));
  } else if (deps.pages && !(await deps.pages.get(input.date))) {
    // An edition made before pages were stored (or whose page write failed): stored now.
    await deps.pages.put(buildEditionPage(edition));
  }

  let subscribers = 0;
  let jobs = 0;
  const now = deps.clock.now();
  if (edition.entries.length > 0 && input.dispatch !== false) {
    let cursor: string | undefined;
    do {
      const page = await deps.subscribers.listActive(cursor, config.jobSize);
      // Only readers this edition is for: weekly ones on their day, none who paused.
      const due = page.subscribers.filter(
        (subscriber) => deliveryModeFor(subscriber, edition as Edition, config.policy, now) !== undefined,
      );
      if (due.length > 0) {
        await deps.queue.enqueue([{ editionDate: input.date, subscriberIds: due.map((s) => s.id) }]);
        subscribers += due.length;
        jobs += 1;
      }
      cursor = page.next;
    } while (cursor);
  }
  return {
    date: input.date,
    created,
    skipped: false,
    mode: edition.mode,
    candidates,
    entries: edition.entries.length,
    subscribers,
    jobs,
  };
}

/** The `days` UTC dates ending on `date`, newest first. */
export function windowDays(date: string, days: number): string[] {
  const end = Date.parse(`${date}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(end - i * 86_400_000).toISOString().slice(0, 10));
}
