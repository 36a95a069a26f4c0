/*
 * ingot_repack_avx2.h — AVX2 pieces shared by the eight-row layouts' kernels (repack_*.c).
 */
#ifndef INGOT_REPACK_AVX2_H
#define INGOT_REPACK_AVX2_H

#include <immintrin.h>
#include <string.h>

#include "ingot_avx2_util.h"
#include "ingot_quant_blocks.h"
#include "ingot_repack.h"

#define INGOT_X8_INLINE static inline __attribute__((always_inline))

/* The four activation bytes at p in every lane (dpbusd's signed operand). */
INGOT_X8_INLINE __m256i ingot_broadcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* The closing step of a super-block for the K-quants with mins (Q2_K, Q4_K, Q5_K): returns
 * acc + d[r] d_x isum[r] - dmin[r] d_x msum[r], where msum[r] = the sum over `pairs` of madd(mins[p],
 * pair_sums[p]): mins[p] holds each row's mins of two sub-blocks as int16, pair_sums[p] the
 * activation's sums of those two sub-blocks as the int16 halves of one int32. */
INGOT_X8_INLINE __m256 ingot_x8_scales_mins(__m256 acc, __m256 wd, __m256 wmin, float xd, __m256i isum, const __m256i *mins,
                                            int pairs, const int32_t *pair_sums) {
    __m256i msum = _mm256_madd_epi16(mins[0], _mm256_set1_epi32(pair_sums[0]));
    for (int p = 1; p < pairs; ++p) msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mins[p], _mm256_set1_epi32(pair_sums[p])));
    const __m256 yd = _mm256_set1_ps(xd);
    acc = _mm256_fmadd_ps(_mm256_mul_ps(wd, yd), _mm256_cvtepi32_ps(isum), acc);
    return _mm256_fnmadd_ps(_mm256_mul_ps(wmin, yd), _mm256_cvtepi32_ps(msum), acc);
}

/* Writes q[g] = values 4g..4g+3 of each of the eight rows of one block column (lane r = row r),
 * unsigned, offset by the amount the layout's terms remove. */
typedef void (*ingot_x8_unpack32_fn)(const uint8_t *column, __m256i q[8]);

/* The kernel of the 32-value layouts. Each column starts with the rows' fp16 scales d.
 *   MINS 0 (Q4_0, Q5_0, Q8_0; Q8_0 activations): y[t*ldy + r] = sum over blocks of
 *          d[r] d_x (dot(q, x) - off), off = the layout's offset term of the activation block;
 *   MINS 1 (Q4_1, Q5_1; Q8_1 activations, whose s = d_x sum x rides in the term's bits): the column
 *          has the rows' fp16 mins m after d, and y += d[r] d_x dot(q, x) + m[r] s. */
INGOT_X8_INLINE void ingot_x8_q8act_group(const int NT, const int MINS, int nb, const uint8_t *w, int column_bytes,
                                          ingot_x8_unpack32_fn unpack, const uint8_t *x, size_t ldx, const float *f,
                                          const int32_t *terms, float *y, size_t ldy) {
    __m256 acc[INGOT_X8_TOKENS];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b, w += column_bytes) {
        const __m256 wd = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
        __m256i q[8];
        unpack(w, q);
        for (int t = 0; t < NT; ++t) {
            const int8_t *xq = MINS ? ((const ingot_block_q8_1 *)(x + (size_t)t * ldx) + b)->qs
                                    : ((const ingot_block_q8_0 *)(x + (size_t)t * ldx) + b)->qs;
            __m256i p = _mm256_setzero_si256(), p2 = _mm256_setzero_si256();
            for (int g = 0; g < 8; g += 2) {
                p = ingot_dpbusd(p, q[g], ingot_broadcast4(xq + 4 * g));
                p2 = ingot_dpbusd(p2, q[g + 1], ingot_broadcast4(xq + 4 * g + 4));
            }
            __m256i dot = _mm256_add_epi32(p, p2);
            if (!MINS) dot = _mm256_sub_epi32(dot, _mm256_set1_epi32(terms[t * nb + b]));
            const __m256 scale = _mm256_mul_ps(wd, _mm256_set1_ps(f[t * nb + b]));
            acc[t] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(dot), acc[t]);
            if (MINS) {
                float s;
                memcpy(&s, &terms[t * nb + b], sizeof s);
                const __m256 wm = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * INGOT_X8_ROWS)));
                acc[t] = _mm256_fmadd_ps(wm, _mm256_set1_ps(s), acc[t]);
            }
        }
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (size_t)t * ldy, acc[t]);
}

#endif
