/*
 * matmul.c — row-range matrix products over quantised weights: Y[t][r] = dot(W[r], x[t]).
 *
 * One token: a straight mat-vec, streaming each weight row once. Several tokens: the activations
 * are cut into blocks that fit in L2 and the rows into small tiles that fit in L1, so a weight row
 * fetched from memory is reused by every token of the block while it is hot.
 */
#include <stddef.h>
#include <stdint.h>

#include "ingot_kernels.h"

/* activations of one token block should stay in L2 (1 MiB per core here; keep a margin) */
#define ACT_BLOCK_BYTES (256 * 1024)
/* weight rows per tile: reused from L1 across the tokens of a block */
#define ROW_TILE 4

static int check_args(const ingot_type_traits *t, const void *W, size_t w_row_bytes, int k, const void *xq,
                      size_t xq_row_bytes, int n_tokens, const float *Y, int ldy, int row_begin, int row_end) {
    if (!t || !t->vec_dot) return INGOT_K_EUNSUPPORTED;
    if (k <= 0 || k % t->block_size) return INGOT_K_EBADSIZE;
    const ingot_type_traits *a = ingot_get_type_traits(t->vec_dot_type);
    if (!a || k % a->block_size) return INGOT_K_EBADSIZE;
    if (!W || !xq || !Y || n_tokens < 0 || row_begin < 0 || row_end < row_begin) return INGOT_K_EBADARG;
    if (row_end - row_begin > 1 && w_row_bytes < (size_t)(k / t->block_size) * (size_t)t->type_size)
        return INGOT_K_EBADARG;
    if (n_tokens > 1 && (xq_row_bytes < (size_t)(k / a->block_size) * (size_t)a->type_size || ldy < row_end))
        return INGOT_K_EBADARG;
    return INGOT_K_OK;
}

int ingot_matmul_rows_impl(int type, int impl, const void *W, size_t w_row_bytes, int k, const void *xq,
                           size_t xq_row_bytes, int n_tokens, float *Y, int ldy, int row_begin, int row_end) {
    const ingot_type_traits *t = ingot_get_type_traits(type);
    const int err = check_args(t, W, w_row_bytes, k, xq, xq_row_bytes, n_tokens, Y, ldy, row_begin, row_end);
    if (err) return err;
    const ingot_vec_dot_fn dot = impl ? t->vec_dot : t->vec_dot_scalar;
    const uint8_t *w = W;
    const uint8_t *x = xq;

    if (n_tokens == 1) {
        for (int r = row_begin; r < row_end; ++r) dot(k, &Y[r], w + (size_t)r * w_row_bytes, x);
        return INGOT_K_OK;
    }

    int tb = (int)(ACT_BLOCK_BYTES / (xq_row_bytes ? xq_row_bytes : 1));
    if (tb < 1) tb = 1;
    for (int t0 = 0; t0 < n_tokens; t0 += tb) {
        const int t1 = t0 + tb < n_tokens ? t0 + tb : n_tokens;
        for (int r0 = row_begin; r0 < row_end; r0 += ROW_TILE) {
            const int r1 = r0 + ROW_TILE < row_end ? r0 + ROW_TILE : row_end;
            for (int tt = t0; tt < t1; ++tt) {
                const uint8_t *xr = x + (size_t)tt * xq_row_bytes;
                float *yr = Y + (size_t)tt * (size_t)ldy;
                for (int r = r0; r < r1; ++r) dot(k, &yr[r], w + (size_t)r * w_row_bytes, xr);
            }
        }
    }
    return INGOT_K_OK;
}

int ingot_matmul_rows(int type, const void *W, size_t w_row_bytes, int k, const void *xq, size_t xq_row_bytes,
                      int n_tokens, float *Y, int ldy, int row_begin, int row_end) {
    return ingot_matmul_rows_impl(type, 1, W, w_row_bytes, k, xq, xq_row_bytes, n_tokens, Y, ldy, row_begin, row_end);
}

int ingot_quantize_activations(int weight_type, const float *x, int k, int n_tokens, void *xq, size_t xq_row_bytes,
                               int t_begin, int t_end) {
    const ingot_type_traits *t = ingot_get_type_traits(weight_type);
    if (!t) return INGOT_K_EUNSUPPORTED;
    const ingot_type_traits *a = ingot_get_type_traits(t->vec_dot_type);
    if (!a || !a->from_float) return INGOT_K_EUNSUPPORTED;
    if (k <= 0 || k % a->block_size || k % t->block_size) return INGOT_K_EBADSIZE;
    if (!x || !xq || t_begin < 0 || t_end < t_begin || t_end > n_tokens) return INGOT_K_EBADARG;
    if (t_end - t_begin > 1 && xq_row_bytes < (size_t)(k / a->block_size) * (size_t)a->type_size) return INGOT_K_EBADARG;
    for (int tt = t_begin; tt < t_end; ++tt)
        a->from_float(x + (size_t)tt * (size_t)k, (uint8_t *)xq + (size_t)tt * xq_row_bytes, k);
    return INGOT_K_OK;
}
