/*
 * matmul.c — row-range matrix products over quantised weights: Y[t][r] = dot(W[r], x[t]).
 *
 * Weights in one of the engine's eight-row layouts go to repack.c. In the file's layout: one token is
 * a straight mat-vec, streaming each weight row once. Several tokens: the activations are cut into
 * blocks that fit in L2; where the type has a tile kernel each weight row is unpacked once per group
 * of INGOT_TILE_TOKENS tokens, otherwise rows go in small L1 tiles through vec_dot.
 */
#include <stddef.h>
#include <stdint.h>

#include "ingot_fp16.h"
#include "ingot_kernels.h"
#include "ingot_quant_blocks.h"
#include "ingot_repack.h"

/* activations of one token block should stay in L2 (1 MiB per core here; keep a margin) */
#define ACT_BLOCK_BYTES (256 * 1024)
/* weight rows per tile: reused from L1 across the tokens of a block */
#define ROW_TILE 4
/* weight rows per group of the tiled path: kept in L1 across the token groups of a block */
#define ROW_GROUP_BYTES (16 * 1024)
/* f32 activation block scales kept on the stack for the Q8_0 tile kernels (32 KiB) */
#define SCALE_CAP 8192

/* Asks for the next rows' weights while the current ones are computed: the Q4_0/Q5_0 row kernels do
 * little arithmetic per byte, and without this a single thread streams weights larger than the
 * last-level cache at a third of the memory bandwidth (latency-bound). */
/* How many row groups ahead to prefetch (measured on a 71 MB Q4_0 matrix: 1 group doubles single-thread throughput, more is slower). */
#define PREFETCH_GROUPS 1
static inline void prefetch_rows(const uint8_t *p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(p + o, 0, 0);
}

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

/* The f32 scale of every Q8_0 activation block of tokens [0, nt), rows of ldxs floats: xs[t*ldxs + i],
 * zero-padded to a multiple of 8 blocks (the tile kernels read scales 8 at a time). */
static void q8_0_scales(const uint8_t *x, size_t ldx, int nt, int nb, float *xs, int ldxs) {
    for (int t = 0; t < nt; ++t) {
        const ingot_block_q8_0 *b = (const ingot_block_q8_0 *)(x + (size_t)t * ldx);
        float *row = xs + (size_t)t * (size_t)ldxs;
        for (int i = 0; i < nb; ++i) row[i] = ingot_fp16_to_fp32(b[i].d);
        for (int i = nb; i < ldxs; ++i) row[i] = 0.0f;
    }
}

/* Tile kernels: each weight row is unpacked once per group of INGOT_TILE_TOKENS tokens of a block.
 * Rows go in groups that stay in L1 while every token group of the block passes over them, so each
 * token group's activations are fetched once per row group (not once per row) and outputs are written
 * along a token's row rather than down a column of Y. Returns 0 when the shape does not fit. */
static int matmul_tiled(const ingot_type_traits *t, const uint8_t *w, size_t w_row_bytes, int k, const uint8_t *x,
                        size_t xq_row_bytes, int n_tokens, float *Y, int ldy, int row_begin, int row_end) {
    float xs[SCALE_CAP];
    const int q8 = t->vec_dot_type == INGOT_TYPE_Q8_0;
    const int nb = k / INGOT_QK8_0, ldxs = (nb + 7) / 8 * 8;
    int tb = (int)(ACT_BLOCK_BYTES / (xq_row_bytes ? xq_row_bytes : 1));
    if (q8 && tb > SCALE_CAP / ldxs) tb = SCALE_CAP / ldxs;
    if (tb > INGOT_TILE_TOKENS) tb -= tb % INGOT_TILE_TOKENS;
    if (tb < 1) return 0;
    int rg = (int)(ROW_GROUP_BYTES / (w_row_bytes ? w_row_bytes : 1));
    if (rg < 1) rg = 1;
    for (int t0 = 0; t0 < n_tokens; t0 += tb) {
        const int t1 = t0 + tb < n_tokens ? t0 + tb : n_tokens;
        if (q8) q8_0_scales(x + (size_t)t0 * xq_row_bytes, xq_row_bytes, t1 - t0, nb, xs, ldxs);
        for (int r0 = row_begin; r0 < row_end; r0 += rg) {
            const int r1 = r0 + rg < row_end ? r0 + rg : row_end;
            for (int tt = t0; tt < t1; tt += INGOT_TILE_TOKENS) {
                const int nt = t1 - tt < INGOT_TILE_TOKENS ? t1 - tt : INGOT_TILE_TOKENS;
                const uint8_t *xt = x + (size_t)tt * xq_row_bytes;
                const float *xst = xs + (size_t)(tt - t0) * ldxs;
                for (int r = r0; r < r1; ++r)
                    t->dot_tile(k, nt, Y + (size_t)tt * (size_t)ldy + r, (size_t)ldy, w + (size_t)r * w_row_bytes, xt,
                                xq_row_bytes, xst, (size_t)ldxs);
            }
        }
    }
    return 1;
}

int ingot_matmul_rows_impl(int type, int impl, const void *W, size_t w_row_bytes, int k, const void *xq,
                           size_t xq_row_bytes, int n_tokens, float *Y, int ldy, int row_begin, int row_end) {
    if (ingot_x8_layout_of(type))
        return ingot_matmul_repacked(type, W, k, xq, xq_row_bytes, n_tokens, Y, ldy, row_begin, row_end);
    const ingot_type_traits *t = ingot_get_type_traits(type);
    const int err = check_args(t, W, w_row_bytes, k, xq, xq_row_bytes, n_tokens, Y, ldy, row_begin, row_end);
    if (err) return err;
    const ingot_vec_dot_fn dot = impl ? t->vec_dot : t->vec_dot_scalar;
    const uint8_t *w = W;
    const uint8_t *x = xq;

    if (impl && t->dot_tile && n_tokens > 1 &&
        matmul_tiled(t, w, w_row_bytes, k, x, xq_row_bytes, n_tokens, Y, ldy, row_begin, row_end))
        return INGOT_K_OK;

    if (n_tokens == 1 && impl && t->dot_rows && k / INGOT_QK8_0 <= SCALE_CAP - 8) {
        float xs[SCALE_CAP];
        q8_0_scales(x, xq_row_bytes, 1, k / INGOT_QK8_0, xs, (k / INGOT_QK8_0 + 7) / 8 * 8);
        for (int r = row_begin; r < row_end; r += INGOT_TILE_TOKENS) {
            const int nr = row_end - r < INGOT_TILE_TOKENS ? row_end - r : INGOT_TILE_TOKENS;
            if (r + PREFETCH_GROUPS * nr < row_end) prefetch_rows(w + (size_t)(r + PREFETCH_GROUPS * nr) * w_row_bytes, (size_t)nr * w_row_bytes);
            t->dot_rows(k, nr, Y + r, w + (size_t)r * w_row_bytes, w_row_bytes, x, xs);
        }
        return INGOT_K_OK;
    }
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
