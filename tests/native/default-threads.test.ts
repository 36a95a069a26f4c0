/**
 * The default thread count is the physical cores, as the operating system's own tools count them:
 * on Linux the distinct (core, socket) pairs `lscpu -p=CORE,SOCKET` lists (util-linux, which every
 * Debian has), on macOS `sysctl hw.perflevel0.physicalcpu` (performance cores) or hw.physicalcpu.
 */
import { expect, test } from "bun:test";
import { defaultThreads } from "../../ts/engine/cpu/engine.ts";
import { Model } from "../../ts/model/model.ts";
import { join } from "node:path";

function physicalCoresFromOs(): number | null {
  if (process.platform === "linux" && Bun.which("lscpu")) {
    const out = Bun.spawnSync(["lscpu", "-p=CORE,SOCKET"]).stdout.toString();
    return new Set(out.split("\n").filter((l) => l && !l.startsWith("#"))).size;
  }
  if (process.platform === "darwin") {
    for (const key of ["hw.perflevel0.physicalcpu", "hw.physicalcpu"]) {
      const r = Bun.spawnSync(["sysctl", "-n", key]);
      if (r.exitCode === 0) return Number(r.stdout.toString().trim());
    }
  }
  return null;
}

test("models default to one worker thread per physical core", () => {
  const expected = physicalCoresFromOs();
  expect(expected).not.toBeNull(); // this machine's OS can tell; a new platform must add its tool here
  expect(defaultThreads()).toBe(expected!);
  expect(Model.load(join(import.meta.dir, "../../models/kjv-draft-q8_0.gguf")).threads).toBe(expected!);
});
