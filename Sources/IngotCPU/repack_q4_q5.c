/*
 * repack_q4_q5.c — the 32-value 4- and 5-bit types (Q4_0, Q5_0, Q4_1, Q5_1) with eight rows interleaved
 * (ingot_repack.h), and their unpacking for the shared 32-value kernel (ingot_repack_avx2.h).
 *
 * One block column of a group (the file's size: 18, 22, 20 or 24 bytes per row):
 *     d[8]       the eight rows' fp16 scales
 *     m[8]       Q4_1/Q5_1 only: the rows' fp16 mins
 *     qh[8][4]   Q5_0/Q5_1 only: for row r, byte j: bit g = the fifth bit of the value group g takes
 *                from byte j (values 4g+j for g < 4, 16+4(g-4)+j after)
 *     qs[128]    for g = 0..3, for row r = 0..7: bytes 4g..4g+3 of row r's nibbles
 * A 32-byte load of qs holds four bytes of row r in lane r: their low nibbles are values 4g..4g+3,
 * their high nibbles values 16+4g..16+4g+3. dpbusd multiplies them, unsigned (0..15, or 0..31 with the
 * fifth bit), by the activation's matching four bytes broadcast to every lane. Q4_0/Q5_0's offset (8
 * or 16) comes off exactly in integers with the activation block's sum (sum (q-8)y = sum q*y - 8 sum
 * y); Q4_1/Q5_1 add m times the Q8_1 activation block's s = d_x sum x instead.
 */
#include <string.h>

#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"
#include "ingot_repack.h"

#if defined(INGOT_HAVE_AVX2)
#include <immintrin.h>

#include "ingot_fp16.h"
#include "ingot_repack_avx2.h"

#define R INGOT_X8_ROWS
#define QH_AT(mins) (2 * R + (mins) * 2 * R)
#define QS_AT(five, mins) (QH_AT(mins) + (five) * 4 * R)
#define COLUMN(five, mins) (QS_AT(five, mins) + 16 * R)

/* One row's block into its lane of the column (m NULL for Q4_0/Q5_0, qh NULL for Q4_0/Q4_1). */
static void repack_row(int r, const uint16_t *d, const uint16_t *m, const uint8_t *qs, const uint8_t *qh, uint8_t *out) {
    const int five = qh != NULL, mins = m != NULL;
    memcpy(out + 2 * r, d, 2);
    if (mins) memcpy(out + 2 * R + 2 * r, m, 2);
    for (int g = 0; g < 4; ++g) memcpy(out + QS_AT(five, mins) + 32 * g + 4 * r, qs + 4 * g, 4);
    if (!five) return;
    uint32_t bits;
    memcpy(&bits, qh, 4);
    for (int j = 0; j < 4; ++j) {
        uint8_t byte = 0;
        for (int g = 0; g < 8; ++g) byte |= (uint8_t)(((bits >> (g < 4 ? 4 * g + j : 16 + 4 * (g - 4) + j)) & 1) << g);
        out[QH_AT(mins) + 4 * r + j] = byte;
    }
}

#define BLOCK(T, rows, r, b) ((const T *)(rows)[r] + (b))
static void repack_column_q4_0(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) repack_row(r, &BLOCK(ingot_block_q4_0, rows, r, b)->d, NULL, BLOCK(ingot_block_q4_0, rows, r, b)->qs, NULL, out);
}
static void repack_column_q5_0(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q5_0 *blk = BLOCK(ingot_block_q5_0, rows, r, b);
        repack_row(r, &blk->d, NULL, blk->qs, blk->qh, out);
    }
}
static void repack_column_q4_1(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q4_1 *blk = BLOCK(ingot_block_q4_1, rows, r, b);
        repack_row(r, &blk->d, &blk->m, blk->qs, NULL, out);
    }
}
static void repack_column_q5_1(const uint8_t *const rows[R], int b, uint8_t *out) {
    for (int r = 0; r < R; ++r) {
        const ingot_block_q5_1 *blk = BLOCK(ingot_block_q5_1, rows, r, b);
        repack_row(r, &blk->d, &blk->m, blk->qs, blk->qh, out);
    }
}

static void terms_q4_0(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    ingot_x8_q8_0_terms(x, ldx, nt, nb, f, i, 8);
}
static void terms_q5_0(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    ingot_x8_q8_0_terms(x, ldx, nt, nb, f, i, 16);
}
/* Q8_1 blocks: f = d_x, and the term carries s = d_x sum x as float bits. */
static void terms_q8_1(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i) {
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_1 *blk = (const ingot_block_q8_1 *)(x + (size_t)t * ldx);
        for (int b = 0; b < nb; ++b) {
            const float s = ingot_fp16_to_fp32(blk[b].s);
            f[t * nb + b] = ingot_fp16_to_fp32(blk[b].d);
            memcpy(&i[t * nb + b], &s, sizeof s);
        }
    }
}

