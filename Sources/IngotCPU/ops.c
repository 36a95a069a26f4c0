/*
 * ops.c — small float kernels for the executor: embedding lookup, RMS norm, RoPE, SiLU/SwiGLU,
 * element-wise add/mul/scale, argmax, top-k, softmax and fp16 row conversion.
 * Numerics mirror ggml's CPU ops where it is cheap to do so (see each function).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ingot_fp16.h"
#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"

#if defined(INGOT_HAVE_AVX2)
#include <immintrin.h>
#endif

int ingot_get_rows(int type, const void *table, size_t row_bytes, int k, int64_t n_rows, const int32_t *ids,
                   float *out, int ldo, int i_begin, int i_end) {
    const ingot_type_traits *t = ingot_get_type_traits(type);
    if (!t || !t->to_float) return INGOT_K_EUNSUPPORTED;
    if (k <= 0 || k % t->block_size) return INGOT_K_EBADSIZE;
    if (!table || !ids || !out || i_begin < 0 || i_end < i_begin || ldo < k) return INGOT_K_EBADARG;
    for (int i = i_begin; i < i_end; ++i) {
        if (ids[i] < 0 || ids[i] >= n_rows) return INGOT_K_EBADARG;
        t->to_float((const uint8_t *)table + (size_t)ids[i] * row_bytes, out + (size_t)i * (size_t)ldo, k);
    }
    return INGOT_K_OK;
}

/* ggml_compute_forward_rms_norm_f32: sum of float squares in double, scale = 1/sqrtf(mean+eps) */
int ingot_rmsnorm(const float *x, int ldx, const float *w, float eps, int n, float *y, int ldy, int r_begin,
                  int r_end) {
    if (!x || !y || n <= 0 || r_begin < 0 || r_end < r_begin) return INGOT_K_EBADARG;
    for (int r = r_begin; r < r_end; ++r) {
        const float *xr = x + (size_t)r * (size_t)ldx;
        float *yr = y + (size_t)r * (size_t)ldy;
        double sum = 0.0;
        for (int i = 0; i < n; ++i) sum += (double)(xr[i] * xr[i]);
        const float mean = (float)(sum / n);
        const float scale = 1.0f / sqrtf(mean + eps);
        if (w) {
            for (int i = 0; i < n; ++i) yr[i] = (xr[i] * scale) * w[i];
        } else {
            for (int i = 0; i < n; ++i) yr[i] = xr[i] * scale;
        }
    }
    return INGOT_K_OK;
}

/* ggml_rope_cache_init + rope_yarn with ext_factor = 0: theta advances by repeated float products */
void ingot_rope_cache(const ingot_rope_params *p, float pos, float *cache) {
    const float theta_scale = powf(p->freq_base, -2.0f / (float)p->n_dims);
    const float mscale = p->attn_factor;
    float theta = pos;
    for (int i0 = 0; i0 < p->n_dims; i0 += 2) {
        const float ff = p->freq_factors ? p->freq_factors[i0 / 2] : 1.0f;
        const float th = p->freq_scale * (theta / ff);
        cache[i0] = cosf(th) * mscale;
        cache[i0 + 1] = sinf(th) * mscale;
        theta *= theta_scale;
    }
}

int ingot_rope(const ingot_rope_params *p, float *x, int ldx, int n_heads, int head_dim, const int32_t *positions,
               int t_begin, int t_end) {
    if (!p || !x || !positions || t_begin < 0 || t_end < t_begin || n_heads <= 0) return INGOT_K_EBADARG;
    if (p->n_dims <= 0 || p->n_dims > head_dim || p->n_dims % 2 || p->n_dims > 1024) return INGOT_K_EBADARG;
    if (p->mode != INGOT_ROPE_NORMAL && p->mode != INGOT_ROPE_NEOX) return INGOT_K_EBADARG;
    float cache[1024];
    const int half = p->n_dims / 2;
    for (int t = t_begin; t < t_end; ++t) {
        ingot_rope_cache(p, (float)positions[t], cache);
        float *row = x + (size_t)t * (size_t)ldx;
        for (int h = 0; h < n_heads; ++h) {
            float *v = row + (size_t)h * (size_t)head_dim;
            if (p->mode == INGOT_ROPE_NORMAL) {
                for (int i0 = 0; i0 < p->n_dims; i0 += 2) {
                    const float c = cache[i0], s = cache[i0 + 1];
                    const float x0 = v[i0], x1 = v[i0 + 1];
                    v[i0] = x0 * c - x1 * s;
                    v[i0 + 1] = x0 * s + x1 * c;
                }
            } else {
                for (int i = 0; i < half; ++i) {
                    const float c = cache[2 * i], s = cache[2 * i + 1];
                    const float x0 = v[i], x1 = v[i + half];
                    v[i] = x0 * c - x1 * s;
                    v[i + half] = x0 * s + x1 * c;
                }
            }
        }
    }
    return INGOT_K_OK;
}

