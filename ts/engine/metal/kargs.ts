/**
 * The host side of shaders/kargs.h: its constants and its argument structs (every field a 32-bit int
 * or float, in declaration order, arrays of three for per-matrix fields). tests/metal/kargs.test.ts
 * parses the header and checks both agree, so a field added on one side only fails in CI.
 */

/** The enum of kargs.h. */
export const K = {
  SIMD_WIDTH: 32, TOKEN_THREADS: 64,
  STEP_N_TOKENS: 0, STEP_N_OUTPUTS: 1, STEP_HEADER: 4,
  ROWS_TOKENS: 0, ROWS_OUTPUTS: 1,
  CHUNK: 16,
  MV_SIMDGROUPS: 2, MV_ROWS: 4, MV_MAX_MATRICES: 3,
  MM_TILE_ROWS: 32, MM_TILE_TOKENS: 32, MM_TILE_K: 32, MM_SIMDGROUPS: 4,
  ATTN_SPLIT: 256, ATTN_MAX_GROUP: 8, ATTN_MAX_HEAD_DIM: 256,
  REDUCE_THREADS: 256, TOPK_MAX: 256, ELEMENTWISE_THREADS: 256,
  ROPE_NORMAL: 0, ROPE_NEOX: 2,
} as const;

interface Field {
  readonly name: string;
  readonly float?: boolean;
  readonly count?: number;
}

export interface ArgStruct<F extends readonly Field[]> {
  readonly name: string;
  readonly fields: F;
  readonly bytes: number;
}

type FieldValue<X extends Field> = X extends { count: number } ? readonly number[] : number;
export type ArgValues<F extends readonly Field[]> = { [X in F[number] as X["name"]]: FieldValue<X> };

function struct<const F extends readonly Field[]>(name: string, fields: F): ArgStruct<F> {
  return { name, fields, bytes: 4 * fields.reduce((n, f) => n + (f.count ?? 1), 0) };
}

const i = (name: string) => ({ name }) as const;
const f = (name: string) => ({ name, float: true }) as const;
const i3 = (name: string) => ({ name, count: 3 }) as const;

export const GetRowsArgs = struct("GetRowsArgs", [i("dim"), i("y_stride"), i("cap"), i("vocab")] as const);
export const MvArgs = struct("MvArgs", [
  i("k"), i("x_stride"), i("cap"), i("gather"), i("norm"), f("eps"), i("pair"), i("n_mat"),
  i3("n"), i3("bias"), i3("residual"),
] as const);
export const MmArgs = struct("MmArgs", [i("k"), i("n"), i("x_stride"), i("y_stride"), i("rows"), i("cap"), i("bias"), i("residual")] as const);
export const NormArgs = struct("NormArgs", [i("dim"), i("x_stride"), i("y_stride"), i("rows"), i("cap"), i("gather"), f("eps")] as const);
export const RopeKvArgs = struct("RopeKvArgs", [
  i("cap"), i("head_dim"), i("rope_dims"), i("mode"), f("freq_base"), f("freq_scale"), i("has_factors"),
  i("rope_q"), i("q_stride"), i("q_heads"), i("rope_k"), i("k_stride"), i("k_heads"),
  i("store_k"), i("store_v"), i("v_stride"), i("kv_dim"), i("ctx"),
] as const);
export const AttnArgs = struct("AttnArgs", [
  i("cap"), i("heads"), i("kv_heads"), i("head_dim"), i("group"), i("q_stride"), i("out_stride"), i("ctx"), f("scale"), i("direct"),
] as const);
export const AttnReduceArgs = struct("AttnReduceArgs", [i("cap"), i("heads"), i("head_dim"), i("out_stride")] as const);
export const EltArgs = struct("EltArgs", [i("dim"), i("stride"), i("b_stride"), i("rows"), i("cap")] as const);
export const SelectArgs = struct("SelectArgs", [i("dim"), i("stride"), i("rows"), i("cap"), i("k")] as const);

export const ALL_STRUCTS = [GetRowsArgs, MvArgs, MmArgs, NormArgs, RopeKvArgs, AttnArgs, AttnReduceArgs, EltArgs, SelectArgs] as const;

/** The struct's bytes for `values` (little-endian, as on every Apple GPU and x86). */
export function encodeArgs<F extends readonly Field[]>(s: ArgStruct<F>, values: ArgValues<F>): Uint8Array {
  const out = new Uint8Array(s.bytes);
  const v = new DataView(out.buffer);
  const record = values as Record<string, number | readonly number[]>;
  let at = 0;
  for (const field of s.fields) {
    const value = record[field.name];
    const list = typeof value === "number" ? [value] : value ?? [];
    for (let k = 0; k < (field.count ?? 1); k++) {
      const x = list[k] ?? 0;
      if (field.float) v.setFloat32(at, x, true);
      else {
        if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) throw new RangeError(`${s.name}.${field.name} = ${x} is not an int32`);
        v.setInt32(at, x, true);
      }
      at += 4;
    }
  }
  return out;
}
