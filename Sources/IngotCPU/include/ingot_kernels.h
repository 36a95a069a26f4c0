/*
 * ingot_kernels.h — the kernel library of the CPU engine (internal API for the executor).
 *
 * Numerics follow llama.cpp/ggml: weights keep their GGUF block layout; before a dot product the
 * activations are quantised to the weight type's vec_dot_type (F32->F32, F16->F16, BF16->BF16,
 * Q4_0/Q5_0/Q8_0->Q8_0, Q4_1/Q5_1->Q8_1, Q2_K..Q6_K->Q8_K), like ggml's CPU backend.
 *
 * Conventions: row lengths (k, n) are counts of values and must be multiples of the type's block
 * size; every function that can fail returns 0 on success or a negative INGOT_K_E* code and never
 * aborts. Functions taking a [begin, end) range touch only that part of their output, so the
 * executor can split the work across threads without locks.
 */
#ifndef INGOT_KERNELS_H
#define INGOT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GGUF tensor type ids */
enum ingot_type {
    INGOT_TYPE_F32 = 0,
    INGOT_TYPE_F16 = 1,
    INGOT_TYPE_Q4_0 = 2,
    INGOT_TYPE_Q4_1 = 3,
    INGOT_TYPE_Q5_0 = 6,
    INGOT_TYPE_Q5_1 = 7,
    INGOT_TYPE_Q8_0 = 8,
    INGOT_TYPE_Q8_1 = 9,
    INGOT_TYPE_Q2_K = 10,
    INGOT_TYPE_Q3_K = 11,
    INGOT_TYPE_Q4_K = 12,
    INGOT_TYPE_Q5_K = 13,
    INGOT_TYPE_Q6_K = 14,
    INGOT_TYPE_Q8_K = 15,
    INGOT_TYPE_BF16 = 30,
    INGOT_TYPE_COUNT = 31
};

/* error codes */
#define INGOT_K_OK 0
#define INGOT_K_EUNSUPPORTED (-1) /* type id unknown or the operation does not exist for it */
#define INGOT_K_EBADSIZE (-2)     /* length not a positive multiple of the block size */
#define INGOT_K_EBADARG (-3)      /* null pointer, bad range, bad option */

/* s = dot(w_row, x_row) over n values; x_row is in the weight type's vec_dot_type */
typedef void (*ingot_vec_dot_fn)(int n, float *s, const void *w_row, const void *x_row);
typedef void (*ingot_to_float_fn)(const void *src, float *dst, int64_t n);
typedef void (*ingot_from_float_fn)(const float *src, void *dst, int64_t n);
/* Tokens one tile call handles at most. */
#define INGOT_TILE_TOKENS 4
/* s[t*lds] = dot(w_row, x row t) for t < nt (1..INGOT_TILE_TOKENS), x rows ldx bytes apart; bit-identical
 * to vec_dot per token. xs: for Q8_0 activations, each block's scale as f32 (xs[t*ldxs + block]),
 * else unused. */
typedef void (*ingot_dot_tile_fn)(int n, int nt, float *s, size_t lds, const void *w_row, const void *x,
                                  size_t ldx, const float *xs, size_t ldxs);
/* s[r] = dot(weight row r, x) for r < nr (1..INGOT_TILE_TOKENS), rows ldw bytes apart; bit-identical to
 * vec_dot. xs: x's Q8_0 block scales as f32. */
typedef void (*ingot_dot_rows_fn)(int n, int nr, float *s, const void *w, size_t ldw, const void *x, const float *xs);

typedef struct ingot_type_traits {
    const char *name;                  /* "q4_K" ... as ggml names them */
    int block_size;                    /* values per block */
    int type_size;                     /* bytes per block */
    int vec_dot_type;                  /* type the activations are quantised to */
    ingot_to_float_fn to_float;        /* dequantize_row; NULL if none */
    ingot_from_float_fn from_float;    /* fast quantize_row for activations (SIMD where available,
                                          same rounding as ggml's CPU from_float) */
    ingot_from_float_fn quantize_ref;  /* reference quantize_row (ggml's *_ref), for model files;
                                          NULL for types that are activation-only (Q8_1, Q8_K) */
    ingot_vec_dot_fn vec_dot;          /* best SIMD kernel compiled in (or the scalar one) */
    ingot_vec_dot_fn vec_dot_scalar;   /* portable reference (== vec_dot when no SIMD kernel) */
    ingot_dot_tile_fn dot_tile;        /* multi-token SIMD kernel; NULL where there is none */
    ingot_dot_rows_fn dot_rows;        /* multi-row single-token SIMD kernel; NULL where there is none */
} ingot_type_traits;

/* NULL for an unknown/unsupported type id */
const ingot_type_traits *ingot_get_type_traits(int type);
/* bytes of a row of n values; 0 if the type is unknown or n is not a multiple of the block size */
size_t ingot_row_size(int type, int64_t n);
/* bytes of one activation row of length k as consumed by matmul with weights of this type */
size_t ingot_act_row_size(int weight_type, int64_t k);
/* "avx2", "neon" or "scalar": the SIMD family compiled in */
const char *ingot_simd_name(void);

