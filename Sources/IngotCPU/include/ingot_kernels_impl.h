/*
 * ingot_kernels_impl.h — per-type kernel functions behind the traits table (type_traits.c).
 * Internal to the kernel library: the executor uses ingot_kernels.h.
 *
 * Naming: ingot_dequant_<t> (to float), ingot_quant_<t>_ref (ggml's reference quantizer),
 * ingot_quant_<t> (fast activation quantizer), ingot_dot_<t>_scalar / _avx2 / _neon.
 */
#ifndef INGOT_KERNELS_IMPL_H
#define INGOT_KERNELS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* round half to even via the 1.5*2^23 trick (valid for |x| <= 2^22), as ggml's nearest_int */
static inline int ingot_nearest_int(float fval) {
    const float val = fval + 12582912.f;
    int i;
    memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

/* K-quant scale searches (quant_k_search.c); L receives the codes, the return value is the scale */
float ingot_make_qx_quants(int n, int nmax, const float *x, int8_t *L, int rmse_type);
float ingot_make_q3_quants(int n, int nmax, const float *x, int8_t *L);
float ingot_make_qkx2_quants(int n, int nmax, const float *x, const float *weights, uint8_t *L, float *the_min,
                             uint8_t *Laux, float rmin, float rdelta, int nstep, bool use_mad);

#define INGOT_DECL_TYPE(t)                                                        \
    void ingot_dequant_##t(const void *src, float *dst, int64_t n);               \
    void ingot_quant_##t##_ref(const float *src, void *dst, int64_t n);           \
    void ingot_dot_##t##_scalar(int n, float *s, const void *w, const void *x);

INGOT_DECL_TYPE(f32)
INGOT_DECL_TYPE(f16)
INGOT_DECL_TYPE(bf16)
INGOT_DECL_TYPE(q4_0)
INGOT_DECL_TYPE(q4_1)
INGOT_DECL_TYPE(q5_0)
INGOT_DECL_TYPE(q5_1)
INGOT_DECL_TYPE(q8_0)
INGOT_DECL_TYPE(q8_1)
INGOT_DECL_TYPE(q2_K)
INGOT_DECL_TYPE(q3_K)
INGOT_DECL_TYPE(q4_K)
INGOT_DECL_TYPE(q5_K)
INGOT_DECL_TYPE(q6_K)
INGOT_DECL_TYPE(q8_K)

/* fast activation quantizers (SIMD when compiled in); same output as ggml's CPU from_float */
void ingot_quant_f16(const float *src, void *dst, int64_t n);
void ingot_quant_bf16(const float *src, void *dst, int64_t n);
void ingot_quant_q8_0(const float *src, void *dst, int64_t n);
void ingot_quant_q8_1(const float *src, void *dst, int64_t n);
void ingot_quant_q8_K(const float *src, void *dst, int64_t n);

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define INGOT_HAVE_AVX2 1
#define INGOT_DECL_AVX2(t) void ingot_dot_##t##_avx2(int n, float *s, const void *w, const void *x);
INGOT_DECL_AVX2(f32)
INGOT_DECL_AVX2(f16)
INGOT_DECL_AVX2(bf16)
INGOT_DECL_AVX2(q4_0)
INGOT_DECL_AVX2(q4_1)
INGOT_DECL_AVX2(q5_0)
INGOT_DECL_AVX2(q5_1)
INGOT_DECL_AVX2(q8_0)
INGOT_DECL_AVX2(q8_1)
INGOT_DECL_AVX2(q2_K)
INGOT_DECL_AVX2(q3_K)
INGOT_DECL_AVX2(q4_K)
INGOT_DECL_AVX2(q5_K)
INGOT_DECL_AVX2(q6_K)
INGOT_DECL_AVX2(q8_K)
void ingot_quant_q8_0_avx2(const float *src, void *dst, int64_t n);
void ingot_quant_q8_1_avx2(const float *src, void *dst, int64_t n);
void ingot_quant_q8_K_avx2(const float *src, void *dst, int64_t n);
void ingot_quant_f16_avx2(const float *src, void *dst, int64_t n);
#define INGOT_DECL_TILE(t) \
    void ingot_tile_##t##_avx2(int n, int nt, float *s, size_t lds, const void *w, const void *x, size_t ldx, \
                               const float *xs, size_t ldxs);
#define INGOT_DECL_ROWS(t) \
    void ingot_rows_##t##_avx2(int n, int nr, float *s, const void *w, size_t ldw, const void *x, const float *xs);
INGOT_DECL_ROWS(q4_0)
INGOT_DECL_ROWS(q5_0)
INGOT_DECL_TILE(f16)
INGOT_DECL_TILE(q4_0)
INGOT_DECL_TILE(q5_0)
INGOT_DECL_TILE(q8_0)
INGOT_DECL_TILE(q4_K)
INGOT_DECL_TILE(q6_K)
#endif

#if defined(__ARM_NEON) && defined(__aarch64__)
#define INGOT_HAVE_NEON 1
#define INGOT_DECL_NEON(t) void ingot_dot_##t##_neon(int n, float *s, const void *w, const void *x);
INGOT_DECL_NEON(f32)
INGOT_DECL_NEON(f16)
INGOT_DECL_NEON(q4_0)
INGOT_DECL_NEON(q8_0)
INGOT_DECL_NEON(q4_K)
INGOT_DECL_NEON(q6_K)
void ingot_quant_q8_0_neon(const float *src, void *dst, int64_t n);
#endif

#endif
