/*
 * ingot_repack.h — weight layouts of the engine's own: eight rows interleaved block by block, so the
 * eight lanes of a vector are eight rows (repack.c has the driver; one file per layout has its
 * kernels). The file's Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K (and, with VNNI, Q8_0) matrices are rewritten once into these layouts
 * when the build has the kernels (AVX2); everything else keeps the file's layout.
 */
#ifndef INGOT_REPACK_H
#define INGOT_REPACK_H

#include <stddef.h>
#include <stdint.h>

/* Layout ids MATMUL ops take instead of a file type (outside GGML's type ids, never read from a file). */
#define INGOT_LAYOUT_Q4_0_X8 1000
#define INGOT_LAYOUT_Q4_K_X8 1001
#define INGOT_LAYOUT_Q6_K_X8 1002
#define INGOT_LAYOUT_Q8_0_X8 1003
#define INGOT_LAYOUT_Q5_K_X8 1004
#define INGOT_LAYOUT_Q2_K_X8 1005
#define INGOT_LAYOUT_Q3_K_X8 1006
#define INGOT_LAYOUT_Q5_0_X8 1007
#define INGOT_LAYOUT_Q4_1_X8 1008
#define INGOT_LAYOUT_Q5_1_X8 1009

#define INGOT_X8_ROWS 8          /* rows interleaved together */
#define INGOT_X8_TOKENS 4        /* tokens sharing one unpacking of a weight block column */

/* Computes, for tokens [0, nt) of x (rows ldx bytes apart, nb blocks each), the per-block terms the
 * kernel needs: f[t*nb + b] the block's float scale, i[(t*nb + b) * term_count + j] its integer terms. */
typedef void (*ingot_x8_terms_fn)(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i);
/* y[t*ldy + r] = row r of one group of eight against token t, for t < nt (1..INGOT_X8_TOKENS). */
typedef void (*ingot_x8_group_fn)(int nt, int nb, const uint8_t *w, const uint8_t *x, size_t ldx, const float *f,
                                  const int32_t *i, float *y, size_t ldy);

/* Defines `static void NAME(int nt, ...)`, an ingot_x8_group_fn calling KERNEL(NT, ...) with NT a
 * compile-time constant 1..INGOT_X8_TOKENS, so each token count gets its own unrolled kernel. */
#define INGOT_X8_GROUP_FN(NAME, KERNEL)                                                                     \
    static void NAME(int nt, int nb, const uint8_t *w, const uint8_t *x, size_t ldx, const float *f,          \
                     const int32_t *i, float *y, size_t ldy) {                                                \
        switch (nt) {                                                                                       \
        case 4: KERNEL(4, nb, w, x, ldx, f, i, y, ldy); break;                                              \
        case 3: KERNEL(3, nb, w, x, ldx, f, i, y, ldy); break;                                              \
        case 2: KERNEL(2, nb, w, x, ldx, f, i, y, ldy); break;                                              \
        default: KERNEL(1, nb, w, x, ldx, f, i, y, ldy); break;                                             \
        }                                                                                                   \
    }                                                                                                       \
    _Static_assert(INGOT_X8_TOKENS == 4, "INGOT_X8_GROUP_FN instantiates 1..4 tokens")

/* Terms of Q8_0 activation blocks for layouts whose quants are stored with an offset: f = the block's
 * scale, i = offset x the sum of its quants (AVX2 builds). */
void ingot_x8_q8_0_terms(const uint8_t *x, size_t ldx, int nt, int nb, float *f, int32_t *i, int32_t offset);

typedef struct ingot_x8_layout {
    int file_type;       /* the GGML type it is made from */
    int block_values;    /* values per block (32 or 256) */
    int column_bytes;    /* bytes of one block column of eight rows */
    int act_block_bytes; /* bytes of one activation block (Q8_0 or Q8_K) */
    int term_count;      /* integer terms per activation block */
    void (*repack_column)(const uint8_t *const rows[INGOT_X8_ROWS], int block, uint8_t *out);
    ingot_x8_terms_fn terms;
    ingot_x8_group_fn group;
} ingot_x8_layout;

/* NULL when this build has no kernels for the layout */
const ingot_x8_layout *ingot_x8_layout_of(int layout);
extern const ingot_x8_layout ingot_x8_q4_0;
extern const ingot_x8_layout ingot_x8_q5_0;
extern const ingot_x8_layout ingot_x8_q4_1;
extern const ingot_x8_layout ingot_x8_q5_1;
extern const ingot_x8_layout ingot_x8_q2_K;
extern const ingot_x8_layout ingot_x8_q3_K;
extern const ingot_x8_layout ingot_x8_q4_K;
extern const ingot_x8_layout ingot_x8_q5_K;
extern const ingot_x8_layout ingot_x8_q6_K;
extern const ingot_x8_layout ingot_x8_q8_0; /* VNNI builds only */

/* The layout a rows x k matrix of `type` is best run in, or 0 for the file's own. */
int ingot_repacked_layout(int type, int64_t rows, int64_t k);
/* Bytes the repacked matrix takes (0 if the layout does not apply). */
size_t ingot_repacked_bytes(int layout, int64_t rows, int64_t k);
/* Writes the repacked matrix to dst (ingot_repacked_bytes of it). */
int ingot_repack(int layout, const void *src, size_t src_row_bytes, int rows, int k, void *dst);
/* Y[t*ldy + r] = row r of W against activation row t, rows [row_begin, row_end) in whole groups of eight. */
int ingot_matmul_repacked(int layout, const void *W, int k, const void *xq, size_t xq_row_bytes, int n_tokens,
                          float *Y, int ldy, int row_begin, int row_end);

#endif
