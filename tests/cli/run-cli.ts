/** Runs the `ingot` CLI as a user would (a subprocess), capturing stdout, stderr and the exit code. */
import { join } from "node:path";

const main = join(import.meta.dir, "..", "..", "ts", "cli", "main.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], stdin?: string): Promise<CliResult> {
  const proc = Bun.spawn(["bun", main, ...args], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
