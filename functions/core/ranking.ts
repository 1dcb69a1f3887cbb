import type { Paper, Source } from './paper.ts';

/** A paper's signals at one time (a snapshot), as velocity is computed from them. */
export interface SignalPoint {
  observedAt: string;
  upvotes?: number;
  stars?: number;
  comments?: number;
}

/**
 * The trending score's weights, in one place (docs/ranking.md explains each):
 * score = (base + curation + wU·ln(1+upvotes/day) + wS·ln(1+stars/day) + wC·ln(1+comments))
 *         · 0.5^(age hours / half-life)
 */
export interface TrendingConfig {
  /** Hours after which a paper's recency factor halves. */
  halfLifeHours: number;
  upvoteVelocityWeight: number;
  starVelocityWeight: number;
  commentWeight: number;
  /** Score every paper gets before signals, so papers without any signal still rank by recency. */
  baseScore: number;
  /** Bonus for a paper a curated source picked (a daily papers list), most for its top. */
  curationBonus: number;
  /** Velocity needs this much time between two snapshots to count (else: average since publication). */
  minVelocityHours: number;
}

export const defaultTrendingConfig: TrendingConfig = {
  halfLifeHours: 48,
  upvoteVelocityWeight: 1,
  starVelocityWeight: 0.5,
  commentWeight: 0.3,
  baseScore: 0.5,
  curationBonus: 0.3,
  minVelocityHours: 6,
};

export interface ScoreParts {
  /** Upvotes gained per day, and the part of the score they make. */
  upvotesPerDay: number;
  upvotes: number;
  starsPerDay: number;
  stars: number;
  comments: number;
  curation: number;
  base: number;
  /** Multiplier in (0, 1]: 1 for a paper published now, 0.5 after one half-life. */
  recency: number;
}

export interface RankedPaper {
  paper: Paper;
  score: number;
  parts: ScoreParts;
  /** Human-readable reasons the email shows beside the paper. */
  reasons: string[];
}

/** Sources whose lists are picked by people: being on them is a signal. */
const CURATED: ReadonlySet<Source> = new Set(['hf-daily', 'page-dump']);

/**
 * Scores and orders papers by trending score. Velocity is the gain per day between the
 * newest snapshot and the newest one at least `minVelocityHours` older; with a single
 * observation it is the count averaged over the days since publication. Logs damp runaway
 * papers; the decay lets a fresh paper overtake last week's favourite. Ties keep input order.
 */
export function rankTrending(
  papers: readonly Paper[],
  now: Date,
  history: ReadonlyMap<string, readonly SignalPoint[]> = new Map(),
  config: TrendingConfig = defaultTrendingConfig,
): RankedPaper[] {
  const listed = papers.filter((p) => p.sourceRank !== undefined).length;
  const ranked = papers.map((paper, order) => {
    const ageHours = Math.max(0, (now.getTime() - Date.parse(paper.publishedAt)) / 3_600_000);
    const points = [...(history.get(paper.id) ?? []), { ...paper.signals }];
    const upvoteVelocity = velocity(points, 'upvotes', ageHours, config);
    const starVelocity = velocity(points, 'stars', ageHours, config);
    const upvotesPerDay = upvoteVelocity.perDay;
    const starsPerDay = starVelocity.perDay;
    const parts: ScoreParts = {
      upvotesPerDay,
      upvotes: config.upvoteVelocityWeight * Math.log1p(upvotesPerDay),
      starsPerDay,
      stars: config.starVelocityWeight * Math.log1p(starsPerDay),
      comments: config.commentWeight * Math.log1p(paper.signals.comments ?? 0),
      curation: curation(paper, listed, config),
      base: config.baseScore,
      recency: 0.5 ** (ageHours / config.halfLifeHours),
    };
    const score =
      (parts.base + parts.curation + parts.upvotes + parts.stars + parts.comments) * parts.recency;
    const measured = { upvotes: upvoteVelocity.measured, stars: starVelocity.measured };
    return { paper, score, parts, reasons: trendingReasons(paper, parts, ageHours, measured), order };
  });
  ranked.sort((a, b) => b.score - a.score || a.order - b.order);
  return ranked.map(({ order: _order, ...rest }) => rest);
}

