import type { SendPace } from '../core/ports.ts';

/**
 * A token bucket: `next()` resolves at most `rate` times a second on average, with bursts of at
 * most `burst`. Each worker holds one with its share of the account's rate (the account rate
 * divided by the number of workers that may run at once), so all of them together stay under
 * it. The rate is read on first use (SES GetAccount) and again every `refreshMs` (10 minutes),
 * so a warm worker follows a quota SES raised or lowered; a failed re-read keeps the rate in use.
 */
export class TokenBucketPace implements SendPace {
  private rate: number | undefined;
  private rateReadAt = 0;
  private tokens = 0;
  private updatedAt = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly loadRate: () => Promise<number>,
    private readonly options: {
      burst?: number;
      /** How long a rate read is trusted (default 10 minutes). */
      refreshMs?: number;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {}

  next(): Promise<void> {
    // One waiter at a time: concurrent callers are served in order.
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => {});
    return turn;
  }

  /** The rate in use (messages per second), once known. */
  currentRate(): number | undefined {
    return this.rate;
  }

  private async take(): Promise<void> {
    const now = this.options.now ?? Date.now;
    const sleep =
      this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    if (this.rate === undefined) {
      this.rate = await this.loadRate();
      this.rateReadAt = now();
      this.tokens = 1;
      this.updatedAt = now();
    } else if (now() - this.rateReadAt >= (this.options.refreshMs ?? 600_000)) {
      this.rateReadAt = now();
      this.rate = await this.loadRate().catch(() => this.rate as number);
    }
    const rate = this.rate;
    const burst = Math.max(1, this.options.burst ?? 1);
    const refill = () => {
      const at = now();
      this.tokens = Math.min(burst, this.tokens + ((at - this.updatedAt) / 1000) * rate);
      this.updatedAt = at;
    };
    refill();
    while (this.tokens < 1) {
      await sleep(Math.ceil(((1 - this.tokens) / rate) * 1000));
      refill();
    }
    this.tokens -= 1;
  }
}
