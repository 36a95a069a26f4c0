/*
 * repack_k4.c — Q4_K and Q5_K with eight rows interleaved (ingot_repack.h), and their AVX2 kernel
 * (the two differ only in Q5_K's fifth bit).
 *
 * One super-block column of a group (Q4_K 1184 bytes for eight rows, the file 1152; Q5_K 1440 / 1408):
 *     d[8], dmin[8]        the rows' fp16 super-block scales
 *     sc[8 sub][8 rows]    6-bit sub-block scales, unpacked to bytes
 *     m[4][8 rows][2]      6-bit sub-block mins, unpacked, sub-blocks 2p and 2p+1 side by side
 *     qh[8][8 rows][4]     Q5_K only: for group g, bytes 4g..4g+3 of each row's qh (bit s = sub-block s)
 *     qs[4][8][8 rows][4]  for sub-block pair j and group g: bytes 32j+4g..+3 of each row's nibbles
 * so lane r of a 32-byte load of qs is row r: low nibbles are 4 values of sub-block 2j, high nibbles
 * of sub-block 2j+1. Per sub-block, dpbusd against the activation's four bytes broadcast gives eight
 * rows' sums at once, a 32-bit multiply by the eight rows' scales accumulates them exactly in
 * integers, and the mins term (sum over sub-blocks of min x activation sum) is one madd per pair of
 * sub-blocks against the activation's precomputed sums. Two fused multiply-adds per super-block
 * apply d and dmin.
 */
#include <string.h>

#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"
#include "ingot_repack.h"

#if defined(INGOT_HAVE_AVX2)
#include <immintrin.h>

#include "ingot_repack_avx2.h"

#define INLINE INGOT_X8_INLINE
#define R INGOT_X8_ROWS
#define OFF_D 0
#define OFF_DMIN (OFF_D + 2 * R)
#define OFF_SC (OFF_DMIN + 2 * R)
#define OFF_M (OFF_SC + 8 * R)
#define OFF_QH (OFF_M + 8 * R)                /* Q5_K only: before qs, so reads ascend */
#define OFF_QS(five) (OFF_QH + (five) * 32 * R)
#define COLUMN_BYTES_Q4 (OFF_QS(0) + 128 * R)
#define COLUMN_BYTES_Q5 (OFF_QS(1) + 128 * R)

/* One row's super-block into its lane of the column (qh NULL for Q4_K). */
static void repack_row(int r, uint16_t d, uint16_t dmin, const uint8_t *scales, const uint8_t *qs, const uint8_t *qh,
                       uint8_t *out) {
    memcpy(out + OFF_D + 2 * r, &d, 2);
    memcpy(out + OFF_DMIN + 2 * r, &dmin, 2);
    for (int s = 0; s < 8; ++s) {
        uint8_t sc, m;
        ingot_k4_scale_min(s, scales, &sc, &m);
        out[OFF_SC + R * s + r] = sc;
        out[OFF_M + 2 * R * (s / 2) + 2 * r + (s % 2)] = m;
    }
    for (int j = 0; j < 4; ++j)
        for (int g = 0; g < 8; ++g) memcpy(out + OFF_QS(qh != NULL) + 32 * R * j + 4 * R * g + 4 * r, qs + 32 * j + 4 * g, 4);
    if (qh)
        for (int g = 0; g < 8; ++g) memcpy(out + OFF_QH + 4 * R * g + 4 * r, qh + 4 * g, 4);
}

static void repack_column_q4(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q4_K *blk = (const ingot_block_q4_K *)rows[r] + b;
        repack_row(r, blk->d, blk->dmin, blk->scales, blk->qs, NULL, out);
    }
}

static void repack_column_q5(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q5_K *blk = (const ingot_block_q5_K *)rows[r] + b;
        repack_row(r, blk->d, blk->dmin, blk->scales, blk->qs, blk->qh, out);
    }
}

/* Per Q8_K block: its scale, and for each pair of sub-blocks p the two sub-block sums of its quants as
 * int16 halves of one int32 (what madd pairs with the two mins). */
