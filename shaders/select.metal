// select.metal — argmax and top-k of logits rows on the device, so greedy decoding reads back one
// token id per row instead of the vocabulary. Ties go to the lower index and NaN never wins, as in
// the CPU engine (ingot_argmax, ingot_topk).
#include <metal_stdlib>
#include "kargs.h"
using namespace metal;

constant int NO_INDEX = 0x7fffffff;

// (value, index) is better than (v, i): larger value, or equal value and lower index.
static inline bool better(float value, int index, float v, int i) {
  return value > v || (value == v && index < i);
}

// One threadgroup of REDUCE_THREADS per row.
kernel void argmax(constant SelectArgs &a [[buffer(0)]],
                   device const int *step [[buffer(1)]],
                   device const float *x [[buffer(2)]],
                   device int *ids [[buffer(3)]],
                   uint tgpig [[threadgroup_position_in_grid]],
                   ushort tid [[thread_index_in_threadgroup]],
                   ushort sgitg [[simdgroup_index_in_threadgroup]],
                   ushort tiisg [[thread_index_in_simdgroup]],
                   ushort nsg [[simdgroups_per_threadgroup]]) {
  threadgroup float best_value[REDUCE_THREADS / SIMD_WIDTH];
  threadgroup int best_index[REDUCE_THREADS / SIMD_WIDTH];
  const int r = int(tgpig);
  if (r >= row_count(step, a.rows)) return;
  device const float *row = x + r * a.stride;
  float v = -INFINITY;
  int idx = NO_INDEX;
  for (int i = tid; i < a.dim; i += nsg * SIMD_WIDTH) {
    const float xi = row[i];
    if (!isnan(xi) && (idx == NO_INDEX || xi > v)) {
      v = xi;
      idx = i;
    }
  }
  const float m = simd_max(v);
  const int winner = simd_min(v == m ? idx : NO_INDEX);
  if (tiisg == 0) {
    best_value[sgitg] = m;
    best_index[sgitg] = winner;
  }
  threadgroup_barrier(mem_flags::mem_threadgroup);
  if (tid != 0) return;
  float bv = best_value[0];
  int bi = best_index[0];
  for (int s = 1; s < nsg; s++)
    if (best_index[s] != NO_INDEX && (bi == NO_INDEX || better(best_value[s], best_index[s], bv, bi))) {
      bv = best_value[s];
      bi = best_index[s];
    }
  ids[r] = bi == NO_INDEX ? 0 : bi;
}

// One simdgroup per row: each lane keeps its own sorted top-k of the elements it visits, then k
// rounds pick the best head among the lanes.
kernel void topk(constant SelectArgs &a [[buffer(0)]],
                 device const int *step [[buffer(1)]],
                 device const float *x [[buffer(2)]],
                 device float *values [[buffer(3)]],
                 device int *ids [[buffer(4)]],
                 uint tgpig [[threadgroup_position_in_grid]],
                 ushort tiisg [[thread_index_in_simdgroup]]) {
  const int r = int(tgpig);
  if (r >= row_count(step, a.rows)) return;
  device const float *row = x + r * a.stride;
  const int k = min(a.k, int(TOPK_MAX));
  float lv[TOPK_MAX];
  int li[TOPK_MAX];
  int count = 0;
  for (int i = tiisg; i < a.dim; i += SIMD_WIDTH) {
    const float xi = isnan(row[i]) ? -INFINITY : row[i];
    if (count == k && !better(xi, i, lv[k - 1], li[k - 1])) continue;
    int at = count < k ? count++ : k - 1;
    while (at > 0 && better(xi, i, lv[at - 1], li[at - 1])) {
      lv[at] = lv[at - 1];
      li[at] = li[at - 1];
      at--;
    }
    lv[at] = xi;
    li[at] = i;
  }
  int head = 0;
  const int rounds = min(k, a.dim);
  for (int n = 0; n < rounds; n++) {
    const bool has = head < count;
    const float hv = has ? lv[head] : -INFINITY;
    const float m = simd_max(hv);
    const int winner = simd_min(has && hv == m ? li[head] : NO_INDEX);
    if (has && li[head] == winner) head++;
    if (tiisg == 0) {
      values[r * a.k + n] = m;
      ids[r * a.k + n] = winner;
    }
  }
}
