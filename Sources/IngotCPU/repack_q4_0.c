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

#include "ingot_repack_avx2.h"

#define COLUMN_BYTES (INGOT_X8_ROWS * (int)sizeof(ingot_block_q4_0))

static void repack_column(const uint8_t *const rows[INGOT_X8_ROWS], int b, uint8_t *out) {
    for (int r = 0; r < INGOT_X8_ROWS; ++r) {
        const ingot_block_q4_0 *blk = (const ingot_block_q4_0 *)rows[r] + b;
        memcpy(out + 2 * r, &blk->d, 2);
        for (int g = 0; g < 4; ++g) memcpy(out + 16 + 32 * g + 4 * r, blk->qs + 4 * g, 4);
    }
}

static void terms(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    ingot_x8_q8_0_terms(x, ldx, nt, nb, f, i, 8);
}

/* Low nibbles of the four 32-byte loads are values 4g..4g+3, high nibbles values 16+4g..16+4g+3. */
INGOT_X8_INLINE void unpack(const uint8_t *w, __m256i q[8]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    for (int g = 0; g < 4; ++g) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(w + 16 + 32 * g));
        q[g] = _mm256_and_si256(v, low4);
        q[g + 4] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    }
}

#define GROUP(NT, nb, w, x, ldx, f, i, y, ldy) ingot_x8_q8act_group(NT, nb, w, COLUMN_BYTES, unpack, x, ldx, f, i, y, ldy)

INGOT_X8_GROUP_FN(group, GROUP);

const ingot_x8_layout ingot_x8_q4_0 = {
    .file_type = INGOT_TYPE_Q4_0, .block_values = INGOT_QK4_0, .column_bytes = COLUMN_BYTES,
    .act_block_bytes = (int)sizeof(ingot_block_q8_0), .term_count = 1,
    .repack_column = repack_column, .terms = terms, .group = group,
};
#else
typedef int ingot_repack_q4_0_unused; /* ISO C forbids an empty translation unit */
#endif
