/**
 * A one-line progress bar (or spinner when the total is unknown) on stderr. It draws only when stderr
 * is a terminal, at most ~10 times a second, so piped output and CI logs stay clean.
 */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const WIDTH = 24;
const MIN_INTERVAL_MS = 100;

export class Progress {
  private readonly enabled: boolean;
  private lastDraw = 0;
  private frame = 0;
  private drawn = false;

  constructor(private readonly label: string, enabled = Boolean(process.stderr.isTTY)) {
    this.enabled = enabled;
  }

  /** fraction in [0, 1], or undefined for a spinner; detail is shown after the bar. */
  update(fraction: number | undefined, detail = ""): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < MIN_INTERVAL_MS && fraction !== 1) return;
    this.lastDraw = now;
    let bar: string;
    if (fraction === undefined) {
      bar = FRAMES[this.frame++ % FRAMES.length]!;
    } else {
      const f = Math.min(1, Math.max(0, fraction));
      const filled = Math.round(f * WIDTH);
      bar = `[${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}] ${(f * 100).toFixed(0).padStart(3)}%`;
    }
    process.stderr.write(`\r\x1b[2K${this.label} ${bar} ${detail}`);
    this.drawn = true;
  }

  /** Clears the line. */
  done(): void {
    if (this.enabled && this.drawn) process.stderr.write("\r\x1b[2K");
    this.drawn = false;
  }
}
