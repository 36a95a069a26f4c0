/**
 * Builds the MSL emulator with clang++-16 (Debian package clang-16):
 *   build/libingot_metal_emu.so          ingot_metal.h on the CPU (runtime/device.cpp)
 *   build/metal-emu/kernels.so           shaders/*.metal + shim + fiber scheduler
 *   build/metal-emu/kernels-profile.so   the same with every load/store counted (runtime/profile.cpp)
 * Run `bun tools/metal-emu/build.ts [--force]`; does nothing when the outputs are newer than every input.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { emuPaths, repoRoot, shaderDir } from "../../ts/engine/metal/paths.ts";
import { renderInstances } from "../../ts/engine/metal/kernel-table.ts";
import { generate } from "./gen.ts";

const here = import.meta.dir;
const COMPILER = "clang++-16";

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]);
}

function inputs(): string[] {
  return [...listFiles(shaderDir), ...listFiles(here), join(repoRoot, "ts/engine/metal/kernel-table.ts"),
    join(repoRoot, "Sources/IngotMetalABI/include/ingot_metal.h")];
}

function upToDate(): boolean {
  const outs = [emuPaths.runtime, emuPaths.kernels, emuPaths.profileKernels];
  if (!outs.every(existsSync)) return false;
  const built = Math.min(...outs.map((o) => statSync(o).mtimeMs));
  return inputs().every((f) => statSync(f).mtimeMs <= built);
}

const BASE = ["-std=c++20", "-O2", "-fPIC", "-march=native", "-fno-exceptions", "-fexcess-precision=16", "-Wall",
  "-Wno-unused-variable", "-Wno-unused-function", "-Wno-unused-but-set-variable",
  "-Wno-deprecated-anon-enum-enum-conversion", "-Wno-deprecated-enum-enum-conversion"];
const PROFILE = ["-fsanitize=address", "-mllvm", "-asan-instrumentation-with-call-threshold=0", "-mllvm", "-asan-stack=0",
  "-mllvm", "-asan-globals=0", "-fsanitize-address-use-after-return=never", "-fno-sanitize-address-use-after-scope"];

async function run(args: string[]): Promise<void> {
  const p = Bun.spawn(args, { stdout: "inherit", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error(`MSL emulator build step failed: ${args.join(" ")}`);
}

/** Runs jobs two at a time (the machines here have two cores). */
async function parallel(jobs: (() => Promise<void>)[], width = 2): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  });
  await Promise.all(lanes);
}

export interface KernelLibrary {
  /** Directory of .metal files (and their headers). */
  shaders: string;
  /** Where the transformed sources and objects go. */
  workDir: string;
  /** The shared library to write, and optionally its byte-counting twin. */
  out: string;
  profileOut?: string;
}

/** Compiles a directory of shaders with the shim and the fiber scheduler into a kernel library. */
export async function buildKernelLibrary(lib: KernelLibrary, extraJobs: (() => Promise<void>)[] = []): Promise<void> {
  const objDir = join(lib.workDir, "obj");
  mkdirSync(objDir, { recursive: true });
  const genDir = join(lib.workDir, "gen");
  const { units } = generate(lib.shaders, genDir);
  const include = ["-I", join(here, "shim"), "-I", genDir];
  const rt = (f: string) => join(here, "runtime", f);
  const jobs = [...extraJobs];
  const objects = { plain: [] as string[], profile: [] as string[] };
  for (const unit of units) {
    const base = join(objDir, unit.split("/").pop()!.replace(/\.cpp$/, ""));
    objects.plain.push(`${base}.o`);
    jobs.push(() => run([COMPILER, ...BASE, ...include, "-c", unit, "-o", `${base}.o`]));
    if (lib.profileOut) {
      objects.profile.push(`${base}.profile.o`);
      jobs.push(() => run([COMPILER, ...BASE, ...PROFILE, ...include, "-c", unit, "-o", `${base}.profile.o`]));
    }
  }
  const fiber = join(objDir, "fiber.o"), fiberProfile = join(objDir, "fiber.profile.o"), profile = join(objDir, "profile.o");
  const asm = join(objDir, "switch.o");
  jobs.push(() => run([COMPILER, ...BASE, "-c", rt("fiber.cpp"), "-o", fiber]));
  if (lib.profileOut) {
    jobs.push(() => run([COMPILER, ...BASE, "-DEMU_PROFILE=1", "-c", rt("fiber.cpp"), "-o", fiberProfile]));
    jobs.push(() => run([COMPILER, ...BASE, "-c", rt("profile.cpp"), "-o", profile]));
  }
  if (process.arch === "x64") jobs.push(() => run([COMPILER, "-fPIC", "-c", rt("switch_x86_64.S"), "-o", asm]));
  await parallel(jobs);

  const native = process.arch === "x64" ? [asm] : [];
  const links = [() => run([COMPILER, "-shared", "-fPIC", ...objects.plain, fiber, ...native, "-o", lib.out, "-lm"])];
  if (lib.profileOut) {
    const out = lib.profileOut;
    links.push(() => run([COMPILER, "-shared", "-fPIC", ...objects.profile, fiberProfile, profile, ...native, "-o", out, "-lm"]));
  }
  await parallel(links);
}

export async function buildMetalEmu(force = false): Promise<void> {
  if (!Bun.which(COMPILER)) throw new Error(`${COMPILER} not found: install it with \`apt-get install -y clang-16\``);
  // The instantiation file is generated from the kernel table; keep the committed copy current.
  const instances = join(shaderDir, "instances.metal");
  const text = renderInstances();
  if (!existsSync(instances) || (await Bun.file(instances).text()) !== text) writeFileSync(instances, text);
  if (!force && upToDate()) return;
  const runtime = () => run([COMPILER, ...BASE, "-shared", "-pthread", join(here, "runtime", "device.cpp"), "-o", emuPaths.runtime, "-ldl"]);
  await buildKernelLibrary({ shaders: shaderDir, workDir: dirname(emuPaths.kernels), out: emuPaths.kernels, profileOut: emuPaths.profileKernels }, [runtime]);
}

if (import.meta.main) {
  const t0 = performance.now();
  await buildMetalEmu(process.argv.includes("--force"));
  console.log(`metal-emu: built in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${emuPaths.runtime}`);
}
