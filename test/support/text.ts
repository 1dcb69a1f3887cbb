/** Feeds text to a streaming parser in chunks of `size` characters (1 finds chunk-boundary bugs). */
export async function* chunked(text: string, size = 64): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
