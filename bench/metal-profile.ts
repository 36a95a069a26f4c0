/**
 * `bun bench/metal-profile.ts [model.gguf ...]`: the Metal decode profile on the MSL emulator —
 * dispatches per token and per layer, bytes each kernel loads against its unique footprint (the
 * byte-counting build) — for the demo target (Q4_K_M) and its F16 file by default.
 * Writes bench/results/metal-profile.{json,md}. Emulator times are CPU time of the emulation, not
 * GPU estimates: nothing here ran on a GPU.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatProfile, profileDecode, type DecodeProfile } from "../ts/engine/metal/profile.ts";
import { DEMO_MODEL } from "../ts/model/demo.ts";
import { Model } from "../ts/model/model.ts";

const f16 = join(import.meta.dir, "..", "tests", "fixtures", "models", "kjv-target-f16.gguf");
const paths = process.argv.slice(2).length ? process.argv.slice(2) : [DEMO_MODEL, ...(existsSync(f16) ? [f16] : [])];
const PROMPT = "And the LORD said unto Moses,";
const TOKENS = 4;

const results: (DecodeProfile & { file: string })[] = [];
const text: string[] = [];
for (const path of paths) {
  const model = Model.load(path, { threads: 1 });
  const profile = profileDecode(model, model.tokenizer.encode(PROMPT), TOKENS);
  results.push({ file: path.split("/").pop()!, ...profile });
  const report = formatProfile(profile);
  text.push(`## ${path.split("/").pop()}\n\n\`\`\`\n${report}\n\`\`\``);
  console.log(`\n${path}\n${report}`);
}
const out = join(import.meta.dir, "results");
writeFileSync(join(out, "metal-profile.json"), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(out, "metal-profile.md"), `# Metal decode profile (MSL emulator, byte-counting build)\n\n${text.join("\n\n")}\n`);
