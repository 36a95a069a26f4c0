// rope_kv.metal — RoPE on q and k, then k and v stored as half into the KV cache at
// [seq][pos], for one token per threadgroup: one dispatch for what the graph lists as four ops.
// The rotation angle follows ggml's CPU cache: theta starts at pos and is multiplied by
// base^(-2/dims) once per pair (the same float rounding as the CPU engine).
#include <metal_stdlib>
#include "kargs.h"
using namespace metal;

static void rotate_heads(device float *row, int heads, constant RopeKvArgs &a, float pos,
                         device const float *factors, int tid, int ntg) {
  const int pairs = a.rope_dims / 2;
  const float theta_scale = pow(a.freq_base, -2.0f / float(a.rope_dims));
  for (int p = tid; p < heads * pairs; p += ntg) {
    const int h = p / pairs, i = p % pairs;
    float theta = pos;
    for (int j = 0; j < i; j++) theta *= theta_scale;
    const float ff = a.has_factors ? factors[i] : 1.0f;
    const float th = a.freq_scale * (theta / ff);
    const float c = cos(th), s = sin(th);
    device float *v = row + h * a.head_dim;
    const int i0 = a.mode == ROPE_NEOX ? i : 2 * i, i1 = a.mode == ROPE_NEOX ? i + pairs : 2 * i + 1;
    const float x0 = v[i0], x1 = v[i1];
    v[i0] = x0 * c - x1 * s;
    v[i1] = x0 * s + x1 * c;
  }
}

kernel void rope_kv(constant RopeKvArgs &a [[buffer(0)]],
                    device const int *step [[buffer(1)]],
                    device float *q [[buffer(2)]],
                    device float *k [[buffer(3)]],
                    device const float *v [[buffer(4)]],
                    device half *k_cache [[buffer(5)]],
                    device half *v_cache [[buffer(6)]],
                    device const float *factors [[buffer(7)]],
                    uint tgpig [[threadgroup_position_in_grid]],
                    ushort tid [[thread_index_in_threadgroup]],
                    ushort ntg [[threads_per_threadgroup]]) {
  const int t = int(tgpig);
  if (t >= step[STEP_N_TOKENS]) return;
  const int pos = step[STEP_HEADER + a.cap + t], seq = step[STEP_HEADER + 2 * a.cap + t];
  if (a.rope_q) rotate_heads(q + t * a.q_stride, a.q_heads, a, float(pos), factors, tid, ntg);
  if (a.rope_k) rotate_heads(k + t * a.k_stride, a.k_heads, a, float(pos), factors, tid, ntg);
  threadgroup_barrier(mem_flags::mem_device);
  const int at = (seq * a.ctx + pos) * a.kv_dim;
  for (int e = tid; e < a.kv_dim; e += ntg) {
    if (a.store_k) k_cache[at + e] = half(k[t * a.k_stride + e]);
    if (a.store_v) v_cache[at + e] = half(v[t * a.v_stride + e]);
  }
}
