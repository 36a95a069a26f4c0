// get_rows.h — embedding lookup: one threadgroup per token dequantises its table row (policy P).
#ifndef INGOT_GET_ROWS_H
#define INGOT_GET_ROWS_H

#include "dequant.h"

template <typename P>
kernel void get_rows(constant GetRowsArgs &a [[buffer(0)]],
                     device const int *step [[buffer(1)]],
                     device const uchar *table [[buffer(2)]],
                     device float *y [[buffer(3)]],
                     uint tgpig [[threadgroup_position_in_grid]],
                     ushort tid [[thread_index_in_threadgroup]],
                     ushort ntg [[threads_per_threadgroup]]) {
  const int t = int(tgpig);
  if (t >= step[STEP_N_TOKENS]) return;
  const int id = step[STEP_HEADER + t];
  if (id < 0 || id >= a.vocab) return;
  const int per_block = P::BLOCK / CHUNK;
  device const uchar *row = table + id * ((a.dim / P::BLOCK) * P::BYTES);
  for (int c = tid; c < a.dim / CHUNK; c += ntg) {
    float v[CHUNK];
    P::dequant(row + (c / per_block) * P::BYTES, c % per_block, v);
    for (int i = 0; i < CHUNK; i++) y[t * a.y_stride + c * CHUNK + i] = v[i];
  }
}

#endif
