import { createHash } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { hasExternalId, mergePaper, planStore, type StoredState, titleKey } from '../core/dedup.ts';
import { PaperboyError } from '../core/errors.ts';
import { type Paper, PaperSchema, paperDay } from '../core/paper.ts';
import type { PaperRepository, StoreOutcome } from '../core/ports.ts';
import type { SignalPoint } from '../core/ranking.ts';
import { batchGet, batchPut, keyId } from './dynamo-batch.ts';
import { DynamoCounters, NEAR_DUPLICATES_COUNTER, PAPERS_COUNTER } from './dynamo-counters.ts';
import { GSI1, isConditionFailure, keys, stripKeys } from './dynamo-keys.ts';

/** Papers applied at once; each is a few conditional writes. */
const CONCURRENCY = 8;
/** Re-reads after a concurrent writer changed a paper first. */
const MAX_CONFLICTS = 5;
/** Signal snapshots are kept for velocity over this many days. */
const SNAPSHOT_TTL_DAYS = 180;

/** A stored paper with the revision its item carried when read (for optimistic locking). */
interface Versioned {
  paper: Paper;
  rev: number | undefined;
}

/** Another writer changed the paper between our read and our conditional write: read again. */
class ConflictError extends PaperboyError {
  override name = 'ConflictError';
}

/** The title key item's id: a hash of the de-duplication key of a title. */
export function hashTitleKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 32);
}

const titleHash = (title: string) => hashTitleKey(titleKey(title));

/**
 * Writes a paper item if the stored item is still the revision that was read: no two writers
 * can lose each other's merge. Items written before revisions existed are matched by absence.
 */
export function buildPutPaper(
  tableName: string,
  paper: Paper,
  read: { exists: boolean; rev?: number },
): PutCommandInput {
  const condition = !read.exists
    ? 'attribute_not_exists(PK)'
    : read.rev === undefined
      ? 'attribute_exists(PK) AND attribute_not_exists(rev)'
      : 'rev = :rev';
  return {
    TableName: tableName,
    Item: {
      ...keys.paper(paper.id),
      ...keys.paperByDay(paperDay(paper), paper.id),
      ...paper,
      rev: (read.rev ?? 0) + 1,
    },
    ConditionExpression: condition,
    ...(read.exists && read.rev !== undefined ? { ExpressionAttributeValues: { ':rev': read.rev } } : {}),
  };
}

export function snapshotItem(
  paperId: string,
  signals: Paper['signals'],
): Record<string, unknown> | undefined {
  const { upvotes, stars, comments, observedAt } = signals;
  if (upvotes === undefined && stars === undefined && comments === undefined) return undefined;
  const expiresAt = Math.floor(Date.parse(observedAt) / 1000) + SNAPSHOT_TTL_DAYS * 86_400;
  return { ...keys.signal(paperId, observedAt), paperId, upvotes, stars, comments, observedAt, expiresAt };
}

export class DynamoPaperRepository implements PaperRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async store(papers: readonly Paper[]): Promise<StoreOutcome> {
    const outcome: StoreOutcome = { new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 };
    // Records of one id within the batch are merged first: one decision per paper.
    const byId = new Map<string, Paper>();
    for (const paper of papers) {
      const earlier = byId.get(paper.id);
      byId.set(paper.id, earlier ? mergePaper(earlier, paper) : paper);
    }
    const incoming = [...byId.values()];
    const states = await this.readStates(incoming);
    const snapshots: Record<string, unknown>[] = [];

