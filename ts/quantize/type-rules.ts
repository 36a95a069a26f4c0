/**
 * Per-tensor type choice of llama.cpp's quantizer for the file types ingot offers (src/llama-quant.cpp:
 * llama_tensor_get_type, llama_tensor_get_type_impl, tensor_type_fallback), without imatrix, tensor
 * overrides or --pure. The layer counters advance in llama.cpp's tensor order, so call `choose` once
 * per tensor in that order.
 */
import { GgmlType, ggmlTypeInfo, type GgufTensorInfo } from "../gguf/index.ts";
import type { FileType } from "./ftypes.ts";
import { groupedQueryFactor, type ModelShape } from "./model-shape.ts";
import { allowsQuantization, isAttentionValue, tensorCategory, type TensorCategory } from "./tensor-policy.ts";

const FLOAT_TYPES = new Set<GgmlType>([GgmlType.F32, GgmlType.F16, GgmlType.BF16]);

export function isQuantizedType(t: GgmlType): boolean {
  return !FLOAT_TYPES.has(t) && ggmlTypeInfo(t).blockSize > 1;
}

/** Layers that get more bits in the *_M mixes: the first and last eighth, and every third in between. */
function useMoreBits(layer: number, layers: number): boolean {
  const eighth = Math.trunc(layers / 8);
  return layer < eighth || layer >= Math.trunc((7 * layers) / 8) || (layer - eighth) % 3 === 2;
}

export interface TypeChoice {
  type: GgmlType;
  /** Set when the row length did not fit the preferred type: the type llama.cpp wanted. */
  fallbackFrom?: GgmlType;
}

export class TensorTypeRules {
  private attnValueIndex = 0;
  private readonly attnValueCount: number;
  private ffnDownIndex = 0;
  private readonly gqa: number;

  constructor(
    private readonly ftype: FileType,
    private readonly shape: ModelShape,
    tensorNames: readonly string[],
  ) {
    this.attnValueCount = tensorNames.filter((n) => isAttentionValue(tensorCategory(n))).length;
    this.gqa = groupedQueryFactor(shape);
  }

  choose(t: GgufTensorInfo): TypeChoice {
    if (!allowsQuantization(t)) return { type: t.type };
    const preferred = this.ftype.defaultType;
    if (!isQuantizedType(preferred)) return { type: preferred };
    return fallback(t, this.byCategory(t, tensorCategory(t.name), preferred));
  }

  private byCategory(t: GgufTensorInfo, category: TensorCategory, type: GgmlType): GgmlType {
    const f = this.ftype.name;
    const { architecture, experts } = this.shape;
    const falcon = architecture === "falcon";
    if (category === "output" || (!this.shape.hasOutputTensor && category === "token_embd")) {
      if (falcon || t.dims[0]! % ggmlTypeInfo(type).blockSize !== 0) return GgmlType.Q8_0;
      return type === GgmlType.Q8_0 ? type : GgmlType.Q6_K;
    }
    if (category === "token_embd") return type;
    if (isAttentionValue(category)) {
      const i = this.attnValueIndex++;
      if (f === "Q2_K") type = this.gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
      else if (f === "Q3_K_M") type = i < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
      else if (f === "Q3_K_L") type = GgmlType.Q5_K;
      else if ((f === "Q4_K_M" || f === "Q5_K_M") && useMoreBits(i, this.attnValueCount)) type = GgmlType.Q6_K;
      else if (f === "Q4_K_S" && i < 4) type = GgmlType.Q5_K;
      if (this.shape.is70B && (type === GgmlType.Q3_K || type === GgmlType.Q4_K)) type = GgmlType.Q5_K;
      if (experts === 8) type = GgmlType.Q8_0;
      return type;
    }
    if (category === "attn_k") return experts === 8 ? GgmlType.Q8_0 : type;
    if (category === "ffn_down") {
      const layer = this.ffnDownLayer(t.name);
      const layers = this.shape.layers;
      if (f === "Q2_K") return GgmlType.Q3_K;
      if (f === "Q3_K_M") {
        if (layer < Math.trunc(layers / 16)) return GgmlType.Q5_K;
        return !falcon || useMoreBits(layer, layers) ? GgmlType.Q4_K : GgmlType.Q3_K;
      }
      if (f === "Q3_K_L") return falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
      if (f === "Q4_K_M") {
        if (!falcon) return useMoreBits(layer, layers) ? GgmlType.Q6_K : type;
        if (layer < Math.trunc(layers / 16)) return GgmlType.Q6_K;
        return useMoreBits(layer, layers) ? GgmlType.Q5_K : GgmlType.Q4_K;
      }
      if (f === "Q5_K_M" && useMoreBits(layer, layers)) return GgmlType.Q6_K;
      if (f === "Q4_K_S" && !falcon && layer < Math.trunc(layers / 8)) return GgmlType.Q5_K;
      return type;
    }
    if (category === "attn_output") {
      if (falcon) return f === "Q3_K_L" ? GgmlType.Q4_K : type;
      if (experts === 8) {
        return ["Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M"].includes(f) ? GgmlType.Q5_K : type;
      }
      if (f === "Q2_K") return GgmlType.Q3_K;
      if (f === "Q3_K_M") return GgmlType.Q4_K;
      if (f === "Q3_K_L") return GgmlType.Q5_K;
      return type;
    }
    // attn_qkv is handled with the value tensors above, as llama.cpp's category_is_attn_v does first.
    return type;
  }

  /** The layer of an ffn_down tensor: the running count, or the name's block for mixture-of-experts models. */
  private ffnDownLayer(name: string): number {
    const counted = this.ffnDownIndex++;
    if (this.shape.experts <= 1) return counted;
    const m = /^blk\.(\d+)\./.exec(name);
    return m ? Number(m[1]) : counted;
  }
}

/** tensor_type_fallback: a smaller-block type when the row length does not fit, F16 as the last resort. */
function fallback(t: GgufTensorInfo, wanted: GgmlType): TypeChoice {
  const columns = t.dims[0]!;
  const blockSize = ggmlTypeInfo(wanted).blockSize;
  if (columns % blockSize === 0) return { type: wanted };
  const replacement: Partial<Record<GgmlType, GgmlType>> = {
    [GgmlType.Q2_K]: GgmlType.Q4_0, [GgmlType.Q3_K]: GgmlType.Q4_0, [GgmlType.Q4_K]: GgmlType.Q5_0,
    [GgmlType.Q5_K]: GgmlType.Q5_1, [GgmlType.Q6_K]: GgmlType.Q8_0,
  };
  let type = replacement[wanted] ?? wanted;
  if (columns % ggmlTypeInfo(type).blockSize !== 0) type = GgmlType.F16;
  return { type, fallbackFrom: wanted };
}
