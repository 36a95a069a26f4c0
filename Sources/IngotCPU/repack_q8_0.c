/*
 * repack_q8_0.c — Q8_0 with eight rows interleaved (ingot_repack.h), and its AVX2 kernel.
 *
 * One block column of a group (34 bytes per row, the file's size):
 *     d[8]           the eight rows' fp16 scales
 *     qs[8][8][4]    for g = 0..7, for row r: bytes 4g..4g+3 of row r's quants, stored +128
 * The +128 (a flipped sign bit) makes the quants unsigned for dpbusd against the activation's four
 * bytes broadcast to every lane; it comes off exactly in integers with the activation block's sum
 * (sum (q+128)y - 128 sum y = sum q*y). Built only where dpbusd is a VNNI instruction: with the
 * maddubs fallback, products of bytes up to 255 would saturate.
 */
#include <string.h>

#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"
#include "ingot_repack.h"

#if defined(INGOT_HAVE_AVX2)
#include <immintrin.h>

#include "ingot_avx2_util.h"
#include "ingot_fp16.h"
#endif

/* Quants stored +128 reach 255: only VNNI's dpbusd multiplies them exactly (maddubs saturates). */
#if defined(INGOT_HAVE_VNNI)

#define INLINE static inline __attribute__((always_inline))
#define R INGOT_X8_ROWS
#define COLUMN_BYTES (R * (int)sizeof(ingot_block_q8_0))

static void repack_column(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q8_0 *blk = (const ingot_block_q8_0 *)rows[r] + b;
        memcpy(out + 2 * r, &blk->d, 2);
        for (int g = 0; g < 8; ++g)
            for (int j = 0; j < 4; ++j) out[2 * R + 4 * R * g + 4 * r + j] = (uint8_t)(blk->qs[4 * g + j] ^ 0x80);
    }
}

/* 128 x the sum of a Q8_0 block's quants */
static int32_t offset_term(const ingot_block_q8_0 *b) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)b->qs);
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(q)), ones);
    const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1)), ones);
    return 128 * ingot_hsum_i32x8(_mm256_add_epi32(lo, hi));
}

static void terms(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_0 *blk = (const ingot_block_q8_0 *)(x + (size_t)t * ldx);
        for (int b = 0; b < nb; ++b) {
            f[t * nb + b] = ingot_fp16_to_fp32(blk[b].d);
            i[t * nb + b] = offset_term(&blk[b]);
        }
    }
}

INLINE __m256i broadcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

INLINE void group_n(const int NT, int nb, const uint8_t *w, const uint8_t *x, size_t ldx, const float *f,
                    const int32_t *off, float *y, size_t ldy) {
    __m256 acc[INGOT_X8_TOKENS];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b, w += COLUMN_BYTES) {
        const __m256 wd = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
        __m256i q[8];
        for (int g = 0; g < 8; ++g) q[g] = _mm256_loadu_si256((const __m256i *)(w + 2 * R + 4 * R * g));
        for (int t = 0; t < NT; ++t) {
            const ingot_block_q8_0 *xb = (const ingot_block_q8_0 *)(x + (size_t)t * ldx) + b;
            __m256i p = _mm256_setzero_si256(), p2 = _mm256_setzero_si256();
            for (int g = 0; g < 8; g += 2) {
                p = ingot_dpbusd(p, q[g], broadcast4(xb->qs + 4 * g));
                p2 = ingot_dpbusd(p2, q[g + 1], broadcast4(xb->qs + 4 * g + 4));
            }
            const __m256i dot = _mm256_sub_epi32(_mm256_add_epi32(p, p2), _mm256_set1_epi32(off[t * nb + b]));
            const __m256 scale = _mm256_mul_ps(wd, _mm256_set1_ps(f[t * nb + b]));
            acc[t] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(dot), acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (size_t)t * ldy, acc[t]);
}

static void group(int nt, int nb, const uint8_t *w, const uint8_t *x, size_t ldx, const float *f, const int32_t *i,
                  float *y, size_t ldy) {
    switch (nt) {
    case 4: group_n(4, nb, w, x, ldx, f, i, y, ldy); break;
    case 3: group_n(3, nb, w, x, ldx, f, i, y, ldy); break;
    case 2: group_n(2, nb, w, x, ldx, f, i, y, ldy); break;
    default: group_n(1, nb, w, x, ldx, f, i, y, ldy); break;
    }
}

_Static_assert(INGOT_X8_TOKENS == 4, "group() instantiates 1..4 tokens");

const ingot_x8_layout ingot_x8_q8_0 = {
    .file_type = INGOT_TYPE_Q8_0, .block_values = INGOT_QK8_0, .column_bytes = COLUMN_BYTES,
    .act_block_bytes = (int)sizeof(ingot_block_q8_0), .term_count = 1,
    .repack_column = repack_column, .terms = terms, .group = group,
};
#else
typedef int ingot_repack_q8_0_unused; /* ISO C forbids an empty translation unit */
#endif
