import type * as z from 'zod';
import { DynamoEditionPages } from '../adapters/dynamo-edition-pages.ts';
import { DynamoEditionRepository } from '../adapters/dynamo-edition-repository.ts';
import { DynamoPaperRepository } from '../adapters/dynamo-paper-repository.ts';
import { DynamoSubscriberRepository } from '../adapters/dynamo-subscriber-repository.ts';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.ts';
import type { Clock, WorkQueue } from '../core/ports.ts';
import { defaultRankEditionConfig } from '../core/rank-edition.ts';
import { defaultTrendingConfig } from '../core/ranking.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { sqsClient } from '../shared/aws/sqs.ts';
import { envFields, PolicyEnv, policyFrom } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { createMetrics, SERVICES } from '../shared/metrics.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { RankPapersDeps } from '../triggers/rank-papers.ts';

export const RankPapersEnv = PolicyEnv.extend({
  [ENV.tableName]: envFields.tableName,
  [ENV.sendQueueUrl]: envFields.sendQueueUrl,
  [ENV.editionTimeZone]: envFields.editionTimeZone,
  [ENV.stage]: envFields.stage,
});
export type RankPapersEnv = z.infer<typeof RankPapersEnv>;

/** The rank function's adapters: DynamoDB and the send queue (SQS, or the local stack's own). */
export function rankPapersDeps(
  env: RankPapersEnv,
  overrides: { clock?: Clock; queue?: WorkQueue } = {},
): RankPapersDeps {
  const db = documentClient();
  const clock = overrides.clock ?? systemClock;
  return {
    papers: new DynamoPaperRepository(db, env.TABLE_NAME),
    editions: new DynamoEditionRepository(db, env.TABLE_NAME),
    pages: new DynamoEditionPages(db, env.TABLE_NAME),
    subscribers: new DynamoSubscriberRepository(db, env.TABLE_NAME, clock),
    queue: overrides.queue ?? new SqsWorkQueue(sqsClient(), env.SEND_QUEUE_URL),
    clock,
    config: { ...defaultRankEditionConfig, trending: defaultTrendingConfig, policy: policyFrom(env) },
    timeZone: env.EDITION_TIME_ZONE,
    metrics: createMetrics(SERVICES.rank, env.STAGE),
  };
}
