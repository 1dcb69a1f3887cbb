import { stemmer } from 'stemmer';

/** Words too common to tell papers apart, including the boilerplate of abstracts. */
const STOPWORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below between both
  but by can could did do does doing down during each few for from further had has have having he her here hers him his
  how i if in into is it its itself just me more most my no nor not now of off on once only or other our out over own
  same she should so some such than that the their them then there these they this those through to too under until up
  very was we were what when where which while who whom why will with would you your via using use used based new show
  shows propose proposed paper study approach method methods results however while thus within without across towards
  toward we our us can cannot may might must one two three`.split(/\s+/u),
);

/** Lower-case word tokens (letters and digits), hyphenated words split, no stopwords, unstemmed. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const match of text
    .toLowerCase()
    .normalize('NFKD')
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0].replace(/\p{M}/gu, '');
    if (word.length > 1 && !STOPWORDS.has(word)) out.push(word);
  }
  return out;
}

const stems = new Map<string, string>();

/** Porter stem of a lower-case word, memoized (a corpus repeats its words). */
export function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    stemmed = /\d/u.test(word) ? word : stemmer(word);
    if (stems.size < 200_000) stems.set(word, stemmed);
  }
  return stemmed;
}

/** Analyzed terms of a text: words, stopwords removed, stemmed — the unit of matching. */
export function terms(text: string): string[] {
  return words(text).map(stem);
}

/** One word of a text as written, with its place, and whether a hyphen joins it to the next. */
export interface Token {
  /** As written (accents kept): what a reason quotes. */
  surface: string;
  /** Lower case, accents removed. */
  word: string;
  /** Porter stem (an acronym is kept whole): what matching uses. */
  stem: string;
  /** Only the plural folded ("operators" → "operator"): a match on it is a surer one than on the stem. */
  light: string;
  start: number;
  end: number;
  hyphenNext: boolean;
}

/**
 * A short word with two capitals or more is an acronym or a name ("LoRA", "GPs", "ODEs", "ViT"):
 * it is kept whole, its plural "s" dropped, never Porter-stemmed ("ODE" and "ODEs" stay "ode",
 * "GPS" stays apart from "GPs").
 */
function acronymKey(surface: string, word: string): string | undefined {
  if (surface.length > 9 || !/^\p{Lu}/u.test(surface) || (surface.match(/\p{Lu}/gu)?.length ?? 0) < 2)
    return undefined;
  return /[\p{Lu}\p{N}]s$/u.test(surface) ? word.slice(0, -1) : word;
}

/**
 * The words of a text with their places, stopwords and one-letter words left out. Unlike
 * {@link words}, a word keeps its accented letters together ("Schrödinger" is one word).
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const match of text.matchAll(/[\p{L}\p{M}\p{N}]+/gu)) {
    const surface = match[0];
    const word = surface.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '');
    if (word.length < 2 || STOPWORDS.has(word)) continue;
    const start = match.index;
    const end = start + surface.length;
    const acronym = acronymKey(surface, word);
    out.push({
      surface,
      word,
      stem: acronym ?? stem(word),
      light: acronym ?? lightStem(word),
      start,
      end,
      hyphenNext: /^[-‐‑]\s?[\p{L}\p{N}]/u.test(text.slice(end, end + 3)),
    });
  }
  return out;
}

/** A field's terms in order (for phrases), their light forms, and hyphenated words joined ("hyper-parameter"). */
export interface FieldTerms {
  stems: string[];
  lights: string[];
  compounds: string[];
}

export function fieldTerms(text: string): FieldTerms {
  const tokens = tokenize(text);
  const compounds: string[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const first = tokens[i] as Token;
    if (!first.hyphenNext) continue;
    const next = tokens[i + 1];
    if (next && next.start - first.end <= 2) compounds.push(stem(first.word + next.word));
  }
  return { stems: tokens.map((t) => t.stem), lights: tokens.map((t) => t.light), compounds };
}

/**
 * The plural folded, nothing else: "operators" → "operator", "studies" → "study", "processes" →
 * "process"; "operations" stays apart from "operators", as Porter's stem ("oper") does not.
 */
export function lightStem(word: string): string {
  if (word.length <= 3 || /\d/u.test(word)) return word;
  if (/[^ae]ies$/u.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|x|ch|sh|z)es$/u.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/[uis]s$/u.test(word)) return word.slice(0, -1);
  return word;
}

/**
 * Acronyms defined in the text itself: "parameter-efficient transfer learning (PETL)" gives
 * `petl` → [parameter, efficient, transfer, learning]. The long form is the shortest run of
 * preceding words whose initials spell the acronym (hyphenated parts count as words).
 */
export function definedAcronyms(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const match of text.matchAll(/((?:[\p{L}\p{N}]+[\s-]+){1,8})\(([A-Z][A-Za-z0-9]{1,9}?)s?\)/gu)) {
    const acronym = (match[2] as string).toLowerCase();
    const before = (match[1] as string).split(/[\s-]+/u).filter(Boolean);
    const letters = acronym.replace(/[0-9]/gu, '');
    for (let take = letters.length; take <= Math.min(before.length, letters.length + 2); take += 1) {
      const candidate = before.slice(-take).map((w) => w.toLowerCase());
      const initials = candidate
        .filter((w) => !STOPWORDS.has(w))
        .map((w) => w[0])
        .join('');
      if (initials === letters) {
        found.set(
          acronym,
          candidate.filter((w) => !STOPWORDS.has(w)),
        );
        break;
      }
    }
  }
  return found;
}
