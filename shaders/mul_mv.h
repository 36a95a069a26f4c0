// mul_mv.h — matrix x vector for decode and small batches (up to MV_MAX_TOKENS tokens): each weight
// byte is read once per dispatch whatever the number of tokens. A simdgroup owns MV_ROWS output
// rows; its lanes take 16-value chunks of the row in turn, dequantise them with the type's policy
// and accumulate against every token, then one simd_sum per token reduces the MV_ROWS partial sums.
//
// Fusions (each removes a round trip of activations through memory or a dispatch):
//   norm      RMS norm of the input row and the norm weight applied on the fly (no rmsnorm dispatch)
//   gather    input rows picked by the step's output_rows (no gather dispatch)
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
  const int nt = min(row_count(step, a.rows), int(MV_MAX_TOKENS));
  // Arguments read once: `a` lives in memory the compiler cannot prove unchanged by the stores below.
  const int k = a.k, x_stride = a.x_stride;
  const bool gather = a.gather != 0, use_norm = a.norm != 0, pair = a.pair != 0;
  device const int *out_rows = step + STEP_HEADER + 3 * a.cap;
  device const uchar *w = m == 0 ? w0 : (m == 1 ? w1 : w2);
  device const float *bias = m == 0 ? b0 : (m == 1 ? b1 : b2);
  device float *y = m == 0 ? y0 : (m == 1 ? y1 : y2);

  float scale[MV_MAX_TOKENS];
  for (int t = 0; t < nt; t++) {
    scale[t] = 1.0f;
    if (use_norm) {
      device const float *xr = x + (gather ? out_rows[t] : t) * x_stride;
      float ss = 0.0f;
      for (int i = tiisg; i < k; i += SIMD_WIDTH) ss += xr[i] * xr[i];
      ss = simd_sum(ss);
      scale[t] = 1.0f / sqrt(ss / float(k) + a.eps);
    }
  }

  const int chunks = k / CHUNK, per_block = P::BLOCK / CHUNK;
  const int row_bytes = (k / P::BLOCK) * P::BYTES;
  float acc[MV_MAX_TOKENS][MV_ROWS];
  float acc_up[MV_MAX_TOKENS][MV_ROWS];
  for (int t = 0; t < MV_MAX_TOKENS; t++)
    for (int r = 0; r < MV_ROWS; r++) acc[t][r] = acc_up[t][r] = 0.0f;

  for (int c = tiisg; c < chunks; c += SIMD_WIDTH) {
    const int block_offset = (c / per_block) * P::BYTES, il = c % per_block;
    float wv[MV_ROWS][CHUNK];
    float uv[MV_ROWS][CHUNK];
    for (int r = 0; r < MV_ROWS; r++) {
      const int row = min(row0 + r, n - 1);
      P::dequant(w + row * row_bytes + block_offset, il, wv[r]);
      if (pair) P::dequant(w1 + row * row_bytes + block_offset, il, uv[r]);
    }
    for (int t = 0; t < nt; t++) {
      device const float *xr = x + (gather ? out_rows[t] : t) * x_stride + c * CHUNK;
      float xv[CHUNK];
      if (use_norm) {
        for (int i = 0; i < CHUNK; i++) xv[i] = (xr[i] * scale[t]) * norm[c * CHUNK + i];
      } else {
        for (int i = 0; i < CHUNK; i++) xv[i] = xr[i];
      }
      for (int r = 0; r < MV_ROWS; r++) {
        float s = 0.0f, u = 0.0f;
        for (int i = 0; i < CHUNK; i++) s += wv[r][i] * xv[i];
        acc[t][r] += s;
        if (pair) {
          for (int i = 0; i < CHUNK; i++) u += uv[r][i] * xv[i];
          acc_up[t][r] += u;
        }
      }
    }
  }

  for (int t = 0; t < nt; t++) {
    const float4 s = simd_sum(float4(acc[t][0], acc[t][1], acc[t][2], acc[t][3]));
    float4 u = float4(0.0f);
    if (pair) u = simd_sum(float4(acc_up[t][0], acc_up[t][1], acc_up[t][2], acc_up[t][3]));
    const int row = row0 + tiisg;
    if (tiisg >= MV_ROWS || row >= n) continue;
    float v = s[tiisg] + (a.bias[m] ? bias[row] : 0.0f);
    device float *out = y + t * a.y_stride[m] + row;
    if (pair) {
      const float up = u[tiisg] + (a.bias[1] ? b1[row] : 0.0f);
      v = v / (1.0f + exp(-v)) * up;
    } else if (a.residual[m]) {
      v += *out;
    }
    *out = v;
  }
}

#endif