/* Low nibbles of the four 32-byte loads of qs are values 4g..4g+3, high nibbles 16+4g..16+4g+3; with
 * FIVE, bit g of each qh byte goes to bit 4 of q[g] (masking drops what shifts cross from a
 * neighbouring byte). */
INGOT_X8_INLINE void unpack_n(const int FIVE, const int MINS, const uint8_t *w, __m256i q[8]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), bit4 = _mm256_set1_epi8(0x10);
    for (int g = 0; g < 4; ++g) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(w + QS_AT(FIVE, MINS) + 32 * g));
        q[g] = _mm256_and_si256(v, low4);
        q[g + 4] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    }
    if (!FIVE) return;
    const __m256i h = _mm256_loadu_si256((const __m256i *)(w + QH_AT(MINS)));
    for (int g = 0; g < 8; ++g) {
        const __m256i hs = g <= 4 ? _mm256_slli_epi16(h, 4 - g) : _mm256_srli_epi16(h, g - 4);
        q[g] = _mm256_or_si256(q[g], _mm256_and_si256(hs, bit4));
    }
}

INGOT_X8_INLINE void unpack_q4_0(const uint8_t *w, __m256i q[8]) { unpack_n(0, 0, w, q); }
INGOT_X8_INLINE void unpack_q5_0(const uint8_t *w, __m256i q[8]) { unpack_n(1, 0, w, q); }
INGOT_X8_INLINE void unpack_q4_1(const uint8_t *w, __m256i q[8]) { unpack_n(0, 1, w, q); }
INGOT_X8_INLINE void unpack_q5_1(const uint8_t *w, __m256i q[8]) { unpack_n(1, 1, w, q); }

#define GROUP(FIVE, MINS, UNPACK, NT, nb, w, x, ldx, f, i, y, ldy) \
    ingot_x8_q8act_group(NT, MINS, nb, w, COLUMN(FIVE, MINS), UNPACK, x, ldx, f, i, y, ldy)
#define GROUP_Q4_0(...) GROUP(0, 0, unpack_q4_0, __VA_ARGS__)
#define GROUP_Q5_0(...) GROUP(1, 0, unpack_q5_0, __VA_ARGS__)
#define GROUP_Q4_1(...) GROUP(0, 1, unpack_q4_1, __VA_ARGS__)
#define GROUP_Q5_1(...) GROUP(1, 1, unpack_q5_1, __VA_ARGS__)
INGOT_X8_GROUP_FN(group_q4_0, GROUP_Q4_0);
INGOT_X8_GROUP_FN(group_q5_0, GROUP_Q5_0);
INGOT_X8_GROUP_FN(group_q4_1, GROUP_Q4_1);
INGOT_X8_GROUP_FN(group_q5_1, GROUP_Q5_1);

#define LAYOUT(NAME, TYPE, FIVE, MINS, ACT, TERMS, TERM_COUNT)                                        \
    const ingot_x8_layout ingot_x8_##NAME = {                                                        \
        .file_type = TYPE, .block_values = 32, .column_bytes = COLUMN(FIVE, MINS),                   \
        .act_block_bytes = (int)sizeof(ACT), .term_count = TERM_COUNT,                               \
        .repack_column = repack_column_##NAME, .terms = TERMS, .group = group_##NAME,                \
    }
LAYOUT(q4_0, INGOT_TYPE_Q4_0, 0, 0, ingot_block_q8_0, terms_q4_0, 1);
LAYOUT(q5_0, INGOT_TYPE_Q5_0, 1, 0, ingot_block_q8_0, terms_q5_0, 1);
LAYOUT(q4_1, INGOT_TYPE_Q4_1, 0, 1, ingot_block_q8_1, terms_q8_1, 1);
LAYOUT(q5_1, INGOT_TYPE_Q5_1, 1, 1, ingot_block_q8_1, terms_q8_1, 1);

_Static_assert(COLUMN(0, 0) == R * (int)sizeof(ingot_block_q4_0) && COLUMN(1, 0) == R * (int)sizeof(ingot_block_q5_0) &&
                   COLUMN(0, 1) == R * (int)sizeof(ingot_block_q4_1) && COLUMN(1, 1) == R * (int)sizeof(ingot_block_q5_1),
               "the columns take the file's size");
#else
typedef int ingot_repack_q4_q5_unused; /* ISO C forbids an empty translation unit */
#endif
