/*
 * dot_avx2.c — AVX2/FMA/F16C dot products for the float types and the 32-value block types,
 * and the SIMD activation quantizers (Q8_0/Q8_1 with ggml's x86 rounding, Q8_K bit-identical to
 * the reference, fp16 rows via F16C).
 */
#include <math.h>

#include "ingot_avx2_util.h"
#include "ingot_fp16.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"

#if defined(INGOT_HAVE_AVX2)

#define QK 32

/* ---------------- float types ---------------- */
#define FLOAT_DOT_BODY(LOAD, SCALAR)                                                      \
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                        \
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();                        \
    int i = 0;                                                                            \
    for (; i + 32 <= n; i += 32) {                                                        \
        acc0 = _mm256_fmadd_ps(LOAD(a, i), LOAD(b, i), acc0);                             \
        acc1 = _mm256_fmadd_ps(LOAD(a, i + 8), LOAD(b, i + 8), acc1);                     \
        acc2 = _mm256_fmadd_ps(LOAD(a, i + 16), LOAD(b, i + 16), acc2);                   \
        acc3 = _mm256_fmadd_ps(LOAD(a, i + 24), LOAD(b, i + 24), acc3);                   \
    }                                                                                     \
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(LOAD(a, i), LOAD(b, i), acc0);      \
    double sum = ingot_hsum_f32x8(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3))); \
    for (; i < n; ++i) sum += (double)(SCALAR(a[i]) * SCALAR(b[i]));                      \
    *s = (float)sum;

#define LOAD_F32(p, i) _mm256_loadu_ps((p) + (i))
#define LOAD_F16(p, i) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((p) + (i))))
#define LOAD_BF16(p, i) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((p) + (i)))), 16))
#define SCALAR_F32(v) (v)

void ingot_dot_f32_avx2(int n, float *s, const void *w, const void *x) {
    const float *a = w, *b = x;
    FLOAT_DOT_BODY(LOAD_F32, SCALAR_F32)
}

void ingot_dot_f16_avx2(int n, float *s, const void *w, const void *x) {
    const uint16_t *a = w, *b = x;
    FLOAT_DOT_BODY(LOAD_F16, ingot_fp16_to_fp32)
}

void ingot_dot_bf16_avx2(int n, float *s, const void *w, const void *x) {
    const uint16_t *a = w, *b = x;
    FLOAT_DOT_BODY(LOAD_BF16, ingot_bf16_to_fp32)
}

void ingot_quant_f16_avx2(const float *src, void *dst, int64_t n) {
    uint16_t *h = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i) h[i] = ingot_fp32_to_fp16(src[i]);
}

/* ---------------- activation quantizers ---------------- */

/* one 32-value block: returns the 4 int32 vectors of rounded x*id (ggml's x86 from_float) */
static inline float q8_block_avx2(const float *x, __m256i out[4]) {
    __m256 v[4];
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 amax = _mm256_setzero_ps();
    for (int j = 0; j < 4; ++j) {
        v[j] = _mm256_loadu_ps(x + 8 * j);
        amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[j]));
    }
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(amax, 1), _mm256_castps256_ps128(amax));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float maxv = _mm_cvtss_f32(m4);
    const float id = maxv != 0.0f ? 127.f / maxv : 0.0f;
    const __m256 mul = _mm256_set1_ps(id);
    for (int j = 0; j < 4; ++j)
        out[j] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[j], mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return maxv / 127.f;
}

static inline void store_i8x32(int8_t *dst, const __m256i q[4]) {
    const __m256i a = _mm256_packs_epi32(q[0], q[1]);
    const __m256i b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i p = _mm256_packs_epi16(a, b);
    _mm256_storeu_si256((__m256i *)dst, _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

void ingot_quant_q8_0_avx2(const float *x, void *dst, int64_t n) {
    ingot_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        __m256i q[4];
        const float d = q8_block_avx2(x, q);
        y[i].d = ingot_fp32_to_fp16(d);
        store_i8x32(y[i].qs, q);
    }
}

void ingot_quant_q8_1_avx2(const float *x, void *dst, int64_t n) {
    ingot_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        __m256i q[4];
        const float d = q8_block_avx2(x, q);
        y[i].d = ingot_fp32_to_fp16(d);
        const int sum = ingot_hsum_i32x8(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
        y[i].s = ingot_fp32_to_fp16(d * sum);
        store_i8x32(y[i].qs, q);
    }
}

/* bit-identical to ingot_quant_q8_K_ref (RNE rounding = nearest_int) */
void ingot_quant_q8_K_avx2(const float *x, void *dst, int64_t n) {
    ingot_block_q8_K *y = dst;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / INGOT_QK_K; ++i, x += INGOT_QK_K) {
        __m256 am = _mm256_setzero_ps();
        for (int j = 0; j < INGOT_QK_K; j += 8) am = _mm256_max_ps(am, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
        __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(am, 1), _mm256_castps256_ps128(am));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        if (!(amax > 0.0f)) {
            ingot_quant_q8_K_ref(x, &y[i], INGOT_QK_K); /* zero block (or NaN): reference path */
            continue;
        }
        float max = amax;
        for (int j = 0; j < INGOT_QK_K; ++j) { /* first value of maximal magnitude, with its sign */
            if (fabsf(x[j]) == amax) { max = x[j]; break; }
        }
        const float iscale = -127.f / max;
        const __m256 mul = _mm256_set1_ps(iscale);
        for (int j = 0; j < INGOT_QK_K; j += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; ++k) {
                const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), mul);
                q[k] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)),
                                        _mm256_set1_epi32(127));
            }
            store_i8x32(y[i].qs + j, q);
            /* group sums of 16: values j..j+15 are q[0],q[1]; j+16..j+31 are q[2],q[3] */
            const __m256i s01 = _mm256_add_epi32(q[0], q[1]), s23 = _mm256_add_epi32(q[2], q[3]);
            y[i].bsums[j / 16] = (int16_t)ingot_hsum_i32x8(s01);
            y[i].bsums[j / 16 + 1] = (int16_t)ingot_hsum_i32x8(s23);
        }
        y[i].d = 1 / iscale;
    }
}

