import * as z from 'zod';
import { ConfigError } from '../errors.ts';

/**
 * Collected files go under this prefix, inside the ingest prefix (`incoming/`, whose bucket
 * notification drives the ingestion): the collector's role may write only here.
 */
export const COLLECTED_PREFIX = 'incoming/collected/';

/** The sources the collector knows, by the name that appears in keys, metrics and the CLI. */
export const SOURCES = ['hf', 'arxiv-rss', 'arxiv-api'] as const;
export type SourceName = (typeof SOURCES)[number];

const KiB = 1024;
const MiB = 1024 ** 2;

/** A host on this machine: where plain http is allowed (tests, the local stack). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/**
 * A link-local address (169.254.0.0/16, fe80::/10, and IPv4-mapped forms): where cloud metadata
 * services answer (169.254.169.254). Never a source, never a redirect's target.
 */
export function isLinkLocalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/gu, '').toLowerCase();
  return /^169\.254\./u.test(h) || /^fe[89ab][0-9a-f]?:/u.test(h) || /^::ffff:(169\.254\.|a9fe:)/u.test(h);
}

/**
 * Why `url` cannot be a source's base URL, or undefined when it can: https (plain http only for
 * 127.0.0.1, localhost or [::1]), no user or password, no query, no fragment, not link-local.
 */
export function baseUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL (it needs a scheme and a host, such as https://huggingface.co)';
  }
  if (parsed.protocol === 'http:') {
    if (!isLoopbackHost(parsed.hostname))
      return `uses plain http for ${parsed.hostname}: http is allowed only for 127.0.0.1, localhost or [::1]; use https`;
  } else if (parsed.protocol !== 'https:') {
    return `has the scheme ${parsed.protocol.replace(/:$/u, '')}: only https (or http on this machine) is fetched`;
  }
  if (parsed.username || parsed.password) return 'has a user or password in it: none is sent to a source';
  if (parsed.search) return `has a query (${parsed.search}): the collector adds its own`;
  if (parsed.hash) return `has a fragment (${parsed.hash}): a fragment is never sent to a server`;
  if (isLinkLocalHost(parsed.hostname))
    return `is a link-local address (${parsed.hostname}), where no source lives`;
  return undefined;
}

/** A base URL: see baseUrlProblem. Kept without its trailing slashes. */
const baseUrl = z
  .string({ message: 'must be an absolute URL such as https://huggingface.co' })
  .superRefine((u, ctx) => {
    const problem = baseUrlProblem(u);
    if (problem)
      ctx.addIssue({ code: 'custom', message: `must be https with no query or fragment: ${u} ${problem}` });
  })
  .transform((u) => u.replace(/\/+$/u, ''));

