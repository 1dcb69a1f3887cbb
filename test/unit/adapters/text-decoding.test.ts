import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeText, MAX_DECOMPRESSED_BYTES } from '../../../functions/adapters/text-decoding.ts';
import { UnreadableFileError } from '../../../functions/core/errors.ts';
import { defaultIngestLimits, ingestLimits } from '../../../functions/core/formats/limits.ts';

async function* bytes(data: Uint8Array, size = 5): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
const text = async (data: Uint8Array, options?: { maxDecompressedBytes?: number }) => {
  let out = '';
  for await (const chunk of decodeText(bytes(data), options)) out += chunk;
  return out;
};

describe('decodeText', () => {
  it('decodes UTF-8 split anywhere, multi-byte characters included, and drops a BOM', async () => {
    expect(await text(Buffer.from('\uFEFFRéseaux ★ 量子', 'utf8'))).toBe('Réseaux ★ 量子');
  });

  it('gunzips by content, whatever the name', async () => {
    expect(await text(gzipSync(Buffer.from('[{"a": "é"}]')))).toBe('[{"a": "é"}]');
  });

  it('calls a truncated or corrupt gzip unreadable', async () => {
    const zipped = gzipSync(Buffer.from('x'.repeat(10_000)));
    await expect(text(zipped.subarray(0, zipped.length - 12))).rejects.toThrow(/corrupt or truncated gzip/u);
    const corrupt = Buffer.from(zipped);
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
    await expect(text(corrupt)).rejects.toThrow(UnreadableFileError);
  });

  it('refuses bytes that are not UTF-8 (a Latin-1 file), naming where', async () => {
    await expect(text(Buffer.from('caf\xe9 au lait', 'latin1'))).rejects.toThrow(
      /not UTF-8 text \(invalid bytes after byte \d+\)/u,
    );
  });

  it('refuses a gzip that expands past the limit, naming it, as soon as it passes it', async () => {
    await expect(text(gzipSync(Buffer.alloc(100_000)), { maxDecompressedBytes: 1000 })).rejects.toThrow(
      /decompression bomb \(limit maxDecompressedBytes = 1,000 bytes\)/u,
    );
    // The limits object is taken whole; a bomb of 64 MiB of zeros is refused after its first MiB.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 ** 2));
    let chunks = 0;
    const error = await (async () => {
      for await (const _ of decodeText(
        bytes(bomb, 64 * 1024),
        ingestLimits({ maxDecompressedBytes: 1024 ** 2 }),
      ))
        chunks += 1;
    })().catch((e: Error) => e);
    expect(error).toMatchObject({
      name: 'LimitExceededError',
      limit: 'maxDecompressedBytes',
      value: 1024 ** 2,
    });
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect(chunks).toBeLessThan(100);
  });

  it('defaults to the ingest limits', () => {
    expect(MAX_DECOMPRESSED_BYTES).toBe(defaultIngestLimits.maxDecompressedBytes);
  });

  it('reads an empty body as no text', async () => {
    expect(await text(new Uint8Array())).toBe('');
  });
});