    // Records that share a title key may be one work: decide them one after another, those with
    // an external id first, so that title-only records merge into the arXiv paper rather than
    // racing it for the title. Otherwise the outcome would depend on timing, and storing the
    // same file twice could change the table the second time.
    const groups = new Map<string, Paper[]>();
    for (const paper of incoming) {
      const key = titleHash(paper.title);
      groups.set(key, [...(groups.get(key) ?? []), paper]);
    }
    const queue = [...groups.values()].map((group) =>
      group.sort((a, b) => Number(hasExternalId(b)) - Number(hasExternalId(a))),
    );

    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const group = queue[next++] as Paper[];
        for (const [position, paper] of group.entries()) {
          // The first of a group uses the batch read; the next ones see what it wrote.
          let state =
            position === 0
              ? (states.get(paper.id) as LoadedState)
              : ((await this.readStates([paper])).get(paper.id) as LoadedState);
          for (let attempt = 1; ; attempt += 1) {
            try {
              const plan = planStore(paper, state.plan);
              await this.apply(plan, state);
              outcome[plan.outcome] += 1;
              const snapshot = snapshotItem(plan.receiverId, paper.signals);
              if (snapshot) snapshots.push(snapshot);
              break;
            } catch (error) {
              if (!(error instanceof ConflictError) || attempt >= MAX_CONFLICTS) throw error;
              state = (await this.readStates([paper])).get(paper.id) as LoadedState;
            }
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
    await batchPut(this.client, this.tableName, snapshots);
    // The items this batch created (each by a put conditional on its absence): the table's paper count.
    await new DynamoCounters(this.client, this.tableName).add({
      [PAPERS_COUNTER]: outcome.new,
      [NEAR_DUPLICATES_COUNTER]: outcome.linked,
    });
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
          FilterExpression: 'attribute_not_exists(canonicalId)',
          ExpressionAttributeValues: { ':day': keys.dayPartition(day) },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) papers.push(PaperSchema.parse(stripKeys(item)));
      }
    }
    return papers;
  }

  async signalHistory(ids: readonly string[], since: string): Promise<Map<string, SignalPoint[]>> {
    const history = new Map<string, SignalPoint[]>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        const { Items } = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': keys.paper(id).PK,
              ':from': keys.signal(id, since).SK,
              ':to': `${keys.signalPrefix}\uffff`,
            },
          }),
        );
        if (Items?.length) {
          history.set(
            id,
            Items.map((item) => ({
              observedAt: item.observedAt as string,
              upvotes: item.upvotes as number | undefined,
              stars: item.stars as number | undefined,
              comments: item.comments as number | undefined,
            })),
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY * 2, ids.length) }, worker));
    return history;
  }

  /** Everything `planStore` needs for each paper, read in batches. */
  private async readStates(papers: readonly Paper[]): Promise<Map<string, LoadedState>> {
    const first = await batchGet(
      this.client,
      this.tableName,
      papers.flatMap((p) => [keys.paper(p.id), keys.title(titleHash(p.title))]),
    );
    const ownerIds = new Set<string>();
    for (const paper of papers) {
      const owner = first.get(keyId(keys.title(titleHash(paper.title))))?.paperId;
      if (typeof owner === 'string' && owner !== paper.id) ownerIds.add(owner);
    }
    const owners = await batchGet(
      this.client,
      this.tableName,
      [...ownerIds].map((id) => keys.paper(id)),
    );
    const read = (id: string): Versioned | undefined => {
      const item = first.get(keyId(keys.paper(id))) ?? owners.get(keyId(keys.paper(id)));
      return item
        ? { paper: PaperSchema.parse(stripKeys(item)), rev: item.rev as number | undefined }
        : undefined;
    };
    const states = new Map<string, LoadedState>();
    for (const paper of papers) {
      const stored = read(paper.id);
      const titleOwnerId = first.get(keyId(keys.title(titleHash(paper.title))))?.paperId as
        | string
        | undefined;
      const owner = titleOwnerId && titleOwnerId !== paper.id ? read(titleOwnerId) : undefined;
      const versions = new Map<string, Versioned>();
      if (stored) versions.set(paper.id, stored);
      if (owner && titleOwnerId) versions.set(titleOwnerId, owner);
      states.set(paper.id, {
        plan: { stored: stored?.paper, titleOwner: owner?.paper, titleOwnerId },
        versions,
      });
    }
    return states;
  }

  private async apply(plan: ReturnType<typeof planStore>, state: LoadedState): Promise<void> {
    for (const paper of plan.writes) {
      const read = state.versions.get(paper.id);
      await this.conditional(
        buildPutPaper(this.tableName, paper, { exists: read !== undefined, rev: read?.rev }),
      );
    }
    if (plan.titleKey) {
      const { key, paperId, expect } = plan.titleKey;
      await this.conditional({
        TableName: this.tableName,
        Item: { ...keys.title(hashTitleKey(key)), paperId, titleKey: key },
        ConditionExpression: expect ? 'paperId = :expect' : 'attribute_not_exists(PK)',
        ...(expect ? { ExpressionAttributeValues: { ':expect': expect } } : {}),
      });
    }
  }

  private async conditional(input: PutCommandInput): Promise<void> {
    try {
      await this.client.send(new PutCommand(input));
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError('changed by another writer');
      throw error;
    }
  }

  /** One paper as stored (for operators and tests). */
  async get(id: string): Promise<Paper | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.paper(id), ConsistentRead: true }),
    );
    return Item ? PaperSchema.parse(stripKeys(Item)) : undefined;
  }
}

interface LoadedState {
  plan: StoredState;
  versions: Map<string, Versioned>;
}
