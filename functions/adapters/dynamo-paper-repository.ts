import {
  type DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import { type Paper, PaperSchema, paperDay } from '../core/paper.ts';
import type { PaperRepository, UpsertOutcome } from '../core/ports.ts';
import { GSI1, isConditionFailure, keys, stripKeys } from './dynamo-keys.ts';

const CONCURRENCY = 8;

/** Builds the conditional put that stores a paper unless a same-age or newer copy is stored. */
export function buildPutPaper(tableName: string, paper: Paper): PutCommandInput {
  return {
    TableName: tableName,
    Item: { ...keys.paper(paper.id), ...keys.paperByDay(paperDay(paper), paper.id), ...paper },
    ConditionExpression: 'attribute_not_exists(PK) OR #signals.#observedAt < :observedAt',
    ExpressionAttributeNames: { '#signals': 'signals', '#observedAt': 'observedAt' },
    ExpressionAttributeValues: { ':observedAt': paper.signals.observedAt },
  };
}

export class DynamoPaperRepository implements PaperRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async upsert(papers: readonly Paper[]): Promise<UpsertOutcome> {
    const outcome: UpsertOutcome = { written: 0, unchanged: 0 };
    // Conditional writes cannot be batched; a small pool keeps the table busy without throttling.
    let next = 0;
    const worker = async () => {
      while (next < papers.length) {
        const paper = papers[next++] as Paper;
        try {
          await this.client.send(new PutCommand(buildPutPaper(this.tableName, paper)));
          outcome.written += 1;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          outcome.unchanged += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, papers.length) }, worker));
    return outcome;
  }

  async listPublishedOn(days: readonly string[]): Promise<Paper[]> {
    const papers: Paper[] = [];
    for (const day of days) {
      const pages = paginateQuery(
        { client: this.client },
        {
          TableName: this.tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'GSI1PK = :day',
          ExpressionAttributeValues: { ':day': keys.dayPartition(day) },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) papers.push(PaperSchema.parse(stripKeys(item)));
      }
    }
    return papers;
  }
}
