/**
 * The eight-row weight layouts in x86 builds other than this machine's -march=native one (which the
 * FFI tests cover): plain AVX2 without AVX-512 or VNNI, where dpbusd falls back to maddubs + madd and
 * the Q8_0 layout must not be offered (its unsigned bytes reach 255, which maddubs would saturate);
 * and baseline x86-64 without AVX2, where no layout is offered. tests/native/x86/harness.c checks every
 * offered layout against the scalar dot over the file's layout, for 1..9 tokens.
 */
import { expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";

const root = join(import.meta.dir, "..", "..");
const sourceDir = join(root, "Sources", "IngotCPU");
const harness = join(import.meta.dir, "x86", "harness.c");
const outDir = join(root, "build", "x86");
const isX86 = process.arch === "x64";
const hostHasAvx2 = isX86 && process.platform === "linux" && /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8")) && /\bf16c\b/.test(readFileSync("/proc/cpuinfo", "utf8"));

async function buildAndRun(name: string, flags: string[]): Promise<{ code: number; out: string }> {
  mkdirSync(outDir, { recursive: true });
  const exe = join(outDir, `harness-${name}`);
  const srcs = readdirSync(sourceDir).filter((f) => f.endsWith(".c")).map((f) => join(sourceDir, f));
  const cc = Bun.which("cc") ?? "gcc";
  const args = [cc, "-std=c11", "-O3", "-pthread", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-fno-math-errno",
    "-D_GNU_SOURCE", ...flags, "-I", join(sourceDir, "include"), harness, ...srcs, "-o", exe, "-lm"];
  const b = Bun.spawnSync(args, { stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`building the x86 harness (${name}) failed:\n${args.join(" ")}\n${b.stderr}`);
  const r = Bun.spawnSync([exe], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

test.if(isX86)("baseline x86-64 (no AVX2): no layout is offered, files run in their own layout", async () => {
  const r = await buildAndRun("x86-64", ["-march=x86-64"]);
  expect(r.out).toContain("layouts\n");
  expect(r.out).toContain("done 0/0");
  expect(r.code).toBe(0);
}, MODEL_TEST_TIMEOUT_MS);

test.if(hostHasAvx2)("AVX2 without VNNI: the Q4_0, Q4_1, Q5_0, Q5_1 and Q2_K..Q6_K layouts match the scalar reference; Q8_0 is not offered", async () => {
  const r = await buildAndRun("avx2", ["-mavx2", "-mfma", "-mf16c"]);
  expect(r.out).toContain("layouts Q4_0 Q5_0 Q4_1 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K\n");
  expect(r.out).not.toContain("FAIL");
  expect(r.out).toContain("done 81/81");
  expect(r.code).toBe(0);
}, MODEL_TEST_TIMEOUT_MS);