/* ---------- matmul (matmul.c) ----------
 * Y[t*ldy + r] = dot(W row r, activation row t) for r in [row_begin, row_end), t in [0, n_tokens).
 * W rows are w_row_bytes apart (>= ingot_row_size(type, k)); xq holds n_tokens activation rows of
 * the weight type's vec_dot_type, xq_row_bytes apart (>= ingot_act_row_size(type, k)).
 * n_tokens == 1 is a straight mat-vec; larger batches are tiled so each weight row is reused
 * across tokens while it is in cache. */
int ingot_matmul_rows(int type, const void *W, size_t w_row_bytes, int k,
                      const void *xq, size_t xq_row_bytes, int n_tokens,
                      float *Y, int ldy, int row_begin, int row_end);
/* same with an explicit implementation: 0 = scalar reference dot, 1 = SIMD (default) */
int ingot_matmul_rows_impl(int type, int impl, const void *W, size_t w_row_bytes, int k,
                           const void *xq, size_t xq_row_bytes, int n_tokens,
                           float *Y, int ldy, int row_begin, int row_end);
/* Quantises activation rows t in [t_begin, t_end) of x (n_tokens rows of k floats, contiguous)
 * to the vec_dot_type of weight_type, writing row t at xq + t*xq_row_bytes. */
int ingot_quantize_activations(int weight_type, const float *x, int k, int n_tokens,
                               void *xq, size_t xq_row_bytes, int t_begin, int t_end);

/* ---------- small float ops (ops.c) ---------- */

/* Embedding lookup: out[i*ldo .. +k) = dequantize(table row ids[i]) for i in [i_begin, i_end).
 * Returns INGOT_K_EBADARG if an id is outside [0, n_rows). */
int ingot_get_rows(int type, const void *table, size_t row_bytes, int k, int64_t n_rows,
                   const int32_t *ids, float *out, int ldo, int i_begin, int i_end);

/* RMS norm of rows [r_begin, r_end): y = x / sqrt(mean(x^2) + eps) (sum in double like ggml),
 * then y *= w if w != NULL (ggml's separate mul by the norm weight). x and y may alias. */
int ingot_rmsnorm(const float *x, int ldx, const float *w, float eps, int n,
                  float *y, int ldy, int r_begin, int r_end);

enum ingot_rope_mode { INGOT_ROPE_NORMAL = 0, INGOT_ROPE_NEOX = 2 };
typedef struct ingot_rope_params {
    int mode;                   /* INGOT_ROPE_NORMAL (adjacent pairs) or INGOT_ROPE_NEOX (halves) */
    int n_dims;                 /* rotated dims per head (<= head_dim, even) */
    float freq_base;            /* e.g. 10000 */
    float freq_scale;           /* 1 unless linear scaling */
    float attn_factor;          /* multiplies cos/sin (1 normally) */
    const float *freq_factors;  /* NULL or n_dims/2 divisors (Llama 3 rope_freqs) */
} ingot_rope_params;
/* Fills cache[0..n_dims) with interleaved cos/sin for one position (ggml_rope_cache_init). */
void ingot_rope_cache(const ingot_rope_params *p, float pos, float *cache);
/* In-place RoPE of x laid out as rows (tokens) of n_heads*head_dim floats, ldx floats apart,
 * for tokens [t_begin, t_end); positions[t] gives each token's position. */
int ingot_rope(const ingot_rope_params *p, float *x, int ldx, int n_heads, int head_dim,
               const int32_t *positions, int t_begin, int t_end);

void ingot_silu(const float *x, float *y, int n);                 /* y = x/(1+exp(-x)) */
void ingot_swiglu(const float *g, const float *u, float *y, int n); /* y = silu(g)*u */
void ingot_add(const float *a, const float *b, float *y, int n);
void ingot_mul(const float *a, const float *b, float *y, int n);
void ingot_scale(float *x, float s, int n);
/* y[i] += v * x[i] (fp32 accumulator; x is fp16) */
void ingot_mad_f16(float *y, const uint16_t *x, float v, int n);
/* index of the first maximum */
int ingot_argmax(const float *x, int n);
/* k (<= 256, <= n) largest values with their indices, sorted descending (ties: lower index first);
 * returns the number written (min(k, n)) or a negative error. */
int ingot_topk(const float *x, int n, int k, float *values, int32_t *indices);
/* in-place softmax of x*scale (max-subtracted, expf, sum in double like ggml); returns the sum
 * of the exponentials before normalisation (useful for log-probabilities) */
float ingot_softmax(float *x, int n, float scale);
void ingot_f32_to_f16_row(const float *x, uint16_t *y, int64_t n);
void ingot_f16_to_f32_row(const uint16_t *x, float *y, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
