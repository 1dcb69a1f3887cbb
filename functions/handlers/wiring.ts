/**
 * The composition root (not a Lambda entry point): builds adapters from configuration once
 * per cold start. Handlers use it through `bootstrap`; the local stack builds the same runtime
 * with its own environment, so local and AWS run the same code with different endpoints.
 */
import { type CompiledTemplates, loadCompiledTemplates } from '../adapters/compiled-templates.ts';
import { DynamoDeliveryLedger } from '../adapters/dynamo-delivery-ledger.ts';
import { DynamoEditionRepository, DynamoIngestLog } from '../adapters/dynamo-edition-repository.ts';
import { DynamoPaperRepository } from '../adapters/dynamo-paper-repository.ts';
import { DynamoSentPapers } from '../adapters/dynamo-sent-papers.ts';
import { DynamoSubscriberRepository } from '../adapters/dynamo-subscriber-repository.ts';
import { HtmlDigestRenderer } from '../adapters/html-digest-renderer.ts';
import { loadKeyRingFromFile, loadKeyRingFromSecret } from '../adapters/key-ring.ts';
import { PageRenderer } from '../adapters/page-renderer.ts';
import { S3FileStore } from '../adapters/s3-file-store.ts';
import { SesEmailSender } from '../adapters/ses-email-sender.ts';
import { SqsWorkQueue } from '../adapters/work-queue.ts';
import type { IngestFileDeps } from '../core/ingest-file.ts';
import { LinkBuilder } from '../core/links.ts';
import type { Clock, WorkQueue } from '../core/ports.ts';
import { defaultRankEditionConfig, type RankEditionDeps } from '../core/rank-edition.ts';
import { defaultTrendingConfig } from '../core/ranking.ts';
import type { SchedulePolicy } from '../core/schedule-policy.ts';
import { createSelectorCache } from '../core/selection.ts';
import type { SendDigestsDeps } from '../core/send-digests.ts';
import type { KeyRing } from '../core/tokens.ts';
import { documentClient, s3Client, secretsClient, sesClient, sqsClient } from '../shared/clients.ts';
import { loadConfig, tokenKeySource } from '../shared/config.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { ApiDeps } from './api.ts';

export interface RuntimeOverrides {
  clock?: Clock;
  /** Templates compiled in-process (the local stack); Lambda reads the bundled JSON. */
  templates?: CompiledTemplates;
  /** The local stack's in-process queue in place of SQS. */
  queue?: WorkQueue;
}

