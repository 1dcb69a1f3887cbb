import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createGunzip } from 'node:zlib';
import { UnreadableFileError } from '../core/errors.ts';
import {
  defaultIngestLimits,
  describeLimit,
  type IngestLimits,
  LimitExceededError,
} from '../core/formats/limits.ts';

const GZIP_MAGIC = [0x1f, 0x8b];
/** Past this many decompressed bytes a gzip file is refused: `defaultIngestLimits.maxDecompressedBytes`. */
export const MAX_DECOMPRESSED_BYTES = defaultIngestLimits.maxDecompressedBytes;

/**
 * Turns a file's bytes into text as they stream: gunzips when the content starts with the
 * gzip magic bytes (whatever the file's name), and decodes strict UTF-8. A truncated or corrupt
 * gzip and bytes that are not UTF-8 become UnreadableFileError; a gzip that expands past
 * `maxDecompressedBytes` (the ingest limits object may be passed whole) becomes
 * LimitExceededError as soon as the decompressed bytes pass it.
 */
export async function* decodeText(
  bytes: AsyncIterable<Uint8Array>,
  options: Partial<Pick<IngestLimits, 'maxDecompressedBytes'>> = {},
): AsyncGenerator<string> {
  const iterator = bytes[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const gzipped = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  const source = gzipped ? gunzip(all(), options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BYTES) : all();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  for await (const chunk of source) {
    yield decodeChunk(decoder, chunk, offset, true);
    offset += chunk.length;
  }
  const tail = decodeChunk(decoder, new Uint8Array(), offset, false);
  if (tail) yield tail;
}

function decodeChunk(decoder: TextDecoder, chunk: Uint8Array, offset: number, stream: boolean): string {
  try {
    return decoder.decode(chunk, { stream });
  } catch (error) {
    throw new UnreadableFileError(
      `not UTF-8 text (invalid bytes after byte ${offset}); save the file as UTF-8`,
      {
        cause: error,
      },
    );
  }
}

async function* gunzip(compressed: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const input = Readable.from(compressed);
  const inflate = createGunzip();
  input.on('error', (error) => inflate.destroy(error));
  input.pipe(inflate);
  let total = 0;
  try {
    for await (const chunk of inflate) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        throw new LimitExceededError(
          'maxDecompressedBytes',
          maxBytes,
          `the gzip file expands past ${maxBytes.toLocaleString('en-US')} bytes; refused as a decompression bomb (${describeLimit('maxDecompressedBytes', maxBytes)})`,
        );
      }
      yield chunk as Buffer;
    }
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_')) {
      throw new UnreadableFileError(`corrupt or truncated gzip data: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    input.destroy();
    inflate.destroy();
  }
}
