// elementwise.metal — the unfused forms of SwiGLU, add (also bias: b_stride 0) and gather, for
// batches and for graphs the fusions do not cover. Grid: (ceil(dim / threads), capacity).
#include <metal_stdlib>
#include "kargs.h"
using namespace metal;

kernel void swiglu(constant EltArgs &a [[buffer(0)]],
                   device const int *step [[buffer(1)]],
                   device const float *gate [[buffer(2)]],
                   device const float *up [[buffer(3)]],
                   device float *y [[buffer(4)]],
                   uint2 gid [[thread_position_in_grid]]) {
  const int i = int(gid.x), t = int(gid.y);
  if (i >= a.dim || t >= row_count(step, a.rows)) return;
  const float g = gate[t * a.stride + i];
  y[t * a.stride + i] = g / (1.0f + exp(-g)) * up[t * a.b_stride + i];
}

kernel void add(constant EltArgs &a [[buffer(0)]],
                device const int *step [[buffer(1)]],
                device const float *x [[buffer(2)]],
                device const float *b [[buffer(3)]],
                device float *y [[buffer(4)]],
                uint2 gid [[thread_position_in_grid]]) {
  const int i = int(gid.x), t = int(gid.y);
  if (i >= a.dim || t >= row_count(step, a.rows)) return;
  y[t * a.stride + i] = x[t * a.stride + i] + b[t * a.b_stride + i];
}

// y[r] = x[output_rows[r]] for the step's output rows (b_stride: stride of x).
kernel void gather(constant EltArgs &a [[buffer(0)]],
                   device const int *step [[buffer(1)]],
                   device const float *x [[buffer(2)]],
                   device float *y [[buffer(3)]],
                   uint2 gid [[thread_position_in_grid]]) {
  const int i = int(gid.x), r = int(gid.y);
  if (i >= a.dim || r >= step[STEP_N_OUTPUTS]) return;
  y[r * a.stride + i] = x[step[STEP_HEADER + 3 * a.cap + r] * a.b_stride + i];
}
