/**
 * The file types `ingot quantize` can produce, named and numbered as llama.cpp's llama-quantize
 * (LLAMA_FTYPE_* in llama.h; the number goes to general.file_type).
 */
import { IngotError } from "../errors.ts";
import { GgmlType } from "../gguf/index.ts";

export interface FileType {
  /** llama-quantize's name, e.g. "Q4_K_M". */
  name: string;
  /** LLAMA_FTYPE_MOSTLY_* value. */
  id: number;
  /** Type of the tensors no per-tensor rule overrides (llama_ftype_get_default_type). */
  defaultType: GgmlType;
}

const FILE_TYPES: readonly FileType[] = [
  { name: "F32", id: 0, defaultType: GgmlType.F32 },
  { name: "F16", id: 1, defaultType: GgmlType.F16 },
  { name: "Q4_0", id: 2, defaultType: GgmlType.Q4_0 },
  { name: "Q4_1", id: 3, defaultType: GgmlType.Q4_1 },
  { name: "Q8_0", id: 7, defaultType: GgmlType.Q8_0 },
  { name: "Q5_0", id: 8, defaultType: GgmlType.Q5_0 },
  { name: "Q5_1", id: 9, defaultType: GgmlType.Q5_1 },
  { name: "Q2_K", id: 10, defaultType: GgmlType.Q2_K },
  { name: "Q3_K_S", id: 11, defaultType: GgmlType.Q3_K },
  { name: "Q3_K_M", id: 12, defaultType: GgmlType.Q3_K },
  { name: "Q3_K_L", id: 13, defaultType: GgmlType.Q3_K },
  { name: "Q4_K_S", id: 14, defaultType: GgmlType.Q4_K },
  { name: "Q4_K_M", id: 15, defaultType: GgmlType.Q4_K },
  { name: "Q5_K_S", id: 16, defaultType: GgmlType.Q5_K },
  { name: "Q5_K_M", id: 17, defaultType: GgmlType.Q5_K },
  { name: "Q6_K", id: 18, defaultType: GgmlType.Q6_K },
  { name: "BF16", id: 32, defaultType: GgmlType.BF16 },
];

/** llama-quantize's aliases. */
const ALIASES: Readonly<Record<string, string>> = { Q3_K: "Q3_K_M", Q4_K: "Q4_K_M", Q5_K: "Q5_K_M" };

export function fileTypeNames(): string[] {
  return FILE_TYPES.map((f) => f.name);
}

/** "q4_k_m", "Q4_K" (alias of Q4_K_M) ... → FileType; BAD_ARGUMENT naming the choices if unknown. */
export function parseFileType(name: string): FileType {
  const upper = name.trim().toUpperCase();
  const canonical = ALIASES[upper] ?? upper;
  const found = FILE_TYPES.find((f) => f.name === canonical);
  if (!found) {
    throw new IngotError("BAD_ARGUMENT",
      `unknown quantization type '${name}' (choose one of: ${fileTypeNames().join(", ")}; aliases: ${Object.keys(ALIASES).join(", ")})`);
  }
  return found;
}
