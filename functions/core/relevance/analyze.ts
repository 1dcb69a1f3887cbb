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