/**
 * The part of a paper's trending score that measured signals make: upvotes, stars, comments and
 * being picked for a curated list, decayed by age. A listing's order alone (the page dump's
 * `sourceRank`) and the base every paper gets are not signals: a source without signals makes 0.
 * Topic readers' digests use this, so that trending never stands in for relevance.
 */
export function signalScore(entry: Pick<RankedPaper, 'paper' | 'parts'>): number {
  const { parts, paper } = entry;
  const picked = paper.sourceRank === undefined ? parts.curation : 0;
  return (parts.upvotes + parts.stars + parts.comments + picked) * parts.recency;
}

/** Gain per day; `measured` when two snapshots gave it, rather than an average since publication. */
function velocity(
  points: readonly SignalPoint[],
  field: 'upvotes' | 'stars',
  ageHours: number,
  config: TrendingConfig,
): { perDay: number; measured: boolean } {
  const known = points
    .filter((p) => p[field] !== undefined)
    .sort((a, b) => Date.parse(a.observedAt) - Date.parse(b.observedAt));
  const latest = known.at(-1);
  if (!latest) return { perDay: 0, measured: false };
  const latestTime = Date.parse(latest.observedAt);
  const earlier = known.findLast(
    (p) => latestTime - Date.parse(p.observedAt) >= config.minVelocityHours * 3_600_000,
  );
  if (earlier) {
    const days = (latestTime - Date.parse(earlier.observedAt)) / 86_400_000;
    return {
      perDay: Math.max(0, ((latest[field] as number) - (earlier[field] as number)) / days),
      measured: true,
    };
  }
  // One observation: what it gathered since publication, per day (at least one day).
  return { perDay: (latest[field] as number) / Math.max(1, ageHours / 24), measured: false };
}

function curation(paper: Paper, listed: number, config: TrendingConfig): number {
  if (!CURATED.has(paper.source)) return 0;
  // A listing's order is its curators' ranking: the top gets the full bonus, the last a little.
  if (paper.sourceRank !== undefined && listed > 1)
    return config.curationBonus * (1 - paper.sourceRank / listed);
  return config.curationBonus;
}

/** Listing positions worth telling a reader about. */
const NOTABLE_RANK = 10;

function trendingReasons(
  paper: Paper,
  parts: ScoreParts,
  ageHours: number,
  measured: { upvotes: boolean; stars: boolean },
): string[] {
  const reasons: string[] = [];
  const { upvotes, stars, comments } = paper.signals;
  const perDay = (n: number) => (n >= 10 ? Math.round(n) : Math.round(n * 10) / 10);
  if (upvotes) {
    reasons.push(
      measured.upvotes && parts.upvotesPerDay >= 1
        ? `+${perDay(parts.upvotesPerDay)} upvotes/day (▲ ${upvotes})`
        : `▲ ${upvotes} upvote${upvotes === 1 ? '' : 's'}`,
    );
  }
  if (stars) {
    reasons.push(
      measured.stars && parts.starsPerDay >= 1
        ? `★ ${stars} (+${perDay(parts.starsPerDay)}/day)`
        : `★ ${stars}`,
    );
  }
  if (comments) reasons.push(`${comments} comment${comments === 1 ? '' : 's'}`);
  if (paper.source === 'hf-daily' && !upvotes) reasons.push('on Hugging Face daily papers');
  if (paper.sourceRank !== undefined && paper.sourceRank < NOTABLE_RANK)
    reasons.push(`#${paper.sourceRank + 1} on the trending page`);
  if (reasons.length === 0) reasons.push(ageHours < 24 ? 'new today' : 'new this week');
  return reasons;
}
