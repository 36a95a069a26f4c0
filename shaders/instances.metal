// instances.metal — generated from ts/engine/metal/kernel-table.ts by tools/metal-emu/build.ts: do not edit.
// One explicit instantiation per (kernel template, weight type).
#include <metal_stdlib>
#include "get_rows.h"
#include "mul_mv.h"
#include "mul_mm.h"
using namespace metal;

typedef decltype(get_rows<WF32>) get_rows_t;
template [[host_name("get_rows_f32")]] kernel get_rows_t get_rows<WF32>;
template [[host_name("get_rows_f16")]] kernel get_rows_t get_rows<WF16>;
template [[host_name("get_rows_bf16")]] kernel get_rows_t get_rows<WBF16>;
template [[host_name("get_rows_q4_0")]] kernel get_rows_t get_rows<WQ4_0>;
template [[host_name("get_rows_q4_1")]] kernel get_rows_t get_rows<WQ4_1>;
template [[host_name("get_rows_q5_0")]] kernel get_rows_t get_rows<WQ5_0>;
template [[host_name("get_rows_q5_1")]] kernel get_rows_t get_rows<WQ5_1>;
template [[host_name("get_rows_q8_0")]] kernel get_rows_t get_rows<WQ8_0>;
template [[host_name("get_rows_q2_K")]] kernel get_rows_t get_rows<WQ2_K>;
template [[host_name("get_rows_q3_K")]] kernel get_rows_t get_rows<WQ3_K>;
template [[host_name("get_rows_q4_K")]] kernel get_rows_t get_rows<WQ4_K>;
template [[host_name("get_rows_q5_K")]] kernel get_rows_t get_rows<WQ5_K>;
template [[host_name("get_rows_q6_K")]] kernel get_rows_t get_rows<WQ6_K>;

typedef decltype(mul_mv<WF32>) mul_mv_t;
template [[host_name("mul_mv_f32")]] kernel mul_mv_t mul_mv<WF32>;
template [[host_name("mul_mv_f16")]] kernel mul_mv_t mul_mv<WF16>;
template [[host_name("mul_mv_bf16")]] kernel mul_mv_t mul_mv<WBF16>;
template [[host_name("mul_mv_q4_0")]] kernel mul_mv_t mul_mv<WQ4_0>;
template [[host_name("mul_mv_q4_1")]] kernel mul_mv_t mul_mv<WQ4_1>;
template [[host_name("mul_mv_q5_0")]] kernel mul_mv_t mul_mv<WQ5_0>;
template [[host_name("mul_mv_q5_1")]] kernel mul_mv_t mul_mv<WQ5_1>;
template [[host_name("mul_mv_q8_0")]] kernel mul_mv_t mul_mv<WQ8_0>;
template [[host_name("mul_mv_q2_K")]] kernel mul_mv_t mul_mv<WQ2_K>;
template [[host_name("mul_mv_q3_K")]] kernel mul_mv_t mul_mv<WQ3_K>;
template [[host_name("mul_mv_q4_K")]] kernel mul_mv_t mul_mv<WQ4_K>;
template [[host_name("mul_mv_q5_K")]] kernel mul_mv_t mul_mv<WQ5_K>;
template [[host_name("mul_mv_q6_K")]] kernel mul_mv_t mul_mv<WQ6_K>;

typedef decltype(mul_mm<WF32>) mul_mm_t;
template [[host_name("mul_mm_f32")]] kernel mul_mm_t mul_mm<WF32>;
template [[host_name("mul_mm_f16")]] kernel mul_mm_t mul_mm<WF16>;
template [[host_name("mul_mm_bf16")]] kernel mul_mm_t mul_mm<WBF16>;
template [[host_name("mul_mm_q4_0")]] kernel mul_mm_t mul_mm<WQ4_0>;
template [[host_name("mul_mm_q4_1")]] kernel mul_mm_t mul_mm<WQ4_1>;
template [[host_name("mul_mm_q5_0")]] kernel mul_mm_t mul_mm<WQ5_0>;
template [[host_name("mul_mm_q5_1")]] kernel mul_mm_t mul_mm<WQ5_1>;
template [[host_name("mul_mm_q8_0")]] kernel mul_mm_t mul_mm<WQ8_0>;
template [[host_name("mul_mm_q2_K")]] kernel mul_mm_t mul_mm<WQ2_K>;
template [[host_name("mul_mm_q3_K")]] kernel mul_mm_t mul_mm<WQ3_K>;
template [[host_name("mul_mm_q4_K")]] kernel mul_mm_t mul_mm<WQ4_K>;
template [[host_name("mul_mm_q5_K")]] kernel mul_mm_t mul_mm<WQ5_K>;
template [[host_name("mul_mm_q6_K")]] kernel mul_mm_t mul_mm<WQ6_K>;
