/*
 * quant_float.c — the float weight types F32, F16, BF16: conversions and scalar dot products.
 * Activations for F16 weights are rounded to fp16 (BF16: to bf16) first, like ggml's CPU backend.
 */
#include <string.h>

#include "ingot_fp16.h"
#include "ingot_kernels_impl.h"

/* ---- F32 ---- */
void ingot_dequant_f32(const void *src, float *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }
void ingot_quant_f32_ref(const float *src, void *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }

void ingot_dot_f32_scalar(int n, float *s, const void *w, const void *x) {
    const float *a = w, *b = x;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += (double)(a[i] * b[i]);
    *s = (float)sum;
}

/* ---- F16 ---- */
void ingot_dequant_f16(const void *src, float *dst, int64_t n) {
    const uint16_t *h = src;
    for (int64_t i = 0; i < n; ++i) dst[i] = ingot_fp16_to_fp32(h[i]);
}

void ingot_quant_f16_ref(const float *src, void *dst, int64_t n) {
    uint16_t *h = dst;
    for (int64_t i = 0; i < n; ++i) h[i] = ingot_fp32_to_fp16(src[i]);
}

void ingot_quant_f16(const float *src, void *dst, int64_t n) {
#if defined(INGOT_HAVE_AVX2)
    ingot_quant_f16_avx2(src, dst, n);
#else
    ingot_quant_f16_ref(src, dst, n);
#endif
}

void ingot_dot_f16_scalar(int n, float *s, const void *w, const void *x) {
    const uint16_t *a = w, *b = x;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += (double)(ingot_fp16_to_fp32(a[i]) * ingot_fp16_to_fp32(b[i]));
    *s = (float)sum;
}

/* ---- BF16 ---- */
void ingot_dequant_bf16(const void *src, float *dst, int64_t n) {
    const uint16_t *h = src;
    for (int64_t i = 0; i < n; ++i) dst[i] = ingot_bf16_to_fp32(h[i]);
}

void ingot_quant_bf16_ref(const float *src, void *dst, int64_t n) {
    uint16_t *h = dst;
    for (int64_t i = 0; i < n; ++i) h[i] = ingot_fp32_to_bf16(src[i]);
}

void ingot_quant_bf16(const float *src, void *dst, int64_t n) { ingot_quant_bf16_ref(src, dst, n); }

void ingot_dot_bf16_scalar(int n, float *s, const void *w, const void *x) {
    const uint16_t *a = w, *b = x;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += (double)(ingot_bf16_to_fp32(a[i]) * ingot_bf16_to_fp32(b[i]));
    *s = (float)sum;
}
