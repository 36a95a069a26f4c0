/**
 * Builds the native CPU engine (Sources/IngotCPU/*.c) into build/libingot_cpu.{so,dylib} with the
 * system C compiler. Run by `bun install` (postinstall) and `bun run build`; no other prerequisite.
 * The MSL emulator (tools/metal-emu) is built by its own script because it needs clang++-16.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..", "..");
const sourceDir = join(root, "Sources", "IngotCPU");
const outDir = join(root, "build");
const libName = process.platform === "darwin" ? "libingot_cpu.dylib" : "libingot_cpu.so";

function findCompiler(): string {
  for (const cc of [process.env.CC, "cc", "gcc", "clang"]) {
    if (cc && Bun.which(cc)) return cc;
  }
  throw new Error("no C compiler found: install one (e.g. `apt-get install gcc` or Xcode command line tools)");
}

function sources(): string[] {
  if (!existsSync(sourceDir)) return [];
  return readdirSync(sourceDir)
    .filter((f) => f.endsWith(".c"))
    .map((f) => join(sourceDir, f));
}

function upToDate(out: string, inputs: string[]): boolean {
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  const headers = readdirSync(join(sourceDir, "include")).map((f) => join(sourceDir, "include", f));
  return [...inputs, ...headers, import.meta.path].every((f) => statSync(f).mtimeMs <= built);
}

/** Flags for the host: the engine picks SIMD paths at compile time, with a scalar path always present. */
function archFlags(): string[] {
  if (process.arch === "x64") return ["-march=native"];
  if (process.arch === "arm64") return process.platform === "darwin" ? ["-mcpu=apple-m1"] : ["-march=armv8.2-a+fp16+dotprod"];
  return [];
}

/** Path the CPU engine library is built to. */
export const nativeLibraryPath = join(outDir, libName);

export function buildNative(force = false): string | null {
  const srcs = sources();
  if (srcs.length === 0) return null;
  mkdirSync(outDir, { recursive: true });
  const out = nativeLibraryPath;
  if (!force && upToDate(out, srcs)) return out;
  const cc = findCompiler();
  const args = [
    cc, "-std=c11", "-O3", "-fPIC", "-shared", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter",
    "-fno-math-errno", "-D_GNU_SOURCE",
    ...archFlags(),
    "-I", join(sourceDir, "include"),
    ...srcs, "-o", out, "-lm",
  ];
  const r = Bun.spawnSync(args, { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`building the CPU engine failed: ${args.join(" ")}`);
  return out;
}