static void terms(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_K *blk = (const ingot_block_q8_K *)(x + (size_t)t * ldx);
        for (int b = 0; b < nb; ++b) {
            f[t * nb + b] = blk[b].d;
            for (int p = 0; p < 4; ++p) {
                const int16_t *s = blk[b].bsums + 4 * p;
                const uint16_t even = (uint16_t)(s[0] + s[1]), odd = (uint16_t)(s[2] + s[3]);
                i[(t * nb + b) * 4 + p] = (int32_t)((uint32_t)even | ((uint32_t)odd << 16));
            }
        }
    }
}

/* FIVE: Q5_K (a fifth bit per value from qh), else Q4_K. */
INLINE void group_n(const int NT, const int FIVE, int nb, const uint8_t *w, const uint8_t *x, size_t ldx, const float *f,
                    const int32_t *sums, float *y, size_t ldy) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), bit4 = _mm256_set1_epi8(0x10);
    __m256 acc[INGOT_X8_TOKENS];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b, w += FIVE ? COLUMN_BYTES_Q5 : COLUMN_BYTES_Q4) {
        __m256i isum[INGOT_X8_TOKENS];
        for (int t = 0; t < NT; ++t) isum[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; ++s) {
            const uint8_t *qs = w + OFF_QS(FIVE) + 32 * R * (s / 2);
            __m256i q[8];
            for (int g = 0; g < 8; ++g) {
                const __m256i v = _mm256_loadu_si256((const __m256i *)(qs + 4 * R * g));
                q[g] = _mm256_and_si256(s % 2 ? _mm256_srli_epi16(v, 4) : v, low4);
                if (FIVE) {
                    /* bit s of each qh byte moved to bit 4 (masking drops what crossed bytes) */
                    const __m256i h = _mm256_loadu_si256((const __m256i *)(w + OFF_QH + 4 * R * g));
                    const __m256i hs = s <= 4 ? _mm256_slli_epi16(h, 4 - s) : _mm256_srli_epi16(h, s - 4);
                    q[g] = _mm256_or_si256(q[g], _mm256_and_si256(hs, bit4));
                }
            }
            const __m256i sc = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(w + OFF_SC + R * s)));
            for (int t = 0; t < NT; ++t) {
                const int8_t *xq = ((const ingot_block_q8_K *)(x + (size_t)t * ldx) + b)->qs + 32 * s;
                __m256i p = _mm256_setzero_si256(), p2 = _mm256_setzero_si256();
                for (int g = 0; g < 8; g += 2) {
                    p = ingot_dpbusd(p, q[g], ingot_broadcast4(xq + 4 * g));
                    p2 = ingot_dpbusd(p2, q[g + 1], ingot_broadcast4(xq + 4 * g + 4));
                }
                isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(_mm256_add_epi32(p, p2), sc));
            }
        }
        const __m256 wd = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + OFF_D)));
        const __m256 wmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + OFF_DMIN)));
        __m256i mins[4];
        for (int p = 0; p < 4; ++p) mins[p] = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w + OFF_M + 2 * R * p)));
        for (int t = 0; t < NT; ++t)
            acc[t] = ingot_x8_scales_mins(acc[t], wd, wmin, f[t * nb + b], isum[t], mins, 4, sums + (size_t)(t * nb + b) * 4);
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (size_t)t * ldy, acc[t]);
}

#define GROUP_Q4(NT, ...) group_n(NT, 0, __VA_ARGS__)
#define GROUP_Q5(NT, ...) group_n(NT, 1, __VA_ARGS__)
INGOT_X8_GROUP_FN(group_q4, GROUP_Q4);
INGOT_X8_GROUP_FN(group_q5, GROUP_Q5);

const ingot_x8_layout ingot_x8_q4_K = {
    .file_type = INGOT_TYPE_Q4_K, .block_values = INGOT_QK_K, .column_bytes = COLUMN_BYTES_Q4,
    .act_block_bytes = (int)sizeof(ingot_block_q8_K), .term_count = 4,
    .repack_column = repack_column_q4, .terms = terms, .group = group_q4,
};

const ingot_x8_layout ingot_x8_q5_K = {
    .file_type = INGOT_TYPE_Q5_K, .block_values = INGOT_QK_K, .column_bytes = COLUMN_BYTES_Q5,
    .act_block_bytes = (int)sizeof(ingot_block_q8_K), .term_count = 4,
    .repack_column = repack_column_q5, .terms = terms, .group = group_q5,
};
#else
typedef int ingot_repack_k4_unused; /* ISO C forbids an empty translation unit */
#endif
