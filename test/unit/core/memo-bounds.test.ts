import { describe, expect, it } from 'vitest';
import { FeedMemo } from '../../../functions/core/feeds.ts';
import { RelevanceIndex, relevanceConfig } from '../../../functions/core/relevance/index.ts';
import { TOPIC_FEEDS_BYTES, TOPIC_MEMO } from '../../../functions/roots/archive.ts';

// Topics reach these memos from anonymous URLs (`/feed.xml?topic=…`): each must stay bounded
// however many distinct topics are asked (issue 14, attack finding F1).

const WORDS = ['graph', 'neural', 'retrieval', 'diffusion', 'agents', 'vision', 'language', 'robot'];
const docs = Array.from({ length: 200 }, (_, i) => ({
  title: `${WORDS[i % 8]} ${WORDS[(i * 3) % 8]} study ${i}`,
  abstract: `We study ${WORDS[(i * 5) % 8]} models and ${WORDS[(i * 7) % 8]} data in paper ${i}.`,
  keywords: [WORDS[i % 8] as string],
}));
const randomTopic = (i: number) => `${WORDS[i % 8]} zq${i.toString(36)}x word${i}`;

describe('RelevanceIndex memo bounds', () => {
  it('keeps at most memo.topics topics, and a dropped topic scores the same when asked again', () => {
    const index = new RelevanceIndex(docs, { ...relevanceConfig, memo: { topics: 50, bytes: 2 ** 30 } });
    const before = Array.from(index.topic('graph retrieval').scores);
    for (let i = 0; i < 1000; i += 1) {
      index.topic(randomTopic(i));
      index.explain(randomTopic(i), i % docs.length);
      expect(index.memoizedTopics).toBeLessThanOrEqual(50);
    }
    expect(Array.from(index.topic('graph retrieval').scores)).toEqual(before);
  });

  it('keeps its memos under memo.bytes', () => {
    // 200 documents: 800 bytes of scores a topic, plus its words' masks.
    const index = new RelevanceIndex(docs, {
      ...relevanceConfig,
      memo: { topics: 20_000, bytes: 64 * 1024 },
    });
    let most = 0;
    for (let i = 0; i < 2000; i += 1) {
      index.topic(randomTopic(i));
      most = Math.max(most, index.memoizedTopics);
    }
    expect(most).toBeGreaterThan(10);
    expect(most).toBeLessThanOrEqual(Math.floor((64 * 1024) / 800));
  });

  it('the default bound is far above a real edition’s topics, and the api keeps less per edition', () => {
    expect(relevanceConfig.memo.topics).toBeGreaterThanOrEqual(20_000);
    // 12 kept editions (TOPIC_FEED_EDITIONS + 2) at TOPIC_MEMO.bytes each, plus the kept feeds.
    expect(12 * TOPIC_MEMO.bytes + TOPIC_FEEDS_BYTES).toBeLessThanOrEqual(128 * 2 ** 20);
  });
});

describe('FeedMemo bounds', () => {
  const clock = { now: () => new Date('2026-11-27T00:00:00Z') };

  it('drops the oldest answers past maxBytes', async () => {
    const memo = new FeedMemo<string>(clock, 60_000, 1000, 1000, (v) => v.length);
    for (let i = 0; i < 100; i += 1) await memo.get(`k${i}`, async () => 'x'.repeat(100));
    expect(memo.size.bytes).toBeLessThanOrEqual(1000);
    expect(memo.size.keys).toBe(10);
    // The newest is kept: asking again does not load.
    let loads = 0;
    await memo.get('k99', async () => {
      loads += 1;
      return '';
    });
    expect(loads).toBe(0);
  });

  it('keeps at most maxKeys, and a dropped or refused answer frees its bytes', async () => {
    const memo = new FeedMemo<string>(clock, 60_000, 5, 10_000, (v) => v.length);
    for (let i = 0; i < 50; i += 1) await memo.get(`k${i}`, async () => 'y'.repeat(10));
    expect(memo.size).toEqual({ keys: 5, bytes: 50 });
    await memo.get(
      'partial',
      async () => 'z'.repeat(10),
      () => false,
    );
    expect(memo.size.bytes).toBe(40);
    await expect(memo.get('fails', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(memo.size.keys).toBe(4);
  });
});
