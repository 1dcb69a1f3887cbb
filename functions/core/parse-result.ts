/** One record that could not become a paper, with where and why. */
export interface RejectedRecord {
  /** Position of the record in the file (0-based). */
  index: number;
  /** Dotted path of the offending field inside the record, or `(root)`. */
  field: string;
  reason: string;
}
