/** Where the Metal engine's native pieces live in a checkout (built by tools/metal-emu/build.ts or SwiftPM). */
import { join } from "node:path";

export const repoRoot = join(import.meta.dir, "..", "..", "..");
export const shaderDir = join(repoRoot, "shaders");
export const buildDir = join(repoRoot, "build");

/** The MSL emulator: the ingot_metal.h runtime and the shaders compiled for it (plain and byte-counting). */
export const emuPaths = {
  runtime: join(buildDir, "libingot_metal_emu.so"),
  kernels: join(buildDir, "metal-emu", "kernels.so"),
  profileKernels: join(buildDir, "metal-emu", "kernels-profile.so"),
  generated: join(buildDir, "metal-emu", "gen"),
  selftest: join(buildDir, "metal-emu", "selftest"),
};

/** The Swift engine as SwiftPM builds it (`swift build -c release --product IngotMetal`). */
export const swiftDylibCandidates = [
  join(repoRoot, ".build", "release", "libIngotMetal.dylib"),
  join(repoRoot, ".build", "arm64-apple-macosx", "release", "libIngotMetal.dylib"),
  join(buildDir, "libIngotMetal.dylib"),
];
