/** Small helpers shared by CLI commands for writing results. */

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export async function readStdin(): Promise<string> {
  return await new Response(Bun.stdin.stream()).text();
}
