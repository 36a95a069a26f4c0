/**
 * The Llama-3.2-1B-shaped benchmark models: random weights (ts/model/synth.ts) in llama.cpp's per-tensor
 * type mix for each file type (ts/quantize's rules), generated once into a cache directory.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { GgmlType, type GgufTensorInfo } from "../ts/gguf/index.ts";
import { SYNTH_SHAPES, synthesizeModel } from "../ts/model/synth.ts";
import { parseFileType } from "../ts/quantize/ftypes.ts";
import { TensorTypeRules } from "../ts/quantize/type-rules.ts";

const SHAPE = SYNTH_SHAPES["llama-3.2-1b"]!;

function tensorNames(): string[] {
  const names = ["token_embd.weight"];
  for (let l = 0; l < SHAPE.layers; l++) {
    for (const t of ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]) names.push(`blk.${l}.${t}.weight`);
  }
  return [...names, "output_norm.weight"];
}

/** Returns [file type, path] for each requested type, generating missing files. */
export async function ensureSynthModels(dir: string, types: string[]): Promise<[string, string][]> {
  mkdirSync(dir, { recursive: true });
  const out: [string, string][] = [];
  for (const name of types) {
    const path = join(dir, `llama-3.2-1b-shape-${name.toLowerCase()}.gguf`);
    if (!existsSync(path)) {
      process.stderr.write(`generating ${path} (random weights)...\n`);
      const ftype = parseFileType(name);
      const rules = new TensorTypeRules(
        ftype,
        { architecture: "llama", layers: SHAPE.layers, heads: SHAPE.heads, kvHeads: SHAPE.kvHeads, experts: 0, hasOutputTensor: !SHAPE.tiedEmbeddings, is70B: false },
        tensorNames(),
      );
      synthesizeModel(path, {
        shape: SHAPE,
        fileType: ftype.id,
        name: `Llama-3.2-1B shape, random weights, ${name}`,
        typeOf: (tensorName, dims) => {
          const info: GgufTensorInfo = { name: tensorName, dims: [...dims], type: GgmlType.F16, offset: 0, byteSize: 0, nElements: dims.reduce((a, b) => a * b, 1) };
          return rules.choose(info).type;
        },
      });
    }
    out.push([name, path]);
  }
  return out;
}
