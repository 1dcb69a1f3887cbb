import { UnreadableFileError } from '../errors.ts';

/**
 * Cuts a JSON array arriving in chunks into the source text of its top-level elements, without
 * holding the whole document: memory stays at one element plus one chunk. Values are built by
 * the native JSON.parse per element. A document that is not an array, or that ends inside an
 * element, is unreadable; an element that is not valid JSON is still cut out (its record is
 * rejected by the caller), so one bad item never hides the rest.
 */
export async function* splitJsonArray(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let started = false;
  let finished = false;
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let element = '';
  let count = 0;
  for await (const chunk of chunks) {
    let from = 0; // start of the part of `chunk` that belongs to the current element
    for (let i = 0; i < chunk.length; i += 1) {
      const c = chunk.charCodeAt(i);
      if (!started) {
        if (isSpace(c)) continue;
        if (c !== 0x5b /* [ */) throw new UnreadableFileError('expected a JSON array');
        started = true;
        from = i + 1;
        continue;
      }
      if (finished) {
        if (!isSpace(c)) throw new UnreadableFileError('unexpected text after the end of the JSON array');
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c /* \ */) escaped = true;
        else if (c === 0x22 /* " */) inString = false;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth += 1;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0 && c === 0x5d) {
          // End of the array.
          const last = (element + chunk.slice(from, i)).trim();
          if (last) {
            count += 1;
            yield last;
          } else if (count > 0) throw new UnreadableFileError('trailing comma at the end of the JSON array');
          element = '';
          finished = true;
          continue;
        }
        depth -= 1;
      } else if (c === 0x2c /* , */ && depth === 0) {
        const text = (element + chunk.slice(from, i)).trim();
        if (!text) throw new UnreadableFileError(`empty element at position ${count} of the JSON array`);
        count += 1;
        yield text;
        element = '';
        from = i + 1;
      }
    }
    if (!finished && started) element += chunk.slice(from);
  }
  if (!started) throw new UnreadableFileError('the file is empty');
  if (!finished)
    throw new UnreadableFileError(`the JSON array ends early, inside element ${count} (truncated file?)`);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Cuts text arriving in chunks into lines (without their line breaks, `\r\n` or `\n`). */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk;
    let start = 0;
    let at = text.indexOf('\n', start);
    while (at >= 0) {
      yield text.slice(start, at > start && text.charCodeAt(at - 1) === 0x0d ? at - 1 : at);
      start = at + 1;
      at = text.indexOf('\n', start);
    }
    rest = text.slice(start);
  }
  if (rest) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
