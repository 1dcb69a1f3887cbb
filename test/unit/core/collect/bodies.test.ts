import { describe, expect, it } from 'vitest';
import { inspectBody } from '../../../../functions/core/collect/bodies.ts';
import { hasSharedData, readSample, sharedDataSkipReason } from '../../../support/shared-data.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const at = '2026-11-27T05:00:00.000Z';

describe.skipIf(!hasSharedData)(
  `a fetched body, checked against the real samples${hasSharedData ? '' : ` (${sharedDataSkipReason})`}`,
  () => {
    it('is what each source promises', async () => {
      expect(
        await inspectBody(bytes(await readSample('hf-daily-papers-2026-06-12.json')), 'hf-daily', at),
      ).toMatchObject({
        ok: true,
        records: 30,
        papers: 30,
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/u),
      });
      expect(
        await inspectBody(bytes(await readSample('hf-daily-papers-2024-10-25.json')), 'hf-daily', at),
      ).toMatchObject({
        ok: true,
        records: 29,
      });
      expect(
        await inspectBody(bytes(await readSample('arxiv-rss-2026-4items.xml')), 'arxiv-rss', at),
      ).toMatchObject({
        ok: true,
        records: 4,
        papers: 4,
      });
      expect(
        await inspectBody(bytes(await readSample('arxiv-api-2026-search-10.xml')), 'arxiv-api', at),
      ).toMatchObject({
        ok: true,
        records: 10,
        papers: 10,
      });
      expect(
        await inspectBody(bytes(await readSample('arxiv-api-2026-zero-results.xml')), 'arxiv-api', at),
      ).toMatchObject({
        ok: true,
        records: 0,
        papers: 0,
      });
    });

    it('refuses an arXiv API error feed, one source’s answer for another’s, and a truncated array', async () => {
      const error = await inspectBody(
        bytes(await readSample('arxiv-api-2026-error-400.xml')),
        'arxiv-api',
        at,
      );
      expect(error).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^not an arXiv API Atom feed: the arXiv API answered with an error/u),
      });
      const rss = await inspectBody(bytes(await readSample('arxiv-rss-2026-4items.xml')), 'arxiv-api', at);
      expect(rss).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/it reads as an arXiv RSS feed/u),
      });
      const hf = await readSample('hf-daily-papers-2026-06-12.json');
      const truncated = await inspectBody(bytes(hf.slice(0, hf.length / 2)), 'hf-daily', at);
      expect(truncated).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/the JSON array ends early/u),
      });
    });
  },
);

describe('a fetched body that is not what the source promises', () => {
  it('is refused with the reason', async () => {
    const html = await inspectBody(
      bytes('<!DOCTYPE html><html><body>Rate limited</body></html>'),
      'hf-daily',
      at,
    );
    expect(html).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^not a Hugging Face daily papers JSON array: an XML document with root <html>/u,
      ),
    });
    const object = await inspectBody(bytes('{"error":"Invalid date"}'), 'hf-daily', at);
    expect(object).toMatchObject({ ok: false, reason: expect.stringMatching(/it reads as JSON Lines/u) });
    const empty = await inspectBody(bytes(''), 'arxiv-rss', at);
    expect(empty).toMatchObject({ ok: false, reason: 'not an arXiv RSS feed: the file is empty' });
    const latin1 = await inspectBody(new Uint8Array([0x5b, 0xe9, 0x5d]), 'hf-daily', at);
    expect(latin1).toMatchObject({ ok: false, reason: expect.stringMatching(/not UTF-8/u) });
    const shape = await inspectBody(
      bytes('[{"id":"2611.00001","title":"x"},{"id":"2611.00002"}]'),
      'hf-daily',
      at,
    );
    expect(shape).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/none of its 2 items has the daily papers shape \(item 0: paper/u),
    });
  });

  it('takes an empty day as empty, not as an error', async () => {
    expect(await inspectBody(bytes('[]'), 'hf-daily', at)).toMatchObject({ ok: true, records: 0, papers: 0 });
  });
});

describe.skipIf(!hasSharedData)('a body’s fingerprint', () => {
  const fingerprint = async (items: unknown[], observedAt = at) => {
    const inspected = await inspectBody(bytes(JSON.stringify(items)), 'hf-daily', observedAt);
    if (!inspected.ok) throw new Error(inspected.reason);
    return inspected.fingerprint;
  };

  it('is the same for the same papers in another order, or fetched at another time, and changes with an upvote', async () => {
    const items = JSON.parse(await readSample('hf-daily-papers-2026-06-12.json')) as {
      paper: { upvotes: number };
    }[];
    const original = await fingerprint(items);
    const reversed = [...items].reverse();
    const rotated = [...items.slice(7), ...items.slice(0, 7)];
    expect(await fingerprint(reversed)).toBe(original);
    expect(await fingerprint(rotated)).toBe(original);
    expect(await fingerprint(items, '2026-11-27T11:00:00.000Z')).toBe(original);

    const upvoted = structuredClone(items);
    (upvoted[3] as { paper: { upvotes: number } }).paper.upvotes += 1;
    expect(await fingerprint(upvoted)).not.toBe(original);
    // One paper fewer is another answer too.
    expect(await fingerprint(items.slice(1))).not.toBe(original);
  });
});
