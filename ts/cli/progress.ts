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

/**
 * Progress of a run over many items: a bar (or a spinner without a total) with items/s and generated
 * tokens/s, redrawn on a timer so it moves while long items run.
 */
export class ThroughputProgress {
  private readonly bar: Progress;
  private readonly started = performance.now();
  private readonly timer: ReturnType<typeof setInterval> | null;
  items = 0;
  tokens = 0;

  constructor(label: string, private total: number | undefined, enabled = Boolean(process.stderr.isTTY)) {
    this.bar = new Progress(label, enabled);
    this.timer = enabled ? setInterval(() => this.draw(), 250) : null;
    this.timer?.unref?.();
  }

  /** Seconds since the start. */
  get elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Sets the total once known, and the items already done before the run (not counted in rates). */
  start(total: number, alreadyDone = 0): void {
    this.total = total - alreadyDone;
    this.draw();
  }

  /** Counts finished items and the tokens they generated. */
  add(items: number, tokens: number): void {
    this.items += items;
    this.tokens += tokens;
    this.draw();
  }

  /** Clears the bar. */
  done(): void {
    if (this.timer) clearInterval(this.timer);
    this.bar.done();
  }

  private draw(): void {
    const s = Math.max(this.elapsed, 1e-3);
    const detail = `${this.items}${this.total !== undefined ? `/${this.total}` : ""} items  ${(this.items / s).toFixed(2)} items/s  ${(this.tokens / s).toFixed(0)} tok/s`;
    this.bar.update(this.total ? this.items / this.total : undefined, detail);
  }
}