/* ---------------- 32-value block dot products ---------------- */

void ingot_dot_q8_0_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q8_0 *x = w, *y = xv;
    const int nb = n / QK;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 1 < nb; i += 2) {
        const __m256i p0 = ingot_dot_i8x32(_mm256_loadu_si256((const __m256i *)x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs));
        const __m256i p1 = ingot_dot_i8x32(_mm256_loadu_si256((const __m256i *)x[i + 1].qs), _mm256_loadu_si256((const __m256i *)y[i + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i + 1].d) * ingot_fp16_to_fp32(y[i + 1].d)), _mm256_cvtepi32_ps(p1), acc1);
    }
    for (; i < nb; ++i) {
        const __m256i p = ingot_dot_i8x32(_mm256_loadu_si256((const __m256i *)x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p), acc0);
    }
    *s = ingot_hsum_f32x8(_mm256_add_ps(acc0, acc1));
}

void ingot_dot_q8_1_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q8_1 *x = w, *y = xv;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK; ++i) {
        const __m256i p = ingot_dot_i8x32(_mm256_loadu_si256((const __m256i *)x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    *s = ingot_hsum_f32x8(acc);
}

void ingot_dot_q4_0_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_0 *x = w;
    const ingot_block_q8_0 *y = xv;
    const int nb = n / QK;
    const __m256i off = _mm256_set1_epi8(8);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 1 < nb; i += 2) {
        const __m256i q0 = _mm256_sub_epi8(ingot_nibbles32(x[i].qs), off);
        const __m256i q1 = _mm256_sub_epi8(ingot_nibbles32(x[i + 1].qs), off);
        const __m256i p0 = ingot_dot_i8x32(q0, _mm256_loadu_si256((const __m256i *)y[i].qs));
        const __m256i p1 = ingot_dot_i8x32(q1, _mm256_loadu_si256((const __m256i *)y[i + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i + 1].d) * ingot_fp16_to_fp32(y[i + 1].d)), _mm256_cvtepi32_ps(p1), acc1);
    }
    for (; i < nb; ++i) {
        const __m256i q = _mm256_sub_epi8(ingot_nibbles32(x[i].qs), off);
        const __m256i p = ingot_dot_i8x32(q, _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p), acc0);
    }
    *s = ingot_hsum_f32x8(_mm256_add_ps(acc0, acc1));
}

void ingot_dot_q4_1_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_1 *x = w;
    const ingot_block_q8_1 *y = xv;
    __m256 acc = _mm256_setzero_ps();
    float summs = 0;
    for (int i = 0; i < n / QK; ++i) {
        summs += ingot_fp16_to_fp32(x[i].m) * ingot_fp16_to_fp32(y[i].s);
        const __m256i p = ingot_dot_u8i8x32(ingot_nibbles32(x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    *s = ingot_hsum_f32x8(acc) + summs;
}

void ingot_dot_q5_0_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q5_0 *x = w;
    const ingot_block_q8_0 *y = xv;
    const __m256i b16 = _mm256_set1_epi8(16);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK; ++i) {
        const __m256i hi = _mm256_and_si256(ingot_bits32_to_mask(x[i].qh), b16);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(ingot_nibbles32(x[i].qs), hi), b16);
        const __m256i p = ingot_dot_i8x32(q, _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    *s = ingot_hsum_f32x8(acc);
}

void ingot_dot_q5_1_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q5_1 *x = w;
    const ingot_block_q8_1 *y = xv;
    const __m256i b16 = _mm256_set1_epi8(16);
    __m256 acc = _mm256_setzero_ps();
    float summs = 0;
    for (int i = 0; i < n / QK; ++i) {
        summs += ingot_fp16_to_fp32(x[i].m) * ingot_fp16_to_fp32(y[i].s);
        const __m256i hi = _mm256_and_si256(ingot_bits32_to_mask(x[i].qh), b16);
        const __m256i q = _mm256_or_si256(ingot_nibbles32(x[i].qs), hi);
        const __m256i p = ingot_dot_u8i8x32(q, _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    *s = ingot_hsum_f32x8(acc) + summs;
}

#else
typedef int ingot_dot_avx2_unused; /* ISO C forbids an empty translation unit */
#endif
