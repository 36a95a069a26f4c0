/*
 * repack_q4_0.c — Q4_0 with eight rows interleaved (ingot_repack.h), and its AVX2 kernel.
 *
 * One block column of a group (18 bytes per row, the file's size):
 *     d[8]       the eight rows' fp16 scales
 *     qs[128]    for g = 0..3, for row r = 0..7: bytes 4g..4g+3 of row r's nibbles
 * A 32-byte load holds four bytes of row r in lane r: their low nibbles are values 4g..4g+3, their
 * high nibbles values 16+4g..16+4g+3. dpbusd multiplies them, unsigned 0..15, by the activation's
 * matching four bytes broadcast to every lane; the Q4_0 offset of 8 comes off exactly in integers
 * with the activation block's sum (sum (q-8)y = sum q*y - 8 sum y).
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

#define INLINE static inline __attribute__((always_inline))
#define COLUMN_BYTES (INGOT_X8_ROWS * (int)sizeof(ingot_block_q4_0))

static void repack_column(const uint8_t *const rows[INGOT_X8_ROWS], int b, uint8_t *out) {
    for (int r = 0; r < INGOT_X8_ROWS; ++r) {
        const ingot_block_q4_0 *blk = (const ingot_block_q4_0 *)rows[r] + b;
        memcpy(out + 2 * r, &blk->d, 2);
        for (int g = 0; g < 4; ++g) memcpy(out + 16 + 32 * g + 4 * r, blk->qs + 4 * g, 4);
    }
}

/* 8 x the sum of a Q8_0 block's quants */
static int32_t offset_term(const ingot_block_q8_0 *b) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)b->qs);
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(q)), ones);
    const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1)), ones);
    return 8 * ingot_hsum_i32x8(_mm256_add_epi32(lo, hi));
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
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256 acc[INGOT_X8_TOKENS];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b, w += COLUMN_BYTES) {
        const __m256 wd = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
        __m256i lo[4], hi[4];
        for (int g = 0; g < 4; ++g) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(w + 16 + 32 * g));
            lo[g] = _mm256_and_si256(v, low4);
            hi[g] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
        }
        for (int t = 0; t < NT; ++t) {
            const ingot_block_q8_0 *xb = (const ingot_block_q8_0 *)(x + (size_t)t * ldx) + b;
            __m256i p = _mm256_setzero_si256(), q = _mm256_setzero_si256();
            for (int g = 0; g < 4; ++g) {
                p = ingot_dpbusd(p, lo[g], broadcast4(xb->qs + 4 * g));
                q = ingot_dpbusd(q, hi[g], broadcast4(xb->qs + 16 + 4 * g));
            }
            const __m256i dot = _mm256_sub_epi32(_mm256_add_epi32(p, q), _mm256_set1_epi32(off[t * nb + b]));
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

const ingot_x8_layout ingot_x8_q4_0 = {
    .file_type = INGOT_TYPE_Q4_0, .block_values = INGOT_QK4_0, .column_bytes = COLUMN_BYTES,
    .act_block_bytes = (int)sizeof(ingot_block_q8_0), .term_count = 1,
    .repack_column = repack_column, .terms = terms, .group = group,
};
#else
typedef int ingot_repack_q4_0_unused; /* ISO C forbids an empty translation unit */
#endif
