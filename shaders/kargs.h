// kargs.h — kernel arguments shared by the host (ts/engine/metal/kargs.ts mirrors every struct and
// constant here; tests/metal/kargs.test.ts checks they agree) and the kernels.
// Convention: every field is a 32-bit int or float, so structs have no padding; counts and strides
// are in elements (floats) unless named *_bytes. Bindings are ordered: arguments (0), the step
// buffer (1), inputs, outputs. Arguments live in a buffer (no setBytes), so programs can be replayed
// from an indirect command buffer.
#ifndef INGOT_KARGS_H
#define INGOT_KARGS_H

enum {
  // Threads per simdgroup on every Apple GPU (the kernels' lane loops assume it).
  SIMD_WIDTH = 32,
  // Threads of the per-token kernels (get_rows, rope_kv); any count works, this is the host's choice.
  TOKEN_THREADS = 64,
  // Step buffer (int32): header, then tokens[cap], positions[cap], seq_ids[cap], output_rows[cap].
  STEP_N_TOKENS = 0,
  STEP_N_OUTPUTS = 1,
  STEP_HEADER = 4,
  // Which count an op iterates over.
  ROWS_TOKENS = 0,
  ROWS_OUTPUTS = 1,
  // Values per dequantisation chunk: every weight-type policy produces 16 values at a time.
  CHUNK = 16,
  // mul_mv: simdgroups per threadgroup, output rows per simdgroup, most matrices per dispatch.
  MV_SIMDGROUPS = 2,
  MV_ROWS = 4,
  MV_MAX_MATRICES = 3,
  // mul_mm: one threadgroup computes MM_TILE_TOKENS x MM_TILE_ROWS outputs, MM_TILE_K inputs a step.
  MM_TILE_ROWS = 32,
  MM_TILE_TOKENS = 32,
  MM_TILE_K = 32,
  MM_SIMDGROUPS = 4,
  // Attention: KV positions per split (flash decoding), query heads sharing one threadgroup.
  ATTN_SPLIT = 256,
  ATTN_MAX_GROUP = 8,
  ATTN_MAX_HEAD_DIM = 256,
  // Row reductions (norm, argmax) use this many threads; top-k one simdgroup and at most TOPK_MAX.
  REDUCE_THREADS = 256,
  TOPK_MAX = 256,
  ELEMENTWISE_THREADS = 256,
  // RoPE rotations (the values ggml uses).
  ROPE_NORMAL = 0,
  ROPE_NEOX = 2,
};

struct GetRowsArgs {
  int dim;      // values per row
  int y_stride;
  int cap;      // step capacity
  int vocab;    // table rows (ids outside are skipped)
};

// y_m (+)= W_m x for one input row x and up to three matrices of one weight type, with an optional
// RMS-norm prologue, bias, residual add, or a SwiGLU pair (W0 gate, W1 up). One row only: batches of
// several rows go through mul_mm.
struct MvArgs {
  int k;
  int x_stride;
  int cap;      // step capacity (where output_rows starts)
  int gather;   // 1: the input row is x[output_rows[0]], else x[0]
  int norm;     // 1: x is RMS-normalised and multiplied by the norm weight first
  float eps;
  int pair;     // 1: y0 = silu(W0 x + b0) * (W1 x + b1)
  int n_mat;
  int n[3];     // output rows of each matrix
  int bias[3];
  int residual[3];  // 1: y = previous y + W x
};

struct MmArgs {
  int k;
  int n;        // output rows (weight rows)
  int x_stride;
  int y_stride;
  int rows;
  int cap;
  int bias;
  int residual;
};

struct NormArgs {
  int dim;
  int x_stride;
  int y_stride;
  int rows;
  int cap;
  int gather;
  float eps;
};

struct RopeKvArgs {
  int cap;
  int head_dim;
  int rope_dims;
  int mode;       // ROPE_NORMAL or ROPE_NEOX
  float freq_base;
  float freq_scale;
  int has_factors;
  int rope_q;     // 1: rotate q (q_heads heads)
  int q_stride;
  int q_heads;
  int rope_k;
  int k_stride;
  int k_heads;
  int store_k;    // 1: cache_k[seq][pos] = half(k)
  int store_v;
  int v_stride;
  int kv_dim;
  int ctx;        // positions per sequence slot in the cache
};

struct AttnArgs {
  int cap;
  int heads;
  int kv_heads;
  int head_dim;
  int group;      // query heads per threadgroup (divides heads / kv_heads, <= ATTN_MAX_GROUP)
  int q_stride;
  int out_stride;
  int ctx;
  float scale;
  int direct;     // 1: one split covers the context: write the final output to out
};

struct AttnReduceArgs {
  int cap;
  int heads;
  int head_dim;
  int out_stride;
};

struct EltArgs {
  int dim;
  int stride;     // of a / gate and out
  int b_stride;   // of b / up (0 broadcasts one row: a bias)
  int rows;
  int cap;
};

struct SelectArgs {
  int dim;
  int stride;
  int rows;
  int cap;
  int k;          // top-k only
};

// Rows an op iterates over this step.
static inline int row_count(device const int *step, int rows) {
  return step[rows == ROWS_OUTPUTS ? STEP_N_OUTPUTS : STEP_N_TOKENS];
}

#endif
