/**
 * A command in a detached tmux session on a private socket (a real pseudo-terminal), driven by keys
 * and read back by screen captures. The server is killed on dispose.
 */
const TIMEOUT_MS = 60_000;

export class Tmux implements AsyncDisposable {
  private constructor(private readonly socket: string) {}

  static available(): boolean {
    return Bun.which("tmux") !== null;
  }

  /** Runs `argv` in a 200×60 terminal; "EXITED rc=<code>" is printed when it ends. */
  static async start(argv: string[]): Promise<Tmux> {
    const t = new Tmux(`ingot-test-${process.pid}-${Date.now()}`);
    const command = `${argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ")}; echo EXITED rc=$?; sleep 600`;
    t.tmux(["new-session", "-d", "-s", "main", "-x", "200", "-y", "60", command]);
    return t;
  }

  private tmux(args: string[]): string {
    const r = Bun.spawnSync(["tmux", "-L", this.socket, ...args], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr.toString()}`);
    return r.stdout.toString();
  }

  /** The whole scroll-back, lines joined (long lines unwrapped). */
  screen(): string {
    return this.tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", "main"]);
  }

  key(name: string): void {
    this.tmux(["send-keys", "-t", "main", name]);
  }

  /** Types `text` literally, then Enter. */
  async type(text: string): Promise<void> {
    this.tmux(["send-keys", "-t", "main", "-l", text]);
    this.key("Enter");
  }

  /** Polls the screen until `pattern` matches; fails with the screen after a minute. */
  async waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    const end = performance.now() + TIMEOUT_MS;
    for (;;) {
      const screen = this.screen();
      const m = screen.match(pattern);
      if (m) return m;
      if (performance.now() > end) throw new Error(`timed out waiting for ${pattern}; screen:\n${screen}`);
      await Bun.sleep(50);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    Bun.spawnSync(["tmux", "-L", this.socket, "kill-server"], { stdout: "ignore", stderr: "ignore" });
  }
}
