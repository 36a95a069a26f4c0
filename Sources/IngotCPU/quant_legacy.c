/*
 * quant_legacy.c — the 32-value block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1:
 * reference quantizers (same algorithms and rounding as ggml's quantize_row_*_ref, so files we
 * write load in llama.cpp and Q8_0 reproduces its bytes), dequantizers and scalar dot products.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ingot_fp16.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"

#define QK 32

static inline float absmax_block(const float *x, int n, float *signed_max) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; ++j) {
        const float a = fabsf(x[j]);
        if (amax < a) { amax = a; max = x[j]; }
    }
    if (signed_max) *signed_max = max;
    return amax;
}

static inline void min_max_block(const float *x, int n, float *mn, float *mx) {
    float lo = FLT_MAX, hi = -FLT_MAX;
    for (int j = 0; j < n; ++j) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
    *mn = lo; *mx = hi;
}

/* ---------------- Q4_0 ---------------- */
void ingot_quant_q4_0_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q4_0 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        float max;
        absmax_block(x, QK, &max);
        const float d = max / -8;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = ingot_fp32_to_fp16(d);
        for (int j = 0; j < QK / 2; ++j) {
            const int a = (int8_t)(x[j] * id + 8.5f), b = (int8_t)(x[j + QK / 2] * id + 8.5f);
            y[i].qs[j] = (uint8_t)((a < 15 ? a : 15) | ((b < 15 ? b : 15) << 4));
        }
    }
}

void ingot_dequant_q4_0(const void *src, float *y, int64_t n) {
    const ingot_block_q4_0 *x = src;
    for (int64_t i = 0; i < n / QK; ++i, y += QK) {
        const float d = ingot_fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK / 2; ++j) {
            y[j] = ((x[i].qs[j] & 0x0F) - 8) * d;
            y[j + QK / 2] = ((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void ingot_dot_q4_0_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_0 *x = w;
    const ingot_block_q8_0 *y = xv;
    float sum = 0.0f;
    for (int i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK / 2; ++j) {
            sumi += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + QK / 2];
        }
        sum += sumi * ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d);
    }
    *s = sum;
}

/* ---------------- Q4_1 ---------------- */
void ingot_quant_q4_1_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q4_1 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        float mn, mx;
        min_max_block(x, QK, &mn, &mx);
        const float d = (mx - mn) / 15;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = ingot_fp32_to_fp16(d);
        y[i].m = ingot_fp32_to_fp16(mn);
        for (int j = 0; j < QK / 2; ++j) {
            const int a = (int8_t)((x[j] - mn) * id + 0.5f), b = (int8_t)((x[j + QK / 2] - mn) * id + 0.5f);
            y[i].qs[j] = (uint8_t)((a < 15 ? a : 15) | ((b < 15 ? b : 15) << 4));
        }
    }
}

void ingot_dequant_q4_1(const void *src, float *y, int64_t n) {
    const ingot_block_q4_1 *x = src;
    for (int64_t i = 0; i < n / QK; ++i, y += QK) {
        const float d = ingot_fp16_to_fp32(x[i].d), m = ingot_fp16_to_fp32(x[i].m);
        for (int j = 0; j < QK / 2; ++j) {
            y[j] = (x[i].qs[j] & 0x0F) * d + m;
            y[j + QK / 2] = (x[i].qs[j] >> 4) * d + m;
        }
    }
}

void ingot_dot_q4_1_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_1 *x = w;
    const ingot_block_q8_1 *y = xv;
    float sum = 0.0f;
    for (int i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK / 2; ++j) {
            sumi += (x[i].qs[j] & 0x0F) * y[i].qs[j];
            sumi += (x[i].qs[j] >> 4) * y[i].qs[j + QK / 2];
        }
        sum += (ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)) * sumi +
               ingot_fp16_to_fp32(x[i].m) * ingot_fp16_to_fp32(y[i].s);
    }
    *s = sum;
}

/* ---------------- Q5_0 ---------------- */
void ingot_quant_q5_0_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q5_0 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        float max;
        absmax_block(x, QK, &max);
        const float d = max / -16;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = ingot_fp32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < QK / 2; ++j) {
            int a = (int8_t)(x[j] * id + 16.5f), b = (int8_t)(x[j + QK / 2] * id + 16.5f);
            a = a < 31 ? a : 31;
            b = b < 31 ? b : 31;
            y[i].qs[j] = (uint8_t)((a & 0x0F) | ((b & 0x0F) << 4));
            qh |= ((uint32_t)(a >> 4) & 1u) << j;
            qh |= ((uint32_t)(b >> 4) & 1u) << (j + QK / 2);
        }
        memcpy(y[i].qh, &qh, 4);
    }
}

