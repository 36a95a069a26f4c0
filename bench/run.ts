/**
 * `bun run bench [names...] [-- engine flags]`: runs the benchmarks one after another (never in
 * parallel: they would measure each other). Each writes its figures to bench/results/.
 *   gguf-open  opening a GGUF with a 152k-token vocabulary (target < 100 ms)
 *   tokenize   tokenizer throughput on Revelation ×20
 *   kernels    single-thread CPU kernel throughput per weight type and layout (1, 4 and 64 tokens)
 *   engine     prefill/decode vs node-llama-cpp (see bench/engine.ts for its flags)
 */
import { join } from "node:path";

const ALL = ["gguf-open", "tokenize", "kernels", "engine"] as const;
const dash = process.argv.indexOf("--");
const names = (dash >= 0 ? process.argv.slice(2, dash) : process.argv.slice(2)).filter((a) => !a.startsWith("-"));
const engineFlags = dash >= 0 ? process.argv.slice(dash + 1) : [];
const chosen = names.length ? names : [...ALL];

for (const name of chosen) {
  if (!(ALL as readonly string[]).includes(name)) {
    console.error(`unknown benchmark '${name}': choose from ${ALL.join(", ")}`);
    process.exit(2);
  }
  console.log(`\n## ${name}`);
  const proc = Bun.spawn(["bun", join(import.meta.dir, `${name}.ts`), ...(name === "engine" ? engineFlags : [])], { stdout: "inherit", stderr: "inherit" });
  if ((await proc.exited) !== 0) process.exit(1);
}
