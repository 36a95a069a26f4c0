/*
 * tile_avx2_k.c — multi-token dot products ("tiles") of the K-quants Q4_K and Q6_K with Q8_K
 * activations: one weight row against 1..INGOT_TILE_TOKENS activation rows.
 *
 * The super-block's codes and scales are unpacked once and reused for every token. Per output the
 * float operations are those of the single-token vec_dot (dot_avx2_k.c) in the same order, and the
 * integer sums are exact, so results are bit-identical to vec_dot's.
 */
#include "ingot_avx2_kquant.h"
#include "ingot_avx2_util.h"
#include "ingot_fp16.h"
#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"

#if defined(INGOT_HAVE_AVX2)

#define QK_K INGOT_QK_K
#define INLINE static inline __attribute__((always_inline))

INLINE const ingot_block_q8_K *token_block(const uint8_t *x, size_t ldx, int t, int i) {
    return (const ingot_block_q8_K *)(x + (size_t)t * ldx) + i;
}

INLINE void q4_K_n(const int NT, int n, float *s, size_t lds, const void *w, const uint8_t *x, size_t ldx) {
    const ingot_block_q4_K *wb = w;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[INGOT_TILE_TOKENS];
    float acc_m[INGOT_TILE_TOKENS];
    for (int t = 0; t < NT; ++t) {
        acc[t] = _mm256_setzero_ps();
        acc_m[t] = 0.0f;
    }
    for (int i = 0; i < n / QK_K; ++i) {
        uint8_t sm[16];
        k4_unpack_scales(wb[i].scales, sm);
        __m256i sumi[INGOT_TILE_TOKENS];
        for (int t = 0; t < NT; ++t) sumi[t] = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j) {
            const __m256i bits = load256(wb[i].qs + 32 * j);
            const __m256i lo = _mm256_and_si256(bits, m4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            const __m256i sl = _mm256_set1_epi16(sm[2 * j]), sh = _mm256_set1_epi16(sm[2 * j + 1]);
            for (int t = 0; t < NT; ++t) {
                const int8_t *q8 = token_block(x, ldx, t, i)->qs + 64 * j;
                const __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(q8)), sl);
                const __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(q8 + 32)), sh);
                sumi[t] = _mm256_add_epi32(sumi[t], _mm256_add_epi32(pl, ph));
            }
        }
        const float wd = ingot_fp16_to_fp32(wb[i].d), wmin = ingot_fp16_to_fp32(wb[i].dmin);
        for (int t = 0; t < NT; ++t) {
            const ingot_block_q8_K *y = token_block(x, ldx, t, i);
            const float d = y->d * wd, dmin = y->d * wmin;
            acc_m[t] += dmin * (float)k4_mins_dot(sm + 8, y->bsums);
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) s[(size_t)t * lds] = ingot_hsum_f32x8(acc[t]) - acc_m[t];
}

INLINE void q6_K_n(const int NT, int n, float *s, size_t lds, const void *w, const uint8_t *x, size_t ldx) {
    const ingot_block_q6_K *wb = w;
    __m256 acc[INGOT_TILE_TOKENS];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int i = 0; i < n / QK_K; ++i) {
        const int8_t *sc = wb[i].scales;
        __m256i sumi[INGOT_TILE_TOKENS];
        for (int t = 0; t < NT; ++t) sumi[t] = _mm256_setzero_si256();
        for (int c = 0; c < 2; ++c) {
            __m256i q[4];
            q6_K_unpack_half(&wb[i], c, q);
            for (int m = 0; m < 4; ++m) {
                const int g = 8 * c + 2 * m;
                const __m256i scp = ingot_pair_i16(sc[g], sc[g + 1]);
                for (int t = 0; t < NT; ++t) {
                    const int8_t *q8 = token_block(x, ldx, t, i)->qs + 128 * c + 32 * m;
                    sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(_mm256_maddubs_epi16(q[m], load256(q8)), scp));
                }
            }
        }
        const float wd = ingot_fp16_to_fp32(wb[i].d);
        for (int t = 0; t < NT; ++t) {
            const ingot_block_q8_K *y = token_block(x, ldx, t, i);
            const int corr = 32 * scaled_bsums_i8(sc, y->bsums); /* the -32 offset of the codes */
            const float d = wd * y->d;
            const __m256i total = _mm256_sub_epi32(sumi[t], _mm256_setr_epi32(corr, 0, 0, 0, 0, 0, 0, 0));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(total), acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) s[(size_t)t * lds] = ingot_hsum_f32x8(acc[t]);
}

_Static_assert(INGOT_TILE_TOKENS == 4, "the switches below instantiate 1..4 tokens");

#define K_TILE(NAME)                                                                                  \
    void ingot_tile_##NAME##_avx2(int n, int nt, float *s, size_t lds, const void *w, const void *x,  \
                                  size_t ldx, const float *xs, size_t ldxs) {                          \
        switch (nt) {                                                                                 \
        case 4: NAME##_n(4, n, s, lds, w, x, ldx); break;                                             \
        case 3: NAME##_n(3, n, s, lds, w, x, ldx); break;                                             \
        case 2: NAME##_n(2, n, s, lds, w, x, ldx); break;                                             \
        default: NAME##_n(1, n, s, lds, w, x, ldx); break;                                            \
        }                                                                                             \
    }

K_TILE(q4_K)
K_TILE(q6_K)

#else
typedef int ingot_tile_avx2_k_unused;
#endif
