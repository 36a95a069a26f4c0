/*
 * kernels_api.c — exported debug entry points into the kernel library, for tests through bun:ffi
 * (ts/engine/cpu/kernels-ffi.ts). They validate their arguments, return 0 or a negative
 * INGOT_K_E* code, and never abort.
 */
#include <stddef.h>
#include <stdint.h>

#include "ingot_kernels.h"

#define API __attribute__((visibility("default")))

static const ingot_type_traits *traits_for_n(int type, int64_t n, int *err) {
    const ingot_type_traits *t = ingot_get_type_traits(type);
    if (!t) { *err = INGOT_K_EUNSUPPORTED; return NULL; }
    if (n <= 0 || n % t->block_size) { *err = INGOT_K_EBADSIZE; return NULL; }
    *err = INGOT_K_OK;
    return t;
}

/* 1 = AVX2, 2 = NEON, 0 = scalar only */
API int ingot_k_simd(void) {
    const char *s = ingot_simd_name();
    return s[0] == 'a' ? 1 : s[0] == 'n' ? 2 : 0;
}

API int ingot_k_type_info(int type, int *block_size, int *type_size, int *vec_dot_type) {
    const ingot_type_traits *t = ingot_get_type_traits(type);
    if (!t) return INGOT_K_EUNSUPPORTED;
    if (block_size) *block_size = t->block_size;
    if (type_size) *type_size = t->type_size;
    if (vec_dot_type) *vec_dot_type = t->vec_dot_type;
    return INGOT_K_OK;
}

/* bytes of a row of n values, or a negative error */
API int64_t ingot_k_row_size(int type, int64_t n) {
    int err;
    if (!traits_for_n(type, n, &err)) return err;
    return (int64_t)ingot_row_size(type, n);
}

API int ingot_k_dequantize(int type, const void *src, float *dst, int64_t n) {
    int err;
    const ingot_type_traits *t = traits_for_n(type, n, &err);
    if (!t) return err;
    if (!src || !dst) return INGOT_K_EBADARG;
    t->to_float(src, dst, n);
    return INGOT_K_OK;
}

/* reference quantizer (what a model file gets); activation-only types use their from_float */
API int ingot_k_quantize(int type, const float *src, void *dst, int64_t n) {
    int err;
    const ingot_type_traits *t = traits_for_n(type, n, &err);
    if (!t) return err;
    if (!src || !dst) return INGOT_K_EBADARG;
    (t->quantize_ref ? t->quantize_ref : t->from_float)(src, dst, n);
    return INGOT_K_OK;
}

/* activation quantizer of `type` itself (e.g. Q8_0, Q8_K, F16): impl 1 = the fast one used by
 * matmul, impl 0 = the reference one */
API int ingot_k_quantize_act(int type, int impl, const float *src, void *dst, int64_t n) {
    int err;
    const ingot_type_traits *t = traits_for_n(type, n, &err);
    if (!t) return err;
    if (!src || !dst) return INGOT_K_EBADARG;
    ingot_from_float_fn f = impl ? t->from_float : (t->quantize_ref ? t->quantize_ref : t->from_float);
    if (!f) return INGOT_K_EUNSUPPORTED;
    f(src, dst, n);
    return INGOT_K_OK;
}

API int ingot_k_vec_dot(int type, int impl, int n, const void *w, const void *xq, float *out) {
    int err;
    const ingot_type_traits *t = traits_for_n(type, n, &err);
    if (!t) return err;
    const ingot_type_traits *a = ingot_get_type_traits(t->vec_dot_type);
    if (!a || n % a->block_size) return INGOT_K_EBADSIZE;
    if (!w || !xq || !out) return INGOT_K_EBADARG;
    (impl ? t->vec_dot : t->vec_dot_scalar)(n, out, w, xq);
    return INGOT_K_OK;
}

API int ingot_k_matmul(int type, int impl, const void *W, int64_t w_row_bytes, int k, const void *xq,
                       int64_t xq_row_bytes, int n_tokens, float *Y, int ldy, int row_begin, int row_end) {
    if (w_row_bytes < 0 || xq_row_bytes < 0) return INGOT_K_EBADARG;
    return ingot_matmul_rows_impl(type, impl, W, (size_t)w_row_bytes, k, xq, (size_t)xq_row_bytes, n_tokens, Y,
                                  ldy, row_begin, row_end);
}

API int ingot_k_quantize_activations(int weight_type, const float *x, int k, int n_tokens, void *xq,
                                     int64_t xq_row_bytes) {
    if (xq_row_bytes < 0) return INGOT_K_EBADARG;
    return ingot_quantize_activations(weight_type, x, k, n_tokens, xq, (size_t)xq_row_bytes, 0, n_tokens);
}

API int64_t ingot_k_act_row_size(int weight_type, int64_t k) {
    const size_t s = ingot_act_row_size(weight_type, k);
    return s ? (int64_t)s : INGOT_K_EBADSIZE;
}

API int ingot_k_get_rows(int type, const void *table, int64_t row_bytes, int k, int64_t n_rows, const int32_t *ids,
                         int n_ids, float *out) {
    if (row_bytes < 0 || n_ids < 0) return INGOT_K_EBADARG;
    return ingot_get_rows(type, table, (size_t)row_bytes, k, n_rows, ids, out, k, 0, n_ids);
}

API int ingot_k_rmsnorm(const float *x, const float *w, float eps, int n, int n_rows, float *y) {
    return ingot_rmsnorm(x, n, w, eps, n, y, n, 0, n_rows);
}

API int ingot_k_rope(int mode, int n_dims, float freq_base, float freq_scale, float attn_factor,
                     const float *freq_factors, float *x, int n_heads, int head_dim, const int32_t *positions,
                     int n_tokens) {
    const ingot_rope_params p = { mode, n_dims, freq_base, freq_scale, attn_factor, freq_factors };
    return ingot_rope(&p, x, n_heads * head_dim, n_heads, head_dim, positions, 0, n_tokens);
}

API int ingot_k_silu(const float *x, float *y, int n) {
    if (!x || !y || n < 0) return INGOT_K_EBADARG;
    ingot_silu(x, y, n);
    return INGOT_K_OK;
}

API int ingot_k_swiglu(const float *g, const float *u, float *y, int n) {
    if (!g || !u || !y || n < 0) return INGOT_K_EBADARG;
    ingot_swiglu(g, u, y, n);
    return INGOT_K_OK;
}

API int ingot_k_argmax(const float *x, int n) {
    if (!x || n <= 0) return INGOT_K_EBADARG;
    return ingot_argmax(x, n);
}

API int ingot_k_topk(const float *x, int n, int k, float *values, int32_t *indices) {
    return ingot_topk(x, n, k, values, indices);
}

API float ingot_k_softmax(float *x, int n, float scale) {
    if (!x || n <= 0) return -1.0f;
    return ingot_softmax(x, n, scale);
}

API int ingot_k_f32_to_f16(const float *x, uint16_t *y, int64_t n) {
    if (!x || !y || n < 0) return INGOT_K_EBADARG;
    ingot_f32_to_f16_row(x, y, n);
    return INGOT_K_OK;
}
