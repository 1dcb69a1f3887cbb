/**
 * Runs handler invocations the way AWS delivers asynchronous events: in the background, retried
 * on failure, and set aside as dead letters after the last attempt. `idle()` resolves when
 * nothing is in flight, so the start-up run and the tests can wait for the pipeline to settle.
 */
export interface DeadLetter {
  source: string;
  event: unknown;
  error: string;
}

export class AsyncInvoker {
  readonly deadLetters: DeadLetter[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: { attempts: number; backoffMs: number; onError?: (letter: DeadLetter) => void },
  ) {}

  /** Starts `run` in the background; `shouldRetry` inspects a result for partial failure. */
  invoke<R>(
    source: string,
    event: unknown,
    run: () => Promise<R>,
    failed: (result: R) => boolean = () => false,
  ): void {
    const task = this.attempt(source, event, run, failed).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Counts a piece of background work until it ends (for `idle`). */
  track(work: Promise<void>): void {
    const task = work.catch(() => {}).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Sets an event aside after its last attempt, as a dead-letter queue does. */
  deadLetter(letter: DeadLetter): void {
    this.deadLetters.push(letter);
    this.options.onError?.(letter);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async attempt<R>(source: string, event: unknown, run: () => Promise<R>, failed: (r: R) => boolean) {
    let lastError = '';
    for (let attempt = 1; attempt <= this.options.attempts; attempt += 1) {
      try {
        const result = await run();
        if (!failed(result)) return;
        lastError = 'partial failure';
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (attempt < this.options.attempts) await sleep(this.options.backoffMs * 2 ** (attempt - 1));
    }
    const letter = { source, event, error: lastError };
    this.deadLetters.push(letter);
    this.options.onError?.(letter);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
