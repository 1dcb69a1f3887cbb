/**
 * Remembers which ids a file has already yielded, in little memory: a 52-bit hash per id (a
 * plain number) instead of the id string. At a million ids the chance that two distinct ids
 * share a hash is about 1 in 9,000 (birthday bound, 10^12 / 2^53), and the only effect would
 * be one paper counted as a duplicate in a report; storage never depends on this count.
 */
export class SeenIds {
  private readonly hashes = new Set<number>();

  /** True if the id was seen before; remembers it either way. */
  check(id: string): boolean {
    const hash = hash52(id);
    if (this.hashes.has(hash)) return true;
    this.hashes.add(hash);
    return false;
  }
}

/** Two FNV-1a 32-bit hashes with different offsets, combined into 52 bits. */
function hash52(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}
