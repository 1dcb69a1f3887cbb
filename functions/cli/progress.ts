/**
 * A one-line progress bar on stderr, redrawn in place on a terminal. Elsewhere (CI, a pipe)
 * it prints a line every 10% so logs stay readable.
 */
export class ProgressBar {
  private lastPrinted = -1;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const percent = Math.floor(fraction * 100);
    if (this.tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      process.stderr.write(
        `\r${this.label} ${bar} ${String(percent).padStart(3)}% ${mb(done)}/${mb(this.total)} MB`,
      );
    } else if (percent >= this.lastPrinted + 10 || (percent === 100 && this.lastPrinted < 100)) {
      this.lastPrinted = percent;
      process.stderr.write(`${this.label} ${percent}% (${mb(done)}/${mb(this.total)} MB)\n`);
    }
  }

  done(): void {
    this.update(this.total);
    if (this.tty) process.stderr.write('\n');
  }
}

function mb(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

/**
 * Progress through a count of things (rows, items): on a terminal one line redrawn in place with
 * the rate and the time left; elsewhere a plain line every 10%.
 */
export class CountProgress {
  private lastPrinted = -1;
  private readonly tty: boolean;
  private readonly started = Date.now();
  private lastDrawn = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'rows',
    /** Plain lines even on a terminal (a command writing JSON on stdout). */
    plain = false,
  ) {
    this.tty = Boolean(process.stderr.isTTY) && !plain;
  }

  update(done: number): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const percent = Math.floor(fraction * 100);
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? Math.ceil((this.total - done) / rate) : undefined;
    const figures = `${done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ${this.unit}, ${Math.round(rate).toLocaleString('en-US')}/s`;
    if (this.tty) {
      // At most ten redraws a second.
      if (Date.now() - this.lastDrawn < 100 && done < this.total) return;
      this.lastDrawn = Date.now();
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      process.stderr.write(
        `\r${this.label} ${bar} ${String(percent).padStart(3)}% ${figures}${eta !== undefined ? `, ETA ${clock(eta)}` : ''}   `,
      );
    } else if (percent >= this.lastPrinted + 10 || (percent === 100 && this.lastPrinted < 100)) {
      this.lastPrinted = percent;
      process.stderr.write(
        `${this.label} ${percent}% (${figures}${eta !== undefined && done < this.total ? `, ETA ${clock(eta)}` : ''})\n`,
      );
    }
  }

  done(done = this.total): void {
    this.update(done);
    if (this.tty) process.stderr.write('\n');
  }
}

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${m}:${String(seconds % 60).padStart(2, '0')}`;
}
