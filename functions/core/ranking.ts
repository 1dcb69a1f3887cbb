import type { Paper } from './paper.ts';

/** Weights of the trending score. One object, so the formula is tuned in one place. */
export interface TrendingConfig {
  /** Hours after which a paper's recency factor halves. */
  halfLifeHours: number;
  upvoteWeight: number;
  commentWeight: number;
  starWeight: number;
  /** Score every paper gets before signals, so papers without any signal still rank by recency. */
  baseScore: number;
}

export const defaultTrendingConfig: TrendingConfig = {
  halfLifeHours: 36,
  upvoteWeight: 1,
  commentWeight: 0.5,
  starWeight: 0.3,
  baseScore: 0.5,
};

export interface ScoreParts {
  upvotes: number;
  comments: number;
  stars: number;
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

/**
 * Scores and orders papers by trending score:
 * `(base + wu·ln(1+upvotes) + wc·ln(1+comments) + ws·ln(1+stars)) · 0.5^(ageHours / halfLife)`.
 * Logs damp the runaway papers; the decay lets a fresh paper overtake yesterday's favourite.
 * Ties keep input order (the source's own order), so unsigned papers rank by recency then order.
 */
export function rankTrending(
  papers: readonly Paper[],
  now: Date,
  config: TrendingConfig = defaultTrendingConfig,
): RankedPaper[] {
  const ranked = papers.map((paper, order) => {
    const { upvotes = 0, comments = 0, stars = 0 } = paper.signals;
    const ageHours = Math.max(0, (now.getTime() - Date.parse(paper.publishedAt)) / 3_600_000);
    const parts: ScoreParts = {
      upvotes: config.upvoteWeight * Math.log1p(upvotes),
      comments: config.commentWeight * Math.log1p(comments),
      stars: config.starWeight * Math.log1p(stars),
      base: config.baseScore,
      recency: 0.5 ** (ageHours / config.halfLifeHours),
    };
    const score = (parts.base + parts.upvotes + parts.comments + parts.stars) * parts.recency;
    return { paper, score, parts, reasons: reasonsFor(paper), order };
  });
  ranked.sort((a, b) => b.score - a.score || a.order - b.order);
  return ranked.map(({ order: _order, ...rest }) => rest);
}

function reasonsFor(paper: Paper): string[] {
  const { upvotes, comments, stars } = paper.signals;
  const reasons: string[] = [];
  if (upvotes) reasons.push(`▲ ${upvotes} upvote${upvotes === 1 ? '' : 's'}`);
  if (stars) reasons.push(`★ ${stars} GitHub star${stars === 1 ? '' : 's'}`);
  if (comments) reasons.push(`${comments} comment${comments === 1 ? '' : 's'}`);
  if (reasons.length === 0) reasons.push('new this week');
  return reasons;
}
