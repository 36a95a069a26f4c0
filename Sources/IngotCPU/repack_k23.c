/*
 * repack_k23.c — Q2_K and Q3_K with eight rows interleaved (ingot_repack.h), and their AVX2 kernel
 * (Q3_K is Q2_K's 2-bit planes plus a high bit, with signed scales and no mins).
 *
 * Both files order a super-block's 16 sub-blocks of 16 values as s = 8c + 2·plane + half: sub-block s
 * takes bit-plane `plane` (bits 2·plane, 2·plane+1) of qs bytes 32c + 16·half + l, l < 16 (and, for
 * Q3_K, bit 4c + plane of hmask byte 16·half + l). A "run" (c, plane) is the 32 values of sub-blocks
 * 2·run and 2·run+1, run = 4c + plane. One super-block column of a group:
 *     Q2_K (672 bytes for eight rows, the file's size)
 *       d[8], dmin[8]        fp16
 *       sc[16 sub][8 rows]   the file's scale bytes (scale in the low nibble, min in the high one)
 *       qs[2 c][8 g][8 rows][4]   bytes 32c+4g..+3 of each row
 *     Q3_K (912 bytes for eight rows; the file takes 880)
 *       d[8]                 fp16
 *       sc[16 sub][8 rows]   the 6-bit scales unpacked, minus 32 (int8)
 *       hmask[8 g][8 rows][4], then qs as for Q2_K
 * Values are used unsigned (Q2_K 0..3, Q3_K 0..7 = low bits + 4·high bit): Q3_K's -4 comes off
 * exactly in integers with each sub-block's activation sum, and Q2_K's mins are one madd per pair
 * of sub-blocks against those sums.
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
#define CHUNKS_BYTES (2 * 32 * R)
/* Q2_K */
#define Q2_DMIN (2 * R)
#define Q2_SC (4 * R)
#define Q2_QS (Q2_SC + 16 * R)
#define Q2_COLUMN (Q2_QS + CHUNKS_BYTES)
/* Q3_K */
#define Q3_SC (2 * R)
#define Q3_HMASK (Q3_SC + 16 * R)
#define Q3_QS (Q3_HMASK + 32 * R)
#define Q3_COLUMN (Q3_QS + CHUNKS_BYTES)

/* The 64 qs bytes of one row into their lanes of the column's chunks. */
static void interleave_qs(int r, const uint8_t *qs, uint8_t *out) {
    for (int c = 0; c < 2; ++c)
        for (int g = 0; g < 8; ++g) memcpy(out + 32 * R * c + 4 * R * g + 4 * r, qs + 32 * c + 4 * g, 4);
}

static void repack_column_q2(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q2_K *blk = (const ingot_block_q2_K *)rows[r] + b;
        memcpy(out + 2 * r, &blk->d, 2);
        memcpy(out + Q2_DMIN + 2 * r, &blk->dmin, 2);
        for (int s = 0; s < 16; ++s) out[Q2_SC + R * s + r] = blk->scales[s];
        interleave_qs(r, blk->qs, out + Q2_QS);
    }
}

static void repack_column_q3(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q3_K *blk = (const ingot_block_q3_K *)rows[r] + b;
        int8_t sc[16];
        ingot_q3k_scales(blk->scales, sc);
        memcpy(out + 2 * r, &blk->d, 2);
        for (int s = 0; s < 16; ++s) out[Q3_SC + R * s + r] = (uint8_t)sc[s];
        for (int g = 0; g < 8; ++g) memcpy(out + Q3_HMASK + 4 * R * g + 4 * r, blk->hmask + 4 * g, 4);
        interleave_qs(r, blk->qs, out + Q3_QS);
    }
}

/* Q2_K: per Q8_K block its scale, and its 16 sub-block sums in pairs (int16 halves of an int32). */
static void terms_q2(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_K *blk = (const ingot_block_q8_K *)(x + (size_t)t * ldx);
        for (int b = 0; b < nb; ++b) {
            f[t * nb + b] = blk[b].d;
            for (int p = 0; p < 8; ++p)
                i[(t * nb + b) * 8 + p] = (int32_t)((uint32_t)(uint16_t)blk[b].bsums[2 * p] | ((uint32_t)(uint16_t)blk[b].bsums[2 * p + 1] << 16));
        }
    }
}

/* Q3_K: per Q8_K block its scale, and 4 x each sub-block's sum (the offset term). */
static void terms_q3(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_K *blk = (const ingot_block_q8_K *)(x + (size_t)t * ldx);
        for (int b = 0; b < nb; ++b) {
            f[t * nb + b] = blk[b].d;
            for (int s = 0; s < 16; ++s) i[(t * nb + b) * 16 + s] = 4 * blk[b].bsums[s];
        }
    }
}

/* v[g] = the unsigned values of run (c, plane) in group g (bytes 4g..4g+3 of the 32-value run). */
INLINE void unpack_run(const int THREE, const uint8_t *w, int c, int plane, __m256i v[8]) {
    const uint8_t *qs = w + (THREE ? Q3_QS : Q2_QS) + 32 * R * c;
    const __m256i three = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
    const int hbit = 4 * c + plane;
    for (int g = 0; g < 8; ++g) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 4 * R * g));
        v[g] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * plane), three);
        if (THREE) {
            /* bit hbit of each hmask byte moved to bit 2 (masking drops what crossed bytes) */
            const __m256i h = _mm256_loadu_si256((const __m256i *)(w + Q3_HMASK + 4 * R * g));
            const __m256i hs = hbit >= 2 ? _mm256_srli_epi16(h, hbit - 2) : _mm256_slli_epi16(h, 2 - hbit);
            v[g] = _mm256_or_si256(v[g], _mm256_and_si256(hs, four));
        }
    }
}

