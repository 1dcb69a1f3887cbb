import type { RankedPaper } from './ranking.ts';
import type { EditionMode } from './schedule-policy.ts';

/** The ranked candidates of one day, from which every reader's digest is chosen. */
export interface Edition {
  /** The edition's day, `YYYY-MM-DD` in the configured time zone. */
  date: string;
  createdAt: string;
  /** `daily`: readers get papers published since `freshSince`; `week`: the best of the week. */
  mode: EditionMode;
  freshSince: string;
  /** Candidates in trending order, with score parts and reasons. */
  entries: RankedPaper[];
}
