/**
 * Writes synthetic paper files of any size in every supported format, streaming (so that
 * generating a 500 MB file needs no 500 MB of memory). Content is deterministic.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Format } from '../functions/core/formats/records.ts';

const WORDS =
  'model learning neural training data language vision transformer retrieval robust efficient sparse attention graph reasoning benchmark diffusion policy speech quantization agent'.split(
    ' ',
  );

function sentence(seed: number, words: number): string {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < words; i += 1) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    out.push(WORDS[x % WORDS.length] as string);
  }
  return out.join(' ');
}

export interface Synthetic {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  published: string;
  upvotes: number;
}

export function synthetic(i: number): Synthetic {
  return {
    id: `${2600 + (i % 12)}.${String(10_000 + (i % 90_000)).padStart(5, '0')}${i >= 90_000 ? String(i) : ''}`.slice(
      0,
      15,
    ),
    title: `Paper ${i}: ${sentence(i, 8)}`,
    abstract: `${sentence(i * 7 + 1, 80)}.`,
    authors: [`Author ${i % 97}`, `Writer ${i % 89}`, `Person ${i % 83}`],
    published: new Date(Date.UTC(2026, 10, 1 + (i % 28))).toISOString(),
    upvotes: i % 300,
  };
}

const xml = (s: string) => s.replace(/&/gu, '&amp;').replace(/</gu, '&lt;');

const WRITERS: Record<Format, { head: string; item: (p: Synthetic, i: number) => string; tail: string }> = {
  'hf-daily': {
    head: '[',
    item: (p, i) =>
      `${i === 0 ? '' : ','}${JSON.stringify({
        paper: {
          id: p.id,
          title: p.title,
          summary: p.abstract,
          authors: p.authors.map((name) => ({ name })),
          publishedAt: p.published,
          upvotes: p.upvotes,
        },
        numComments: p.upvotes % 7,
      })}`,
    tail: ']',
  },
  jsonl: {
    head: '',
    item: (p) =>
      `${JSON.stringify({ id: p.id, title: p.title, abstract: p.abstract, authors: p.authors, publishedAt: p.published, source: 'jsonl', signals: { upvotes: p.upvotes } })}\n`,
    tail: '',
  },
  'arxiv-api': {
    head: '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">\n',
    item: (p) =>
      `<entry><id>http://arxiv.org/abs/${p.id}v1</id><published>${p.published}</published><title>${xml(p.title)}</title><summary>${xml(p.abstract)}</summary>${p.authors.map((a) => `<author><name>${xml(a)}</name></author>`).join('')}<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/></entry>\n`,
    tail: '</feed>\n',
  },
  'arxiv-rss': {
    head: '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>cs.LG</title>\n',
    item: (p) =>
      `<item><title>${xml(p.title)}</title><link>https://arxiv.org/abs/${p.id}</link><description>arXiv:${p.id}v1 Announce Type: new \nAbstract: ${xml(p.abstract)}</description><guid>oai:arXiv.org:${p.id}v1</guid><category>cs.LG</category><pubDate>Thu, 24 Sep 2026 00:00:00 -0400</pubDate><arxiv:announce_type>new</arxiv:announce_type><dc:creator>${xml(p.authors.join(', '))}</dc:creator></item>\n`,
    tail: '</channel></rss>\n',
  },
  'page-dump': {
    head: 'Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\nSubscribe',
    item: (p) => `${p.title}\n${p.abstract}\n`,
    tail: '',
  },
};

/** Writes `count` papers in `format` to `path`; returns the file's size in bytes. */
export async function writeSynthetic(path: string, format: Format, count: number): Promise<number> {
  const writer = WRITERS[format];
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(writer.head);
  for (let i = 0; i < count; i += 1) await write(writer.item(synthetic(i), i));
  await write(writer.tail);
  out.end();
  await once(out, 'finish');
  return bytes;
}
