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

#include "ingot_repack_avx2.h"
#endif

/* Quants stored +128 reach 255: only VNNI's dpbusd multiplies them exactly (maddubs saturates). */
#if defined(INGOT_HAVE_VNNI)

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

static void terms(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    ingot_x8_q8_0_terms(x, ldx, nt, nb, f, i, 128);
}

INGOT_X8_INLINE void unpack(const uint8_t *w, __m256i q[8]) {
    for (int g = 0; g < 8; ++g) q[g] = _mm256_loadu_si256((const __m256i *)(w + 2 * R + 4 * R * g));
}

#define GROUP(NT, nb, w, x, ldx, f, i, y, ldy) ingot_x8_q8act_group(NT, 0, nb, w, COLUMN_BYTES, unpack, x, ldx, f, i, y, ldy)

INGOT_X8_GROUP_FN(group, GROUP);

const ingot_x8_layout ingot_x8_q8_0 = {
    .file_type = INGOT_TYPE_Q8_0, .block_values = INGOT_QK8_0, .column_bytes = COLUMN_BYTES,
    .act_block_bytes = (int)sizeof(ingot_block_q8_0), .term_count = 1,
    .repack_column = repack_column, .terms = terms, .group = group,
};
#else
typedef int ingot_repack_q8_0_unused; /* ISO C forbids an empty translation unit */
#endif