/* Run (c, plane) of every token: isum[t] += each sub-block's dot times its scale (minus, for Q3_K,
 * the offset term first). */
INLINE void run_n(const int NT, const int THREE, int c, int plane, int nb, int b, const uint8_t *w, const uint8_t *x,
                  size_t ldx, const int32_t *terms, __m256i isum[]) {
    const int run = 4 * c + plane;
    __m256i v[8];
    unpack_run(THREE, w, c, plane, v);
    const uint8_t *scp = w + (THREE ? Q3_SC : Q2_SC);
    __m256i sc0 = THREE ? _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(scp + R * (2 * run))))
                        : _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(scp + R * (2 * run))));
    __m256i sc1 = THREE ? _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(scp + R * (2 * run + 1))))
                        : _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(scp + R * (2 * run + 1))));
    if (!THREE) {
        sc0 = _mm256_and_si256(sc0, _mm256_set1_epi32(0xF));
        sc1 = _mm256_and_si256(sc1, _mm256_set1_epi32(0xF));
    }
    for (int t = 0; t < NT; ++t) {
        const int8_t *xq = ((const ingot_block_q8_K *)(x + (size_t)t * ldx) + b)->qs + 32 * run;
        __m256i p0 = _mm256_setzero_si256(), p1 = _mm256_setzero_si256();
        for (int g = 0; g < 4; ++g) {
            p0 = ingot_dpbusd(p0, v[g], ingot_broadcast4(xq + 4 * g));
            p1 = ingot_dpbusd(p1, v[g + 4], ingot_broadcast4(xq + 16 + 4 * g));
        }
        if (THREE) {
            const int32_t *off = terms + (size_t)(t * nb + b) * 16 + 2 * run;
            p0 = _mm256_sub_epi32(p0, _mm256_set1_epi32(off[0]));
            p1 = _mm256_sub_epi32(p1, _mm256_set1_epi32(off[1]));
        }
        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_mullo_epi32(p0, sc0), _mm256_mullo_epi32(p1, sc1)));
    }
}

INLINE void group_n(const int NT, const int THREE, int nb, const uint8_t *w, const uint8_t *x, size_t ldx, const float *f,
                    const int32_t *terms, float *y, size_t ldy) {
    __m256 acc[INGOT_X8_TOKENS];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b, w += THREE ? Q3_COLUMN : Q2_COLUMN) {
        __m256i isum[INGOT_X8_TOKENS];
        for (int t = 0; t < NT; ++t) isum[t] = _mm256_setzero_si256();
        for (int c = 0; c < 2; ++c) {
            run_n(NT, THREE, c, 0, nb, b, w, x, ldx, terms, isum);
            run_n(NT, THREE, c, 1, nb, b, w, x, ldx, terms, isum);
            run_n(NT, THREE, c, 2, nb, b, w, x, ldx, terms, isum);
            run_n(NT, THREE, c, 3, nb, b, w, x, ldx, terms, isum);
        }
        const __m256 wd = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
        if (THREE) {
            for (int t = 0; t < NT; ++t)
                acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(wd, _mm256_set1_ps(f[t * nb + b])), _mm256_cvtepi32_ps(isum[t]), acc[t]);
            continue;
        }
        /* Q2_K mins: sum over sub-blocks of min x activation sum, the mins of sub-blocks 2p, 2p+1 of
         * each row side by side as int16 (the high nibbles of their scale bytes) */
        const __m256 wmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + Q2_DMIN)));
        __m256i mins[8];
        for (int p = 0; p < 8; ++p) {
            const __m128i even = _mm_loadl_epi64((const __m128i *)(w + Q2_SC + R * (2 * p)));
            const __m128i odd = _mm_loadl_epi64((const __m128i *)(w + Q2_SC + R * (2 * p + 1)));
            mins[p] = _mm256_srli_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(even, odd)), 4);
        }
        for (int t = 0; t < NT; ++t)
            acc[t] = ingot_x8_scales_mins(acc[t], wd, wmin, f[t * nb + b], isum[t], mins, 8, terms + (size_t)(t * nb + b) * 8);
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (size_t)t * ldy, acc[t]);
}

#define GROUP_Q2(NT, ...) group_n(NT, 0, __VA_ARGS__)
#define GROUP_Q3(NT, ...) group_n(NT, 1, __VA_ARGS__)
INGOT_X8_GROUP_FN(group_q2, GROUP_Q2);
INGOT_X8_GROUP_FN(group_q3, GROUP_Q3);

const ingot_x8_layout ingot_x8_q2_K = {
    .file_type = INGOT_TYPE_Q2_K, .block_values = INGOT_QK_K, .column_bytes = Q2_COLUMN,
    .act_block_bytes = (int)sizeof(ingot_block_q8_K), .term_count = 8,
    .repack_column = repack_column_q2, .terms = terms_q2, .group = group_q2,
};

const ingot_x8_layout ingot_x8_q3_K = {
    .file_type = INGOT_TYPE_Q3_K, .block_values = INGOT_QK_K, .column_bytes = Q3_COLUMN,
    .act_block_bytes = (int)sizeof(ingot_block_q8_K), .term_count = 16,
    .repack_column = repack_column_q3, .terms = terms_q3, .group = group_q3,
};
#else
typedef int ingot_repack_k23_unused; /* ISO C forbids an empty translation unit */
#endif
