/**
 * `quantizeModel`: llama-quantize for ingot. Reads a GGUF model, picks each tensor's type with
 * llama.cpp's rules, converts with its reference quantizers and writes the tensors in llama.cpp's
 * order with its metadata edits, so the output matches llama-quantize's file for the same input.
 * Everything is checked before any conversion starts, and the file is written atomically.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { IngotError } from "../errors.ts";
import {
  GgmlType, GgufFile, GgufValueType, ggmlTypeInfo, writeGguf,
  type GgufMetadataEntry, type GgufTensorInfo, type GgufWriteTensor,
} from "../gguf/index.ts";
import { convertTensor, kernelsSupport } from "./convert.ts";
import { parseFileType, type FileType } from "./ftypes.ts";
import { readModelShape } from "./model-shape.ts";
import { compareTensorNames } from "./tensor-policy.ts";
import { isQuantizedType, TensorTypeRules } from "./type-rules.ts";

/** GGML_QNT_VERSION, recorded as general.quantization_version. */
const QUANTIZATION_VERSION = 2;
/** Keys llama-quantize drops (split bookkeeping) or rewrites at the end of the metadata. */
const DROPPED_KEYS = new Set([
  "general.quantization_version", "general.file_type", "split.no", "split.count", "split.tensors.count",
]);

export interface QuantizeProgress {
  /** Tensors written so far, of `total`. */
  done: number;
  total: number;
  /** Input bytes processed so far, of `totalBytes` (a smoother measure than tensors). */
  bytes: number;
  totalBytes: number;
  tensor: string;
}

export interface QuantizeOptions {
  /** Target file type, e.g. "Q4_K_M" (case-insensitive; llama-quantize's names and aliases). */
  type: string | FileType;
  /** Re-quantize tensors that are already quantized (dequantising them first). Default false, as llama.cpp. */
  allowRequantize?: boolean;
  /** Called after each tensor. */
  onProgress?: (p: QuantizeProgress) => void;
}

export interface TensorFallback {
  tensor: string;
  wanted: string;
  used: string;
}

export interface QuantizeSummary {
  input: string;
  output: string;
  fileType: string;
  /** LLAMA_FTYPE value written to general.file_type. */
  fileTypeId: number;
  inputBytes: number;
  outputBytes: number;
  tensors: number;
  /** Output tensor count per ggml type name. */
  tensorTypes: Record<string, number>;
  /** Tensors whose row length did not fit the preferred type. */
  fallbacks: TensorFallback[];
  seconds: number;
}

interface PlannedTensor {
  info: GgufTensorInfo;
  to: GgmlType;
}

function checkOutputPath(outputPath: string, inputPath: string): void {
  const dir = dirname(resolve(outputPath));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new IngotError("BAD_ARGUMENT", `cannot write ${outputPath}: directory ${dir} does not exist`);
  }
  if (existsSync(outputPath) && statSync(outputPath).isDirectory()) {
    throw new IngotError("BAD_ARGUMENT", `cannot write ${outputPath}: it is a directory`);
  }
  if (resolve(outputPath) === resolve(inputPath)) {
    throw new IngotError("BAD_ARGUMENT", `the output path is the input file (${inputPath}): choose another name`);
  }
}

/** Fails before any work when a tensor would need a conversion that is refused or impossible. */
function checkConversion(t: GgufTensorInfo, to: GgmlType, allowRequantize: boolean): void {
  const from = ggmlTypeInfo(t.type).name;
  if (isQuantizedType(t.type) && !allowRequantize) {
    throw new IngotError("BAD_INPUT",
      `tensor '${t.name}' is already ${from}: requantizing is disabled (it loses quality); pass --allow-requantize, or start from an F32/F16/BF16 model`);
  }
  if (!kernelsSupport(t.type)) throw new IngotError("BAD_INPUT", `tensor '${t.name}': cannot read type ${from}`);
  if (!kernelsSupport(to)) throw new IngotError("BAD_INPUT", `tensor '${t.name}': cannot write type ${ggmlTypeInfo(to).name}`);
}

function plan(file: GgufFile, ftype: FileType, allowRequantize: boolean): { tensors: PlannedTensor[]; fallbacks: TensorFallback[] } {
  const shape = readModelShape(file);
  const ordered = [...file.tensors].sort((a, b) => compareTensorNames(a.name, b.name));
  const rules = new TensorTypeRules(ftype, shape, ordered.map((t) => t.name));
  const fallbacks: TensorFallback[] = [];
  const tensors = ordered.map((info) => {
    const choice = rules.choose(info);
    if (choice.fallbackFrom !== undefined) {
      fallbacks.push({ tensor: info.name, wanted: ggmlTypeInfo(choice.fallbackFrom).name, used: ggmlTypeInfo(choice.type).name });
    }
    if (choice.type !== info.type) checkConversion(info, choice.type, allowRequantize);
    return { info, to: choice.type };
  });
  return { tensors, fallbacks };
}

/** The input's metadata in its order, minus the rewritten keys, then quantization version and file type. */
function outputMetadata(file: GgufFile, ftype: FileType): GgufMetadataEntry[] {
  return [
    ...file.entries.filter((e) => !DROPPED_KEYS.has(e.key)),
    { key: "general.quantization_version", type: GgufValueType.UINT32, value: QUANTIZATION_VERSION },
    { key: "general.file_type", type: GgufValueType.UINT32, value: ftype.id },
  ];
}

export function quantizeModel(inputPath: string, outputPath: string, options: QuantizeOptions): QuantizeSummary {
  const started = performance.now();
  const ftype = typeof options.type === "string" ? parseFileType(options.type) : options.type;
  checkOutputPath(outputPath, inputPath);
  const file = GgufFile.open(inputPath);
  const { tensors, fallbacks } = plan(file, ftype, options.allowRequantize ?? false);

  const totalBytes = tensors.reduce((s, t) => s + t.info.byteSize, 0);
  let bytes = 0;
  const written: GgufWriteTensor[] = tensors.map(({ info, to }, i) => {
    const src = file.tensorData(info);
    const data = to === info.type ? src : convertTensor({ name: info.name, dims: info.dims, from: info.type, to, data: src });
    bytes += info.byteSize;
    options.onProgress?.({ done: i + 1, total: tensors.length, bytes, totalBytes, tensor: info.name });
    return { name: info.name, type: to, dims: info.dims, data };
  });
  writeGguf(outputPath, { metadata: outputMetadata(file, ftype), tensors: written });

  const tensorTypes: Record<string, number> = {};
  for (const t of written) {
    const name = ggmlTypeInfo(t.type).name;
    tensorTypes[name] = (tensorTypes[name] ?? 0) + 1;
  }
  return {
    input: inputPath,
    output: outputPath,
    fileType: ftype.name,
    fileTypeId: ftype.id,
    inputBytes: file.fileSize,
    outputBytes: statSync(outputPath).size,
    tensors: written.length,
    tensorTypes,
    fallbacks,
    seconds: (performance.now() - started) / 1000,
  };
}
