import * as z from 'zod';

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

/** A base URL: https, or plain http for a server on this machine (tests, the local stack). */
const baseUrl = z
  .url({ message: 'must be an absolute URL such as https://huggingface.co' })
  .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/u.test(u), {
    message: 'must be https (plain http only for 127.0.0.1 or localhost)',
  })
  .refine((u) => !new URL(u).search && !new URL(u).hash, { message: 'must have no query and no fragment' })
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

/** The configuration with only a contact: every source on, at its public address. */
export function defaultCollectorConfig(contact: string): CollectorConfig {
  return CollectorConfigSchema.parse({ contact });
}

/** The same configuration with every enabled source's base URL replaced (a local fake, the CLI's --base-url). */
export function withBaseUrl(config: CollectorConfig, url: string): CollectorConfig {
  const base = baseUrl.parse(url);
  return {
    ...config,
    hf: { ...config.hf, baseUrl: base },
    arxivRss: { ...config.arxivRss, baseUrl: base },
    arxivApi: { ...config.arxivApi, baseUrl: base },
  };
}
