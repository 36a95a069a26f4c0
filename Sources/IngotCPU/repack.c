/*
 * repack.c — choosing, building and multiplying the eight-row interleaved layouts (ingot_repack.h).
 *
 * Why: over a file's layout, a SIMD dot product yields partial sums of ONE row that must be scaled
 * block by block and summed across lanes; with eight rows interleaved, each lane is a row, so every
 * multiply-add serves eight rows and one convert + one fused multiply-add per block applies eight
 * scales. The driver below is shared by the layouts: activations in token blocks that stay in L2,
 * each group of eight rows unpacked once per INGOT_X8_TOKENS tokens while it sits in L1.
 *
 * Every output row goes through the same operations in the same order whatever the token count, so
 * one-token decode and multi-token verification/prefill agree bit for bit.
 */
#include "ingot_repack.h"

#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"
#if defined(INGOT_HAVE_AVX2)
#include "ingot_avx2_util.h"
#endif

#define ACT_BLOCK_BYTES (256 * 1024) /* activations of one token block stay in L2 */
#define TERMS_CAP 8192               /* activation blocks whose terms are kept on the stack */

const ingot_x8_layout *ingot_x8_layout_of(int layout) {
#if defined(INGOT_HAVE_AVX2)
    if (layout == INGOT_LAYOUT_Q4_0_X8) return &ingot_x8_q4_0;
    if (layout == INGOT_LAYOUT_Q4_K_X8) return &ingot_x8_q4_K;
    if (layout == INGOT_LAYOUT_Q5_0_X8) return &ingot_x8_q5_0;
    if (layout == INGOT_LAYOUT_Q4_1_X8) return &ingot_x8_q4_1;
    if (layout == INGOT_LAYOUT_Q5_1_X8) return &ingot_x8_q5_1;
    if (layout == INGOT_LAYOUT_Q2_K_X8) return &ingot_x8_q2_K;
    if (layout == INGOT_LAYOUT_Q3_K_X8) return &ingot_x8_q3_K;
    if (layout == INGOT_LAYOUT_Q5_K_X8) return &ingot_x8_q5_K;
    if (layout == INGOT_LAYOUT_Q6_K_X8) return &ingot_x8_q6_K;
#endif
#if defined(INGOT_HAVE_VNNI)
    if (layout == INGOT_LAYOUT_Q8_0_X8) return &ingot_x8_q8_0;
#endif
    (void)layout;
    return NULL;
}

#if defined(INGOT_HAVE_AVX2)
#include "ingot_fp16.h"
#include "ingot_quant_blocks.h"

void ingot_x8_q8_0_terms(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i, int32_t offset) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_0 *blk = (const ingot_block_q8_0 *)(x + (size_t)t * ldx);
        for (int b = 0; b < nb; ++b) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)blk[b].qs);
            const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(q)), ones);
            const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1)), ones);
            f[t * nb + b] = ingot_fp16_to_fp32(blk[b].d);
            i[t * nb + b] = offset * ingot_hsum_i32x8(_mm256_add_epi32(lo, hi));
        }
    }
}
#endif

int ingot_repacked_layout(int type, int64_t rows, int64_t k) {
    const int layout = type == INGOT_TYPE_Q4_0   ? INGOT_LAYOUT_Q4_0_X8
                       : type == INGOT_TYPE_Q5_0 ? INGOT_LAYOUT_Q5_0_X8
                       : type == INGOT_TYPE_Q4_1 ? INGOT_LAYOUT_Q4_1_X8
                       : type == INGOT_TYPE_Q5_1 ? INGOT_LAYOUT_Q5_1_X8
                       : type == INGOT_TYPE_Q2_K ? INGOT_LAYOUT_Q2_K_X8
                       : type == INGOT_TYPE_Q3_K ? INGOT_LAYOUT_Q3_K_X8
                       : type == INGOT_TYPE_Q4_K ? INGOT_LAYOUT_Q4_K_X8
                       : type == INGOT_TYPE_Q5_K ? INGOT_LAYOUT_Q5_K_X8
                       : type == INGOT_TYPE_Q6_K ? INGOT_LAYOUT_Q6_K_X8
                       : type == INGOT_TYPE_Q8_0 ? INGOT_LAYOUT_Q8_0_X8
                                                 : 0;
    const ingot_x8_layout *l = ingot_x8_layout_of(layout);
    if (!l || rows <= 0 || rows % INGOT_X8_ROWS || rows > INT32_MAX || k <= 0 || k % l->block_values || k > INT32_MAX) return 0;
    return layout;
}

