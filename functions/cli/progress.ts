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
