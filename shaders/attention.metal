// attention.metal — causal attention over the half KV cache with grouped-query heads, split over
// the KV length (flash decoding): attn_split handles ATTN_SPLIT positions of one (head group,
// token, split) in one simdgroup, so the K/V rows a group of query heads shares are read once;
// attn_reduce merges the splits. When one split covers the context the lowering sets `direct` and
// attn_split writes the final output (no reduce dispatch).
//
// Rounding follows the CPU engine (and llama.cpp's CPU attention): q is rounded to half before the
// dot products with the half keys, and the normalised softmax weights are rounded to half before
// weighting the half values.
#include <metal_stdlib>
#include "kargs.h"
using namespace metal;

kernel void attn_split(constant AttnArgs &a [[buffer(0)]],
                       device const int *step [[buffer(1)]],
                       device const float *q [[buffer(2)]],
                       device const half *k_cache [[buffer(3)]],
                       device const half *v_cache [[buffer(4)]],
                       device float *out [[buffer(5)]],
                       device float *ml [[buffer(6)]],
                       uint3 tgpig [[threadgroup_position_in_grid]],
                       ushort tiisg [[thread_index_in_simdgroup]]) {
  threadgroup half qs[ATTN_MAX_GROUP * ATTN_MAX_HEAD_DIM];
  threadgroup float scores[ATTN_MAX_GROUP * ATTN_SPLIT];

  const int t = int(tgpig.y), split = int(tgpig.z);
  if (t >= step[STEP_N_TOKENS]) return;
  const int pos = step[STEP_HEADER + a.cap + t], seq = step[STEP_HEADER + 2 * a.cap + t];
  const int j0 = split * ATTN_SPLIT, j1 = min(j0 + ATTN_SPLIT, pos + 1);
  if (j0 >= j1) return;
  const int G = a.group, hd = a.head_dim, h0 = int(tgpig.x) * G;
  const int kv_dim = a.kv_heads * hd, kvh = h0 / (a.heads / a.kv_heads);
  const int base = seq * a.ctx * kv_dim + kvh * hd;

  for (int e = tiisg; e < G * hd; e += SIMD_WIDTH) qs[e] = half(q[t * a.q_stride + h0 * hd + e]);
  simdgroup_barrier(mem_flags::mem_threadgroup);

  float mx[ATTN_MAX_GROUP], sum[ATTN_MAX_GROUP];
  for (int h = 0; h < G; h++) mx[h] = -INFINITY;
  for (int j = j0 + tiisg; j < j1; j += SIMD_WIDTH) {
    device const half *kr = k_cache + base + j * kv_dim;
    for (int h = 0; h < G; h++) {
      float d = 0.0f;
      for (int i = 0; i < hd; i++) d += float(kr[i]) * float(qs[h * hd + i]);
      d *= a.scale;
      scores[h * ATTN_SPLIT + j - j0] = d;
      mx[h] = max(mx[h], d);
    }
  }
  for (int h = 0; h < G; h++) mx[h] = simd_max(mx[h]);
  for (int h = 0; h < G; h++) sum[h] = 0.0f;
  for (int j = j0 + tiisg; j < j1; j += SIMD_WIDTH)
    for (int h = 0; h < G; h++) {
      const float e = exp(scores[h * ATTN_SPLIT + j - j0] - mx[h]);
      scores[h * ATTN_SPLIT + j - j0] = e;
      sum[h] += e;
    }
  for (int h = 0; h < G; h++) sum[h] = simd_sum(sum[h]);
  simdgroup_barrier(mem_flags::mem_threadgroup);

  const int cap = a.cap;
  for (int h = 0; h < G; h++) {
    const float inv = 1.0f / sum[h];
    float acc[ATTN_MAX_HEAD_DIM / SIMD_WIDTH];
    for (int i = 0; i < ATTN_MAX_HEAD_DIM / SIMD_WIDTH; i++) acc[i] = 0.0f;
    for (int j = j0; j < j1; j++) {
      const float wgt = float(half(scores[h * ATTN_SPLIT + j - j0] * inv));
      device const half *vr = v_cache + base + j * kv_dim;
      for (int i = 0, d = tiisg; d < hd; i++, d += SIMD_WIDTH) acc[i] += wgt * float(vr[d]);
    }
    const int head = h0 + h;
    device float *o = a.direct ? out + t * a.out_stride + head * hd
                               : out + ((split * cap + t) * a.heads + head) * hd;
    for (int i = 0, d = tiisg; d < hd; i++, d += SIMD_WIDTH) o[d] = acc[i];
    if (!a.direct && tiisg == 0) {
      ml[((split * cap + t) * a.heads + head) * 2 + 0] = mx[h];
      ml[((split * cap + t) * a.heads + head) * 2 + 1] = sum[h];
    }
  }
}

// out[t][head] = sum over splits s of o_s * (l_s * exp(m_s - M) / L): every split's output is
// already normalised by its own sum l_s. Grid: (heads, capacity), one simdgroup each.
kernel void attn_reduce(constant AttnReduceArgs &a [[buffer(0)]],
                        device const int *step [[buffer(1)]],
                        device const float *part [[buffer(2)]],
                        device const float *ml [[buffer(3)]],
                        device float *out [[buffer(4)]],
                        uint2 tgpig [[threadgroup_position_in_grid]],
                        ushort tiisg [[thread_index_in_simdgroup]]) {
  const int head = int(tgpig.x), t = int(tgpig.y);
  if (t >= step[STEP_N_TOKENS]) return;
  const int pos = step[STEP_HEADER + a.cap + t];
  const int splits = pos / ATTN_SPLIT + 1;
  float M = -INFINITY;
  for (int s = 0; s < splits; s++) M = max(M, ml[((s * a.cap + t) * a.heads + head) * 2]);
  float L = 0.0f;
  for (int s = 0; s < splits; s++) {
    device const float *p = ml + ((s * a.cap + t) * a.heads + head) * 2;
    L += p[1] * exp(p[0] - M);
  }
  for (int d = tiisg; d < a.head_dim; d += SIMD_WIDTH) {
    float v = 0.0f;
    for (int s = 0; s < splits; s++) {
      device const float *p = ml + ((s * a.cap + t) * a.heads + head) * 2;
      v += part[((s * a.cap + t) * a.heads + head) * a.head_dim + d] * (p[1] * exp(p[0] - M) / L);
    }
    out[t * a.out_stride + head * a.head_dim + d] = v;
  }
}
