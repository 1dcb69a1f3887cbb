import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createGunzip } from 'node:zlib';
import { UnreadableFileError } from '../core/errors.ts';

const GZIP_MAGIC = [0x1f, 0x8b];
/** Past this many decompressed bytes a gzip file is refused (a decompression bomb). */
export const MAX_DECOMPRESSED_BYTES = 4 * 1024 ** 3;

/**
 * Turns a file's bytes into text as they stream: gunzips when the content starts with the
 * gzip magic bytes (whatever the file's name), and decodes strict UTF-8. A truncated or corrupt
 * gzip, bytes that are not UTF-8 and a decompression bomb become UnreadableFileError.
 */
export async function* decodeText(
  bytes: AsyncIterable<Uint8Array>,
  options: { maxDecompressedBytes?: number } = {},
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
        throw new UnreadableFileError(
          `the gzip file expands past ${maxBytes} bytes; refused as a decompression bomb`,
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
