/*
 * type_traits.c — the per-type table, indexed by GGUF type id: block geometry, the activation
 * type of the dot product, and the kernels (best SIMD compiled in plus the scalar reference).
 */
#include <stddef.h>

#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"

#if defined(INGOT_HAVE_AVX2)
#define SIMD_DOT(t) ingot_dot_##t##_avx2
#define SIMD_NAME "avx2"
#elif defined(INGOT_HAVE_NEON)
#define SIMD_NAME "neon"
#else
#define SIMD_NAME "scalar"
#endif

#if defined(INGOT_HAVE_AVX2)
#define DOT_F32 SIMD_DOT(f32)
#define DOT_F16 SIMD_DOT(f16)
#define DOT_BF16 SIMD_DOT(bf16)
#define DOT_Q4_0 SIMD_DOT(q4_0)
#define DOT_Q4_1 SIMD_DOT(q4_1)
#define DOT_Q5_0 SIMD_DOT(q5_0)
#define DOT_Q5_1 SIMD_DOT(q5_1)
#define DOT_Q8_0 SIMD_DOT(q8_0)
#define DOT_Q8_1 SIMD_DOT(q8_1)
#define DOT_Q2_K SIMD_DOT(q2_K)
#define DOT_Q3_K SIMD_DOT(q3_K)
#define DOT_Q4_K SIMD_DOT(q4_K)
#define DOT_Q5_K SIMD_DOT(q5_K)
#define DOT_Q6_K SIMD_DOT(q6_K)
#define DOT_Q8_K SIMD_DOT(q8_K)
#else
#if defined(INGOT_HAVE_NEON)
#define DOT_F32 ingot_dot_f32_neon
#define DOT_F16 ingot_dot_f16_neon
#define DOT_Q4_0 ingot_dot_q4_0_neon
#define DOT_Q8_0 ingot_dot_q8_0_neon
#define DOT_Q4_K ingot_dot_q4_K_neon
#define DOT_Q6_K ingot_dot_q6_K_neon
#else
#define DOT_F32 ingot_dot_f32_scalar
#define DOT_F16 ingot_dot_f16_scalar
#define DOT_Q4_0 ingot_dot_q4_0_scalar
#define DOT_Q8_0 ingot_dot_q8_0_scalar
#define DOT_Q4_K ingot_dot_q4_K_scalar
#define DOT_Q6_K ingot_dot_q6_K_scalar
#endif
#define DOT_BF16 ingot_dot_bf16_scalar
#define DOT_Q4_1 ingot_dot_q4_1_scalar
#define DOT_Q5_0 ingot_dot_q5_0_scalar
#define DOT_Q5_1 ingot_dot_q5_1_scalar
#define DOT_Q8_1 ingot_dot_q8_1_scalar
#define DOT_Q2_K ingot_dot_q2_K_scalar
#define DOT_Q3_K ingot_dot_q3_K_scalar
#define DOT_Q5_K ingot_dot_q5_K_scalar
#define DOT_Q8_K ingot_dot_q8_K_scalar
#endif

#if defined(INGOT_HAVE_AVX2)
#define TILE(t) ingot_tile_##t##_avx2
#define ROWS(t) ingot_rows_##t##_avx2
#else
#define TILE(t) NULL
#define ROWS(t) NULL
#endif

