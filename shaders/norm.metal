// norm.metal — RMS norm for batches (decode fuses the norm into mul_mv instead):
// y = (x * 1/sqrt(mean(x^2) + eps)) * w, with input rows optionally gathered by output_rows.
#include <metal_stdlib>
#include "kargs.h"
using namespace metal;

kernel void rmsnorm(constant NormArgs &a [[buffer(0)]],
                    device const int *step [[buffer(1)]],
                    device const float *x [[buffer(2)]],
                    device const float *w [[buffer(3)]],
                    device float *y [[buffer(4)]],
                    uint tgpig [[threadgroup_position_in_grid]],
                    ushort tid [[thread_index_in_threadgroup]],
                    ushort sgitg [[simdgroup_index_in_threadgroup]],
                    ushort tiisg [[thread_index_in_simdgroup]],
                    ushort nsg [[simdgroups_per_threadgroup]]) {
  threadgroup float partial[REDUCE_THREADS / SIMD_WIDTH];
  const int t = int(tgpig);
  if (t >= row_count(step, a.rows)) return;
  const int src = a.gather ? step[STEP_HEADER + 3 * a.cap + t] : t;
  device const float *xr = x + src * a.x_stride;
  float ss = 0.0f;
  for (int i = tid; i < a.dim; i += nsg * SIMD_WIDTH) ss += xr[i] * xr[i];
  ss = simd_sum(ss);
  if (tiisg == 0) partial[sgitg] = ss;
  threadgroup_barrier(mem_flags::mem_threadgroup);
  float total = 0.0f;
  for (int s = 0; s < nsg; s++) total += partial[s];
  const float scale = 1.0f / sqrt(total / float(a.dim) + a.eps);
  for (int i = tid; i < a.dim; i += nsg * SIMD_WIDTH) y[t * a.y_stride + i] = (xr[i] * scale) * w[i];
}