size_t ingot_repacked_bytes(int layout, int64_t rows, int64_t k) {
    const ingot_x8_layout *l = ingot_x8_layout_of(layout);
    if (!l || ingot_repacked_layout(l->file_type, rows, k) != layout) return 0;
    return (size_t)(rows / INGOT_X8_ROWS) * (size_t)(k / l->block_values) * (size_t)l->column_bytes;
}

int ingot_repack(int layout, const void *src, size_t src_row_bytes, int rows, int k, void *dst) {
    const ingot_x8_layout *l = ingot_x8_layout_of(layout);
    if (!l || !src || !dst || !ingot_repacked_bytes(layout, rows, k)) return INGOT_K_EBADARG;
    const int nb = k / l->block_values;
    if (src_row_bytes < ingot_row_size(l->file_type, k)) return INGOT_K_EBADARG;
    uint8_t *out = dst;
    for (int r0 = 0; r0 < rows; r0 += INGOT_X8_ROWS) {
        const uint8_t *group[INGOT_X8_ROWS];
        for (int r = 0; r < INGOT_X8_ROWS; ++r) group[r] = (const uint8_t *)src + (size_t)(r0 + r) * src_row_bytes;
        for (int b = 0; b < nb; ++b, out += l->column_bytes) l->repack_column(group, b, out);
    }
    return INGOT_K_OK;
}

int ingot_matmul_repacked(int layout, const void *W, int k, const void *xq, size_t xq_row_bytes, int n_tokens,
                          float *Y, int ldy, int row_begin, int row_end) {
    const ingot_x8_layout *l = ingot_x8_layout_of(layout);
    if (!l) return INGOT_K_EUNSUPPORTED;
    if (!W || !xq || !Y || k <= 0 || k % l->block_values || n_tokens < 0) return INGOT_K_EBADARG;
    if (row_begin < 0 || row_end < row_begin || row_begin % INGOT_X8_ROWS || row_end % INGOT_X8_ROWS) return INGOT_K_EBADARG;
    const int nb = k / l->block_values;
    if ((long)nb * l->term_count > TERMS_CAP) return INGOT_K_EBADSIZE;
    if (n_tokens > 1 && (xq_row_bytes < (size_t)nb * (size_t)l->act_block_bytes || ldy < row_end)) return INGOT_K_EBADARG;
    float f[TERMS_CAP];
    int32_t terms[TERMS_CAP];
    const size_t group_bytes = (size_t)nb * (size_t)l->column_bytes;
    const uint8_t *x = xq;
    int tb = (int)(ACT_BLOCK_BYTES / (xq_row_bytes ? xq_row_bytes : 1));
    if (tb > TERMS_CAP / (nb * l->term_count)) tb = TERMS_CAP / (nb * l->term_count);
    if (tb > INGOT_X8_TOKENS) tb -= tb % INGOT_X8_TOKENS;
    if (tb < 1) tb = 1;
    for (int t0 = 0; t0 < n_tokens; t0 += tb) {
        const int t1 = t0 + tb < n_tokens ? t0 + tb : n_tokens;
        l->terms(x + (size_t)t0 * xq_row_bytes, xq_row_bytes, t1 - t0, nb, f, terms);
        for (int r = row_begin; r < row_end; r += INGOT_X8_ROWS) {
            const uint8_t *w = (const uint8_t *)W + (size_t)(r / INGOT_X8_ROWS) * group_bytes;
            for (int t = t0; t < t1; t += INGOT_X8_TOKENS) {
                const int nt = t1 - t < INGOT_X8_TOKENS ? t1 - t : INGOT_X8_TOKENS;
                l->group(nt, nb, w, x + (size_t)t * xq_row_bytes, xq_row_bytes, f + (size_t)(t - t0) * nb,
                         terms + (size_t)(t - t0) * nb * l->term_count, Y + (size_t)t * (size_t)ldy + r, (size_t)ldy);
            }
        }
    }
    return INGOT_K_OK;
}