#define ENTRY(id, nm, bs, ts, vdt, t, from, ref, dot)                                          \
    [id] = { nm, bs, ts, vdt, ingot_dequant_##t, from, ref, dot, ingot_dot_##t##_scalar, NULL, NULL }
#define ENTRY_TILED(id, nm, bs, ts, vdt, t, from, ref, dot)                                    \
    [id] = { nm, bs, ts, vdt, ingot_dequant_##t, from, ref, dot, ingot_dot_##t##_scalar, TILE(t), NULL }
#define ENTRY_TILED_ROWS(id, nm, bs, ts, vdt, t, from, ref, dot)                               \
    [id] = { nm, bs, ts, vdt, ingot_dequant_##t, from, ref, dot, ingot_dot_##t##_scalar, TILE(t), ROWS(t) }

/* Q8_0 decodes through vec_dot, not its row kernel: streaming one row after another from DRAM runs at
 * 34 GB/s on two threads (the memory's limit here), the 4-row kernel's interleaved streams at 19. */
static const ingot_type_traits k_traits[INGOT_TYPE_COUNT] = {
    ENTRY(INGOT_TYPE_F32, "f32", 1, 4, INGOT_TYPE_F32, f32, ingot_quant_f32_ref, ingot_quant_f32_ref, DOT_F32),
    ENTRY_TILED(INGOT_TYPE_F16, "f16", 1, 2, INGOT_TYPE_F16, f16, ingot_quant_f16, ingot_quant_f16_ref, DOT_F16),
    ENTRY(INGOT_TYPE_BF16, "bf16", 1, 2, INGOT_TYPE_BF16, bf16, ingot_quant_bf16, ingot_quant_bf16_ref, DOT_BF16),
    ENTRY_TILED_ROWS(INGOT_TYPE_Q4_0, "q4_0", 32, 18, INGOT_TYPE_Q8_0, q4_0, ingot_quant_q4_0_ref, ingot_quant_q4_0_ref, DOT_Q4_0),
    ENTRY(INGOT_TYPE_Q4_1, "q4_1", 32, 20, INGOT_TYPE_Q8_1, q4_1, ingot_quant_q4_1_ref, ingot_quant_q4_1_ref, DOT_Q4_1),
    ENTRY_TILED_ROWS(INGOT_TYPE_Q5_0, "q5_0", 32, 22, INGOT_TYPE_Q8_0, q5_0, ingot_quant_q5_0_ref, ingot_quant_q5_0_ref, DOT_Q5_0),
    ENTRY(INGOT_TYPE_Q5_1, "q5_1", 32, 24, INGOT_TYPE_Q8_1, q5_1, ingot_quant_q5_1_ref, ingot_quant_q5_1_ref, DOT_Q5_1),
    ENTRY_TILED(INGOT_TYPE_Q8_0, "q8_0", 32, 34, INGOT_TYPE_Q8_0, q8_0, ingot_quant_q8_0, ingot_quant_q8_0_ref, DOT_Q8_0),
    ENTRY(INGOT_TYPE_Q8_1, "q8_1", 32, 36, INGOT_TYPE_Q8_1, q8_1, ingot_quant_q8_1, NULL, DOT_Q8_1),
    ENTRY(INGOT_TYPE_Q2_K, "q2_K", 256, 84, INGOT_TYPE_Q8_K, q2_K, ingot_quant_q2_K_ref, ingot_quant_q2_K_ref, DOT_Q2_K),
    ENTRY(INGOT_TYPE_Q3_K, "q3_K", 256, 110, INGOT_TYPE_Q8_K, q3_K, ingot_quant_q3_K_ref, ingot_quant_q3_K_ref, DOT_Q3_K),
    ENTRY_TILED(INGOT_TYPE_Q4_K, "q4_K", 256, 144, INGOT_TYPE_Q8_K, q4_K, ingot_quant_q4_K_ref, ingot_quant_q4_K_ref, DOT_Q4_K),
    ENTRY(INGOT_TYPE_Q5_K, "q5_K", 256, 176, INGOT_TYPE_Q8_K, q5_K, ingot_quant_q5_K_ref, ingot_quant_q5_K_ref, DOT_Q5_K),
    ENTRY_TILED(INGOT_TYPE_Q6_K, "q6_K", 256, 210, INGOT_TYPE_Q8_K, q6_K, ingot_quant_q6_K_ref, ingot_quant_q6_K_ref, DOT_Q6_K),
    ENTRY(INGOT_TYPE_Q8_K, "q8_K", 256, 292, INGOT_TYPE_Q8_K, q8_K, ingot_quant_q8_K, NULL, DOT_Q8_K),
};

const ingot_type_traits *ingot_get_type_traits(int type) {
    if (type < 0 || type >= INGOT_TYPE_COUNT) return NULL;
    const ingot_type_traits *t = &k_traits[type];
    return t->name ? t : NULL;
}

size_t ingot_row_size(int type, int64_t n) {
    const ingot_type_traits *t = ingot_get_type_traits(type);
    if (!t || n < 0 || n % t->block_size) return 0;
    return (size_t)(n / t->block_size) * (size_t)t->type_size;
}

size_t ingot_act_row_size(int weight_type, int64_t k) {
    const ingot_type_traits *t = ingot_get_type_traits(weight_type);
    return t ? ingot_row_size(t->vec_dot_type, k) : 0;
}

const char *ingot_simd_name(void) { return SIMD_NAME; }
