/*
 * dot_avx2_k.c — AVX2 dot products of the K-quants (Q2_K..Q6_K, Q8_K) with Q8_K activations.
 *
 * Every kernel keeps the weights' unsigned codes for _mm256_maddubs_epi16 (unsigned x signed bytes)
 * and folds constant offsets and mins in once per super-block through the activations' bsums,
 * so the inner loops are: unpack, maddubs, madd with the sub-block scale, add.
 */
#include "ingot_avx2_kquant.h"
#include "ingot_avx2_util.h"
#include "ingot_fp16.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"

#if defined(INGOT_HAVE_AVX2)

#define QK_K INGOT_QK_K

void ingot_dot_q4_K_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_K *x = w;
    const ingot_block_q8_K *y = xv;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    float acc_m = 0.0f;
    for (int i = 0; i < n / QK_K; ++i) {
        uint8_t sm[16];
        k4_unpack_scales(x[i].scales, sm);
        const float d = y[i].d * ingot_fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * ingot_fp16_to_fp32(x[i].dmin);
        acc_m += dmin * (float)k4_mins_dot(sm + 8, y[i].bsums);
        const uint8_t *q4 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j, q4 += 32, q8 += 64) {
            const __m256i bits = load256(q4);
            const __m256i lo = _mm256_and_si256(bits, m4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            const __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(q8)), _mm256_set1_epi16(sm[2 * j]));
            const __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(q8 + 32)), _mm256_set1_epi16(sm[2 * j + 1]));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = ingot_hsum_f32x8(acc) - acc_m;
}

void ingot_dot_q5_K_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q5_K *x = w;
    const ingot_block_q8_K *y = xv;
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps();
    float acc_m = 0.0f;
    for (int i = 0; i < n / QK_K; ++i) {
        uint8_t sm[16];
        k4_unpack_scales(x[i].scales, sm);
        const float d = y[i].d * ingot_fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * ingot_fp16_to_fp32(x[i].dmin);
        acc_m += dmin * (float)k4_mins_dot(sm + 8, y[i].bsums);
        const uint8_t *q5 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        const __m256i hbits = load256(x[i].qh);
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j, q5 += 32, q8 += 64) {
            const __m256i bits = load256(q5);
            const __m256i hl = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), one), 4);
            const __m256i hh = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), one), 4);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(bits, m4), hl);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), hh);
            const __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(q8)), _mm256_set1_epi16(sm[2 * j]));
            const __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(q8 + 32)), _mm256_set1_epi16(sm[2 * j + 1]));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = ingot_hsum_f32x8(acc) - acc_m;
}

/* ---------------- Q6_K: q = (ql | qh<<4) - 32 ---------------- */
void ingot_dot_q6_K_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q6_K *x = w;
    const ingot_block_q8_K *y = xv;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK_K; ++i) {
        const int8_t *sc = x[i].scales;
        const int8_t *q8 = y[i].qs;
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 2; ++c) {
            __m256i q[4];
            q6_K_unpack_half(&x[i], c, q);
            for (int m = 0; m < 4; ++m) {
                const int g = 8 * c + 2 * m;
                const __m256i p = _mm256_maddubs_epi16(q[m], load256(q8 + 128 * c + 32 * m));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, ingot_pair_i16(sc[g], sc[g + 1])));
            }
        }
        /* the -32 offset: subtract 32 * sum_g scale[g] * bsums[g] */
        const int corr = 32 * scaled_bsums_i8(sc, y[i].bsums);
        const float d = ingot_fp16_to_fp32(x[i].d) * y[i].d;
        const __m256i total = _mm256_sub_epi32(sumi, _mm256_setr_epi32(corr, 0, 0, 0, 0, 0, 0, 0));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(total), acc);
    }
    *s = ingot_hsum_f32x8(acc);
}

/* ---------------- Q3_K: q = low2 + 4*hbit - 4 ---------------- */
static inline void q3k_scales16(const uint8_t *packed, int8_t out[16]) {
    uint32_t u[4];
    memcpy(u, packed, 12);
    const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    const uint32_t t = u[2];
    u[2] = ((u[0] >> 4) & m4) | (((t >> 4) & m2) << 4);
    u[3] = ((u[1] >> 4) & m4) | (((t >> 6) & m2) << 4);
    u[0] = (u[0] & m4) | (((t >> 0) & m2) << 4);
    u[1] = (u[1] & m4) | (((t >> 2) & m2) << 4);
    memcpy(out, u, 16);
    for (int j = 0; j < 16; ++j) out[j] = (int8_t)(out[j] - 32);
}

void ingot_dot_q3_K_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q3_K *x = w;
    const ingot_block_q8_K *y = xv;
    const __m256i m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK_K; ++i) {
        int8_t sc[16];
        q3k_scales16(x[i].scales, sc);
        const int8_t *q8 = y[i].qs;
        const __m256i hm = load256(x[i].hmask);
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 2; ++c) {
            const __m256i bits = load256(x[i].qs + 32 * c);
            for (int j = 0; j < 4; ++j, q8 += 32) {
                const __m256i lo = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * j), m2);
                const __m256i hb = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, 4 * c + j), one), 2);
                const __m256i p = _mm256_maddubs_epi16(_mm256_or_si256(lo, hb), load256(q8));
                const int g = 8 * c + 2 * j;
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, ingot_pair_i16(sc[g], sc[g + 1])));
            }
        }
        const int corr = 4 * scaled_bsums_i8(sc, y[i].bsums);
        const float d = ingot_fp16_to_fp32(x[i].d) * y[i].d;
        const __m256i total = _mm256_sub_epi32(sumi, _mm256_setr_epi32(corr, 0, 0, 0, 0, 0, 0, 0));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(total), acc);
    }
    *s = ingot_hsum_f32x8(acc);
}

/* ---------------- Q2_K: x = d*sc*q - dmin*m ---------------- */
void ingot_dot_q2_K_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q2_K *x = w;
    const ingot_block_q8_K *y = xv;
    const __m256i m2 = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    float acc_m = 0.0f;
    for (int i = 0; i < n / QK_K; ++i) {
        uint8_t sc[16], mn[16];
        for (int g = 0; g < 16; ++g) {
            sc[g] = x[i].scales[g] & 0xF;
            mn[g] = x[i].scales[g] >> 4;
        }
        const float dall = y[i].d * ingot_fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * ingot_fp16_to_fp32(x[i].dmin);
        acc_m += dmin * (float)scaled_bsums_u8(mn, y[i].bsums);
        const int8_t *q8 = y[i].qs;
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 2; ++c) {
            const __m256i bits = load256(x[i].qs + 32 * c);
            for (int j = 0; j < 4; ++j, q8 += 32) {
                const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * j), m2);
                const __m256i p = _mm256_maddubs_epi16(q, load256(q8));
                const int g = 8 * c + 2 * j;
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, ingot_pair_i16(sc[g], sc[g + 1])));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dall), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = ingot_hsum_f32x8(acc) - acc_m;
}

/* ---------------- Q8_K x Q8_K ---------------- */
void ingot_dot_q8_K_avx2(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q8_K *x = w, *y = xv;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK_K; ++i) {
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < QK_K; j += 32)
            sumi = _mm256_add_epi32(sumi, ingot_dot_i8x32(load256(x[i].qs + j), load256(y[i].qs + j)));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(x[i].d * y[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = ingot_hsum_f32x8(acc);
}

#else
typedef int ingot_dot_avx2_k_unused;
#endif