export class Runtime {
  private readonly clock: Clock;
  private readonly db = lazy(documentClient);
  private readonly keys = lazy(() => this.loadKeys());
  private readonly templates = lazy(() => this.loadTemplates());
  /** Prepared editions, shared by every send job this runtime handles. */
  private readonly selectors = createSelectorCache();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly overrides: RuntimeOverrides = {},
  ) {
    this.clock = overrides.clock ?? systemClock;
  }

  ingestDeps(): IngestFileDeps {
    const { TABLE_NAME, BUCKET_NAME } = loadConfig(this.env, ['TABLE_NAME', 'BUCKET_NAME']);
    return {
      files: new S3FileStore(s3Client(), BUCKET_NAME),
      papers: new DynamoPaperRepository(this.db(), TABLE_NAME),
      ingestLog: new DynamoIngestLog(this.db(), TABLE_NAME),
      clock: this.clock,
    };
  }

  /** The ingest log with its read side, for operators. */
  ingestHistory(): DynamoIngestLog {
    const { TABLE_NAME } = loadConfig(this.env, ['TABLE_NAME']);
    return new DynamoIngestLog(this.db(), TABLE_NAME);
  }

  editions(): DynamoEditionRepository {
    const { TABLE_NAME } = loadConfig(this.env, ['TABLE_NAME']);
    return new DynamoEditionRepository(this.db(), TABLE_NAME);
  }

  rankDeps(): RankEditionDeps & { timeZone: string } {
    const { TABLE_NAME, EDITION_TIME_ZONE } = loadConfig(this.env, ['TABLE_NAME', 'EDITION_TIME_ZONE']);
    // The local stack brings its in-process queue; on AWS the queue is SQS.
    const queue =
      this.overrides.queue ??
      new SqsWorkQueue(sqsClient(), loadConfig(this.env, ['SEND_QUEUE_URL']).SEND_QUEUE_URL);
    return {
      papers: new DynamoPaperRepository(this.db(), TABLE_NAME),
      editions: new DynamoEditionRepository(this.db(), TABLE_NAME),
      subscribers: new DynamoSubscriberRepository(this.db(), TABLE_NAME, this.clock),
      queue,
      clock: this.clock,
      config: { ...defaultRankEditionConfig, trending: defaultTrendingConfig, policy: this.policy() },
      timeZone: EDITION_TIME_ZONE,
    };
  }

  async sendDeps(): Promise<SendDigestsDeps> {
    const { mail, tableName, publicBaseUrl } = await this.mailDeps();
    return {
      ...mail,
      ledger: new DynamoDeliveryLedger(this.db(), tableName, this.clock),
      sent: new DynamoSentPapers(this.db(), tableName, this.clock),
      selectorFor: this.selectors,
      policy: this.policy(),
      listId: `daily.${new URL(publicBaseUrl).hostname}`,
    };
  }

  async apiDeps(): Promise<ApiDeps> {
    const { mail, templates, keys, publicBaseUrl } = await this.mailDeps();
    return { ...mail, pages: new PageRenderer(templates.pages), keys, clock: this.clock, publicBaseUrl };
  }

  /** What every function that sends mail needs: subscribers, editions, SES, templates and links. */
  private async mailDeps() {
    const config = loadConfig(this.env, [
      'TABLE_NAME',
      'SENDER_ADDRESS',
      'PUBLIC_BASE_URL',
      'SES_CONFIGURATION_SET',
    ]);
    const [keys, templates] = await Promise.all([this.keys(), this.templates()]);
    return {
      mail: {
        subscribers: new DynamoSubscriberRepository(this.db(), config.TABLE_NAME, this.clock),
        editions: new DynamoEditionRepository(this.db(), config.TABLE_NAME),
        sender: new SesEmailSender(sesClient(), config.SENDER_ADDRESS, config.SES_CONFIGURATION_SET),
        renderer: new HtmlDigestRenderer(templates),
        links: new LinkBuilder(config.PUBLIC_BASE_URL, keys),
      },
      keys,
      templates,
      tableName: config.TABLE_NAME,
      publicBaseUrl: config.PUBLIC_BASE_URL,
    };
  }

  /** The operator's quiet-day choices (WEEKDAY_POLICY, WHEN_NOTHING_NEW, WEEKLY_DAY). */
  policy(): SchedulePolicy {
    const config = loadConfig(this.env, ['WEEKDAY_POLICY', 'WHEN_NOTHING_NEW', 'WEEKLY_DAY']);
    return {
      days: config.WEEKDAY_POLICY,
      whenNothingNew: config.WHEN_NOTHING_NEW,
      weeklyDay: config.WEEKLY_DAY,
    };
  }

  private async loadKeys(): Promise<KeyRing> {
    const source = tokenKeySource(loadConfig(this.env, ['TOKEN_SECRET_ID', 'TOKEN_KEY_FILE']));
    return source.kind === 'secret'
      ? loadKeyRingFromSecret(secretsClient(), source.secretId)
      : loadKeyRingFromFile(source.file);
  }

  private async loadTemplates(): Promise<CompiledTemplates> {
    if (this.overrides.templates) return this.overrides.templates;
    const { TEMPLATES_FILE } = loadConfig(this.env, ['TEMPLATES_FILE']);
    return loadCompiledTemplates(TEMPLATES_FILE ?? new URL('./templates.json', import.meta.url));
  }
}

/** Computes a value on first use and keeps it (a failed promise is not kept, so a retry can succeed). */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
      if (value instanceof Promise)
        value.catch(() => {
          made = false;
        });
    }
    return value as T;
  };
}
