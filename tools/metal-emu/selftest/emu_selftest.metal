// emu_selftest.metal — kernels that exercise the emulator's semantics (threadgroup memory shared by
// the threadgroup, barriers, simdgroup exchanges with a partial simdgroup, simdgroup_matrix, and a
// deliberate deadlock). Compiled only by tests/metal/emulator.test.ts, never dispatched on a GPU.
#include <metal_stdlib>
using namespace metal;

// out[tid] = value written by the next thread before the barrier.
kernel void barrier_rotate(device int *out [[buffer(0)]],
                           ushort tid [[thread_index_in_threadgroup]],
                           ushort ntg [[threads_per_threadgroup]],
                           uint tgpig [[threadgroup_position_in_grid]]) {
  threadgroup int first[64];
  threadgroup int second[64];
  first[tid] = int(tid) + 1000 * int(tgpig);
  second[tid] = -int(tid);
  threadgroup_barrier(mem_flags::mem_threadgroup);
  out[tgpig * ntg + tid] = first[(tid + 1) % ntg] + second[tid] * 0;
}

// Per lane: simd_sum, simd_max, simd_shuffle_down and simd_broadcast of its lane index.
kernel void simd_ops(device float4 *out [[buffer(0)]],
                     ushort tid [[thread_index_in_threadgroup]],
                     ushort tiisg [[thread_index_in_simdgroup]]) {
  const float v = float(tiisg);
  out[tid] = float4(simd_sum(v), simd_max(v), simd_shuffle_down(v, ushort(1)), simd_broadcast(v, ushort(3)));
}

// c = a * b^T for 8x8 a, b (row-major), through simdgroup matrices.
kernel void matrix_8x8(device const float *a [[buffer(0)]],
                       device const float *b [[buffer(1)]],
                       device float *c [[buffer(2)]]) {
  threadgroup float ta[64];
  threadgroup float tb[64];
  threadgroup float tc[64];
  for (int i = 0; i < 64; i++) {
    ta[i] = a[i];
    tb[i] = b[i];
  }
  simdgroup_float8x8 ma, mb;
  simdgroup_float8x8 mc = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
  simdgroup_load(ma, ta, 8, ulong2(0, 0), false);
  simdgroup_load(mb, tb, 8, ulong2(0, 0), true);
  simdgroup_multiply_accumulate(mc, ma, mb, mc);
  simdgroup_store(mc, tc, 8, ulong2(0, 0), false);
  simdgroup_barrier(mem_flags::mem_threadgroup);
  for (int i = 0; i < 64; i++) c[i] = tc[i];
}

// Lane 0 of the second simdgroup enters a simdgroup reduction its siblings never reach: they wait at
// a threadgroup barrier that needs lane 0.
kernel void deadlock(device float *out [[buffer(0)]],
                     ushort tid [[thread_index_in_threadgroup]]) {
  if (tid == 32) out[0] = simd_sum(1.0f);
  threadgroup_barrier(mem_flags::mem_threadgroup);
}
