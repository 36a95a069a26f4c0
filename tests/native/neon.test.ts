/**
 * NEON kernels against the scalar reference, on an x86_64 machine: tests/native/neon/harness.c is
 * cross-compiled with the engine sources for AArch64 (with the dot-product extension and for plain
 * armv8-a, so both code paths of dot_neon.c run) and executed under qemu-aarch64. The harness prints
 * "plan N", one "ok"/"FAIL" line per check and "done"; every check must pass and exactly N must run.
 * On an arm64 host the harness is built with the native compiler and runs directly.
 *
 * Needs aarch64-linux-gnu-gcc, the arm64 libc (libc6-dev-arm64-cross) and qemu-user on x86_64:
 * `bash scripts/setup.sh` installs them.
 */
import { useModelTestTimeout } from "../timeouts.ts";
useModelTestTimeout();

import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const sourceDir = join(root, "Sources", "IngotCPU");
const harness = join(import.meta.dir, "neon", "harness.c");
const outDir = join(root, "build", "neon");
const SYSROOT = "/usr/aarch64-linux-gnu";
const native = process.arch === "arm64";

const VARIANTS = [
  { name: "dotprod", march: "armv8.2-a+fp16+dotprod", dotprod: 1 },
  { name: "armv8-a", march: "armv8-a", dotprod: 0 },
] as const;

/** The compiler and runner, or why they are unusable. */
function toolchain(): { cc: string; run: string[] } {
  if (native) {
    const cc = [process.env.CC, "cc", "gcc", "clang"].find((c) => c && Bun.which(c));
    if (!cc) throw new Error("no C compiler found for the NEON harness");
    return { cc, run: [] };
  }
  const missing: string[] = [];
  if (!Bun.which("aarch64-linux-gnu-gcc")) missing.push("aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu)");
  if (!existsSync(join(SYSROOT, "lib", "crt1.o"))) missing.push(`the arm64 libc in ${SYSROOT} (libc6-dev-arm64-cross)`);
  const qemu = Bun.which("qemu-aarch64") ?? Bun.which("qemu-aarch64-static");
  if (!qemu) missing.push("qemu-aarch64 (qemu-user)");
  if (missing.length) {
    throw new Error(`the NEON tests need ${missing.join(", ")}: run \`bash scripts/setup.sh\` (as root on Debian/Ubuntu)`);
  }
  return { cc: "aarch64-linux-gnu-gcc", run: [qemu!, "-L", SYSROOT] };
}

async function spawn(cmd: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

interface Result { variant: string; dotprod: number; code: number; out: string; err: string }

async function buildAndRun(tc: { cc: string; run: string[] }, v: (typeof VARIANTS)[number]): Promise<Result> {
  const exe = join(outDir, `harness-${v.name}`);
  const srcs = readdirSync(sourceDir).filter((f) => f.endsWith(".c")).map((f) => join(sourceDir, f));
  // the flags of ts/engine/cpu/build.ts, with the target's -march
  const args = [
    tc.cc, "-std=c11", "-O3", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-math-errno",
    "-D_GNU_SOURCE", `-march=${v.march}`, "-I", join(sourceDir, "include"), harness, ...srcs, "-o", exe, "-lm",
  ];
  const b = await spawn(args);
  if (b.code !== 0) throw new Error(`building the NEON harness (${v.name}) failed:\n${args.join(" ")}\n${b.err}`);
  return { variant: v.name, dotprod: v.dotprod, ...(await spawn([...tc.run, exe])) };
}

let results: Promise<Result[]> | undefined;
/** Builds and runs both variants concurrently, once per test process. */
function allResults(): Promise<Result[]> {
  results ??= (async () => {
    const tc = toolchain();
    mkdirSync(outDir, { recursive: true });
    return Promise.all(VARIANTS.map((v) => buildAndRun(tc, v)));
  })();
  return results;
}

describe("NEON kernels (AArch64 under qemu)", () => {
  test("cross toolchain is installed", () => {
    toolchain(); // throws with what is missing and how to install it
  });

  for (const v of VARIANTS) {
    test(`-march=${v.march}: NEON vec_dot, activation quantizers and matmul match scalar`, async () => {
      const r = (await allResults()).find((x) => x.variant === v.name)!;
      const lines = r.out.split("\n").filter((l) => l.length > 0);
      const plan = /^plan (\d+) simd=(\S+) dotprod=(\d)$/.exec(lines[0] ?? "");
      if (!plan) throw new Error(`no plan line from the harness (exit ${r.code}):\n${r.out.slice(0, 2000)}\n${r.err}`);
      const planned = Number(plan[1]);
      expect(plan[2]).toBe("neon"); // the SIMD family compiled in: otherwise this compares scalar with scalar
      expect(Number(plan[3])).toBe(r.dotprod); // SDOT used exactly in the dotprod build
      const failures = lines.filter((l) => l.startsWith("FAIL"));
      const oks = lines.filter((l) => /^ok \S+ \S+$/.test(l));
      if (failures.length) throw new Error(`${failures.length} NEON checks failed:\n${failures.slice(0, 30).join("\n")}`);
      expect(planned).toBeGreaterThanOrEqual(800); // 15 types × shapes × reps, matmul 1..9 tokens, quantizers
      expect(oks.length).toBe(planned);
      expect(lines[lines.length - 1]).toBe(`done ${planned}/${planned}`);
      expect(lines.length).toBe(planned + 2); // nothing but the plan, the checks and the summary
      for (const kind of ["wired", "vec_dot", "scalar-vs-float", "matmul", "quantize"]) {
        expect(oks.some((l) => l.startsWith(`ok ${kind}/`))).toBe(true);
      }
      for (const t of ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"]) {
        expect(oks.some((l) => l.startsWith(`ok vec_dot/${t}/`))).toBe(true);
        expect(oks.some((l) => l.startsWith(`ok matmul/${t}/`))).toBe(true);
      }
      if (r.code !== 0) throw new Error(`harness exited with ${r.code}:\n${r.err}`);
    });
  }
});
