/*
 * repack_q6_K.c — Q6_K with eight rows interleaved (ingot_repack.h), and its AVX2 kernel.
 *
 * One super-block column of a group (1680 bytes for eight rows, the file's size), in the order the
 * kernel reads it (monotone, so the hardware prefetcher follows it from L3 or DRAM):
 *     d[8]                 the rows' fp16 super-block scales
 *     sc[16 sub][8 rows]   int8 scales of the 16-value sub-blocks
 *     then for each half h: qh chunk h, ql chunk 2h, ql chunk 2h+1, each as [8 g][8 rows][4 bytes]:
 *     bytes 32c+4g..+3 of each row's 32-byte chunk c, so lane r of a 32-byte load is row r.
 * Run q (values 32q..32q+31, q = 4h + part) takes its low 4 bits from ql chunk 2h + (part & 1) (high
 * nibbles when part >= 2) and its high 2 bits from bits 2*part of qh chunk h, as in the file. The
 * runs of a half go in the order 0, 2, 1, 3 (the two nibbles of one ql chunk, then of the next).
 * Values are used unsigned (0..63): the -32 comes off exactly in integers with each sub-block's
 * activation sum (Q8_K's bsums are per 16 values, i.e. per sub-block). */
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
#define OFF_SC (OFF_D + 2 * R)
#define CHUNK (32 * R)                /* one 32-byte chunk of every row */
#define OFF_HALF (OFF_SC + 16 * R)     /* then per half: qh chunk, ql chunk 2h, ql chunk 2h + 1 */
#define HALF_BYTES (3 * CHUNK)
#define COLUMN_BYTES (OFF_HALF + 2 * HALF_BYTES)
#define QH_AT(h) (OFF_HALF + HALF_BYTES * (h))
#define QL_AT(c) (OFF_HALF + HALF_BYTES * ((c) / 2) + CHUNK * (1 + (c) % 2))

static void repack_column(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q6_K *blk = (const ingot_block_q6_K *)rows[r] + b;
        memcpy(out + OFF_D + 2 * r, &blk->d, 2);
        for (int s = 0; s < 16; ++s) out[OFF_SC + R * s + r] = (uint8_t)blk->scales[s];
        for (int c = 0; c < 4; ++c)
            for (int g = 0; g < 8; ++g) memcpy(out + QL_AT(c) + 4 * R * g + 4 * r, blk->ql + 32 * c + 4 * g, 4);
        for (int h = 0; h < 2; ++h)
            for (int g = 0; g < 8; ++g) memcpy(out + QH_AT(h) + 4 * R * g + 4 * r, blk->qh + 32 * h + 4 * g, 4);
    }
}

/* Per Q8_K block: its scale, and 32 x the sum of each 16-value sub-block's quants (the offset term). */
static void terms(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_K *blk = (const ingot_block_q8_K *)(x + (size_t)t * ldx);
        for (int b = 0; b < nb; ++b) {
            f[t * nb + b] = blk[b].d;
            for (int s = 0; s < 16; ++s) i[(t * nb + b) * 16 + s] = 32 * blk[b].bsums[s];
        }
    }
}

/* The eight 32-byte vectors of run q's 6-bit values, lane r = row r, unsigned. */
INLINE void unpack_run(const uint8_t *w, int q, __m256i v[8]) {
    const int h = q / 4, part = q % 4;
    const uint8_t *ql = w + QL_AT(2 * h + (part & 1));
    const uint8_t *qh = w + QH_AT(h);
    const __m256i low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30);
    for (int g = 0; g < 8; ++g) {
        const __m256i l = _mm256_loadu_si256((const __m256i *)(ql + 4 * R * g));
        const __m256i hbits = _mm256_loadu_si256((const __m256i *)(qh + 4 * R * g));
        const __m256i lo = _mm256_and_si256(part >= 2 ? _mm256_srli_epi16(l, 4) : l, low4);
        /* bits 2*part..2*part+1 of each qh byte moved to bits 4..5 (masking drops what crossed bytes) */
        const __m256i hi = part == 3 ? _mm256_srli_epi16(hbits, 2) : part == 2 ? hbits
                         : part == 1 ? _mm256_slli_epi16(hbits, 2) : _mm256_slli_epi16(hbits, 4);
        v[g] = _mm256_or_si256(lo, _mm256_and_si256(hi, bits45));
    }
}

/* Run q = 4h + PART of every token: isum[t] += the two sub-blocks' scaled, offset-corrected sums. */
INLINE void run_n(const int NT, const int PART, int h, int nb, int b, const uint8_t *w, const uint8_t *x, size_t ldx,
                  const int32_t *offsets, __m256i isum[]) {
    const int q = 4 * h + PART;
    __m256i v[8];
    unpack_run(w, q, v);
    const __m256i sc0 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w + OFF_SC + R * (2 * q))));
    const __m256i sc1 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w + OFF_SC + R * (2 * q + 1))));
    for (int t = 0; t < NT; ++t) {
        const int8_t *xq = ((const ingot_block_q8_K *)(x + (size_t)t * ldx) + b)->qs + 32 * q;
        const int32_t *off = offsets + (size_t)(t * nb + b) * 16 + 2 * q;
        __m256i p0 = _mm256_setzero_si256(), p1 = _mm256_setzero_si256();
        for (int g = 0; g < 4; ++g) {
            p0 = ingot_dpbusd(p0, v[g], ingot_broadcast4(xq + 4 * g));
            p1 = ingot_dpbusd(p1, v[g + 4], ingot_broadcast4(xq + 16 + 4 * g));
        }
        p0 = _mm256_mullo_epi32(_mm256_sub_epi32(p0, _mm256_set1_epi32(off[0])), sc0);
        p1 = _mm256_mullo_epi32(_mm256_sub_epi32(p1, _mm256_set1_epi32(off[1])), sc1);
        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(p0, p1));
    }
}

INLINE void group_n(const int NT, int nb, const uint8_t *w, const uint8_t *x, size_t ldx, const float *f,
                    const int32_t *offsets, float *y, size_t ldy) {
    __m256 acc[INGOT_X8_TOKENS];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b, w += COLUMN_BYTES) {
        __m256i isum[INGOT_X8_TOKENS];
        for (int t = 0; t < NT; ++t) isum[t] = _mm256_setzero_si256();
        /* runs spelled out so each one's unpacking is fixed at compile time, in the layout's order */
        for (int h = 0; h < 2; ++h) {
            run_n(NT, 0, h, nb, b, w, x, ldx, offsets, isum);
            run_n(NT, 2, h, nb, b, w, x, ldx, offsets, isum);
            run_n(NT, 1, h, nb, b, w, x, ldx, offsets, isum);
            run_n(NT, 3, h, nb, b, w, x, ldx, offsets, isum);
        }
        const __m256 wd = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + OFF_D)));
        for (int t = 0; t < NT; ++t)
            acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(wd, _mm256_set1_ps(f[t * nb + b])), _mm256_cvtepi32_ps(isum[t]), acc[t]);
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (size_t)t * ldy, acc[t]);
}

INGOT_X8_GROUP_FN(group, group_n);

const ingot_x8_layout ingot_x8_q6_K = {
    .file_type = INGOT_TYPE_Q6_K, .block_values = INGOT_QK_K, .column_bytes = COLUMN_BYTES,
    .act_block_bytes = (int)sizeof(ingot_block_q8_K), .term_count = 16,
    .repack_column = repack_column, .terms = terms, .group = group,
};
#else
typedef int ingot_repack_q6_K_unused; /* ISO C forbids an empty translation unit */
#endif
