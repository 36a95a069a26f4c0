/** `bun run build` / postinstall: builds the CPU engine (see ts/engine/cpu/build.ts). */
import { buildNative } from "../ts/engine/cpu/build.ts";

export { buildNative };

if (import.meta.main) {
  const out = buildNative(process.argv.includes("--force"));
  console.log(out ? `built ${out}` : "no native sources yet");
}
