/**
 * The one table of the Metal engine's weight-type kernels: for each GGUF weight type, the shader
 * policy (shaders/dequant.h) and the kernel names of every templated family. It drives both sides:
 * `renderInstances()` writes shaders/instances.metal (the explicit instantiations; the emulator
 * build regenerates it and a test checks the committed copy), and the lowering looks kernels up here.
 * Adding a weight type = one policy in dequant.h + one row below.
 */
import { IngotError } from "../../errors.ts";
import { GgmlType } from "../../gguf/index.ts";

export interface WeightKernels {
  type: GgmlType;
  /** Policy struct in shaders/dequant.h. */
  policy: string;
  /** Values and bytes per block (the policy's BLOCK and BYTES). */
  block: number;
  bytes: number;
  suffix: string;
}

export const WEIGHT_KERNELS: readonly WeightKernels[] = [
  { type: GgmlType.F32, policy: "WF32", block: 16, bytes: 64, suffix: "f32" },
  { type: GgmlType.F16, policy: "WF16", block: 16, bytes: 32, suffix: "f16" },
  { type: GgmlType.BF16, policy: "WBF16", block: 16, bytes: 32, suffix: "bf16" },
  { type: GgmlType.Q4_0, policy: "WQ4_0", block: 32, bytes: 18, suffix: "q4_0" },
  { type: GgmlType.Q4_1, policy: "WQ4_1", block: 32, bytes: 20, suffix: "q4_1" },
  { type: GgmlType.Q5_0, policy: "WQ5_0", block: 32, bytes: 22, suffix: "q5_0" },
  { type: GgmlType.Q5_1, policy: "WQ5_1", block: 32, bytes: 24, suffix: "q5_1" },
  { type: GgmlType.Q8_0, policy: "WQ8_0", block: 32, bytes: 34, suffix: "q8_0" },
  { type: GgmlType.Q2_K, policy: "WQ2_K", block: 256, bytes: 84, suffix: "q2_K" },
  { type: GgmlType.Q3_K, policy: "WQ3_K", block: 256, bytes: 110, suffix: "q3_K" },
  { type: GgmlType.Q4_K, policy: "WQ4_K", block: 256, bytes: 144, suffix: "q4_K" },
  { type: GgmlType.Q5_K, policy: "WQ5_K", block: 256, bytes: 176, suffix: "q5_K" },
  { type: GgmlType.Q6_K, policy: "WQ6_K", block: 256, bytes: 210, suffix: "q6_K" },
];

/** Kernel templates taking a weight policy, and the header that defines each. */
export const WEIGHT_FAMILIES = { get_rows: "get_rows.h", mul_mv: "mul_mv.h", mul_mm: "mul_mm.h" } as const;
export type WeightFamily = keyof typeof WEIGHT_FAMILIES;

/** Kernels that do not depend on a weight type. */
export const PLAIN_KERNELS = ["rmsnorm", "rope_kv", "attn_split", "attn_reduce", "swiglu", "add", "gather", "argmax", "topk"] as const;
export type PlainKernel = (typeof PLAIN_KERNELS)[number];

export function weightKernels(type: number): WeightKernels | undefined {
  return WEIGHT_KERNELS.find((w) => w.type === type);
}

/** The kernel of `family` for weights of `type`; MODEL_UNSUPPORTED when the table has no row. */
export function weightKernel(family: WeightFamily, type: number, tensor = "a tensor"): string {
  const w = weightKernels(type);
  if (!w) {
    const name = GgmlType[type] ?? `type ${type}`;
    throw new IngotError("MODEL_UNSUPPORTED", `${tensor} uses ${name}, which the Metal engine has no kernels for`);
  }
  return `${family}_${w.suffix}`;
}

export function allKernelNames(): string[] {
  const families = Object.keys(WEIGHT_FAMILIES) as WeightFamily[];
  return [...families.flatMap((f) => WEIGHT_KERNELS.map((w) => weightKernel(f, w.type))), ...PLAIN_KERNELS];
}

/** The text of shaders/instances.metal. */
export function renderInstances(): string {
  const families = Object.entries(WEIGHT_FAMILIES) as [WeightFamily, string][];
  const lines = [
    "// instances.metal — generated from ts/engine/metal/kernel-table.ts by tools/metal-emu/build.ts: do not edit.",
    "// One explicit instantiation per (kernel template, weight type).",
    "#include <metal_stdlib>",
    ...families.map(([, header]) => `#include "${header}"`),
    "using namespace metal;",
    "",
  ];
  for (const [family] of families) {
    lines.push(`typedef decltype(${family}<WF32>) ${family}_t;`);
    for (const w of WEIGHT_KERNELS) {
      lines.push(`template [[host_name("${weightKernel(family, w.type)}")]] kernel ${family}_t ${family}<${w.policy}>;`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
