/**
 * Hostile files against the ingest limits: the parse time and peak RSS of a deeply nested Atom
 * feed, of 50 MB lines with no line break (page dump, JSON Lines), of Atom entries whose 60
 * nested start tags each hold about 820 KB of namespace declarations or attributes, and of files
 * of nothing but rejected records (`{}` lines, `1,` elements), each beside a normal file of the
 * same format and size parsed in the same run. Each parse runs in its own process
 * (bench/limits-child.ts) so that its peak RSS is its own. A ratio of 1 or more means the hostile
 * file costs no more than a normal one: bounded ingestion at work. Before the limits, the deep
 * file took minutes, the 50 MB line and the start tags over a gigabyte of memory (1.26 GB for
 * the namespace declarations), and the rejected records 0.4 MB/s.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Format } from '../functions/core/formats/records.ts';
import { writeSynthetic } from './generate.ts';
import { type BenchResult, result } from './harness.ts';

interface ChildResult {
  format: string;
  papers: number;
  rejected: number;
  refused?: string;
  ms: number;
  peakRssMb: number;
}

const MiB = 1024 ** 2;
/** Parses per file; the median run is reported, the least disturbed by the rest of the machine. */
const RUNS = 3;

/** The hostile files beside normal ones; see the module comment. */
export async function benchLimits(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'paperboy-limits-'));
  try {
    const results: BenchResult[] = [];

    const depth = 200_000;
    const deep = join(dir, 'deep.xml');
    const deepBytes = await writeParts(deep, [
      '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">\n<entry>',
      { repeat: '<a>', times: depth },
      { repeat: '</a>', times: depth },
      '</entry>\n</feed>\n',
    ]);
    results.push(
      ...(await compare(
        `Atom entry nested ${depth.toLocaleString('en-US')} deep, ${mb(deepBytes)} MB`,
        deep,
        { format: 'arxiv-api', refused: 'maxXmlDepth' },
        join(dir, 'normal.xml'),
        deepBytes,
      )),
    );

    const lineBytes = 50 * MiB;
    const pageLine = join(dir, 'line.txt');
    await writeParts(pageLine, [{ repeat: 'words of a line that never ends ', times: lineBytes / 32 }]);
    results.push(
      ...(await compare(
        `page dump, one ${mb(lineBytes)} MB line`,
        pageLine,
        { format: 'page-dump', refused: 'maxLineChars' },
        join(dir, 'normal.txt'),
        lineBytes,
      )),
    );

    const jsonlLine = join(dir, 'line.jsonl');
    const jsonlBytes = await writeParts(jsonlLine, [
      '{"title":"',
      { repeat: 'words of a line that never ends ', times: lineBytes / 32 },
      '","publishedAt":"2026-11-20T00:00:00Z"}',
    ]);
    results.push(
      ...(await compare(
        `JSON Lines, one ${mb(jsonlBytes)} MB line`,
        jsonlLine,
        { format: 'jsonl', rejected: 1 },
        join(dir, 'normal.jsonl'),
        jsonlBytes,
      )),
    );

    // The reviewer's start tags: 60 nested elements in one entry, each start tag about 820 KB of
    // namespace declarations (`xmlns:q3_17="u"`) or of plain attributes, then their end tags.
    const levels = 60;
    const tagChars = 820_000;
    for (const [kind, attribute, refused] of [
      [
        'namespace declarations',
        (level: number, i: number) => ` xmlns:q${level}_${i}="u"`,
        'maxXmlNamespaceDeclarations',
      ],
      ['attributes', (_level: number, i: number) => ` a${i}="u"`, 'maxXmlAttributesPerElement'],
    ] as const) {
      const path = join(dir, `tags-${refused}.xml`);
      const tags = Array.from({ length: levels }, (_, level) => {
        let tag = '<a';
        for (let i = 0; tag.length < tagChars; i += 1) tag += attribute(level, i);
        return `${tag}>`;
      });
      const bytes = await writeParts(path, [
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>',
        ...tags,
        '</a>'.repeat(levels),
        '</entry></feed>',
      ]);
      results.push(
        ...(await compare(
          `Atom entry, ${levels} nested start tags of ${(tagChars / 1000).toFixed(0)} KB of ${kind}, ${mb(bytes)} MB`,
          path,
          { format: 'arxiv-api', refused },
          join(dir, 'normal-tags.xml'),
          bytes,
        )),
      );
    }

    // Files of nothing but rejected records: what one costs when its reasons are never read.
    const rejectBytes = 48 * MiB;
    const emptyLines = join(dir, 'empty.jsonl');
    const lines = rejectBytes / 3;
    await writeParts(emptyLines, [{ repeat: '{}\n', times: lines }]);
    results.push(
      ...(await compare(
        `JSON Lines of ${lines.toLocaleString('en-US')} \`{}\` lines, ${mb(rejectBytes)} MB`,
        emptyLines,
        { format: 'jsonl', rejected: lines },
        join(dir, 'normal-rejects.jsonl'),
        rejectBytes,
      )),
    );
    const ones = join(dir, 'ones.json');
    const elements = rejectBytes / 2;
    const onesBytes = await writeParts(ones, ['[', { repeat: '1,', times: elements - 1 }, '1]']);
    results.push(
      ...(await compare(
        `daily papers array of ${elements.toLocaleString('en-US')} \`1\` elements, ${mb(onesBytes)} MB`,
        ones,
        { format: 'hf-daily', rejected: elements },
        join(dir, 'normal-rejects.json'),
        onesBytes,
      )),
    );
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Parses the hostile file and a normal file of its format and size, checks that the hostile one
 * came out as the limits say it must (a bench that measured a silently different outcome would
 * mislead), and returns its time and peak RSS beside the normal file's.
 */
async function compare(
  name: string,
  hostile: string,
  expected: { format: Format; refused?: string; rejected?: number },
  normalPath: string,
  bytes: number,
): Promise<BenchResult[]> {
  const normalBytes = await writeSameSize(normalPath, expected.format, bytes);
  const bad = median(hostile);
  const good = median(normalPath);
  const outcome = bad.refused
    ? `refused: ${bad.refused}`
    : `${bad.rejected.toLocaleString('en-US')} record${bad.rejected === 1 ? '' : 's'} rejected`;
  if (
    bad.format !== expected.format ||
    bad.refused !== expected.refused ||
    (expected.rejected !== undefined && bad.rejected !== expected.rejected)
  ) {
    throw new Error(`${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(bad)}`);
  }
  if (good.refused || good.papers === 0)
    throw new Error(`${name}: the normal file was not read: ${JSON.stringify(good)}`);
  const baseline = `normal ${expected.format} file, ${mb(normalBytes)} MB (${good.papers.toLocaleString('en-US')} papers)`;
  return [
    result(`${name} (${outcome}): parse time`, bad.ms, 'ms', baseline, good.ms, false),
    result(`${name}: peak RSS`, bad.peakRssMb, 'MB', baseline, good.peakRssMb, false),
  ];
}

/** The run with the median parse time of RUNS runs, each in its own process. */
function median(file: string): ChildResult {
  const runs = Array.from({ length: RUNS }, () => runChild(file)).sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(RUNS / 2)] as ChildResult;
}

function runChild(file: string): ChildResult {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', new URL('limits-child.ts', import.meta.url).pathname, file],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`limits-child.ts ${file} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

/** A generated file of `format` of about `bytes` bytes; returns its exact size. */
async function writeSameSize(path: string, format: Format, bytes: number): Promise<number> {
  const sample = 500;
  const perPaper = (await writeSynthetic(path, format, sample)) / sample;
  return writeSynthetic(path, format, Math.max(1, Math.round(bytes / perPaper)));
}

/** Writes text given as pieces and repeated runs, never holding the whole file; returns its bytes. */
async function writeParts(
  path: string,
  parts: (string | { repeat: string; times: number })[],
): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  for (const part of parts) {
    if (typeof part === 'string') {
      await write(part);
      continue;
    }
    // Runs are written a block of at most 64 KB at a time.
    const perBlock = Math.max(1, Math.floor((64 * 1024) / part.repeat.length));
    for (let left = part.times; left > 0; left -= perBlock)
      await write(part.repeat.repeat(Math.min(left, perBlock)));
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

function mb(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