/** Milliseconds between two requests to one host. */
const spacing = (fallback: number) =>
  z
    .number({ message: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0 or more milliseconds')
    .max(60_000, 'must be at most 60000 ms')
    .default(fallback);

const pages = (fallback: number, max: number) =>
  z
    .number({ message: 'must be a whole number of pages' })
    .int('must be a whole number of pages')
    .min(1, 'must be at least 1 page')
    .max(max, `must be at most ${max} pages`)
    .default(fallback);

/** An arXiv category as the listing feeds name it: `cs.CL`, `math.ST`, `hep-th`, `eess.AS`. */
const category = z
  .string()
  .regex(/^[a-z-]{2,12}(\.[A-Za-z]{2,4})?$/u, 'must be an arXiv category such as cs.CL');

/**
 * Everything the collector is told per deployment. The same schema validates the CDK context at
 * synth time (infra/config.ts) and the function's `COLLECTOR_CONFIG` at cold start, so that a bad
 * value fails `cdk synth` with its key named, and a function never starts with one.
 *
 * Spacings (between two requests to one host, whatever the source): arXiv asks for 3 s between
 * API calls (https://info.arxiv.org/help/api/tou.html), and the listing feeds are served by the
 * same organisation, so they get 3 s too; Hugging Face publishes no figure for its public API,
 * 1 s keeps a run of a few dozen requests far from any limit.
 */
export const CollectorConfigSchema = z.strictObject(
  {
    /** Who to write to about our requests: in every User-Agent (`Paperboy/1 (+mailto:…)`). */
    contact: z.email({ message: 'must be an email address the source can write to about our requests' }),
    hf: z
      .strictObject({
        enabled: z.boolean().default(true),
        baseUrl: baseUrl.default('https://huggingface.co'),
        /** Days before the run's day fetched again, so that upvotes and stars are re-observed. */
        pastDays: z
          .number({ message: 'must be a whole number of days' })
          .int('must be a whole number of days')
          .min(0, 'must be 0 or more days')
          .max(14, 'must be at most 14 days')
          .default(2),
        /** Items asked for per page (`limit`); the next page is fetched while a page comes back full. */
        pageSize: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100').default(50),
        maxPages: pages(4, 20),
        spacingMs: spacing(1000),
      })
      .default({
        enabled: true,
        baseUrl: 'https://huggingface.co',
        pastDays: 2,
        pageSize: 50,
        maxPages: 4,
        spacingMs: 1000,
      }),
    arxivRss: z
      .strictObject({
        enabled: z.boolean().default(true),
        baseUrl: baseUrl.default('https://rss.arxiv.org'),
        categories: z
          .array(category)
          .min(1, 'must list at least one category')
          .max(30, 'must list at most 30')
          .default(['cs.CL', 'cs.LG']),
        spacingMs: spacing(3000),
      })
      .default({
        enabled: true,
        baseUrl: 'https://rss.arxiv.org',
        categories: ['cs.CL', 'cs.LG'],
        spacingMs: 3000,
      }),
    arxivApi: z
      .strictObject({
        enabled: z.boolean().default(true),
        baseUrl: baseUrl.default('https://export.arxiv.org'),
        /** An arXiv API search expression (`cat:cs.CL OR cat:cs.LG`). */
        query: z
          .string()
          .trim()
          .min(1, 'must be an arXiv search expression such as cat:cs.CL')
          .max(500, 'must be at most 500 characters')
          .default('cat:cs.CL OR cat:cs.LG'),
        pageSize: z.number().int().min(1, 'must be at least 1').max(500, 'must be at most 500').default(100),
        maxPages: pages(3, 20),
        spacingMs: spacing(3000),
      })
      .default({
        enabled: true,
        baseUrl: 'https://export.arxiv.org',
        query: 'cat:cs.CL OR cat:cs.LG',
        pageSize: 100,
        maxPages: 3,
        spacingMs: 3000,
      }),
    /** One request's time limit (headers and body), below the function's own timeout. */
    requestTimeoutMs: z
      .number()
      .int()
      .min(100, 'must be at least 100 ms')
      .max(60_000, 'must be at most 60000 ms')
      .default(20_000),
    /** One response's size limit once decompressed: past it, reading stops and the URL is an error. */
    maxResponseBytes: z
      .number()
      .int()
      .min(KiB, 'must be at least 1024 bytes')
      .max(100 * MiB, 'must be at most 100 MiB')
      .default(20 * MiB),
    /** Retries of one request after a network error, a timeout, a 5xx or a 429 (so up to retries + 1 attempts). */
    retries: z.number().int().min(0, 'must be 0 or more').max(5, 'must be at most 5').default(2),
    /**
     * Hosts (`host` or `host:port`) a source's redirect may lead to besides its own base URL's host.
     * Whatever the list, a redirect goes only to https (http only from and to this machine), never
     * to a link-local address, and at most 5 hops.
     */
    redirectHosts: z
      .array(
        z
          .string()
          .regex(
            /^[a-z0-9.-]+(:\d{1,5})?$/u,
            'must be a host name such as cdn.example.org (lower case, optional :port)',
          )
          .refine((h) => !isLinkLocalHost(h.replace(/:\d+$/u, '')), {
            message: 'must not be a link-local address',
          }),
      )
      .max(10, 'must list at most 10 hosts')
      .default([]),
    /** The longest `Retry-After` honoured; a source asking for more is an error for that URL this run. */
    maxRetryAfterMs: z.number().int().min(0).max(600_000, 'must be at most 600000 ms').default(60_000),
  },
  {
    error: (issue) =>
      // Only the object's own issue: its fields report theirs.
      issue.code === 'invalid_type'
        ? 'must be an object (JSON) of collector settings: contact, hf, arxivRss, arxivApi, requestTimeoutMs, …'
        : undefined,
  },
);
export type CollectorConfig = z.infer<typeof CollectorConfigSchema>;
export type CollectorConfigInput = z.input<typeof CollectorConfigSchema>;

/**
 * Memory (MB) a run needs: sources run one after another, so one answer is held at a time; at
 * its largest it is there about 3 times (the bytes read, the decoded text, the parsed records)
 * plus its gzip on the way to S3, on top of the runtime's own ~160 MB. Measured: a 19.5 MB
 * answer raised the peak RSS by ~60 MB (docs/operations.md). The CDK app refuses a
 * maxResponseBytes whose need passes the function's memory.
 */
export function collectorMemoryNeededMb(config: Pick<CollectorConfig, 'maxResponseBytes'>): number {
  return Math.ceil(160 + (4 * config.maxResponseBytes) / MiB);
}

/** The first day a collection may ask for: Hugging Face's daily papers and arXiv's API have nothing useful before it for Paperboy. */
export const FIRST_COLLECT_DAY = '2018-01-01';

/**
 * Why `day` (`YYYY-MM-DD`, a real day) cannot be collected for, or undefined when it can: from
 * FIRST_COLLECT_DAY to tomorrow in UTC (a source a few hours ahead may already list tomorrow).
 */
export function collectDayProblem(day: string, now: Date): string | undefined {
  const tomorrow = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  if (day < FIRST_COLLECT_DAY)
    return `${day} is before ${FIRST_COLLECT_DAY}: the sources have nothing to collect that far back`;
  if (day > tomorrow)
    return `${day} is after tomorrow (${tomorrow}, UTC): nothing has been published for it yet`;
  return undefined;
}

/** The configuration with only a contact: every source on, at its public address. */
export function defaultCollectorConfig(contact: string): CollectorConfig {
  return CollectorConfigSchema.parse({ contact });
}

/** The same configuration with every enabled source's base URL replaced (a local fake, the CLI's --base-url). */
export function withBaseUrl(config: CollectorConfig, url: string): CollectorConfig {
  const problem = baseUrlProblem(url);
  if (problem) throw new ConfigError(`--base-url ${url} ${problem}`);
  const base = baseUrl.parse(url);
  return {
    ...config,
    hf: { ...config.hf, baseUrl: base },
    arxivRss: { ...config.arxivRss, baseUrl: base },
    arxivApi: { ...config.arxivApi, baseUrl: base },
  };
}
