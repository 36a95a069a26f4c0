// mul_mv.h — matrix x vector: the matmuls over one row (every matmul of decode, and the output
// projection of a program that wants one row of logits). Batches of several rows, speculative
// verification included, go to mul_mm. A simdgroup owns MV_ROWS output rows; its lanes take 16-value
// chunks of the row in turn, dequantise them with the type's policy and accumulate against the input
// row, then one simd_sum reduces the MV_ROWS partial sums. The host only dispatches it when the
// program's capacity for the row kind is 1, and a step always has a token and an output row, so the
// kernel computes exactly one row without reading the step's counts.
//
// Fusions (each removes a round trip of activations through memory or a dispatch):
//   norm      RMS norm of the input row and the norm weight applied on the fly (no rmsnorm dispatch)
//   gather    the input row picked by the step's output_rows[0] (no gather dispatch)
//   n_mat     up to three matrices reading the same input in one dispatch (Q, K, V), grid.y = matrix
//   pair      SwiGLU: W0 (gate) and W1 (up) rows computed together, silu(gate) * up written
//   residual  y = y + W x (the residual add)
#ifndef INGOT_MUL_MV_H
#define INGOT_MUL_MV_H

#include "dequant.h"

template <typename P>
kernel void mul_mv(constant MvArgs &a [[buffer(0)]],
                   device const int *step [[buffer(1)]],
                   device const float *x [[buffer(2)]],
                   device const float *norm [[buffer(3)]],
                   device const uchar *w0 [[buffer(4)]],
                   device const uchar *w1 [[buffer(5)]],
                   device const uchar *w2 [[buffer(6)]],
                   device const float *b0 [[buffer(7)]],
                   device const float *b1 [[buffer(8)]],
                   device const float *b2 [[buffer(9)]],
                   device float *y0 [[buffer(10)]],
                   device float *y1 [[buffer(11)]],
                   device float *y2 [[buffer(12)]],
                   uint2 tgpig [[threadgroup_position_in_grid]],
                   ushort sgitg [[simdgroup_index_in_threadgroup]],
                   ushort tiisg [[thread_index_in_simdgroup]]) {
  const int m = int(tgpig.y);
  const int n = a.n[m];
  const int row0 = (int(tgpig.x) * MV_SIMDGROUPS + sgitg) * MV_ROWS;
  if (row0 >= n) return;
  // Arguments read once: `a` lives in memory the compiler cannot prove unchanged by the stores below.
  const int k = a.k;
  const bool use_norm = a.norm != 0, pair = a.pair != 0;
  device const float *xr = x + (a.gather ? step[STEP_HEADER + 3 * a.cap] * a.x_stride : 0);
  device const uchar *w = m == 0 ? w0 : (m == 1 ? w1 : w2);
  device const float *bias = m == 0 ? b0 : (m == 1 ? b1 : b2);
  device float *y = m == 0 ? y0 : (m == 1 ? y1 : y2);

  float scale = 1.0f;
  if (use_norm) {
    float ss = 0.0f;
    for (int i = tiisg; i < k; i += SIMD_WIDTH) ss += xr[i] * xr[i];
    ss = simd_sum(ss);
    scale = 1.0f / sqrt(ss / float(k) + a.eps);
  }

  const int chunks = k / CHUNK, per_block = P::BLOCK / CHUNK;
  const int row_bytes = (k / P::BLOCK) * P::BYTES;
  float acc[MV_ROWS], acc_up[MV_ROWS];
  for (int r = 0; r < MV_ROWS; r++) acc[r] = acc_up[r] = 0.0f;

  for (int c = tiisg; c < chunks; c += SIMD_WIDTH) {
    const int block_offset = (c / per_block) * P::BYTES, il = c % per_block;
    float xv[CHUNK];
    if (use_norm) {
      for (int i = 0; i < CHUNK; i++) xv[i] = (xr[c * CHUNK + i] * scale) * norm[c * CHUNK + i];
    } else {
      for (int i = 0; i < CHUNK; i++) xv[i] = xr[c * CHUNK + i];
    }
    for (int r = 0; r < MV_ROWS; r++) {
      const int row = min(row0 + r, n - 1);
      float wv[CHUNK];
      P::dequant(w + row * row_bytes + block_offset, il, wv);
      float s = 0.0f;
      for (int i = 0; i < CHUNK; i++) s += wv[i] * xv[i];
      acc[r] += s;
      if (pair) {
        P::dequant(w1 + row * row_bytes + block_offset, il, wv);
        float u = 0.0f;
        for (int i = 0; i < CHUNK; i++) u += wv[i] * xv[i];
        acc_up[r] += u;
      }
    }
  }

  const float4 s = simd_sum(float4(acc[0], acc[1], acc[2], acc[3]));
  float4 u = float4(0.0f);
  if (pair) u = simd_sum(float4(acc_up[0], acc_up[1], acc_up[2], acc_up[3]));
  const int row = row0 + tiisg;
  if (tiisg >= MV_ROWS || row >= n) return;
  float v = s[tiisg] + (a.bias[m] ? bias[row] : 0.0f);
  device float *out = y + row;
  if (pair) {
    const float up = u[tiisg] + (a.bias[1] ? b1[row] : 0.0f);
    v = v / (1.0f + exp(-v)) * up;
  } else if (a.residual[m]) {
    v += *out;
  }
  *out = v;
}

#endif
