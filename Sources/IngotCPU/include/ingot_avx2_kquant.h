/*
 * ingot_avx2_kquant.h — K-quant helpers shared by the single-token dot products (dot_avx2_k.c) and the
 * multi-token tiles (tile_avx2_k.c): scale unpacking and the bsums corrections.
 */
#ifndef INGOT_AVX2_KQUANT_H
#define INGOT_AVX2_KQUANT_H

#include "ingot_avx2_util.h"
#include "ingot_quant_blocks.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)

static inline __m256i load256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* sum over 16 groups of scale[g] * bsums[g], scales given as 16 bytes (signed or unsigned) */
static inline int scaled_bsums_i8(const int8_t *scales, const int16_t *bsums) {
    const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)scales));
    return ingot_hsum_i32x8(_mm256_madd_epi16(sc, load256(bsums)));
}

static inline int scaled_bsums_u8(const uint8_t *scales, const int16_t *bsums) {
    const __m256i sc = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)scales));
    return ingot_hsum_i32x8(_mm256_madd_epi16(sc, load256(bsums)));
}

/* ---------------- Q4_K / Q5_K scale unpacking ---------------- */
/* bytes 0..7: the 8 sub-block scales, bytes 8..15: the 8 mins */
static inline void k4_unpack_scales(const uint8_t *packed, uint8_t out[16]) {
    uint32_t u[4];
    memcpy(u, packed, 12);
    const uint32_t m6 = 0x3f3f3f3fu, m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    u[3] = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4); /* mins 4..7 */
    const uint32_t mins_lo = u[1] & m6;                     /* mins 0..3 */
    u[1] = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);         /* scales 4..7 */
    u[2] = mins_lo;
    u[0] &= m6;                                             /* scales 0..3 */
    memcpy(out, u, 16);
}

/* sum over the 8 sub-blocks of min[j] * (bsums[2j] + bsums[2j+1]) */
static inline int k4_mins_dot(const uint8_t *mins8, const int16_t *bsums) {
    const __m128i mins = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mins8));
    const __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)bsums), _mm_loadu_si128((const __m128i *)(bsums + 8)));
    return ingot_hsum_i32x4(_mm_madd_epi16(mins, pairs));
}

/* Q6_K: the 6-bit quants of half `c` (0 or 1) of a block, as four vectors of 32 values in 0..63
 * (the -32 offset is applied by the caller through the scale sums). */
static inline void q6_K_unpack_half(const ingot_block_q6_K *b, int c, __m256i q[4]) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
    const __m256i ql0 = load256(b->ql + 64 * c), ql1 = load256(b->ql + 64 * c + 32);
    const __m256i qh = load256(b->qh + 32 * c);
    q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4));
    q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4));
}

#endif
#endif
