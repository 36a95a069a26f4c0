/*
 * ingot_avx2_util.h — small AVX2 helpers shared by the SIMD dot-product files.
 */
#ifndef INGOT_AVX2_UTIL_H
#define INGOT_AVX2_UTIL_H

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

static inline float ingot_hsum_f32x8(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

static inline int ingot_hsum_i32x4(__m128i v) {
    v = _mm_add_epi32(v, _mm_unpackhi_epi64(v, v));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(v);
}

static inline int ingot_hsum_i32x8(__m256i v) {
    return ingot_hsum_i32x4(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
#define INGOT_HAVE_VNNI 1 /* ingot_dpbusd is one exact instruction, for any unsigned bytes */
#endif

/* acc + 8 int32 sums of 4 products of unsigned bytes u with signed bytes y. Exact (so VNNI and the
 * maddubs path agree) as long as no pair of products exceeds the int16 range, which holds for every
 * caller but the Q8_0 x8 layout's (u up to 255), which exists only with INGOT_HAVE_VNNI. */
static inline __m256i ingot_dpbusd(__m256i acc, __m256i u, __m256i y) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(acc, u, y);
#elif defined(__AVXVNNI__)
    return _mm256_dpbusd_avx_epi32(acc, u, y);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, y), _mm256_set1_epi16(1)));
#endif
}

/* 8 int32 sums of 4 products each of signed bytes x*y */
static inline __m256i ingot_dot_i8x32(__m256i x, __m256i y) {
    const __m256i ax = _mm256_sign_epi8(x, x); /* |x| as unsigned */
    const __m256i sy = _mm256_sign_epi8(y, x); /* y with x's sign */
    return ingot_dpbusd(_mm256_setzero_si256(), ax, sy);
}

/* 8 int32 sums of 4 products of unsigned bytes u (< 128) with signed bytes y */
static inline __m256i ingot_dot_u8i8x32(__m256i u, __m256i y) {
    return ingot_dpbusd(_mm256_setzero_si256(), u, y);
}

/* 32 nibbles of 16 bytes in value order: low nibbles (values 0..15) then high nibbles (16..31) */
static inline __m256i ingot_nibbles32(const uint8_t *p) {
    const __m128i t = _mm_loadu_si128((const __m128i *)p);
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* 32 bits -> 32 bytes, 0xFF where the bit is set */
static inline __m256i ingot_bits32_to_mask(const uint8_t *p) {
    uint32_t bits;
    memcpy(&bits, p, 4);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
        _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

/* int16 vector: low 128-bit lane all a, high lane all b */
static inline __m256i ingot_pair_i16(int a, int b) {
    return _mm256_set_m128i(_mm_set1_epi16((short)b), _mm_set1_epi16((short)a));
}
#endif

#endif