void ingot_dequant_q5_0(const void *src, float *y, int64_t n) {
    const ingot_block_q5_0 *x = src;
    for (int64_t i = 0; i < n / QK; ++i, y += QK) {
        const float d = ingot_fp16_to_fp32(x[i].d);
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < QK / 2; ++j) {
            const int a = ((x[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - 16;
            const int b = ((x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            y[j] = a * d;
            y[j + QK / 2] = b * d;
        }
    }
}

void ingot_dot_q5_0_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q5_0 *x = w;
    const ingot_block_q8_0 *y = xv;
    float sum = 0.0f;
    for (int i = 0; i < n / QK; ++i) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < QK / 2; ++j) {
            const int a = ((x[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - 16;
            const int b = ((x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            sumi += a * y[i].qs[j] + b * y[i].qs[j + QK / 2];
        }
        sum += (ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)) * sumi;
    }
    *s = sum;
}

/* ---------------- Q5_1 ---------------- */
void ingot_quant_q5_1_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q5_1 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        float mn, mx;
        min_max_block(x, QK, &mn, &mx);
        const float d = (mx - mn) / 31;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = ingot_fp32_to_fp16(d);
        y[i].m = ingot_fp32_to_fp16(mn);
        uint32_t qh = 0;
        for (int j = 0; j < QK / 2; ++j) {
            const uint8_t a = (uint8_t)((x[j] - mn) * id + 0.5f), b = (uint8_t)((x[j + QK / 2] - mn) * id + 0.5f);
            y[i].qs[j] = (uint8_t)((a & 0x0F) | ((b & 0x0F) << 4));
            qh |= ((uint32_t)(a >> 4) & 1u) << j;
            qh |= ((uint32_t)(b >> 4) & 1u) << (j + QK / 2);
        }
        memcpy(y[i].qh, &qh, 4);
    }
}

void ingot_dequant_q5_1(const void *src, float *y, int64_t n) {
    const ingot_block_q5_1 *x = src;
    for (int64_t i = 0; i < n / QK; ++i, y += QK) {
        const float d = ingot_fp16_to_fp32(x[i].d), m = ingot_fp16_to_fp32(x[i].m);
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < QK / 2; ++j) {
            y[j] = ((x[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) * d + m;
            y[j + QK / 2] = ((x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) * d + m;
        }
    }
}

void ingot_dot_q5_1_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q5_1 *x = w;
    const ingot_block_q8_1 *y = xv;
    float sum = 0.0f;
    for (int i = 0; i < n / QK; ++i) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < QK / 2; ++j) {
            sumi += ((x[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) * y[i].qs[j + QK / 2];
        }
        sum += (ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d)) * sumi +
               ingot_fp16_to_fp32(x[i].m) * ingot_fp16_to_fp32(y[i].s);
    }
    *s = sum;
}

/* ---------------- Q8_0 ---------------- */
void ingot_quant_q8_0_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        const float amax = absmax_block(x, QK, NULL);
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = ingot_fp32_to_fp16(d);
        for (int j = 0; j < QK; ++j) y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

void ingot_quant_q8_0(const float *x, void *dst, int64_t n) {
#if defined(INGOT_HAVE_AVX2)
    ingot_quant_q8_0_avx2(x, dst, n);
#elif defined(INGOT_HAVE_NEON)
    ingot_quant_q8_0_neon(x, dst, n);
#else
    ingot_quant_q8_0_ref(x, dst, n);
#endif
}

void ingot_dequant_q8_0(const void *src, float *y, int64_t n) {
    const ingot_block_q8_0 *x = src;
    for (int64_t i = 0; i < n / QK; ++i, y += QK) {
        const float d = ingot_fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK; ++j) y[j] = x[i].qs[j] * d;
    }
}

void ingot_dot_q8_0_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q8_0 *x = w;
    const ingot_block_q8_0 *y = xv;
    float sum = 0.0f;
    for (int i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK; ++j) sumi += x[i].qs[j] * y[i].qs[j];
        sum += sumi * (ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d));
    }
    *s = sum;
}

/* ---------------- Q8_1 (activations of Q4_1/Q5_1) ---------------- */
void ingot_quant_q8_1_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / QK; ++i, x += QK) {
        const float amax = absmax_block(x, QK, NULL);
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = ingot_fp32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < QK; ++j) {
            y[i].qs[j] = (int8_t)roundf(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = ingot_fp32_to_fp16(sum * d);
    }
}

void ingot_quant_q8_1(const float *x, void *dst, int64_t n) {
#if defined(INGOT_HAVE_AVX2)
    ingot_quant_q8_1_avx2(x, dst, n);
#else
    ingot_quant_q8_1_ref(x, dst, n);
#endif
}

void ingot_dequant_q8_1(const void *src, float *y, int64_t n) {
    const ingot_block_q8_1 *x = src;
    for (int64_t i = 0; i < n / QK; ++i, y += QK) {
        const float d = ingot_fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK; ++j) y[j] = x[i].qs[j] * d;
    }
}

void ingot_dot_q8_1_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q8_1 *x = w;
    const ingot_block_q8_1 *y = xv;
    float sum = 0.0f;
    for (int i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK; ++j) sumi += x[i].qs[j] * y[i].qs[j];
        sum += sumi * (ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d));
    }
    *s = sum;
}
