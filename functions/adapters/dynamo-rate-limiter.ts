import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Clock, RateLimiter, RateLimitVerdict } from '../core/ports.ts';
import { keys, TTL_ATTRIBUTE } from './dynamo-keys.ts';

/**
 * One counter per key and fixed window: a single atomic `ADD`, so concurrent requests never
 * lose a count. Items expire (TTL) a window after theirs ends.
 */
export function buildRateHit(
  tableName: string,
  key: string,
  windowSeconds: number,
  now: Date,
): { input: UpdateCommandInput; windowEnds: number } {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const windowStart = nowSeconds - (nowSeconds % windowSeconds);
  const windowEnds = windowStart + windowSeconds;
  return {
    windowEnds,
    input: {
      TableName: tableName,
      Key: keys.rateLimit(key, windowStart),
      UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :expires)',
      ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':one': 1, ':expires': windowEnds + windowSeconds },
      ReturnValues: 'UPDATED_NEW',
    },
  };
}

export class DynamoRateLimiter implements RateLimiter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitVerdict> {
    const now = this.clock.now();
    const { input, windowEnds } = buildRateHit(this.tableName, key, windowSeconds, now);
    const { Attributes } = await this.client.send(new UpdateCommand(input));
    const count = Number(Attributes?.count ?? 0);
    if (count <= limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, windowEnds - Math.floor(now.getTime() / 1000)) };
  }
}