/* ggml_silu_f32 */
static inline float silu1(float x) { return x / (1.0f + expf(-x)); }

void ingot_silu(const float *x, float *y, int n) {
    for (int i = 0; i < n; ++i) y[i] = silu1(x[i]);
}

void ingot_swiglu(const float *g, const float *u, float *y, int n) {
    for (int i = 0; i < n; ++i) y[i] = silu1(g[i]) * u[i];
}

void ingot_add(const float *a, const float *b, float *y, int n) {
    for (int i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void ingot_mul(const float *a, const float *b, float *y, int n) {
    for (int i = 0; i < n; ++i) y[i] = a[i] * b[i];
}

void ingot_scale(float *x, float s, int n) {
    for (int i = 0; i < n; ++i) x[i] *= s;
}

void ingot_mad_f16(float *y, const uint16_t *x, float v, int n) {
    int i = 0;
#if defined(INGOT_HAVE_AVX2)
    const __m256 vv = _mm256_set1_ps(v);
    for (; i + 8 <= n; i += 8) {
        const __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(xv, vv, _mm256_loadu_ps(y + i)));
    }
#endif
    for (; i < n; ++i) y[i] += ingot_fp16_to_fp32(x[i]) * v;
}

int ingot_argmax(const float *x, int n) {
    int best = 0;
    float max = -INFINITY;
    for (int i = 0; i < n; ++i) {
        if (x[i] > max) { max = x[i]; best = i; }
    }
    return best;
}

/* min-heap on (value, then larger index is worse): the root is the weakest kept candidate */
static inline int worse(float va, int32_t ia, float vb, int32_t ib) { return va < vb || (va == vb && ia > ib); }

static void sift_down(float *hv, int32_t *hi, int k, int i) {
    for (;;) {
        const int l = 2 * i + 1, r = l + 1;
        int m = i;
        if (l < k && worse(hv[l], hi[l], hv[m], hi[m])) m = l;
        if (r < k && worse(hv[r], hi[r], hv[m], hi[m])) m = r;
        if (m == i) return;
        const float tv = hv[i]; hv[i] = hv[m]; hv[m] = tv;
        const int32_t ti = hi[i]; hi[i] = hi[m]; hi[m] = ti;
        i = m;
    }
}

int ingot_topk(const float *x, int n, int k, float *values, int32_t *indices) {
    if (!x || !values || !indices || n <= 0 || k <= 0 || k > 256) return INGOT_K_EBADARG;
    if (k > n) k = n;
    float hv[256];
    int32_t hi[256];
    for (int i = 0; i < k; ++i) { hv[i] = isnan(x[i]) ? -INFINITY : x[i]; hi[i] = i; }
    for (int i = k / 2 - 1; i >= 0; --i) sift_down(hv, hi, k, i);
    for (int i = k; i < n; ++i) {
        if (x[i] > hv[0]) { /* strictly better than the weakest (a tie loses: its index is larger) */
            hv[0] = x[i];
            hi[0] = i;
            sift_down(hv, hi, k, 0);
        }
    }
    /* heap sort: repeatedly move the weakest to the end -> best first */
    for (int end = k - 1; end > 0; --end) {
        const float tv = hv[0]; hv[0] = hv[end]; hv[end] = tv;
        const int32_t ti = hi[0]; hi[0] = hi[end]; hi[end] = ti;
        sift_down(hv, hi, end, 0);
    }
    memcpy(values, hv, (size_t)k * sizeof(float));
    memcpy(indices, hi, (size_t)k * sizeof(int32_t));
    return k;
}

/* ggml_compute_forward_soft_max_f32 without mask: max-subtract, expf, sum in double, scale */
float ingot_softmax(float *x, int n, float scale) {
    float max = -INFINITY;
    for (int i = 0; i < n; ++i) {
        x[i] *= scale;
        if (x[i] > max) max = x[i];
    }
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        x[i] = expf(x[i] - max);
        sum += (double)x[i];
    }
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; ++i) x[i] *= inv;
    return (float)sum;
}

void ingot_f32_to_f16_row(const float *x, uint16_t *y, int64_t n) { ingot_quant_f16(x, y, n); }

void ingot_f16_to_f32_row(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
#if defined(INGOT_HAVE_AVX2)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
#endif
    for (; i < n; ++i) y[i] = ingot_fp16_to_fp32(x[i]);
}
