import type { Format } from '../formats/records.ts';
import type {
  Clock,
  CollectedFiles,
  CollectedIngests,
  CollectLease,
  CollectRun,
  CollectRunLog,
  FetchState,
  FetchStateStore,
  HttpTransport,
  IdGenerator,
  Sleeper,
  SourceRun,
} from '../ports.ts';
import { stripControl } from '../text.ts';
import { inspectBody } from './bodies.ts';
import { COLLECTED_PREFIX, type CollectorConfig, SOURCES, type SourceName } from './config.ts';
import { PoliteHttp } from './polite-http.ts';

export { COLLECTED_PREFIX } from './config.ts';

/** How many error messages a source's run keeps (the count is always whole). */
const MAX_ERROR_MESSAGES = 10;

export interface CollectInput {
  /** The day collected for (`YYYY-MM-DD`): Hugging Face's day and the days before it; arXiv API submissions of that day when `dated`. */
  day: string;
  /**
   * True when an operator asked for this day: the arXiv API query is restricted to submissions
   * of that day, and the RSS feeds (which only list today) are skipped unless it is today.
   */
  dated?: boolean;
  /** The sources to collect from (default: every enabled one). */
  sources?: readonly SourceName[];
}

export interface CollectDeps {
  config: CollectorConfig;
  transport: HttpTransport;
  state: FetchStateStore;
  files: CollectedFiles;
  runs: CollectRunLog;
  clock: Clock;
  sleeper: Sleeper;
  random: () => number;
  ids: IdGenerator;
  /** Whether the ingestion recorded a collected object: a URL whose last object it did not is fetched in full again. */
  ingests: CollectedIngests;
  /** One collection at a time (per table): a second one finds it held and collects nothing. */
  lease: CollectLease;
  /** How long the lease is taken for: the longest a run may last (the function's timeout). */
  leaseMs: number;
  /** Milliseconds left for the run (the function's remaining time, less a margin). */
  remainingMs?: () => number;
  /** Stops the run: the request in flight is cancelled, no other starts, the run's record is still written. */
  signal?: AbortSignal;
  /** Sent in every User-Agent beside the contact (`Paperboy/<version>`). */
  userAgentProduct?: string;
}

/** The ingest format each source's answers are in. */
const SOURCE_FORMATS: Record<SourceName, Format> = {
  hf: 'hf-daily',
  'arxiv-rss': 'arxiv-rss',
  'arxiv-api': 'arxiv-api',
};

/** One URL to fetch, with the name its object gets. */
interface Target {
  url: string;
  /** The object's name before the fetch time: `daily-2026-06-12-p0`, `cs.CL`, `query-start0`. */
  label: string;
}

/** What came of one URL, for the pagination to decide whether to ask for the next page. */
interface Fetched {
  /** Records in the answer (read now, or remembered for an answer that did not change); undefined when there was none. */
  records?: number;
}

/**
 * Collects once from the configured sources into the ingest bucket.
 * 1. Each source's URLs are fetched politely (see PoliteHttp), as a conditional request when the
 *    URL was answered before (its ETag and Last-Modified, kept per URL).
 * 2. An answer is checked to be what the source promises (see inspectBody); one that is not is
 *    an error for that URL, and nothing is written.
 * 3. An answer that brings something new (not a 304, not the same bytes as the last one written
 *    for that URL, not empty) is written as one gzip object under
 *    `incoming/collected/<source>/<day>/`, with its source, URL and fetch time as metadata; the
 *    ingestion takes it from there. Then the URL's state is kept.
 *    "The same" is the body's fingerprint (see inspectBody): the same papers with the same
 *    fields in another order write nothing; one changed upvote writes.
 *    The URL's state names the object written; while the ingestion has no record of that
 *    object (a run stopped between writing and ingesting), the state is not trusted: no
 *    conditional request, no "unchanged", the answer is written again.
 * 4. Pages follow while a page comes back full, up to the source's page cap; stopping at the
 *    cap with a full last page is said in the run's record ("more left").
 * 5. A source that fails does not stop the others. Sources run one after another, so that only
 *    one answer (at most maxResponseBytes) is held at a time. The run's record (per source:
 *    requests, not modified, unchanged, papers, bytes, errors, objects written) is stored, and
 *    returned.
 * 6. One run at a time: the run takes a lease (until `leaseMs` from its start) and gives it back
 *    at the end; a run that finds it held collects nothing and says who holds it (`skipped`).
 */
