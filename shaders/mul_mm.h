// mul_mm.h — matrix x matrix with simdgroup_matrix (8x8) products, for every batch of more than one
// row: prefill and speculative verification (k+1 tokens). A threadgroup of MM_SIMDGROUPS simdgroups
// computes an MM_TILE_TOKENS x MM_TILE_ROWS tile of the output: per MM_TILE_K step, half the threads
// dequantise the weight tile (policy P) into threadgroup memory while the other half stage the
// activations; each simdgroup then multiplies a 16 x 16 quarter. The tile goes through threadgroup
// memory on the way out so edges, bias and the residual add are handled in one place.
// Rows past the step's count: threadgroups whose tile starts there exit at once; in a partly filled
// tile (a verification batch of k+1 <= 8 tokens fills at most a quarter of one) they are staged as
// zeros, never read from x, and never written.
#ifndef INGOT_MUL_MM_H
#define INGOT_MUL_MM_H

#include "dequant.h"

template <typename P>
kernel void mul_mm(constant MmArgs &a [[buffer(0)]],
                   device const int *step [[buffer(1)]],
                   device const float *x [[buffer(2)]],
                   device const uchar *w [[buffer(3)]],
                   device const float *bias [[buffer(4)]],
                   device float *y [[buffer(5)]],
                   uint2 tgpig [[threadgroup_position_in_grid]],
                   ushort tid [[thread_index_in_threadgroup]],
                   ushort sgitg [[simdgroup_index_in_threadgroup]]) {
  threadgroup float wt[MM_TILE_ROWS * MM_TILE_K];
  threadgroup float xt[MM_TILE_TOKENS * MM_TILE_K];
  threadgroup float ct[MM_TILE_TOKENS * MM_TILE_ROWS];

  const int nt = row_count(step, a.rows);
  const int r0 = int(tgpig.x) * MM_TILE_ROWS, t0 = int(tgpig.y) * MM_TILE_TOKENS;
  if (t0 >= nt) return;
  const int per_block = P::BLOCK / CHUNK, row_bytes = (a.k / P::BLOCK) * P::BYTES;
  const int chunks_per_step = MM_TILE_K / CHUNK;
  const int loaders = MM_TILE_ROWS * chunks_per_step;  // threads that dequantise, one chunk each
  const int tb = (sgitg / 2) * 16, rb = (sgitg % 2) * 16;  // this simdgroup's quarter

  simdgroup_float8x8 acc[2][2];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) acc[i][j] = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);

  for (int k0 = 0; k0 < a.k; k0 += MM_TILE_K) {
    if (tid < loaders) {
      const int r = tid / chunks_per_step, ch = tid % chunks_per_step, c = k0 / CHUNK + ch;
      float v[CHUNK];
      if (c * CHUNK < a.k) {
        const int row = min(r0 + r, a.n - 1);
        P::dequant(w + row * row_bytes + (c / per_block) * P::BYTES, c % per_block, v);
      } else {
        for (int i = 0; i < CHUNK; i++) v[i] = 0.0f;
      }
      for (int i = 0; i < CHUNK; i++) wt[r * MM_TILE_K + ch * CHUNK + i] = v[i];
    } else {
      for (int e = tid - loaders; e < MM_TILE_TOKENS * MM_TILE_K; e += MM_SIMDGROUPS * SIMD_WIDTH - loaders) {
        const int t = t0 + e / MM_TILE_K, kk = k0 + e % MM_TILE_K;
        xt[e] = t < nt && kk < a.k ? x[t * a.x_stride + kk] : 0.0f;
      }
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    for (int kk = 0; kk < MM_TILE_K; kk += 8) {
      simdgroup_float8x8 xa[2], wb[2];
      for (int i = 0; i < 2; i++) simdgroup_load(xa[i], xt + (tb + 8 * i) * MM_TILE_K + kk, MM_TILE_K, ulong2(0, 0), false);
      for (int j = 0; j < 2; j++) simdgroup_load(wb[j], wt + (rb + 8 * j) * MM_TILE_K + kk, MM_TILE_K, ulong2(0, 0), true);
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) simdgroup_multiply_accumulate(acc[i][j], xa[i], wb[j], acc[i][j]);
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
  }

  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      simdgroup_store(acc[i][j], ct + (tb + 8 * i) * MM_TILE_ROWS + rb + 8 * j, MM_TILE_ROWS, ulong2(0, 0), false);
  threadgroup_barrier(mem_flags::mem_threadgroup);

  for (int e = tid; e < MM_TILE_TOKENS * MM_TILE_ROWS; e += MM_SIMDGROUPS * SIMD_WIDTH) {
    const int t = t0 + e / MM_TILE_ROWS, row = r0 + e % MM_TILE_ROWS;
    if (t >= nt || row >= a.n) continue;
    device float *out = y + t * a.y_stride + row;
    float v = ct[e] + (a.bias ? bias[row] : 0.0f);
    if (a.residual) v += *out;
    *out = v;
  }
}

#endif