export async function collect(input: CollectInput, deps: CollectDeps): Promise<CollectRun> {
  const { config } = deps;
  const startedAt = deps.clock.now().toISOString();
  const http = new PoliteHttp(
    {
      userAgent: `${deps.userAgentProduct ?? 'Paperboy/1.0'} (research paper newsletter; +mailto:${config.contact})`,
      timeoutMs: config.requestTimeoutMs,
      maxBytes: config.maxResponseBytes,
      retries: config.retries,
      maxRetryAfterMs: config.maxRetryAfterMs,
      redirectHosts: config.redirectHosts,
    },
    {
      transport: deps.transport,
      clock: deps.clock,
      sleeper: deps.sleeper,
      random: deps.random,
      ...(deps.remainingMs ? { remainingMs: deps.remainingMs } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
  );
  const runId = deps.ids.next();
  const now = deps.clock.now();
  const lease = await deps.lease.acquire(runId, now, new Date(now.getTime() + deps.leaseMs));
  if (!lease.acquired) {
    const { holder } = lease;
    return {
      runId,
      startedAt,
      finishedAt: deps.clock.now().toISOString(),
      day: input.day,
      sources: [],
      skipped: `a collection is running (run ${holder.owner}, started ${holder.since}; its lease ends at the latest ${holder.until}): nothing was fetched`,
    };
  }
  try {
    const chosen = (input.sources ?? SOURCES).filter((source) => enabled(config, source));
    const sources: SourceRun[] = [];
    // One source after another: one answer in memory at a time (see docs/operations.md).
    for (const source of chosen) {
      const run = emptyRun(source);
      sources.push(run);
      const fetcher = new SourceFetcher(source, run, http, deps);
      if (deps.signal?.aborted) {
        fetcher.error('not started: the collection was stopped');
        run.failed = true;
        continue;
      }
      try {
        await SOURCE_RUNS[source](input, config, fetcher, deps.clock);
      } catch (error) {
        // Whatever broke (a store that failed, a cancel), this source ends here and the others go on.
        fetcher.error(`stopped: ${stripControl((error as Error).message)}`);
      }
      run.failed = run.errors > 0 && !fetcher.answered;
    }
    const record: CollectRun = {
      runId,
      startedAt,
      finishedAt: deps.clock.now().toISOString(),
      day: input.day,
      sources,
    };
    await deps.runs.record(record);
    return record;
  } finally {
    await deps.lease.release(runId);
  }
}

function enabled(config: CollectorConfig, source: SourceName): boolean {
  if (source === 'hf') return config.hf.enabled;
  if (source === 'arxiv-rss') return config.arxivRss.enabled;
  return config.arxivApi.enabled;
}

function emptyRun(source: SourceName): SourceRun {
  return {
    source,
    requests: 0,
    notModified: 0,
    unchanged: 0,
    papers: 0,
    bytes: 0,
    errors: 0,
    failed: false,
    objects: [],
    fetched: [],
    errorMessages: [],
  };
}

type SourceRunner = (
  input: CollectInput,
  config: CollectorConfig,
  fetcher: SourceFetcher,
  clock: Clock,
) => Promise<void>;

const SOURCE_RUNS: Record<SourceName, SourceRunner> = {
  /** `GET {base}/api/daily_papers?date=D&p=P&limit=L` for the day and `pastDays` before it. */
  hf: async (input, config, fetcher) => {
    const { baseUrl, pastDays, pageSize, maxPages, spacingMs } = config.hf;
    for (let back = 0; back <= pastDays; back += 1) {
      const date = dayBefore(input.day, back);
      for (let page = 0; page < maxPages; page += 1) {
        const query = new URLSearchParams({ date, p: String(page), limit: String(pageSize) });
        const { records } = await fetcher.fetch(
          { url: `${baseUrl}/api/daily_papers?${query}`, label: `daily-${date}-p${page}` },
          spacingMs,
        );
        if (records === undefined || records < pageSize) break;
        if (page === maxPages - 1) fetcher.note(moreLeft(maxPages, date));
      }
    }
  },
  /** `GET {base}/rss/{category}` per category (https://rss.arxiv.org/rss/cs.CL): today's listing only. */
  'arxiv-rss': async (input, config, fetcher, clock) => {
    const today = clock.now().toISOString().slice(0, 10);
    if (input.dated && input.day !== today) {
      fetcher.note(`skipped: the listing feeds only list today's announcements, not ${input.day}'s`);
      return;
    }
    const { baseUrl, categories, spacingMs } = config.arxivRss;
    for (const category of categories) {
      await fetcher.fetch(
        { url: `${baseUrl}/rss/${encodeURIComponent(category)}`, label: category },
        spacingMs,
      );
    }
  },
  /** `GET {base}/api/query?search_query=…&sortBy=submittedDate&sortOrder=descending&start=…&max_results=…`, paged. */
  'arxiv-api': async (input, config, fetcher) => {
    const { baseUrl, query, pageSize, maxPages, spacingMs } = config.arxivApi;
    const compact = input.day.replaceAll('-', '');
    const search = input.dated ? `(${query}) AND submittedDate:[${compact}0000 TO ${compact}2359]` : query;
    for (let page = 0; page < maxPages; page += 1) {
      const start = page * pageSize;
      const params = new URLSearchParams({
        search_query: search,
        sortBy: 'submittedDate',
        sortOrder: 'descending',
        start: String(start),
        max_results: String(pageSize),
      });
      const { records } = await fetcher.fetch(
        {
          url: `${baseUrl}/api/query?${params}`,
          label: `${input.dated ? `submitted-${input.day}-` : ''}start${start}`,
        },
        spacingMs,
      );
      if (records === undefined || records < pageSize) break;
      if (page === maxPages - 1) fetcher.note(moreLeft(maxPages));
    }
  },
};

/** The note of a source whose last page allowed came back full. */
function moreLeft(maxPages: number, day?: string): string {
  return `stopped after ${maxPages} page(s)${day ? ` of ${day}` : ''} (maxPages); the last was full, so more are left unread`;
}

/** Fetches one source's URLs and keeps its run's counts. */
class SourceFetcher {
  /** Some URL got a usable answer this run: a 304, the same bytes as before, or a body that is what the source promises. */
  answered = false;

  constructor(
    private readonly source: SourceName,
    private readonly run: SourceRun,
    private readonly http: PoliteHttp,
    private readonly deps: CollectDeps,
  ) {}

  note(outcome: string): void {
    this.run.fetched.push({ url: '', outcome });
  }

  error(message: string, entry?: SourceRun['fetched'][number]): void {
    this.run.errors += 1;
    if (this.run.errorMessages.length < MAX_ERROR_MESSAGES) this.run.errorMessages.push(message);
    if (entry) this.run.fetched.push(entry);
  }

  async fetch(target: Target, spacingMs: number): Promise<Fetched> {
    if (this.deps.signal?.aborted) throw new CollectionStopped();
    const { url } = target;
    const stored = await this.deps.state.get(url);
    // The last object written for this URL was never ingested (a run stopped in between): what
    // is remembered of it is not trusted, the answer is fetched in full and written again.
    const orphan = stored?.objectKey !== undefined && !(await this.deps.ingests.ingested(stored.objectKey));
    if (orphan)
      this.note(
        `${url}: the last object written for it (${stored?.objectKey}) was never ingested: fetched again in full`,
      );
    const previous = orphan ? undefined : stored;
    const headers: Record<string, string> = {};
    if (previous?.etag) headers['if-none-match'] = previous.etag;
    if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
    const result = await this.http.get(url, { headers, spacingMs });
    this.run.requests += result.attempts;
    if (!result.ok) {
      this.error(`${url}: ${result.error}`, {
        url,
        ...(result.status === undefined ? {} : { status: result.status }),
        outcome: result.kind === 'bad-body' ? 'invalid' : 'error',
        error: result.error,
      });
      if (result.kind === 'cancelled') throw new CollectionStopped();
      return {};
    }
    const { response } = result;
    const answeredBy = result.url;
    const fetchedAt = this.deps.clock.now().toISOString();
    const validators = {
      ...(response.headers.etag ? { etag: response.headers.etag } : {}),
      ...(response.headers['last-modified'] ? { lastModified: response.headers['last-modified'] } : {}),
    };
    if (response.status === 304) {
      this.answered = true;
      this.run.notModified += 1;
      this.run.fetched.push({ url, status: 304, outcome: 'not modified' });
      if (previous) await this.deps.state.put({ ...previous, ...validators, checkedAt: fetchedAt });
      return { ...(previous?.records === undefined ? {} : { records: previous.records }) };
    }
    this.run.bytes += response.body.byteLength;
    const format = SOURCE_FORMATS[this.source];
    const contents = await inspectBody(response.body, format, fetchedAt);
    if (!contents.ok) {
      this.error(`${url}: ${contents.reason}`, {
        url,
        status: 200,
        outcome: 'invalid',
        error: contents.reason,
      });
      return {};
    }
    this.answered = true;
    if (previous?.contentHash === contents.fingerprint) {
      this.run.unchanged += 1;
      this.run.fetched.push({ url, status: 200, outcome: 'unchanged' });
      await this.deps.state.put(stateOf(url, previous, validators, fetchedAt));
      return { records: contents.records };
    }
    const next: FetchState = {
      url,
      ...validators,
      contentHash: contents.fingerprint,
      records: contents.records,
      checkedAt: fetchedAt,
    };
    if (contents.records === 0) {
      this.run.fetched.push({ url, status: 200, outcome: 'empty', papers: 0 });
      await this.deps.state.put(next);
      return { records: 0 };
    }
    const key = collectedKey(this.source, fetchedAt, target.label, format);
    await this.deps.files.put({
      key,
      body: response.body,
      contentType: format === 'hf-daily' ? 'application/json' : 'application/xml',
      metadata: {
        source: this.source,
        // The URL that answered (after redirects), and the one asked when it differs.
        url: answeredBy,
        ...(answeredBy === url ? {} : { 'requested-url': url }),
        'fetched-at': fetchedAt,
        'observed-at': fetchedAt,
      },
    });
    // Kept only once the object is written (a failed write is fetched again next run), and
    // naming it: until the ingestion records it, the next run does not trust this state.
    await this.deps.state.put({ ...next, objectKey: key });
    this.run.papers += contents.papers;
    this.run.objects.push(key);
    this.run.fetched.push({
      url,
      status: 200,
      outcome: 'written',
      papers: contents.papers,
      key,
      ...(answeredBy === url ? {} : { redirectedTo: answeredBy }),
    });
    return { records: contents.records };
  }
}

/** The run's signal aborted: this source stops where it is (the run's record is still written). */
class CollectionStopped extends Error {
  constructor() {
    super('the collection was stopped (cancelled) before this source was done');
  }
}

function stateOf(
  url: string,
  previous: FetchState,
  validators: { etag?: string; lastModified?: string },
  checkedAt: string,
): FetchState {
  return { ...previous, url, ...validators, checkedAt };
}

/**
 * `incoming/collected/<source>/<day fetched>/<label>.<fetch time>.<json|xml>.gz`: one object per
 * fetch, never overwritten, so that every collected file is a record of what the source said then.
 */
export function collectedKey(source: SourceName, fetchedAt: string, label: string, format: Format): string {
  const stamp = fetchedAt.replace(/[-:]/gu, '');
  const safe = label.replace(/[^\w.-]+/gu, '_');
  return `${COLLECTED_PREFIX}${source}/${fetchedAt.slice(0, 10)}/${safe}.${stamp}.${format === 'hf-daily' ? 'json' : 'xml'}.gz`;
}

/** The day `n` days before `day` (`YYYY-MM-DD`). */
export function dayBefore(day: string, n: number): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
}
